"""Arms transfers between two states: SIPRI trend-indicator values (TIV) by supplier, recipient and year.

One series is built from two SIPRI editions, each used only for the years the other lacks:

- 1995-2024: the trade register (data generated 12 Feb 2026), TIV delivery values summed by supplier,
  recipient and delivery year;
- 1950-1994: the "TIV of arms exports" tables (generated 28 Jul 2022; integer TIV).

SIPRI revises TIVs between editions (Russia to China 2018: 1,656.1 in the register, 1,767 in the tables), so
within a year only one edition ever speaks, and the break at 1995 is stated in every coverage row. Inside the
years, no row means no transfer (0); outside them the value is missing. A state's imports include deliveries
from non-state and unknown suppliers. See docs/indicators/arms.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, join as _join, versions as _versions)
from dyadic.store import Store

ARMS = "sipri_arms_transfers"
REGISTER_FROM = 1995  # the register's first delivery year; earlier years come from the 2022 tables
FLOWS_SQL = """
    SELECT year, supplier, recipient, sum(tiv) AS tiv, 'register 2026' AS edition FROM arms_deliveries
    WHERE year BETWEEN ? AND ? GROUP BY ALL
    UNION ALL
    SELECT year, supplier, recipient, sum(tiv) AS tiv, 'tables 2022' AS edition FROM arms_tiv_2022
    WHERE year BETWEEN ? AND least(?, {register_from} - 1) GROUP BY ALL
"""


def arms_years(store: Store, before_1995: bool = True) -> tuple[int, int]:
    """First and last year of the series (1950-2024; from 1995 without the 2022 tables)."""
    store.require(ARMS)
    lo, hi = store.con.execute("SELECT min(year), max(year) FROM arms_deliveries").fetchone()
    if before_1995:
        lo = store.con.execute("SELECT min(year) FROM arms_tiv_2022").fetchone()[0]
    return int(lo), int(hi)


def arms_flows(store: Store, start: int = 1950, end: int = 2024, before_1995: bool = True) -> pd.DataFrame:
    """TIV delivered by supplier, recipient and year, one edition per year (see the module docstring).

    Returns:
        ``year, supplier, recipient, tiv, edition``; ``supplier``/``recipient`` are missing for non-state,
        organisational and unknown parties (their TIV still counts towards the other side's totals).
    """
    store.require(ARMS)
    lo = start if before_1995 else max(start, REGISTER_FROM)
    q = FLOWS_SQL.format(register_from=REGISTER_FROM)
    return store.con.execute(q, [max(start, REGISTER_FROM), end, lo, end]).df()


ARMS_COLUMNS = ("tiv_a_to_b", "tiv_b_to_a", "tiv_share_of_b_imports_from_a", "tiv_share_of_a_imports_from_b")


@verb("arms", needs=(ARMS,), provides=ARMS_COLUMNS, what="the SIPRI arms transfer data")
def add_arms_transfers(panel: Panel, store: Store, before_1995: bool = True) -> Panel:
    """Add arms transfers in both directions and each side's weight in the other's imports (SIPRI TIV).

    Columns (read with the row's ``a`` and ``b``, so they hold in directed and non-directed panels alike):
    ``tiv_a_to_b``, ``tiv_b_to_a`` (TIV millions delivered that year; 0 when none), ``tiv_share_of_b_imports_from_a``
    (``tiv_a_to_b`` over all of b's TIV imports that year, 0-1) and ``tiv_share_of_a_imports_from_b``; a share
    is missing when the importer imported nothing that year. All are missing outside 1950-2024 (from 1995 with
    ``before_1995=False``, which keeps to the 2026 edition). Needs ``sipri_arms_transfers``. Cite: SIPRI Arms
    Transfers Database.
    """
    from dyadic.indicators.politics import side_values  # here: politics and arms both load from panel.py

    cols = list(ARMS_COLUMNS)
    _check_free(panel, cols, "add_arms_transfers")
    lo, hi = arms_years(store, before_1995)
    flows = arms_flows(store, panel.start, panel.end, before_1995)
    imports = (flows.dropna(subset=["recipient"]).groupby(["year", "recipient"], as_index=False).tiv.sum()
               .rename(columns={"recipient": "code", "tiv": "imports"}))
    pairs = flows.dropna(subset=["supplier", "recipient"]).groupby(["year", "supplier", "recipient"],
                                                                  as_index=False).tiv.sum()
    out = pairs.rename(columns={"supplier": "a", "recipient": "b", "tiv": "tiv_a_to_b"})
    back = pairs.rename(columns={"supplier": "b", "recipient": "a", "tiv": "tiv_b_to_a"})
    # A pair with a flow one way only has no row the other way: inside the years that is a reported 0.
    both = out.merge(back, on=["year", "a", "b"], how="outer").fillna({"tiv_a_to_b": 0.0, "tiv_b_to_a": 0.0})
    # Directed keys: the panel's own (a, b) order is looked up, whichever way round it stores the pair.
    data = _join(panel, both, ["tiv_a_to_b", "tiv_b_to_a"], symmetric=False, within=(lo, hi),
                 fill={"tiv_a_to_b": 0.0, "tiv_b_to_a": 0.0})
    imp = side_values(data, imports, ["imports"])["imports"]
    inside = data["year"].between(lo, hi).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for col, flow, total in (("tiv_share_of_b_imports_from_a", "tiv_a_to_b", imp[1]),
                                 ("tiv_share_of_a_imports_from_b", "tiv_b_to_a", imp[0])):
            share = data[flow].to_numpy(dtype=np.float64) / total
            data[col] = np.where(inside & (total > 0), share, np.nan)
    note = (f"SIPRI TIV (millions, a volume index, not US$); {max(lo, REGISTER_FROM)}-{hi}: trade register "
            f"(generated 12 Feb 2026), delivery values summed by delivery year"
            + (f"; {lo}-{REGISTER_FROM - 1}: TIV export tables (generated 28 Jul 2022, integer TIV) -- editions "
               "differ, series breaks at 1995" if lo < REGISTER_FROM else "")
            + "; 0 = no delivery recorded; share missing when the importer imported nothing that year; missing "
              "outside those years")
    return _cover(panel, data, cols, ARMS, _versions(store, [ARMS]), _citations(store, [ARMS]), note, "arms")


