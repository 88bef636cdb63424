"""Power indicators for every dyad-year and for one pair: CINC, GDP and military-spending ratios and trends.

For a non-directed dyad ``(a, b)`` with ``a < b`` in year ``t`` (see docs/indicators/power.md):

- ``cinc_a``: a's Composite Index of National Capability (COW NMC 7.0, share of the system total).
- ``gdp_a``: a's GDP, current US$ (World Bank WDI).
- ``milex_a``: a's military expenditure, constant US$ at SIPRI's price year (2023 in the 2025 release).
- ``<x>_ratio = x_a / x_b``: a's value over b's. Direction is kept (a ratio above 1 means a is larger) and
  ``log(ratio)`` is symmetric, so ``b/a = 1 / ratio``; the pair helpers orient it as the caller asks.
  Missing when either side is missing or b's value is 0.

Trends (pair helpers): the log-linear slope of a ratio over a window, reported as the average annual
change of the ratio, and of the *gap* ``|log ratio|`` (is the weaker side falling further behind?).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dyadic import engine as eng
from dyadic.dyad import Dyad
from dyadic.errors import NotIngestedError, RequestError
from dyadic.indicators.trade import check_years, every_year, run
from dyadic.store import Store

NMC = "cow_nmc"
GDP = "wb_gdp"
SIPRI = "sipri_milex"
POWER_SOURCES = (NMC, GDP, SIPRI)
MEASURES = ("cinc", "gdp", "milex")
TABLES = ("capabilities", "gdp", "milex")
DYAD_COLUMNS = ["year", "a", "b", "cinc_a", "cinc_b", "cinc_ratio", "gdp_a", "gdp_b", "gdp_ratio", "milex_a",
                "milex_b", "milex_ratio"]


def state_years_expr(tables: dict, start: int | None, end: int | None, codes: tuple[str, ...] | None = None):
    """Ibis expression: one row per state-year any power source covers, with cinc, gdp and milex.

    Args:
        tables: ``capabilities``, ``gdp`` and ``milex`` on one engine (:meth:`dyadic.engine.Engine.tables`).
        start, end: years (inclusive; None for no bound).
        codes: restrict to these states.
    """
    cap = tables["capabilities"]
    cap = cap.filter((cap.source == NMC) & cap.cinc.notnull()).select("year", "code", "cinc")
    gdp = tables["gdp"]
    gdp = gdp.filter((gdp.source == GDP) & gdp.gdp_usd.notnull()).select("year", "code", gdp=gdp.gdp_usd)
    mil = tables["milex"]
    mil = mil.filter((mil.source == SIPRI) & mil.constant_usd.notnull()).select("year", "code",
                                                                                milex=mil.constant_usd)
    keys = cap.select("year", "code").union(gdp.select("year", "code"), mil.select("year", "code"), distinct=True)
    if start is not None:
        keys = keys.filter(keys.year >= start)
    if end is not None:
        keys = keys.filter(keys.year <= end)
    if codes is not None:
        keys = keys.filter(keys.code.isin(codes))
    s = keys
    for t, col in ((cap, "cinc"), (gdp, "gdp"), (mil, "milex")):
        r = t.rename(r_year="year", r_code="code")
        s = s.left_join(r, [s.year == r.r_year, s.code == r.r_code]).select(*s.columns, col)
    return s


def _dyads(tables: dict, start, end, codes=None):
    s = state_years_expr(tables, start, end, codes)
    x = s.rename(**{f"{c}_a": c for c in MEASURES}, a="code")
    y = s.rename(**{f"{c}_b": c for c in MEASURES}, b="code", y_year="year")
    j = x.join(y, [x.year == y.y_year, x.a < y.b])
    ratios = {f"{c}_ratio": j[f"{c}_a"] / j[f"{c}_b"].nullif(0) for c in MEASURES}
    return j.select("year", "a", "b", *[f"{c}_{s}" for c in MEASURES for s in "ab"], **ratios)


def power_dyad_years(store: Store, start: int | None = None, end: int | None = None,
                     engine: str = "duckdb") -> pd.DataFrame:
    """CINC, GDP and military-spending levels and ratios for every non-directed dyad-year.

    Needs ``cow_nmc``, ``wb_gdp`` and ``sipri_milex`` ingested. Dyads are all pairs of states that any of
    the three sources covers in the year; a value a source lacks is missing.

    Args:
        store: an open store.
        start, end: first and last year (inclusive).
        engine: ``duckdb`` or ``spark`` (see :mod:`dyadic.engine`); the same expression, the same rows.

    Returns:
        Columns year, a, b (a < b), cinc_a, cinc_b, cinc_ratio, gdp_a, gdp_b, gdp_ratio, milex_a, milex_b,
        milex_ratio; ratios are a/b. Rows come in no particular order.
    """
    check_years(start, end)
    eng.check_engine(engine)
    store.require(*POWER_SOURCES)
    with eng.engine_for(engine, store) as e:
        return run(e, _dyads(e.tables(TABLES), start, end), DYAD_COLUMNS)


def power_state_years(store: Store, start: int | None = None, end: int | None = None,
                      engine: str = "duckdb") -> pd.DataFrame:
    """CINC, GDP and military spending of every state-year any power source covers (the sides of
    :func:`power_dyad_years`, which pairs exactly these rows: a dyad-year exists when both states have one).

    Needs ``cow_nmc``, ``wb_gdp`` and ``sipri_milex`` ingested.

    Args:
        engine: ``duckdb`` or ``spark``.

    Returns:
        Columns year, code, cinc, gdp, milex (missing where that source has no value).
    """
    check_years(start, end)
    eng.check_engine(engine)
    store.require(*POWER_SOURCES)
    with eng.engine_for(engine, store) as e:
        return run(e, state_years_expr(e.tables(TABLES), start, end), ["year", "code", *MEASURES])


def power_pair(store: Store, a: str, b: str, start: int | None = None, end: int | None = None,
               window: int = 5) -> pd.DataFrame:
    """Power levels, ratios and ratio trends of one pair by year, oriented as asked (ratio = a / b).

    Args:
        store: an open store.
        a, b: state codes.
        start, end: years; default the union of the sources' coverage (1816-2024).
        window: years in the trailing window of each ``*_trend`` column.

    Returns:
        year, a, b, the :data:`DYAD_COLUMNS` measures, ``milex_share_gdp_a/_b`` (SIPRI), and for each ratio
        ``<x>_ratio_trend``: the average annual change of the ratio over the trailing ``window`` years
        (log-linear fit; missing unless every year of the window has a value).
    """
    check_years(start, end)
    store.require(*POWER_SOURCES)
    Dyad(a, b)  # two different states, or a RequestError saying so
    lo, hi = store.con.execute(
        """SELECT min(y), max(y) FROM (SELECT year y FROM capabilities WHERE source = $n UNION ALL
           SELECT year FROM gdp WHERE source = $g UNION ALL SELECT year FROM milex WHERE source = $s)""",
        {"n": NMC, "g": GDP, "s": SIPRI}).fetchone()
    start, end = start if start is not None else lo, end if end is not None else hi
    check_years(start, end)
    if window < 2:
        raise RequestError("a trend window needs at least 2 years")
    lead = start - (window - 1)  # the trend of the first year looks back over the window
    with eng.engine_for("duckdb", store) as e:
        df = run(e, _dyads(e.tables(TABLES), lead, end, (a, b)), DYAD_COLUMNS)
    if a > b:
        df = df.rename(columns={f"{c}_{s}": f"{c}_{t}" for c in MEASURES for s, t in (("a", "b"), ("b", "a"))})
        for c in MEASURES:
            df[f"{c}_ratio"] = 1 / df[f"{c}_ratio"]
    df = every_year(df[DYAD_COLUMNS], lead, end, a, b)
    share = store.con.execute("SELECT year, code, share_gdp FROM milex WHERE source = $s AND code IN ($a, $b)",
                              {"s": SIPRI, "a": a, "b": b}).df()
    for side, code in (("a", a), ("b", b)):
        s = share[share.code == code].set_index("year").share_gdp
        df[f"milex_share_gdp_{side}"] = df.year.map(s).astype("float64")
    for c in MEASURES:
        df[f"{c}_ratio_trend"] = rolling_trend(df[f"{c}_ratio"], window)
    return df[df.year >= start].reset_index(drop=True)


def rolling_trend(ratio: pd.Series, window: int) -> pd.Series:
    """Average annual change of a ratio over each trailing window: ``exp(slope of log ratio) - 1``.

    Args:
        ratio: a positive series indexed by consecutive years.
        window: number of years (at least 2).

    Returns:
        Same length; missing unless all ``window`` values are present and positive.
    """
    if window < 2:
        raise RequestError("a trend window needs at least 2 years")
    logr = np.log(ratio.where(ratio > 0).astype("float64"))
    x = np.arange(window, dtype=float) - (window - 1) / 2
    # Slope of an OLS fit on equally spaced years is a fixed weighted sum of the window's values.
    w = x / (x ** 2).sum()
    slope = logr.rolling(window, min_periods=window).apply(lambda v: float(np.dot(w, v)), raw=True)
    return np.expm1(slope)


def ratio_trends(df: pd.DataFrame) -> pd.DataFrame:
    """Summary of each ratio over the whole period of a :func:`power_pair` frame.

    Returns:
        One row per measure: first and last year with a value, ratio then and now, average annual change
        of the ratio (log-linear fit over all years with a value) and of the gap ``|log ratio|``, and
        ``gap``: ``widening``, ``narrowing`` or ``flat`` (|annual change of the gap| < 0.5 %).
    """
    rows = []
    for c in MEASURES:
        r = df[["year", f"{c}_ratio"]].dropna()
        r = r[r[f"{c}_ratio"] > 0]
        if len(r) < 2:
            rows.append({"measure": c, "first_year": None, "last_year": None, "ratio_first": None,
                         "ratio_last": None, "ratio_change_pa": None, "gap_change_pa": None, "gap": None})
            continue
        y, lr = r.year.to_numpy(float), np.log(r[f"{c}_ratio"].to_numpy(float))
        slope = np.polyfit(y, lr, 1)[0]
        gap_slope = np.polyfit(y, np.abs(lr), 1)[0]
        rows.append({
            "measure": c, "first_year": int(r.year.iloc[0]), "last_year": int(r.year.iloc[-1]),
            "ratio_first": float(r[f"{c}_ratio"].iloc[0]), "ratio_last": float(r[f"{c}_ratio"].iloc[-1]),
            "ratio_change_pa": float(np.expm1(slope)), "gap_change_pa": float(np.expm1(gap_slope)),
            "gap": "flat" if abs(gap_slope) < 0.005 else ("widening" if gap_slope > 0 else "narrowing"),
        })
    return pd.DataFrame(rows)


def major_power_years(store: Store) -> tuple[int, int]:
    """First and last year of the COW major-power list (1816, 2016 in v2016)."""
    if not store.has_table("major_powers"):
        major_powers(store)  # raises, saying what to ingest
    lo, hi = store.con.execute('SELECT min(year(start)), max(year("end")) FROM major_powers').fetchone()
    return int(lo), int(hi)


def major_powers(store: Store) -> pd.DataFrame:
    """COW major-power years, ``code, year`` (COW State System Membership v2016, ``cow_majors``: to 2016),
    from the ``major_powers`` table the ``country_codes`` connector ingests. Cite: Correlates of War Project
    (2017), State System Membership List, v2016.

    Raises:
        NotIngestedError: a store ingested before the table existed (run ``dyadic ingest country_codes``).
    """
    if not store.has_table("major_powers"):
        raise NotIngestedError("the COW major-power list is not in this store: run 'dyadic ingest country_codes' "
                               "(it ingests cow_majors with the state list)")
    return store.con.execute(
        """SELECT code, unnest(range(year(start), year("end") + 1)) AS year FROM major_powers
           ORDER BY code, year""").df().astype({"year": int})
