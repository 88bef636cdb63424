"""Shocks: did a dated event move a pair closer or apart, and where does a pair's series break?

Two estimators, in the style of ruptures (small objects, ``fit`` then ``predict``):

- :class:`EventStudy`: before/after windows around a date, a counterfactual from the pre-period linear
  trend, and a residual-bootstrap interval for the effect (the mean gap between the observed post-period
  and the counterfactual). Each indicator has a direction (higher = closer, or lower = closer), so the
  verdict is *closer*, *apart* or *cannot tell* (the interval covers zero).
- :class:`ChangePoints`: ruptures PELT (L2 cost, i.e. shifts in the mean) with a BIC-type penalty
  ``pen = beta * sigma^2 * log(n)`` where ``sigma`` is a robust (MAD of first differences) noise scale;
  each break is reported with its date and size and matched to the nearest dated event of
  ``data/key_dates.csv``. Daily series also get *spikes*: days whose robust z-score exceeds a threshold.

Series come from the indicator layer: UNGA agreement (yearly), trade (yearly, when ingested), and the
GDELT daily country graph (monthly or daily). See docs/methods/shocks.md for windows, rules and tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dyadic.errors import RequestError
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

#: default windows by resolution: (periods before, periods after).
DEFAULT_WINDOWS = {"year": (8, 3), "month": (24, 12), "day": (90, 30)}

#: indicator -> (resolution, +1 if higher means closer / -1 if lower means closer, label).
INDICATORS = {
    "unga_agree": ("year", 1, "UNGA share of identical votes"),
    "unga_s": ("year", 1, "UNGA S-score"),
    "trade": ("year", 1, "bilateral trade (log US$)"),
    "events_month": ("month", 1, "GDELT daily-graph score, mean per covered day in the month"),
    "events_day": ("day", 1, "GDELT daily-graph score per day"),
}


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


@dataclass
class EventStudyResult:
    indicator: str
    at: str
    effect: float  # mean(observed - counterfactual) over the after window, in the indicator's units
    lo: float
    hi: float
    verdict: str  # closer / apart / cannot tell
    n_before: int
    n_after: int
    before_mean: float
    after_mean: float
    trend: bool
    level: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class EventStudy:
    """Before/after comparison against the pre-period trend, with a residual-bootstrap interval.

    Args:
        before: periods in the before window (default by resolution, :data:`DEFAULT_WINDOWS`).
        after: periods in the after window.
        trend: extrapolate a linear pre-period trend (needs 4+ before points); else the pre-period mean.
        level: interval coverage (0.9 = a 90% interval).
        n_boot: bootstrap replicates.
        seed: random seed (runs with the same seed are identical).
        direction: +1 when higher values mean closer, -1 when lower values do.
    """

    before: int | None = None
    after: int | None = None
    trend: bool = True
    level: float = 0.9
    n_boot: int = 2000
    seed: int = 0
    direction: int = 1
    result_: EventStudyResult | None = field(default=None, repr=False)
    frame_: pd.DataFrame | None = field(default=None, repr=False)

    def fit(self, series: pd.Series, at: str | pd.Timestamp, freq: str, name: str = "series") -> "EventStudy":
        """Estimate the effect of the event at ``at`` on ``series``.

        Args:
            series: values indexed by year (int) for ``freq='year'``, by period start (Timestamp) otherwise;
                missing values are dropped, never filled.
            at: the event's date.
            freq: ``year``, ``month`` or ``day``.
            name: the indicator's name, carried into the result.

        Returns:
            self, with ``result_`` and ``frame_`` (period, value, window, counterfactual).
        """
        if freq not in DEFAULT_WINDOWS:
            raise RequestError(f"freq must be year, month or day, not '{freq}'")
        at = pd.Timestamp(at)
        nb, na = DEFAULT_WINDOWS[freq]
        nb, na = self.before or nb, self.after or na
        s = series.dropna().astype(float)
        cut, pos = _period_pos(s.index, at, freq)
        rel = pos - cut  # 0 = the first after-period
        pre = (rel < 0) & (rel >= -nb)
        post = (rel >= 0) & (rel < na)
        x_pre, y_pre = rel[pre], s.to_numpy()[pre]
        x_post, y_post = rel[post], s.to_numpy()[post]
        if len(y_pre) < 2 or len(y_post) < 1:
            raise RequestError(f"{name}: too few observations around {at.date()} ({len(y_pre)} before, "
                               f"{len(y_post)} after; windows {nb}/{na} {freq}s)")
        use_trend = self.trend and len(y_pre) >= 4
        effect, cf_pre, cf_post, resid = self._estimate(x_pre, y_pre, x_post, y_post, use_trend)
        rng = np.random.default_rng(self.seed)
        # Null replicates: counterfactual + resampled pre-period residuals, re-estimated; the spread of
        # their effects is the sampling error of the estimate (trend uncertainty and post-period noise).
        resid = resid - resid.mean()
        scale = np.sqrt(len(resid) / max(len(resid) - (2 if use_trend else 1), 1))
        e = rng.choice(resid, size=(len(x_pre) + len(x_post), self.n_boot), replace=True) * scale
        draws = self._effects(x_pre, cf_pre[:, None] + e[: len(x_pre)], x_post,
                              cf_post[:, None] + e[len(x_pre):], use_trend)
        alpha = (1 - self.level) / 2
        q_lo, q_hi = np.quantile(draws, [alpha, 1 - alpha])
        lo, hi = effect - q_hi, effect - q_lo
        signed_lo, signed_hi = sorted((lo * self.direction, hi * self.direction))
        verdict = "closer" if signed_lo > 0 else "apart" if signed_hi < 0 else "cannot tell"
        self.result_ = EventStudyResult(
            indicator=name, at=str(at.date()), effect=float(effect), lo=float(lo), hi=float(hi), verdict=verdict,
            n_before=int(len(y_pre)), n_after=int(len(y_post)), before_mean=float(y_pre.mean()),
            after_mean=float(y_post.mean()), trend=use_trend, level=self.level)
        frame = pd.DataFrame({"period": s.index, "value": s.to_numpy(), "window": np.where(pre, "before", np.where(
            post, "after", "outside"))})
        frame["counterfactual"] = np.nan
        frame.loc[pre, "counterfactual"] = cf_pre
        frame.loc[post, "counterfactual"] = cf_post
        self.frame_ = frame
        return self

    @staticmethod
    def _estimate(x_pre, y_pre, x_post, y_post, use_trend):
        if use_trend:
            slope, icpt = np.polyfit(x_pre, y_pre, 1)
        else:
            slope, icpt = 0.0, y_pre.mean()
        cf_pre, cf_post = icpt + slope * x_pre, icpt + slope * x_post
        return float(np.mean(y_post - cf_post)), cf_pre, cf_post, y_pre - cf_pre

    @staticmethod
    def _effects(x_pre, Y_pre, x_post, Y_post, use_trend) -> np.ndarray:
        """Effects of many replicate series at once (columns of ``Y_pre`` / ``Y_post``)."""
        if use_trend:
            X = np.column_stack([np.ones_like(x_pre), x_pre])
            coef = np.linalg.pinv(X) @ Y_pre
            cf = coef[0] + np.outer(x_post, coef[1])
        else:
            cf = Y_pre.mean(axis=0)[None, :]
        return (Y_post - cf).mean(axis=0)

    def predict(self) -> pd.DataFrame:
        """The fitted frame: period, value, window (before/after/outside) and the counterfactual."""
        if self.frame_ is None:
            raise RequestError("call fit() first")
        return self.frame_


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


def key_dates(pair: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The curated dated events (``data/key_dates.csv``): date, label, pair, citation."""
    kd = packaged_csv("key_dates.csv")
    kd["date"] = pd.to_datetime(kd["date"])
    return kd.sort_values("date").reset_index(drop=True)


