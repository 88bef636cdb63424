"""Dyad-year panels, in the spirit of R's peacesciencer: start from the state system, add one source per call.

>>> p = create_dyadyears(store, 1946, 2014)        # every non-directed COW dyad-year
>>> p = add_alliances(add_unga(p, store), store)    # each call adds documented columns
>>> p.coverage                                      # first/last year with data, source, version per column
>>> p.write("panel.dta")                            # or .parquet / .csv

Rules (see docs/indicators/panel.md):

- The frame is every dyad of two COW system members in a year, a state being a member in a year when any
  of its membership spells overlaps that year (peacesciencer's default). Non-directed: ``a < b``; directed:
  both orders.
- COW membership v2016 ends on 2016-12-31. For later years the spells of states alive on that day are
  extended through the requested end year (no state has entered or left the system since under COW's
  criteria as far as the v2016 list can tell, but that is an assumption): the coverage record flags it.
- Outside a source's years a value is missing, never 0 or carried forward. Inside them, 0 means the source
  reports none (no alliance pledge, no joint exercise); UNGA similarity is missing for dyads without a
  shared vote.
- Every added column gets a coverage row: first and last year in which it holds a value in this panel,
  source name(s) and version(s), citation, and the rule behind it.

All joins run in DuckDB on the in-memory frames; no Python loop touches rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from dyadic.errors import NotIngestedError, RequestError
from dyadic.store import Store

COW_LAST_DAY = "2016-12-31"  # last day of COW State System Membership v2016
COVERAGE_COLUMNS = ["column", "first_year", "last_year", "source", "version", "citation", "note"]


@dataclass
class Panel:
    """A dyad-year frame plus the coverage record of each of its columns.

    Args:
        data: one row per dyad-year (``year, a, b`` first), sorted by year, a, b.
        coverage: one row per column: ``column, first_year, last_year, source, version, citation, note``.
        directed: whether ``(a, b)`` and ``(b, a)`` are separate rows.
        start, end: the requested years.
    """

    data: pd.DataFrame
    coverage: pd.DataFrame
    directed: bool
    start: int
    end: int
    added: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.data)

    def write(self, path: str | Path, coverage: bool = True) -> Path:
        """Write the panel as Parquet, CSV or Stata (by the file's suffix), plus ``<stem>.coverage.csv``.

        Returns:
            The path written.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".parquet", ".csv", ".dta"):
            raise RequestError(f"cannot tell the format of '{path}': use a .parquet, .csv or .dta file name")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        if suffix == ".parquet":
            self.to_parquet(tmp)
        elif suffix == ".csv":
            self.data.to_csv(tmp, index=False)
        else:
            self.to_stata(tmp)
        tmp.replace(path)
        if coverage:
            self.coverage.to_csv(path.with_name(path.stem + ".coverage.csv"), index=False)
        return path

    def write_dataset(self, engine, path: str | Path, coverage: bool = True) -> Path:
        """Write the panel as a folder of Parquet files partitioned by year, on an engine (all of it or
        nothing: see :meth:`dyadic.engine.Engine.write_parquet`), plus ``<name>.coverage.csv`` beside it.

        Args:
            engine: a :class:`dyadic.engine.Engine` (from :func:`dyadic.engine.engine_for`).
            path: the output folder.

        Returns:
            The path written.
        """
        import ibis

        data = self.data.assign(a=self.data["a"].astype(str), b=self.data["b"].astype(str))
        path = engine.write_parquet(ibis.memtable(data), path, partition_by=["year"])
        if coverage:
            self.coverage.to_csv(path.with_name(path.name + ".coverage.csv"), index=False)
        return path

    def to_parquet(self, path: str | Path) -> None:
        """Parquet with the coverage record in the file's metadata (key ``dyadic.coverage``)."""
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.data, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[b"dyadic.coverage"] = self.coverage.to_json(orient="records").encode()
        pq.write_table(table.replace_schema_metadata(meta), path)

    def to_stata(self, path: str | Path) -> None:
        """Stata 118 (.dta); each variable is labelled with its source and years."""
        df = self.data.copy()
        for c in df.columns:
            if isinstance(df[c].dtype, pd.CategoricalDtype) or df[c].dtype == object or str(df[c].dtype) == "string":
                df[c] = df[c].astype(object).where(df[c].notna(), "").astype(str)
            elif str(df[c].dtype) in ("Int8", "Int16", "Int32", "Int64", "boolean", "Float64"):
                df[c] = df[c].astype("float64")
        labels = {}
        for r in self.coverage.itertuples():
            years = f"{r.first_year}-{r.last_year}" if pd.notna(r.first_year) else "no data"
            labels[r.column] = f"{r.source} ({years})"[:80]
        df.to_stata(path, write_index=False, version=118, variable_labels=labels)


