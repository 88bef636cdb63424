"""The store: one embedded DuckDB file holding every canonical table and the provenance of each ingest.

Ingest is atomic and idempotent. A source's rows are replaced in a single transaction (delete its old
rows, insert the new ones, record provenance), so a failure at any point leaves the store exactly as it
was. Re-ingesting files whose checksums match what is recorded changes nothing.
"""

from __future__ import annotations

import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Iterator

import cachetools
import duckdb
import numpy as np
import pandas as pd

from dyadic.config import Settings
from dyadic.errors import DyadicError, NotIngestedError, SourceFormatError
from dyadic.sources import SOURCES, Registry, Source
from dyadic.sources.base import IngestResult, checksum_of

SOURCES_DDL = """
CREATE TABLE IF NOT EXISTS sources (
    name VARCHAR PRIMARY KEY, title VARCHAR, version VARCHAR, files VARCHAR, sha256 VARCHAR,
    rows BIGINT, tables VARCHAR, ingested_at TIMESTAMP, citation VARCHAR, licence VARCHAR,
    homepage VARCHAR, unmapped VARCHAR, notes VARCHAR,
    release VARCHAR, as_of DATE, url VARCHAR, retrieved_at TIMESTAMP
)"""
#: Provenance of a live update (``dyadic update``): the publisher's release label, its as-of date, the service
#: address it was resolved from and when. NULL for files from the pinned snapshot or DYADIC_DATA. Added to
#: stores made before these columns existed.
LIVE_COLUMNS = {"release": "VARCHAR", "as_of": "DATE", "url": "VARCHAR", "retrieved_at": "TIMESTAMP"}
SOURCES_COLUMNS = ("name", "title", "version", "files", "sha256", "rows", "tables", "ingested_at", "citation",
                   "licence", "homepage", "unmapped", "notes", *LIVE_COLUMNS)

#: bytes of results Store.cached keeps (least recently used dropped first): the driver frame of every
#: dyad-year is ~1 GB, an all-dyad UNGA frame ~40 MB, a pair's series a few kB; counting entries instead
#: let a brief's many small results push the large shared ones out.
MEMO_BYTES = 3 * 2**30


