"""The strategic triangle: signed ties with uncertainty, Dittmer's configurations, balance and what-ifs.

A tie (docs/methods/triangle.md; settings in ``[triangle]`` of ``data/drivers.toml``) is amity minus enmity,
in [-1, 1], from four pieces of evidence per dyad-year, each scaled to [0, 1]:

- enmity: a Thompson–Dreyer strategic rivalry in force (``rivalry``) and the share of the last ``mid_window``
  years with a militarized dispute (COW MID 5.0, ``mids``);
- amity: the strongest alliance pledge the pair shares (ATOP 5.1 + curated treaties, ``pledges``: defence or
  offence 1, other pledges ``other_pledge``, times ``multilateral_weight`` when shared only multilaterally) and
  UN alignment (``alignment``: ``max(0, 1 - 2F(d))``, F the share of the year's dyads whose published BSV
  ideal-point distance is below the pair's, so only pairs closer than the median dyad gain amity).

``tie = sum(amity weights * amity) - sum(enmity weights * enmity)``. Each piece is an interval: exact where
measured, widened over the source's median spell length where carried past its last year, and its whole
range [0, 1] where not measured (BSV's 90% posterior intervals give the alignment's). A tie's sign is named
only when its whole interval is clear of the neutral band ``|tie| <= neutral_band``; else it is *neutral*
(inside the band) or *uncertain* (straddling its edge), and the configuration is *indeterminate*, naming the tie.

Dittmer (1981) configurations from the three signs:

- ``ménage à trois``: + + + (every state a friend of both others);
- ``romantic triangle``: + + - (the *pivot* is positive with both *wings*, which are hostile to each other);
- ``stable marriage``: + - - (two *partners* against the *outcast*);
- ``unit veto``: - - - (each against both).

Structural balance (Heider; Cartwright & Harary 1956): a triangle is balanced when the product of its signs is
positive (ménage à trois, stable marriage); ``balance`` = product of the three tie estimates, in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping

import numpy as np
import pandas as pd

from dyadic.dyad import Triad
from dyadic.errors import NotIngestedError, RequestError
from dyadic.framework.drivers import DriverScores, load_config
from dyadic.indicators.ideal import distance_interval
from dyadic.store import Store

CONFIGS = {3: "ménage à trois", 2: "romantic triangle", 1: "stable marriage", 0: "unit veto"}
INDETERMINATE = "indeterminate"
ENMITY = ("rivalry", "mids")
AMITY = ("pledges", "alignment", "arms")
COMPONENTS = (*ENMITY, *AMITY)
#: defaults of ``[triangle]`` (drivers.toml holds the same values with the reasoning)
DEFAULTS = {"weights": {"rivalry": 0.4, "mids": 0.2, "pledges": 0.25, "alignment": 0.15, "arms": 0.2},
            "neutral_band": 0.1, "mid_window": 5, "other_pledge": 0.5, "multilateral_weight": 0.5, "arms_full": 0.5}


def dyad_key(x: str, y: str) -> str:
    return "-".join(sorted([x, y]))


# ------------------------------------------------------------------------------------------ settings, ties


@dataclass(frozen=True)
class TieSettings:
    """The tie rule's parameters (``[triangle]`` in drivers.toml)."""

    weights: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULTS["weights"]))
    band: float = DEFAULTS["neutral_band"]
    mid_window: int = DEFAULTS["mid_window"]
    other_pledge: float = DEFAULTS["other_pledge"]
    multilateral_weight: float = DEFAULTS["multilateral_weight"]
    arms_full: float = DEFAULTS["arms_full"]

    @classmethod
    def from_config(cls, cfg: Mapping | None) -> TieSettings:
        cfg = dict(cfg or {})
        w = {**DEFAULTS["weights"], **dict(cfg.get("weights", {}))}
        s = cls(weights=w, band=float(cfg.get("neutral_band", DEFAULTS["neutral_band"])),
                mid_window=int(cfg.get("mid_window", DEFAULTS["mid_window"])),
                other_pledge=float(cfg.get("other_pledge", DEFAULTS["other_pledge"])),
                multilateral_weight=float(cfg.get("multilateral_weight", DEFAULTS["multilateral_weight"])),
                arms_full=float(cfg.get("arms_full", DEFAULTS["arms_full"])))
        s.check()
        return s

    def check(self) -> None:
        bad = set(self.weights) - set(COMPONENTS)
        if bad or any(v < 0 for v in self.weights.values()):
            raise RequestError(f"[triangle] weights must be non-negative and name {', '.join(COMPONENTS)}")
        # each side at most 1 keeps every tie in [-1, 1]
        if sum(self.weights[c] for c in ENMITY) > 1 + 1e-9 or sum(self.weights[c] for c in AMITY) > 1 + 1e-9:
            raise RequestError("[triangle] the enmity weights and the amity weights must each sum to at most 1")
        if not 0 <= self.band < 1 or self.mid_window < 1 or not 0 < self.arms_full <= 1:
            raise RequestError("[triangle] neutral_band must be in [0, 1), mid_window at least 1 and arms_full "
                               "in (0, 1]")