# ---------------------------------------------------------------------------------------------- helpers


def _sql(frames: dict[str, pd.DataFrame], query: str, params: list | None = None) -> pd.DataFrame:
    """Run ``query`` over in-memory frames in a private DuckDB connection; a, b come back categorical."""
    con = duckdb.connect()
    try:
        for name, df in frames.items():
            con.register(name, df)
        tbl = con.execute(query, params or []).fetch_arrow_table()
    finally:
        con.close()
    cols = {}
    for name in tbl.column_names:
        col = tbl.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            if name in ("a", "b"):
                col = col.dictionary_encode()
        cols[name] = col
    return pa.table(cols).to_pandas(types_mapper=None)


def _versions(store: Store, names: Iterable[str]) -> str:
    src = store.sources()
    out = []
    for n in names:
        hit = src[src.name == n]
        if len(hit):
            out.append(f"{n}: {hit.iloc[0]['version']}")
    return "; ".join(out)


def _citations(store: Store, names: Iterable[str]) -> str:
    src = store.sources()
    return " ".join(str(src[src.name == n].iloc[0]["citation"]) for n in names if (src.name == n).any())


def _years_with_data(data: pd.DataFrame, col: str) -> tuple[int | None, int | None]:
    mask = data[col].notna().to_numpy()
    if isinstance(data[col].dtype, pd.StringDtype) or data[col].dtype == object:
        mask &= (data[col].astype(object) != "").to_numpy()
    if not mask.any():
        return None, None
    yrs = data["year"].to_numpy()[mask]
    return int(yrs.min()), int(yrs.max())


def _cover(panel: Panel, data: pd.DataFrame, cols: list[str], source: str, version: str, citation: str,
           note: str, step: str) -> Panel:
    rows = []
    for c in cols:
        lo, hi = _years_with_data(data, c)
        rows.append({"column": c, "first_year": lo, "last_year": hi, "source": source, "version": version,
                     "citation": citation, "note": note})
    kept = panel.coverage[~panel.coverage.column.isin(cols)]
    new = pd.DataFrame(rows).astype({"first_year": "Int32", "last_year": "Int32"})
    cov = pd.concat([kept.astype(new.dtypes.to_dict()), new], ignore_index=True) if len(kept) else new
    cov["first_year"] = cov["first_year"].astype("Int32")
    cov["last_year"] = cov["last_year"].astype("Int32")
    return replace(panel, data=data, coverage=cov[COVERAGE_COLUMNS], added=[*panel.added, step])


def _check_free(panel: Panel, cols: list[str], step: str) -> None:
    clash = [c for c in cols if c in panel.data.columns]
    if clash:
        raise RequestError(f"the panel already has column(s) {', '.join(clash)}: {step} was added before")