def _nbytes(value) -> int:
    """Rough size of a remembered result: frames and arrays by their buffers (attributes of dataclass-like
    results counted too), anything else as 1 kB."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=False).sum())
    if isinstance(value, (pd.Series, pd.Index)):
        return int(value.memory_usage(deep=False))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value) + 1024
    if hasattr(value, "__dict__"):
        return sum(_nbytes(v) for v in vars(value).values()) + 1024
    return 1024


@dataclass
class IngestSummary:
    source: str
    status: str  # "ingested" | "unchanged"
    rows: int
    unmapped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Store:
    """A dyadic store (DuckDB file).

    A writable store is used from one thread (ingest). A read-only store may be shared by many threads (the
    web server): :attr:`con` gives each thread its own cursor on the one database instance, so no code path
    can use a connection from two threads at once, and :meth:`cached` computes each result once.

    Args:
        con: an open DuckDB connection.
        path: the file behind it.
        read_only: whether writes are refused.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self._root = con
        self.path = path
        self.read_only = read_only
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._cursor_lock = threading.Lock()
        # The catalog (tables, ingested sources) as last read: asked hundreds of times a brief, and changed
        # only by a committed transaction, which forgets it.
        self._catalog: tuple[frozenset[str], frozenset[str]] | None = None
        self._writing = False
        self._memo: cachetools.LRUCache | None = cachetools.LRUCache(MEMO_BYTES, getsizeof=_nbytes)
        # Waiters on a result being computed by another thread (cachetools' stampede guard).
        self._memo_call = cachetools.cached(self._memo, key=lambda key, compute: key,
                                            condition=threading.Condition())(lambda key, compute: compute())

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection for the calling thread: the store's own when writable, a cursor per thread when
        read-only (DuckDB connections are not safe to share between threads; cursors of one are)."""
        if not self.read_only:
            return self._root
        cur = getattr(self._local, "con", None)
        if cur is None:
            with self._cursor_lock:
                cur = self._root.cursor()
                self._cursors.append(cur)
            self._local.con = cur
        return cur

    @classmethod
    def open(cls, path: str | Path | None = None, read_only: bool = False) -> "Store":
        """Open (creating if needed) the store at ``path`` or the configured default."""
        path = Path(path) if path else Settings.resolve().store_path
        if read_only and not path.exists():
            raise NotIngestedError(f"no store at {path}: run 'dyadic ingest --all' first.")
        path.parent.mkdir(parents=True, exist_ok=True)
        shared_writer = False
        try:
            try:
                con = duckdb.connect(str(path), read_only=read_only)
            except duckdb.ConnectionException:
                if not read_only:
                    raise
                # This process already holds the file read-write (a test, a notebook): share that database
                # instance; writes stay refused by this object's own guard.
                con = duckdb.connect(str(path))
                shared_writer = True
        except duckdb.Error as exc:
            raise DyadicError(f"cannot open the store {path}: {exc}") from exc
        store = cls(con, path, read_only)
        if shared_writer:
            store._memo = None  # the writer could change the data under a memo
        if not read_only:
            con.execute(SOURCES_DDL)
            for col, typ in LIVE_COLUMNS.items():
                con.execute(f"ALTER TABLE sources ADD COLUMN IF NOT EXISTS {col} {typ}")
        return store

    def close(self) -> None:
        with self._cursor_lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
        self._root.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ reading

    def _read_catalog(self) -> tuple[frozenset[str], frozenset[str]]:
        catalog = self._catalog
        if catalog is None:
            tables = frozenset(r[0] for r in self.con.execute(
                "SELECT table_name FROM information_schema.tables").fetchall())
            names = frozenset(r[0] for r in self.con.execute("SELECT name FROM sources").fetchall()) \
                if "sources" in tables else frozenset()
            catalog = (tables, names)
            # Not kept mid-transaction (the writer's own tables are changing) nor when another object writes
            # this database (then there is no memo either).
            if self._memo is not None and not self._writing:
                self._catalog = catalog
        return catalog

    def has_table(self, name: str) -> bool:
        return name in self._read_catalog()[0]

    def sources(self) -> pd.DataFrame:
        if not self.has_table("sources"):
            return pd.DataFrame(columns=["name"])
        return self.con.execute("SELECT * FROM sources ORDER BY name").df()

    def has_source(self, name: str) -> bool:
        return name in self._read_catalog()[1]

    def require(self, *names: str, by: str | None = None, what: str | None = None) -> None:
        """Raise a clear error unless every named source has been ingested: what to ingest first, and with
        ``by`` which function needs it (``what`` names the data in words)."""
        missing = [n for n in dict.fromkeys(names) if not self.has_source(n)]
        if missing:
            run = f"run 'dyadic ingest {' '.join(missing)}' first."
            if by:
                raise NotIngestedError(f"{by} needs {what or ' and '.join(missing)}: {run}")
            raise NotIngestedError(f"the store {self.path} has no data from {', '.join(missing)}: {run}")

    def registry(self) -> Registry:
        self.require("country_codes")
        states = self.con.execute("SELECT * FROM states").df()
        spells = self.con.execute("SELECT * FROM state_spells").df()
        return Registry(states, spells)

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``compute()``, remembered under ``key`` until this store next writes.

        A read-only store's data cannot change while it is open (DuckDB refuses writers meanwhile); a writable
        store changes its data only through :meth:`transaction`, which forgets every remembered result when it
        commits. A read-only store sharing this process's writable database (written through another object)
        computes every time. The least recently used results beyond MEMO_BYTES are dropped. Thread-safe:
        threads asking for a key another thread is computing wait for that result instead of computing it
        again; different keys are computed in parallel.

        Args:
            key: hashable description of the computation (function name and its arguments).
            compute: makes the result; the caller must not modify what it gets back.
        """
        if self._memo is None:
            return compute()
        return self._memo_call(key, compute)

    def ibis(self):
        """An Ibis connection over the same DuckDB database, for engine-portable expressions."""
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def checksum(self, table: str) -> tuple[int, int]:
        """Row count and an order-independent hash of a table's content (for before/after checks)."""
        if not self.has_table(table):
            return (0, 0)
        n, h = self.con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{table}" AS t').fetchone()
        return int(n), int(h)

    # ------------------------------------------------------------------ writing

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise DyadicError(f"the store {self.path} is open read-only")
        self.con.execute("BEGIN TRANSACTION")
        self._writing, self._catalog = True, None
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        finally:
            self._writing = False
        self.con.execute("COMMIT")
        if self._memo is not None:
            self._memo_call.cache_clear()  # results computed before the write may no longer hold

    @staticmethod
    def _declare(con: duckdb.DuckDBPyConnection, source: Source) -> None:
        """Create the source's types and tables where missing and empty its rows (inside a transaction)."""
        for stmt in source.types:
            tname = re.match(r"CREATE TYPE (\w+)", stmt).group(1)
            # in this database: another one attached (copy_sources) may hold a type of the same name
            if not con.execute("SELECT count(*) FROM duckdb_types() WHERE type_name = ? AND database_name = "
                               "current_database()", [tname]).fetchone()[0]:
                con.execute(stmt)
        for tname, ddl in source.schema.items():
            con.execute(f'CREATE TABLE IF NOT EXISTS "{tname}" ({ddl})')
            con.execute(f'DELETE FROM "{tname}" WHERE source = ?', [source.name])

    def copy_sources(self, other: Path, names: Iterable[str]) -> None:
        """Copy what another store holds from the named sources (their rows and provenance) into this one,
        in one transaction: the same tables an ingest would write, without reading the files again (the test
        suite's stores are built this way from one store per run)."""
        path = str(other).replace("'", "''")  # ATTACH takes no parameters
        self.con.execute(f"ATTACH '{path}' AS other (READ_ONLY)")
        try:
            with self.transaction() as con:
                for name in names:
                    source = SOURCES[name]()
                    self._declare(con, source)
                    for tname in source.schema:
                        con.execute(f'INSERT INTO "{tname}" BY NAME SELECT * FROM other."{tname}" WHERE source = ?',
                                    [name])
                    con.execute("DELETE FROM sources WHERE name = ?", [name])
                    con.execute("INSERT INTO sources BY NAME SELECT * FROM other.sources WHERE name = ?", [name])
        finally:
            self.con.execute("DETACH other")

    def recorded_sha(self, name: str) -> str | None:
        row = self.con.execute("SELECT sha256 FROM sources WHERE name = ?", [name]).fetchone()
        return row[0] if row else None

    def replace_source(self, source: Source, tables: dict[str, pd.DataFrame], files: dict[str, dict],
                       digest: str, unmapped: dict[str, int], notes: list[str]) -> int:
        """Replace everything a source holds, in one transaction. Returns rows written."""
        result = IngestResult(tables, unmapped, notes)
        return self.rewrite_source(source, lambda con: result, lambda: (files, digest))

    def rewrite_source(self, source: Source, read: Callable[[duckdb.DuckDBPyConnection], IngestResult],
                       provenance: Callable[[], tuple[dict[str, dict], str]]) -> int:
        """Replace everything a source holds, in one transaction, letting the connector write rows itself.

        For sources too large to pass through Python (GDELT), ``read`` runs on the store's connection inside
        the transaction, after the source's old rows are deleted: it may insert rows into the source's tables
        directly (counted in ``IngestResult.written``) and returns the rest as usual. Any failure rolls all
        of it back.

        Args:
            source: the connector.
            read: called with the connection; returns what was read.
            provenance: called after ``read``; returns the files record and the digest.

        Returns:
            Rows written.
        """
        with self.transaction() as con:
            self._declare(con, source)
            result = read(con)
            unexpected = (set(result.tables) | set(result.written)) - set(source.schema)
            if unexpected:
                raise DyadicError(f"{source.name} returned tables it does not declare: {sorted(unexpected)}")
            rows = sum(result.written.values())
            for tname, df in result.tables.items():
                con.register("_incoming", df)
                try:
                    # A table may also be an Arrow stream (large sources): count what the insert wrote.
                    rows += con.execute(f'INSERT INTO "{tname}" BY NAME SELECT * FROM _incoming').fetchone()[0]
                except duckdb.Error as exc:
                    raise SourceFormatError(f"{source.name}: rows for table '{tname}' do not fit it: {exc}") from exc
                finally:
                    con.unregister("_incoming")
            files, digest = provenance()
            con.execute("DELETE FROM sources WHERE name = ?", [source.name])
            live = source.release.provenance() if source.release is not None else {}
            con.execute(
                f"INSERT INTO sources ({', '.join(SOURCES_COLUMNS)}) VALUES ({', '.join('?' * len(SOURCES_COLUMNS))})",
                [source.name, source.title, source.version, json.dumps(files), digest, rows,
                 ",".join([*result.written, *result.tables]), datetime.now(timezone.utc).replace(tzinfo=None),
                 source.citation, source.licence, source.homepage, json.dumps(result.unmapped),
                 json.dumps(result.notes), *(live.get(c) for c in LIVE_COLUMNS)],
            )
        return rows


