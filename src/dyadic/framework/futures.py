"""Futures: reference-class base rates, an AR(1) projection and scenario probabilities with signposts.

The method (docs/methods/futures.md):

1. **Histories**: :func:`history` (every non-directed dyad-year 1946- with UNGA agreement and its
   percentile among all dyads that year, ATOP defence pledges, the COW NMC capability ratio) and
   :func:`conflict_history` (every dyad-year 1946- of the MID data's years with militarised disputes at
   hostility >= ``hostlev_min``, political relevance, a dispute in the last ``recent_years``, a
   Thompson-Dreyer rivalry and an ATOP defence pledge).
2. **Scenarios**, exclusive and exhaustive, with priority: *conflict* (a MID at hostility >= 4 in some year
   of ``(t, t+h]``), else *alliance* (a defence pledge in force in some year of ``(t, t+h]``), else
   *degradation* (the agreement percentile at ``t+h`` more than ``drop`` points below its value at ``t``),
   else *continuity*.
3. **Rates**: ``P(conflict)`` from the pair's conflict reference class (:func:`conflict_rates`; Jeffreys
   interval on the design-effect-adjusted sample); alliance / degradation / continuity given no conflict
   from the pair's UN-voting reference class (:func:`base_rates`; cluster bootstrap over dyads).
4. **Projection** (:func:`project`): the one AR(1) estimator (:func:`ar1_fit_many`, conditional least squares,
   identical to statsmodels ``AutoReg(lags=1, trend="c")``) on the pair's agreement percentile; ``q_h`` =
   P(percentile below the degradation line at ``t+h``) per parameter draw.
5. **Probabilities**: every component is a set of draws; each scenario's point is the mean of its draws (the
   predictive probability; the four sum to 1) and its 90% interval a quantile interval of the same draws
   (:func:`interval`). *model* splits degradation/continuity by ``q_h``, *base rate* by the class rates.
6. **Back-test** (:func:`backtest`): both as of earlier years on every dyad without a pledge, scored by the
   multi-class Brier score; the headline is whichever scores better at that horizon (:func:`headline_choice`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
# scipy.special, not scipy.stats: the same functions (beta.ppf is betaincinv, norm.cdf is ndtr), without
# the half second scipy.stats takes to import in every brief
from scipy.special import betaincinv, ndtr

from dyadic.dyad import pair_rows
from dyadic.errors import DyadicError, RequestError
from dyadic.indicators.obligations import DYAD_YEARS_KEY as OBLIGATIONS_KEY
from dyadic.indicators.power import major_power_years
from dyadic.framework import shared
from dyadic.store import Store

UN_SCENARIOS = ("continuity", "alliance", "degradation")  # the outcomes of the UN-voting reference class
SCENARIOS = (*UN_SCENARIOS, "conflict")
CONDITIONS = {"pact_formed": "alliance", "below_top": "degradation", "stays_top": "continuity",
              "militarised": "conflict"}
NMC = "cow_nmc"
LEVEL = 0.90  # every interval is a 90% interval
CONFLICT_DEFAULTS = {"dataset": "cow", "hostlev_min": 4, "peace_years": [10, 30], "contig_max": 4, "start": 1946,
                     "order": ["relevant", "peace", "rivalry", "allied"]}


#: memo keys of the reference histories and back-tests (this question's shared products)
HISTORY_KEY, CONFLICT_HISTORY_KEY = "futures.history", "futures.conflict_history"
HEADLINE_KEY, NO_CONFLICT_KEY = "futures.headline", "futures.no_conflict"


def load_scenarios(path: str | Path | None = None) -> dict:
    """The scenario file (TOML): the shipped ``data/scenarios.toml`` unless ``path`` is given.

    A file written before the conflict scenario existed gets the shipped conflict scenario and settings
    (``cfg["filled"]`` says so, and the trail repeats it).
    """
    try:
        if path is None:
            with resources.files("dyadic.data").joinpath("scenarios.toml").open("rb") as fh:
                cfg = tomllib.load(fh)
        else:
            with open(path, "rb") as fh:
                cfg = tomllib.load(fh)
    except FileNotFoundError:
        raise RequestError(f"scenario file '{path}' does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:  # TOML is UTF-8 text: a binary is neither
        raise RequestError(f"scenario file '{path}' is not valid TOML ({exc}): give a scenario file laid out "
                           "like the shipped data/scenarios.toml") from None
    except OSError as exc:  # a directory, a file that cannot be read
        raise RequestError(f"scenario file '{path}' cannot be read ({exc.strerror or exc})") from None
    conds = {v.get("condition") for v in cfg.get("scenarios", {}).values()}
    filled = []
    if path is not None and conds == set(CONDITIONS) - {"militarised"}:
        shipped = load_scenarios()
        cfg.setdefault("scenarios", {})["conflict"] = shipped["scenarios"]["conflict"]
        conds.add("militarised")
        filled.append("the conflict scenario (the file defines none)")
    if conds != set(CONDITIONS) or len(cfg.get("scenarios", {})) != len(CONDITIONS):
        raise RequestError(f"scenario file '{path or 'scenarios.toml'}' must define exactly one scenario per "
                           f"condition {sorted(CONDITIONS)} (found {sorted(c for c in conds if c)})")
    if "conflict" not in cfg:
        filled.append("the [conflict] settings")
    cfg["conflict"] = {**CONFLICT_DEFAULTS, **cfg.get("conflict", {})}
    sett = cfg.setdefault("settings", {})
    sett.setdefault("min_points", 10)
    cfg["filled"] = filled if path is not None else []
    return cfg


# ---------------------------------------------------------------------------------------------- history


def history(store: Store, rising_years: int = 5) -> pd.DataFrame:
    """Dyad-year history for base rates and back-tests (non-directed, ``a < b``).

    Built once per store until it next writes (:meth:`Store.cached`), so every pair a process asks about
    after the first reuses it. Do not modify the frame returned.

    Returns:
        year, a, b, dyad (int id), agree, pct (percentile of ``agree`` among dyads that year, 0-100),
        pact (ATOP defence pledge 0/1, missing after 2018), ratio (CINC ratio >= 1, missing outside NMC),
        ratio_change (log change of the ratio over ``rising_years``).
    """
    return store.cached((HISTORY_KEY, rising_years), lambda: build_history(store, rising_years))


def build_history(store: Store, rising_years: int = 5) -> pd.DataFrame:
    """:func:`history` computed afresh (no memo). Joins on the panel's integer state codes throughout."""
    from dyadic.indicators.panel import add_alliances, add_unga, create_dyadyears

    from dyadic.indicators.unga import last_complete_year

    # A partial year (votes to October, before the December session) is no year's agreement: its percentile
    # rests on a third of the roll calls, and standing a projection on it moved allies' "now" by 20 points.
    last = last_complete_year(store)
    if last is None:
        raise DyadicError("no UN General Assembly votes in the store: run 'dyadic ingest "
                          "unvotes_voeten_2019 unga_unsc_votes_undl_scrape' first.")
    y0 = 1946
    p = create_dyadyears(store, y0, int(last))
    p = add_alliances(add_unga(p, store, indicators=("agree",)), store, datasets=("atop",))
    data = p.data
    cats = data["a"].cat.categories  # sorted codes, shared by a and b
    ia, ib = data["a"].cat.codes.to_numpy(), data["b"].cat.codes.to_numpy()
    year = data["year"].to_numpy()
    d = pd.DataFrame({"year": data["year"], "a": data["a"], "b": data["b"], "agree": data["unga_agree"],
                      "pact": data["atop_defense"].astype("float64")})
    d["pct"] = d.groupby("year").agree.rank(pct=True, method="average") * 100
    if store.has_source(NMC):
        cap = store.con.execute("SELECT year, code, cinc FROM capabilities WHERE source = ? AND cinc > 0 "
                                "AND year BETWEEN ? AND ?", [NMC, y0, int(last)]).df()
        ci = cats.get_indexer(cap["code"])
        ok = ci >= 0
        table = np.full((int(last) - y0 + 1) * len(cats), np.nan)
        table[(cap["year"].to_numpy()[ok] - y0) * len(cats) + ci[ok]] = cap["cinc"].to_numpy()[ok]
        row = (year.astype(np.int64) - y0) * len(cats)
        ca, cb = table[row + ia], table[row + ib]
        d["ratio"] = np.maximum(ca, cb) / np.minimum(ca, cb)
    else:
        d["ratio"] = np.nan
    # Codes are in the codes' alphabetical order, so this is the order of (a, b, year) as strings.
    d = d.iloc[np.lexsort((year, ib, ia))].reset_index(drop=True)
    sa, sb = d["a"].cat.codes.to_numpy(), d["b"].cat.codes.to_numpy()
    new = np.r_[True, (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])]
    d["dyad"] = np.cumsum(new) - 1
    lr = np.log(d.ratio.to_numpy())
    span = int(last) - y0 + rising_years + 1
    key = d["dyad"].to_numpy() * span + (d["year"].to_numpy().astype(np.int64) - y0)
    want = key - rising_years  # the same dyad `rising_years` earlier (keys are sorted: dyad, then year)
    pos = np.minimum(np.searchsorted(key, want), len(key) - 1)
    found = (key[pos] == want) & (d["year"].to_numpy() - rising_years >= y0)
    d["ratio_change"] = lr - np.where(found, lr[pos], np.nan)
    d["a"], d["b"] = d.a.cat.remove_unused_categories(), d.b.cat.remove_unused_categories()
    return d


