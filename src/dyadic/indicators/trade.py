"""Trade indicators for every dyad-year and for one pair: volume, dependence, its asymmetry, trade/GDP, growth.

For a non-directed dyad ``(a, b)`` with ``a < b`` (state codes, alphabetical) in year ``t``
(see docs/indicators/trade.md):

- ``imports_a``: a's goods imports from b (US$); ``imports_b``: b's imports from a.
- ``trade = imports_a + imports_b``: bilateral total, built from the importers' figures (the COW rule;
  importers record flows more carefully because they tax them). Missing if either flow is missing.
- ``total_trade_a``: a's total goods trade with the world (exports + imports, ``trade_national``).
- ``dep_a = trade / total_trade_a``: the share of a's trade that is with b (Keohane & Nye's sensitivity
  in its usual trade-share form; Barbieri 1996). ``dep_b`` likewise.
- ``dep_asym = dep_a - dep_b``: asymmetry of dependence, in [-1, 1]; positive when a depends more on b than b
  on a.
- ``trade_gdp_a = trade / gdp_a``: the dyad's trade as a share of a's GDP (current US$, World Bank).
- ``growth = trade_t / trade_{t-1} - 1``: missing unless both years are present.

- ``trade_source``: which source the year's values come from (``cow``, ``imf_dots``, ``imf_dots_russia`` or
  the source's name). With the default source the series is spliced (:func:`segments`): COW to 2014, IMF
  DOTS (all reporters) 2015-2020, then IMF DOTS Russia for Russia's dyads up to its last complete year.
  Growth always compares two years of one source (2015 against DOTS 2014, not COW 2014).

Outside a source's years, or where it has no figure, every value is missing (NA), never 0.
"""

from __future__ import annotations

from typing import NamedTuple

import ibis
import numpy as np
import pandas as pd

from dyadic import engine as eng
from dyadic.errors import RequestError
from dyadic.store import Store

COW = "cow_trade"
DOTS = "imf_dots_multiatsm"
DOTS_ALL = "imf_dots_all_reporters_1960_2020"
DOTS_RUS = "imf_dots_russia_world_2011_2023"
CENSUS = "us_census_usa_china_monthly"
GDP = "wb_gdp"
#: sources of the ``trade`` table; the last three are user downloads (see dyadic.sources.trade_exports).
TRADE_SOURCES = (COW, DOTS, DOTS_ALL, DOTS_RUS, "imf_dots_export", "imf_imts_export", "un_comtrade_export")
#: ``trade_source`` labels; any other source is labelled with its own name.
LABELS = {COW: "cow", DOTS_ALL: "imf_dots", DOTS_RUS: "imf_dots_russia"}
#: last year of COW Trade 4.0: the spliced series continues from the next year.
COW_LAST = 2014
#: IMF's CIF/FOB factor: partner imports CIF = exports FOB x 1.06 (IMF, Direction of Trade Statistics
#: Yearbook 2017, introduction). Used where an importer reported nothing and its partner's exports stand in.
CIF_FOB = 1.06
#: sources whose missing importer figures are filled from the exporter's (the mirror rule, see _bilateral).
MIRROR_FILLED = (DOTS_ALL, DOTS_RUS)
DYAD_COLUMNS = ["year", "a", "b", "imports_a", "imports_b", "trade", "total_trade_a", "total_trade_b", "dep_a",
                "dep_b", "dep_asym", "trade_gdp_a", "trade_gdp_b", "growth", "trade_source"]
#: columns that carry a/b direction; the pair helpers swap them when the caller's order is not alphabetical.
SWAP = [("imports_a", "imports_b"), ("total_trade_a", "total_trade_b"), ("dep_a", "dep_b"),
        ("trade_gdp_a", "trade_gdp_b"), ("exports_a", "exports_b")]


def check_years(start: int | None, end: int | None) -> None:
    if start is not None and end is not None and start > end:
        raise RequestError(f"start year {start} is after end year {end}")


TABLES = ("trade", "trade_national", "gdp")


class Segment(NamedTuple):
    """Years ``lo``-``hi`` (inclusive, ``None`` = open) of a spliced series taken from ``source``; ``only``
    restricts it to the dyads of one state (the Russia release holds Russia's trade only)."""

    source: str
    lo: int | None
    hi: int | None
    only: str | None = None


