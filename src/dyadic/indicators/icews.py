"""ICEWS event counts by dyad-year: verbal and material cooperation and conflict, 2002-2014.

The panel verb ``add_icews`` and the table behind it. The netify slice of ICEWS is a complete directed panel
of 152 countries (zeros explicit), so a dyad-year has values exactly when both states are among the 152 and
the year is in 2002-2014; everywhere else the counts are missing, never 0 (events of a state outside the
slice were not counted, not absent). See docs/indicators/diplomacy.md.

Source: ``icews_dyadic_netify_2002_2014`` (Boschee et al. 2015, ICEWS Coded Event Data; netify packaging).
"""

from __future__ import annotations

import pandas as pd

from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, join as _join, versions as _versions)
from dyadic.sources.icews import QUADS
from dyadic.store import Store

ICEWS = "icews_dyadic_netify_2002_2014"
QUAD_COLUMNS = tuple(QUADS.values())  # verb_coop, matl_coop, verb_conf, matl_conf


def icews_years(store: Store) -> tuple[int, int]:
    """First and last year of the ICEWS slice (2002-2014)."""
    store.require(ICEWS)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM icews_quads").fetchone()
    return int(lo), int(hi)


def icews_states(store: Store) -> list[str]:
    """Codes of the states in the slice (152)."""
    store.require(ICEWS)
    return [r[0] for r in store.con.execute("SELECT DISTINCT a FROM icews_quads ORDER BY a").fetchall()]


def icews_dyad_years(store: Store, start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """Directed dyad-year quad counts, events from ``a`` to ``b``.

    Returns:
        ``year, a, b, verb_coop, matl_coop, verb_conf, matl_conf``.
    """
    store.require(ICEWS)
    lo, hi = icews_years(store)
    return store.con.execute(
        f"""SELECT year, a, b, {', '.join(QUAD_COLUMNS)} FROM icews_quads WHERE year BETWEEN ? AND ?
            ORDER BY year, a, b""", [lo if start is None else start, hi if end is None else end]).df()


@verb("icews", needs=(ICEWS,), what="the ICEWS slice",
      provides=tuple(f"icews_{q}_{d}" for q in QUAD_COLUMNS for d in ("ab", "ba")))
def add_icews(panel: Panel, store: Store) -> Panel:
    """Add ICEWS quad event counts in both directions, 2002-2014.

    Columns: ``icews_<quad>_ab`` (events from ``a`` to ``b``) and ``icews_<quad>_ba`` (from ``b`` to ``a``)
    for each quad ``verb_coop``, ``matl_coop``, ``verb_conf``, ``matl_conf`` (verbal / material cooperation,
    verbal / material conflict): eight columns, in non-directed and directed panels alike. Missing outside
    2002-2014 and for dyads with a state outside the slice's 152. Needs ``icews_dyadic_netify_2002_2014``.
    Cite: Boschee et al. (2015), ICEWS Coded Event Data; Dorff & Minhas, netify.
    """
    ab = [f"icews_{q}_ab" for q in QUAD_COLUMNS]
    ba = [f"icews_{q}_ba" for q in QUAD_COLUMNS]
    cols = [c for pair in zip(ab, ba) for c in pair]
    _check_free(panel, cols, "add_icews")
    lo, hi = icews_years(store)
    dy = icews_dyad_years(store, panel.start, panel.end)
    # no fill: the slice is complete, so a missing row is a state outside it, not a zero
    data = _join(panel, dy.rename(columns=dict(zip(QUAD_COLUMNS, ab))), ab, symmetric=False, within=(lo, hi))
    back = dy.rename(columns={"a": "b", "b": "a", **dict(zip(QUAD_COLUMNS, ba))})
    data = _join(Panel(data, panel.coverage, panel.directed, panel.start, panel.end), back, ba, symmetric=False,
                 within=(lo, hi))
    note = (f"ICEWS (netify slice): event counts a -> b (_ab) and b -> a (_ba), {lo}-{hi}, 0 = no event; "
            f"missing outside those years and for dyads with a state outside the slice's "
            f"{len(icews_states(store))} countries; actor filter undocumented by the packager")
    return _cover(panel, data[[*panel.data.columns, *cols]], cols, ICEWS, _versions(store, [ICEWS]),
                  _citations(store, [ICEWS]), note, "icews")


# This module imports the panel's helpers, so it registers its verbs itself; panel.py imports it at its end.