def outcomes(h: pd.DataFrame, horizon: int, drop: float = 15.0) -> pd.Series:
    """The scenario each dyad-year reached ``horizon`` years later (NA when not observable).

    alliance: no defence pact at ``t`` and one in force in some year of ``(t, t+h]``; else, with ATOP covering ``t+h``,
    degradation when the agreement percentile at ``t+h`` is more than ``drop`` points below its value at
    ``t``, continuity otherwise.
    """
    dy, yr = h.dyad.to_numpy(), h.year.to_numpy().astype(int)
    y0 = yr.min()
    span = yr.max() - y0 + horizon + 2
    pact = np.full((dy.max() + 1, span), np.nan)
    pct = np.full((dy.max() + 1, span), np.nan)
    pact[dy, yr - y0] = h.pact.to_numpy()
    pct[dy, yr - y0] = h.pct.to_numpy()
    formed = np.zeros(len(h), dtype=bool)
    known = np.ones(len(h), dtype=bool)
    for k in range(1, horizon + 1):
        v = pact[dy, yr - y0 + k]
        formed |= v == 1
        known &= ~np.isnan(v)
    formed &= h.pact.to_numpy() == 0  # alliance = a pledge *forms*: for a pair allied at t it is continuity
    end_pct = pct[dy, yr - y0 + horizon]
    now = h.pct.to_numpy()
    out = np.where(formed, "alliance", np.where(~known | np.isnan(end_pct) | np.isnan(now), None,
                                                np.where(end_pct < now - drop, "degradation", "continuity")))
    return pd.Series(out, index=h.index, dtype=object)


# ---------------------------------------------------------------------------------------------- base rates


@dataclass
class ReferenceClass:
    """The reference class actually used, with its size."""

    conditions: list[str]
    dropped: list[str]
    text: str
    n_rows: int
    n_dyads: int
    years: tuple[int, int] | None


def decile(p) -> np.ndarray:
    """Decile (0-9) of an agreement percentile (0-100); NaN stays NaN."""
    p = np.asarray(p, dtype=float)
    return np.where(np.isnan(p), np.nan, np.minimum(np.floor(p / 10), 9))


def _condition_masks(h: pd.DataFrame, cfg: dict, level: float | None = None) -> dict[str, np.ndarray]:
    ref = cfg["reference"]
    return {
        "level": decile(h.pct) == (decile(level) if level is not None else np.nan),
        "no_pact": (h.pact == 0).to_numpy(),
        "asym_high": (h.ratio >= ref["asym_min"]).to_numpy(),
        "asym_rising": (h.ratio_change > 0).to_numpy(),
    }


CONDITION_TEXT = {
    "level": "UN voting agreement in the same decile of all dyads that year as the pair now ({decile_text})",
    "no_pact": "no defence pledge in force (ATOP)",
    "asym_high": "capability ratio (COW NMC CINC) of at least {asym_min}",
    "asym_rising": "capability ratio rising over the previous {rising_years} years",
}


def pair_state(h: pd.DataFrame, a: str, b: str) -> dict:
    """The pair's latest known value of each reference-class feature, with the year it is from."""
    d = pair_rows(h, a, b).sort_values("year")
    if d.empty or d.agree.notna().sum() == 0:
        raise DyadicError(f"no UN voting history for {a}-{b}: futures need the pair's agreement series")
    out = {}
    for col in ("pct", "agree", "pact", "ratio", "ratio_change"):
        s = d.dropna(subset=[col])
        out[col] = (float(s[col].iloc[-1]), int(s.year.iloc[-1])) if len(s) else (np.nan, None)
    return out


def base_rates(h: pd.DataFrame, state: dict, cfg: dict, horizon: int, as_of: int | None = None,
               n_boot: int = 500, seed: int = 0, keep: np.ndarray | None = None,
               ) -> tuple[pd.DataFrame, ReferenceClass]:
    """Frequencies of continuity / alliance / degradation in the pair's UN-voting reference class.

    Args:
        h: :func:`history`.
        state: :func:`pair_state` (which conditions the pair meets).
        cfg: the scenario file.
        as_of: use only dyad-years whose outcome was known by this year (``t + horizon <= as_of``).
        keep: a boolean mask over ``h`` of rows allowed in the class (``futures`` passes "no conflict
            within the horizon, measured", so the rates are conditional on no conflict).

    Returns:
        (scenario, count, rate, lo, hi) and the :class:`ReferenceClass`; ``attrs["boot"]`` holds the
        bootstrap replicates (n_boot, 3).
    """
    ref, sett = cfg["reference"], cfg["settings"]
    masks = _condition_masks(h, cfg, state["pct"][0])
    dec = int(decile(state["pct"][0]))
    meets = {
        "level": True,
        "no_pact": state["pact"][0] == 0,
        "asym_high": state["ratio"][0] >= ref["asym_min"],
        "asym_rising": state["ratio_change"][0] > 0,
    }
    known = {"level": h.pct.notna().to_numpy(), "no_pact": h.pact.notna().to_numpy(),
             "asym_high": h.ratio.notna().to_numpy(), "asym_rising": h.ratio_change.notna().to_numpy()}
    y = outcomes(h, horizon, sett["drop"])
    ok = y.notna().to_numpy()
    if as_of is not None:
        ok &= (h.year + horizon <= as_of).to_numpy()
    if keep is not None:
        ok &= keep
    conds = [c for c in ref["order"] if c in masks]
    dropped: list[str] = []
    while True:
        m = ok.copy()
        for c in conds:
            m &= masks[c] if meets[c] else ~masks[c] & known[c]  # "not X" needs X to be measured
        if m.sum() >= sett["min_class"] or not conds:
            break
        dropped.insert(0, conds.pop())
    fmt = dict(ref, decile_text=f"{10 * dec}th-{10 * dec + 10}th percentile")
    text = "; ".join((CONDITION_TEXT[c] if meets[c] else "NOT " + CONDITION_TEXT[c]).format(**fmt) for c in conds)
    sub = h.loc[m]
    ys = y[m].to_numpy()
    rc = ReferenceClass(conditions=conds, dropped=dropped, text=text or "all dyad-years", n_rows=int(m.sum()),
                        n_dyads=int(sub.dyad.nunique()),
                        years=(int(sub.year.min()), int(sub.year.max())) if len(sub) else None)
    rows = []
    counts = {s: int((ys == s).sum()) for s in UN_SCENARIOS}
    boot = _cluster_boot(sub.dyad.to_numpy(), ys, n_boot, seed)
    for i, s in enumerate(UN_SCENARIOS):
        rate = counts[s] / len(ys) if len(ys) else np.nan
        lo, hi = interval(boot[:, i], rate) if len(ys) else (np.nan, np.nan)
        rows.append({"scenario": s, "count": counts[s], "rate": rate, "lo": lo, "hi": hi})
    df = pd.DataFrame(rows)
    df.attrs["boot"] = boot
    return df, rc


