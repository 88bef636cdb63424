"""The paper's six drivers of cooperation, scored for every dyad-year as percentiles among all dyads of the year.

Each driver is a documented mapping from indicators to a score (``data/drivers.toml``; docs/methods/drivers.md):

1. every component column is ranked among all dyads of the year that have a value for it, giving a
   percentile in (0, 100] (ties share their mean rank; ``direction = -1`` ranks low values high);
2. the driver's raw score is the weighted mean of its components' percentiles, over the components that
   have a value; it is missing when fewer than ``min_components`` do;
3. the driver score is the percentile of that raw score among all dyads of the year with one.

So a score of 90 means "above 90% of the dyads measured that year", the same for any pair and year, and
:meth:`DriverScores.explain` expands every score into the indicator values and percentiles behind it.
Inputs a store lacks are missing, never 0: their components drop out and, if too few remain, the driver
is reported as not measured.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import DyadicError, RequestError
from dyadic.store import Store

DRIVERS = ("security_reassurance", "power_projection", "geopolitical_balancing", "political_convergence",
           "economic_self_interest", "defence_cooperation")
GRAPH = "gdelt_daily_country_graph"
PLEDGE_COLS = ("atop_defense", "atop_offense", "atop_neutral", "atop_nonagg", "atop_consult")
INPUT_COLUMNS = (*PLEDGE_COLS, "unga_agree", "unga_pi", "mme_exercises", "trade", "dep_a", "dep_b", "cinc_a", "cinc_b",
                 "gdp_a", "gdp_b", "milex_a", "milex_b")


@dataclass(frozen=True)
class Component:
    column: str
    weight: float
    direction: int
    desc: str


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
                                   c.get("desc", "")))
        drivers[name] = Driver(name, spec.get("label", name), tuple(comps), int(spec.get("min_components", 1)),
                               " ".join(spec.get("why", "").split()), tuple(spec.get("not_measured", [])))
    return Config(drivers=drivers, third_party=d.get("third_party", "USA"), start=int(d.get("start", 1992)),
                  end=int(d.get("end", 2024)), nature=raw.get("nature", {}), triangle=raw.get("triangle", {}),
                  verdicts=raw.get("verdicts", {}), path=where)


# ---------------------------------------------------------------------------------------------- inputs


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=df.index)


def derive_inputs(data: pd.DataFrame, third: str | None, graph: pd.DataFrame | None = None,
                  graph_years: tuple[int, int] | None = None) -> pd.DataFrame:
    """Add the component columns the drivers read to a non-directed dyad-year frame.

    Args:
        data: ``year, a, b`` (``a < b``) plus any panel columns (``unga_agree``, ``unga_pi``, ``atop_*``,
            ``mme_exercises``, ``trade``, ``dep_a``, ``dep_b``, ``cinc_a``... see panel.py); absent columns
            make their components missing.
        third: the third party of geopolitical balancing (None: balancing is missing).
        graph: yearly daily-graph indicators (``a, b, year, coop, conflict, total_a, total_b``), or None.
        graph_years: the years the graph covers; inside them a pair without events has no conflict share
            (missing) and zero cooperation, outside them both are missing.

    Returns:
        A copy with ``pledge_types, ev_hostile_share, ev_coop_per_k, cinc_sum, milex_sum, gdp_sum, bal_distance,
        bal_margin, unga_change5, dep_max, growth3`` added (missing where their inputs are).
    """
    df = data.copy()
    df["a"], df["b"] = df["a"].astype(str), df["b"].astype(str)
    # Inputs of sources the store lacks are present but missing, so every later step can read them.
    for c in INPUT_COLUMNS:
        if c not in df.columns:
            df[c] = np.nan
    year = df["year"].astype(int)
    pledges = [c for c in PLEDGE_COLS if c in df.columns]
    # Kinds of pledge in force (0-5): graded, so a consultation pact alone reassures less than a defence pact.
    df["pledge_types"] = df[pledges].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=len(pledges)) \
        if pledges else np.nan
    for m in ("cinc", "milex", "gdp"):
        df[f"{m}_sum"] = _col(df, f"{m}_a") + _col(df, f"{m}_b")
    df["dep_max"] = np.fmax(_col(df, "dep_a"), _col(df, "dep_b"))
    df.loc[_col(df, "dep_a").isna() | _col(df, "dep_b").isna(), "dep_max"] = np.nan

    # Values t-k years earlier for the same dyad, by a keyed lookup (never carried forward).
    key = df["a"] + "|" + df["b"]

    def lag(col: str, k: int) -> pd.Series:
        s = pd.Series(_col(df, col).to_numpy(), index=pd.MultiIndex.from_arrays([key, year]))
        s = s[~s.index.duplicated()]
        return pd.Series(s.reindex(pd.MultiIndex.from_arrays([key, year - k])).to_numpy(), index=df.index)

    agree = _col(df, "unga_agree")
    df["unga_change5"] = agree - lag("unga_agree", 5)
    trade = _col(df, "trade")
    prev3 = lag("trade", 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where((trade > 0) & (prev3 > 0), (trade / prev3) ** (1 / 3) - 1, np.nan)
    df["growth3"] = g

    if third:
        with_t = df[(df.a == third) | (df.b == third)]
        other = np.where(with_t.a == third, with_t.b, with_t.a)
        at = pd.Series(_col(with_t, "unga_agree").to_numpy(),
                       index=pd.MultiIndex.from_arrays([with_t.year.astype(int).to_numpy(), other]))
        at = at[~at.index.duplicated()]
        aa = at.reindex(pd.MultiIndex.from_arrays([year, df.a])).to_numpy()
        bb = at.reindex(pd.MultiIndex.from_arrays([year, df.b])).to_numpy()
        closest = np.fmax(aa, bb)
        closest[np.isnan(aa) | np.isnan(bb)] = np.nan
        df["bal_distance"] = 1 - closest
        df["bal_margin"] = agree - closest
        involves = (df.a == third) | (df.b == third)
        df.loc[involves, ["bal_distance", "bal_margin"]] = np.nan
    else:
        df["bal_distance"] = df["bal_margin"] = np.nan

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
        at = pd.MultiIndex.from_arrays([year, df.a, df.b])
        for c in ("ev_hostile_share", "ev_coop_per_k"):
            s = pd.Series(g[c].to_numpy(), index=idx)
            s = s[~s.index.duplicated()]
            df[c] = s.reindex(at).to_numpy()
        inside = year.between(*graph_years)
        df.loc[inside & df["ev_coop_per_k"].isna(), "ev_coop_per_k"] = 0.0
        df.loc[~inside, ["ev_hostile_share", "ev_coop_per_k"]] = np.nan
    return df


# ---------------------------------------------------------------------------------------------- scoring


def percentile(values: pd.Series, groups: pd.Series, direction: int = 1) -> pd.Series:
    """Percentile (0-100] of each value among the non-missing values of its group; missing stays missing."""
    v = pd.to_numeric(values, errors="coerce").astype("float64") * direction
    return v.groupby(groups.to_numpy()).rank(method="average", pct=True) * 100


def score(frame: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Component percentiles, driver raw scores and driver scores for every row of ``frame``.

    Args:
        frame: the output of :func:`derive_inputs` (or any frame with ``year`` and the component columns).
        config: the mappings.

    Returns:
        ``frame`` plus, per component column ``c``, ``pct__c``; per driver ``d``: ``d__raw`` (weighted mean
        of its components' percentiles), ``d__n`` (components with a value) and ``d`` (the score).
    """
    out = frame.copy()
    year = out["year"].astype(int)
    done = set()
    for drv in config.drivers.values():
        num = pd.Series(0.0, index=out.index)
        den = pd.Series(0.0, index=out.index)
        n = pd.Series(0, index=out.index)
        for c in drv.components:
            key = f"pct__{c.column}" if c.direction == 1 else f"pct__-{c.column}"
            if key not in done:
                src = out[c.column] if c.column in out.columns else pd.Series(np.nan, index=out.index)
                out[key] = percentile(src, year, c.direction)
                done.add(key)
            p = out[key]
            has = p.notna()
            num += np.where(has, c.weight * p.fillna(0), 0.0)
            den += np.where(has, c.weight, 0.0)
            n += has.astype(int)
        raw = (num / den.replace(0, np.nan)).where(n >= drv.min_components)
        out[f"{drv.name}__raw"] = raw
        out[f"{drv.name}__n"] = n
        out[drv.name] = percentile(raw, year)
    return out


