"""The relational steps of the dyad-year panel as one Ibis expression, run on DuckDB or Spark.

:func:`build_panel` forms the COW dyad-years and joins trade, power and alliances in a single query on the
chosen engine (see :mod:`dyadic.engine`), then records coverage exactly as the step-by-step functions of
:mod:`dyadic.indicators.panel` do. Its rows equal theirs (tests/test_engine_spark.py checks it): the same
rules, written as joins instead of NumPy lookups. UNGA agreement and exercises are then added to the result
with those functions (matrix products and string lists stay in NumPy/pandas).

>>> p = build_panel(store, 1946, 2014, ["trade", "power", "alliances"], engine="spark")
>>> p = add_unga(p, store)
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Iterable, Sequence

import ibis
import numpy as np
import pandas as pd

from dyadic import engine as eng
from dyadic.errors import RequestError
from dyadic.indicators import commitments, power, trade
from dyadic.indicators.panel import (COW_LAST_DAY, EXTERNAL, Panel, _alliance_cols, _alliance_cover,
                                     _check_frame, _finish_external, _frame_panel, _pair_keys, _suffix_swaps)
from dyadic.store import Store

#: steps this module runs on an engine, and the sources each needs
RELATIONAL = {"trade": (trade.COW, trade.GDP), "power": power.POWER_SOURCES, "alliances": (commitments.ALLIANCES,)}
DATASETS = ("atop", "cow")


def build_panel(store: Store, start: int, end: int, steps: Sequence[str] = ("trade", "power", "alliances"),
                directed: bool = False, pairs: Iterable[str | tuple[str, str]] | None = None,
                engine: str | eng.Engine = "duckdb") -> Panel:
    """Dyad-years of the COW state system plus trade, power and/or alliances, computed on ``engine``.

    Equals ``create_dyadyears`` followed by ``add_trade``, ``add_power`` and ``add_alliances`` in the order
    of ``steps``: the same rows, columns, types and coverage record.

    Args:
        store: needs ``country_codes`` and the sources of each step (the error names what to ingest).
        start, end: first and last year (inclusive).
        steps: any of ``trade``, ``power``, ``alliances`` (both ATOP and COW).
        directed: both orders of each dyad.
        pairs: restrict to these pairs, as in ``create_dyadyears``.
        engine: ``duckdb``, ``spark``, or an open :class:`dyadic.engine.Engine` over ``store`` (left open).

    Returns:
        A :class:`dyadic.indicators.panel.Panel`, sorted by year, a, b.
    """
    if isinstance(engine, str):
        eng.check_engine(engine)
    _check_frame(store, start, end, "cow")
    steps = list(steps)
    unknown = [s for s in steps if s not in RELATIONAL]
    if unknown or len(set(steps)) < len(steps):
        raise RequestError(f"steps must be distinct names among {', '.join(RELATIONAL)}, not {steps}")
    store.require(*dict.fromkeys(n for s in steps for n in RELATIONAL[s]))
    names = ["state_spells", *(trade.TABLES if "trade" in steps else ()),
             *(power.TABLES if "power" in steps else ()), *(["alliances"] if "alliances" in steps else [])]
    with eng.engine_for(engine, store) if isinstance(engine, str) else nullcontext(engine) as e:
        data, cats, years = _run(store, e, list(dict.fromkeys(names)), start, end, steps, directed, pairs)
    data["year"] = data["year"].astype("int16")
    for side in ("a", "b"):
        data[side] = data[side].cat.set_categories(cats)
    for ds in years:
        for c in _alliance_cols(ds):
            data[c] = data[c].astype("Int8")
    data = data.sort_values(["year", "a", "b"], ignore_index=True)

    panel = _frame_panel(store, data, start, end, directed)
    for step in steps:
        if step == "alliances":
            for ds in DATASETS:
                panel = _alliance_cover(panel, store, data, ds, _alliance_cols(ds), years[ds])
        else:
            cols = (trade.DYAD_COLUMNS if step == "trade" else power.DYAD_COLUMNS)[3:]
            panel = _finish_external(panel, store, step, data, cols, *EXTERNAL[step])
    return panel


def _run(store: Store, e: eng.Engine, names: list[str], start: int, end: int, steps: list[str], directed: bool,
         pairs: Iterable[str | tuple[str, str]] | None) -> tuple[pd.DataFrame, list[str], dict]:
    """The joined dyad-years on ``e`` (``a``/``b`` categorical), the member codes, and each alliance
    dataset's years."""
    tables = e.tables(names)
    members = _members(tables["state_spells"], start, end)
    d = _dyads(members, directed, _pair_keys(store, pairs, directed) if pairs is not None else None)
    years = {}
    for step in steps:
        if step == "trade":
            d = _join_trade(d, store, tables, start, end, directed)
        elif step == "power":
            d = _join_power(d, tables, start, end)
        else:
            for ds in DATASETS:
                years[ds] = commitments.alliance_years(store, ds)
                d = _join_alliance(d, store, tables["alliances"], ds, start, end, directed, years[ds])

    data = e.to_pandas(d, dictionary=("a", "b"))
    cats = sorted(e.to_pandas(members.select("code").distinct())["code"])
    return data, cats, years