def _cluster_boot(dyads: np.ndarray, ys: np.ndarray, n_boot: int, seed: int) -> np.ndarray:
    """Scenario rates over bootstrap resamples of whole dyads: array (n_boot, 3)."""
    if len(ys) == 0:
        return np.full((n_boot, 3), np.nan)
    codes, inv = np.unique(dyads, return_inverse=True)
    per = np.zeros((len(codes), 3))
    for i, s in enumerate(UN_SCENARIOS):
        per[:, i] = np.bincount(inv, weights=(ys == s).astype(float), minlength=len(codes))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(codes), size=(n_boot, len(codes)))
    num = per[idx].sum(axis=1)
    tot = num.sum(axis=1)
    return num / np.where(tot > 0, tot, np.nan)[:, None]


# ---------------------------------------------------------------------------------------------- intervals


def interval(draws: np.ndarray, point: float, level: float = LEVEL) -> tuple[float, float]:
    """A ``level`` quantile interval of ``draws`` that contains ``point``.

    Equal-tailed when that contains the point; when more than ``(1 + level) / 2`` of the draws lie on one
    side of it (a probability piled up near 0 or 1), the quantile window is shifted by the least amount that
    keeps the point inside, so a point is never outside its own interval.
    """
    d = np.asarray(draws, dtype=float)
    d = d[~np.isnan(d)]
    if len(d) == 0 or np.isnan(point):
        return np.nan, np.nan
    u = float(np.mean(d <= point))
    tail = (1 - level) / 2
    lo_q = max(min(tail, u), u - level)
    lo, hi = np.quantile(d, [lo_q, min(lo_q + level, 1.0)])
    return float(min(lo, point)), float(max(hi, point))  # min/max: interpolation round-off only


