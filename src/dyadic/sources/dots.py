"""Connectors for two IMF Direction of Trade Statistics (DOTS) releases: every reporter 1960-2020, and Russia
and the world 2011-2023.

Both read the long CSV staged beside the IMF's Excel exports (one row per reporter, flow, partner and year,
``value_musd`` in million US$, ``estimate_flag`` = the value carried IMF's " e"), with DuckDB: the all-reporter
file has 2.6 M rows, which pandas would hold several times over. Canonical tables are those of
:mod:`dyadic.sources.trade` (money in US$, ``view = 'reported'``: each reporter's own figures, exports FOB,
imports CIF), plus for the Russia release:

- ``trade_world(source, year, partner, world_exports_usd, world_imports_usd)``: the IMF "World" aggregate,
  i.e. every reporter's exports to (imports from) the partner: a mirror measure of the partner's imports
  (exports).
- ``trade_partial(source, year, reporter, reason)``: reporter-years the release holds incompletely. The
  figures stay in ``trade``; the indicators never use them (a partial year must not read as a fall).

Names are mapped through the registry (:func:`dyadic.sources.trade.imf_country_codes`, as for the MultiATSM
extract); IMF aggregates ("World", "Euro Area", ...) stay unmapped.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry
from dyadic.sources.trade import MILLION, TRADE_COLUMNS, TRADE_SCHEMA, imf_country_codes

LEBLANC_COMMIT = "a0b40afbac7cefc59a4b35c1ebe541ac546aafad"
LEFFEL_COMMIT = "bba038e34b90ed2fa380b73bf7657f9239af3ac1"
FLOWS = {"exports_fob": "exports_usd", "imports_cif": "imports_usd"}
WORLD = "World"
#: IMF partner names the registry's patterns read as a state but that are not one: a customs union of five
#: states and part of one (counting them as ZAF / MYS would add other states' trade to theirs).
NOT_STATES = frozenset({"South African Common Customs Area (SACCA)", "Malaysia, West"})
DOTS_CITATION = ("International Monetary Fund, Direction of Trade Statistics (DOTS), https://data.imf.org/ "
                 "(superseded by IMTS); IMF (2017), Direction of Trade Statistics Yearbook, introduction.")


def _fail(path: Path, msg: str) -> SourceFormatError:
    return SourceFormatError(f"{path}: {msg} The file is truncated, corrupt or edited: fetch it again.")


def load_long(con: duckdb.DuckDBPyConnection, path: Path, columns: list[str], text: list[str]) -> None:
    """Read a DOTS long CSV into the temporary table ``dots`` (typed, with each row's ``line`` in the file).

    Args:
        con: a scratch DuckDB connection.
        path: the ``.csv.gz`` file.
        columns: the header expected, in order; besides ``text`` columns it must hold ``flow, reporter,
            partner, year, value_musd, estimate_flag``.
        text: the string columns other than ``reporter, flow, partner``.

    Raises:
        SourceFormatError: naming the file, and the line and column of the first bad value.
    """
    src = str(path).replace("'", "''")
    try:
        # Every field as text first: a bad value is then found and named, not silently nulled by a cast.
        con.execute(f"CREATE OR REPLACE TEMP TABLE raw AS SELECT row_number() OVER () + 1 AS line, * FROM "
                    f"read_csv('{src}', header = true, all_varchar = true, auto_detect = true, strict_mode = true)")
    except duckdb.Error as exc:  # gzip/CSV errors from a truncated or damaged download
        raise _fail(path, f"cannot be read as a gzip CSV ({str(exc).splitlines()[0]}).") from exc
    found = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE raw) WHERE column_name <> 'line'").fetchall()]
    if found != columns:
        raise _fail(path, f"header is {', '.join(found)}; expected {', '.join(columns)}.")
    if not con.execute("SELECT count(*) FROM raw").fetchone()[0]:
        raise _fail(path, "has no rows.")
    checks = [
        ("year", "TRY_CAST(year AS INTEGER) IS NULL OR TRY_CAST(year AS INTEGER) NOT BETWEEN 1946 AND 2100",
         "is not a year"),
        ("value_musd", "TRY_CAST(value_musd AS DOUBLE) IS NULL", "is not a number"),
        ("estimate_flag", "estimate_flag IS NULL OR estimate_flag NOT IN ('0', '1')", "is not 0 or 1"),
        ("flow", "flow IS NULL OR flow NOT IN ('exports_fob', 'imports_cif')", "is not exports_fob or imports_cif"),
        *((c, f"{c} IS NULL OR trim({c}) = ''", "is empty") for c in ("reporter", "partner", *text)),
    ]
    for col, bad, what in checks:
        hit = con.execute(f'SELECT line, "{col}" FROM raw WHERE {bad} ORDER BY line LIMIT 1').fetchone()
        if hit:
            raise _fail(path, f"line {hit[0]}, column '{col}': '{hit[1]}' {what}.")
    keep = ", ".join(f"trim({c}) AS {c}" for c in text)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE dots AS
        SELECT line, {keep + ',' if keep else ''} trim(reporter) AS reporter, flow, trim(partner) AS partner,
               CAST(year AS INTEGER) AS year, CAST(value_musd AS DOUBLE) AS v, CAST(estimate_flag AS INTEGER) AS est
        FROM raw""")
    con.execute("DROP TABLE raw")


