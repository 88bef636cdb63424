"""Python API for event data: ingest GDELT files into a store, and monthly or yearly series for a pair.

The CLI (``dyadic gdelt ...``, ``dyadic events ...``) calls these functions.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterable

import blake3
import pandas as pd

from dyadic.sources.gdelt import ActorRule, Filters, GdeltEvents
from dyadic.store import IngestSummary, Store

#: DuckDB memory limits while an events source is ingested: the store's connection (it writes the events)
#: and the scan's own (it reads the files).
STORE_MEMORY = "128MB"
SCAN_MEMORY = "384MB"


class _StoreSink:
    """State-to-state events into the store's ``events`` table, on the connection of the ingest transaction."""

    def __init__(self, con, source: str):
        self.con, self.source = con, source

    def write(self, scan_con, query: str) -> int:
        batches = scan_con.execute(query).fetch_record_batch(1 << 17)  # noqa: F841 (read by name below)
        return self.con.execute("INSERT INTO events BY NAME SELECT * FROM batches").fetchone()[0]

    def clear(self) -> None:
        self.con.execute("DELETE FROM events WHERE source = ?", [self.source])


def ingest_gdelt(store: Store, paths: str | Path | Iterable[str | Path], *, rule: ActorRule = ActorRule(),
                 filters: Filters = Filters(), name: str = GdeltEvents.name, checksum: bool = True,
                 progress=None) -> IngestSummary:
    """Ingest GDELT event files (a list, a directory or a glob) as one source, atomically.

    Args:
        store: an open, writable store with the country registry ingested.
        paths: the files.
        rule: actor mapping rule.
        filters: quality filters.
        name: source name under which the rows are kept (re-ingesting it replaces them).
        checksum: record each file's BLAKE3 checksum (else only sizes; saves a pass over very large inputs).
        progress: an optional ``rich.progress.Progress``.

    Returns:
        The ingest summary (rows written, unmapped codes, notes with the rows each filter removed).
    """
    source = GdeltEvents(paths, rule, filters)
    source.name = name
    found = source.locate(None)
    registry = store.registry()
    from dyadic.sources.gdelt_scan import EventScan

    # Event files are checksummed with BLAKE3, not SHA-256: as cryptographic, and ~5x cheaper per byte, which
    # matters when the input is hundreds of GB and the read itself is the rest of the work. Hashing runs in a
    # thread while DuckDB reads (blake3 releases the GIL).
    pool = ThreadPoolExecutor(1)
    hashes = pool.submit(lambda: {f: _blake3(p) for f, p in found.items()}) if checksum else None

    def provenance():
        sums = hashes.result() if hashes else {}
        files = {f: {"path": str(p), "blake3": sums.get(f), "bytes": p.stat().st_size} for f, p in found.items()}
        return files, "blake3:" + "+".join(str(files[f]["blake3"] or files[f]["bytes"]) for f in sorted(files))

    # The scan works on its own connection; each chunk's state-to-state events go straight into the store's
    # table inside the ingest transaction. Row order carries no meaning: without it DuckDB inserts in
    # parallel. The store's own memory limit (DuckDB's default: most of the RAM) would let its buffer pool
    # grow with the input; while it ingests, it is held to STORE_MEMORY so the peak stays flat whatever the
    # input size.
    order, limit = store.con.execute("SELECT current_setting('preserve_insertion_order'), "
                                     "current_setting('memory_limit')").fetchone()
    store.con.execute(f"SET preserve_insertion_order = false; SET memory_limit = '{STORE_MEMORY}'")
    scan = EventScan(memory_limit=SCAN_MEMORY)
    result = None

    def read(con):
        nonlocal result
        result = scan.run(list(found.values()), registry, name, rule, filters, progress, sink=_StoreSink(con, name))
        return result

    try:
        rows = store.rewrite_source(source, read, provenance)
    finally:
        pool.shutdown(cancel_futures=True)
        scan.close()
        store.con.execute(f"SET preserve_insertion_order = {str(bool(order)).lower()}; "
                          f"SET memory_limit = '{limit}'")
    return IngestSummary(name, "ingested", rows, result.unmapped, result.notes)


def _blake3(path: Path) -> str:
    return blake3.blake3(max_threads=1).update_mmap(path).hexdigest()


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
        return pair_series(st, *reg.resolve_distinct(a, b), start, end, freq=freq, family=family, source=source)
    finally:
        if st is not store:
            st.close()