@dataclass(frozen=True)
class Tie:
    """One tie: its estimate and the interval the evidence allows (both in [-1, 1])."""

    value: float
    lo: float
    hi: float

    @classmethod
    def of(cls, v: Tie | float | None) -> Tie:
        """A plain number is an exactly known tie; a missing one could be anything."""
        if isinstance(v, Tie):
            return v
        if v is None or np.isnan(v):
            return cls(float("nan"), -1.0, 1.0)
        return cls(float(v), float(v), float(v))

    def shifted(self, delta: float) -> Tie:
        clip = lambda x: float(np.clip(x, -1, 1))
        return Tie(clip(self.value + delta) if not np.isnan(self.value) else self.value,
                   clip(self.lo + delta), clip(self.hi + delta))

    def status(self, band: float) -> str:
        """``positive`` / ``negative`` when the whole interval is clear of the band, ``neutral`` when it lies
        inside it, ``uncertain`` when it straddles an edge, ``not measured`` without an estimate."""
        if np.isnan(self.value):
            return "not measured"
        if self.lo > band:
            return "positive"
        if self.hi < -band:
            return "negative"
        if self.lo >= -band and self.hi <= band:
            return "neutral"
        return "uncertain"

    def sign(self, band: float) -> int:
        return {"positive": 1, "negative": -1}.get(self.status(band), 0)

    def __str__(self) -> str:
        return "n/a" if np.isnan(self.value) else f"{self.value:+.2f} [{self.lo:+.2f},{self.hi:+.2f}]"


# --------------------------------------------------------------------------------------------- classifier


@dataclass
class Configuration:
    name: str  # one of CONFIGS' values or INDETERMINATE
    positions: dict[str, str]  # state -> pivot / wing / partner / outcast / friend / adversary ("" if none)
    balanced: bool | None
    balance: float
    signs: dict[str, int]
    uncertain: dict[str, str] = field(default_factory=dict)  # dyad -> its status when it has no sign

    @property
    def reason(self) -> str:
        """The ties without a sign: ``"CHN-USA neutral; CHN-RUS uncertain"`` ("" when named)."""
        return "; ".join(f"{k} {v}" for k, v in self.uncertain.items())


def configure(states: tuple[str, str, str], ties: Mapping[str, Tie | float], band: float = 0.0) -> Configuration:
    """Dittmer's configuration of one triangle.

    Args:
        states: the three state codes.
        ties: ``"A-B"`` (codes sorted) -> :class:`Tie` or a number (exactly known); missing allowed.
        band: a tie is signed only when its whole interval lies beyond ``±band``.

    Returns:
        The :class:`Configuration`; ``indeterminate`` (naming the ties without a sign) unless all three are signed.
    """
    x, y, z = states
    keys = [dyad_key(p, q) for p, q in ((x, y), (x, z), (y, z))]
    tie = {k: Tie.of(ties.get(k)) for k in keys}
    signs = {k: tie[k].sign(band) for k in keys}
    vals = [tie[k].value for k in keys]
    balance = float(np.prod(vals)) if not any(np.isnan(v) for v in vals) else float("nan")
    if 0 in signs.values():
        why = {k: tie[k].status(band) for k in keys if signs[k] == 0}
        return Configuration(INDETERMINATE, {s: "" for s in states}, None, balance, signs, why)
    npos = sum(1 for v in signs.values() if v > 0)
    pos: dict[str, str] = {}
    for s in states:
        mine = [signs[dyad_key(s, o)] for o in states if o != s]
        if npos == 3:
            pos[s] = "friend"
        elif npos == 0:
            pos[s] = "adversary"
        elif npos == 2:
            pos[s] = "pivot" if all(v > 0 for v in mine) else "wing"
        else:
            pos[s] = "outcast" if all(v < 0 for v in mine) else "partner"
    return Configuration(CONFIGS[npos], pos, bool(np.prod(list(signs.values())) > 0), balance, signs)