def segments(store: Store, source: str, start: int | None, end: int | None) -> list[Segment]:
    """Which source covers which years: the one rule of the spliced trade series.

    ``cow_trade`` (the default) is the long series to 2014; when ingested, IMF DOTS all reporters continues it
    (2015 to its last year, 2020) and IMF DOTS Russia continues Russia's dyads after that, up to the last
    year it does not flag partial (``trade_partial``: 2023 is withheld, 2021-2022 used). Any other source is
    one segment over the years asked.
    """
    if source != COW:
        return [Segment(source, start, end)]
    out = [Segment(COW, start, COW_LAST if end is None else min(end, COW_LAST))]
    last = COW_LAST
    if store.has_source(DOTS_ALL):
        last = source_years(store, DOTS_ALL)[1]
        out.append(Segment(DOTS_ALL, COW_LAST + 1, last if end is None else min(end, last)))
    if store.has_source(DOTS_RUS):
        rus = store.con.execute(
            """SELECT max(year) FROM trade t WHERE source = $s AND reporter = 'RUS' AND NOT EXISTS
                 (SELECT 1 FROM trade_partial p WHERE p.source = t.source AND p.year = t.year
                  AND p.reporter = t.reporter)""", {"s": DOTS_RUS}).fetchone()[0]
        if rus is not None and rus > last:
            out.append(Segment(DOTS_RUS, last + 1, rus if end is None else min(end, rus), "RUS"))
    out = [g for g in out if (g.lo is None or g.hi is None or g.lo <= g.hi)
           and (start is None or g.hi is None or g.hi >= start)]
    return out or [Segment(COW, start, end)]  # years no source covers: an empty result, not an error


def _bilateral(store: Store, tables: dict, source: str, start: int | None, end: int | None,
               pair: tuple[str, str] | None, only: str | None = None):
    """Ibis expression: one row per non-directed dyad-year, each flow from its importer's row.

    Mirror rule for :data:`MIRROR_FILLED` sources: a flow is the importer's reported imports (CIF); where the
    importer reported none, the exporter's reported exports (FOB) x :data:`CIF_FOB`, IMF's own estimation rule
    (importers' figures first, as in COW and DOTS, because customs record what they tax).
    """
    t = tables["trade"]
    d = t.filter(t.source == source)
    for year, reporter in partial_years(store, source):
        d = d.filter((d.year != year) | (d.reporter != reporter))  # incomplete, not a fall: left unknown
    if only is not None:
        d = d.filter((d.reporter == only) | (d.partner == only))
    if pair is not None:
        d = d.filter(d.reporter.isin(pair) & d.partner.isin(pair))
    lo = (start - 1) if start is not None else None  # growth needs the year before the window
    if lo is not None:
        d = d.filter(d.year >= lo)
    if end is not None:
        d = d.filter(d.year <= end)
    fwd = d.filter(d.reporter < d.partner)
    harmonised = store.con.execute("SELECT bool_and(view = 'harmonised') FROM trade WHERE source = ?",
                                   [source]).fetchone()[0]
    if harmonised:
        # One record per dyad (COW): the a-side row already holds b's imports as its exports.
        return fwd.select("year", a=fwd.reporter, b=fwd.partner, imports_a=fwd.imports_usd,
                          imports_b=fwd.exports_usd)
    if source not in MIRROR_FILLED:
        fwd = fwd.select("year", a=fwd.reporter, b=fwd.partner, imports_a=fwd.imports_usd)
        back = d.filter(d.reporter > d.partner).select("year", a=d.partner, b=d.reporter, imports_b=d.imports_usd)
        j = fwd.outer_join(back, ["year", "a", "b"])
        return j.select(year=ibis.coalesce(j.year, j.year_right), a=ibis.coalesce(j.a, j.a_right),
                        b=ibis.coalesce(j.b, j.b_right), imports_a=j.imports_a, imports_b=j.imports_b)
    fwd = fwd.select("year", a=fwd.reporter, b=fwd.partner, imports_a=fwd.imports_usd, exports_a=fwd.exports_usd)
    back = d.filter(d.reporter > d.partner)
    back = back.select("year", a=back.partner, b=back.reporter, imports_b=back.imports_usd,
                       exports_b=back.exports_usd)
    j = fwd.outer_join(back, ["year", "a", "b"])
    return j.select(year=ibis.coalesce(j.year, j.year_right), a=ibis.coalesce(j.a, j.a_right),
                    b=ibis.coalesce(j.b, j.b_right),
                    imports_a=ibis.coalesce(j.imports_a, j.exports_b * CIF_FOB),
                    imports_b=ibis.coalesce(j.imports_b, j.exports_a * CIF_FOB))


