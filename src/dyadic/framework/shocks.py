"""Shocks: did a dated event move a pair closer or apart, and where does a pair's series break?

Two estimators, in the style of ruptures (small objects, ``fit`` then ``predict``):

- :class:`EventStudy`: the pair's change in level (after minus before) minus the mean change of its
  comparison dyads (each partner's other relationships), judged against the same quantity at placebo dates
  of the pair's own history and checked for the same sign across windows. The verdict is *closer*, *apart*
  or *cannot tell*, the last with the check that failed; no trend is extrapolated.
- :class:`ChangePoints`: ruptures PELT (L2 cost, i.e. shifts in the mean) with a BIC-type penalty
  ``pen = beta * sigma^2 * log(n)`` where ``sigma`` is a robust (MAD of first differences) noise scale;
  each break is reported with its date and size and matched to the nearest dated event of
  ``data/key_dates.csv``. Daily series also get *spikes*: days whose robust z-score exceeds a threshold.

Series come from the indicator layer: UNGA agreement and published ideal-point distance (yearly), trade (yearly, when ingested), and the
GDELT daily country graph (monthly or daily). See docs/methods/shocks.md for windows, rules and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dyadic.dyad import pair_rows
from dyadic.errors import RequestError
from dyadic.sources.registry import packaged_csv
from dyadic.framework import shared
from dyadic.indicators.unga import RANKED_KEY, UNDL, VoteSelection, ranked_dyad_years
from dyadic.store import Store

#: default window (periods on each side) by resolution, and the windows whose signs must agree.
# Months: half a year on each side, because event data answer within weeks and the daily graph covers six
# years (a 12-month window left every 2018 event without a before-window); 3 and 12 months check the sign.
DEFAULT_WINDOWS = {"year": (3, 3), "month": (6, 6), "day": (30, 30)}
ROBUSTNESS_WINDOWS = {"year": (1, 2, 3), "month": (3, 6, 12), "day": (30, 60, 90)}
UNIT = {"year": "y", "month": "m", "day": "d"}
#: fewest placebo dates for a placebo band (the 5th/95th percentiles of fewer are the extremes of a handful).
MIN_PLACEBOS = 20
#: share of a window's periods that must be observed (a mean of one month is not a 12-month level).
MIN_COVERAGE = 0.75

#: indicator -> (resolution, +1 if higher means closer / -1 if lower means closer, label).
INDICATORS = {
    "unga_agree": ("year", 1, "UNGA share of identical votes"),
    "unga_s": ("year", 1, "UNGA S-score"),
    "bsv_distance": ("year", -1, "distance of published BSV ideal points"),
    "trade": ("year", 1, "bilateral goods trade, log(1 + US$ million) (IMF DOTS in event studies)"),
    "events_month": ("month", 1, "GDELT daily-graph score, mean per covered day in the month"),
    "events_day": ("day", 1, "GDELT daily-graph score per day"),
    "events_conflict": ("month", -1, "GDELT daily graph: share of the month's active days that were net conflictual"),
    "icews_conflict": ("year", -1, "ICEWS: conflict events as a share of the pair's events (both directions)"),
    "mids": ("year", -1, "COW MID 5.0: highest hostility level of a dispute ongoing in the year (0 = none)"),
}
#: the bilateral indicators whose verdicts make the pair's answer (:func:`shock_verdict`): behaviour towards
#: each other (disputes, conflict and cooperation events, trade). UN votes measure alignment on the global
#: agenda, which a bilateral event rarely moves (the US abstained on the Cuba embargo vote only in 2016);
#: they are reported beside the answer, not in it.
BILATERAL = ("mids", "icews_conflict", "events_conflict", "events_month", "trade")
#: yearly indicators that count what happened within the year (disputes, events, trade): the event's own year
#: holds both sides of the date, so it belongs to neither window (UN votes, cast in the autumn session, keep
#: the first-half rule of :func:`_period_pos`).
WITHIN_YEAR = ("mids", "icews_conflict", "trade")
#: fewest active days (a nonzero daily score) for a month's conflict share.
MIN_ACTIVE_DAYS = 3


def _period_pos(index: pd.Index, at: pd.Timestamp, freq: str) -> tuple[float, np.ndarray]:
    """Position of ``at`` on the series' index, in periods; the event period counts as 'after' when the
    date falls in its first half (a February event is 'after' for a yearly vote series)."""
    if freq == "year":
        years = np.asarray(index, dtype=float)
        frac = (at.dayofyear - 1) / (366 if at.is_leap_year else 365)
        return at.year + (0.0 if frac < 0.5 else 1.0), years
    ts = pd.DatetimeIndex(index)
    if freq == "month":
        pos = (ts.year - at.year) * 12 + (ts.month - at.month)
        first_half = at.day <= at.days_in_month / 2
        return (0.0 if first_half else 1.0), np.asarray(pos, dtype=float)
    pos = (ts - at.normalize()).days
    return 0.0, np.asarray(pos, dtype=float)


def _label(index: pd.Index, freq: str) -> list[str]:
    if freq == "year":
        return [str(int(v)) for v in index]
    return [pd.Timestamp(v).strftime("%Y-%m" if freq == "month" else "%Y-%m-%d") for v in index]


def _window_sums(X: np.ndarray, nb: int, na: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every cut ``c`` (the first after-period, rows 0..T) and column of ``X`` (periods x series, NaN =
    missing): the sums over the before window ``[c-nb, c)`` and the after window ``[c, c+na)``, clipped to
    the grid, and whether both windows lie inside it. Cumulative sums make all cuts of all series one pass."""
    T = X.shape[0]
    cs = np.vstack([np.zeros((1, X.shape[1])), np.cumsum(np.where(np.isnan(X), 0.0, X), axis=0)])
    c = np.arange(T + 1)
    lo, hi = np.clip(c - nb, 0, T), np.clip(c + na, 0, T)
    return cs[c] - cs[lo], cs[hi] - cs[c], (c - nb >= 0) & (c + na <= T)