def ingest_order(names: Iterable[str]) -> list[str]:
    """The country registry goes first: every other connector maps its codes through it."""
    names = list(dict.fromkeys(names))
    return sorted(names, key=lambda n: (n != "country_codes", names.index(n)))


def ingest(store: Store, settings: Settings, names: Iterable[str], force: bool = False,
           download: bool = True, progress=None) -> list[IngestSummary]:
    """Ingest the named sources (all of a source or none of it).

    Args:
        store: an open, writable store.
        settings: where source files are found or downloaded to.
        names: source names (see :data:`dyadic.sources.SOURCES`).
        force: re-ingest even when the files' checksums match the store.
        download: allow downloading missing files from their canonical location.
        progress: an optional ``rich.progress.Progress`` to report on.

    Returns:
        One summary per source.
    """
    names = list(names)
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise DyadicError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    if any(SOURCES[n].needs_registry for n in names) and not store.has_source("country_codes"):
        names = ["country_codes", *names]
    summaries = []
    task = progress.add_task("ingest", total=len(ingest_order(names))) if progress else None
    for name in ingest_order(names):
        if progress:
            progress.update(task, description=f"ingest {name}")
        summaries.append(ingest_source(store, SOURCES[name](), settings, force=force, download=download,
                                       progress=progress))
        if progress:
            progress.advance(task)
    return summaries