def _dedupe(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Collapse repeated series (DOTS_143/144 are both Nicaragua; 'Australia' twice in the Russia sheets).

    Repeats with equal values are one observation; with different values the file contradicts itself.
    Returns the number of rows dropped.
    """
    clash = con.execute("""SELECT min(line), reporter, flow, partner, year FROM dots GROUP BY ALL
                           HAVING count(DISTINCT v) > 1 ORDER BY 1 LIMIT 1""").fetchone()
    if clash:
        raise _fail(path, f"line {clash[0]}: {clash[1]} {clash[2]} {clash[3]} {clash[4]} appears twice with "
                          "different values.")
    n = con.execute("SELECT count(*) FROM dots").fetchone()[0]
    con.execute("""CREATE OR REPLACE TEMP TABLE dots AS SELECT * FROM dots
                   QUALIFY row_number() OVER (PARTITION BY reporter, flow, partner, year ORDER BY line) = 1""")
    return n - con.execute("SELECT count(*) FROM dots").fetchone()[0]


def _names(con: duckdb.DuckDBPyConnection, registry: Registry) -> dict[str, int]:
    """Map every reporter and partner name to a state code (table ``names``); unmapped name -> rows."""
    counts = con.execute("""SELECT name, sum(n) FROM (SELECT reporter AS name, count(*) AS n FROM dots GROUP BY 1
                            UNION ALL SELECT partner, count(*) FROM dots GROUP BY 1) GROUP BY 1""").df()
    counts.columns = ["name", "rows"]
    code = imf_country_codes(counts["name"], registry)
    code = code.mask(counts["name"].isin(NOT_STATES).to_numpy())
    names = pd.DataFrame({"name": counts["name"], "code": code.astype(object)})
    con.register("names_df", names)
    con.execute("CREATE OR REPLACE TEMP TABLE names AS SELECT name, code FROM names_df")
    con.unregister("names_df")
    miss = counts[code.isna().to_numpy()]
    return {str(k): int(v) for k, v in zip(miss["name"], miss["rows"])}


def _directed(con: duckdb.DuckDBPyConnection, spans: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """Bilateral rows between two states, one per reporter-partner-year, in US$.

    Two IMF names can land on one state in one year: a dead state kept as a partner label (USSR to 2013,
    Yugoslavia to 2016) next to its successor. The name whose own reporting years (``spans``: name, first,
    last) cover the year is kept; when none or both do, the flow is unknown and dropped.
    """
    con.register("spans_df", spans if spans is not None else pd.DataFrame({"name": pd.Series([], dtype=str),
                                                                           "first": [], "last": []}))
    q = """WITH m AS (
             SELECT d.year, r.code AS reporter, p.code AS partner, d.flow, d.v,
                    coalesce(d.year BETWEEN s."first" AND s."last", false)::INT AS cur
             FROM dots d JOIN names r ON r.name = d.reporter JOIN names p ON p.name = d.partner
             LEFT JOIN spans_df s ON s.name = d.partner
             WHERE r.code IS NOT NULL AND p.code IS NOT NULL AND r.code <> p.code),
           k AS (SELECT *, count(*) OVER w AS n, sum(cur) OVER w AS ncur FROM m
                 WINDOW w AS (PARTITION BY year, reporter, partner, flow))
           SELECT year, reporter, partner, flow, v, n > 1 AS collided, n = 1 OR (cur = 1 AND ncur = 1) AS kept FROM k"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE bil AS {q}")
    con.unregister("spans_df")
    dropped, resolved = con.execute("SELECT count(*) FILTER (NOT kept), count(*) FILTER (collided AND kept) "
                                    "FROM bil").fetchone()
    neg = con.execute("SELECT count(*) FROM bil WHERE kept AND v < 0").fetchone()[0]
    df = con.execute(f"""SELECT year::INTEGER AS year, reporter, partner,
            max(v) FILTER (flow = 'exports_fob' AND v >= 0) * {MILLION} AS exports_usd,
            max(v) FILTER (flow = 'imports_cif' AND v >= 0) * {MILLION} AS imports_usd
          FROM bil WHERE kept GROUP BY ALL
          HAVING exports_usd IS NOT NULL OR imports_usd IS NOT NULL""").df()
    notes = []
    if resolved or dropped:
        notes.append(f"{resolved} flow(s) where two IMF names meet on one state taken from the name current "
                     f"that year; {dropped} such flow(s) dropped (old or ambiguous labels)")
    if neg:
        notes.append(f"{neg} negative value(s) (IMF adjustments) read as missing, not as negative trade")
    df = df.assign(source="", view="reported", exports_smoothed_usd=np.nan, imports_smoothed_usd=np.nan,
                   exports_basis=np.where(df.exports_usd.notna(), "FOB", None),
                   imports_basis=np.where(df.imports_usd.notna(), "CIF", None))
    df["year"] = df["year"].astype("int32")
    return df, notes