def design_effect(clusters: np.ndarray, y: np.ndarray) -> float:
    """Kish design effect of a mean of 0/1 ``y`` clustered by ``clusters`` (>= 1).

    The ratio of the cluster-robust variance of the mean (sum over clusters of squared residual totals) to
    the binomial variance: consecutive years of one dyad are not independent draws.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if n == 0:
        return 1.0
    p = y.mean()
    if p <= 0 or p >= 1:
        return 1.0  # no variation: nothing to inflate, the Jeffreys interval handles the boundary
    _, inv = np.unique(clusters, return_inverse=True)
    tot = np.bincount(inv, weights=y - p)
    g = len(tot)
    v_cluster = (tot ** 2).sum() / n ** 2 * (g / (g - 1) if g > 1 else 1.0)
    return float(max(1.0, v_cluster / (p * (1 - p) / n)))


def rate_interval(x: float, n: float, deff: float = 1.0, level: float = LEVEL) -> tuple[float, float]:
    """Jeffreys interval for a rate ``x / n`` on the effective sample ``n / deff`` (Brown, Cai & DasGupta 2001).

    The bounds are quantiles of Beta(x' + 1/2, n' - x' + 1/2) with ``x' = x / deff``, ``n' = n / deff``;
    the lower bound is 0 when ``x = 0`` and the upper 1 when ``x = n`` (their convention), so the
    interval always contains ``x / n``.
    """
    if n <= 0:
        return np.nan, np.nan
    a, b = _jeffreys(x, n, deff)
    tail = (1 - level) / 2
    lo = 0.0 if x <= 0 else float(betaincinv(a, b, tail))
    hi = 1.0 if x >= n else float(betaincinv(a, b, 1 - tail))
    return min(lo, x / n), max(hi, x / n)


def rate_draws(x: float, n: float, deff: float, size: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of a rate from the Jeffreys posterior behind :func:`rate_interval` (the same distribution)."""
    if n <= 0:
        return np.full(size, np.nan)
    return rng.beta(*_jeffreys(x, n, deff), size=size)


def _jeffreys(x: float, n: float, deff: float) -> tuple[float, float]:
    ne = n / max(deff, 1.0)
    xe = x / max(deff, 1.0)
    return xe + 0.5, ne - xe + 0.5


# ---------------------------------------------------------------------------------------------- conflict


def conflict_history(store: Store, cfg: dict | None = None) -> pd.DataFrame:
    """Dyad-year conflict history (non-directed, ``a < b``), remembered by the store like :func:`history`.

    Returns:
        year, a, b (str), dyad (int id), hostile (MID at hostility >= ``hostlev_min`` ongoing: 1/0, NaN after
        the MID data end), relevant (contiguous by land or <= 150 miles of water, or a COW major power among
        the two: 1/0, NaN outside the contiguity years), peace (years since the last hostile year, from
        1816: 0 under ``peace_years[0]``, 1 under ``peace_years[1]``, 2 longer or never), rivalry (Thompson-Dreyer, NaN after 2010), allied (ATOP defence pledge, NaN after
        2018); ``attrs``: the years each source covers.
    """
    c = (cfg or load_scenarios())["conflict"]
    key = (CONFLICT_HISTORY_KEY, c["dataset"], int(c["hostlev_min"]), tuple(c["peace_years"]),
           int(c["contig_max"]), int(c["start"]))
    return store.cached(key, lambda: build_conflict_history(store, c))


def build_conflict_history(store: Store, c: dict) -> pd.DataFrame:
    """:func:`conflict_history` computed afresh."""
    from dyadic.indicators.commitments import alliance_years
    from dyadic.indicators.conflict import (
        add_contiguity,
        add_mids,
        add_rivalries,
        contiguity_years,
        mid_years,
        rivalry_years,
    )
    from dyadic.indicators.panel import add_alliances, add_major_powers, create_dyadyears

    lo, hi = mid_years(store, c["dataset"])
    k = int(c["hostlev_min"])
    y0 = lo  # the years before the reference period only feed the peace-years count
    p = create_dyadyears(store, y0, hi)
    p = add_alliances(add_rivalries(add_mids(add_contiguity(p, store), store, dataset=c["dataset"]), store),
                      store, datasets=("atop",))
    p = add_major_powers(p, store)
    d = p.data
    year = d["year"].to_numpy().astype(int)
    lev = d["mid_hostlev"].to_numpy(dtype="float64", na_value=np.nan)
    hostile = np.where(np.isnan(lev), np.nan, (lev >= k).astype(float))
    ctype = d["contig_type"].to_numpy(dtype="float64", na_value=np.nan)
    contig = np.where(np.isnan(ctype), np.nan, ((ctype >= 1) & (ctype <= int(c["contig_max"]))).astype(float))
    a_s, b_s = d["a"].astype(str).to_numpy(), d["b"].astype(str).to_numpy()
    # the drivers' reference rule: a major power (the list's last status carried past 2016) or contiguous
    major = (d["major_a"].to_numpy() == 1) | (d["major_b"].to_numpy() == 1)
    relevant = np.where(major, 1.0, contig)
    out = pd.DataFrame({"year": year, "a": a_s, "b": b_s, "hostile": hostile, "relevant": relevant,
                        "rivalry": d["td_rivalry"].to_numpy(dtype="float64", na_value=np.nan),
                        "allied": d["atop_defense"].to_numpy(dtype="float64", na_value=np.nan)})
    out["dyad"] = out.groupby(["a", "b"], sort=True).ngroup()
    # years since the last hostile year (Beck, Katz & Tucker 1998: peace years), from the MID data's first
    # year; a year before the dyad existed had no dispute between the two (one of them was not a state)
    mat = np.nan_to_num(_dense(out, "hostile"), nan=0.0)
    last_hit = np.full(mat.shape, -10_000.0)
    run = np.full(mat.shape[0], -10_000.0)
    for j in range(mat.shape[1]):
        run = np.where(mat[:, j] == 1, float(j), run)
        last_hit[:, j] = run
    since = (year - y0) - last_hit[out["dyad"].to_numpy(), year - y0]
    short, long_ = (int(v) for v in c["peace_years"])
    out["peace"] = np.where(np.isnan(hostile), np.nan, np.select([since < short, since < long_], [0.0, 1.0], 2.0))
    out = out[out.year >= int(c["start"])].reset_index(drop=True)
    out.attrs = {"mid": (lo, hi), "contiguity": contiguity_years(store), "rivalry": rivalry_years(store),
                 "atop": alliance_years(store, "atop"), "majors": major_power_years(store),
                 "y0": y0}
    return out


def _dense(ch: pd.DataFrame, col: str, pad: int = 0) -> np.ndarray:
    """``col`` as a (dyad, year) matrix from the history's first year, ``pad`` extra years of NaN at the end."""
    y0 = int(ch.attrs.get("y0", ch.year.min()))
    span = int(ch.year.max()) - y0 + 1 + pad
    m = np.full((int(ch.dyad.max()) + 1, span), np.nan)
    m[ch.dyad.to_numpy(), ch.year.to_numpy().astype(int) - y0] = ch[col].to_numpy()
    return m


def conflict_outcomes(ch: pd.DataFrame, horizon: int) -> np.ndarray:
    """1 when a hostile MID year falls in ``(t, t+horizon]``, 0 when none, NaN when the MID data end before
    ``t+horizon`` (not measured). A dyad-year that no longer exists (a state left the system) counts as no
    dispute."""
    y0 = int(ch.attrs.get("y0", ch.year.min()))
    last = int(ch.attrs["mid"][1]) if "mid" in ch.attrs else int(ch.year.max())
    m = np.nan_to_num(_dense(ch, "hostile", pad=horizon), nan=0.0)
    dy, yr = ch.dyad.to_numpy(), ch.year.to_numpy().astype(int) - y0
    hit = np.zeros(len(ch))
    for k in range(1, horizon + 1):
        hit = np.maximum(hit, m[dy, yr + k])
    return np.where(ch.year.to_numpy() + horizon <= last, hit, np.nan)


CONFLICT_TEXT = {
    "relevant": "politically relevant (contiguous by land or by <= 150 miles of water, or a COW major power)",
    "peace": ("a MID at hostility >= {hostlev_min} in the last {p0} years",
              "the last MID at hostility >= {hostlev_min} {p0}-{p1} years before",
              "no MID at hostility >= {hostlev_min} in the previous {p1} years (or ever, since 1816)"),
    "rivalry": "a strategic rivalry (Thompson-Dreyer)",
    "allied": "a defence pledge in force (ATOP)",
}


def conflict_state(ch: pd.DataFrame, a: str, b: str) -> dict:
    """The pair's latest measured value of each conflict feature, with its year."""
    d = pair_rows(ch, a, b).sort_values("year")
    out = {}
    for col in ("relevant", "peace", "rivalry", "allied", "hostile"):
        s = d.dropna(subset=[col])
        out[col] = (float(s[col].iloc[-1]), int(s.year.iloc[-1])) if len(s) else (np.nan, None)
    return out


def conflict_rates(ch: pd.DataFrame, state: dict, cfg: dict, horizon: int, as_of: int | None = None,
                   ) -> tuple[dict, ReferenceClass]:
    """The rate of conflict within ``horizon`` years in the pair's conflict reference class.

    The class: dyad-years 1946- meeting the pair's value of each condition of ``[conflict] order``
    (dropped from the end while the class has fewer than ``min_class`` dyad-years; a condition the pair is
    not measured on is dropped). Interval: :func:`rate_interval` with the design effect of clustering by dyad.

    Returns:
        dict(count, n, rate, lo, hi, deff, x_dyads) and the :class:`ReferenceClass`.
    """
    c, sett = cfg["conflict"], cfg["settings"]
    y = conflict_outcomes(ch, horizon)
    ok = ~np.isnan(y)
    if as_of is not None:
        ok &= (ch.year + horizon <= as_of).to_numpy()
    conds = [k for k in c["order"] if k in CONFLICT_TEXT and not np.isnan(state[k][0])]
    dropped = [k for k in c["order"] if k in CONFLICT_TEXT and k not in conds]
    while True:
        m = ok.copy()
        for k in conds:
            v = ch[k].to_numpy()
            m &= v == state[k][0]  # NaN never equals: "not X" needs X to be measured
        if m.sum() >= sett["min_class"] or not conds:
            break
        dropped.insert(0, conds.pop())
    text = "; ".join(_condition_text(k, state[k][0], c) for k in conds)
    sub = ch.loc[m]
    ys = y[m]
    n, x = len(ys), float(ys.sum())
    deff = design_effect(sub.dyad.to_numpy(), ys)
    lo, hi = rate_interval(x, n, deff)
    rc = ReferenceClass(conditions=conds, dropped=dropped, text=text or "all dyad-years", n_rows=n,
                        n_dyads=int(sub.dyad.nunique()),
                        years=(int(sub.year.min()), int(sub.year.max())) if n else None)
    return {"count": int(x), "n": n, "rate": x / n if n else np.nan, "lo": lo, "hi": hi, "deff": deff}, rc


def _condition_text(k: str, v: float, c: dict) -> str:
    t = CONFLICT_TEXT[k]
    fmt = dict(c, p0=c["peace_years"][0], p1=c["peace_years"][1])
    if isinstance(t, tuple):
        return t[int(v)].format(**fmt)
    return (t if v == 1 else "NOT " + t).format(**fmt)


def conflict_cell_rates(ch: pd.DataFrame, cfg: dict, horizon: int) -> pd.DataFrame:
    """Conflict rate of every cell of the full conflict reference-class grid (all conditions kept).

    Returns:
        one row per cell with data: the condition columns, n, rate.
    """
    cols = [k for k in cfg["conflict"]["order"] if k in CONFLICT_TEXT]
    y = conflict_outcomes(ch, horizon)
    d = ch[cols].assign(y=y).dropna()
    return d.groupby(cols).y.agg(n="size", rate="mean").reset_index()


def conflict_median(ch: pd.DataFrame, cfg: dict, horizon: int, relevant_only: bool = True) -> float:
    """The median, over dyads, of the conflict rate of the cell each dyad was in at its last measured year
    (politically relevant dyads only by default): the benchmark a pair's P(conflict) is read against."""
    cells = conflict_cell_rates(ch, cfg, horizon)
    cols = [k for k in cfg["conflict"]["order"] if k in CONFLICT_TEXT]
    last = ch.dropna(subset=cols).sort_values("year").groupby("dyad").tail(1)
    if relevant_only:
        last = last[last.relevant == 1]
    return float(last.merge(cells, on=cols, how="left").rate.median())


# ---------------------------------------------------------------------------------------------- projection


@dataclass
class AR1Results:
    """Row-wise AR(1)-with-constant fits: const, phi, sigma2 (ssr / nobs), cov (n, 2, 2), nobs."""

    const: np.ndarray
    phi: np.ndarray
    sigma2: np.ndarray
    cov: np.ndarray
    nobs: np.ndarray

    @property
    def sigma(self) -> np.ndarray:
        """Innovation sd with a floor of 0.5 percentile points: a perfectly flat history is not certainty."""
        return np.maximum(np.sqrt(self.sigma2), 0.5)


def ar1_fit_many(mat: np.ndarray) -> AR1Results:
    """The one AR(1) estimator of this module, row by row (projection and back-test both call it).

    Conditional least squares of ``y_t`` on ``(1, y_{t-1})`` over the year pairs where both are known;
    ``sigma2 = ssr / nobs`` and ``cov = sigma2 (X'X)^-1`` exactly as statsmodels
    ``AutoReg(y, lags=1, trend="c").fit()`` (tests check the equality); vectorised because the back-test
    fits ~90,000 series.
    """
    mat = np.atleast_2d(np.asarray(mat, dtype=float))
    x, z = mat[:, :-1], mat[:, 1:]
    ok = ~np.isnan(x) & ~np.isnan(z)
    n = ok.sum(axis=1).astype(float)
    xs, zs = np.where(ok, x, 0.0), np.where(ok, z, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, mz = xs.sum(1) / n, zs.sum(1) / n
        dx = np.where(ok, x - mx[:, None], 0.0)
        sxx = (dx ** 2).sum(1)
        phi = np.where(sxx > 0, (dx * np.where(ok, z - mz[:, None], 0.0)).sum(1) / sxx, 0.0)
        c = mz - phi * mx
        res = np.where(ok, z - c[:, None] - phi[:, None] * x, 0.0)
        s2 = (res ** 2).sum(1) / n
        sx, sxx_raw = xs.sum(1), (xs ** 2).sum(1)
        det = n * sxx_raw - sx ** 2
        inv = np.stack([np.stack([sxx_raw, -sx], -1), np.stack([-sx, n], -1)], -2) / det[:, None, None]
        cov = inv * s2[:, None, None]  # rows without data stay NaN
    return AR1Results(const=c, phi=phi, sigma2=s2, cov=cov, nobs=n)


def ar1_fit(y: np.ndarray, min_points: int = 6) -> tuple[np.ndarray, np.ndarray, float]:
    """AR(1) with a constant for one series (:func:`ar1_fit_many`); fewer than ``min_points`` pairs is an error.

    Returns:
        (params [const, phi], their covariance, innovation sd).
    """
    r = ar1_fit_many(np.asarray(y, dtype=float)[None, :])
    if not r.nobs[0] >= min_points:
        raise DyadicError(f"a projection needs {min_points}+ year-on-year pairs of the pair's series, "
                          f"not {int(r.nobs[0])}")
    return np.array([r.const[0], r.phi[0]]), r.cov[0], float(r.sigma[0])


def analytic_below(x0: np.ndarray, c: np.ndarray, phi: np.ndarray, sigma: np.ndarray, h: int,
                   threshold: float, shift: float = 0.0) -> np.ndarray:
    """P(y_{t+h} < threshold) for a Gaussian AR(1) started at ``x0`` (vectorised over dyads/draws).

    A threshold at or below 0 gives 0: a percentile cannot fall below 0 (the pair is already at the bottom).
    """
    phi = np.clip(phi, -0.99, 0.99)
    mu = c / (1 - phi)
    mean = mu + phi ** h * (x0 - mu) + shift
    var = sigma ** 2 * (1 - phi ** (2 * h)) / (1 - phi ** 2)
    p = ndtr((threshold - mean) / np.sqrt(np.maximum(var, 1e-9)))
    return np.where(np.asarray(threshold) <= 0, 0.0, p)


def project(y: np.ndarray, horizon: int, n_paths: int = 10_000, seed: int = 0, threshold: float | None = None,
            shift: float = 0.0, min_points: int = 6) -> dict:
    """Parameter draws of the AR(1) fitted to ``y`` and, per draw, one Monte Carlo path and P(below).

    Returns:
        paths (n_paths, horizon; the percentile, clipped to 0-100 for display), draws (n_paths, 2) of
        [const, phi], sigma, params, and q (n_paths: P(y_{t+h} + shift < threshold) per draw) when a
        threshold is given. The point probability is ``q.mean()`` and its interval quantiles of ``q``.
    """
    params, cov, sigma = ar1_fit(y, min_points)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(params, cov, size=n_paths, method="cholesky")
    draws[:, 1] = np.clip(draws[:, 1], -0.99, 0.99)
    paths = np.empty((n_paths, horizon))
    x = np.full(n_paths, y[-1], dtype=float)
    for k in range(horizon):
        x = draws[:, 0] + draws[:, 1] * x + rng.normal(0, sigma, n_paths)
        paths[:, k] = x
    out = {"paths": np.clip(paths, 0, 100), "draws": draws, "sigma": sigma, "params": params}
    if threshold is not None:
        out["q"] = analytic_below(float(y[-1]), draws[:, 0], draws[:, 1], sigma, horizon, threshold, shift)
    return out


# ---------------------------------------------------------------------------------------------- the pair


@dataclass
class FuturesResult:
    """Scenario probabilities for a pair (``probabilities``: one row per horizon and scenario; ``p, lo, hi``
    are the headline, ``model_*`` and ``base_*`` the two candidates), the reference classes (``reference``
    for the UN-voting class, ``conflict_reference`` for the conflict class), the raw class rates
    (``rates``), the back-test behind each headline (``choice``), signposts and the assumption trail."""

    a: str
    b: str
    probabilities: pd.DataFrame
    reference: dict[int, ReferenceClass]
    signposts: pd.DataFrame
    trail: list[str]
    state: dict
    paths: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    conflict_reference: dict[int, ReferenceClass] = field(default_factory=dict)
    rates: pd.DataFrame = field(default_factory=pd.DataFrame)
    choice: dict[int, dict] = field(default_factory=dict)
    conflict_state: dict = field(default_factory=dict)

    def summary(self) -> str:
        """The headline probabilities as text, one line per horizon."""
        lines = [f"Futures {self.a}-{self.b}"]
        for hz, g in self.probabilities.groupby("horizon"):
            parts = ", ".join(f"{r.label.lower()} {r.p:.1%} ({r.lo:.1%}-{r.hi:.1%})" for r in g.itertuples())
            lines.append(f"{hz} years [{g.headline.iloc[0]}]: {parts}")
        return "\n".join(lines)


def current_pledge(store: Store, a: str, b: str) -> tuple[float, int | None, str]:
    """The pair's latest known defence pledge (0/1), its year and what it stands on, from
    :func:`dyadic.indicators.obligations.add_obligations` (ATOP 5.1 carried past 2018, plus cited treaties).

    Returns (nan, None, reason) when the obligation sources are not ingested.
    """
    from dyadic.indicators.obligations import CURATED, LEVELS, add_obligations
    from dyadic.indicators.panel import create_dyadyears

    if not (store.has_source(LEVELS) and store.has_source(CURATED)):
        return np.nan, None, f"obligations not ingested ({LEVELS}, {CURATED})"
    last = int(store.con.execute("SELECT max(year) FROM roll_calls WHERE body = 'GA'").fetchone()[0])
    p = add_obligations(create_dyadyears(store, 1946, last, pairs=[(a, b)]), store).data
    p = p.dropna(subset=["oblig_defense"])
    if p.empty:
        return np.nan, None, "no obligation data for the pair"
    row = p.sort_values("year").iloc[-1]
    return float(row.oblig_defense), int(row.year), str(row.oblig_basis)


def _origins(horizon: int, last: int) -> tuple[int, ...]:
    """Back-test origins: the documented ones for 5 and 10 years, else three a decade apart ending at the
    last year whose outcome is observed."""
    fixed = {5: (1995, 2005, 2012), 10: (1985, 1995, 2005)}
    return fixed.get(horizon, tuple(last - horizon - k for k in (20, 10, 0)))


def headline_choice(store: Store | None, h: pd.DataFrame, cfg: dict, horizon: int) -> dict:
    """Which of model and base rate scores the better Brier in the back-test at ``horizon`` (remembered by
    the store for these settings).

    Returns:
        dict(winner "model" or "base rate", brier, brier_base, skill, n, origins).
    """
    sett, ref = cfg["settings"], cfg["reference"]
    last = int(h.dropna(subset=["pact"]).year.max())
    orig = _origins(horizon, last)

    def run() -> dict:
        _, summ = backtest(h, cfg, origins={horizon: orig})
        row = summ[summ.origin == "all"].iloc[0]
        win = "model" if row.brier < row.brier_base else "base rate"
        return {"winner": win, "brier": float(row.brier), "brier_base": float(row.brier_base),
                "skill": float(row.skill), "n": int(row.n), "origins": orig}

    if store is None:
        return run()
    key = (HEADLINE_KEY, horizon, orig, float(sett["drop"]), int(sett["history_years"]),
           int(sett["min_class"]), int(sett["min_points"]), float(ref["asym_min"]), int(ref["rising_years"]),
           tuple(ref["order"]), _content_key(h))
    return store.cached(key, run)


def _content_key(h: pd.DataFrame) -> int:
    """A key for a history frame's content (0.5 s for a million rows), so a remembered back-test is reused
    by any run that has the same history -- an object's id would be new every run."""
    return int(pd.util.hash_pandas_object(h, index=False).sum())


def no_conflict_rows(store: Store, cfg: dict, horizon: int, hist: pd.DataFrame | None = None) -> np.ndarray:
    """For each row of the UN history: no militarised conflict in the ``horizon`` years after it (the
    reference class of the agreement scenarios excludes conflict). Remembered by the store for the shipped
    history; computed afresh for a ``hist`` the caller gives."""
    ch = conflict_history(store, cfg)
    if hist is not None:
        return _conflict_on(hist, ch, horizon) == 0
    c = cfg["conflict"]
    key = (NO_CONFLICT_KEY, horizon, int(cfg["reference"]["rising_years"]), c["dataset"],
           int(c["hostlev_min"]), tuple(c["peace_years"]), int(c["contig_max"]), int(c["start"]))
    return store.cached(key, lambda: _conflict_on(history(store, cfg["reference"]["rising_years"]), ch,
                                                  horizon) == 0)


def _conflict_on(h: pd.DataFrame, ch: pd.DataFrame, horizon: int) -> np.ndarray:
    """:func:`conflict_outcomes` looked up for each row of the UN history ``h`` (NaN where not measured)."""
    y = conflict_outcomes(ch, horizon)
    cats = pd.Index(sorted(set(h.a.cat.categories) | set(h.b.cat.categories) | set(ch.a) | set(ch.b)))
    k = len(cats) + 1
    ky = lambda yr, a, b: (np.asarray(yr, dtype=np.int64) * k + cats.get_indexer(a)) * k + cats.get_indexer(b)
    ck = ky(ch.year.to_numpy(), ch.a.to_numpy(), ch.b.to_numpy())
    order = np.argsort(ck)
    ck, y = ck[order], y[order]
    hk = ky(h.year.to_numpy(), h.a.astype(str).to_numpy(), h.b.astype(str).to_numpy())
    pos = np.minimum(np.searchsorted(ck, hk), len(ck) - 1)
    return np.where(ck[pos] == hk, y[pos], np.nan)


#: the horizons a brief projects (and whose back-test picks its headline figure)
HORIZONS = (5, 10)


@shared("futures", HISTORY_KEY, CONFLICT_HISTORY_KEY, HEADLINE_KEY, NO_CONFLICT_KEY, OBLIGATIONS_KEY)
def prepare(store: Store) -> None:
    """The reference histories (UN agreement, conflict), the all-dyad pledges and the back-tests that pick
    each horizon's headline, with the shipped scenarios."""
    from dyadic.indicators.obligations import CURATED, LEVELS, all_dyad_obligations

    cfg = load_scenarios()
    h = history(store, cfg["reference"]["rising_years"])
    conflict_history(store, cfg)
    if store.has_source(LEVELS) and store.has_source(CURATED):
        all_dyad_obligations(store)
    for horizon in HORIZONS:
        headline_choice(store, h, cfg, horizon)
        no_conflict_rows(store, cfg, horizon)


def futures(store: Store, a: str, b: str, c: str | None = None, horizons: tuple[int, ...] = HORIZONS,
            scenarios: str | Path | None = None, whatif: list[str] | None = None, n_paths: int = 10_000,
            n_boot: int = 500, seed: int = 0, hist: pd.DataFrame | None = None) -> FuturesResult:
    """Probabilities of continuity, alliance, degradation and militarised conflict for a pair over each
    horizon, with 90% intervals, the reference classes, signposts with current values and the assumption trail.

    Args:
        store: needs the UN vote sources, alliances_atop_cow, cow_contiguity_distance, mids_cow_gml and
            strategic_rivalries_td; cow_nmc for the asymmetry conditions; alliances_atop_levels and
            treaties_after_sources (optional) for the pair's pledge after 2018.
        a, b: the pair; c: the third party (for signposts on B-C / A-C).
        scenarios: a scenario file (default: the shipped one).
        whatif: names of ``[whatif.*]`` entries to apply.
        n_paths: parameter draws (and Monte Carlo paths) per horizon; every probability is a mean over them.
        hist: a precomputed :func:`history` (reused across pairs).
    """
    cfg = load_scenarios(scenarios)
    sett, cc = cfg["settings"], cfg["conflict"]
    drop, min_points = float(sett["drop"]), int(sett["min_points"])
    h = hist if hist is not None else history(store, cfg["reference"]["rising_years"])
    ch = conflict_history(store, cfg)
    state = pair_state(h, a, b)
    pv, py, basis = current_pledge(store, a, b)
    if py is not None and (state["pact"][1] is None or py > state["pact"][1]):
        state["pact"] = (pv, py)
        pact_text = f"defence pledge {int(pv)} in {py} ({basis}; add_obligations)"
    else:
        pact_text = f"ATOP defence pledges to {state['pact'][1]} ({basis})" if py is None else \
            f"ATOP defence pledges to {state['pact'][1]}"
    cstate = conflict_state(ch, a, b)
    ser = pair_rows(h, a, b).dropna(subset=["pct"]).sort_values("year")
    ser = ser[ser.year > ser.year.max() - sett["history_years"]]
    last_year = int(ser.year.max())
    top = float(ser.pct.iloc[-1]) - drop  # the degradation line: `drop` points below the pair's level now
    mid_hi = ch.attrs["mid"][1]
    trail = [
        f"Data: the pair's UN voting agreement percentile {int(ser.year.min())}-{last_year} "
        f"(now {state['pct'][0]:.1f}, {state['pct'][1]}); {pact_text}; COW NMC capability ratio to "
        f"{state['ratio'][1]}.",
        f"Conflict data: {('COW MID 5.0' if cc['dataset'] == 'cow' else 'GML MID 2.2.1')} to {mid_hi}. The pair's "
        f"conflict state is its state in {cstate['peace'][1]} (rivalry: {cstate['rivalry'][1]}; contiguity and "
        f"major powers: {cstate['relevant'][1]}); disputes after {mid_hi} are not measured, so the {mid_hi + 1}-"
        f"{last_year} years are not in it. Reference period: origins from {int(cc['start'])} whose horizon ends by {mid_hi}.",
        "Scenarios, in priority order: conflict (a MID at hostility >= "
        f"{cc['hostlev_min']} in some year of the horizon), else alliance (a defence pledge forms), else "
        f"degradation (agreement percentile more than {drop:g} points below now, i.e. below {top:.1f}), else "
        "continuity. They partition the outcomes and sum to 1.",
        "P(conflict) = conflict reference-class rate (Jeffreys, design effect of clustering by dyad); "
        "alliance / degradation / continuity given no conflict = UN-voting reference-class rates among "
        "dyad-years with no conflict (cluster bootstrap over dyads); the model replaces the class's "
        "degradation/continuity split by the AR(1) projection. Point = mean of "
        f"{n_paths:,} draws (seed {seed}), interval = 90% quantile interval of the same draws.",
    ]
    trail += [f"Scenario file: {f} added from the shipped file." for f in cfg.get("filled", [])]
    shift, factor, cfactor = 0.0, 1.0, 1.0
    for name in whatif or []:
        w = cfg.get("whatif", {}).get(name)
        if w is None:
            raise RequestError(f"unknown what-if '{name}'; the scenario file defines: "
                               f"{', '.join(cfg.get('whatif', {})) or 'none'}")
        shift += float(w.get("shift_pct", 0.0))
        factor *= float(w.get("alliance_factor", 1.0))
        cfactor *= float(w.get("conflict_factor", 1.0))
        trail.append(f"What-if '{name}': {w.get('description', '')} Assumed: percentile shift "
                     f"{w.get('shift_pct', 0):+g} at the horizon, alliance rate x{w.get('alliance_factor', 1)}, "
                     f"conflict rate x{w.get('conflict_factor', 1)}; "
                     f"drivers: {', '.join(w.get('drivers', [])) or 'none named'}.")
    # the base-rate arm applies a percentile shift as a moved degradation line: end + shift < now - drop
    cfg_shift = {**cfg, "settings": {**sett, "drop": drop + shift}}
    rows, rate_rows, refs, crefs, paths, choices = [], [], {}, {}, {}, {}
    rng = np.random.default_rng(seed)
    for hz in horizons:
        cr, crc = conflict_rates(ch, cstate, cfg, hz)
        crefs[hz] = crc
        pc = np.clip(rate_draws(cr["count"], cr["n"], cr["deff"], n_paths, rng) * cfactor, 0, 1)
        no_conflict = no_conflict_rows(store, cfg, hz, hist)
        br, rc = base_rates(h, state, cfg_shift, hz, n_boot=n_boot, seed=seed, keep=no_conflict)
        refs[hz] = rc
        boot = br.attrs["boot"][rng.integers(0, n_boot, n_paths)]
        pa = (1 - pc) * np.clip(boot[:, 1] * factor, 0, 1)
        rest = 1 - pc - pa
        with np.errstate(invalid="ignore", divide="ignore"):
            split = np.nan_to_num(boot[:, 2] / (boot[:, 0] + boot[:, 2]), nan=0.0)
        base = {"continuity": rest * (1 - split), "alliance": pa, "degradation": rest * split, "conflict": pc}
        try:
            pr = project(ser.pct.to_numpy(), hz, n_paths=n_paths, seed=seed + hz, threshold=top, shift=shift,
                         min_points=min_points)
            paths[hz] = pr["paths"]
            q = pr["q"]
            model = {"continuity": rest * (1 - q), "alliance": pa, "degradation": rest * q, "conflict": pc}
            ch_ = headline_choice(store, h, cfg, hz)
            why = (f"the back-test ({ch_['n']:,} held-out dyad forecasts, origins "
                   f"{', '.join(map(str, ch_['origins']))}) scores the {ch_['winner']} better: Brier "
                   f"{ch_['brier']:.4f} (model) vs {ch_['brier_base']:.4f} (base rate)")
        except DyadicError as exc:
            model, q = None, None
            ch_ = {"winner": "base rate"}
            why = f"no projection ({exc}): the base rate stands alone"
        choices[hz] = ch_
        head = model if ch_["winner"] == "model" else base
        for s in SCENARIOS:
            b_pt = float(np.mean(base[s]))
            m_pt = float(np.mean(model[s])) if model is not None else np.nan
            p_pt = float(np.mean(head[s]))
            lo, hi = interval(head[s], p_pt)
            b_lo, b_hi = interval(base[s], b_pt)
            m_lo, m_hi = interval(model[s], m_pt) if model is not None else (np.nan, np.nan)
            rows.append({"horizon": hz, "scenario": s, "label": cfg["scenarios"][_name(cfg, s)]["label"],
                         "p": p_pt, "lo": lo, "hi": hi, "headline": ch_["winner"], "model": m_pt,
                         "model_lo": m_lo, "model_hi": m_hi, "base": b_pt, "base_lo": b_lo, "base_hi": b_hi,
                         "class_n": crc.n_rows if s == "conflict" else rc.n_rows,
                         "class_dyads": crc.n_dyads if s == "conflict" else rc.n_dyads})
        rate_rows.append({"horizon": hz, "class": "conflict", "outcome": "conflict", **cr})
        for r_ in br.itertuples():
            rate_rows.append({"horizon": hz, "class": "UN voting, given no conflict", "outcome": r_.scenario,
                              "count": r_.count, "n": int(br["count"].sum()), "rate": r_.rate, "lo": r_.lo,
                              "hi": r_.hi, "deff": np.nan})
        trail.append(f"{hz} years: conflict class = {crc.text} ({crc.n_rows:,} dyad-years, {crc.n_dyads:,} dyads"
                     + (f", origins {crc.years[0]}-{crc.years[1]}" if crc.years else "")
                     + (f"; dropped for size or not measured: {', '.join(crc.dropped)}" if crc.dropped else "")
                     + f"): rate {cr['rate']:.3f} (90% {cr['lo']:.3f}-{cr['hi']:.3f}, design effect "
                     f"{cr['deff']:.1f}). UN-voting class = {rc.text} ({rc.n_rows:,} dyad-years, {rc.n_dyads:,} "
                     "dyads" + (f", {rc.years[0]}-{rc.years[1]}" if rc.years else "")
                     + (f"; dropped for size: {', '.join(rc.dropped)}" if rc.dropped else "") + ")"
                     + (f"; q = {float(np.mean(q)):.3f}" if q is not None else "")
                     + f". Headline: {ch_['winner']}, because {why}.")
    sign = signposts(store, h, cfg, a, b, c)
    return FuturesResult(a, b, pd.DataFrame(rows), refs, sign, trail, state, paths, conflict_reference=crefs,
                         rates=pd.DataFrame(rate_rows), choice=choices, conflict_state=cstate)


def _name(cfg: dict, outcome: str) -> str:
    return next(k for k, v in cfg["scenarios"].items() if CONDITIONS[v["condition"]] == outcome)


def signposts(store: Store, h: pd.DataFrame, cfg: dict, a: str, b: str, c: str | None) -> pd.DataFrame:
    """Each signpost of the scenario file with its current value, year and whether it is crossed."""
    roles = {"A": a, "B": b, "C": c}
    rows = []
    for sp in cfg.get("signposts", []):
        x, y = (roles.get(r) for r in sp["pair"].split("-"))
        val, year, note = np.nan, None, ""
        if x is None or y is None:
            note = "no third party given"
        else:
            try:
                val, year = current_value(store, h, x, y, sp["indicator"])
            except DyadicError as exc:
                note = str(exc)
        crossed = (None if np.isnan(val) else bool(val < sp["threshold"]) if sp["direction"] == "below"
                   else bool(val > sp["threshold"]))
        rows.append({"signpost": sp["name"], "pair": f"{x}–{y}" if x and y else sp["pair"],
                     "indicator": sp["indicator"], "current": val, "year": year, "threshold": sp["threshold"],
                     "direction": sp["direction"], "crossed": crossed, "signals": sp["signals"],
                     "note": note or ("not measured" if np.isnan(val) else "")})
    return pd.DataFrame(rows)


def current_value(store: Store, h: pd.DataFrame, x: str, y: str, indicator: str) -> tuple[float, object]:
    """Latest value of a signpost indicator for a pair, and its year (or period)."""
    d = pair_rows(h, x, y).sort_values("year")
    cols = {"unga_pct": "pct", "unga_agree": "agree", "cinc_ratio": "ratio", "cinc_ratio_change": "ratio_change",
            "atop_defense": "pact"}
    if indicator in cols:
        s = d.dropna(subset=[cols[indicator]])
        if s.empty:
            raise DyadicError(f"no data for {indicator} of {x}-{y}")
        return float(s[cols[indicator]].iloc[-1]), int(s.year.iloc[-1])
    if indicator == "events_score_12m":
        from dyadic.framework.shocks import daily_graph

        s = daily_graph(store, x, y).dropna()
        last = s.index.max()
        win = s[s.index > last - pd.Timedelta(days=365)]
        return float(win.mean()), f"{win.index.min().date()}–{last.date()}"
    raise RequestError(f"unknown signpost indicator '{indicator}'")


# ---------------------------------------------------------------------------------------------- back-test


def backtest(h: pd.DataFrame, cfg: dict | None = None, origins: dict[int, tuple[int, ...]] | None = None,
             ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The futures method as of earlier years, on every dyad without a defence pact then.

    For each origin T and horizon h: base rates from dyad-years with ``t + h <= T`` in the dyad's own
    class (its agreement decile, no pact, asymmetry high/rising or not; a class under ``min_class`` falls
    back to the decile alone); projection from the dyad's percentile up to T only.

    Returns:
        (per-dyad forecasts: origin, horizon, dyad, outcome, p_* and b_* for the model and the base rate;
         summary per origin/horizon and overall: n, brier, brier_base, skill = 1 - brier/brier_base).
    """
    cfg = cfg or load_scenarios()
    sett = cfg["settings"]
    drop, nhist = float(sett["drop"]), int(sett["history_years"])
    origins = origins or {5: (1995, 2005, 2012), 10: (1985, 1995, 2005)}
    masks = _condition_masks(h, cfg)
    dec = decile(h.pct)
    cls_key = np.nan_to_num(dec, nan=-1).astype(int) * 4 + masks["asym_high"].astype(int) * 2 + \
        masks["asym_rising"].astype(int)
    base_mask = masks["no_pact"] & ~np.isnan(dec)
    level_key = np.nan_to_num(dec, nan=-1).astype(int)
    wide = h.pivot_table(index="dyad", columns="year", values="pct")
    out = []
    for hz, years in origins.items():
        y = outcomes(h, hz, drop).to_numpy()
        for T in years:
            past = base_mask & (h.year + hz <= T).to_numpy() & pd.notna(y)
            rates = {k: _rates(y[past & (cls_key == k)]) for k in range(40)}
            sizes = {k: int((past & (cls_key == k)).sum()) for k in range(40)}
            by_level = {k: _rates(y[past & (level_key == k)]) for k in range(10)}
            now = base_mask & (h.year == T).to_numpy() & pd.notna(y)
            rows = h.loc[now, ["dyad", "a", "b", "pct"]].copy()
            rows["outcome"] = y[now]
            keys, lv = cls_key[now], level_key[now]
            base = np.array([rates[k] if sizes[k] >= sett["min_class"] else by_level[l] for k, l in zip(keys, lv)])
            if len(rows) == 0:
                continue
            cols = [c for c in wide.columns if T - nhist < c <= T]
            mat = wide.loc[rows.dyad, cols].to_numpy()
            q = _ar1_below(mat, hz, rows.pct.to_numpy() - drop, int(sett.get("min_points", 10)))
            pa = base[:, 1]
            model = np.column_stack([(1 - pa) * (1 - q), pa, (1 - pa) * q])
            ok = ~np.isnan(q)
            model[~ok] = base[~ok]  # too short a history: the method falls back to the base rate
            for i, s in enumerate(UN_SCENARIOS):
                rows[f"p_{s}"] = model[:, i]
                rows[f"b_{s}"] = base[:, i]
            rows["origin"], rows["horizon"], rows["projected"] = T, hz, ok
            out.append(rows)
    fc = pd.concat(out, ignore_index=True)
    onehot = np.column_stack([(fc.outcome == s).to_numpy(float) for s in UN_SCENARIOS])
    fc["brier"] = ((fc[[f"p_{s}" for s in UN_SCENARIOS]].to_numpy() - onehot) ** 2).sum(axis=1)
    fc["brier_base"] = ((fc[[f"b_{s}" for s in UN_SCENARIOS]].to_numpy() - onehot) ** 2).sum(axis=1)
    summ = fc.groupby(["horizon", "origin"]).agg(n=("brier", "size"), brier=("brier", "mean"),
                                                  brier_base=("brier_base", "mean")).reset_index()
    allrow = pd.DataFrame([{"horizon": "all", "origin": "all", "n": len(fc), "brier": fc.brier.mean(),
                            "brier_base": fc.brier_base.mean()}])
    summ = pd.concat([summ.astype({"horizon": object, "origin": object}), allrow], ignore_index=True)
    summ["skill"] = 1 - summ.brier / summ.brier_base
    return fc, summ


def _rates(ys: np.ndarray) -> np.ndarray:
    n = len(ys)
    return np.array([(ys == s).sum() / n if n else np.nan for s in UN_SCENARIOS])


def _ar1_below(mat: np.ndarray, h: int, top: np.ndarray, min_points: int = 10) -> np.ndarray:
    """P(below ``top`` at ``h``) per row from :func:`ar1_fit_many` (the projection's estimator, its sigma
    with the same floor). Rows with fewer than ``min_points`` year-on-year pairs, or missing their last
    year, give NaN."""
    r = ar1_fit_many(mat)
    ok = ~np.isnan(mat)
    last = np.array([row[m][-1] if m.any() else np.nan for row, m in zip(mat, ok)])
    q = analytic_below(last, r.const, r.phi, r.sigma, h, top)
    return np.where((r.nobs >= min_points) & ~np.isnan(mat[:, -1]), q, np.nan)
