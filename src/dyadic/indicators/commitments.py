"""Commitments between states by dyad-year: alliance pledges in force (ATOP, COW) and joint military exercises (MME).

Coverage is part of the answer. The alliance files list only dyad-years *with* an alliance, so inside a
dataset's years a missing row means "no pledge" (0); outside them (ATOP after 2018, COW after 2012) nothing
is known and the value is missing, never 0. Exercises likewise: a count of 0 inside MME's 1980-2010, missing
outside. The years are read from the ingested data, not assumed.

Direction: ATOP codes the obligations of ``a`` towards ``b``. A non-directed dyad has a pledge type when
either side carries it (``max`` over both directions), the usual reading for dyadic analysis.
See docs/indicators/commitments.md.
"""

from __future__ import annotations

import ibis
import pandas as pd

from dyadic.dyad import pair_rows
from dyadic.errors import RequestError
from dyadic.store import Store

ALLIANCES = "alliances_atop_cow"
EXERCISES = "mme_military_exercises"
#: dataset -> the pledge types it codes (columns of the ``alliances`` table)
PLEDGES = {
    "atop": ("defense", "offense", "neutral", "nonagg", "consult"),
    "cow": ("defense", "neutral", "nonagg", "entente"),
}


def check_dataset(dataset: str) -> None:
    if dataset not in PLEDGES:
        raise RequestError(f"alliance dataset must be one of {', '.join(PLEDGES)}, not '{dataset}'")


def alliance_years(store: Store, dataset: str = "atop") -> tuple[int, int]:
    """First and last year the ingested alliance dataset covers (ATOP 5.1: 1815-2018; COW 4.1: 1816-2012)."""
    check_dataset(dataset)
    store.require(ALLIANCES)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM alliances WHERE dataset = ?", [dataset]).fetchone()
    return int(lo), int(hi)


def exercise_years(store: Store) -> tuple[int, int]:
    """First and last year of the ingested exercise data (MME v7: 1980-2010)."""
    store.require(EXERCISES)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM exercises").fetchone()
    return int(lo), int(hi)


def alliance_expr(store: Store, dataset: str = "atop", start: int | None = None, end: int | None = None,
                  directed: bool = True, table=None):
    """Dyad-years with at least one pledge, as an Ibis expression (year, a, b, one 0/1 column per pledge type).

    Non-directed: ``a < b`` and a pledge counts when either side carries it.

    Args:
        table: the ``alliances`` table on the engine to run on (:meth:`dyadic.engine.Engine.tables`); default
            the store's own.
    """
    check_dataset(dataset)
    store.require(ALLIANCES)
    t = store.ibis().table("alliances") if table is None else table
    t = t.filter(t.dataset == dataset)
    if start is not None:
        t = t.filter(t.year >= start)
    if end is not None:
        t = t.filter(t.year <= end)
    cols = PLEDGES[dataset]
    flags = {p: t[p].cast("int8") for p in cols}
    if directed:
        return t.select("year", "a", "b", **flags)
    t = t.select(year=t.year, a=ibis.least(t.a, t.b), b=ibis.greatest(t.a, t.b), **flags)
    return t.group_by(["year", "a", "b"]).aggregate(**{p: t[p].max() for p in cols})


def alliance_dyad_years(store: Store, dataset: str = "atop", start: int | None = None, end: int | None = None,
                        directed: bool = True) -> pd.DataFrame:
    """Dyad-years with an alliance in force and the pledge types it carries.

    Args:
        store: needs ``alliances_atop_cow``.
        dataset: ``atop`` (defense, offense, neutral, nonagg, consult) or ``cow`` (defense, neutral, nonagg,
            entente).
        start, end: year range.
        directed: keep ``a``'s obligations towards ``b`` apart; else ``a < b`` and either direction counts.

    Returns:
        ``year, a, b`` and one 0/1 column per pledge type; only dyad-years with some pledge (see
        :func:`pledges_in_force` for a complete yearly series with coverage).
    """
    return alliance_expr(store, dataset, start, end, directed).to_pyarrow().to_pandas()


def pledges_in_force(store: Store, a: str, b: str, start: int, end: int, dataset: str = "atop") -> pd.DataFrame:
    """One pair's pledges by year, either direction: 1 in force, 0 none, missing outside the dataset's years.

    Returns:
        ``year`` for every year from ``start`` to ``end``, the pledge columns (nullable 0/1), ``any_pledge``,
        and ``covered`` (whether the dataset covers the year).
    """
    if start > end:
        raise RequestError(f"start year {start} is after end year {end}")
    lo, hi = alliance_years(store, dataset)
    got = alliance_dyad_years(store, dataset, start, end, directed=False)
    got = pair_rows(got, a, b).set_index("year")
    out = pd.DataFrame({"year": range(start, end + 1)})
    out["covered"] = out.year.between(lo, hi)
    cols = PLEDGES[dataset]
    for p in cols:
        v = out.year.map(got[p]).fillna(0).astype("Int8")
        out[p] = v.where(out.covered, pd.NA)
    out["any_pledge"] = out[list(cols)].max(axis=1).astype("Int8").where(out.covered, pd.NA)
    return out


def exercise_expr(store: Store, start: int | None = None, end: int | None = None):
    """Non-directed dyad-years with joint exercises (year, a, b, exercises, names) as an Ibis expression."""
    store.require(EXERCISES)
    e = store.ibis().table("exercises")
    if start is not None:
        e = e.filter(e.year >= start)
    if end is not None:
        e = e.filter(e.year <= end)
    left = e.select("mmeid", "year", a=e.code, name=ibis.coalesce(e.name, e.mmeid))
    right = e.select(mmeid_r=e.mmeid, year_r=e.year, b=e.code)
    j = left.join(right, [left.mmeid == right.mmeid_r, left.year == right.year_r, left.a < right.b])
    g = j.group_by(["year", "a", "b"]).aggregate(
        exercises=j.mmeid.nunique(), names=j.name.collect(distinct=True, order_by=j.name))
    return g.select("year", "a", "b", exercises=g.exercises.cast("int32"), names=g.names.join("; "))


def exercise_dyad_years(store: Store, start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """Joint multinational military exercises by non-directed dyad-year (MME, 1980-2010).

    An exercise spanning several years counts in each. Unnamed exercises are listed by their MME id.

    Returns:
        ``year, a, b (a < b), exercises, names`` (names joined with "; "); only dyad-years with an exercise.
    """
    return exercise_expr(store, start, end).to_pyarrow().to_pandas()