# ------------------------------------------------------------------------------------------------ evidence

#: years of a pair's own measured record that bound its disputes in years the MID data do not reach.
DISPUTE_RECORD = 20


def _rivalry_onset_rate(store: Store, last: int, first: int = 1946) -> float:
    """Thompson-Dreyer rivalries begun per pair-year of system members, ``first``-``last`` (an upper bound:
    the denominator counts pairs already rivals)."""
    onsets, pair_years = store.con.execute(
        """WITH y AS (SELECT range AS year FROM range(?, ? + 1)),
                n AS (SELECT y.year, count(DISTINCT s.code) AS k FROM y JOIN state_spells s
                      ON y.year BETWEEN year(s.start) AND year(s."end") GROUP BY y.year)
           SELECT (SELECT count(*) FROM rivalries WHERE styear BETWEEN ? AND ?), sum(k * (k - 1) / 2) FROM n""",
        [first, last, first, last]).fetchone()
    return float(onsets) / float(pair_years) if pair_years else 1.0


def _unmeasured_dispute_bound(record: np.ndarray, unmeasured: int) -> float:
    """Upper bound of the chance of at least one dispute in ``unmeasured`` years: 1 - (1 - r)^u with r the
    95% Jeffreys upper bound of the pair's yearly dispute rate over its last :data:`DISPUTE_RECORD` measured
    years (``record``: 1/0 per year, NaN unmeasured). No record at all leaves the whole range."""
    from scipy.special import betaincinv  # beta.ppf, without importing scipy.stats

    if unmeasured <= 0:
        return 0.0
    seen = record[~np.isnan(record)][-DISPUTE_RECORD:]
    if not len(seen):
        return 1.0
    h = float(seen.sum())
    r = float(betaincinv(h + 0.5, len(seen) - h + 0.5, 0.95))
    return float(1 - (1 - r) ** unmeasured)