def _num(v) -> float:
    v = pd.to_numeric(pd.Series([v]), errors="coerce").iloc[0]
    return float("nan") if pd.isna(v) else float(v)


def _pct_key(c: Component) -> str:
    return f"pct__{c.column}" if c.direction == 1 else f"pct__-{c.column}"


# ---------------------------------------------------------------------------------------------- store


@dataclass
class DriverScores:
    """Driver scores of every dyad-year, with the inputs behind them.

    Args:
        data: one row per non-directed dyad-year (``a < b``): inputs, ``pct__*``, ``<driver>__raw``,
            ``<driver>__n`` and ``<driver>`` columns.
        config: the mappings used.
        sources: source name -> years it contributes; ``missing``: inputs not available and why.
    """

    data: pd.DataFrame
    config: Config
    missing: list[str] = field(default_factory=list)
    coverage: pd.DataFrame | None = None

    def rows(self, a: str, b: str) -> pd.DataFrame:
        lo, hi = sorted([a, b])
        return self.data[(self.data.a == lo) & (self.data.b == hi)]

    def pair(self, a: str, b: str) -> pd.DataFrame:
        """One pair's scores by year: ``year`` and one column per driver (percentile, missing = not measured)."""
        r = self.rows(a, b)
        out = r[["year", *DRIVERS]].copy()
        out.insert(1, "a", a)
        out.insert(2, "b", b)
        return out.sort_values("year").reset_index(drop=True)

    def score_of(self, a: str, b: str, year: int, driver: str) -> float:
        r = self.rows(a, b)
        r = r[r.year == year]
        return float(r[driver].iloc[0]) if len(r) else float("nan")

    def explain(self, a: str, b: str, year: int) -> pd.DataFrame:
        """Every driver score of a pair in a year expanded into the indicator values behind it.

        Returns:
            One row per driver component: ``driver, score, raw, component, value, direction, percentile,
            weight, desc``; a driver without components with a value has ``score`` missing.
        """
        r = self.rows(a, b)
        r = r[r.year == year]
        rows = []
        for drv in self.config.drivers.values():
            for c in drv.components:
                rows.append({
                    "driver": drv.name,
                    "score": float(r[drv.name].iloc[0]) if len(r) else np.nan,
                    "raw": float(r[f"{drv.name}__raw"].iloc[0]) if len(r) else np.nan,
                    "component": c.column,
                    "value": _num(r[c.column].iloc[0]) if len(r) and c.column in r else np.nan,
                    "direction": c.direction,
                    "percentile": float(r[_pct_key(c)].iloc[0]) if len(r) else np.nan,
                    "weight": c.weight,
                    "desc": c.desc,
                })
        out = pd.DataFrame(rows)
        out.insert(0, "year", year)
        return out

    def year_of_latest(self, a: str, b: str, min_measured: int = 1) -> int | None:
        p = self.pair(a, b)
        p = p[p[list(DRIVERS)].notna().sum(axis=1) >= min_measured]
        return int(p.year.max()) if len(p) else None