#: a break is matched to an event only within this many days of the middle of its first period.
MATCH_DAYS = {"year": 366, "month": 45, "day": 21}


def match_events(breaks: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Add the nearest curated event to each break: ``event``, ``event_date``, ``days_off`` (event date
    minus the middle of the break's first period); blank when none lies within :data:`MATCH_DAYS`."""
    kd = key_dates()
    out = breaks.copy()
    if out.empty or kd.empty:
        return out.assign(event=pd.Series(dtype=object), event_date=pd.Series(dtype=object),
                          days_off=pd.Series(dtype=float))
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
    if indicator.startswith("unga_"):
        from dyadic.indicators.unga import VoteSelection, pair_series

        # One source throughout (the UN Digital Library, 1946-): the default splice at 2020 would put a
        # change of source inside the windows of every recent event.
        df = pair_series(store, a, b, VoteSelection(source="undl"))
        return df.set_index("year")[indicator.removeprefix("unga_")].astype(float)
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
                n_boot: int = 2000) -> tuple[pd.DataFrame, list[str]]:
    """Event study of a pair for each indicator that has data around ``at``.

    Returns:
        (one row per indicator: effect, interval, verdict, windows; a list of 'not measured' notes).
    """
    from dyadic.errors import DyadicError

    rows, missing = [], []
    for ind in indicators or ["unga_agree", "events_month"]:
        freq, direction, label = INDICATORS.get(ind, (None, 1, ind))
        try:
            s = indicator_series(store, a, b, ind)
            es = EventStudy(before=before, after=after, seed=seed, level=level, n_boot=n_boot,
                            direction=direction).fit(s, at, freq, ind)
        except DyadicError as exc:
            missing.append(f"{a}–{b} {ind} at {at}: {exc}")
            continue
        r = es.result_.as_dict()
        r.update(pair=f"{a}–{b}", label=label, freq=freq)
        rows.append(r)
    cols = ["pair", "indicator", "label", "freq", "at", "n_before", "n_after", "before_mean", "after_mean",
            "effect", "lo", "hi", "level", "trend", "verdict"]
    return pd.DataFrame(rows, columns=cols), missing


def breaks(store: Store, a: str, b: str, indicators: list[str] | None = None, beta: float = 2.0
           ) -> tuple[pd.DataFrame, list[str]]:
    """Change points (and, for daily series, spikes) of a pair's indicators, matched to dated events.

    Returns:
        (one row per break/spike: indicator, kind, date, before, after, size, event, event_date,
        days_off; 'not measured' notes).
    """
    from dyadic.errors import DyadicError

    out, missing = [], []
    for ind in indicators or ["unga_agree", "events_month", "events_day"]:
        freq = INDICATORS.get(ind, ("year",))[0]
        try:
            s = indicator_series(store, a, b, ind)
        except DyadicError as exc:
            missing.append(f"{a}–{b} {ind}: {exc}")
            continue
        min_size = {"year": 3, "month": 3, "day": 14}[freq]
        cp = ChangePoints(beta=beta, min_size=min_size, jump=1 if freq != "day" else 5).fit(s)
        br = match_events(cp.predict(), freq).assign(indicator=ind, kind="break", penalty=cp.penalty_)
        out.append(br)
        if freq == "day":
            sp = spikes(s).rename(columns={"value": "after"}).assign(size=lambda d: d["after"])
            out.append(match_events(sp, freq).assign(indicator=ind, kind="spike"))
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