def trade_expr(store: Store, tables: dict, source: str, start: int | None, end: int | None,
               pair: tuple[str, str] | None = None):
    """Ibis expression of the :data:`DYAD_COLUMNS` on any engine.

    Args:
        store: the store (which trade view the source has is read from it).
        tables: ``trade``, ``trade_national`` and ``gdp`` on one engine (:meth:`dyadic.engine.Engine.tables`).
        source, start, end, pair: as :func:`trade_dyad_years`; ``pair`` restricts to one alphabetical pair.

    Returns:
        An Ibis table expression.
    """
    outs = [_segment_expr(store, tables, seg, pair) for seg in segments(store, source, start, end)]
    out = outs[0] if len(outs) == 1 else ibis.union(*outs, distinct=False)
    if start is not None:
        out = out.filter(out.year >= start)
    return out


def _segment_expr(store: Store, tables: dict, seg: Segment, pair: tuple[str, str] | None):
    """The :data:`DYAD_COLUMNS` of one segment: bilateral values, totals and growth all from its source."""
    bil = _bilateral(store, tables, seg.source, seg.lo, seg.hi, pair, seg.only)
    bil = bil.mutate(trade=bil.imports_a + bil.imports_b)
    # Growth within one source only: the year before a segment is read from the same source.
    prev = bil.select(pa=bil.a, pb=bil.b, pyear=bil.year + 1, trade_prev=bil.trade)
    x = bil.left_join(prev, [bil.a == prev.pa, bil.b == prev.pb, bil.year == prev.pyear])

    # Sources without world totals (the IMF extract) have no trade_national rows: dependence stays missing.
    # Totals come from the segment's own source, so a share never mixes two sources.
    nat = tables["trade_national"]
    nat = nat.filter(nat.source == seg.source).select("year", "code", total=nat.exports_usd + nat.imports_usd)
    gdp = tables["gdp"]
    gdp = gdp.filter(gdp.source == GDP).select("year", "code", "gdp_usd")
    na = nat.rename(na_year="year", na_code="code", total_trade_a="total")
    nb = nat.rename(nb_year="year", nb_code="code", total_trade_b="total")
    ga = gdp.rename(ga_year="year", ga_code="code", gdp_a="gdp_usd")
    gb = gdp.rename(gb_year="year", gb_code="code", gdp_b="gdp_usd")
    x = x.left_join(na, [x.year == na.na_year, x.a == na.na_code])
    x = x.left_join(nb, [x.year == nb.nb_year, x.b == nb.nb_code])
    x = x.left_join(ga, [x.year == ga.ga_year, x.a == ga.ga_code])
    x = x.left_join(gb, [x.year == gb.gb_year, x.b == gb.gb_code])
    dep_a = x.trade / x.total_trade_a.nullif(0)
    dep_b = x.trade / x.total_trade_b.nullif(0)
    out = x.select(
        "year", "a", "b", "imports_a", "imports_b", "trade", "total_trade_a", "total_trade_b",
        dep_a=dep_a, dep_b=dep_b, dep_asym=dep_a - dep_b,
        trade_gdp_a=x.trade / x.gdp_a.nullif(0), trade_gdp_b=x.trade / x.gdp_b.nullif(0),
        growth=x.trade / x.trade_prev.nullif(0) - 1,
        trade_source=ibis.literal(LABELS.get(seg.source, seg.source)),
    )
    return out if seg.lo is None else out.filter(out.year >= seg.lo)


def _indicators(store: Store, source: str, start: int | None, end: int | None,
                pair: tuple[str, str] | None, categorical: bool = False, engine: str = "duckdb") -> pd.DataFrame:
    with eng.engine_for(engine, store) as e:
        return run(e, trade_expr(store, e.tables(TABLES), source, start, end, pair), DYAD_COLUMNS, categorical)