@dataclass
class WindowEffect:
    """The difference-in-differences at one window and its placebo distribution."""

    before: int
    after: int
    effect: float  # (after - before mean) of the pair minus the comparison dyads' mean of the same
    raw_change: float
    comparison_change: float
    comparison_sd: float
    n_comparison: int
    n_before: int
    n_after: int
    before_mean: float
    after_mean: float
    sampling_se: float
    placebos: np.ndarray
    measured: bool  # enough observed points on both sides of the date
    first: str = ""
    last: str = ""


@dataclass
class EventStudyResult:
    indicator: str
    at: str
    effect: float  # primary window: pair's change in level minus the comparison dyads' mean change
    lo: float
    hi: float
    verdict: str  # closer / apart / cannot tell
    n_before: int
    n_after: int
    before_mean: float
    after_mean: float
    trend: bool  # always False: no trend is extrapolated (kept for callers that read it)
    level: float
    reason: str = ""
    window: str = ""
    raw_change: float = float("nan")
    comparison_change: float = float("nan")
    n_comparison: int = 0
    comparison_sd: float = float("nan")
    n_placebo: int = 0
    placebo_lo: float = float("nan")
    placebo_hi: float = float("nan")
    sampling_se: float = 0.0
    windows: str = ""  # effect at each robustness window, e.g. "1y +0.012, 2y +0.020, 3y +0.018"
    evidence: str = ""  # the periods the answer stands on

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class EventStudy:
    """Difference-in-differences of a pair against its partners' other relationships, judged against
    placebo dates in the pair's own history and checked across windows.

    For a window of ``before``/``after`` periods around the date, the effect is the pair's change in level
    (after mean - before mean) minus the mean change of the comparison dyads (A with every other state, B
    with every other state) over the same periods. The same effect computed at every date of the pair's
    history whose windows do not contain the event (placebo dates) is its null distribution. The verdict is
    *closer* / *apart* only when (1) there are at least :data:`MIN_PLACEBOS` placebo dates, (2) the effect
    lies outside the placebo band (the ``level`` range) widened by the event's own sampling error, and
    (3) the effect has the same sign at every robustness window (:data:`ROBUSTNESS_WINDOWS`); otherwise
    *cannot tell*, naming the check that failed.

    Args:
        before: periods in the before window (default by resolution, :data:`DEFAULT_WINDOWS`).
        after: periods in the after window (default: ``before`` when given, else by resolution).
        trend: ignored (kept for compatibility): no trend is extrapolated.
        level: coverage of the placebo band (0.9 = the 5th to 95th percentile).
        n_boot: ignored (kept for compatibility): the placebo dates replace the bootstrap.
        seed: ignored (kept for compatibility): the method is deterministic.
        direction: +1 when higher values mean closer, -1 when lower values do.
        windows: robustness windows (default by resolution); the primary window is added to them.
        donut: leave the event's own year out of both windows (yearly counts of what happened in the year).
    """

    before: int | None = None
    after: int | None = None
    trend: bool = False
    level: float = 0.9
    n_boot: int = 0
    seed: int = 0
    direction: int = 1
    windows: tuple[int, ...] | None = None
    donut: bool = False
    result_: EventStudyResult | None = field(default=None, repr=False)
    frame_: pd.DataFrame | None = field(default=None, repr=False)
    effects_: list[WindowEffect] = field(default_factory=list, repr=False)

    def fit(self, series: pd.Series, at: str | pd.Timestamp, freq: str, name: str = "series",
            comparison: pd.DataFrame | None = None, se: pd.Series | None = None,
            comparison_se: pd.DataFrame | None = None) -> "EventStudy":
        """Estimate the effect of the event at ``at`` on the pair's ``series``.

        Args:
            series: the pair's values, indexed by year (int) for ``freq='year'``, by period start (Timestamp)
                otherwise; missing values stay missing, never filled.
            at: the event's date.
            freq: ``year``, ``month`` or ``day``.
            name: the indicator's name, carried into the result.
            comparison: the comparison dyads' values (same kind of index, one column per dyad); none = a
                plain before/after change (said in the result).
            se: sampling standard error of each of the pair's values (e.g. binomial, by year); none = 0.
            comparison_se: the same for the comparison dyads.

        Returns:
            self, with ``result_``, ``effects_`` (one per window) and ``frame_`` (period, value, window,
            comparison mean).

        Raises:
            RequestError: unknown ``freq``, or no observation of the pair before or after the date.
        """
        if freq not in DEFAULT_WINDOWS:
            raise RequestError(f"freq must be year, month or day, not '{freq}'")
        at = pd.Timestamp(at)
        nb = self.before or self.after or DEFAULT_WINDOWS[freq][0]
        na = self.after or self.before or DEFAULT_WINDOWS[freq][1]
        s = series.astype(float)
        comp = comparison.astype(float) if comparison is not None and comparison.shape[1] else None
        # One regular grid over the pair's and the comparisons' periods, so positions are period counts.
        idx = s.index.union(comp.index) if comp is not None else s.index
        grid = self._grid(idx, freq)
        if self.donut and freq == "year":  # the event's year holds both sides of the date: in neither window
            grid = grid[grid != at.year]
        cut, pos = _period_pos(grid, at, freq)
        if self.donut and freq == "year":
            cut = at.year + 1.0
        c_event = int(np.searchsorted(pos - cut, 0))  # index of the first after-period on the grid
        y = s.reindex(grid).to_numpy()
        if np.all(np.isnan(y[:c_event])) or np.all(np.isnan(y[c_event:])):
            raise RequestError(f"{name}: too few observations around {at.date()} (none "
                               f"{'before' if np.all(np.isnan(y[:c_event])) else 'after'} the date)")
        Y = y[:, None] if comp is None else np.column_stack([y, comp.reindex(grid).to_numpy()])
        V = np.zeros_like(Y)
        if se is not None:
            V[:, 0] = se.reindex(grid).to_numpy() ** 2
        if comp is not None and comparison_se is not None:
            V[:, 1:] = comparison_se.reindex(columns=comp.columns).reindex(grid).to_numpy() ** 2
        V = np.where(np.isnan(V), 0.0, V)
        labels = _label(grid, freq)
        spans = sorted({(nb, na), *((w, w) for w in (self.windows or ROBUSTNESS_WINDOWS[freq]))})
        self.effects_ = [self._window(Y, V, c_event, b, a, labels) for b, a in spans]
        main = next(e for e in self.effects_ if (e.before, e.after) == (nb, na))
        self.result_ = self._judge(main, name, at, freq)
        window = np.full(len(grid), "outside", dtype=object)
        window[max(c_event - nb, 0):c_event] = "before"
        window[c_event:c_event + na] = "after"
        n_obs = (~np.isnan(Y[:, 1:])).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            comp_level = np.where(n_obs > 0, np.nansum(Y[:, 1:], axis=1) / n_obs, np.nan)
        self.frame_ = pd.DataFrame({"period": grid, "value": y, "window": window, "comparison_mean": comp_level})
        return self

    @staticmethod
    def _grid(idx: pd.Index, freq: str) -> pd.Index:
        if freq == "year":
            v = np.asarray(idx, dtype=int)
            return pd.Index(np.arange(v.min(), v.max() + 1))
        ts = pd.DatetimeIndex(idx)
        return pd.date_range(ts.min(), ts.max(), freq="MS" if freq == "month" else "D")

    def _window(self, Y: np.ndarray, V: np.ndarray, c_event: int, nb: int, na: int, labels: list[str]
                ) -> WindowEffect:
        """The DiD at the event and at every placebo cut, for one window."""
        obs = (~np.isnan(Y)).astype(float)
        sb, sa, _ = _window_sums(Y, nb, na)
        cb, ca, _ = _window_sums(obs, nb, na)
        # Sampling variance of a window mean: the sum of its periods' variances over the count squared.
        vb, va, _ = _window_sums(np.where(obs > 0, V, 0.0), nb, na)
        need_b, need_a = max(1, int(np.ceil(MIN_COVERAGE * nb))), max(1, int(np.ceil(MIN_COVERAGE * na)))
        # cuts x series: measures this cut's change. A window reaching past the grid's edge is a window with
        # unobserved periods, judged by the same coverage rule as gaps inside it.
        ok = (cb >= need_b) & (ca >= need_a)
        with np.errstate(invalid="ignore", divide="ignore"):
            change = np.where(ok, sa / ca - sb / cb, np.nan)
            var = np.where(ok, vb / cb ** 2 + va / ca ** 2, np.nan)
            if Y.shape[1] > 1:
                k = ok[:, 1:].sum(axis=1)
                comp_mean = np.where(k > 0, np.nansum(change[:, 1:], axis=1) / k, np.nan)
                comp_var = np.where(k > 0, np.nansum(var[:, 1:], axis=1) / k ** 2, np.nan)
            else:
                k = np.zeros(len(change), dtype=int)
                comp_mean, comp_var = np.zeros(len(change)), np.zeros(len(change))
        did, did_var = change[:, 0] - comp_mean, var[:, 0] + comp_var
        cuts = np.arange(len(did))
        # A placebo's windows must not contain the event's first after-period (nor the last before one).
        clean = ((cuts <= c_event - na) | (cuts > c_event + nb - 1)) & ~np.isnan(did)
        e = c_event
        placebos = did[clean]
        if len(placebos) < MIN_PLACEBOS and Y.shape[1] > 2:
            # A short history (a state born in 1991, six years of daily graph) has too few placebo dates; the
            # comparison dyads' own changes at the event date against the comparison mean are placebos in
            # space (Abadie, Diamond & Hainmueller 2010), added so the band rests on enough draws.
            space = change[e, 1:][ok[e, 1:]] - comp_mean[e]
            placebos = np.concatenate([placebos, space[~np.isnan(space)]])
        # The placebo band already holds the sampling noise of a typical placebo date; only this date's
        # excess over it (a partial year of few roll calls) is added to the interval.
        typical = float(np.median(did_var[clean])) if clean.any() else 0.0
        excess = max(float(did_var[e]) - typical, 0.0) if not np.isnan(did_var[e]) else 0.0
        comp_ok = ok[e, 1:]
        valid_b = [i for i in range(max(e - nb, 0), e) if not np.isnan(Y[i, 0])]
        valid_a = [i for i in range(e, min(e + na, len(Y))) if not np.isnan(Y[i, 0])]
        with np.errstate(invalid="ignore", divide="ignore"):
            bm, am = float(sb[e, 0] / cb[e, 0]), float(sa[e, 0] / ca[e, 0])
        return WindowEffect(
            before=nb, after=na, effect=float(did[e]), raw_change=float(change[e, 0]),
            comparison_change=float(comp_mean[e]) if k[e] else float("nan"),
            comparison_sd=float(np.std(change[e, 1:][comp_ok], ddof=1)) if k[e] > 1 else float("nan"),
            n_comparison=int(k[e]), n_before=int(cb[e, 0]), n_after=int(ca[e, 0]),
            before_mean=bm, after_mean=am, sampling_se=float(np.sqrt(excess)),
            placebos=placebos, measured=bool(ok[e, 0]) and (Y.shape[1] == 1 or bool(k[e])),
            first=labels[valid_b[0]] if valid_b else "", last=labels[valid_a[-1]] if valid_a else "")

    def _judge(self, main: WindowEffect, name: str, at: pd.Timestamp, freq: str) -> EventStudyResult:
        """Apply the three checks to the primary window; name the first that fails."""
        u = UNIT[freq]
        alpha = (1 - self.level) / 2
        n_pl = len(main.placebos)
        q_lo, q_hi = (np.quantile(main.placebos, [alpha, 1 - alpha]) if n_pl else (np.nan, np.nan))
        z = float(_z(1 - alpha))
        # Inverting the placebo test: effect - (null quantiles), widened by this event's own sampling error
        # (a partial year of few roll calls is noisier than the placebo years were).
        lo, hi = main.effect - q_hi - z * main.sampling_se, main.effect - q_lo + z * main.sampling_se
        spans = ", ".join(f"{e.before}{u} {e.effect:+.4g}" if e.measured else f"{e.before}{u} not measured"
                          for e in self.effects_ if e.before == e.after)
        comp = (f"{main.n_comparison} comparison dyads (mean change {main.comparison_change:+.4g}, "
                f"sd {main.comparison_sd:.3g})" if main.n_comparison else "no comparison dyads")
        evidence = (f"{main.first} to {main.last} ({main.n_before} {freq}s before, {main.n_after} after, "
                    f"first after-{freq} counted from {at.date()}); {comp}; {n_pl} placebo dates")
        signs = [np.sign(e.effect) for e in self.effects_ if e.measured and e.before == e.after]
        need_b = max(1, int(np.ceil(MIN_COVERAGE * main.before)))
        need_a = max(1, int(np.ceil(MIN_COVERAGE * main.after)))
        signed = sorted((lo * self.direction, hi * self.direction))
        if not main.measured:
            reason = (f"too few points: {main.n_before} of {main.before} {freq}s before and {main.n_after} of "
                      f"{main.after} after (needs {need_b} and {need_a})")
        elif n_pl < MIN_PLACEBOS:
            reason = f"too few points: {n_pl} placebo dates in the pair's history (needs {MIN_PLACEBOS})"
        elif signed[0] <= 0 <= signed[1]:
            reason = (f"inside the placebo band: effect {main.effect:+.4g} vs {self.level:.0%} placebo range "
                      f"{q_lo:+.4g} to {q_hi:+.4g} (widened by ±{z * main.sampling_se:.3g} of excess sampling error)")
        elif len(signs) < 2:
            reason = f"sign across windows not checkable: only one window measured ({spans})"
        elif len(set(signs)) > 1:
            reason = f"sign not stable across windows ({spans})"
        else:
            reason = ""
        verdict = "cannot tell" if reason else ("closer" if signed[0] > 0 else "apart")
        if not reason:
            reason = (f"outside the {self.level:.0%} placebo range ({q_lo:+.4g} to {q_hi:+.4g}) and the same sign "
                      f"at every window ({spans})")
        return EventStudyResult(
            indicator=name, at=str(at.date()), effect=main.effect, lo=float(lo), hi=float(hi), verdict=verdict,
            n_before=main.n_before, n_after=main.n_after, before_mean=main.before_mean,
            after_mean=main.after_mean, trend=False, level=self.level, reason=reason,
            window=f"{main.before}/{main.after}{u}", raw_change=main.raw_change,
            comparison_change=main.comparison_change, n_comparison=main.n_comparison,
            comparison_sd=main.comparison_sd, n_placebo=n_pl, placebo_lo=float(q_lo), placebo_hi=float(q_hi),
            sampling_se=main.sampling_se, windows=spans, evidence=evidence)

    def predict(self) -> pd.DataFrame:
        """The fitted frame: period, value, window (before/after/outside) and the comparison dyads' mean."""
        if self.frame_ is None:
            raise RequestError("call fit() first")
        return self.frame_