def ingest_source(store: Store, source: Source, settings: Settings | None, force: bool = False,
                  download: bool = True, progress=None) -> IngestSummary:
    """Ingest one source: the one door every source goes through (files found, checksummed by the source's
    algorithm, skipped when they and the source's fingerprint match what is recorded, then written in one
    transaction by :meth:`Source.write`).

    Args:
        store: an open, writable store.
        source: the connector (an instance: event sources carry their files, rule and filters).
        settings: where its files are found; None for a source that was given its files.
        force: re-ingest even when nothing changed.
        download: allow downloading missing files.
        progress: an optional ``rich.progress.Progress``, handed to sources that report on it.
    """
    paths = source.locate(settings, download=download)
    algorithm = source.checksum
    files = {f: {"path": str(p), algorithm: checksum_of(p, algorithm), "bytes": p.stat().st_size}
             for f, p in paths.items()}
    parts = [str(files[f].get(algorithm) or files[f]["bytes"]) for f in sorted(files)]
    digest = ("" if algorithm == "sha256" else f"{algorithm}:") + "+".join(parts)
    if source.fingerprint():
        digest += "|" + source.fingerprint()
    if not force and store.recorded_sha(source.name) == digest:
        return IngestSummary(source.name, "unchanged", 0)
    registry = store.registry() if source.needs_registry else None
    source.progress = progress
    result = None

    def write(con):
        nonlocal result
        result = source.write(con, paths, registry)
        return result

    rows = store.rewrite_source(source, write, lambda: (files, digest))
    return IngestSummary(source.name, "ingested", rows, result.unmapped, result.notes)
