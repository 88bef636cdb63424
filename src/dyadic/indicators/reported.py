"""Figures reported in news pages, for checking a text's numbers: never a panel column or model input.

The rows come from ``press_reported_figures_china_russia`` (see :mod:`dyadic.sources.reported`). They are
what a page printed, attributed to an official body; they are not measurements, so no panel verb reads
them and they do not belong in a chart beside measured series. Each row carries its label,
"as reported by <publisher>", to go with it wherever it is shown.
"""

from __future__ import annotations

import pandas as pd

from dyadic.errors import NotIngestedError
from dyadic.store import Store

REPORTED = "press_reported_figures_china_russia"
LABEL = "as reported by {publisher}"


def reported_figures(store: Store, a: str, b: str) -> pd.DataFrame:
    """The reported figures about states ``a`` and ``b``: those about both and those about either alone.

    A figure is about the states its indicator names (``china_russia_total_trade`` -> CHN, RUS;
    ``russia_total_trade_turnover`` -> RUS, kept because a share of Russia's trade needs it); figures naming
    a third state (``china_usa_total_trade`` for CHN-RUS) are left out.

    Args:
        a, b: state codes or names (resolved through the registry).

    Returns:
        ``indicator, period, year, value, unit, states, label, publisher, primary_source, page_url, page_date,
        wording`` ordered by indicator and period; ``label`` is "as reported by <publisher>"; ``wording`` is
        NULL where the page's wording was not transcribed.
    """
    if not store.has_source(REPORTED):
        raise NotIngestedError(f"reported_figures needs the press figures: run 'dyadic ingest {REPORTED}' first.")
    x, y = store.registry().dyad(a, b)
    df = store.con.execute(
        """SELECT indicator, period, year, value, unit, states, publisher, primary_source, page_url, page_date,
                  wording
           FROM reported_figures WHERE source = ? AND list_has_all([?, ?], states)
           ORDER BY indicator, period, figure_id""", [REPORTED, x, y]).df()
    df.insert(6, "label", [LABEL.format(publisher=p) for p in df["publisher"]])
    return df