def _z(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


# ------------------------------------------------------------------------------------------ change points


def robust_sigma(y: np.ndarray) -> float:
    """Noise scale from the median absolute first difference (robust to the mean shifts being sought)."""
    d = np.diff(y)
    if len(d) == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(d - np.median(d))) / np.sqrt(2))


def serial_rho(y: np.ndarray) -> float:
    """Lag-1 autocorrelation of the noise, from the first differences (for AR(1) noise
    ``corr(dy_t, dy_t-1) = -(1 - rho) / 2``, and rare mean shifts barely move it); clipped to [0, 0.9]."""
    d = np.diff(y)
    if len(d) < 4 or np.std(d) == 0:
        return 0.0
    r1 = float(np.corrcoef(d[1:], d[:-1])[0, 1])
    return float(np.clip(1 + 2 * r1, 0.0, 0.9))


@dataclass
class ChangePoints:
    """Mean shifts by ruptures PELT (L2 cost) with a BIC-type penalty ``beta * sigma^2 * log(n)``.

    Args:
        beta: penalty multiplier (2 is the BIC for one new mean parameter; larger = fewer breaks).
        min_size: fewest observations between two breaks.
        jump: candidate break spacing (ruptures' subsampling; 1 = every position).
    """

    beta: float = 2.0
    min_size: int = 3
    jump: int = 1
    breaks_: pd.DataFrame | None = field(default=None, repr=False)
    penalty_: float | None = None
    rho_: float = 0.0

    def fit(self, series: pd.Series) -> "ChangePoints":
        """Detect breaks in ``series`` (missing values dropped).

        Returns:
            self, with ``breaks_``: one row per break: ``date`` (first period of the new regime),
            ``before``/``after`` (segment means), ``size`` (after - before), ``size_sd`` (in noise sds).
        """
        import ruptures as rpt

        s = series.dropna().astype(float)
        y = s.to_numpy()
        n = len(y)
        if n < 2 * self.min_size:
            self.breaks_ = pd.DataFrame(columns=["date", "before", "after", "size", "size_sd"])
            self.penalty_ = float("nan")
            return self
        sigma = robust_sigma(y) or float(np.std(y)) or 1.0
        self.rho_ = serial_rho(y)
        # Serially correlated noise looks like many small mean shifts under an iid cost; scaling the
        # penalty by the long-run variance factor (1 + rho) / (1 - rho) keeps the BIC's meaning.
        self.penalty_ = self.beta * sigma ** 2 * (1 + self.rho_) / (1 - self.rho_) * np.log(n)
        bkps = rpt.Pelt(model="l2", min_size=self.min_size, jump=self.jump).fit(y).predict(pen=self.penalty_)
        edges = [0, *bkps]
        rows = []
        for i in range(1, len(edges) - 1):
            seg_a, seg_b = y[edges[i - 1]:edges[i]], y[edges[i]:edges[i + 1]]
            size = seg_b.mean() - seg_a.mean()
            rows.append({"date": s.index[edges[i]], "before": seg_a.mean(), "after": seg_b.mean(), "size": size,
                         "size_sd": size / sigma})
        self.breaks_ = pd.DataFrame(rows, columns=["date", "before", "after", "size", "size_sd"])
        return self

    def predict(self) -> pd.DataFrame:
        if self.breaks_ is None:
            raise RequestError("call fit() first")
        return self.breaks_