class TieModel:
    """Signed ties with intervals for a few pairs: ``fit`` reads the evidence from a store, ``predict`` weighs it.

    ``evidence_`` (after fit): one row per dyad-year with, for each component, ``<c>`` (estimate), ``<c>_lo``,
    ``<c>_hi`` (all in [0, 1]), ``<c>_as_of`` (the year the value stands on, missing when not measured) and
    ``<c>_note`` (why it is not measured or how it was carried, "" when measured that year).
    """

    def __init__(self, settings: TieSettings | None = None):
        self.settings = settings or TieSettings()

    def fit(self, store: Store, pairs: list[tuple[str, str]], start: int, end: int) -> TieModel:
        from dyadic.indicators.panel import create_dyadyears

        if start > end:
            raise RequestError(f"start year {start} is after end year {end}")
        self.start_, self.end_ = start, end
        first = max(1816, start - self.settings.mid_window + 1)  # the dispute window reaches back
        panel = create_dyadyears(store, first, end, pairs=[f"{x}-{y}" for x, y in pairs])
        d = panel.data.copy()
        d["a"], d["b"] = d["a"].astype(str), d["b"].astype(str)
        d["dyad"] = [dyad_key(x, y) for x, y in zip(d.a, d.b)]
        d["year"] = d["year"].astype(int)
        parts = [self._rivalry(store, panel), self._mids(store, panel), self._pledges(store, panel),
                 self._alignment(store, d), self._arms(store, panel)]
        ev = d[["year", "dyad", "a", "b"]]
        for p in parts:
            ev = pd.concat([ev.reset_index(drop=True), p.reset_index(drop=True)], axis=1)
        self.evidence_ = ev[(ev.year >= start) & (ev.year <= end)].reset_index(drop=True)
        return self

    # each component returns a frame aligned with the panel rows: <c>, <c>_lo, <c>_hi, <c>_as_of, <c>_note

    @staticmethod
    def _unknown(name: str, n: int, note: str) -> pd.DataFrame:
        return pd.DataFrame({name: np.zeros(n), f"{name}_lo": np.zeros(n), f"{name}_hi": np.ones(n),
                             f"{name}_as_of": np.full(n, np.nan), f"{name}_note": [note] * n})

    @staticmethod
    def _frame(name: str, point, lo, hi, as_of, note) -> pd.DataFrame:
        return pd.DataFrame({name: np.asarray(point, float), f"{name}_lo": np.asarray(lo, float),
                             f"{name}_hi": np.asarray(hi, float), f"{name}_as_of": np.asarray(as_of, float),
                             f"{name}_note": list(note)})

    def _rivalry(self, store: Store, panel) -> pd.DataFrame:
        from dyadic.indicators.conflict import add_rivalries, rivalry_years

        n = len(panel.data)
        try:
            data = add_rivalries(panel, store, carry_forward=True).data
        except NotIngestedError:
            return self._unknown("rivalry", n, "rivalry not measured (strategic_rivalries_td not ingested)")
        _, last = rivalry_years(store)
        # carried values fade over the median length of a Thompson-Dreyer rivalry that ended (read from the data)
        horizon = float(store.con.execute("SELECT median(endyear - styear + 1) FROM rivalries "
                                          "WHERE endyear < (SELECT max(endyear) FROM rivalries)").fetchone()[0])
        year = data["year"].to_numpy(int)
        v = data["td_rivalry"].to_numpy(dtype=float, na_value=np.nan)
        after = year > last
        v = np.where(after & np.isnan(v), 0.0, v)  # no rivalry at the last year: carried as none, fading alike
        fade = np.clip((year - last) / horizon, 0, 1) * after
        # A rivalry in force may end (over the median length of one); a pair without one may start one, at
        # the rate rivalries began among all pairs of system members 1946-last (read from the data): ending
        # and starting are not equally likely, so the two bounds widen at their own rates.
        onset = store.cached(("triangle.rivalry_onset", last), lambda: _rivalry_onset_rate(store, last))
        start_p = np.where(after, 1 - (1 - onset) ** np.clip(year - last, 0, None), 0.0)
        lo = np.where(v == 1, 1 - fade, 0.0)
        hi = np.where(v == 1, 1.0, start_p)
        note = np.where(after, f"rivalry carried from Thompson–Dreyer's last year ({last}): an ongoing one "
                               f"widened over {horizon:.0f} years, none widened by the onset rate "
                               f"({onset:.2g} a pair-year)", "")
        return self._frame("rivalry", v, lo, hi, np.minimum(year, last), note)

    def _mids(self, store: Store, panel) -> pd.DataFrame:
        from dyadic.indicators.conflict import add_mids, mid_years

        n = len(panel.data)
        try:
            data = add_mids(panel, store, dataset="cow").data
        except NotIngestedError:
            return self._unknown("mids", n, "disputes not measured (mids_cow_gml not ingested)")
        _, last = mid_years(store, "cow")
        w = self.settings.mid_window
        year = data["year"].to_numpy(int)
        on = data["mid_ongoing"].to_numpy(dtype=float, na_value=np.nan)
        dy = (data["a"].astype(str) + "-" + data["b"].astype(str)).to_numpy()
        out = {k: np.zeros(n) for k in ("p", "lo", "hi")}
        as_of, note = np.full(n, np.nan), np.full(n, "", dtype=object)
        for key in np.unique(dy):
            idx = np.flatnonzero(dy == key)
            ys, vs = year[idx], on[idx]
            for j, i in enumerate(idx):
                win = (ys > ys[j] - w) & (ys <= ys[j])  # the years of the window both were system members
                seen = win & ~np.isnan(vs)
                n_in, k, h = int(win.sum()), int(seen.sum()), float(np.nansum(vs[win]))
                # one dispute in the window marks the pair as adversaries for the window (a threat, display or
                # use of force is no minor item); an unmeasured year could hold one: it widens, it does not move
                hit = float(h > 0)
                out["lo"][i], out["hi"][i] = hit, max(hit, _unmeasured_dispute_bound(vs[ys <= ys[j]], n_in - k))
                out["p"][i] = hit
                as_of[i] = ys[seen].max() if k else np.nan
                if k < n_in:
                    note[i] = f"disputes not measured in part of the {w}-year window (COW MID 5.0 ends {last})"
        return self._frame("mids", out["p"], out["lo"], out["hi"], as_of, note)

    def _pledges(self, store: Store, panel) -> pd.DataFrame:
        from dyadic.indicators.obligations import add_obligations, carry_label

        n = len(panel.data)
        try:
            data = add_obligations(panel, store, carry_forward=True).data
        except NotIngestedError:
            return self._unknown("pledges", n, "pledges not measured (alliances_atop_levels and "
                                               "treaties_after_sources not ingested)")
        horizon = float(store.con.execute("SELECT median(exit_year - entry_year + 1) FROM atop_members "
                                          "WHERE exit_year IS NOT NULL").fetchone()[0])
        f = {c: data[f"oblig_{c}"].to_numpy(dtype=float, na_value=np.nan)
             for c in ("defense", "offense", "nonagg", "consult", "neutral", "bilateral", "multilateral")}
        known = ~np.all([np.isnan(f[c]) for c in ("defense", "offense", "nonagg", "consult", "neutral")], axis=0)
        strong = (np.nan_to_num(f["defense"]) + np.nan_to_num(f["offense"])) > 0
        other = (np.nan_to_num(f["nonagg"]) + np.nan_to_num(f["consult"]) + np.nan_to_num(f["neutral"])) > 0
        p = np.where(strong, 1.0, np.where(other, self.settings.other_pledge, 0.0))
        multi_only = (np.nan_to_num(f["multilateral"]) > 0) & (np.nan_to_num(f["bilateral"]) == 0)
        p = np.where(multi_only, p * self.settings.multilateral_weight, p)  # as in nature.py's weighting
        year = data["year"].to_numpy(int)
        as_of = data["oblig_as_of"].to_numpy(dtype=float, na_value=np.nan)
        basis = data["oblig_basis"].astype(object).fillna("").to_numpy()
        carried = np.array([carry_label(store) in str(b) for b in basis]) if known.any() else np.zeros(n, bool)
        fade = np.where(carried, np.clip((year - as_of) / horizon, 0, 1), 0.0)
        lo = np.where(known, p * (1 - np.nan_to_num(fade)), 0.0)  # a carried pledge may have lapsed
        hi = np.where(known, p, 1.0)
        note = np.where(~known, "pledges not measured (after ATOP's last year, no carried or curated instrument)",
                        np.where(carried, f"pledges carried: {carry_label(store)}", ""))
        return self._frame("pledges", np.where(known, p, 0.0), lo, hi, np.where(known, as_of, np.nan), note)

    def _alignment(self, store: Store, d: pd.DataFrame) -> pd.DataFrame:
        from dyadic.indicators.ideal import PUBLISHED, published_positions

        n = len(d)
        if not store.has_source(PUBLISHED):
            return self._unknown("alignment", n, f"alignment not measured ({PUBLISHED} not ingested)")
        pos = published_positions(store, int(d.year.min()), int(d.year.max()))
        point, lo, hi = np.zeros(n), np.zeros(n), np.ones(n)
        as_of, note = np.full(n, np.nan), np.full(n, "", dtype=object)
        for yr, g in pos.groupby("year"):
            rows = np.flatnonzero(d.year.to_numpy() == yr)
            if not len(rows):
                continue
            x = g.ideal.to_numpy(float)
            # the reference set: every pair of states with a published position that year
            ref = np.sort(np.abs(x[:, None] - x[None, :])[np.triu_indices(len(x), 1)])
            share = lambda v, ref=ref: np.searchsorted(ref, v, side="left") / len(ref)
            by = g.set_index("code")
            for i in rows:
                a, b = d.a.iat[i], d.b.iat[i]
                if a not in by.index or b not in by.index:
                    continue
                ra, rb = by.loc[a], by.loc[b]
                dist = abs(ra.ideal - rb.ideal)
                dlo, dhi = distance_interval(ra.q5, ra.q95, rb.q5, rb.q95)
                point[i] = max(0.0, 1 - 2 * share(dist))
                lo[i], hi[i] = max(0.0, 1 - 2 * share(dhi)), max(0.0, 1 - 2 * share(dlo))
                as_of[i] = yr
        missing = np.isnan(as_of)
        note[missing] = "alignment not measured (a side has no published BSV ideal point that year)"
        return self._frame("alignment", point, lo, hi, as_of, note)

    def _arms(self, store: Store, panel) -> pd.DataFrame:
        from dyadic.indicators.arms import arms_flows, arms_years

        d = panel.data
        n = len(d)
        if not store.has_source("sipri_arms_transfers"):
            return self._unknown("arms", n, "arms transfers not measured (sipri_arms_transfers not ingested)")
        lo_y, hi_y = arms_years(store)
        w, full = self.settings.mid_window, self.settings.arms_full
        flows = arms_flows(store, max(lo_y, panel.start - w + 1), min(hi_y, panel.end)).dropna(
            subset=["recipient"])
        imports = flows.groupby(["recipient", "year"]).tiv.sum()
        pair = flows.dropna(subset=["supplier"]).groupby(["supplier", "recipient", "year"]).tiv.sum()
        point, as_of = np.zeros(n), np.full(n, np.nan)
        for i, (a, b, y) in enumerate(zip(d["a"].astype(str), d["b"].astype(str), d["year"].astype(int))):
            y0, y1 = max(y - w + 1, lo_y), min(y, hi_y)
            if y0 > y1:
                continue
            as_of[i] = y1
            shares = []
            # the supplier's share of the importer's arms imports over the window, the larger direction; a
            # supplier of `arms_full` or more of them counts fully (a main-supplier relationship)
            for s_, r_ in ((a, b), (b, a)):
                tot = imports.loc[r_].loc[y0:y1].sum() if r_ in imports.index.get_level_values(0) else 0.0
                got = pair.loc[(s_, r_)].loc[y0:y1].sum() if (s_, r_) in pair.index.droplevel(2) else 0.0
                shares.append(got / tot if tot > 0 else 0.0)
            point[i] = min(1.0, max(shares) / full)
        known = ~np.isnan(as_of)
        note = np.where(known, "", f"arms transfers not measured (SIPRI covers {lo_y}-{hi_y})")
        return self._frame("arms", point, np.where(known, point, 0.0), np.where(known, point, 1.0), as_of, note)

    def predict(self) -> pd.DataFrame:
        """Ties by dyad-year: ``year, dyad, tie, lo, hi, status, as_of, not_measured`` and the components.

        ``as_of`` is the oldest year any measured component stands on; ``not_measured`` lists what was not
        measured (or carried) that year.
        """
        ev, w = self.evidence_.copy(), self.settings.weights
        # Amity between strategic rivals is not amity: a pledge is a dead letter (the Sino-Soviet treaty of
        # 1950, in ATOP until 1980) and voting together is bloc voting (both rivals against the West in the
        # 1960s). Amity counts only in the measure the pair is not rivals -- the rule nature.py applies when
        # a rivalry outranks a pledge.
        for c in AMITY:
            ev[c] = ev[c] * (1 - ev["rivalry"])
            ev[f"{c}_lo"] = ev[f"{c}_lo"] * (1 - ev["rivalry_hi"])
            ev[f"{c}_hi"] = ev[f"{c}_hi"] * (1 - ev["rivalry_lo"])
        sgn = {c: (-1.0 if c in ENMITY else 1.0) for c in COMPONENTS}
        tie = sum(sgn[c] * w[c] * ev[c] for c in COMPONENTS)
        lo = sum(w[c] * (ev[f"{c}_lo"] if sgn[c] > 0 else -ev[f"{c}_hi"]) for c in COMPONENTS)
        hi = sum(w[c] * (ev[f"{c}_hi"] if sgn[c] > 0 else -ev[f"{c}_lo"]) for c in COMPONENTS)
        out = ev[["year", "dyad"]].copy()
        out["tie"], out["lo"], out["hi"] = tie.to_numpy(), lo.to_numpy(), hi.to_numpy()
        band = self.settings.band
        out["status"] = [Tie(t, l, h).status(band) for t, l, h in zip(out.tie, out.lo, out.hi)]
        asof = ev[[f"{c}_as_of" for c in COMPONENTS]].min(axis=1)
        out["as_of"] = pd.array(asof.round().to_numpy(), dtype="Float64").astype("Int64")
        notes = ev[[f"{c}_note" for c in COMPONENTS]].to_numpy()
        out["not_measured"] = ["; ".join(s for s in r if s) for r in notes]
        for c in COMPONENTS:
            out[c], out[f"{c}_lo"], out[f"{c}_hi"] = ev[c], ev[f"{c}_lo"], ev[f"{c}_hi"]
        return out


