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

The frame and the steps that read store tables (trade, power, alliances) are Ibis expressions, each written
once and run on the engine the caller picks (``engine="duckdb"`` or ``"spark"``, see docs/engines.md):
:func:`build_panel` composes them into one query, the ``add_*`` functions run one over an existing panel.
Values computed in memory (UNGA's matrix products, exercise lists, the other verbs' frames) are joined by
:func:`join`, a NumPy binary search; no Python loop touches rows.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from dyadic import engine as eng
from dyadic.catalog import Catalog
from dyadic.errors import RequestError
from dyadic.indicators import commitments, power, trade
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
# Public: the other panel verbs (conflict, politics, arms, ...) record coverage and join their frames with these.


def versions(store: Store, names: Iterable[str]) -> str:
    """``"name: version; ..."`` of the named sources the store holds (the coverage record's ``version``)."""
    src = store.sources()
    out = []
    for n in names:
        hit = src[src.name == n]
        if len(hit):
            out.append(f"{n}: {hit.iloc[0]['version']}")
    return "; ".join(out)


def citations(store: Store, names: Iterable[str]) -> str:
    """The citations of the named sources the store holds, space-separated (the coverage record's ``citation``)."""
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


def cover(panel: Panel, data: pd.DataFrame, cols: list[str], source: str, version: str, citation: str,
          note: str, step: str) -> Panel:
    """The panel with ``data`` as its frame and a coverage row per column of ``cols`` (replacing any earlier
    row of the same column): first and last year in which it holds a value, source, version, citation, note.

    Args:
        step: the name appended to ``panel.added``.
    """
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


def check_free(panel: Panel, cols: list[str], step: str) -> None:
    """Raise :class:`RequestError` when the panel already has one of ``cols`` (``step`` was added before)."""
    clash = [c for c in cols if c in panel.data.columns]
    if clash:
        raise RequestError(f"the panel already has column(s) {', '.join(clash)}: {step} was added before")


#: the panel verbs by name (``dyadic panel --add``): each entry needs sources and provides columns
ADDERS: Catalog = Catalog("panel verb")


def verb(name: str, needs: Sequence[str] = (), provides: Sequence[str] = (), what: str | None = None):
    """Register ``add_x(panel, store, ...)`` as the panel verb ``name`` (a decorator).

    ``needs`` are the sources it reads and ``provides`` the columns its default call adds (a test holds the
    declaration to what it does). The verb is run only when every needed source is ingested; otherwise it
    says what to ingest first (``what`` names the data in that message).
    """
    def deco(fn):
        @functools.wraps(fn)
        def run(panel: Panel, store: Store, *args, **kwargs) -> Panel:
            store.require(*needs, by=fn.__name__, what=what)
            return fn(panel, store, *args, **kwargs)

        return ADDERS.add(name, run, needs=tuple(needs), provides=tuple(provides))
    return deco