def _world_totals(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Each state reporter's goods exports to and imports from the partner "World" (its total trade)."""
    df = con.execute(f"""SELECT d.year::INTEGER AS year, r.code AS code,
            max(d.v) FILTER (d.flow = 'exports_fob' AND d.v >= 0) * {MILLION} AS exports_usd,
            max(d.v) FILTER (d.flow = 'imports_cif' AND d.v >= 0) * {MILLION} AS imports_usd
          FROM dots d JOIN names r ON r.name = d.reporter
          WHERE r.code IS NOT NULL AND d.partner = '{WORLD}' GROUP BY ALL
          HAVING count(DISTINCT d.reporter) = 1 AND (exports_usd IS NOT NULL OR imports_usd IS NOT NULL)""").df()
    df.insert(0, "source", source)
    df["year"] = df["year"].astype("int32")
    return df


def _estimates(con: duckdb.DuckDBPyConnection) -> str:
    n, tot = con.execute("SELECT sum(est), count(*) FROM dots").fetchone()
    return f"{int(n)} of {tot} values are IMF estimates (' e' in the workbooks); kept as published"


class ImfDotsAllReporters(Source):
    """IMF DOTS, goods exports FOB and imports CIF of every reporter with every partner, 1960-2020."""

    name = "imf_dots_all_reporters_1960_2020"
    title = "IMF Direction of Trade Statistics, all reporters x partners, annual 1960-2020"
    version = f"IMF data-portal export ~2022 (SamLeBlanc/Direction-of-Trade-Map {LEBLANC_COMMIT[:7]}), long form"
    citation = DOTS_CITATION + " Excel exports distributed by S. LeBlanc, Direction-of-Trade-Map (GitHub)."
    licence = "IMF terms of use for the data; repository MIT"
    homepage = "https://github.com/SamLeBlanc/Direction-of-Trade-Map"
    # The long CSV is canonical: a lossless transcription of all 235 workbooks (both sheets, " e" kept as a
    # flag), one typed file DuckDB reads in seconds, where 235 workbooks take minutes through openpyxl. The
    # index ties it back to the workbooks (file -> reporter, first and last year) and exposes truncation.
    files = (RemoteFile("dots_bilateral_long.csv.gz"), RemoteFile("dots_file_index.csv"))
    schema = {k: TRADE_SCHEMA[k] for k in ("trade", "trade_national")}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path, p_ix = paths["dots_bilateral_long.csv.gz"], paths["dots_file_index.csv"]
        ix = _read_index(p_ix)
        con = duckdb.connect()
        try:
            load_long(con, path, ["dots_file_no", "reporter", "flow", "partner", "year", "value_musd",
                                  "estimate_flag"], ["dots_file_no"])
            _check_index(con, path, p_ix, ix)
            dups = _dedupe(con, path)
            unmapped = _names(con, registry)
            spans = ix.rename(columns={"reporter": "name", "min": "first", "max": "last"})
            spans = spans.groupby("name", as_index=False).agg({"first": "min", "last": "max"})
            trade, notes = _directed(con, spans)
            national = _world_totals(con, self.name)
            notes.insert(0, _estimates(con))
        finally:
            con.close()
        trade["source"] = self.name
        if dups:
            notes.append(f"{dups} repeated row(s) dropped (DOTS_143 and DOTS_144 are both Nicaragua)")
        notes.append("each reporter's own figures (view 'reported'); mirror flows are kept apart, the trade "
                     "indicators choose between them")
        return IngestResult({"trade": trade[TRADE_COLUMNS], "trade_national": national}, unmapped, notes)


def _read_index(path: Path) -> pd.DataFrame:
    try:
        ix = pd.read_csv(path, dtype={"reporter": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise _fail(path, f"cannot be read as CSV ({exc}).") from exc
    need = ["dots_file_no", "reporter", "min", "max"]
    if list(ix.columns) != need:
        raise _fail(path, f"header is {', '.join(map(str, ix.columns))}; expected {', '.join(need)}.")
    for c in ("dots_file_no", "min", "max"):
        num = pd.to_numeric(ix[c], errors="coerce")
        if num.isna().any():
            i = int(num.isna().to_numpy().nonzero()[0][0])
            raise _fail(path, f"line {i + 2}, column '{c}': '{ix[c].iloc[i]}' is not a number.")
        ix[c] = num.astype(int)
    return ix


def _check_index(con: duckdb.DuckDBPyConnection, path: Path, p_ix: Path, ix: pd.DataFrame) -> None:
    """Every workbook of the index must be in the CSV with its reporter and years (a cut file loses the last)."""
    got = con.execute("""SELECT CAST(dots_file_no AS INTEGER) AS f, min(reporter) AS r, count(DISTINCT reporter) AS nr,
                                min(year) AS lo, max(year) AS hi FROM dots GROUP BY 1""").df()
    m = ix.merge(got, left_on="dots_file_no", right_on="f", how="outer", indicator=True)
    bad = m[(m._merge != "both") | (m.nr != 1) | (m.reporter != m.r) | (m["min"] != m.lo) | (m["max"] != m.hi)]
    if len(bad):
        b = bad.iloc[0]
        raise _fail(path, f"workbook DOTS_{int(b.dots_file_no if pd.notna(b.dots_file_no) else b.f)} does not "
                          f"match {p_ix.name} (reporter {b.reporter!r}, years {b['min']}-{b['max']} there; "
                          f"{b.r!r}, {b.lo}-{b.hi} here).")


class ImfDotsRussiaWorld(Source):
    """IMF DOTS, Russia's goods trade by partner and the world's by partner, 2011-2023 (2023 incomplete)."""

    name = "imf_dots_russia_world_2011_2023"
    title = "IMF Direction of Trade Statistics: Russian Federation and World by partner, 2011-2023"
    version = f"IMF data-portal export ~2023-24 (zleffel-afk/Visualization-of-NAM-country-data {LEFFEL_COMMIT[:7]})"
    citation = DOTS_CITATION + " Excel exports distributed by Z. Leffel, Visualization-of-NAM-country-data (GitHub)."
    licence = "IMF terms of use for the data; repository without licence"
    homepage = "https://github.com/zleffel-afk/Visualization-of-NAM-country-data"
    files = (RemoteFile("dots_russia_world_long.csv.gz"),)
    #: the newest vintage: both sheets of each reporter; older workbooks are superseded (one cell differs).
    VINTAGE = ("rf_exports_2023.xlsx", "tot_exports_2023.xlsx")
    schema = {
        "trade": TRADE_SCHEMA["trade"],
        "trade_national": TRADE_SCHEMA["trade_national"],
        "trade_world": "source VARCHAR, year INTEGER, partner VARCHAR, world_exports_usd DOUBLE, "
                       "world_imports_usd DOUBLE",
        "trade_partial": "source VARCHAR, year INTEGER, reporter VARCHAR, reason VARCHAR",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["dots_russia_world_long.csv.gz"]
        con = duckdb.connect()
        try:
            load_long(con, path, ["source_file", "sheet", "reporter", "flow", "partner", "year", "value_musd",
                                  "estimate_flag"], ["source_file", "sheet"])
            present = {r[0] for r in con.execute("SELECT DISTINCT source_file FROM dots").fetchall()}
            lost = [f for f in self.VINTAGE if f not in present]
            if lost:
                raise _fail(path, f"no rows from {', '.join(lost)}.")
            old = con.execute(f"SELECT count(*) FROM dots WHERE source_file NOT IN {self.VINTAGE}").fetchone()[0]
            con.execute(f"DELETE FROM dots WHERE source_file NOT IN {self.VINTAGE}")
            partial = _partial_years(con, self.name)
            dups = _dedupe(con, path)
            unmapped = _names(con, registry)
            unmapped.pop(WORLD, None)  # the aggregate reporter is read into trade_world, not lost
            trade, notes = _directed(con, None)
            national = _world_totals(con, self.name)
            world = con.execute(f"""SELECT '{self.name}' AS source, d.year::INTEGER AS year, p.code AS partner,
                    max(d.v) FILTER (d.flow = 'exports_fob' AND d.v >= 0) * {MILLION} AS world_exports_usd,
                    max(d.v) FILTER (d.flow = 'imports_cif' AND d.v >= 0) * {MILLION} AS world_imports_usd
                  FROM dots d JOIN names p ON p.name = d.partner
                  WHERE d.reporter = '{WORLD}' AND p.code IS NOT NULL GROUP BY ALL
                  HAVING count(DISTINCT d.partner) = 1""").df()
            notes.insert(0, _estimates(con))
        finally:
            con.close()
        trade["source"] = self.name
        partial["code"] = registry.map_codes(partial["name"]).astype(object)
        flagged = partial.assign(reporter=partial["code"].where(partial["code"].notna(), partial["name"]))
        notes.append(f"{old} row(s) of superseded workbooks ignored (newest vintage: {', '.join(self.VINTAGE)})")
        if dups:
            notes.append(f"{dups} repeated row(s) dropped (upstream lists some partners twice)")
        notes.append("partial (exports published, imports not yet): " + "; ".join(
            f"{r.reporter} {r.year}" for r in flagged.itertuples()) + ". Held in trade_partial; the indicators "
            "do not use those years")
        tables = {"trade": trade[TRADE_COLUMNS], "trade_national": national, "trade_world": world,
                  "trade_partial": flagged[["source", "year", "reporter", "reason"]]}
        return IngestResult(tables, unmapped, notes)


def _partial_years(con: duckdb.DuckDBPyConnection, source: str) -> pd.DataFrame:
    """Reporter-years with exports but no imports in the release: the download predates the year's full
    publication (IMF fills the import sheet later), so the year is incomplete, not a fall. Russia 2023:
    exports to China 49.4 bn against about 129 bn China-reported (SOURCE.md)."""
    df = con.execute("""SELECT reporter AS name, year FROM dots GROUP BY ALL
                        HAVING count(*) FILTER (flow = 'exports_fob') > 0 AND count(*) FILTER (flow = 'imports_cif') = 0
                        ORDER BY 1, 2""").df()
    df.insert(0, "source", source)
    df["year"] = df["year"].astype("int32")
    df["reason"] = "exports published, imports not yet: the year was incomplete when the file was exported"
    return df