# ------------------------------------------------------------------------------------------------ triangle


@dataclass
class Triangle:
    """Ties and configurations of a triad by year.

    Args:
        states: the three codes as given.
        ties: one row per dyad-year (see :meth:`TieModel.predict`).
        years: ``year, configuration, indeterminate_by`` (the ties without a sign and why), ``as_of`` (the
            oldest year the year's evidence stands on), ``not_measured``, ``balanced, balance`` and one
            ``position_<state>`` column per state.
        settings: the tie rule used.
    """

    states: tuple[str, str, str]
    ties: pd.DataFrame
    years: pd.DataFrame
    settings: TieSettings = field(default_factory=TieSettings)

    def ties_in(self, year: int) -> dict[str, Tie]:
        t = self.ties[self.ties.year == year]
        return {k: Tie(v, lo, hi) for k, v, lo, hi in zip(t.dyad, t.tie, t.lo, t.hi)}

    def table(self) -> pd.DataFrame:
        """A readable view: configuration, positions and the three ties by year."""
        y = self.years
        keys = [dyad_key(p, q) for p, q in ((self.states[0], self.states[1]), (self.states[0], self.states[2]),
                                            (self.states[1], self.states[2]))]
        out = pd.DataFrame({"year": y.year, "configuration": y.configuration,
                            "positions": [", ".join(f"{s} {r[f'position_{s}']}" for s in self.states
                                                    if r[f"position_{s}"]) for _, r in y.iterrows()]})
        for k in keys:
            t = self.ties[self.ties.dyad == k].set_index("year")
            out[k] = [str(Tie(*t.loc[yr, ["tie", "lo", "hi"]])) if yr in t.index else "n/a" for yr in y.year]
        out["as_of"] = y.as_of.astype(object).where(y.as_of.notna(), "")
        out["uncertain"] = y.indeterminate_by
        return out


