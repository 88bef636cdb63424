"""Futures: reference-class base rates, Monte Carlo projections and scenario probabilities with signposts.

The method (docs/methods/futures.md):

1. **History** (:func:`history`): every non-directed dyad-year 1946- with UNGA agreement and its
   percentile among all dyads that year, ATOP defence pledges (1815-2018; missing after) and the COW NMC
   capability ratio (larger CINC / smaller CINC) with its log change over ``rising_years``.
2. **Reference class** (:func:`base_rates`): dyad-years that looked like the pair now (the same decile of
   agreement, no defence pact, high and rising capability asymmetry; conditions dropped from the end while
   the class has fewer than ``min_class`` dyad-years). Outcomes within ``h`` years, exclusive and
   exhaustive: *alliance* (a defence pledge in force in some year of ``(t, t+h]``), *degradation* (no pact
   and the agreement percentile at ``t+h`` more than ``drop`` points below its value at ``t``),
   *continuity* (the rest). Intervals: cluster bootstrap over dyads (consecutive years of a dyad are not independent).
3. **Projection** (:func:`project`): an AR(1) with a constant (statsmodels ``AutoReg``) fitted to the
   pair's agreement percentile over the last ``history_years``; Monte Carlo paths with parameters drawn
   from the estimate's sampling distribution and Gaussian shocks; ``q_h`` = share of paths below the
   degradation line at ``t+h``.
4. **Scenario probabilities**: ``P(alliance)`` = the reference-class rate (a 0/1 pledge cannot be
   projected from its own all-zero history), ``P(degradation) = (1 - P(alliance)) q_h``,
   ``P(continuity) = (1 - P(alliance)) (1 - q_h)``. What-ifs shift the projection or scale the alliance
   rate; each assumption is written to the trail.
5. **Back-test** (:func:`backtest`): the same method as of earlier years on every dyad in the class, scored
   by the multi-class Brier score against the base-rate-only forecast.

Drivers (framework question 1) are not used yet; what-ifs name the drivers they stand for, so they can
later act on driver scores instead of on the projected percentile directly.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from dyadic.errors import DyadicError, RequestError
from dyadic.store import Store

SCENARIOS = ("continuity", "alliance", "degradation")
CONDITIONS = {"pact_formed": "alliance", "below_top": "degradation", "stays_top": "continuity"}
NMC = "cow_nmc"


def load_scenarios(path: str | Path | None = None) -> dict:
    """The scenario file (TOML): the shipped ``data/scenarios.toml`` unless ``path`` is given."""
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
    if conds != set(CONDITIONS):
        raise RequestError(f"scenario file '{path or 'scenarios.toml'}' must define exactly one scenario per "
                           f"condition {sorted(CONDITIONS)} (found {sorted(c for c in conds if c)})")
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
    return store.cached(("futures.history", rising_years), lambda: build_history(store, rising_years))


def build_history(store: Store, rising_years: int = 5) -> pd.DataFrame:
    """:func:`history` computed afresh (no memo). Joins on the panel's integer state codes throughout."""
    from dyadic.indicators.panel import add_alliances, add_unga, create_dyadyears

    last = store.con.execute("SELECT max(year) FROM roll_calls WHERE body = 'GA'").fetchone()[0]
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

    alliance: a defence pact in force in some year of ``(t, t+h]``; else, with ATOP covering ``t+h``,
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
    lo, hi = sorted([a, b])
    d = h[(h.a == lo) & (h.b == hi)].sort_values("year")
    if d.empty or d.agree.notna().sum() == 0:
        raise DyadicError(f"no UN voting history for {a}-{b}: futures need the pair's agreement series")
    out = {}
    for col in ("pct", "agree", "pact", "ratio", "ratio_change"):
        s = d.dropna(subset=[col])
        out[col] = (float(s[col].iloc[-1]), int(s.year.iloc[-1])) if len(s) else (np.nan, None)
    return out