def codes_in(values: pd.Series, cats: pd.Index) -> np.ndarray:
    """Position of each value in ``cats`` (-1 when absent or missing), via its distinct values only."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniq = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniq = pd.factorize(values.to_numpy())
    lookup = np.append(cats.get_indexer(pd.Index(uniq).astype(str)), -1)  # code -1 (missing) -> -1
    return lookup[codes].astype(np.int64)


def join(panel: Panel, right: pd.DataFrame, cols: list[str], symmetric: bool = True,
         within: tuple[int, int] | None = None, fill: dict[str, object] | None = None,
         swap: dict[str, str] | None = None) -> pd.DataFrame:
    """Left-join an in-memory frame of dyad-year values onto the panel (a new frame; the panel's own is kept).

    For values computed in memory (UNGA's matrix products, exercise lists, the frames of the other verbs):
    the panel's state categories are sorted, so ``(year, a, b)`` packs into one sortable integer key and the
    join is a binary search rather than a round trip through an engine (``bench/panel.py`` measures both).
    Values read from store tables join on an engine instead (:func:`build_panel`).

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
    ra, rb = codes_in(right["a"], cats), codes_in(right["b"], cats)
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
    elif isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and hasattr(col.dtype, "numpy_dtype"):
        # A nullable column: its values as plain NumPy, a placeholder under the mask (``na`` says where).
        arr = col.to_numpy(dtype=col.dtype.numpy_dtype, na_value=col.dtype.numpy_dtype.type(0))
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
                     pairs: Iterable[str | tuple[str, str]] | None = None, system: str = "cow",
                     engine: str | eng.Engine = "duckdb") -> Panel:
    """Every dyad-year of the COW state system between ``start`` and ``end``.

    Args:
        store: needs ``country_codes`` (its ``state_spells`` table is COW State System Membership v2016).
        start, end: first and last year (inclusive).
        directed: both ``(a, b)`` and ``(b, a)`` per dyad-year; else one row with ``a < b``.
        pairs: restrict to these pairs (``"CHN-RUS"`` or tuples, codes or names), in the years both are members.
        system: the state system; only ``cow`` is available.
        engine: where the frame's query runs (see :func:`build_panel`).

    Returns:
        A :class:`Panel` with columns ``year, a, b`` (state codes).
    """
    _check_frame(store, start, end, system)
    return build_panel(store, start, end, (), directed, pairs, engine)


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
    version = versions(store, ["country_codes"]) + ("; extended past 2016" if extended else "")
    cit = "Correlates of War Project (2017). State System Membership List, v2016."
    return cover(panel, data, ["year", "a", "b"], "country_codes (COW state system)", version, cit, note,
                 "dyadyears")


# ---------------------------------------------------------------------------------------------- engine steps
# The frame and the steps that read store tables (trade, power, alliances) are Ibis expressions, each defined
# once below: build_panel composes them into one query, the add_* functions run one of them over an existing
# panel's rows. Either way on the engine the caller picks (dyadic.engine).

#: steps that run on an engine, and the sources each needs
RELATIONAL = {"trade": (trade.COW, trade.GDP), "power": power.POWER_SOURCES, "alliances": (commitments.ALLIANCES,)}
ALLIANCE_DATASETS = ("atop", "cow")


def members_expr(spells: ibis.Table, start: int, end: int) -> ibis.Table:
    """(year, code) of every COW member in the years: a spell covers a year it overlaps; spells alive on
    COW's last day run to ``max(end, 2016)``."""
    years = ibis.memtable(pd.DataFrame({"year": np.arange(start, end + 1, dtype="int32")}))
    last = ibis.ifelse(spells["end"] >= ibis.date(COW_LAST_DAY), ibis.literal(max(end, 2016), "int32"),
                       spells["end"].year().cast("int32"))
    s = spells.select("code", y0=spells["start"].year().cast("int32"), y1=last)
    m = s.join(years, (years.year >= s.y0) & (years.year <= s.y1))
    return m.select("year", "code").distinct()


def dyads_expr(members: ibis.Table, directed: bool, keep: list[tuple[str, str]] | None = None) -> ibis.Table:
    """``year, a, b``: every pair of members in a year (``a < b``, or both orders when ``directed``), only the
    ``keep`` pairs when given."""
    x = members.rename(a="code")
    y = members.view().rename(b="code", y_year="year")
    d = x.join(y, [x.year == y.y_year, (x.a != y.b) if directed else (x.a < y.b)]).select("year", "a", "b")
    if keep is not None:
        d = d.filter(ibis.or_(*[(d.a == pa_) & (d.b == pb) for pa_, pb in keep]) if keep else ibis.literal(False))
    return d


def join_trade(d: ibis.Table, tr: ibis.Table, directed: bool) -> ibis.Table:
    """Left-join non-directed trade indicators (``year, a, b`` + :data:`trade.DYAD_COLUMNS`, ``a < b``) onto
    the dyad-years ``d``; a directed row with ``a > b`` reads each ``_a``/``_b`` pair swapped."""
    cols = trade.DYAD_COLUMNS[3:]
    tr = tr.rename(t_year="year", t_a="a", t_b="b")
    lo, hi = (ibis.least(d.a, d.b), ibis.greatest(d.a, d.b)) if directed else (d.a, d.b)
    j = d.left_join(tr, [d.year == tr.t_year, lo == tr.t_a, hi == tr.t_b])
    swap = _suffix_swaps(cols) if directed else {}
    vals = {c: ibis.ifelse(j.a > j.b, j[swap[c]], j[c]) if c in swap else j[c] for c in cols}
    return j.select(*d.columns, **vals)


def join_power(d: ibis.Table, sy: ibis.Table) -> ibis.Table:
    """Each side's power state-year (``sy``: ``year, code`` + :data:`power.MEASURES`) and their ratios; values
    only where both sides have a row (as :func:`power.power_dyad_years` pairs them)."""
    sa = sy.rename(pa_year="year", pa_code="code", **{f"{m}_a": m for m in power.MEASURES})
    sb = sy.rename(pb_year="year", pb_code="code", **{f"{m}_b": m for m in power.MEASURES})
    j = d.left_join(sa, [d.year == sa.pa_year, d.a == sa.pa_code])
    j = j.select(*d.columns, "pa_code", *[f"{m}_a" for m in power.MEASURES])
    j = j.left_join(sb, [j.year == sb.pb_year, j.b == sb.pb_code])
    both = j.pa_code.notnull() & j.pb_code.notnull()
    none = ibis.null().cast("float64")
    vals = {}
    for m in power.MEASURES:
        va, vb = ibis.ifelse(both, j[f"{m}_a"], none), ibis.ifelse(both, j[f"{m}_b"], none)
        vals.update({f"{m}_a": va, f"{m}_b": vb, f"{m}_ratio": va / vb.nullif(0)})
    return j.select(*d.columns, **vals)


def join_alliance(d: ibis.Table, al: ibis.Table, ds: str, years: tuple[int, int]) -> ibis.Table:
    """Pledge flags of dataset ``ds`` (``al``: :func:`commitments.alliance_expr` in the panel's direction):
    the dataset's value, 0 in its ``years`` when the dyad has no pledge, missing outside them."""
    al = al.rename(l_year="year", l_a="a", l_b="b", **{c: c.split("_", 1)[1] for c in _alliance_cols(ds)})
    j = d.left_join(al, [d.year == al.l_year, d.a == al.l_a, d.b == al.l_b])
    inside = j.year.between(*years)
    none = ibis.null().cast("int8")
    vals = {c: ibis.ifelse(inside, ibis.ifelse(j.l_year.isnull(), ibis.literal(0, "int8"), j[c]), none)
            for c in _alliance_cols(ds)}
    return j.select(*d.columns, **vals)


def _tables_for(steps: Iterable[str]) -> list[str]:
    steps = set(steps)
    names = [*(trade.TABLES if "trade" in steps else ()), *(power.TABLES if "power" in steps else ()),
             *(["alliances"] if "alliances" in steps else [])]
    return list(dict.fromkeys(names))


def _step_columns(step: str, years: dict) -> list[str]:
    if step == "alliances":
        return [c for ds in years for c in _alliance_cols(ds)]
    return (trade.DYAD_COLUMNS if step == "trade" else power.DYAD_COLUMNS)[3:]


def _apply(d: ibis.Table, step: str, store: Store, tables: dict, start: int, end: int, directed: bool,
           years: dict) -> ibis.Table:
    """``d`` with the columns of one relational step joined on (``years``: the years of each alliance dataset
    to add)."""
    if step == "trade":
        return join_trade(d, trade.trade_expr(store, tables, trade.COW, start, end), directed)
    if step == "power":
        return join_power(d, power.state_years_expr(tables, start, end))
    for ds, span in years.items():
        al = commitments.alliance_expr(store, ds, start, end, directed, table=tables["alliances"])
        d = join_alliance(d, al, ds, span)
    return d


def _typed(data: pd.DataFrame, steps: Iterable[str], years: dict) -> pd.DataFrame:
    """The engine's result with the panel's dtypes: pledge flags as nullable ``Int8`` (Arrow hands an integer
    column with nulls to pandas as floats)."""
    for step in steps:
        if step == "alliances":
            for c in _step_columns(step, years):
                v = data[c].to_numpy(dtype=np.float64)
                # Built from values and mask: Series.astype("Int8") from floats takes ~0.1 s per million.
                data[c] = pd.arrays.IntegerArray(np.nan_to_num(v).astype(np.int8), np.isnan(v))
    return data


def _cover_step(panel: Panel, store: Store, step: str, data: pd.DataFrame, years: dict) -> Panel:
    if step == "alliances":
        for ds, span in years.items():
            panel = _alliance_cover(panel, store, data, ds, _alliance_cols(ds), span)
        return panel
    return _finish_external(panel, store, step, data, _step_columns(step, years), *EXTERNAL[step])


def _engine(engine: str | eng.Engine, store: Store):
    """An engine context: a new one by name (closed after), or the caller's open one (left open)."""
    if isinstance(engine, str):
        return eng.engine_for(eng.check_engine(engine), store)
    return nullcontext(engine)


def build_panel(store: Store, start: int, end: int, steps: Sequence[str] = ("trade", "power", "alliances"),
                directed: bool = False, pairs: Iterable[str | tuple[str, str]] | None = None,
                engine: str | eng.Engine = "duckdb") -> Panel:
    """Dyad-years of the COW state system plus trade, power and/or alliances, as one query on ``engine``.

    The same expressions as ``create_dyadyears`` followed by ``add_trade``, ``add_power`` and
    ``add_alliances`` in the order of ``steps`` (which run them one query per step): the same rows, columns,
    types and coverage record.

    Args:
        store: needs ``country_codes`` and the sources of each step (the error names what to ingest).
        start, end: first and last year (inclusive).
        steps: any of ``trade``, ``power``, ``alliances`` (both ATOP and COW).
        directed: both orders of each dyad.
        pairs: restrict to these pairs, as in ``create_dyadyears``.
        engine: ``duckdb``, ``spark``, or an open :class:`dyadic.engine.Engine` over ``store`` (left open).

    Returns:
        A :class:`Panel`, sorted by year, a, b.
    """
    if isinstance(engine, str):
        eng.check_engine(engine)
    _check_frame(store, start, end, "cow")
    steps = list(steps)
    unknown = [s for s in steps if s not in RELATIONAL]
    if unknown or len(set(steps)) < len(steps):
        raise RequestError(f"steps must be distinct names among {', '.join(RELATIONAL)}, not {steps}")
    store.require(*dict.fromkeys(n for s in steps for n in RELATIONAL[s]))
    keep = _pair_keys(store, pairs, directed) if pairs is not None else None
    years = {ds: commitments.alliance_years(store, ds) for ds in ALLIANCE_DATASETS} if "alliances" in steps else {}
    with _engine(engine, store) as e:
        tables = e.tables(["state_spells", *_tables_for(steps)])
        members = members_expr(tables["state_spells"], start, end)
        d = dyads_expr(members, directed, keep)
        for step in steps:
            d = _apply(d, step, store, tables, start, end, directed, years)
        data = e.to_pandas(d, dictionary=("a", "b"))
        # One sorted category list for a and b, every member of the years: keeps rows ordered by code and
        # lets join() pack (year, a, b) into one integer.
        cats = sorted(e.to_pandas(members.select("code").distinct())["code"])
    data["year"] = data["year"].astype("int16")
    for side in ("a", "b"):
        data[side] = data[side].cat.set_categories(cats)
    data = _typed(data, steps, years).sort_values(["year", "a", "b"], ignore_index=True)
    panel = _frame_panel(store, data, start, end, directed)
    for step in steps:
        panel = _cover_step(panel, store, step, data, years)
    return panel


def _keys_table(data: pd.DataFrame) -> pa.Table:
    """The panel's ``year, a, b`` and row position as Arrow (codes as strings built from the categories, not
    one Python string per row)."""
    def side(col: pd.Series) -> pa.Array:
        return pa.DictionaryArray.from_arrays(pa.array(col.cat.codes.to_numpy(), pa.int32()),
                                              pa.array(col.cat.categories.astype(str))).cast(pa.string())

    return pa.table({"year": pa.array(data["year"].to_numpy(), pa.int16()), "a": side(data["a"]),
                     "b": side(data["b"]), "_row": pa.array(np.arange(len(data), dtype=np.int64))})


def add_relational(panel: Panel, store: Store, step: str, engine: str | eng.Engine = "duckdb",
                   datasets: Sequence[str] = ALLIANCE_DATASETS) -> Panel:
    """Run one relational step (``trade``, ``power`` or ``alliances``) over the panel's rows on ``engine``.

    The step's expression is the one :func:`build_panel` composes; here its left side is the panel's own
    ``year, a, b`` (so any panel, whatever rows it holds, gets the step's columns row for row).

    Args:
        datasets: for ``alliances``, which of ``atop`` and ``cow`` to add.
    """
    store.require(*RELATIONAL[step])
    years = {ds: commitments.alliance_years(store, ds) for ds in datasets} if step == "alliances" else {}
    cols = _step_columns(step, years)
    check_free(panel, cols, f"add_{step}")
    with _engine(engine, store) as e:
        d = ibis.memtable(_keys_table(panel.data))
        tables = e.tables(_tables_for([step]))
        expr = _apply(d, step, store, tables, panel.start, panel.end, panel.directed, years)
        got = e.to_pandas(expr.select("_row", *cols))
    # Back into the panel's row order by position: cheaper than an ORDER BY on the engine.
    at = np.empty(len(got), dtype=np.int64)
    at[got["_row"].to_numpy()] = np.arange(len(got))
    out = panel.data.copy(deep=False)
    for c in cols:
        out[c] = got[c].to_numpy()[at]
    return _cover_step(panel, store, step, _typed(out, [step], years), years)


# ---------------------------------------------------------------------------------------------- additions


# The sources depend on the panel's years (Voeten to 2019, the UN Digital Library after): checked inside.
@verb("unga", provides=("unga_n", "unga_agree", "unga_s", "unga_pi"))
def add_unga(panel: Panel, store: Store, sel=None, indicators: tuple[str, ...] = ("agree", "s", "pi")) -> Panel:
    """Add UN General Assembly voting similarity (symmetric).

    Columns: ``unga_n`` (roll calls both voted on), ``unga_agree`` (share identical), ``unga_s``
    (Signorino-Ritter S), ``unga_pi`` (Scott's pi). Missing when the pair shared no vote that year.
    Needs ``unvotes_voeten_2019`` (to 2019) and ``unga_unsc_votes_undl_scrape`` (from 2020) under the default
    selection. Cite: Voeten (2013); UN Digital Library voting data (see ``dyadic sources``).

    The similarities are per-year matrix products in NumPy (:func:`dyadic.indicators.unga.dyad_years`; a
    join cannot do them in the time, see docs/engines.md), joined onto the panel with :func:`join`.

    Args:
        sel: a :class:`dyadic.indicators.unga.VoteSelection` (its years are set to the panel's).
        indicators: which of ``agree``, ``s``, ``pi`` to add.
    """
    from dyadic.indicators.unga import VoteSelection, dyad_years

    sel = replace(sel or VoteSelection(), start=panel.start, end=panel.end)
    pieces = sel.sources()
    names = [s for s, _, _ in pieces]
    store.require(*names, by="add_unga", what="the UN vote sources")
    cols = ["unga_n", *[f"unga_{i}" for i in indicators]]
    check_free(panel, cols, "add_unga")
    dy = dyad_years(store, sel, indicators=tuple(indicators))
    dy = dy.rename(columns={"n": "unga_n", **{i: f"unga_{i}" for i in indicators}})
    data = join(panel, dy, cols)
    split = "; ".join(f"{s} {lo or ''}-{hi or ''}" for s, lo, hi in pieces)
    note = (f"roll calls: {split}; body {sel.body}; absences {sel.absent}; missing = no shared vote that year "
            "(or not both UN members)")
    return cover(panel, data, cols, " + ".join(dict.fromkeys(names)), versions(store, names),
                 citations(store, dict.fromkeys(names)), note, "unga")


@verb("alliances", needs=RELATIONAL["alliances"], what="ATOP/COW alliance data",
      provides=tuple(f"{ds}_{p}" for ds in ALLIANCE_DATASETS for p in commitments.PLEDGES[ds]))
def add_alliances(panel: Panel, store: Store, datasets: tuple[str, ...] = ALLIANCE_DATASETS,
                  engine: str | eng.Engine = "duckdb") -> Panel:
    """Add formal alliance pledges in force (0/1), from ATOP 5.1 and/or COW alliances 4.1.

    Columns: ``atop_defense, atop_offense, atop_neutral, atop_nonagg, atop_consult`` (1815-2018) and
    ``cow_defense, cow_neutral, cow_nonagg, cow_entente`` (1816-2012). 0 = no such pledge in the dataset's
    years; missing after them (ATOP after 2018 is unknown, not "no alliance"). Directed panels carry ``a``'s
    obligations towards ``b``; non-directed ones count a pledge made by either side.
    Needs ``alliances_atop_cow``. Cite: Leeds et al. (2002), ATOP v5.1; Gibler (2009), COW alliances v4.1.

    Args:
        engine: where the join runs (:func:`join_alliance` on ``duckdb``, ``spark`` or an open engine).
    """
    from dyadic.indicators.commitments import PLEDGES

    bad = [d for d in datasets if d not in PLEDGES]
    if bad:
        raise RequestError(f"unknown alliance dataset(s) {bad}; use atop and/or cow")
    return add_relational(panel, store, "alliances", engine, datasets=tuple(dict.fromkeys(datasets)))


def _alliance_cols(ds: str) -> list[str]:
    return [f"{ds}_{p}" for p in commitments.PLEDGES[ds]]


def _alliance_cover(panel: Panel, store: Store, data: pd.DataFrame, ds: str, cols: list[str],
                    years: tuple[int, int]) -> Panel:
    lo, hi = years
    label = "ATOP 5.1" if ds == "atop" else "COW Formal Alliances 4.1"
    note = (f"{label}: 1 = pledge in force, 0 = none in {lo}-{hi}, missing outside those years; "
            + ("a's obligation towards b" if panel.directed else "either side's obligation"))
    return cover(panel, data, cols, f"{commitments.ALLIANCES} ({ds})", versions(store, [commitments.ALLIANCES]),
                 citations(store, [commitments.ALLIANCES]), note, f"alliances:{ds}")


EXERCISE_COLUMNS = ("mme_exercises", "mme_names")


@verb("exercises", needs=(commitments.EXERCISES,), provides=EXERCISE_COLUMNS, what="the MME data")
def add_exercises(panel: Panel, store: Store) -> Panel:
    """Add joint multinational military exercises (symmetric), MME 1980-2010.

    Columns: ``mme_exercises`` (number of exercises both took part in that year; 0 inside 1980-2010 when
    none), ``mme_names`` (their names, "; "-separated, unnamed ones by MME id; empty when none). Both are
    missing outside 1980-2010. Needs ``mme_military_exercises``. Cite: D'Orazio & Galambos (2021), MME.
    """
    from dyadic.indicators.commitments import EXERCISES, exercise_dyad_years, exercise_years

    cols = list(EXERCISE_COLUMNS)
    check_free(panel, cols, "add_exercises")
    lo, hi = exercise_years(store)
    dy = exercise_dyad_years(store, panel.start, panel.end).rename(
        columns={"exercises": "mme_exercises", "names": "mme_names"})
    data = join(panel, dy, cols, within=(lo, hi), fill={"mme_exercises": 0, "mme_names": ""})
    note = f"count 0 / names empty = no joint exercise in {lo}-{hi}; missing outside those years"
    return cover(panel, data, cols, EXERCISES, versions(store, [EXERCISES]), citations(store, [EXERCISES]),
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


def _finish_external(panel: Panel, store: Store, step: str, data: pd.DataFrame, cols: list[str],
                     sources: list[str], note: str) -> Panel:
    if panel.directed:
        # Ratios and asymmetries of a to b change meaning with the order; a directed panel keeps them only
        # where a < b (the _a/_b columns carry the same information for every row).
        for c in cols:
            if c.endswith(("_ratio", "_asym")):
                data[c] = data[c].where(data["a"].astype(str) < data["b"].astype(str))
    present = [s for s in sources if store.has_source(s)]
    return cover(panel, data, cols, " + ".join(present), versions(store, present), citations(store, present),
                 note, step)


@verb("trade", needs=RELATIONAL["trade"], provides=trade.DYAD_COLUMNS[3:])
def add_trade(panel: Panel, store: Store, engine: str | eng.Engine = "duckdb") -> Panel:
    """Add bilateral trade and dependence (symmetric): the indicators of
    :func:`dyadic.indicators.trade.trade_dyad_years` (its expression, :func:`trade.trade_expr`), joined by
    :func:`join_trade` on ``engine``.

    Columns: :data:`trade.DYAD_COLUMNS` (``_a``/``_b`` suffixes name the side; a directed panel swaps them so
    ``_a`` is always the panel's ``a``; ``dep_asym`` is kept only on rows with ``a < b``). Needs ``cow_trade``
    and ``wb_gdp``. Cite: Barbieri & Keshk, COW Trade 4.0; World Bank WDI GDP.
    """
    return add_relational(panel, store, "trade", engine)


@verb("power", needs=RELATIONAL["power"], provides=power.DYAD_COLUMNS[3:])
def add_power(panel: Panel, store: Store, engine: str | eng.Engine = "duckdb") -> Panel:
    """Add capabilities: CINC (COW NMC), GDP and military spending of each side and their ratios.

    Columns: as :func:`dyadic.indicators.power.power_dyad_years` returns them (``cinc_a, cinc_b, cinc_ratio,
    gdp_*, milex_*``), each side looked up in :func:`power.state_years_expr` by :func:`join_power` on
    ``engine`` (no forming of all pairs of states). A dyad-year has values only when both sides have a
    state-year row. In a directed panel ``_a``/``_b`` follow the panel's order and ``*_ratio`` (a to b in the
    non-directed frame) is kept only on rows with ``a < b``. Needs ``cow_nmc``, ``sipri_milex`` and
    ``wb_gdp``. Cite: Singer, Bremer & Stuckey (1972), NMC 7.0; SIPRI; World Bank.
    """
    return add_relational(panel, store, "power", engine)


MAJOR_COLUMNS = ("major_a", "major_b")


@verb("major_powers", needs=("country_codes",), provides=MAJOR_COLUMNS)
def add_major_powers(panel: Panel, store: Store, carry_forward: bool = True) -> Panel:
    """Add ``major_a``, ``major_b``: 1 when the side is a COW major power that year, else 0.

    The list ends in 2016 (COW State System Membership v2016, ingested by ``country_codes``): with
    ``carry_forward`` a later year takes each state's status at the list's last year (the five major powers of
    2016 did not stop being so), else it is missing. The rule of politically relevant dyads (Lemke & Reed
    2001: contiguous, or with a major power) reads these columns. Cite: Correlates of War Project (2017),
    State System Membership List, v2016.
    """
    cols = list(MAJOR_COLUMNS)
    check_free(panel, cols, "add_major_powers")
    mp = power.major_powers(store)
    lo, hi = int(mp.year.min()), int(mp.year.max())
    listed = pd.MultiIndex.from_arrays([mp.code.astype(str), mp.year.astype(int)])
    year = panel.data["year"].to_numpy().astype(int)
    asof = np.minimum(year, hi) if carry_forward else year
    known = (year >= lo) & ((year <= hi) | carry_forward)
    data = panel.data.copy(deep=False)  # two new columns; the panel's own frame is not written
    for side in ("a", "b"):
        hit = pd.MultiIndex.from_arrays([data[side].astype(str).to_numpy(), asof]).isin(listed)
        data[f"major_{side}"] = np.where(known, hit.astype("float64"), np.nan)
    carried = f"; after {hi} the status of {hi} carried forward" if carry_forward else f"; missing after {hi}"
    return cover(panel, data, cols, "country_codes", versions(store, ["country_codes"]),
                 citations(store, ["country_codes"]),
                 f"COW major power that year ({lo}-{hi}){carried}", "major_powers")


# the verbs of the other indicator modules register themselves on import
from dyadic.indicators import conflict as _conflict  # noqa: E402,F401  (adds contiguity, mids, rivalries)
from dyadic.indicators import arms as _arms, politics as _politics  # noqa: E402,F401  (democracy, igos, arms)
from dyadic.indicators import diplomacy as _diplomacy, icews as _icews  # noqa: E402,F401  (vetoes, visits, icews)
from dyadic.indicators import obligations as _obligations  # noqa: E402,F401  (adds obligations: ATOP levels + curated)
from dyadic.indicators import ideal as _ideal  # noqa: E402,F401  (adds ideal: published BSV ideal points)
