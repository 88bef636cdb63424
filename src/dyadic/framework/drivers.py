"""The paper's six drivers of cooperation, scored for every dyad-year against the politically relevant dyads.

Each driver is a documented mapping from indicators to a score (``data/drivers.toml``; docs/methods/drivers.md):

1. the **reference set** of a year is its politically relevant dyads (Lemke & Reed 2001): contiguous by land or
   by at most 150 miles of water (COW Direct Contiguity), or including a COW major power. Ranking against all
   ~18,000 dyads would compare every pair with thousands that have nothing to do with each other;
2. every component column is ranked among the reference dyads of the year that have a value for it, giving a
   percentile in (0, 100] (ties share their mean rank; ``direction = -1`` ranks low values high); a dyad outside
   the reference set is placed in that same distribution;
3. the driver's raw score is the weighted mean of its components' percentiles, over the components that
   have a value; it is missing when fewer than ``min_components`` do;
4. the driver score is the percentile of that raw score among the reference dyads of the year with one.

Every input carries the year its value stands on (``asof__<column>``): sources that end early (MIDs 2014,
ATOP 2018, COW IGO 2014, the veto list 2021) are carried forward only where the configuration says so, and
:meth:`DriverScores.evidence` states, for each score, the year of each input and the size of the reference set.
Inputs a store lacks are missing, never 0: their components drop out and, if too few remain, the driver is
reported as not measured.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.dyad import pair_rows
from dyadic.errors import DyadicError, RequestError
from dyadic.framework import shared
from dyadic.store import Store

DRIVERS = ("security_reassurance", "power_projection", "geopolitical_balancing", "political_convergence",
           "economic_self_interest", "defence_cooperation")
GRAPH = "gdelt_daily_country_graph"
PLEDGE_COLS = ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consult")
OBLIG_COLS = ("oblig_defense", "oblig_offense", "oblig_neutral", "oblig_nonagg", "oblig_consult")
INPUT_COLUMNS = (*PLEDGE_COLS, "unga_agree", "unga_pi", "mme_exercises", "trade", "dep_a", "dep_b", "cinc_a", "cinc_b",
                 "gdp_a", "gdp_b", "milex_a", "milex_b")
#: defaults of the ``[drivers.params]`` table (windows, weights, thresholds of the derived inputs)
PARAMS = {"mid_window": 10, "veto_window": 10, "arms_window": 5, "exclusive_igo_max_members": 40,
          "exclusive_igo_min_majors": 2,
          "multilateral_weight": 0.25, "contig_max": 4,
          "pledge_weights": {"defense": 1.0, "nonagg": 0.75, "neutral": 0.5, "offense": 0.5, "consult": 0.25}}


#: the memo key of every dyad-year's driver scores (the shared product of this question)
SCORES_KEY = "framework.drivers"


@dataclass(frozen=True)
class Component:
    column: str
    weight: float
    direction: int
    desc: str
    evidence: str = ""


@dataclass(frozen=True)
class Driver:
    name: str
    label: str
    components: tuple[Component, ...]
    min_components: int
    why: str
    not_measured: tuple[str, ...]


@dataclass
class Config:
    """The parsed configuration file: driver mappings plus the ``nature``, ``triangle`` and ``verdicts`` tables."""

    drivers: dict[str, Driver]
    third_party: str
    start: int
    end: int
    nature: dict
    triangle: dict
    verdicts: dict
    path: str
    reference: str = "politically_relevant"
    params: dict = field(default_factory=lambda: dict(PARAMS))


def load_config(path: str | Path | None = None) -> Config:
    """Read a drivers configuration (default: the packaged ``data/drivers.toml``).

    Args:
        path: a TOML file laid out like the packaged one.

    Returns:
        The :class:`Config`.
    """
    try:
        if path is None:
            raw = tomllib.loads(resources.files("dyadic.data").joinpath("drivers.toml").read_text("utf-8"))
            where = "dyadic/data/drivers.toml"
        else:
            raw = tomllib.loads(Path(path).read_text("utf-8"))
            where = str(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:  # TOML is UTF-8 text
        raise RequestError(f"cannot read the drivers configuration '{path}': {exc}") from exc
    d = raw.get("drivers", {})
    drivers = {}
    for name in DRIVERS:
        spec = d.get(name)
        if spec is None:
            raise RequestError(f"{where}: driver '{name}' is not configured ([drivers.{name}] is missing)")
        comps = []
        for c in spec.get("components", []):
            if c.get("direction", 1) not in (1, -1) or float(c.get("weight", 1)) < 0:
                raise RequestError(f"{where}: {name}.{c.get('column')}: direction must be 1 or -1 and weight >= 0")
            comps.append(Component(c["column"], float(c.get("weight", 1.0)), int(c.get("direction", 1)),
                                   c.get("desc", ""), c.get("evidence", c["column"])))
        drivers[name] = Driver(name, spec.get("label", name), tuple(comps), int(spec.get("min_components", 1)),
                               " ".join(spec.get("why", "").split()), tuple(spec.get("not_measured", [])))
    reference = d.get("reference", "politically_relevant")
    if reference not in ("politically_relevant", "all"):
        raise RequestError(f"{where}: drivers.reference must be 'politically_relevant' or 'all', not '{reference}'")
    params = {**PARAMS, **{k: v for k, v in d.get("params", {}).items()}}
    params["pledge_weights"] = {**PARAMS["pledge_weights"], **d.get("params", {}).get("pledge_weights", {})}
    return Config(drivers=drivers, third_party=d.get("third_party", "USA"), start=int(d.get("start", 1992)),
                  end=int(d.get("end", 2024)), nature=raw.get("nature", {}), triangle=raw.get("triangle", {}),
                  verdicts=raw.get("verdicts", {}), path=where, reference=reference, params=params)


# ---------------------------------------------------------------------------------------------- inputs


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index)


def _arr(df: pd.DataFrame, name: str) -> np.ndarray:
    return _col(df, name).to_numpy(dtype="float64")


class _Grid:
    """The frame's rows on a dense (dyad, year) grid: values at other years of the same dyad, and windows."""

    def __init__(self, df: pd.DataFrame):
        self.dyad, keys = pd.factorize(df["a"].astype(str) + "|" + df["b"].astype(str))
        year = df["year"].astype(int).to_numpy()
        self.y0 = int(year.min()) if len(year) else 0
        self.col = year - self.y0
        self.shape = (len(keys), int(self.col.max()) + 1 if len(year) else 1)

    def dense(self, values: np.ndarray) -> np.ndarray:
        m = np.full(self.shape, np.nan)
        m[self.dyad, self.col] = values
        return m

    def at(self, m: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Each row's dyad value at ``years`` (NaN off the grid)."""
        c = np.asarray(years, dtype="float64") - self.y0
        ok = ~np.isnan(c) & (c >= 0) & (c < self.shape[1])
        out = np.full(len(c), np.nan)
        out[ok] = m[self.dyad[ok], c[ok].astype(int)]
        return out

    def window_sum(self, values: np.ndarray, k: int, anchor: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over the ``k`` years to ``anchor`` (inclusive); missing where the anchor year is.

        Grid years without a row (one of the states did not exist) count as 0: nothing happened between them.
        """
        m = self.dense(values)
        cs = np.concatenate([np.zeros((m.shape[0], 1)), np.nancumsum(np.nan_to_num(m), axis=1)], axis=1)
        c = np.asarray(anchor, dtype="float64") - self.y0
        ok = ~np.isnan(c) & (c >= 0) & (c < self.shape[1])
        out = np.full(len(c), np.nan)
        ci = c[ok].astype(int)
        lo = np.maximum(ci - k + 1, 0)
        out[ok] = cs[self.dyad[ok], ci + 1] - cs[self.dyad[ok], lo]
        out[ok & np.isnan(self.at(m, anchor))] = np.nan  # the anchor year itself is not measured
        return out


def _last_year(df: pd.DataFrame, col: str) -> float:
    """The last year any row has a value of ``col`` (NaN when none)."""
    v = _col(df, col)
    return float(df.loc[v.notna(), "year"].max()) if v.notna().any() else float("nan")


def _anchor(year: np.ndarray, last: float, carry: bool) -> np.ndarray:
    """The year a value stands on: the row's year, or the data's last year for later rows when carried."""
    y = year.astype("float64")
    if np.isnan(last):
        return np.full(len(y), np.nan)
    return np.minimum(y, last) if carry else np.where(y <= last, y, np.nan)


def derive_inputs(data: pd.DataFrame, third: str | None, graph: pd.DataFrame | None = None,
                  graph_years: tuple[int, int] | None = None, params: dict | None = None) -> pd.DataFrame:
    """Add the component columns the drivers read, and the year each stands on, to a non-directed dyad-year frame.

    Args:
        data: ``year, a, b`` (``a < b``) plus any panel columns (``atop_*``/``oblig_*``, ``mid_ongoing``,
            ``td_rivalry``, ``contig_type``, ``unsc_*vetoes*``, ``igo_joint``, ``n_full_a/b``, ``excl_igo_joint``,
            ``bsv_*``, ``polyarchy_absdiff``, ``trade``, ``dep_a``, ``tiv_*``, ``mme_exercises``, ``major_a/b``,
            ``p5_pair``...); absent columns make their components missing.
        third: the third party of geopolitical balancing (None: balancing is missing).
        graph: yearly daily-graph indicators (``a, b, year, coop, conflict, total_a, total_b``), or None.
        graph_years: the years the graph covers; inside them a pair without events has no conflict share
            (missing) and zero cooperation, outside them both are missing.
        params: windows and weights (default :data:`PARAMS`).

    Returns:
        A copy with the component columns of the packaged mappings, ``asof__<column>`` for each, and
        ``relevant`` (1 politically relevant, 0 not, missing when contiguity or major-power status is unknown).
    """
    p = {**PARAMS, **(params or {})}
    # shallow: every column below is new or replaced whole, so the caller's frame is never written (a deep
    # copy of the 1.3-million-row panel costs seconds)
    df = data.copy(deep=False)
    df["a"], df["b"] = df["a"].astype(str), df["b"].astype(str)
    # Inputs of sources the store lacks are present but missing, so every later step can read them.
    for c in INPUT_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
    year = df["year"].astype(int).to_numpy()
    grid = _Grid(df)
    asof: dict[str, np.ndarray] = {}

    # --- pledges. Graded by kind (a defence pledge reassures more than consultation) and by instrument: a
    # multilateral pact's pledge is shared with every member and often nominal (Helsinki, TAC, CIS charter).
    w = p["pledge_weights"]
    if "oblig_defense" in df.columns:
        kinds = sum(w[k] * _arr(df, f"oblig_{k}") for k in ("defense", "offense", "neutral", "nonagg", "consult"))
        inst = np.where(_arr(df, "oblig_bilateral") == 1, 1.0, float(p["multilateral_weight"]))
        score_, as_of = kinds * inst, _arr(df, "oblig_as_of")
        own = as_of == year
        last = float(year[own].max()) if own.any() else float("nan")
        # After ATOP's last year a dyad with no carried or curated instrument had none as of that year.
        back = _anchor(year, last, carry=True)
        later = np.isnan(score_) & (year > last)
        score_ = np.where(later, grid.at(grid.dense(np.where(own, score_, np.nan)), back), score_)
        as_of = np.where(later, back, as_of)
        df["pledge_score"] = score_
        asof["pledge_score"] = np.where(np.isnan(score_), np.nan, as_of)
    else:  # ATOP dyad-years without instrument detail (alliances_atop_cow): kinds only, to ATOP's last year
        kinds = sum(w[k] * _arr(df, f"atop_{k}") for k in ("defense", "offense", "neutral", "nonagg", "consult"))
        df["pledge_score"] = kinds
        asof["pledge_score"] = np.where(np.isnan(kinds), np.nan, year)
    pledges = [c for c in PLEDGE_COLS if c in df.columns]
    # Kinds of ATOP pledge in force (0-5): kept for the nature classifier and the substitution table.
    df["pledge_types"] = df[pledges].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(pledges)) \
        if pledges else np.nan

    # --- disputes and rivalry, over a window, carried from the data's last year (the brief says as of when).
    mid = _arr(df, "mid_ongoing")
    anchor = _anchor(year, _last_year(df, "mid_ongoing"), carry=True)
    df["mid_years"] = grid.window_sum(mid, int(p["mid_window"]), anchor)
    asof["mid_years"] = np.where(np.isnan(df["mid_years"]), np.nan, anchor)
    # Every dyad's rivalry status as of the data's last year (2010), carried: rivals then are rivals still
    # (no end recorded), and a dyad without a rivalry then is "none as of 2010", not unknown.
    riv = _arr(df, "td_rivalry")
    own = (_arr(df, "td_as_of") == year) if "td_as_of" in df.columns else ~np.isnan(riv)
    r_anchor = _anchor(year, float(year[own].max()) if own.any() else float("nan"), carry=True)
    df["rivalry"] = grid.at(grid.dense(np.where(own, riv, np.nan)), r_anchor)
    asof["rivalry"] = np.where(np.isnan(df["rivalry"]), np.nan, r_anchor)
    ct_anchor = _anchor(year, _last_year(df, "contig_type"), carry=True)
    contig_type = grid.at(grid.dense(_arr(df, "contig_type")), ct_anchor)  # borders change rarely: carried
    contiguous = np.where(np.isnan(contig_type), np.nan,
                          ((contig_type >= 1) & (contig_type <= int(p["contig_max"]))).astype(float))
    df["contiguous"] = contiguous
    # A settled border: neighbours without a dispute in the window (Gibler's territorial peace). Not
    # applicable (missing) to non-neighbours, whose lack of disputes may only mean lack of contact.
    df["settled_border"] = np.where((contiguous == 1) & ~np.isnan(df["mid_years"]),
                                    (df["mid_years"] == 0).astype(float), np.nan)
    asof["settled_border"] = np.where(np.isnan(df["settled_border"]), np.nan, np.fmin(ct_anchor, anchor))

    # --- joint action at the Security Council: share of the drafts either vetoed that both vetoed.
    if "unsc_joint_vetoes" in df.columns:
        va_anchor = _anchor(year, _last_year(df, "unsc_joint_vetoes"), carry=True)
        k = int(p["veto_window"])
        j = grid.window_sum(_arr(df, "unsc_joint_vetoes"), k, va_anchor)
        either = grid.window_sum(_arr(df, "unsc_vetoes_a"), k, va_anchor) + \
            grid.window_sum(_arr(df, "unsc_vetoes_b"), k, va_anchor) - j
        p5 = _arr(df, "p5_pair") == 1 if "p5_pair" in df.columns else np.ones(len(df), bool)
        with np.errstate(divide="ignore", invalid="ignore"):
            # only two permanent members can veto together; without a veto in the window there is no evidence
            df["joint_veto_share"] = np.where(p5 & (either > 0), j / either, np.nan)
        asof["joint_veto_share"] = np.where(np.isnan(df["joint_veto_share"]), np.nan, va_anchor)
    else:
        df["joint_veto_share"] = np.nan
    # --- IGOs (COW IGO 3.0 to 2014, memberships carried as of 2014: they rarely lapse).
    ig_anchor = _anchor(year, _last_year(df, "igo_joint"), carry=True)
    joint = grid.at(grid.dense(_arr(df, "igo_joint")), ig_anchor)
    n_min = grid.at(grid.dense(np.fmin(_arr(df, "n_full_a"), _arr(df, "n_full_b"))), ig_anchor)
    with np.errstate(divide="ignore", invalid="ignore"):
        # share of the less-joined side's memberships the two share: big joiners share many IGOs by chance
        df["igo_overlap"] = np.where(n_min > 0, joint / n_min, np.nan)
    asof["igo_overlap"] = np.where(np.isnan(df["igo_overlap"]), np.nan, ig_anchor)
    ex_anchor = _anchor(year, _last_year(df, "excl_igo_joint"), carry=True)
    df["excl_igos"] = grid.at(grid.dense(_arr(df, "excl_igo_joint")), ex_anchor)
    if "major_a" in df.columns:
        # great-power clubs speak to the stature of a pair only through a great power in it
        df.loc[~((_arr(df, "major_a") == 1) | (_arr(df, "major_b") == 1)), "excl_igos"] = np.nan
    asof["excl_igos"] = np.where(np.isnan(df["excl_igos"]), np.nan, ex_anchor)

    # --- balancing from published ideal points (BSV): both far from the third party, nearer each other.
    far = np.fmin(_arr(df, "bsv_dist_a_third"), _arr(df, "bsv_dist_b_third"))
    far[np.isnan(_arr(df, "bsv_dist_a_third")) | np.isnan(_arr(df, "bsv_dist_b_third"))] = np.nan
    df["bal_far"] = far
    df["bal_gap"] = far - _arr(df, "bsv_distance")
    if third:
        involves = ((df.a == third) | (df.b == third)).to_numpy()
        df.loc[involves, ["bal_far", "bal_gap"]] = np.nan
    else:
        df["bal_far"] = df["bal_gap"] = np.nan

    # --- trade and arms.
    for m in ("cinc", "milex", "gdp"):
        df[f"{m}_sum"] = _col(df, f"{m}_a") + _col(df, f"{m}_b")
    df["dep_max"] = np.fmax(_col(df, "dep_a"), _col(df, "dep_b"))
    df.loc[_col(df, "dep_a").isna() | _col(df, "dep_b").isna(), "dep_max"] = np.nan
    trade = _arr(df, "trade")
    prev3 = grid.at(grid.dense(trade), year - 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        df["growth3"] = np.where((trade > 0) & (prev3 > 0), (trade / prev3) ** (1 / 3) - 1, np.nan)
    ar_anchor = _anchor(year, _last_year(df, "tiv_a_to_b"), carry=False)
    k = int(p["arms_window"])
    tiv = _arr(df, "tiv_a_to_b") + _arr(df, "tiv_b_to_a")
    df["arms_tiv"] = grid.window_sum(tiv, k, ar_anchor)
    # a share is missing when the importer imported nothing: no dependence on this partner, so 0 here
    share = np.fmax(np.nan_to_num(_arr(df, "tiv_share_of_b_imports_from_a")),
                    np.nan_to_num(_arr(df, "tiv_share_of_a_imports_from_b")))
    share[np.isnan(tiv)] = np.nan
    df["arms_share"] = grid.window_sum(share, k, ar_anchor) / k
    for c in ("arms_tiv", "arms_share"):
        asof[c] = np.where(np.isnan(df[c]), np.nan, ar_anchor)

    # --- reference set: contiguous, or a COW major power among the two (Lemke & Reed 2001).
    if "major_a" in df.columns and "major_b" in df.columns and "contig_type" in df.columns:
        major = (_arr(df, "major_a") == 1) | (_arr(df, "major_b") == 1)
        df["relevant"] = np.where(major, 1.0, contiguous)
    elif "relevant" in df.columns:  # given by the caller
        df["relevant"] = _arr(df, "relevant")
    else:
        df["relevant"] = np.nan

    df["ev_hostile_share"] = np.nan
    df["ev_coop_per_k"] = np.nan
    if graph is not None and graph_years is not None:
        g = graph.copy()
        g["a"], g["b"] = g["a"].astype(str), g["b"].astype(str)
        lo, hi = np.minimum(g.a, g.b), np.maximum(g.a, g.b)
        g["a"], g["b"] = lo, hi
        inter = g["coop"] - g["conflict"]
        g["ev_hostile_share"] = np.where(inter > 0, -g["conflict"] / inter, np.nan)
        small = np.fmin(g["total_a"], g["total_b"])
        g["ev_coop_per_k"] = np.where(small > 0, 1000 * g["coop"] / small, np.nan)
        idx = pd.MultiIndex.from_arrays([g.year.astype(int), g.a, g.b])
        at = pd.MultiIndex.from_arrays([df["year"].astype(int), df.a, df.b])
        for c in ("ev_hostile_share", "ev_coop_per_k"):
            s = pd.Series(g[c].to_numpy(), index=idx)
            s = s[~s.index.duplicated()]
            df[c] = s.reindex(at).to_numpy()
        inside = df["year"].astype(int).between(*graph_years)
        df.loc[inside & df["ev_coop_per_k"].isna(), "ev_coop_per_k"] = 0.0
        df.loc[~inside, ["ev_hostile_share", "ev_coop_per_k"]] = np.nan
    for c, v in asof.items():
        df[f"asof__{c}"] = v
    return df


# ---------------------------------------------------------------------------------------------- scoring


def rank_values(v: pd.Series) -> pd.Series:
    """The values as ranked: rounded to 12 significant binary-decimal digits of their mantissa. DuckDB's
    parallel sums differ in the last bit from run to run, and a tie broken by that noise moved a score by a
    fraction of a point between identical runs; a relative rounding keeps small but distinct values apart."""
    m, e = np.frexp(v.to_numpy(dtype="float64"))
    return pd.Series(np.ldexp(np.round(m, 12), e), index=v.index)


def percentile(values: pd.Series, groups: pd.Series, direction: int = 1,
               reference: pd.Series | None = None) -> pd.Series:
    """Percentile (0-100] of each value among the non-missing values of its group; missing stays missing.

    With ``reference`` (a boolean mask), the distribution of a group is that of its reference rows: a reference
    row's percentile is its mean rank among them; any other row is placed as if it were added to them.
    """
    v = rank_values(pd.to_numeric(values, errors="coerce").astype("float64") * direction)
    if reference is None:
        return v.groupby(groups.to_numpy()).rank(method="average", pct=True) * 100
    ref = pd.Series(reference, index=v.index).fillna(False).astype(bool).to_numpy()
    out = np.full(len(v), np.nan)
    vals, g = v.to_numpy(), groups.to_numpy()
    for key in pd.unique(g):
        rows = np.flatnonzero(g == key)
        x = vals[rows]
        r = np.sort(x[ref[rows] & ~np.isnan(x)])
        if not len(r):
            continue
        less = np.searchsorted(r, x, "left")
        eq = np.searchsorted(r, x, "right") - less
        member = ref[rows]
        # mean rank among the ties: a member is one of them, an outsider joins them as one more
        rank = np.where(member, less + (eq + 1) / 2, less + (eq + 2) / 2)
        n = np.where(member, len(r), len(r) + 1)
        out[rows] = np.where(np.isnan(x), np.nan, 100 * rank / n)
    return pd.Series(out, index=v.index)


def _pct_key(c: Component) -> str:
    return f"pct__{c.column}" if c.direction == 1 else f"pct__-{c.column}"


def score(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Component percentiles, driver raw scores and driver scores for every row of ``frame``.

    Args:
        frame: the output of :func:`derive_inputs` (or any frame with ``year`` and the component columns).
            With a ``relevant`` column and ``config.reference == "politically_relevant"`` the percentiles are
            among the rows with ``relevant == 1``; a year without any relevance value falls back to all rows.
        config: the mappings.

    Returns:
        ``frame`` plus, per component column ``c``, ``pct__c`` and ``nref__c`` (reference dyads with a value);
        per driver ``d``: ``d__raw`` (weighted mean of its components' percentiles), ``d__n`` (components
        with a value), ``d__nref`` (reference dyads with a raw score) and ``d`` (the score); ``in_reference``.
    """
    out = frame.copy()
    year = out["year"].astype(int)
    if config.reference == "politically_relevant" and "relevant" in out.columns:
        rel = pd.to_numeric(out["relevant"], errors="coerce")
        known = rel.notna().groupby(year.to_numpy()).transform("any").to_numpy()
        ref = pd.Series(np.where(known, rel == 1, True), index=out.index)
    else:
        ref = pd.Series(True, index=out.index)
    out["in_reference"] = ref
    cols: dict[str, pd.Series] = {}
    for drv in config.drivers.values():
        num = pd.Series(0.0, index=out.index)
        den = pd.Series(0.0, index=out.index)
        n = pd.Series(0, index=out.index)
        for c in drv.components:
            key = _pct_key(c)
            if key not in cols:
                src = out[c.column] if c.column in out.columns else pd.Series(np.nan, index=out.index)
                cols[key] = percentile(src, year, c.direction, ref)
                has_ref = (pd.to_numeric(src, errors="coerce").notna() & ref)
                cols[f"nref__{c.column}"] = has_ref.groupby(year.to_numpy()).transform("sum")
            pc = cols[key]
            has = pc.notna()
            num += np.where(has, c.weight * pc.fillna(0), 0.0)
            den += np.where(has, c.weight, 0.0)
            n += has.astype(int)
        raw = (num / den.replace(0, np.nan)).where(n >= drv.min_components)
        cols[f"{drv.name}__raw"] = raw
        cols[f"{drv.name}__n"] = n
        cols[f"{drv.name}__nref"] = (raw.notna() & ref).groupby(year.to_numpy()).transform("sum")
        cols[drv.name] = percentile(raw, year, 1, ref)
    return pd.concat([out.drop(columns=[c for c in cols if c in out.columns]), pd.DataFrame(cols)], axis=1)


def _num(v) -> float:
    v = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
    return float("nan") if pd.isna(v) else float(v)


# ---------------------------------------------------------------------------------------------- results


@dataclass
class DriverScores:
    """Driver scores of every dyad-year, with the inputs behind them.

    Args:
        data: one row per non-directed dyad-year (``a < b``): inputs, ``asof__*``, ``pct__*``,
            ``<driver>__raw``, ``<driver>__n``, ``<driver>__nref`` and ``<driver>`` columns.
        config: the mappings used.
        missing: inputs not available and why.
        coverage: the panel's coverage record (source, years, note of every input column).
        reference: what the percentiles are among, in words.
    """

    data: pd.DataFrame
    config: Config
    missing: list[str] = field(default_factory=list)
    coverage: pd.DataFrame | None = None
    reference: str = "all dyads of the year"

    def rows(self, a: str, b: str) -> pd.DataFrame:
        return pair_rows(self.data, a, b)

    def _row(self, a: str, b: str, year: int) -> pd.Series | None:
        r = self.rows(a, b)
        r = r[r.year == year]
        return r.iloc[0] if len(r) else None

    def pair(self, a: str, b: str) -> pd.DataFrame:
        """One pair's scores by year: ``year`` and one column per driver (percentile, missing = not measured)."""
        r = self.rows(a, b)
        out = r[["year", *DRIVERS]].copy()
        out.insert(1, "a", a)
        out.insert(2, "b", b)
        return out.sort_values("year").reset_index(drop=True)

    def score_of(self, a: str, b: str, year: int, driver: str) -> float:
        row = self._row(a, b, year)
        return float(row[driver]) if row is not None else float("nan")

    def explain(self, a: str, b: str, year: int) -> pd.DataFrame:
        """Every driver score of a pair in a year expanded into the indicator values behind it.

        Returns:
            One row per driver component: ``year, driver, score, raw, component, value, as_of, direction,
            percentile, weight, reference_n, desc``; ``as_of`` is the year the value stands on (missing: not
            measured that year), ``reference_n`` the reference dyads with a value that year.
        """
        row = self._row(a, b, year)
        rows = []
        for drv in self.config.drivers.values():
            for c in drv.components:
                get = (lambda col: _num(row[col]) if row is not None and col in row.index else np.nan)
                value = get(c.column)
                as_of = get(f"asof__{c.column}")
                if np.isnan(as_of) and not np.isnan(value):
                    as_of = float(year)
                rows.append({"driver": drv.name, "score": get(drv.name), "raw": get(f"{drv.name}__raw"),
                             "component": c.column, "value": value, "as_of": as_of, "direction": c.direction,
                             "percentile": get(_pct_key(c)), "weight": c.weight,
                             "reference_n": get(f"nref__{c.column}"), "desc": c.desc})
        out = pd.DataFrame(rows)
        out.insert(0, "year", year)
        return out

    def evidence(self, a: str, b: str, year: int) -> pd.DataFrame:
        """What each score of a pair in a year stands on, in words.

        Returns:
            One row per driver: ``driver, year, score, rests_on`` (each measured input and the year it stands
            on), ``not_measured`` (inputs without a value that year), ``reference`` (the reference set and its
            size) and ``sentence`` (e.g. "security reassurance 2024 rests on pledges as of 2018, disputes as of
            2014 ...").
        """
        ex = self.explain(a, b, year)
        out = []
        for name, drv in self.config.drivers.items():
            sub = ex[ex.driver == name]
            evid = {c.column: c.evidence for c in drv.components}
            have = sub[sub.value.notna()]
            rests = [f"{evid[r.component]} as of {int(r.as_of)}" for r in have.itertuples()]
            row = self._row(a, b, year)
            lacks = [evid[r.component] + (" (not applicable: not neighbours)" if r.component == "settled_border"
                                          and row is not None and _num(row.get("contiguous")) == 0 else "")
                     for r in sub[sub.value.isna()].itertuples()]
            s = float(sub.score.iloc[0]) if len(sub) else float("nan")
            nref = self._nref(a, b, year, name)
            short = self.reference.split(" (")[0]  # the full definition heads the summary and the docs
            ref = f"{short}, n = {nref}" if nref else short
            label = drv.label.lower()
            if np.isnan(s):
                text = (f"{label} {year}: not measured (needs {drv.min_components} of its inputs; "
                        f"has {', '.join(rests) or 'none'})")
            else:
                text = f"{label} {year} = {s:.0f} (percentile among {ref}) rests on {', '.join(rests)}"
            if lacks:
                text += f"; not measured that year: {', '.join(lacks)}"
            out.append({"driver": name, "year": year, "score": s, "rests_on": "; ".join(rests),
                        "not_measured": "; ".join(lacks), "reference": ref, "sentence": text})
        return pd.DataFrame(out)

    def _nref(self, a: str, b: str, year: int, driver: str) -> int:
        row = self._row(a, b, year)
        v = _num(row[f"{driver}__nref"]) if row is not None and f"{driver}__nref" in row.index else np.nan
        return 0 if np.isnan(v) else int(v)

    def year_of_latest(self, a: str, b: str, min_measured: int = 1) -> int | None:
        p = self.pair(a, b)
        p = p[p[list(DRIVERS)].notna().sum(axis=1) >= min_measured]
        return int(p.year.max()) if len(p) else None

    def summary(self, a: str, b: str, year: int | None = None) -> str:
        """The pair's scores in a year (default: latest with any score), one evidence sentence per driver."""
        year = year if year is not None else self.year_of_latest(a, b)
        if year is None:
            return f"{a}-{b}: no driver measured in any year"
        head = f"drivers of cooperation {a}-{b} {year}; scores are percentiles among {self.reference}"
        return "\n".join([head, *(f"- {s}" for s in self.evidence(a, b, year).sentence)])


# ---------------------------------------------------------------------------------------------- store


def _graph_scored_years(store: Store, min_months: int = 6) -> tuple[int, int] | None:
    """The years the daily graph covers for at least ``min_months`` months: a year scored on January and
    February alone (2024) would rank pairs on the news of two months."""
    r = store.con.execute("SELECT min(y), max(y) FROM (SELECT year(day) y, count(DISTINCT month(day)) n FROM "
                          "event_coverage WHERE source = ? GROUP BY 1) WHERE n >= ?", [GRAPH, min_months]).fetchone()
    return (int(r[0]), int(r[1])) if r[0] is not None else None


def _graph_years(store: Store) -> tuple[int, int] | None:
    lo, hi = store.con.execute("SELECT min(year(day)), max(year(day)) FROM event_coverage WHERE source = ?",
                               [GRAPH]).fetchone()
    return (int(lo), int(hi)) if lo is not None else None


def _igo_extra(store: Store, start: int, end: int, max_members: int,
               min_majors: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each state's full memberships, and each dyad's shared full memberships of great-power clubs: IGOs of at
    most ``max_members`` full members with at least ``min_majors`` COW major powers among them."""
    from dyadic.indicators.power import major_powers

    mp = major_powers(store)
    store.con.register("_drivers_majors", mp)
    try:
        pairs = store.con.execute(
            """WITH m AS (SELECT year, code, igo FROM igo_members WHERE status = 1 AND year BETWEEN ? AND ?),
                    size AS (SELECT m.year, m.igo, count(*) AS n, count(j.code) AS majors FROM m
                             LEFT JOIN _drivers_majors j ON j.code = m.code AND j.year = m.year GROUP BY ALL),
                    ex AS (SELECT m.* FROM m JOIN size USING (year, igo) WHERE size.n <= ? AND size.majors >= ?)
               SELECT x.year, x.code AS a, y.code AS b, count(*) AS excl_igo_joint FROM ex x
               JOIN ex y ON x.year = y.year AND x.igo = y.igo AND x.code < y.code GROUP BY ALL""",
            [start, end, max_members, min_majors]).df()
    finally:
        store.con.unregister("_drivers_majors")
    states = store.con.execute("SELECT year, code, n_full FROM igo_state_years WHERE year BETWEEN ? AND ?",
                               [start, end]).df()
    return pairs, states


def build_inputs(store: Store, start: int, end: int, third: str | None,
                 params: dict | None = None) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The all-dyad panel with every source the store has, plus the derived components.

    Returns:
        (frame, missing: what could not be added and why, coverage of the panel columns); ``frame.attrs``
        has ``reference``: the reference set in words.
    """
    from dyadic.indicators import conflict, diplomacy, politics
    from dyadic.indicators.panel import ADDERS, create_dyadyears

    p = {**PARAMS, **(params or {})}
    lookback = max(int(p["mid_window"]), int(p["veto_window"]), int(p["arms_window"]), 5)
    panel = create_dyadyears(store, start - lookback, end)
    missing = []
    # (what, panel verb, its arguments): each verb declares the sources it needs (dyadic.indicators.panel.ADDERS)
    steps = [("UN votes", "unga", {}), ("alliance pledges (ATOP dyad-years)", "alliances", {}),
             ("alliance obligations", "obligations", {"carry_forward": True}), ("contiguity", "contiguity", {}),
             ("militarised disputes", "mids", {"dataset": "cow"}),
             ("strategic rivalries", "rivalries", {"carry_forward": True}), ("UNSC vetoes", "vetoes", {}),
             ("IGO co-membership", "igos", {}), ("ideal points", "ideal", {"third": third}),
             ("regime type", "democracy", {}), ("joint exercises", "exercises", {}), ("trade", "trade", {}),
             ("arms transfers", "arms", {}), ("capabilities", "power", {}), ("major powers", "major_powers", {})]
    for what, name, kwargs in steps:
        absent = ADDERS.missing(name, store.has_source)
        if absent:
            missing.append(f"{what}: run 'dyadic ingest {' '.join(absent)}'")
            continue
        try:
            panel = ADDERS[name](panel, store, **kwargs)
        except DyadicError as exc:  # e.g. the UN votes of some years (add_unga checks its sources by year)
            missing.append(f"{what}: {exc}")
    data = panel.data
    if store.has_source(politics.IGO):
        lo, hi = politics.igo_years(store)
        pairs, states = _igo_extra(store, max(lo, panel.start), min(hi, end), int(p["exclusive_igo_max_members"]),
                                   int(p["exclusive_igo_min_majors"]))
        data = data.copy(deep=False)  # columns are added or replaced whole, never written in place
        data["a"], data["b"] = data["a"].astype(str), data["b"].astype(str)
        sy = states.set_index(["year", "code"]).n_full
        for side in ("a", "b"):
            data[f"n_full_{side}"] = sy.reindex(pd.MultiIndex.from_arrays([data.year.astype(int), data[side]])).to_numpy()
        ex = pd.Series(pairs.excl_igo_joint.to_numpy(dtype=float),
                       index=pd.MultiIndex.from_arrays([pairs.year.astype(int), pairs.a, pairs.b]))
        v = ex.reindex(pd.MultiIndex.from_arrays([data.year.astype(int), data.a, data.b])).to_numpy()
        listed = ~np.isnan(data.n_full_a.to_numpy(float)) & ~np.isnan(data.n_full_b.to_numpy(float))
        data["excl_igo_joint"] = np.where(listed, np.nan_to_num(v), np.nan)  # both listed, none shared: 0
    if store.has_source(diplomacy.VETOES):
        vetoers = set(diplomacy.veto_state_years(store).code.astype(str))  # only permanent members veto
        data["p5_pair"] = (data["a"].astype(str).isin(vetoers) & data["b"].astype(str).isin(vetoers)).astype(float)
    reference = "all dyads of the year (contiguity not ingested)"
    if store.has_source(conflict.CONTIGUITY) and "major_a" in data.columns:
        from dyadic.indicators.power import major_power_years

        last = major_power_years(store)[1]  # the list's end (the panel's columns carry it further)
        reference = (f"politically relevant dyads (contiguous by land or <= 150 miles of water, or with a COW "
                     f"major power; major-power list to {last}, carried after)")
    graph, gyears = None, None
    if store.has_source(GRAPH):
        from dyadic.indicators.events import graph_periods

        graph = graph_periods(store, "year").execute()
        graph["year"] = pd.to_datetime(graph["period"]).dt.year
        gyears = _graph_scored_years(store)
    else:
        missing.append(f"event coverage: run 'dyadic ingest {GRAPH}'")
    frame = derive_inputs(data, third, graph, gyears, p)
    frame = frame.iloc[np.flatnonzero(frame.year.to_numpy() >= start)]
    frame.index = pd.RangeIndex(len(frame))  # in place: reset_index would copy the frame once more
    frame.attrs["reference"] = reference
    return frame, missing, panel.coverage


def compute_drivers(store: Store, start: int | None = None, end: int | None = None,
                    config: Config | None = None, third: str | None = None) -> DriverScores:
    """Score the six drivers for every dyad-year from ``start`` to ``end``.

    Needs ``country_codes``; every other source is optional (what is absent is listed in ``missing`` and
    its components are missing). Cite the sources of the panel (``coverage``) and the configuration file.

    Args:
        store: an open store.
        start, end: years (default: the configuration's).
        config: mappings (default: the packaged file).
        third: third party for geopolitical balancing (default: the configuration's).

    Returns:
        :class:`DriverScores`.
    """
    config = config or load_config()
    start = start if start is not None else config.start
    end = end if end is not None else config.end
    if start > end:
        raise RequestError(f"start year {start} is after end year {end}")
    third = third or config.third_party

    def compute():
        frame, missing, cov = build_inputs(store, start, end, third, config.params)
        reference = frame.attrs.get("reference", "all dyads of the year")
        if config.reference == "all":
            reference = "all dyads of the year"
        return DriverScores(score(frame, config), config, missing, cov, reference)

    return store.cached((SCORES_KEY, start, end, third, repr(config.drivers), config.reference,
                         repr(sorted(config.params.items()))), compute)


@shared("drivers", SCORES_KEY)
def prepare(store: Store) -> None:
    """The default driver scores of every dyad-year (every question reads them)."""
    compute_drivers(store)


def driver_months(store: Store, a: str, b: str, config: Config | None = None) -> pd.DataFrame:
    """Monthly scores of the event-based components (GDELT daily graph), percentiles among all pairs of the month.

    Only the components that events measure are scored by month: ``ev_hostile_share`` (security
    reassurance, low is good) and ``ev_coop_per_k`` (engagement). The yearly sources (votes, trade, pledges)
    have no monthly values, so the monthly scores rest on these components alone.

    Returns:
        ``month, a, b, ev_hostile_share, pct_reassurance, ev_coop_per_k, pct_engagement``; months the graph
        does not cover have no row.
    """
    config = config or load_config()
    store.require(GRAPH)
    from dyadic.indicators.events import graph_periods

    g = graph_periods(store, "month").execute()
    inter = g["coop"] - g["conflict"]
    g["ev_hostile_share"] = np.where(inter > 0, -g["conflict"] / inter, np.nan)
    small = np.fmin(g["total_a"], g["total_b"])
    g["ev_coop_per_k"] = np.where(small > 0, 1000 * g["coop"] / small, np.nan)
    period = g["period"].astype(str)
    g["pct_reassurance"] = percentile(g["ev_hostile_share"], period, -1)
    g["pct_engagement"] = percentile(g["ev_coop_per_k"], period, 1)
    mine = pair_rows(g, a, b).copy()
    covered = store.con.execute("SELECT DISTINCT date_trunc('month', day)::DATE m FROM event_coverage "
                                "WHERE source = ? ORDER BY 1", [GRAPH]).df().m
    out = pd.DataFrame({"month": pd.to_datetime(covered)})
    mine["month"] = pd.to_datetime(mine["period"])
    out = out.merge(mine[["month", "ev_hostile_share", "pct_reassurance", "ev_coop_per_k", "pct_engagement"]],
                    on="month", how="left")
    # A covered month without events: no conflict share (nothing to share), zero engagement.
    out["ev_coop_per_k"] = out["ev_coop_per_k"].fillna(0.0)
    out.insert(1, "a", a)
    out.insert(2, "b", b)
    out["month"] = out.month.dt.strftime("%Y-%m")
    return out