def _codes(values: pd.Series, cats: pd.Index) -> np.ndarray:
    """Position of each value in ``cats`` (-1 when absent or missing), via its distinct values only."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniq = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniq = pd.factorize(values.to_numpy())
    lookup = np.append(cats.get_indexer(pd.Index(uniq).astype(str)), -1)  # code -1 (missing) -> -1
    return lookup[codes].astype(np.int64)


def _join(panel: Panel, right: pd.DataFrame, cols: list[str], symmetric: bool = True,
          within: tuple[int, int] | None = None, fill: dict[str, object] | None = None,
          swap: dict[str, str] | None = None) -> pd.DataFrame:
    """Left-join dyad-year values onto the panel (a new frame; the panel's own is not modified).

    The panel's state categories are sorted, so ``(year, a, b)`` packs into one sortable integer key and
    the join is a binary search (NumPy) rather than a hash join that would copy every column.

    Args:
        right: ``year, a, b`` + ``cols``; non-directed (``a < b``) when ``symmetric``, else directed.
        within: the source's (first, last) year; outside it every added value is missing.
        fill: column -> value for dyad-years inside ``within`` with no row in ``right`` (a reported zero).
        swap: column -> partner column to read on rows where the panel has ``a > b`` (``_a``/``_b`` pairs).
    """
    fill, swap = fill or {}, swap or {}
    data = panel.data
    cats = data["a"].cat.categories
    k = len(cats) + 1
    year = data["year"].to_numpy().astype(np.int64)
    ia, ib = data["a"].cat.codes.to_numpy().astype(np.int64), data["b"].cat.codes.to_numpy().astype(np.int64)
    if symmetric:
        ia, ib = np.minimum(ia, ib), np.maximum(ia, ib)
    pkey = (year * k + ia) * k + ib
    ra, rb = _codes(right["a"], cats), _codes(right["b"], cats)
    known = np.flatnonzero((ra >= 0) & (rb >= 0))  # positions in ``right``: its columns are never copied
    rkey = (right["year"].to_numpy()[known].astype(np.int64) * k + ra[known]) * k + rb[known]
    srt = np.argsort(rkey, kind="stable")
    order = known[srt]
    rkey = rkey[srt]
    pos = np.minimum(np.searchsorted(rkey, pkey), max(len(rkey) - 1, 0))
    hit = (rkey[pos] == pkey) if len(rkey) else np.zeros(len(pkey), dtype=bool)
    idx = np.where(hit, order[pos] if len(rkey) else 0, -1)
    inside = np.ones(len(data), dtype=bool) if within is None else (year >= within[0]) & (year <= within[1])
    flipped = data["a"].cat.codes.to_numpy() > data["b"].cat.codes.to_numpy()
    take = np.maximum(idx, 0)
    out = data.copy(deep=False)
    for c in cols:
        vals, valid = _column(right, c, take, hit)
        if c in swap and flipped.any():
            v2, ok2 = _column(right, swap[c], take, hit)
            vals, valid = np.where(flipped, v2, vals), np.where(flipped, ok2, valid)
        if c in fill:
            empty = inside & ~hit
            vals = np.where(empty, fill[c], vals) if vals.dtype != object else _obj_where(empty, fill[c], vals)
            valid = valid | empty
        valid &= inside
        out[c] = _build(vals, valid, right[c].dtype)
    return out


def _column(right: pd.DataFrame, c: str, take: np.ndarray, hit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of ``right[c]`` at ``take`` and whether each is present (a hit and not missing)."""
    col = right[c]
    na = col.isna().to_numpy()
    if len(col) == 0:
        return np.zeros(len(take), dtype=object if col.dtype == object else np.float64), np.zeros(len(take), bool)
    if col.dtype == object or isinstance(col.dtype, pd.StringDtype):
        arr = col.astype(object).to_numpy()
    elif hasattr(col.array, "_data"):  # nullable: the raw values behind the mask
        arr = col.array._data
    else:
        arr = col.to_numpy()
    return arr[take], hit & ~na[take]


def _obj_where(cond: np.ndarray, value, arr: np.ndarray) -> np.ndarray:
    arr = arr.copy()
    arr[cond] = value
    return arr


def _build(vals: np.ndarray, valid: np.ndarray, dtype) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """A column from values and a validity mask, as a nullable integer, float or object array."""
    kind = getattr(dtype, "kind", None) or getattr(getattr(dtype, "numpy_dtype", None), "kind", None)
    if dtype == bool or str(dtype) == "boolean":
        return pd.arrays.IntegerArray(vals.astype(np.int8), ~valid)
    if kind in ("i", "u"):
        return pd.arrays.IntegerArray(vals.astype(getattr(dtype, "numpy_dtype", dtype)), ~valid)
    if kind == "f":
        return np.where(valid, vals.astype(np.float64, copy=False), np.nan)
    out = vals.astype(object)
    out[~valid] = None
    return out


# ---------------------------------------------------------------------------------------------- the frame


def parse_pairs(pairs: Iterable[str | tuple[str, str]], registry) -> list[tuple[str, str]]:
    """``["CHN-RUS", ("USA", "China")]`` -> resolved code pairs."""
    out = []
    for p in pairs:
        if isinstance(p, str):
            parts = p.split("-")
            if len(parts) != 2:
                raise RequestError(f"pair '{p}' is not of the form A-B (e.g. CHN-RUS)")
        else:
            parts = list(p)
        x, y = (registry.resolve(t) for t in parts)
        if x == y:
            raise RequestError(f"pair '{p}' names the same state twice")
        out.append((x, y))
    return out


def create_dyadyears(store: Store, start: int, end: int, directed: bool = False,
                     pairs: Iterable[str | tuple[str, str]] | None = None, system: str = "cow") -> Panel:
    """Every dyad-year of the COW state system between ``start`` and ``end``.

    Args:
        store: needs ``country_codes`` (its ``state_spells`` table is COW State System Membership v2016).
        start, end: first and last year (inclusive).
        directed: both ``(a, b)`` and ``(b, a)`` per dyad-year; else one row with ``a < b``.
        pairs: restrict to these pairs (``"CHN-RUS"`` or tuples, codes or names), in the years both are members.
        system: the state system; only ``cow`` is available.

    Returns:
        A :class:`Panel` with columns ``year, a, b`` (state codes).
    """
    _check_frame(store, start, end, system)
    cmp = "<>" if directed else "<"
    members = store.con.execute(
        f"""
        WITH spells AS (
            SELECT code, year(start) AS y0,
                   CASE WHEN "end" >= DATE '{COW_LAST_DAY}' THEN greatest(?, 2016) ELSE year("end") END AS y1
            FROM state_spells)
        SELECT DISTINCT y AS year, code FROM spells, range(y0, y1 + 1) AS r(y)
        WHERE y BETWEEN ? AND ?
        """, [end, start, end]).df()
    q = f"""SELECT s1.year::SMALLINT AS year, s1.code AS a, s2.code AS b FROM m s1 JOIN m s2
            ON s1.year = s2.year AND s1.code {cmp} s2.code"""
    params: list = []
    if pairs is not None:
        pf = pd.DataFrame(_pair_keys(store, pairs, directed), columns=["pa", "pb"])
        q = f"SELECT d.* FROM ({q}) d JOIN pf ON d.a = pf.pa AND d.b = pf.pb"
        frames = {"m": members, "pf": pf}
    else:
        frames = {"m": members}
    data = _sql(frames, q + " ORDER BY year, a, b", params)
    # One sorted category list for a and b: keeps rows ordered by code and makes joins integer searches.
    cats = sorted(members["code"].unique())
    data["a"] = data["a"].cat.set_categories(cats)
    data["b"] = data["b"].cat.set_categories(cats)
    return _frame_panel(store, data, start, end, directed)


def _check_frame(store: Store, start: int, end: int, system: str) -> None:
    if system != "cow":
        raise RequestError(f"state system '{system}' is not available; use system='cow'")
    if start > end:
        raise RequestError(f"start year {start} is after end year {end}")
    if start < 1816:
        raise RequestError(f"the COW state system begins in 1816; start={start} is earlier")
    store.require("country_codes")


def _pair_keys(store: Store, pairs, directed: bool) -> list[tuple[str, str]]:
    """The (a, b) rows a pair restriction keeps: both orders when directed, else alphabetical."""
    chosen = parse_pairs(pairs, store.registry())
    keep = {(x, y) for x, y in chosen} | {(y, x) for x, y in chosen} if directed else \
           {tuple(sorted(p)) for p in chosen}
    return sorted(keep)


def _frame_panel(store: Store, data: pd.DataFrame, start: int, end: int, directed: bool) -> Panel:
    """A panel over ``data`` (``year, a, b`` first) with the coverage record of its frame columns."""
    extended = end > 2016
    note = ("member in a year = any COW membership spell overlaps it"
            + (f"; years 2017-{end}: COW v2016 spells of states alive on {COW_LAST_DAY} extended (assumed "
               "still members; states entering after 2016 would be missing)" if extended else ""))
    cov = pd.DataFrame(columns=COVERAGE_COLUMNS)
    panel = Panel(data=data, coverage=cov, directed=directed, start=start, end=end)
    version = _versions(store, ["country_codes"]) + ("; extended past 2016" if extended else "")
    cit = "Correlates of War Project (2017). State System Membership List, v2016."
    return _cover(panel, data, ["year", "a", "b"], "country_codes (COW state system)", version, cit, note,
                  "dyadyears")


# ---------------------------------------------------------------------------------------------- additions


def add_unga(panel: Panel, store: Store, sel=None, indicators: tuple[str, ...] = ("agree", "s", "pi")) -> Panel:
    """Add UN General Assembly voting similarity (symmetric).

    Columns: ``unga_n`` (roll calls both voted on), ``unga_agree`` (share identical), ``unga_s``
    (Signorino-Ritter S), ``unga_pi`` (Scott's pi). Missing when the pair shared no vote that year.
    Needs ``unvotes_voeten_2019`` (to 2019) and ``unga_unsc_votes_undl_scrape`` (from 2020) under the default
    selection. Cite: Voeten (2013); UN Digital Library voting data (see ``dyadic sources``).

    Args:
        sel: a :class:`dyadic.indicators.unga.VoteSelection` (its years are set to the panel's).
        indicators: which of ``agree``, ``s``, ``pi`` to add.
    """
    from dyadic.indicators.unga import VoteSelection, dyad_years

    sel = replace(sel or VoteSelection(), start=panel.start, end=panel.end)
    pieces = sel.sources()
    names = [s for s, _, _ in pieces]
    missing = [n for n in dict.fromkeys(names) if not store.has_source(n)]
    if missing:
        raise NotIngestedError(f"add_unga needs the UN vote sources: run 'dyadic ingest {' '.join(missing)}' first.")
    cols = ["unga_n", *[f"unga_{i}" for i in indicators]]
    _check_free(panel, cols, "add_unga")
    dy = dyad_years(store, sel, indicators=tuple(indicators))
    dy = dy.rename(columns={"n": "unga_n", **{i: f"unga_{i}" for i in indicators}})
    data = _join(panel, dy, cols)
    split = "; ".join(f"{s} {lo or ''}-{hi or ''}" for s, lo, hi in pieces)
    note = (f"roll calls: {split}; body {sel.body}; absences {sel.absent}; missing = no shared vote that year "
            "(or not both UN members)")
    return _cover(panel, data, cols, " + ".join(dict.fromkeys(names)), _versions(store, names),
                  _citations(store, dict.fromkeys(names)), note, "unga")


def add_alliances(panel: Panel, store: Store, datasets: tuple[str, ...] = ("atop", "cow")) -> Panel:
    """Add formal alliance pledges in force (0/1), from ATOP 5.1 and/or COW alliances 4.1.

    Columns: ``atop_defense, atop_offense, atop_neutral, atop_nonagg, atop_consult`` (1815-2018) and
    ``cow_defense, cow_neutral, cow_nonagg, cow_entente`` (1816-2012). 0 = no such pledge in the dataset's
    years; missing after them (ATOP after 2018 is unknown, not "no alliance"). Directed panels carry ``a``'s
    obligations towards ``b``; non-directed ones count a pledge made by either side.
    Needs ``alliances_atop_cow``. Cite: Leeds et al. (2002), ATOP v5.1; Gibler (2009), COW alliances v4.1.
    """
    from dyadic.indicators.commitments import ALLIANCES, PLEDGES, alliance_dyad_years, alliance_years

    if not store.has_source(ALLIANCES):
        raise NotIngestedError(f"add_alliances needs ATOP/COW alliance data: run 'dyadic ingest {ALLIANCES}' first.")
    bad = [d for d in datasets if d not in PLEDGES]
    if bad:
        raise RequestError(f"unknown alliance dataset(s) {bad}; use atop and/or cow")
    data = panel.data
    out = panel
    for ds in datasets:
        cols = _alliance_cols(ds)
        _check_free(out, cols, "add_alliances")
        lo, hi = alliance_years(store, ds)
        dy = alliance_dyad_years(store, ds, panel.start, panel.end, directed=panel.directed)
        dy = dy.rename(columns={p: f"{ds}_{p}" for p in PLEDGES[ds]})
        data = _join(out, dy, cols, symmetric=not panel.directed, within=(lo, hi), fill={c: 0 for c in cols})
        out = _alliance_cover(out, store, data, ds, cols, (lo, hi))
    return out


def _alliance_cols(ds: str) -> list[str]:
    from dyadic.indicators.commitments import PLEDGES

    return [f"{ds}_{p}" for p in PLEDGES[ds]]


def _alliance_cover(panel: Panel, store: Store, data: pd.DataFrame, ds: str, cols: list[str],
                    years: tuple[int, int]) -> Panel:
    from dyadic.indicators.commitments import ALLIANCES

    lo, hi = years
    label = "ATOP 5.1" if ds == "atop" else "COW Formal Alliances 4.1"
    note = (f"{label}: 1 = pledge in force, 0 = none in {lo}-{hi}, missing outside those years; "
            + ("a's obligation towards b" if panel.directed else "either side's obligation"))
    return _cover(panel, data, cols, f"{ALLIANCES} ({ds})", _versions(store, [ALLIANCES]),
                  _citations(store, [ALLIANCES]), note, f"alliances:{ds}")


def add_exercises(panel: Panel, store: Store) -> Panel:
    """Add joint multinational military exercises (symmetric), MME 1980-2010.

    Columns: ``mme_exercises`` (number of exercises both took part in that year; 0 inside 1980-2010 when
    none), ``mme_names`` (their names, "; "-separated, unnamed ones by MME id; empty when none). Both are
    missing outside 1980-2010. Needs ``mme_military_exercises``. Cite: D'Orazio & Galambos (2021), MME.
    """
    from dyadic.indicators.commitments import EXERCISES, exercise_dyad_years, exercise_years

    if not store.has_source(EXERCISES):
        raise NotIngestedError(f"add_exercises needs the MME data: run 'dyadic ingest {EXERCISES}' first.")
    cols = ["mme_exercises", "mme_names"]
    _check_free(panel, cols, "add_exercises")
    lo, hi = exercise_years(store)
    dy = exercise_dyad_years(store, panel.start, panel.end).rename(
        columns={"exercises": "mme_exercises", "names": "mme_names"})
    data = _join(panel, dy, cols, within=(lo, hi), fill={"mme_exercises": 0, "mme_names": ""})
    note = f"count 0 / names empty = no joint exercise in {lo}-{hi}; missing outside those years"
    return _cover(panel, data, cols, EXERCISES, _versions(store, [EXERCISES]), _citations(store, [EXERCISES]),
                  note, "exercises")


def _suffix_swaps(cols: list[str]) -> dict[str, str]:
    """``x_a`` <-> ``x_b`` partners, to turn a non-directed (a < b) row into the panel's order."""
    out = {}
    for c in cols:
        if c.endswith("_a") and c[:-2] + "_b" in cols:
            out[c], out[c[:-2] + "_b"] = c[:-2] + "_b", c
    return out


#: step -> (sources named in its coverage rows, coverage note)
EXTERNAL = {
    "trade": (["cow_trade", "imf_dots_all_reporters_1960_2020", "imf_dots_russia_world_2011_2023", "wb_gdp"],
              "values as reported by the trade indicators (trade_source names each year's source); missing "
              "outside each source's years"),
    "power": (["cow_nmc", "sipri_milex", "wb_gdp"],
              "values as reported by the power indicators; missing outside each source's years"),
}


def _add_external(panel: Panel, store: Store, step: str, frame: pd.DataFrame, sources: list[str],
                  note: str) -> Panel:
    cols = [c for c in frame.columns if c not in ("year", "a", "b")]
    _check_free(panel, cols, step)
    swap = _suffix_swaps(cols)
    data = _join(panel, frame, cols, swap=swap if panel.directed else None)
    return _finish_external(panel, store, step, data, cols, sources, note)


def _finish_external(panel: Panel, store: Store, step: str, data: pd.DataFrame, cols: list[str],
                     sources: list[str], note: str) -> Panel:
    if panel.directed:
        # Ratios and asymmetries of a to b change meaning with the order; a directed panel keeps them only
        # where a < b (the _a/_b columns carry the same information for every row).
        for c in cols:
            if c.endswith(("_ratio", "_asym")):
                data[c] = data[c].where(data["a"].astype(str) < data["b"].astype(str))
    present = [s for s in sources if store.has_source(s)]
    return _cover(panel, data, cols, " + ".join(present), _versions(store, present), _citations(store, present),
                  note, step)


def add_trade(panel: Panel, store: Store) -> Panel:
    """Add bilateral trade and dependence (symmetric), from :func:`dyadic.indicators.trade.trade_dyad_years`.

    Columns: as that function returns them (``_a``/``_b`` suffixes name the side; a directed panel swaps them
    so ``_a`` is always the panel's ``a``; ``dep_asym`` is kept only on rows with ``a < b``). Needs ``cow_trade``
    and ``wb_gdp`` (the function names what to ingest when they are absent). Cite: Barbieri & Keshk, COW Trade
    4.0; World Bank WDI GDP.
    """
    from dyadic.indicators.trade import trade_dyad_years

    # Codes as Arrow dictionaries: no million Python strings to build and match.
    frame = trade_dyad_years(store, panel.start, panel.end, categorical=True)
    return _add_external(panel, store, "trade", frame, *EXTERNAL["trade"])


def add_power(panel: Panel, store: Store) -> Panel:
    """Add capabilities: CINC (COW NMC), GDP and military spending of each side and their ratios.

    Columns: as :func:`dyadic.indicators.power.power_dyad_years` returns them (``cinc_a, cinc_b, cinc_ratio,
    gdp_*, milex_*``). In a directed panel ``_a``/``_b`` follow the panel's order and ``*_ratio`` (a to b in
    the non-directed frame) is kept only on rows with ``a < b``. Needs ``cow_nmc`` (and ``sipri_milex``,
    ``wb_gdp`` for those columns). Cite: Singer, Bremer & Stuckey (1972), NMC 7.0; SIPRI; World Bank.
    """
    from dyadic.indicators.power import DYAD_COLUMNS, MEASURES, power_state_years

    cols = [c for c in DYAD_COLUMNS if c not in ("year", "a", "b")]
    _check_free(panel, cols, "add_power")
    # The values of joining power_dyad_years, without forming all ~1.3 M pairs of states: each side is looked
    # up in a (year, state) table. A dyad-year has values only when both sides have a state-year row, as there.
    sy = power_state_years(store, panel.start, panel.end)
    data = panel.data
    cats = data["a"].cat.categories
    ns, y0 = len(cats), panel.start
    code = _codes(sy["code"], cats)
    mine = code >= 0
    slot = (sy["year"].to_numpy()[mine].astype(np.int64) - y0) * ns + code[mine]
    size = (panel.end - y0 + 1) * ns
    has = np.zeros(size, dtype=bool)
    has[slot] = True
    year = data["year"].to_numpy().astype(np.int64) - y0
    ka = year * ns + data["a"].cat.codes.to_numpy()
    kb = year * ns + data["b"].cat.codes.to_numpy()
    both = has[ka] & has[kb]
    out = data.copy(deep=False)
    for m in MEASURES:
        table = np.full(size, np.nan)
        table[slot] = sy[m].to_numpy(dtype=np.float64, na_value=np.nan)[mine]
        va = np.where(both, table[ka], np.nan)
        vb = np.where(both, table[kb], np.nan)
        out[f"{m}_a"], out[f"{m}_b"] = va, vb
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{m}_ratio"] = np.where(vb != 0, va / vb, np.nan)  # SQL: x_a / nullif(x_b, 0)
    return _finish_external(panel, store, "power", out, cols, *EXTERNAL["power"])


#: name -> function, for ``dyadic panel --add``
ADDERS = {"unga": add_unga, "trade": add_trade, "power": add_power, "alliances": add_alliances,
          "exercises": add_exercises}
from dyadic.indicators import conflict as _conflict  # noqa: E402,F401  (adds contiguity, mids, rivalries)
from dyadic.indicators import arms as _arms, politics as _politics  # noqa: E402,F401  (democracy, igos, arms)
from dyadic.indicators import diplomacy as _diplomacy, icews as _icews  # noqa: E402,F401  (vetoes, visits, icews)
from dyadic.indicators import obligations as _obligations  # noqa: E402,F401  (adds obligations: ATOP levels + curated)
from dyadic.indicators import ideal as _ideal  # noqa: E402,F401  (adds ideal: published BSV ideal points)