def triangle(source: Store | DriverScores, a: str, b: str, c: str, start: int | None = None,
             end: int | None = None, *, store: Store | None = None, config: Mapping | None = None) -> Triangle:
    """The triangle of three states by year, on signed ties with uncertainty.

    Args:
        source: the store to read the evidence from; or, for older callers, driver scores (their years and
            ``[triangle]`` settings), with the store given as ``store=``.
        a, b, c: three different state codes.
        start, end: years (default: the driver scores' years, else the configuration's).
        store: the store when ``source`` is driver scores; without one every tie is not measured.
        config: ``[triangle]`` settings (default: the packaged drivers.toml's, or the scores' config).
    """
    Triad(a, b, c)  # three different states, or a RequestError saying so
    if isinstance(source, DriverScores):
        cfg = config if config is not None else source.config.triangle
        yrs = source.data["year"]
        start = start if start is not None else (int(yrs.min()) if len(yrs) else source.config.start)
        end = end if end is not None else (int(yrs.max()) if len(yrs) else source.config.end)
    else:
        store = source
        base = load_config()
        cfg = config if config is not None else base.triangle
        start = start if start is not None else base.start
        end = end if end is not None else base.end
    settings = TieSettings.from_config(cfg)
    pairs = [(a, b), (a, c), (b, c)]
    if store is None:
        years = np.arange(start, end + 1)
        ties = pd.DataFrame([{"year": int(y), "dyad": dyad_key(*p), "tie": np.nan, "lo": -1.0, "hi": 1.0,
                              "status": "not measured", "as_of": pd.NA,
                              "not_measured": "no store given: triangle(store, ...) reads the evidence"}
                             for y in years for p in pairs])
    else:
        ties = TieModel(settings).fit(store, pairs, start, end).predict()
    rows = []
    for year in range(start, end + 1):
        g = ties[ties.year == year]
        conf = configure((a, b, c), {k: Tie(v, lo, hi) for k, v, lo, hi in zip(g.dyad, g.tie, g.lo, g.hi)},
                         settings.band)
        asof = g.as_of.dropna()
        nm = sorted({f"{s} ({k})" for k, r in zip(g.dyad, g.not_measured) for s in str(r).split("; ") if s})
        rows.append({"year": year, "configuration": conf.name, "indeterminate_by": conf.reason,
                     "as_of": int(asof.min()) if len(asof) == 3 else None, "not_measured": "; ".join(nm),
                     "balanced": conf.balanced, "balance": conf.balance,
                     **{f"position_{s}": conf.positions[s] for s in (a, b, c)}})
    years = pd.DataFrame(rows)
    years["as_of"] = years["as_of"].astype("Int64")
    return Triangle((a, b, c), ties, years, settings)