def _graph_years(store: Store) -> tuple[int, int] | None:
    lo, hi = store.con.execute("SELECT min(year(day)), max(year(day)) FROM event_coverage WHERE source = ?",
                               [GRAPH]).fetchone()
    return (int(lo), int(hi)) if lo is not None else None


def build_inputs(store: Store, start: int, end: int, third: str | None) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """The all-dyad panel with every source the store has, plus the derived components.

    Returns:
        (frame, missing: what could not be added and why, coverage of the panel columns)
    """
    from dyadic.indicators.panel import add_alliances, add_exercises, add_power, add_trade, add_unga, create_dyadyears

    panel = create_dyadyears(store, start - 5, end)
    missing = []
    steps = [("UN votes", add_unga, ("unvotes_voeten_2019", "unga_unsc_votes_undl_scrape")),
             ("alliance pledges", add_alliances, ("alliances_atop_cow",)),
             ("joint exercises", add_exercises, ("mme_military_exercises",)),
             ("trade", add_trade, ("cow_trade", "wb_gdp")),
             ("capabilities", add_power, ("cow_nmc", "sipri_milex", "wb_gdp"))]
    for what, fn, needs in steps:
        absent = [n for n in needs if not store.has_source(n)]
        if absent:
            missing.append(f"{what}: run 'dyadic ingest {' '.join(absent)}'")
            continue
        try:
            panel = fn(panel, store)
        except DyadicError as exc:
            missing.append(f"{what}: {exc}")
    graph, gyears = None, None
    if store.has_source(GRAPH):
        from dyadic.indicators.events import graph_periods

        graph = graph_periods(store, "year").execute()
        graph["year"] = pd.to_datetime(graph["period"]).dt.year
        gyears = _graph_years(store)
    else:
        missing.append(f"event coverage: run 'dyadic ingest {GRAPH}'")
    frame = derive_inputs(panel.data, third, graph, gyears)
    frame = frame[frame.year >= start].reset_index(drop=True)
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
        frame, missing, cov = build_inputs(store, start, end, third)
        return DriverScores(score(frame, config), config, missing, cov)

    return store.cached(("framework.drivers", start, end, third, repr(config.drivers)), compute)


def driver_months(store: Store, a: str, b: str, config: Config | None = None) -> pd.DataFrame:
    """Monthly scores of the event-based components (GDELT daily graph), percentiles among all pairs of the month.

    Only the components that events measure are scored by month: ``ev_hostile_share`` (security
    reassurance, low is good) and ``ev_coop_per_k`` (political convergence). The yearly sources (votes,
    trade, pledges) have no monthly values, so the monthly driver scores rest on these components alone.

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
    lo, hi = sorted([a, b])
    mine = g[(g.a == lo) & (g.b == hi)].copy()
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


def pair_summary(scores: DriverScores, a: str, b: str, year: int | None = None) -> pd.DataFrame:
    """A pair's drivers in one year (default: latest with any score), with why each is missing."""
    year = year if year is not None else scores.year_of_latest(a, b)
    rows = []
    for name, drv in scores.config.drivers.items():
        s = scores.score_of(a, b, year, name) if year is not None else np.nan
        rows.append({"driver": name, "label": drv.label, "year": year, "score": s,
                     "status": "measured" if not np.isnan(s) else "not measured",
                     "not_measured": "; ".join(drv.not_measured)})
    return pd.DataFrame(rows)