def spikes(series: pd.Series, z: float = 4.0) -> pd.DataFrame:
    """Days (periods) whose robust z-score against a centred 61-period rolling median exceeds ``z``."""
    s = series.dropna().astype(float)
    med = s.rolling(61, center=True, min_periods=15).median()
    dev = s - med
    mad = 1.4826 * dev.abs().rolling(61, center=True, min_periods=15).median()
    zs = dev / mad.replace(0, np.nan)
    hit = zs.abs() > z
    return pd.DataFrame({"date": s.index[hit], "value": s[hit].to_numpy(), "z": zs[hit].to_numpy()})


def dyad_key(x: str, y: str) -> str:
    """The key of a dyad in ``key_dates.csv``: the two codes in alphabetical order, 'CHN-RUS'."""
    return "-".join(sorted((x, y)))


def key_dates(dyads: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """The curated dated events (``data/key_dates.csv``): date, label, pair, citation.

    ``pair`` lists the dyads an event concerns (``;``-separated keys); with ``dyads`` only their events are
    kept, so no pair is explained by another pair's dates.
    """
    kd = packaged_csv("key_dates.csv")
    if dyads is not None:
        keys = {dyad_key(x, y) for x, y in dyads}
        kd = kd[kd.pair.map(lambda p: bool(keys & set(str(p).split(";"))))]
    kd = kd.assign(date=pd.to_datetime(kd["date"]))
    return kd.sort_values("date").reset_index(drop=True)


#: a break is matched to an event only within this many days of the middle of its first period.
MATCH_DAYS = {"year": 366, "month": 45, "day": 21}


def match_events(breaks: pd.DataFrame, freq: str, events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add the nearest of ``events`` (``date``, ``label``; default every curated date) to each break:
    ``event``, ``event_date``, ``days_off`` (event date minus the middle of the break's first period); blank
    when none lies within :data:`MATCH_DAYS`."""
    kd = (key_dates() if events is None else events).reset_index(drop=True)
    out = breaks.copy()
    if out.empty or kd.empty:  # nothing to match: every break unexplained, as one too far from any date is
        return out.assign(event="", event_date="", days_off=float("nan"))
    mid = {"year": pd.Timedelta(days=182), "month": pd.Timedelta(days=14), "day": pd.Timedelta(0)}[freq]
    when = [(pd.Timestamp(year=int(d), month=1, day=1) if freq == "year" else pd.Timestamp(d)) + mid
            for d in out.date]
    ev, evd, off = [], [], []
    for w in when:
        delta = (kd.date - w).dt.days
        i = int(np.argmin(np.abs(delta.to_numpy())))
        near = abs(int(delta[i])) <= MATCH_DAYS[freq]
        ev.append(kd.label[i] if near else "")
        evd.append(str(kd.date[i].date()) if near else "")
        off.append(int(delta[i]) if near else np.nan)
    return out.assign(event=ev, event_date=evd, days_off=off)


# ------------------------------------------------------------------------------------------ pair series


def indicator_series(store: Store, a: str, b: str, indicator: str) -> pd.Series:
    """One indicator of a pair as a series (index: year, month start or day), missing where not covered.

    Raises:
        RequestError: unknown indicator; NotIngestedError (via the store) when its source is absent.
    """
    if indicator not in INDICATORS:
        raise RequestError(f"unknown indicator '{indicator}'; known: {', '.join(INDICATORS)}")
    if indicator.startswith("unga_") or indicator == "bsv_distance" or indicator in RELATIONAL.keys() - {"trade"}:
        return study_inputs(store, a, b, indicator).series
    if indicator == "trade":
        from dyadic.indicators.trade import trade_pair

        df = trade_pair(store, a, b)
        col = next(c for c in ("trade", "flow_total", "total") if c in df.columns)
        v = df.set_index("year")[col].astype(float)
        return np.log(v.where(v > 0))
    from dyadic.indicators.events import GRAPH

    store.require(GRAPH)
    if indicator == "events_month":
        from dyadic.indicators.events import pair_series as ev_series

        df = ev_series(store, a, b, freq="month", source="graph")
        d = df[df.direction == df.direction.iloc[0]]
        return pd.Series(d.score_day.astype(float).to_numpy(), index=pd.to_datetime(d.period))
    return daily_graph(store, a, b)


@dataclass
class StudyInputs:
    """What an event study of one pair needs: the pair's series, its sampling errors, and the comparison
    dyads (columns named ``A–k`` / ``B–k``) with theirs; ``None`` where the indicator has none."""

    series: pd.Series
    se: pd.Series | None = None
    comparison: pd.DataFrame | None = None
    comparison_se: pd.DataFrame | None = None


def _partners(frame: pd.DataFrame, a: str, b: str, value: str, se: str | None
              ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Wide frames (year x dyad) of every dyad of ``a`` or ``b`` except the pair, from a long ``year, a, b``
    frame with ``a < b``."""
    x = frame[(frame.a.isin([a, b]) | frame.b.isin([a, b])) & ~(frame.a.isin([a, b]) & frame.b.isin([a, b]))]
    own = np.where(x.a.isin([a, b]), x.a, x.b)
    other = np.where(x.a.isin([a, b]), x.b, x.a)
    x = x.assign(dyad=[f"{o}–{p}" for o, p in zip(own, other)])
    wide = x.pivot_table(index="year", columns="dyad", values=value, aggfunc="first", observed=True)
    wide_se = x.pivot_table(index="year", columns="dyad", values=se, aggfunc="first", observed=True) if se else None
    return wide, wide_se


#: UN votes of the event studies: one source throughout (see :func:`study_inputs`)
SHOCK_VOTES = VoteSelection(source="undl")


@shared("shocks", RANKED_KEY)
def prepare(store: Store) -> None:
    """Every dyad-year's UN agreement on the UN Digital Library votes, ranked (the UN indicators' comparison
    dyads are each partner's other relationships)."""
    if store.has_source(UNDL):
        ranked_dyad_years(store, SHOCK_VOTES)


def study_inputs(store: Store, a: str, b: str, indicator: str) -> StudyInputs:
    """The pair's series and its comparison dyads for one indicator.

    - ``unga_agree`` / ``unga_s``: UN Digital Library votes only (one source throughout: the default
      Voeten→UNDL splice at 2020 would put a change of source inside the windows of every recent event);
      the agreement's sampling error is binomial by year, ``sqrt(p(1-p)/n)`` with n = shared roll calls.
    - ``bsv_distance``: published BSV ideal points (final-passage votes); the error of ``|x_a - x_b|`` from
      the published 5th-95th posterior percentiles of each side.
    - ``events_month``: GDELT daily graph, partners active (a score) in at least half of the covered months.
    - ``trade``, ``events_day``: the pair alone (no comparison dyads).
    """
    if indicator not in INDICATORS:
        raise RequestError(f"unknown indicator '{indicator}'; known: {', '.join(INDICATORS)}")
    if indicator.startswith("unga_"):
        col = indicator.removeprefix("unga_")
        full = ranked_dyad_years(store, SHOCK_VOTES)
        sub = full[full.a.isin([a, b]) | full.b.isin([a, b])][["year", "a", "b", "n", col]].copy()
        sub["a"], sub["b"] = sub.a.astype(str), sub.b.astype(str)
        if col == "agree":
            sub["se"] = np.sqrt(sub["agree"] * (1 - sub["agree"]) / sub["n"])
        mine = pair_rows(sub, a, b).set_index("year")
        comp, comp_se = _partners(sub, a, b, col, "se" if col == "agree" else None)
        return StudyInputs(mine[col].astype(float), mine["se"] if col == "agree" else None, comp, comp_se)
    if indicator == "bsv_distance":
        from dyadic.indicators.ideal import published_positions, published_years

        y0, y1 = published_years(store)
        pos = published_positions(store, y0, y1)
        pos["se"] = (pos.q95 - pos.q5) / (2 * _z(0.95))  # a 90% posterior interval spans 2 x 1.645 sd
        ideal = pos.pivot_table(index="year", columns="code", values="ideal")
        sd = pos.pivot_table(index="year", columns="code", values="se")
        if a not in ideal or b not in ideal:
            raise RequestError(f"bsv_distance: no published ideal point for {a if a not in ideal else b}")
        others = [c for c in ideal.columns if c not in (a, b)]
        comp, comp_se = {}, {}
        for s in (a, b):
            for k in others:
                comp[f"{s}–{k}"] = (ideal[s] - ideal[k]).abs()
                comp_se[f"{s}–{k}"] = np.sqrt(sd[s] ** 2 + sd[k] ** 2)
        return StudyInputs((ideal[a] - ideal[b]).abs().dropna(), np.sqrt(sd[a] ** 2 + sd[b] ** 2),
                           pd.DataFrame(comp), pd.DataFrame(comp_se))
    if indicator == "events_month":
        from dyadic.indicators.events import graph_periods

        s = indicator_series(store, a, b, indicator)
        t = graph_periods(store, "month")
        df = t.filter(t.a.isin([a, b]) | t.b.isin([a, b])).select("a", "b", "period", "score_day").execute()
        df = df.rename(columns={"period": "year"})
        df["year"] = pd.to_datetime(df.year)
        comp, _ = _partners(df, a, b, "score_day", None)
        comp = comp.reindex(s.index)
        # The graph is sparse: a covered month without a row is a score of 0, an uncovered one is missing.
        covered = s.notna().to_numpy()
        comp = comp.where(~comp.isna() | ~covered[:, None], 0.0)
        active = (comp.ne(0) & covered[:, None]).sum() >= 0.5 * covered.sum()
        return StudyInputs(s, None, comp.loc[:, active], None)
    if indicator in ("events_conflict", "icews_conflict", "mids", "trade"):
        frame, grid = RELATIONAL[indicator](store, a, b)
        return _long_inputs(frame, a, b, grid)
    return StudyInputs(indicator_series(store, a, b, indicator))


def _long_inputs(frame: pd.DataFrame, a: str, b: str, grid: pd.Index | None = None) -> StudyInputs:
    """A study's inputs from a long frame ``year, a, b, value[, se]`` (``a < b``) of every dyad of ``a`` or
    ``b``; ``grid`` (the periods the source covers) turns a pair's absent period into 0 (a count) when given."""
    has_se = "se" in frame.columns
    mine = pair_rows(frame, a, b).set_index("year")
    comp, comp_se = _partners(frame, a, b, "value", "se" if has_se else None)
    series = mine["value"].astype(float)
    if grid is not None:
        series = series.reindex(grid, fill_value=0.0)
        comp = comp.reindex(grid).fillna(0.0)
    if series.dropna().empty:
        raise RequestError(f"no observation of {a}–{b} in the source")
    return StudyInputs(series, mine["se"].astype(float) if has_se else None, comp,
                       comp_se if has_se else None)


def _graph_conflict(store: Store, a: str, b: str) -> tuple[pd.DataFrame, None]:
    """Monthly share of active days (nonzero daily score) that were net conflictual, GDELT daily graph, for
    every dyad of ``a`` or ``b``; months with fewer than :data:`MIN_ACTIVE_DAYS` active days are missing. A
    share is robust to the growth of coverage that moves the summed score (more articles, more sources)."""
    from dyadic.indicators.events import GRAPH

    store.require(GRAPH)
    df = store.con.execute(
        """WITH cov AS (SELECT DISTINCT day FROM event_coverage WHERE source = $s)
           SELECT g.a, g.b, date_trunc('month', g.date) AS year,
                  count(*) FILTER (WHERE g.score < 0) AS neg, count(*) FILTER (WHERE g.score <> 0) AS act
           FROM event_graph_daily g JOIN cov ON g.date = cov.day
           WHERE g.source = $s AND (g.a IN ($x, $y) OR g.b IN ($x, $y)) GROUP BY ALL""",
        {"s": GRAPH, "x": a, "y": b}).df()
    df = df[df.act >= MIN_ACTIVE_DAYS]
    p = df.neg / df.act
    return df.assign(year=pd.to_datetime(df.year), value=p, se=np.sqrt(p * (1 - p) / df.act)), None


def _icews_conflict(store: Store, a: str, b: str) -> tuple[pd.DataFrame, None]:
    """Yearly conflict share (verbal + material conflict over all four quad counts, both directions) of every
    dyad of ``a`` or ``b`` in ICEWS (2002-2014); a year without events is missing, not peaceful."""
    store.require("icews_dyadic_netify_2002_2014")
    df = store.con.execute(
        """SELECT year, least(a, b) AS a, greatest(a, b) AS b,
                  sum(verb_conf + matl_conf) AS conf, sum(verb_coop + matl_coop + verb_conf + matl_conf) AS n
           FROM icews_quads WHERE a IN ($x, $y) OR b IN ($x, $y) GROUP BY ALL HAVING n > 0""",
        {"x": a, "y": b}).df()
    p = df.conf / df.n
    return df.assign(value=p, se=np.sqrt(p * (1 - p) / df.n)), None


def _mid_hostility(store: Store, a: str, b: str) -> tuple[pd.DataFrame, pd.Index]:
    """Yearly highest hostility level (1 no militarized action ... 5 war) of a COW MID 5.0 dispute ongoing
    between the two, for every dyad of ``a`` or ``b``; a covered year without one is 0."""
    from dyadic.indicators.conflict import mid_years

    store.require("mids_cow_gml")
    first, last = mid_years(store, "cow")
    df = store.con.execute(
        """SELECT year, least(a, b) AS a, greatest(a, b) AS b, max(greatest(hostlev_a, hostlev_b)) AS value
           FROM mid_dyad_years WHERE dataset = 'cow' AND (a IN ($x, $y) OR b IN ($x, $y)) GROUP BY ALL""",
        {"x": a, "y": b}).df()
    born = store.con.execute("SELECT max(year(start)) FROM state_spells WHERE code IN ($x, $y)",
                             {"x": a, "y": b}).fetchone()[0]
    return df, pd.Index(np.arange(max(first, int(born or first)), last + 1))


def _trade_frame(store: Store, a: str, b: str) -> tuple[pd.DataFrame, None]:
    """Yearly log(1 + trade in US$ million) of every dyad of ``a`` or ``b`` from the IMF DOTS all-reporters
    file (1960-2020; one source throughout, so no splice falls inside a window): the mean of the two sides'
    reports of the pair's total goods trade where both report."""
    src = "imf_dots_all_reporters_1960_2020"
    store.require(src)
    df = store.con.execute(
        """SELECT year, least(reporter, partner) AS a, greatest(reporter, partner) AS b,
                  avg(coalesce(exports_usd, 0) + coalesce(imports_usd, 0)) AS usd
           FROM trade WHERE source = $s AND (reporter IN ($x, $y) OR partner IN ($x, $y))
             AND (exports_usd IS NOT NULL OR imports_usd IS NOT NULL) GROUP BY ALL""",
        {"s": src, "x": a, "y": b}).df()
    return df.assign(value=np.log1p(df.usd / 1e6)), None


#: long-frame builders of the relational indicators: ``(frame, grid or None)``.
RELATIONAL = {"events_conflict": _graph_conflict, "icews_conflict": _icews_conflict, "mids": _mid_hostility,
              "trade": _trade_frame}


def daily_graph(store: Store, a: str, b: str) -> pd.Series:
    """Daily score of a pair in the GDELT daily country graph: NA on uncovered days, 0 on covered days
    without a score for the pair."""
    from dyadic.indicators.events import GRAPH

    store.require(GRAPH)
    lo, hi = sorted([a, b])
    df = store.con.execute(
        """SELECT c.day, g.score FROM (SELECT DISTINCT day FROM event_coverage WHERE source = $s) c
           LEFT JOIN event_graph_daily g ON g.date = c.day AND g.source = $s AND g.a = $a AND g.b = $b
           ORDER BY c.day""", {"s": GRAPH, "a": lo, "b": hi}).df()
    s = pd.Series(df.score.fillna(0.0).to_numpy(), index=pd.to_datetime(df.day))
    full = pd.date_range(s.index.min(), s.index.max(), freq="D") if len(s) else s.index
    return s.reindex(full)


def event_study(store: Store, a: str, b: str, at: str, indicators: list[str] | None = None,
                before: int | None = None, after: int | None = None, seed: int = 0, level: float = 0.9,
                n_boot: int = 2000, inputs=None) -> tuple[pd.DataFrame, list[str]]:
    """Event study (:class:`EventStudy`) of a pair for each indicator that has data on both sides of ``at``.

    ``seed`` and ``n_boot`` are accepted for compatibility and unused (placebo dates, not a bootstrap).
    ``inputs(store, a, b, indicator)`` reads an indicator's :class:`StudyInputs` (default
    :func:`study_inputs`); a caller studying many dates of one pair passes a cached reader, since the inputs
    do not depend on the date.

    Returns:
        (one row per indicator: effect, interval, verdict and its reason, comparison set, placebo band,
        windows, evidence; a list of 'not measured' notes).
    """
    from dyadic.errors import DyadicError

    rows, missing = [], []
    for ind in indicators or ["unga_agree", "events_month"]:
        freq, direction, label = INDICATORS.get(ind, (None, 1, ind))
        try:
            inp = (inputs or study_inputs)(store, a, b, ind)
            es = EventStudy(before=before, after=after, level=level, direction=direction,
                            donut=ind in WITHIN_YEAR).fit(
                inp.series, at, freq, ind, comparison=inp.comparison, se=inp.se, comparison_se=inp.comparison_se)
        except DyadicError as exc:
            missing.append(f"{a}–{b} {ind} at {at}: {exc}")
            continue
        r = es.result_.as_dict()
        r.update(pair=f"{a}–{b}", label=label, freq=freq)
        rows.append(r)
    return pd.DataFrame(rows, columns=STUDY_COLUMNS), missing


def shock_verdict(rows: pd.DataFrame, indicators: tuple[str, ...] = BILATERAL) -> tuple[str, str]:
    """The pair's answer from its bilateral indicators' event studies (rows of :func:`event_study`).

    *closer* / *apart* when at least one indicator gives that verdict and none gives the other; *cannot tell*
    when they disagree or none is decisive; *undetermined* when none has an estimate (not measured). The
    reason names the indicators behind the answer.
    """
    r = rows[rows.indicator.isin(indicators)] if len(rows) else rows
    if not len(r) or r.effect.isna().all():
        return "undetermined", "no bilateral indicator covers both sides of the date"
    said = {v: sorted(r.indicator[r.verdict == v]) for v in ("closer", "apart")}
    if said["closer"] and said["apart"]:
        return "cannot tell", f"indicators disagree: closer on {', '.join(said['closer'])}, apart on " \
                              f"{', '.join(said['apart'])}"
    for v in ("closer", "apart"):
        if said[v]:
            rest = sorted(set(r.indicator[r.effect.notna()]) - set(said[v]))
            return v, f"{v} on {', '.join(said[v])}" + (f"; no verdict on {', '.join(rest)}" if rest else "")
    return "cannot tell", "no bilateral indicator is decisive (" + "; ".join(
        f"{i}: {why}" for i, why in zip(r.indicator[r.effect.notna()], r.reason[r.effect.notna()])) + ")"


#: columns of :func:`event_study` (the first fifteen are those of the earlier trend method).
STUDY_COLUMNS = ["pair", "indicator", "label", "freq", "at", "n_before", "n_after", "before_mean", "after_mean",
                 "effect", "lo", "hi", "level", "trend", "verdict", "reason", "window", "raw_change",
                 "comparison_change", "n_comparison", "comparison_sd", "n_placebo", "placebo_lo", "placebo_hi",
                 "sampling_se", "windows", "evidence"]


def breaks(store: Store, a: str, b: str, indicators: list[str] | None = None, beta: float = 2.0,
           events: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Change points (and, for daily series, spikes) of a pair's indicators, matched to dated events: the
    pair's own curated dates unless ``events`` (``date``, ``label``) are given.

    Returns:
        (one row per break/spike: indicator, kind, date, before, after, size, event, event_date,
        days_off; 'not measured' notes).
    """
    from dyadic.errors import DyadicError

    out, missing = [], []
    events = key_dates([(a, b)]) if events is None else events
    for ind in indicators or ["unga_agree", "events_month", "events_day"]:
        freq = INDICATORS.get(ind, ("year",))[0]
        try:
            s = indicator_series(store, a, b, ind)
        except DyadicError as exc:
            missing.append(f"{a}–{b} {ind}: {exc}")
            continue
        min_size = {"year": 3, "month": 3, "day": 14}[freq]
        cp = ChangePoints(beta=beta, min_size=min_size, jump=1 if freq != "day" else 5).fit(s)
        br = match_events(cp.predict(), freq, events).assign(indicator=ind, kind="break", penalty=cp.penalty_)
        out.append(br)
        if freq == "day":
            sp = spikes(s).rename(columns={"value": "after"}).assign(size=lambda d: d["after"])
            out.append(match_events(sp, freq, events).assign(indicator=ind, kind="spike"))
    cols = ["indicator", "kind", "date", "before", "after", "size", "size_sd", "z", "event", "event_date",
            "days_off", "penalty"]
    if not out:
        return pd.DataFrame(columns=cols), missing
    df = pd.concat([o for o in out if len(o)], ignore_index=True) if any(len(o) for o in out) else \
        pd.DataFrame(columns=cols)
    for c in cols:
        if c not in df.columns:
            df[c] = np.nan
    df["date"] = [str(d) if isinstance(d, (int, np.integer)) else str(pd.Timestamp(d).date()) for d in df.date]
    df.insert(0, "pair", f"{a}–{b}")
    return df[["pair", *cols]], missing