def base_rates(h: pd.DataFrame, state: dict, cfg: dict, horizon: int, as_of: int | None = None,
               n_boot: int = 500, seed: int = 0) -> tuple[pd.DataFrame, ReferenceClass]:
    """Scenario frequencies in the pair's reference class, ``horizon`` years on.

    Args:
        h: :func:`history`.
        state: :func:`pair_state` (which conditions the pair meets).
        cfg: the scenario file.
        as_of: use only dyad-years whose outcome was known by this year (``t + horizon <= as_of``).

    Returns:
        (scenario, count, rate, lo, hi) and the :class:`ReferenceClass`.
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
    counts = {s: int((ys == s).sum()) for s in SCENARIOS}
    boot = _cluster_boot(sub.dyad.to_numpy(), ys, n_boot, seed)
    for i, s in enumerate(SCENARIOS):
        rate = counts[s] / len(ys) if len(ys) else np.nan
        lo, hi = (np.quantile(boot[:, i], [0.05, 0.95]) if len(ys) else (np.nan, np.nan))
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
    for i, s in enumerate(SCENARIOS):
        per[:, i] = np.bincount(inv, weights=(ys == s).astype(float), minlength=len(codes))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(codes), size=(n_boot, len(codes)))
    num = per[idx].sum(axis=1)
    tot = num.sum(axis=1)
    return num / np.where(tot > 0, tot, np.nan)[:, None]


# ---------------------------------------------------------------------------------------------- projection


def ar1_fit(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """AR(1) with a constant by conditional least squares (statsmodels ``AutoReg``).

    Returns:
        (params [const, phi], their covariance, innovation sd).
    """
    from statsmodels.tsa.ar_model import AutoReg

    y = np.asarray(y, dtype=float)
    if len(y) < 6:
        raise DyadicError(f"a projection needs 6+ years of the pair's series, not {len(y)}")
    res = AutoReg(y, lags=1, trend="c").fit()
    sigma = float(max(np.sqrt(res.sigma2), 0.5))  # a floor: a perfectly flat history is not certainty
    return np.asarray(res.params), np.asarray(res.cov_params()), sigma


def analytic_below(x0: np.ndarray, c: np.ndarray, phi: np.ndarray, sigma: np.ndarray, h: int,
                   threshold: float, shift: float = 0.0) -> np.ndarray:
    """P(y_{t+h} < threshold) for a Gaussian AR(1) started at ``x0`` (vectorised over dyads/draws)."""
    phi = np.clip(phi, -0.99, 0.99)
    mu = c / (1 - phi)
    mean = mu + phi ** h * (x0 - mu) + shift
    var = sigma ** 2 * (1 - phi ** (2 * h)) / (1 - phi ** 2)
    return norm.cdf((threshold - mean) / np.sqrt(np.maximum(var, 1e-9)))


def project(y: np.ndarray, horizon: int, n_paths: int = 10_000, seed: int = 0) -> dict:
    """Monte Carlo paths of an AR(1) fitted to ``y``, with parameter uncertainty.

    Returns:
        paths (n_paths, horizon), draws (n_paths, 2) of [const, phi], sigma, params.
    """
    params, cov, sigma = ar1_fit(y)
    rng = np.random.default_rng(seed)
    draws = rng.multivariate_normal(params, cov, size=n_paths, method="cholesky")
    draws[:, 1] = np.clip(draws[:, 1], -0.99, 0.99)
    paths = np.empty((n_paths, horizon))
    x = np.full(n_paths, y[-1], dtype=float)
    for k in range(horizon):
        x = np.clip(draws[:, 0] + draws[:, 1] * x + rng.normal(0, sigma, n_paths), 0, 100)
        paths[:, k] = x
    return {"paths": paths, "draws": draws, "sigma": sigma, "params": params}


# ---------------------------------------------------------------------------------------------- the pair


@dataclass
class FuturesResult:
    a: str
    b: str
    probabilities: pd.DataFrame  # horizon, scenario, p, lo, hi, base, base_lo, base_hi
    reference: dict[int, ReferenceClass]
    signposts: pd.DataFrame
    trail: list[str]
    state: dict
    paths: dict[int, np.ndarray] = field(default_factory=dict, repr=False)


def futures(store: Store, a: str, b: str, c: str | None = None, horizons: tuple[int, ...] = (5, 10),
            scenarios: str | Path | None = None, whatif: list[str] | None = None, n_paths: int = 10_000,
            n_boot: int = 500, seed: int = 0, hist: pd.DataFrame | None = None) -> FuturesResult:
    """Scenario probabilities for a pair over each horizon, with intervals, the reference class,
    signposts with current values and the assumption trail.

    Args:
        store: needs the UN vote sources and alliances_atop_cow; cow_nmc for the asymmetry conditions.
        a, b: the pair; c: the third party (for signposts on B-C / A-C).
        scenarios: a scenario file (default: the shipped one).
        whatif: names of ``[whatif.*]`` entries to apply.
        hist: a precomputed :func:`history` (reused across pairs).
    """
    cfg = load_scenarios(scenarios)
    sett = cfg["settings"]
    drop = float(sett["drop"])
    h = hist if hist is not None else history(store, cfg["reference"]["rising_years"])
    state = pair_state(h, a, b)
    lo_, hi_ = sorted([a, b])
    ser = h[(h.a == lo_) & (h.b == hi_)].dropna(subset=["pct"]).sort_values("year")
    ser = ser[ser.year > ser.year.max() - sett["history_years"]]
    last_year = int(ser.year.max())
    top = float(ser.pct.iloc[-1]) - drop  # the degradation line: `drop` points below the pair's level now
    trail = [
        f"Data: the pair's UN voting agreement percentile {int(ser.year.min())}-{last_year} "
        f"(now {state['pct'][0]:.1f}, {state['pct'][1]}); ATOP defence pledges to {state['pact'][1]} "
        f"(the last ATOP year; later years unknown, the pair's value there is taken as its {state['pact'][1]} "
        f"value for class membership only); COW NMC capability ratio to {state['ratio'][1]}.",
        f"Model: AR(1) with constant on the percentile, {n_paths:,} Monte Carlo paths with parameter "
        f"uncertainty (seed {seed}); degradation = percentile more than {drop:g} points below now ({top:.1f}) "
        "at the horizon.",
        "P(alliance) = reference-class rate; P(degradation) = (1 - P(alliance)) x share of paths below the "
        "degradation line; P(continuity) = the rest. Intervals: 90%, cluster bootstrap over dyads for the rate, "
        "parameter draws for the projection.",
    ]
    shift, factor = 0.0, 1.0
    for name in whatif or []:
        w = cfg.get("whatif", {}).get(name)
        if w is None:
            raise RequestError(f"unknown what-if '{name}'; the scenario file defines: "
                               f"{', '.join(cfg.get('whatif', {})) or 'none'}")
        shift += float(w.get("shift_pct", 0.0))
        factor *= float(w.get("alliance_factor", 1.0))
        trail.append(f"What-if '{name}': {w.get('description', '')} Assumed: percentile shift "
                     f"{w.get('shift_pct', 0):+g} at the horizon, alliance rate x{w.get('alliance_factor', 1)}; "
                     f"drivers: {', '.join(w.get('drivers', [])) or 'none named'}.")
    rows, refs, paths = [], {}, {}
    rng = np.random.default_rng(seed)
    for hz in horizons:
        br, rc = base_rates(h, state, cfg, hz, n_boot=n_boot, seed=seed)
        refs[hz] = rc
        pr = project(ser.pct.to_numpy(), hz, n_paths=n_paths, seed=seed + hz)
        paths[hz] = pr["paths"]
        q = float(np.mean(np.clip(pr["paths"][:, -1] + shift, 0, 100) < top))
        # interval of q from parameter uncertainty: analytic P(below) per parameter draw
        dq = analytic_below(ser.pct.iloc[-1], pr["draws"][:, 0], pr["draws"][:, 1], pr["sigma"], hz, top, shift)
        boot = br.attrs["boot"]
        pa_b = np.clip(boot[:, 1] * factor, 0, 1)
        q_b = rng.choice(dq, size=len(pa_b))
        pa = min(float(br.rate[br.scenario == "alliance"].iloc[0]) * factor, 1.0)
        point = {"alliance": pa, "degradation": (1 - pa) * q, "continuity": (1 - pa) * (1 - q)}
        reps = {"alliance": pa_b, "degradation": (1 - pa_b) * q_b, "continuity": (1 - pa_b) * (1 - q_b)}
        for s in SCENARIOS:
            b_row = br[br.scenario == s].iloc[0]
            lo, hi = np.nanquantile(reps[s], [0.05, 0.95])
            rows.append({"horizon": hz, "scenario": s, "label": cfg["scenarios"][_name(cfg, s)]["label"],
                         "p": point[s], "lo": lo, "hi": hi, "base": b_row.rate, "base_lo": b_row.lo,
                         "base_hi": b_row["hi"], "class_n": rc.n_rows, "class_dyads": rc.n_dyads})
        trail.append(f"{hz} years: reference class = {rc.text} ({rc.n_rows} dyad-years, {rc.n_dyads} dyads"
                     + (f", {rc.years[0]}-{rc.years[1]}" if rc.years else "")
                     + (f"; dropped for size: {', '.join(rc.dropped)}" if rc.dropped else "") + f"); q = {q:.3f}.")
    sign = signposts(store, h, cfg, a, b, c)
    return FuturesResult(a, b, pd.DataFrame(rows), refs, sign, trail, state, paths)


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
    lo, hi = sorted([x, y])
    d = h[(h.a == lo) & (h.b == hi)].sort_values("year")
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
    sett, ref = cfg["settings"], cfg["reference"]
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
            q = _ar1_below(mat, hz, rows.pct.to_numpy() - drop)
            pa = base[:, 1]
            model = np.column_stack([(1 - pa) * (1 - q), pa, (1 - pa) * q])
            ok = ~np.isnan(q)
            model[~ok] = base[~ok]  # too short a history: the method falls back to the base rate
            for i, s in enumerate(SCENARIOS):
                rows[f"p_{s}"] = model[:, i]
                rows[f"b_{s}"] = base[:, i]
            rows["origin"], rows["horizon"], rows["projected"] = T, hz, ok
            out.append(rows)
    fc = pd.concat(out, ignore_index=True)
    onehot = np.column_stack([(fc.outcome == s).to_numpy(float) for s in SCENARIOS])
    fc["brier"] = ((fc[[f"p_{s}" for s in SCENARIOS]].to_numpy() - onehot) ** 2).sum(axis=1)
    fc["brier_base"] = ((fc[[f"b_{s}" for s in SCENARIOS]].to_numpy() - onehot) ** 2).sum(axis=1)
    summ = fc.groupby(["horizon", "origin"]).agg(n=("brier", "size"), brier=("brier", "mean"),
                                                  brier_base=("brier_base", "mean")).reset_index()
    allrow = pd.DataFrame([{"horizon": "all", "origin": "all", "n": len(fc), "brier": fc.brier.mean(),
                            "brier_base": fc.brier_base.mean()}])
    summ = pd.concat([summ.astype({"horizon": object, "origin": object}), allrow], ignore_index=True)
    summ["skill"] = 1 - summ.brier / summ.brier_base
    return fc, summ


def _rates(ys: np.ndarray) -> np.ndarray:
    n = len(ys)
    return np.array([(ys == s).sum() / n if n else np.nan for s in SCENARIOS])


def _ar1_below(mat: np.ndarray, h: int, top: np.ndarray) -> np.ndarray:
    """Row-wise AR(1)-with-constant least squares (the estimator of :func:`ar1_fit`) and P(below top) at h.
    Rows with fewer than 6 usable years give NaN."""
    x, z = mat[:, :-1], mat[:, 1:]
    ok = ~np.isnan(x) & ~np.isnan(z)
    n = ok.sum(axis=1).astype(float)
    xs, zs = np.where(ok, x, 0.0), np.where(ok, z, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, mz = xs.sum(1) / n, zs.sum(1) / n
        sxx = (np.where(ok, x - mx[:, None], 0) ** 2).sum(1)
        sxz = (np.where(ok, (x - mx[:, None]) * (z - mz[:, None]), 0)).sum(1)
        phi = np.where(sxx > 0, sxz / sxx, 0.0)
        c = mz - phi * mx
        res = np.where(ok, z - c[:, None] - phi[:, None] * x, 0)
        sigma = np.maximum(np.sqrt((res ** 2).sum(1) / np.maximum(n - 2, 1)), 0.5)
    last = np.array([r[~np.isnan(r)][-1] if (~np.isnan(r)).any() else np.nan for r in mat])
    q = analytic_below(last, c, phi, sigma, h, top)
    return np.where((n >= 5) & ~np.isnan(mat[:, -1]), q, np.nan)
