"""Panel verbs for regime type (V-Dem, Polity5, UDS) and shared IGO membership (COW IGO 3.0).

>>> p = add_igos(add_democracy(create_dyadyears(store, 1990, 2025), store), store, igos=("SCO", "NATO"))

Rules (see docs/indicators/politics.md):

- Each side's value is looked up by state-year: a state-year the source does not list is missing, and any
  dyad measure built from two sides (absolute difference, joint democracy) is missing when either side is.
- ``joint_democracy``: both sides' V-Dem polyarchy >= :data:`POLYARCHY_DEMOCRACY` (0.5, the midpoint of the
  index that V-Dem's Regimes of the World uses as the electoral-democracy floor); ``joint_democracy_polity2``:
  both polity2 >= :data:`POLITY2_DEMOCRACY` (6, the Polity project's democracy threshold).
- IGOs: COW IGO 3.0 ends in 2014; later years are missing, never "no shared IGO".
"""

from __future__ import annotations

import difflib

import numpy as np
import pandas as pd

from dyadic.errors import RequestError
from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     codes_in as _codes, cover as _cover, join as _join,
                                     versions as _versions)
from dyadic.sources.politics import IGO_STATUS
from dyadic.store import Store

DEMOCRACY = "democracy_vdem_polity_uds"
IGO = "cow_igo"
MEASURES = ("v2x_polyarchy", "polity2", "euds", "aeuds")
POLYARCHY_DEMOCRACY = 0.5
POLITY2_DEMOCRACY = 6