def parse_what_if(text: str) -> tuple[str, str, float]:
    """``"USA-RUS:+0.3"`` -> ("USA", "RUS", 0.3)."""
    try:
        pair, delta = text.split(":")
        x, y = pair.split("-")
        return x.strip().upper(), y.strip().upper(), float(delta)
    except ValueError as exc:
        raise RequestError(f"what-if '{text}' is not of the form A-B:+0.3 (a change of the A-B tie)") from exc


def what_if(states: tuple[str, str, str], ties: Mapping[str, Tie | float], x: str, y: str, delta: float,
            band: float = 0.0) -> dict:
    """Shift one tie (its estimate and its whole interval) by ``delta`` tie units, clipped to [-1, 1].

    In tie units a bilateral defence pledge is worth the pledge weight (0.25 by default) and ending a
    rivalry the rivalry weight (0.4), so ``+0.3`` is about one such change. A tie that was uncertain stays as
    uncertain (its interval moves, it does not narrow).

    Returns:
        ``{"before": Configuration, "after": Configuration, "ties_before", "ties_after", "changed": [what
        differs: the tie, configuration, positions, balance]}``.
    """
    key = dyad_key(x, y)
    if key not in ties:
        raise RequestError(f"what-if: {x}-{y} is not a side of the triangle {'-'.join(states)}")
    before = {k: Tie.of(v) for k, v in ties.items()}
    after = dict(before)
    after[key] = before[key].shifted(delta)
    b, a_ = configure(states, before, band), configure(states, after, band)
    plain = all(not isinstance(v, Tie) for v in ties.values())
    fmt = (lambda t: f"{t.value:+.3f}") if plain else str  # numbers in, numbers out
    changed = [f"tie {key}: {fmt(before[key])} -> {fmt(after[key])}"]
    if b.name != a_.name:
        changed.append(f"configuration: {b.name} -> {a_.name}")
    for s in states:
        if b.positions.get(s) != a_.positions.get(s):
            changed.append(f"position of {s}: {b.positions.get(s) or 'none'} -> {a_.positions.get(s) or 'none'}")
    if b.balanced != a_.balanced:
        changed.append(f"balanced: {b.balanced} -> {a_.balanced}")
    ties_after = {k: (v.value if plain else v) for k, v in after.items()}
    return {"before": b, "after": a_, "ties_before": dict(ties), "ties_after": ties_after, "changed": changed}


