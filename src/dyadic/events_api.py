"""Python API for event data: ingest GDELT files into a store, and monthly or yearly series for a pair.

The CLI (``dyadic gdelt ...``, ``dyadic events ...``) calls these functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import pandas as pd

from dyadic.sources.gdelt import ActorRule, Filters, GdeltEvents
from dyadic.store import IngestSummary, Store, ingest_source


def ingest_gdelt(store: Store, paths: str | Path | Iterable[str | Path], *, rule: ActorRule = ActorRule(),
                 filters: Filters = Filters(), name: str = GdeltEvents.name, checksum: bool = True,
                 force: bool = False, progress=None) -> IngestSummary:
    """Ingest GDELT event files (a list, a directory or a glob) as one source, atomically, through the same
    door as every source (:func:`dyadic.store.ingest_source`): files unchanged since the last ingest with the
    same rule and filters are not read again.

    Args:
        store: an open, writable store with the country registry ingested.
        paths: the files.
        rule: actor mapping rule.
        filters: quality filters.
        name: source name under which the rows are kept (re-ingesting it replaces them).
        checksum: record each file's BLAKE3 checksum (else only sizes; saves a pass over very large inputs).
        force: read the files even when nothing changed.
        progress: an optional ``rich.progress.Progress``.

    Returns:
        The ingest summary (rows written, unmapped codes, notes with the rows each filter removed).
    """
    source = GdeltEvents(paths, rule, filters, name=name, checksum="blake3" if checksum else "size")
    return ingest_source(store, source, None, force=force, progress=progress)


def events(a: str, b: str, start: str | None = None, end: str | None = None, *, freq: str = "month",
           family: str | None = None, source: str = "auto", store: str | Path | Store | None = None) -> pd.DataFrame:
    """Event indicators of one pair by month or year, both directions (see :mod:`dyadic.indicators.events`).

    Args:
        a, b: the two states (codes or names).
        start, end: first and last period (``YYYY-MM`` or ``YYYY``).
        freq: ``month`` or ``year``.
        family: keep only events of this CAMEO family (see ``dyadic/data/cameo_families.csv``).
        source: ``graph`` (daily country graph), an events source name, or ``auto`` (raw events when
            ingested, else the graph).
        store: a store path or an open :class:`Store`.

    Returns:
        One row per direction and period; periods without coverage are missing (NA), not zero.
    """
    from dyadic.indicators.events import pair_series

    st = store if isinstance(store, Store) else Store.open(store, read_only=True)
    try:
        reg = st.registry()
        return pair_series(st, *reg.dyad(a, b), start, end, freq=freq, family=family, source=source)
    finally:
        if st is not store:
            st.close()
