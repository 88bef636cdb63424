"""Conflict and proximity by dyad-year: contiguity and distance, militarized disputes, strategic rivalries.

Panel verbs in the style of :mod:`dyadic.indicators.panel` (``add_contiguity``, ``add_mids``,
``add_rivalries``) and the dyad-year tables behind them. The coverage rule is the panel's: inside a source's
years a dyad-year without a record is a reported zero (not contiguous, no dispute, no rivalry); outside them
the value is missing (MIDs after 2014 are not measured, which is not "no dispute"). The years are read from
the ingested data, not assumed. See docs/indicators/conflict.md.

Sources: COW Direct Contiguity 3.2 and cshapes 2.0 distances (``cow_contiguity_distance``), COW MID 5.0 and
GML MID 2.2.1 (``mids_cow_gml``), Thompson & Dreyer (2012) strategic rivalries (``strategic_rivalries_td``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from dyadic.errors import RequestError
from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, join as _join, versions as _versions)
from dyadic.store import Store

CONTIGUITY = "cow_contiguity_distance"
MIDS = "mids_cow_gml"
RIVALRIES = "strategic_rivalries_td"
MID_DATASETS = {"gml": "GML MID 2.2.1", "cow": "COW MID 5.0"}
#: the label a rivalry carried past Thompson-Dreyer's last year goes by (one wording, used everywhere)
CARRY_LABEL = "ongoing at Thompson–Dreyer's last year ({year}), no end recorded"


def _years(store: Store, query: str, params: list | None = None) -> tuple[int, int]:
    lo, hi = store.con.execute(query, params or []).fetchone()
    return int(lo), int(hi)


def _nullable(df: pd.DataFrame, cols: list[str], dtype: str = "Int8") -> pd.DataFrame:
    """Integer columns as nullable integers (DuckDB hands integer columns with NULLs over as floats)."""
    for c in cols:
        df[c] = pd.array(df[c].to_numpy(dtype="float64", na_value=np.nan), dtype="Float64").astype(dtype)
    return df


# ------------------------------------------------------------------------------------- contiguity, distance


def contiguity_years(store: Store) -> tuple[int, int]:
    """First and last year the contiguity spells cover (COW Direct Contiguity 3.2: 1816-2016)."""
    store.require(CONTIGUITY)
    return _years(store, "SELECT min(year(stdate)), max(year(enddate)) FROM contiguity")


def distance_years(store: Store) -> tuple[int, int]:
    """First and last year of the minimum distances (cshapes 2.0: 1886-2019)."""
    store.require(CONTIGUITY)
    return _years(store, "SELECT min(year), max(year) FROM min_distance")


def contiguity_dyad_years(store: Store, start: int, end: int) -> pd.DataFrame:
    """Non-directed dyad-years covered by a COW contiguity spell, with the closest type that year.

    A spell counts in every year it overlaps (COW dates are year-month); when the type changes within a year
    the closest (lowest positive) type is kept. Type 0 means only a spell of no contiguity covers the year.

    Returns:
        ``year, a, b (a < b), contig_type`` (0-5).
    """
    store.require(CONTIGUITY)
    return store.con.execute(
        """SELECT y::SMALLINT AS year, least(a, b) AS a, greatest(a, b) AS b,
                  coalesce(min(conttype) FILTER (WHERE conttype > 0), 0)::TINYINT AS contig_type
           FROM contiguity, range(year(stdate), year(enddate) + 1) AS r(y)
           WHERE y BETWEEN ? AND ? GROUP BY ALL""", [start, end]).df()


def distance_dyad_years(store: Store, start: int, end: int) -> pd.DataFrame:
    """Non-directed minimum distance in km by year (cshapes 2.0; 0 = touching).

    Where two COW numbers share one state code in a year (Germany 255 and GFR 260 in 1990) the smaller
    distance is kept.

    Returns:
        ``year, a, b (a < b), mindist_km``.
    """
    store.require(CONTIGUITY)
    return store.con.execute(
        """SELECT year, least(a, b) AS a, greatest(a, b) AS b, min(km) AS mindist_km FROM min_distance
           WHERE year BETWEEN ? AND ? GROUP BY ALL""", [start, end]).df()


CONTIGUITY_COLUMNS = ("contig_type", "contig_land", "mindist_km")


@verb("contiguity", needs=(CONTIGUITY,), provides=CONTIGUITY_COLUMNS,
      what="COW contiguity and cshapes distance data")
def add_contiguity(panel: Panel, store: Store) -> Panel:
    """Add direct contiguity (COW 3.2, 1816-2016) and minimum distance (cshapes 2.0, 1886-2019), symmetric.

    Columns: ``contig_type`` (1 land or river border; 2-5 separated by at most 12, 24, 150, 400 miles of
    water; 0 not contiguous), ``contig_land`` (1 when ``contig_type`` is 1, else 0), both missing outside
    the contiguity years; ``mindist_km`` (minimum border-to-border distance, 0 = touching), missing outside
    the distance years and for pairs cshapes does not list. Needs ``cow_contiguity_distance``.
    Cite: Stinnett et al. (2002), COW Direct Contiguity; Schvitz et al. (2022), CShapes 2.0.
    """
    cols = list(CONTIGUITY_COLUMNS)
    _check_free(panel, cols, "add_contiguity")
    lo, hi = contiguity_years(store)
    dy = contiguity_dyad_years(store, panel.start, panel.end)
    dy["contig_land"] = (dy["contig_type"] == 1).astype("int8")
    data = _join(panel, dy, ["contig_type", "contig_land"], within=(lo, hi),
                 fill={"contig_type": 0, "contig_land": 0})
    dlo, dhi = distance_years(store)
    dist = distance_dyad_years(store, panel.start, panel.end)
    # no fill: a pair cshapes does not list in a year has an unknown distance, not zero
    data = _join(replace(panel, data=data), dist, ["mindist_km"], within=(dlo, dhi))
    versions, cit = _versions(store, [CONTIGUITY]), _citations(store, [CONTIGUITY])
    out = _cover(panel, data, ["contig_type", "contig_land"], CONTIGUITY, versions, cit,
                 f"COW Direct Contiguity 3.2: 1 land, 2-5 water <=12/24/150/400 miles, 0 = not contiguous in "
                 f"{lo}-{hi} (closest type of any spell overlapping the year); missing outside those years",
                 "contiguity")
    return _cover(out, data, ["mindist_km"], CONTIGUITY, versions, cit,
                  f"cshapes 2.0 minimum distance in km, {dlo}-{dhi}; missing outside those years and for pairs "
                  "cshapes does not list", "contiguity:distance")


# ------------------------------------------------------------------------------------------------- MIDs


MID_COLUMNS = ["mid_ongoing", "mid_onset", "mid_disputes", "mid_hostlev", "mid_fatality", "mid_fatal",
               "mid_sidea_a", "mid_sidea_b", "mid_revisionist_a", "mid_revisionist_b", "mid_dispnums"]


def _check_mid_dataset(dataset: str) -> None:
    if dataset not in MID_DATASETS:
        raise RequestError(f"MID dataset must be one of {', '.join(MID_DATASETS)}, not '{dataset}'")


def mid_years(store: Store, dataset: str = "gml") -> tuple[int, int]:
    """First and last year of the ingested MID dataset (COW MID 5.0: 1816-2014; GML 2.2.1: 1816-2010)."""
    _check_mid_dataset(dataset)
    store.require(MIDS)
    return _years(store, "SELECT min(year), max(year) FROM mid_dyad_years WHERE dataset = ?", [dataset])


def mid_dyad_years(store: Store, dataset: str = "gml", start: int | None = None,
                   end: int | None = None) -> pd.DataFrame:
    """Directed dyad-years with at least one militarized dispute ongoing, both orders, over every dispute.

    Participant codes (hostility, fatality, side, revisionist) refer to the state's whole part in a dispute,
    not to the year. Unknown codes (-9 in the files) make a value missing unless a known code decides it.

    Returns:
        ``year, a, b`` and ``mid_ongoing`` (1), ``mid_onset`` (1 when a dispute began for the pair that year),
        ``mid_disputes`` (how many), ``mid_hostlev`` (highest hostility level of either side, 1-5),
        ``mid_fatality`` (highest fatality level of either side, 0-6; missing when any is unknown),
        ``mid_fatal`` (1 when either side had deaths), ``mid_sidea_a``/``_b`` (on side A, the side of the
        first militarized action), ``mid_revisionist_a``/``_b`` (sought to change the status quo; GML only),
        ``mid_dispnums`` (the dispute numbers, "; "-separated).
    """
    _check_mid_dataset(dataset)
    store.require(MIDS)
    lo, hi = mid_years(store, dataset)
    unknown_fat = "bool_or(fatality_a IS NULL OR fatality_b IS NULL)"
    df = store.con.execute(
        f"""SELECT year, a, b, 1 AS mid_ongoing, max(onset::TINYINT) AS mid_onset,
                   count(DISTINCT dispnum) AS mid_disputes,
                   max(greatest(hostlev_a, hostlev_b)) AS mid_hostlev,
                   CASE WHEN {unknown_fat} THEN NULL ELSE max(greatest(fatality_a, fatality_b)) END AS mid_fatality,
                   CASE WHEN max(greatest(coalesce(fatality_a, 0), coalesce(fatality_b, 0))) > 0 THEN 1
                        WHEN {unknown_fat} THEN NULL ELSE 0 END AS mid_fatal,
                   max(sidea_a::TINYINT) AS mid_sidea_a, max(sidea_b::TINYINT) AS mid_sidea_b,
                   CASE WHEN bool_or(revstate_a) THEN 1 WHEN bool_or(revstate_a IS NULL) THEN NULL ELSE 0 END
                       AS mid_revisionist_a,
                   CASE WHEN bool_or(revstate_b) THEN 1 WHEN bool_or(revstate_b IS NULL) THEN NULL ELSE 0 END
                       AS mid_revisionist_b,
                   array_to_string(list_sort(list_distinct(list(dispnum))), '; ') AS mid_dispnums
            FROM mid_dyad_years WHERE dataset = ? AND year BETWEEN ? AND ?
            GROUP BY year, a, b ORDER BY year, a, b""",
        [dataset, lo if start is None else start, hi if end is None else end]).df()
    df["year"] = df["year"].astype("int16")
    _nullable(df, ["mid_disputes"], "Int16")
    return _nullable(df, [c for c in MID_COLUMNS if c not in ("mid_disputes", "mid_dispnums")])


@verb("mids", needs=(MIDS,), provides=MID_COLUMNS, what="the MID data")
def add_mids(panel: Panel, store: Store, dataset: str = "gml") -> Panel:
    """Add militarized interstate disputes: GML MID 2.2.1 (1816-2010, default) or COW MID 5.0 (1816-2014).

    Columns (see :func:`mid_dyad_years`): ``mid_ongoing, mid_onset, mid_disputes, mid_hostlev, mid_fatality,
    mid_fatal, mid_sidea_a, mid_sidea_b, mid_revisionist_a, mid_revisionist_b, mid_dispnums``. Inside the
    dataset's years a dyad-year without a dispute has 0 (``mid_dispnums`` empty); after them every value is
    missing: disputes after the last year are not measured. ``_a``/``_b`` follow the panel's ``a``, ``b``.
    ``mid_revisionist_*`` is missing throughout for COW (not coded in its packaging). Needs ``mids_cow_gml``.
    Cite: Gibler, Miller & Little (2016), GML MID; Palmer et al. (2022), MID5.

    Args:
        dataset: ``gml`` or ``cow``.
    """
    _check_mid_dataset(dataset)
    _check_free(panel, MID_COLUMNS, "add_mids")
    lo, hi = mid_years(store, dataset)
    dy = mid_dyad_years(store, dataset, panel.start, panel.end)
    coded = [c for c in MID_COLUMNS if dataset == "gml" or not c.startswith("mid_revisionist")]
    fill: dict[str, object] = {c: 0 for c in coded if c != "mid_dispnums"}
    fill["mid_dispnums"] = ""
    # the table holds both orders of every pair, so the panel's (a, b) is looked up as it stands
    data = _join(panel, dy, MID_COLUMNS, symmetric=False, within=(lo, hi), fill=fill)
    note = (f"{MID_DATASETS[dataset]}: 0 = no dispute in {lo}-{hi}; missing after {hi} (not measured, not "
            "'no dispute'); participant codes cover the whole dispute; unknown (-9) fatality or revisionist "
            "codes leave the value missing unless a known code decides it"
            + ("" if dataset == "gml" else "; revisionist state not coded in COW MID as packaged"))
    return _cover(panel, data, MID_COLUMNS, f"{MIDS} ({dataset})", _versions(store, [MIDS]),
                  _citations(store, [MIDS]), note, f"mids:{dataset}")


# ------------------------------------------------------------------------------------------- rivalries


def rivalry_years(store: Store) -> tuple[int, int]:
    """First and last year of the Thompson-Dreyer rivalries (1494-2010)."""
    store.require(RIVALRIES)
    return _years(store, "SELECT min(styear), max(endyear) FROM rivalries")


def carry_label(store: Store) -> str:
    return CARRY_LABEL.format(year=rivalry_years(store)[1])


def td_ongoing_rivalries(store: Store) -> pd.DataFrame:
    """The rivalries still ongoing at Thompson-Dreyer's last year (2010): their end is not recorded.

    Consumers that carry them into later years should say so with ``label`` (see ``carry_forward`` in
    :func:`add_rivalries`).

    Returns:
        ``rivalry, name, a, b (a < b), styear, endyear, types`` ("; "-separated) and ``label``.
    """
    store.require(RIVALRIES, by="td_ongoing_rivalries", what="the Thompson-Dreyer rivalries")
    df = store.con.execute(
        """SELECT rivalry, name, least(a, b) AS a, greatest(a, b) AS b, styear, endyear,
                  array_to_string(list_sort(list_distinct([type1, type2, type3])), '; ') AS types
           FROM rivalries WHERE endyear = (SELECT max(endyear) FROM rivalries) ORDER BY rivalry""").df()
    df["label"] = carry_label(store)
    return df


def rivalry_dyad_years(store: Store, start: int, end: int, carry_to: int | None = None) -> pd.DataFrame:
    """Non-directed dyad-years with a strategic rivalry in force (``styear`` through ``endyear``).

    Args:
        carry_to: extend rivalries ongoing at the last year through this year; ``td_as_of`` then gives the
            year each row stands on (the last year for carried rows).

    Returns:
        ``year, a, b (a < b), td_rivalry (1), td_rival_types, td_rivalry_id`` (Thompson-Dreyer numbers,
        "; "-separated when two meet in one code), ``td_as_of``.
    """
    store.require(RIVALRIES)
    _, hi = rivalry_years(store)
    top = max(hi, carry_to) if carry_to is not None else hi
    df = store.con.execute(
        """SELECT y AS year, least(a, b) AS a, greatest(a, b) AS b, 1 AS td_rivalry,
                  array_to_string(list_sort(list_distinct(flatten(list([type1, type2, type3])))), '; ')
                      AS td_rival_types,
                  array_to_string(list_sort(list_distinct(list(rivalry))), '; ') AS td_rivalry_id,
                  least(y, ?) AS td_as_of
           FROM rivalries, range(styear, CASE WHEN endyear = ? THEN ? ELSE endyear END + 1) AS r(y)
           WHERE y BETWEEN ? AND ? GROUP BY ALL ORDER BY year, a, b""", [hi, hi, top, start, end]).df()
    df["year"] = df["year"].astype("int16")
    return _nullable(df, ["td_rivalry"]).pipe(_nullable, ["td_as_of"], "Int16")


RIVALRY_COLUMNS = ("td_rivalry", "td_rival_types", "td_rivalry_id")


@verb("rivalries", needs=(RIVALRIES,), provides=RIVALRY_COLUMNS, what="the Thompson-Dreyer rivalries")
def add_rivalries(panel: Panel, store: Store, carry_forward: bool = False) -> Panel:
    """Add Thompson-Dreyer strategic rivalries (1494-2010), symmetric.

    Columns: ``td_rivalry`` (1 rivalry in force, 0 none), ``td_rival_types`` (spatial, positional,
    ideological, interventionary; "; "-separated, empty when none), ``td_rivalry_id`` (Thompson-Dreyer
    number, empty when none). All missing after 2010: the data stop there.

    Args:
        carry_forward: fill the years after 2010 for the rivalries ongoing in 2010 (their end is not
            recorded), and add ``td_as_of``: the year each value stands on (the panel year up to 2010, 2010
            for carried values, missing where nothing is known). Other dyads stay missing after 2010: a
            rivalry begun later would not be in the data. The coverage note carries the label
            "ongoing at Thompson–Dreyer's last year (2010), no end recorded".

    Needs ``strategic_rivalries_td``. Cite: Thompson & Dreyer (2012), Handbook of International Rivalries.
    """
    values = list(RIVALRY_COLUMNS)
    cols = values + (["td_as_of"] if carry_forward else [])
    _check_free(panel, cols, "add_rivalries")
    lo, hi = rivalry_years(store)
    dy = rivalry_dyad_years(store, panel.start, panel.end, carry_to=panel.end if carry_forward else None)
    top = max(hi, panel.end) if carry_forward else hi
    fill = {"td_rivalry": 0, "td_rival_types": "", "td_rivalry_id": ""}
    data = _join(panel, dy, [*values, "td_as_of"], within=(lo, top), fill=fill)
    year = data["year"].to_numpy()
    carried = data["td_as_of"].notna().to_numpy() & (year > hi)
    # past the last year only carried rivalries are known; everything else is unknown, not "no rivalry"
    unknown = year > hi
    for c in values:
        data[c] = data[c].where(~unknown | carried, None)
    note = f"Thompson & Dreyer: 1 = rivalry in force, 0 = none in {lo}-{hi}; missing after {hi}"
    if carry_forward:
        inside = (year >= lo) & (year <= hi)
        data["td_as_of"] = pd.Series(pd.array(np.where(inside, year, hi), dtype="Int16"),
                                     index=data.index).where(inside | carried, None)
        note += (f", except rivalries carried forward as {carry_label(store)} ({int(carried.sum()):,} dyad-years "
                 "after the last year; td_as_of gives the year each value stands on)")
    else:
        data = data.drop(columns="td_as_of")
    return _cover(panel, data, cols, RIVALRIES, _versions(store, [RIVALRIES]), _citations(store, [RIVALRIES]),
                  note, "rivalries" + (":carried" if carry_forward else ""))


# This module imports the panel's helpers, so it registers its verbs itself; panel.py imports it at its end.