def run(engine: eng.Engine, expr, columns: list[str], categorical: bool = False) -> pd.DataFrame:
    """Execute an Ibis expression on an engine; missing values come back as NaN.

    Args:
        engine: from :func:`dyadic.engine.engine_for`.
        categorical: return ``a`` and ``b`` as categoricals. They travel as Arrow dictionaries, so a million
            rows never become two million Python strings (about half the time of a panel step).
    """
    df = engine.to_pandas(expr, dictionary=("a", "b") if categorical else ())
    df["year"] = df["year"].astype("int32")
    return df if list(df.columns) == columns else df[columns]  # selecting copies every column


def trade_dyad_years(store: Store, start: int | None = None, end: int | None = None, *,
                     source: str = COW, categorical: bool = False, engine: str = "duckdb") -> pd.DataFrame:
    """Trade indicators for every non-directed dyad-year a source covers.

    Needs ``cow_trade`` (or the chosen source) and ``wb_gdp`` ingested.

    Args:
        store: an open store.
        start, end: first and last year (inclusive).
        source: ``cow_trade`` (the default: all states, 1870-2014, continued by IMF DOTS to 2020 and for
            Russia to 2022 when those are ingested, see :func:`segments`), ``imf_dots_multiatsm`` (6 economies,
            1948-2020, no world totals so ``dep_*`` are missing), or one DOTS release on its own.
        categorical: ``a`` and ``b`` as categoricals rather than strings (faster on all dyad-years).
        engine: ``duckdb`` or ``spark`` (see :mod:`dyadic.engine`); the same expression, the same rows.

    Returns:
        Columns year, a, b (a < b), imports_a, imports_b, trade, total_trade_a, total_trade_b, dep_a, dep_b,
        dep_asym, trade_gdp_a, trade_gdp_b, growth, trade_source (money in current US$, shares as fractions). A dyad-year
        the source does not cover has no row: joined to a panel it reads as missing. Rows come in no
        particular order (sorting a million rows costs more than the query; panels join on year, a, b).
    """
    if source not in TRADE_SOURCES:
        raise RequestError(f"trade source must be one of {', '.join(TRADE_SOURCES)}, not '{source}'")
    check_years(start, end)
    eng.check_engine(engine)
    store.require(source, GDP)
    return _indicators(store, source, start, end, None, categorical, engine)


def partial_years(store: Store, source: str) -> list[tuple[int, str]]:
    """(year, reporter) the source flags as incomplete (``trade_partial``, e.g. Russia 2023 in IMF DOTS)."""
    if not store.has_table("trade_partial"):
        return []
    return [(int(y), str(r)) for y, r in store.con.execute(
        "SELECT year, reporter FROM trade_partial WHERE source = ? ORDER BY 1, 2", [source]).fetchall()]


def series_years(store: Store, source: str) -> tuple[int, int]:
    """First and last year of the series :func:`trade_pair` gives for ``source`` (the splice for COW)."""
    lo, hi = source_years(store, source)
    return lo, max([hi, *(g.hi for g in segments(store, source, None, None) if g.hi is not None)])


def source_years(store: Store, source: str) -> tuple[int, int]:
    t = "trade_monthly" if source == CENSUS else "trade"
    col = "year(month)" if source == CENSUS else "year"
    lo, hi = store.con.execute(f"SELECT min({col}), max({col}) FROM {t} WHERE source = ?", [source]).fetchone()
    return int(lo), int(hi)