def _members(spells, start: int, end: int):
    """(year, code) of every COW member in the years: a spell covers a year it overlaps; spells alive on
    COW's last day run to ``max(end, 2016)``."""
    years = ibis.memtable(pd.DataFrame({"year": np.arange(start, end + 1, dtype="int32")}))
    last = ibis.ifelse(spells["end"] >= ibis.date(COW_LAST_DAY), ibis.literal(max(end, 2016), "int32"),
                       spells["end"].year().cast("int32"))
    s = spells.select("code", y0=spells["start"].year().cast("int32"), y1=last)
    m = s.join(years, (years.year >= s.y0) & (years.year <= s.y1))
    return m.select("year", "code").distinct()


def _dyads(members, directed: bool, keep: list[tuple[str, str]] | None):
    x = members.rename(a="code")
    y = members.view().rename(b="code", y_year="year")
    d = x.join(y, [x.year == y.y_year, (x.a != y.b) if directed else (x.a < y.b)]).select("year", "a", "b")
    if keep is not None:
        d = d.filter(ibis.or_(*[(d.a == pa) & (d.b == pb) for pa, pb in keep]) if keep else ibis.literal(False))
    return d


def _join_trade(d, store: Store, tables: dict, start: int, end: int, directed: bool):
    """Left-join the trade indicators (non-directed rows); a directed row with a > b reads them swapped."""
    cols = trade.DYAD_COLUMNS[3:]
    tr = trade.trade_expr(store, tables, trade.COW, start, end).rename(t_year="year", t_a="a", t_b="b")
    lo, hi = (ibis.least(d.a, d.b), ibis.greatest(d.a, d.b)) if directed else (d.a, d.b)
    j = d.left_join(tr, [d.year == tr.t_year, lo == tr.t_a, hi == tr.t_b])
    swap = _suffix_swaps(cols) if directed else {}
    vals = {c: ibis.ifelse(j.a > j.b, j[swap[c]], j[c]) if c in swap else j[c] for c in cols}
    return j.select(*d.columns, **vals)


def _join_power(d, tables: dict, start: int, end: int):
    """Each side's power state-year; values only where both sides have a row (as power_dyad_years pairs)."""
    sy = power.state_years_expr(tables, start, end)
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


def _join_alliance(d, store: Store, table, ds: str, start: int, end: int, directed: bool,
                   years: tuple[int, int]):
    """Pledge flags: the dataset's value, 0 in its years when the dyad has no pledge, missing outside them."""
    al = commitments.alliance_expr(store, ds, start, end, directed, table=table)
    al = al.rename(l_year="year", l_a="a", l_b="b", **{c: c.split("_", 1)[1] for c in _alliance_cols(ds)})
    j = d.left_join(al, [d.year == al.l_year, d.a == al.l_a, d.b == al.l_b])
    inside = j.year.between(*years)
    none = ibis.null().cast("int8")
    vals = {c: ibis.ifelse(inside, ibis.ifelse(j.l_year.isnull(), ibis.literal(0, "int8"), j[c]), none)
            for c in _alliance_cols(ds)}
    return j.select(*d.columns, **vals)