def side_values(data: pd.DataFrame, frame: pd.DataFrame, cols: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each panel row's ``a`` and ``b`` values of state-year columns (``year, code`` + ``cols``), NaN where absent.

    A (year, state) table is indexed directly, so no pair of states is ever formed.
    """
    cats = data["a"].cat.categories
    ns = len(cats)
    year = data["year"].to_numpy().astype(np.int64)
    y0 = int(year.min()) if len(year) else 0
    size = ((int(year.max()) - y0 + 1) if len(year) else 0) * ns
    code = _codes(frame["code"], cats)
    fy = frame["year"].to_numpy().astype(np.int64) - y0
    mine = (code >= 0) & (fy >= 0) & (fy * ns + code < size)
    slot = fy[mine] * ns + code[mine]
    ka = (year - y0) * ns + data["a"].cat.codes.to_numpy()
    kb = (year - y0) * ns + data["b"].cat.codes.to_numpy()
    out = {}
    for c in cols:
        table = np.full(size, np.nan)
        table[slot] = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)[mine]
        out[c] = table[ka], table[kb]
    return out


def _joint(va: np.ndarray, vb: np.ndarray, floor: float) -> pd.arrays.IntegerArray:
    """1 when both sides reach ``floor``, 0 when not, missing when either side is missing."""
    known = ~np.isnan(va) & ~np.isnan(vb)
    return pd.arrays.IntegerArray(((va >= floor) & (vb >= floor)).astype(np.int8), ~known)


@verb("democracy", needs=(DEMOCRACY,), what="the regime data",
      provides=(*(f"{m}_{s}" for m in MEASURES for s in ("a", "b")), "polyarchy_absdiff", "polity2_absdiff",
                "joint_democracy", "joint_democracy_polity2"))
def add_democracy(panel: Panel, store: Store, threshold: float = POLYARCHY_DEMOCRACY) -> Panel:
    """Add each side's regime scores and their similarity (symmetric), from isard ``cw_democracy``.

    Columns: ``v2x_polyarchy_a/_b`` (V-Dem v16 electoral democracy, 0-1, to 2025), ``polity2_a/_b`` (Polity5,
    -10..10, to 2018), ``euds_a/_b`` and ``aeuds_a/_b`` (extended UDS latent mean, raw and adjusted so 0 is the
    average democracy cut-point), ``polyarchy_absdiff``, ``polity2_absdiff``, ``joint_democracy`` (both
    polyarchy >= ``threshold``) and ``joint_democracy_polity2`` (both polity2 >= 6). Missing where the source has
    no value for a side. Needs ``democracy_vdem_polity_uds``. Cite: Coppedge et al. (2026), V-Dem v16; Marshall
    (2020), Polity5; Marquez (2016), extended UDS.
    """
    if not 0 < threshold <= 1:
        raise RequestError(f"threshold {threshold} is not a polyarchy score in (0, 1]")
    sides = [f"{m}_{s}" for m in MEASURES for s in ("a", "b")]
    cols = [*sides, "polyarchy_absdiff", "polity2_absdiff", "joint_democracy", "joint_democracy_polity2"]
    _check_free(panel, cols, "add_democracy")
    frame = store.con.execute(f"SELECT year, code, {', '.join(MEASURES)} FROM democracy WHERE source = ? "
                              "AND year BETWEEN ? AND ?", [DEMOCRACY, panel.start, panel.end]).df()
    vals = side_values(panel.data, frame, list(MEASURES))
    data = panel.data.copy(deep=False)
    for m in MEASURES:
        data[f"{m}_a"], data[f"{m}_b"] = vals[m]
    data["polyarchy_absdiff"] = np.abs(vals["v2x_polyarchy"][0] - vals["v2x_polyarchy"][1])
    data["polity2_absdiff"] = np.abs(vals["polity2"][0] - vals["polity2"][1])
    data["joint_democracy"] = _joint(*vals["v2x_polyarchy"], threshold)
    data["joint_democracy_polity2"] = _joint(*vals["polity2"], POLITY2_DEMOCRACY)
    note = (f"state-year values as published; dyad measures missing when either side is; joint_democracy = both "
            f"v2x_polyarchy >= {threshold:g}; joint_democracy_polity2 = both polity2 >= {POLITY2_DEMOCRACY}; "
            "polity2 ends 2018 (Polity5)")
    return _cover(panel, data, cols, DEMOCRACY, _versions(store, [DEMOCRACY]), _citations(store, [DEMOCRACY]),
                  note, "democracy")


# ---------------------------------------------------------------------------------------------- IGOs


def igo_years(store: Store) -> tuple[int, int]:
    """First and last year of the ingested COW IGO data (v3.0: 1816-2014)."""
    store.require(IGO)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM igo_state_years").fetchone()
    return int(lo), int(hi)


def resolve_igos(store: Store, names: tuple[str, ...] | list[str]) -> list[str]:
    """COW IGO abbreviations (``SCO``, ``nato``) as stored (lower case); unknown ones name the nearest."""
    known = store.con.execute("SELECT igo FROM igo_list").df().igo.tolist()
    out = []
    for n in names:
        key = str(n).strip().lower()
        if key not in known:
            near = difflib.get_close_matches(key, known, n=5, cutoff=0.6)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise RequestError(f"'{n}' is not an IGO abbreviation of COW IGO 3.0{hint} (BRICS is not coded)")
        out.append(key)
    return out


@verb("igos", needs=(IGO,), provides=("igo_joint",), what="the COW IGO data")
def add_igos(panel: Panel, store: Store, igos: tuple[str, ...] | list[str] | None = None) -> Panel:
    """Add shared IGO membership (symmetric), COW IGO 3.0, 1816-2014.

    Columns: ``igo_joint`` (number of IGOs both states are full members of, from COW's dyadic file as packaged
    by peacesciencer) and, for each abbreviation in ``igos``, ``igo_<abbr>``: 1 when both are full members, 0
    when not (including years before the IGO existed), missing when COW codes either side's membership as
    missing (-9) or does not list the state-year. Everything is missing after 2014. Needs ``cow_igo``. Cite:
    Pevehouse et al. (2020), COW IGO 3.0.
    """
    chosen = resolve_igos(store, list(igos or ()))
    flags = [f"igo_{g}" for g in chosen]
    cols = ["igo_joint", *flags]
    _check_free(panel, cols, "add_igos")
    lo, hi = igo_years(store)
    dy = store.con.execute("SELECT year, a, b, joint_full AS igo_joint FROM igo_dyad_years WHERE year BETWEEN ? "
                           "AND ?", [panel.start, panel.end]).df()
    # No fill: COW's dyadic file lists every dyad of two system members, zeros included, so a dyad-year it
    # lacks is one it does not measure.
    data = _join(panel, dy, ["igo_joint"], within=(lo, hi))
    if chosen:
        # One column per IGO of each state-year COW lists (no row = status 0); the names were checked
        # against igo_list above, so they are safe to place in the query.
        sy = store.con.execute(
            "SELECT s.year, s.code, " + ", ".join(
                f"coalesce(max(CASE WHEN m.igo = '{g}' THEN m.status END), 0) AS \"{g}\"" for g in chosen)
            + " FROM igo_state_years s LEFT JOIN igo_members m ON m.year = s.year AND m.code = s.code "
            "AND m.igo IN (" + ", ".join(f"'{g}'" for g in chosen) + ") WHERE s.year BETWEEN ? AND ? "
            "GROUP BY s.year, s.code", [panel.start, panel.end]).df()
        vals = side_values(data, sy, chosen)
        for g in chosen:
            va, vb = vals[g]
            known = ~np.isnan(va) & ~np.isnan(vb) & (va != -9) & (vb != -9)
            data[f"igo_{g}"] = pd.arrays.IntegerArray(((va == 1) & (vb == 1)).astype(np.int8), ~known)
    note = (f"igo_joint: IGOs with joint full membership (COW dyadic file), {lo}-{hi}; igo_<abbr>: 1 both full "
            "members, 0 not (associate, observer, non-member, IGO not yet founded), missing where COW codes a "
            f"side -9 or lists no state-year; all missing after {hi} (not measured)")
    return _cover(panel, data, cols, IGO, _versions(store, [IGO]), _citations(store, [IGO]), note, "igos")


def shared_igos(store: Store, a: str, b: str, year: int, full_only: bool = True) -> pd.DataFrame:
    """The IGOs two states both belong to in a year, from COW IGO 3.0 member-level data.

    Args:
        a, b: states (codes or names).
        year: within the data's years (1816-2014); later years are refused, not answered with an empty list.
        full_only: only IGOs both are full members of (what ``igo_joint`` counts); else any membership type.

    Returns:
        ``igo, name, status_a, status_b`` (``full``, ``associate``, ``observer``), sorted by ``igo``.
    """
    store.require(IGO)
    lo, hi = igo_years(store)
    if not lo <= year <= hi:
        raise RequestError(f"COW IGO 3.0 covers {lo}-{hi}; membership in {year} is not measured")
    reg = store.registry()
    x, y = reg.resolve(a), reg.resolve(b)
    keep = "= 1" if full_only else "IN (1, 2, 3)"
    got = store.con.execute(
        f"""SELECT ma.igo, l.name, ma.status AS status_a, mb.status AS status_b
            FROM igo_members ma JOIN igo_members mb ON ma.year = mb.year AND ma.igo = mb.igo
            LEFT JOIN igo_list l ON l.igo = ma.igo
            WHERE ma.year = ? AND ma.code = ? AND mb.code = ? AND ma.status {keep} AND mb.status {keep}
            ORDER BY ma.igo""", [year, x, y]).df()
    for c in ("status_a", "status_b"):
        got[c] = got[c].map(IGO_STATUS)
    return got