def orient(df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Relabel an alphabetical dyad frame so that ``_a`` columns belong to the caller's ``a``."""
    df = df.copy()
    if a > b:
        swap = {}
        for x, y in SWAP:
            if x in df and y in df:
                swap.update({x: y, y: x})
        df = df.rename(columns=swap)
        if "dep_asym" in df:
            df["dep_asym"] = -df["dep_asym"]
    df["a"], df["b"] = a, b
    return df


def every_year(df: pd.DataFrame, start: int, end: int, a: str, b: str) -> pd.DataFrame:
    """One row per year from start to end, missing where the source has nothing (never 0)."""
    years = pd.DataFrame({"year": np.arange(start, end + 1, dtype="int32")})
    out = years.merge(df.drop(columns=["a", "b"], errors="ignore"), on="year", how="left")
    out.insert(1, "a", a)
    out.insert(2, "b", b)
    return out


def trade_pair(store: Store, a: str, b: str, start: int | None = None, end: int | None = None,
               source: str = COW) -> pd.DataFrame:
    """Trade indicators of one pair by year, oriented as asked (``dep_a`` is the first state's dependence).

    Args:
        store: an open store.
        a, b: state codes.
        start, end: years; default the source's coverage. Years outside it are listed with missing values.
        source: ``cow_trade`` or ``imf_dots_multiatsm`` (importers' figures; see :func:`mirror_pair`).

    Returns:
        The :data:`DYAD_COLUMNS` plus ``source``, one row per year.
    """
    if source not in TRADE_SOURCES:
        raise RequestError(f"trade source must be one of {', '.join(TRADE_SOURCES)}, not '{source}'")
    check_years(start, end)
    store.require(source, GDP)
    lo, hi = series_years(store, source)
    start, end = start if start is not None else lo, end if end is not None else hi
    check_years(start, end)
    df = _indicators(store, source, start, end, tuple(sorted((a, b))))
    out = every_year(orient(df, a, b)[DYAD_COLUMNS], start, end, a, b)
    out.insert(3, "source", source)
    return out


def mirror_pair(store: Store, a: str, b: str, start: int | None = None, end: int | None = None,
                source: str = DOTS) -> pd.DataFrame:
    """Mirror statistics: each flow of the pair as its exporter and its importer report it.

    Args:
        store: an open store holding a source with ``view = 'reported'`` rows (the IMF DOTS extract).
        a, b: state codes.
        start, end: years.

    Returns:
        One row per year and flow direction: year, exporter, importer, exporter_reports (FOB),
        importer_reports (CIF), gap = importer_reports / exporter_reports - 1, and ``used``: which figure
        :func:`trade_pair` uses (``importer``; for IMF DOTS all reporters / Russia, ``exporter x 1.06`` where
        the importer reported nothing). CIF exceeds FOB by freight and insurance (about 6 % by
        IMF convention), so a small positive gap is expected; larger gaps flag re-exports or misreporting.
    """
    store.require(source)
    check_years(start, end)
    q = """WITH d AS (SELECT * FROM trade WHERE source = $s AND reporter IN ($a, $b) AND partner IN ($a, $b)
                        AND year BETWEEN coalesce($lo, 0) AND coalesce($hi, 9999)),
                flows AS (SELECT year, reporter AS exporter, partner AS importer FROM d
                          UNION SELECT year, partner, reporter FROM d)
           SELECT f.year, f.exporter, f.importer, x.exports_usd AS exporter_reports,
                  m.imports_usd AS importer_reports
           FROM flows f
           LEFT JOIN d x ON x.year = f.year AND x.reporter = f.exporter AND x.partner = f.importer
           LEFT JOIN d m ON m.year = f.year AND m.reporter = f.importer AND m.partner = f.exporter
           ORDER BY f.year, f.exporter"""
    df = store.con.execute(q, {"s": source, "a": a, "b": b, "lo": start, "hi": end}).df()
    df["gap"] = (df.importer_reports / df.exporter_reports.replace(0, np.nan) - 1).astype("Float64")
    # The rule of _bilateral: the importer's figure, else (mirror-filled sources) the exporter's x CIF_FOB.
    fill = (df.importer_reports.isna() & df.exporter_reports.notna()).to_numpy() & (source in MIRROR_FILLED)
    df["used"] = np.where(fill, f"exporter x {CIF_FOB}", "importer")
    df.insert(0, "source", source)
    return df


def monthly_pair(store: Store, a: str, b: str, start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """Monthly goods trade of a pair (US Census, USA-China 2001-2019), oriented as asked.

    Returns:
        month, a, b, exports_a (a's exports to b), imports_a (a's imports from b), reporter (whose customs
        figures these are), source. Empty when no monthly source covers the pair.
    """
    store.require(CENSUS)
    check_years(start, end)
    q = """SELECT month, reporter, partner, exports_usd, imports_usd, source FROM trade_monthly
           WHERE reporter IN ($a, $b) AND partner IN ($a, $b)
             AND year(month) BETWEEN coalesce($lo, 0) AND coalesce($hi, 9999) ORDER BY month"""
    df = store.con.execute(q, {"a": a, "b": b, "lo": start, "hi": end}).df()
    as_a = df.reporter == a
    out = pd.DataFrame({
        "month": df.month, "a": a, "b": b,
        "exports_a": np.where(as_a, df.exports_usd, df.imports_usd),
        "imports_a": np.where(as_a, df.imports_usd, df.exports_usd),
        "reporter": df.reporter, "source": df.source,
    })
    return out