def substitution(ds: DriverScores, target: str, partner: str, third: str, year: int | None = None) -> pd.DataFrame:
    """How far ``third`` could substitute for ``partner`` as ``target``'s partner, on the measured drivers.

    For each dimension, the latest year (up to ``year``) in which both dyads have a value:
    ``cover = value(target, third) / value(target, partner)`` (1 = the third already matches the partner).
    Dimensions: trade share (the target's trade with each, as a share of its total trade), security
    reassurance, defence cooperation and political convergence scores, and pledges in force.

    Assumptions (stated with the result): trade could be redirected without loss of price or volume;
    a driver score met by the third party would do the same for the target as the partner's does; scores are
    percentiles, so a cover above 1 on a score means a higher rank, not a larger quantity.

    Returns:
        ``dimension, year, with_partner, with_third, cover, gap`` (gap = partner value - third value).
    """
    def latest(col: str, side_value=None):
        p, t = ds.rows(target, partner), ds.rows(target, third)
        if year is not None:
            p, t = p[p.year <= year], t[t.year <= year]
        m = p[["year", *([col] if side_value is None else ["a", "b", *side_value])]].merge(
            t[["year", *([col] if side_value is None else ["a", "b", *side_value])]], on="year",
            suffixes=("_p", "_t"))
        return m

    rows = []
    m = latest("", side_value=["dep_a", "dep_b"]) if "dep_a" in ds.data else pd.DataFrame()
    if len(m):
        vp = np.where(m.a_p == target, m.dep_a_p, m.dep_b_p).astype(float)
        vt = np.where(m.a_t == target, m.dep_a_t, m.dep_b_t).astype(float)
        ok = ~np.isnan(vp) & ~np.isnan(vt)
        if ok.any():
            i = np.flatnonzero(ok)[-1]
            rows.append(("trade share of " + target, int(m.year.iloc[i]), vp[i], vt[i]))
    for d in ("security_reassurance", "defence_cooperation", "political_convergence", "economic_self_interest"):
        m = latest(d)
        m = m.dropna(subset=[f"{d}_p", f"{d}_t"])
        if len(m):
            r = m.iloc[-1]
            rows.append((f"{d} score", int(r.year), float(r[f"{d}_p"]), float(r[f"{d}_t"])))
    m = latest("pledge_types").dropna(subset=["pledge_types_p", "pledge_types_t"]) if "pledge_types" in ds.data else []
    if len(m):
        r = m.iloc[-1]
        rows.append(("kinds of ATOP pledge", int(r.year), float(r.pledge_types_p), float(r.pledge_types_t)))
    out = pd.DataFrame(rows, columns=["dimension", "year", "with_partner", "with_third"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cover"] = np.where(out.with_partner > 0, out.with_third / out.with_partner, np.nan)
    out["gap"] = out.with_partner - out.with_third
    out.insert(0, "target", target)
    out.insert(1, "partner", partner)
    out.insert(2, "third", third)
    return out


ASSUMPTIONS = [
    "trade could be redirected from the partner to the third party without loss of price or volume",
    "a driver score the third party reached would serve the target as the partner's does",
    "scores are percentiles among all dyads: a cover above 1 means a higher rank, not a larger quantity",
    "dimensions the data do not cover (arms transfers, energy contracts, summitry) are not counted",
]
