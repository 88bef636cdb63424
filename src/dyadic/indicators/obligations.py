"""Alliance obligations by dyad-year from ATOP 5.1's member spells, carried past 2018 and extended by cited treaties.

ATOP 5.1 (Leeds et al. 2002; codebook 2022) codes status on 2018-12-31, so a dyad-year table built from it ends
in 2018 and every later year is unknown. This module keeps ATOP's values inside its years and, after them, says
on what each value stands (docs/indicators/obligations.md):

- ``ATOP 5.1``: inside ATOP's years. A dyad-year with no shared alliance is a reported 0.
- carried (``carry_forward``): an ATOP membership in force on 2018-12-31 runs on to the end year unless the
  curated table (``treaties_after_sources``) records its end. One that ended by 2018 is not carried.
- ``curated: <treaty>``: a cited treaty signed, joined or reaffirmed after 2018
  (``dyadic/data/treaties_after_sources.csv``). It adds to ATOP and may end an ATOP membership after 2018; it
  never changes ATOP's own years (its dates must fall after them).
- After ATOP's last year a dyad-year with no carried or curated instrument is unknown (missing), not 0: the
  curated table lists only what the project has cited, not every treaty since.

A dyad shares an instrument in a year when both are members of it that year (any overlap of their spells; a
spell counts in its entry and exit years, as ATOP's dyad-year files do). Pledges are ATOP's member-level codes:
directed rows carry ``a``'s pledges, non-directed rows a pledge either side makes. Bilateral is ATOP's phase-level
``bilat`` (never more than two members in the phase), so NATO is multilateral and the US-Japan treaty bilateral.
The depth score is Benson & Clinton's (2016) ``Depth.score`` (the deepest scored instrument the dyad shares).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, join as _join, versions as _versions)
from dyadic.sources.atop_levels import PLEDGES
from dyadic.store import Store

LEVELS = "alliances_atop_levels"
CURATED = "treaties_after_sources"
#: the first year of the shared all-dyad table (:func:`all_dyad_obligations`): the UN era every question reads
WIDE_START = 1946
#: the three bases a value can stand on; one wording each, used in every row and coverage note
BASIS_ATOP = "ATOP 5.1"
CARRY_LABEL = "in force at ATOP's last year ({year}), no termination recorded"
CURATED_LABEL = "curated: {treaty}"
COLUMNS = [*(f"oblig_{p}" for p in PLEDGES), "oblig_bilateral", "oblig_multilateral", "oblig_depth",
           "oblig_atopids", "oblig_as_of", "oblig_basis", "oblig_source"]


NEEDS_WHAT = "the ATOP member spells and the curated treaty table"


#: the memo key of the all-dyad obligations table (a shared product)
DYAD_YEARS_KEY = "obligations.dyad_years"


def _require(store: Store, verb: str) -> None:
    store.require(LEVELS, CURATED, by=verb, what=NEEDS_WHAT)


def atop_years(store: Store) -> tuple[int, int]:
    """First and last year of the ATOP member spells (ATOP 5.1: 1815-2018), read from the data."""
    _require(store, "atop_years")
    lo, hi = store.con.execute(
        "SELECT min(entry_year), greatest(max(entry_year), max(exit_year)) FROM atop_members").fetchone()
    return int(lo), int(hi)


def carry_label(store: Store) -> str:
    return CARRY_LABEL.format(year=atop_years(store)[1])


def obligation_dyad_years(store: Store, start: int, end: int, carry_forward: bool = True,
                          directed: bool = False) -> pd.DataFrame:
    """Dyad-years in which the two states share at least one alliance instrument, and what it obliges.

    Args:
        start, end: years (inclusive); ``end`` is also how far in-force ATOP memberships are carried.
        carry_forward: carry ATOP memberships in force at its last year (and not ended in the curated table)
            through ``end``; without it ATOP spells stop at its last year and later years rest on curated
            rows alone.
        directed: one row per ordered pair with ``a``'s pledges; else ``a < b`` and either side's pledges.

    Returns:
        ``year, a, b, defense, offense, neutral, nonagg, consult`` (0/1; missing where no instrument the dyad
        shares codes that pledge type, which only curated rows can leave open), ``bilateral`` (1 = at least
        one shared instrument is bilateral), ``multilateral`` (1 = at least one is multilateral), ``depth``
        (largest Benson & Clinton depth score, missing when none is scored), ``atopids`` (";"-separated ATOP
        ids), ``treaties`` (";"-separated curated treaty ids), ``as_of`` (the oldest year any value in the row
        stands on), ``basis`` (the labels of that evidence, "; "-separated), ``source`` (``atop``,
        ``curated`` or ``atop;curated``).
    """
    _require(store, "obligation_dyad_years")
    _, last = atop_years(store)
    top = end if carry_forward else min(end, last)
    flags = ", ".join(PLEDGES)
    key_a, key_b = ("s1.code", "s2.code") if directed else ("least(s1.code, s2.code)", "greatest(s1.code, s2.code)")
    carried = CARRY_LABEL.format(year=last)
    df = store.con.execute(
        f"""
        WITH exits AS (
            SELECT atopid, party AS code, min(year(date)) AS y FROM treaties_curated WHERE event = 'exit'
            GROUP BY ALL),
        atop AS (  -- ATOP spells; an ongoing one runs to $top unless a curated exit ends it
            SELECT m.code, m.atopid::VARCHAR AS inst, m.atopid, m.entry_year AS y0,
                   CASE WHEN m.exit_year IS NOT NULL THEN m.exit_year
                        ELSE least(coalesce(e.y, $top), $top) END AS y1,
                   'atop' AS origin, NULL::INTEGER AS since, NULL::VARCHAR AS treaty_id, NULL::VARCHAR AS treaty,
                   {flags}, m.bilateral
            FROM atop_members m LEFT JOIN exits e ON e.atopid = m.atopid AND e.code = m.code
            WHERE m.code IS NOT NULL),
        curated AS (  -- sign / accede / reaffirm rows: from their date to $end unless a later exit ends them
            SELECT t.party AS code, coalesce(t.atopid::VARCHAR, t.treaty_id) AS inst, t.atopid,
                   year(t.date) AS y0, least(coalesce(min(e.y), $end), $end) AS y1, 'curated' AS origin,
                   year(t.date) AS since, t.treaty_id, t.treaty, {", ".join(f"t.{p}" for p in PLEDGES)},
                   t.bilateral
            FROM treaties_curated t
            LEFT JOIN exits e ON e.atopid = t.atopid AND e.code = t.party AND e.y >= year(t.date)
            WHERE t.event <> 'exit' GROUP BY ALL),
        spells AS (SELECT * FROM atop UNION ALL SELECT * FROM curated),
        pairs AS (
            SELECT y AS year, {key_a} AS a, {key_b} AS b, s1.inst, s1.atopid,
                   {", ".join(f"s1.{p}" for p in PLEDGES)}, s1.bilateral, d.depth,
                   [{_each("CASE WHEN {s}.origin = 'curated' THEN {s}.since WHEN y <= $last THEN y ELSE $last END")}]
                       AS since,
                   [{_each("CASE WHEN {s}.origin = 'curated' THEN 'curated: ' || {s}.treaty "
                           "WHEN y <= $last THEN $atop ELSE $carried END")}] AS labels,
                   [s1.origin, s2.origin] AS origins,
                   list_filter([s1.treaty_id, s2.treaty_id], t -> t IS NOT NULL) AS treaties
            FROM spells s1 JOIN spells s2 ON s1.inst = s2.inst AND s1.code <> s2.code
                 AND s1.y0 <= s2.y1 AND s2.y0 <= s1.y1
            LEFT JOIN atop_alliances d ON d.atopid = s1.atopid,
            range(greatest(s1.y0, s2.y0, $start), least(s1.y1, s2.y1, $end) + 1) AS r(y)),
        per_inst AS (  -- an instrument stands on its newest evidence (a 2023 accession dates NATO's roll)
            SELECT year, a, b, inst, any_value(atopid) AS atopid,
                   {", ".join(f"bool_or({p}) AS {p}" for p in PLEDGES)}, bool_or(bilateral) AS bilateral,
                   max(depth) AS depth, max(list_max(since)) AS since, flatten(list(labels)) AS labels,
                   flatten(list(origins)) AS origins, flatten(list(treaties)) AS treaties
            FROM pairs GROUP BY year, a, b, inst)
        SELECT year::SMALLINT AS year, a, b,
               {", ".join(f"bool_or({p})::TINYINT AS {p}" for p in PLEDGES)},
               bool_or(bilateral)::TINYINT AS bilateral, bool_or(NOT bilateral)::TINYINT AS multilateral,
               max(depth) AS depth,
               coalesce(array_to_string(list_sort(list_distinct(list(atopid::VARCHAR))), ';'), '') AS atopids,
               coalesce(array_to_string(list_sort(list_distinct(flatten(list(treaties)))), ';'), '') AS treaties,
               min(since)::SMALLINT AS as_of,
               flatten(list(labels)) AS labels, list_distinct(flatten(list(origins))) AS origins
        FROM per_inst GROUP BY year, a, b ORDER BY year, a, b
        """,
        {"top": top, "end": end, "start": start, "last": last, "atop": BASIS_ATOP, "carried": carried},
    ).df()
    df["basis"] = [_basis(v, carried) for v in df.pop("labels")]
    df["source"] = [";".join(o for o in ("atop", "curated") if o in set(v)) for v in df.pop("origins")]
    for c in [*PLEDGES, "bilateral", "multilateral"]:
        df[c] = pd.array(df[c].to_numpy(dtype="float64", na_value=np.nan), dtype="Float64").astype("Int8")
    df["as_of"] = df["as_of"].astype("Int16")
    return df


def _each(expr: str) -> str:
    """``expr`` written once per side of the pair (``{s}`` = s1, s2)."""
    return ", ".join(expr.format(s=s) for s in ("s1", "s2"))


def _basis(labels, carried: str) -> str:
    """The row's evidence labels, distinct, ATOP first, then carried, then curated treaties by name."""
    rank = {BASIS_ATOP: 0, carried: 1}
    return "; ".join(sorted(set(labels), key=lambda s: (rank.get(s, 2), s)))


def all_dyad_obligations(store: Store, start: int = WIDE_START, end: int | None = None, carry_forward: bool = True,
                         directed: bool = False) -> pd.DataFrame:
    """:func:`obligation_dyad_years` of every dyad, computed once per store for a wide span that covers
    ``start``-``end`` (from 1946 or earlier, to this year or later) and remembered: a year's values do not
    depend on the span (it only truncates), so the drivers, the futures state and the triangle, which ask for
    different years, share one table. Callers slice the years they need and must not modify it."""
    lo, hi = min(start, WIDE_START), max(end if end is not None else 0, date.today().year)
    key = (DYAD_YEARS_KEY, lo, hi, carry_forward, directed)
    return store.cached(key, lambda: obligation_dyad_years(store, lo, hi, carry_forward=carry_forward,
                                                          directed=directed))


@verb("obligations", needs=(LEVELS, CURATED), provides=COLUMNS, what=NEEDS_WHAT)
def add_obligations(panel: Panel, store: Store, carry_forward: bool = True) -> Panel:
    """Add alliance obligations from ATOP 5.1 member spells, carried past 2018 and extended by cited treaties.

    Columns: ``oblig_defense, oblig_offense, oblig_neutral, oblig_nonagg, oblig_consult`` (0/1),
    ``oblig_bilateral`` / ``oblig_multilateral`` (1 = a shared instrument is bilateral / multilateral; NATO,
    the CSTO, the Helsinki Final Act and the Treaty of Amity and Cooperation are multilateral),
    ``oblig_depth`` (Benson & Clinton depth, deepest scored instrument), ``oblig_atopids``, ``oblig_as_of``
    (the oldest year the row's values stand on), ``oblig_basis`` ("ATOP 5.1", "in force at ATOP's last year
    (2018), no termination recorded", "curated: <treaty>") and ``oblig_source`` (atop / curated).
    Inside ATOP's years no shared instrument is 0; after them a dyad-year is known only through a carried or
    curated instrument, else missing. Directed panels carry ``a``'s pledges. Needs ``alliances_atop_levels``
    and ``treaties_after_sources``. Cite: Leeds et al. (2002), ATOP 5.1; Benson & Clinton (2016); each curated
    row's own citation. See docs/indicators/obligations.md.
    """
    _check_free(panel, COLUMNS, "add_obligations")
    lo, hi = atop_years(store)
    dy = all_dyad_obligations(store, panel.start, panel.end, carry_forward, panel.directed)
    dy = dy[dy.year.between(panel.start, panel.end)].drop(columns="treaties")
    dy = dy.rename(columns={c: f"oblig_{c}" for c in dy.columns if c not in ("year", "a", "b")})
    dy["_hit"] = np.int8(1)
    fill = {**{f"oblig_{p}": 0 for p in PLEDGES}, "oblig_bilateral": 0, "oblig_multilateral": 0,
            "oblig_atopids": "", "oblig_basis": BASIS_ATOP, "oblig_source": "atop"}
    data = _join(panel, dy, [*COLUMNS, "_hit"], symmetric=not panel.directed,
                 within=(lo, max(hi, panel.end)), fill=fill)
    year = data["year"].to_numpy()
    hit = data.pop("_hit").notna().to_numpy()
    inside = (year >= lo) & (year <= hi)
    # after ATOP's last year only carried or curated instruments are known; the rest is unknown, not "none"
    for c in COLUMNS:
        data[c] = data[c].where(inside | hit, None)
    as_of = data["oblig_as_of"].to_numpy(dtype="float64", na_value=np.nan)
    as_of = np.where(inside & ~hit, year, as_of)  # a reported zero stands on ATOP's own year
    data["oblig_as_of"] = pd.array(as_of, dtype="Float64").astype("Int16")
    n_after = int((hit & (year > hi)).sum())
    note = (f"ATOP 5.1 member spells: 1 = pledge in a shared instrument, 0 = none in {lo}-{hi}. After {hi}: "
            + (f"memberships {carry_label(store)} carried to {panel.end}, plus " if carry_forward else "")
            + f"cited curated treaties ({CURATED}); {n_after:,} dyad-years after {hi} have a value, the rest are "
              "missing (unknown, not 'no alliance'). oblig_basis and oblig_as_of say what each row stands on; "
            + ("a's pledges towards b" if panel.directed else "a pledge made by either side"))
    sources = [LEVELS, CURATED]
    return _cover(panel, data, COLUMNS, " + ".join(sources), _versions(store, sources), _citations(store, sources),
                  note, "obligations" + (":carried" if carry_forward else ""))


# This module imports the panel's helpers, so it registers its verb itself; panel.py imports it at its end.
