"""One streaming pass over GDELT event files: the canonical ``events``, ``event_volume`` and ``event_coverage``.

Files are read in chunks of about ``CHUNK_BYTES`` of text, each chunk in one parallel DuckDB ``read_csv`` into
a temporary table that lives only while the chunk is processed, so memory is bounded by the chunk size and
not by the input. From each chunk the scan keeps only:

- the state-to-state events, handed chunk by chunk to a sink as Arrow batches (the store's ``events`` table
  inside the ingest transaction; by default a private table returned as a stream);
- small aggregates: rows per file and day (coverage), rows per actor pair, month and filter outcome (from
  which the volume denominators, the unmapped actors and every filter's count are derived), and each
  chunk's GLOBALEVENTID range and distinct count.

The scan works on a private in-memory connection in autocommit mode, never inside the store's transaction:
DuckDB scans and joins tables of a transaction's own uncommitted storage about half as fast, and only the
events' insert needs the transaction.

De-duplication by GLOBALEVENTID needs to know whether any id occurs twice. In GDELT's own files it never
does, and the chunk statistics prove it cheaply (distinct ids within each chunk, counted with a bitmap over
the chunk's id range when that range is dense, as GDELT's are; disjoint id ranges across chunks). When they cannot (the same file twice, overlapping downloads), or when the URL rule is asked for,
the scan discards what it wrote and reads the files again keeping every row, de-duplicates them exactly
and derives the tables from what is left: correct in every case, fast in the usual one.

Actor codes are mapped once per distinct code (:class:`~dyadic.sources.gdelt.ActorRule`), not once per row.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from contextlib import ExitStack
from typing import Callable, Iterable, Iterator, Protocol

import duckdb

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult
from dyadic.sources.gdelt import (ADDED_TIMESTAMP, DEDUP_ORDER, EVENTS_DDL, HOMEPAGE, RAW_FIELDS, ActorRule, Filters,
                                  expand, format_error, layout_of, plain_file, read_csv_sql)
from dyadic.sources.registry import Registry

#: Text read per chunk. Peak memory follows this, not the input size (a chunk of 512 MB is ~1.26 million rows).
CHUNK_BYTES = 512 << 20

#: Widest chunk id range counted with a bitmap (bits; 16 MB); wider ranges use a hash count.
BITMAP_BITS = 1 << 27


def _projection(file_expr: str, dataset: str, rule: ActorRule) -> str:
    """The typed GDELT columns the scan keeps, one row per line read (``added`` as YYYYMMDD)."""
    a1, a2 = rule.columns
    fields = ", ".join(f"{col} AS {name}" for name, col in RAW_FIELDS.items())
    return f"""SELECT {file_expr} AS file, '{dataset}' AS dataset,
        CASE WHEN DATEADDED >= {ADDED_TIMESTAMP} THEN DATEADDED // 1000000 ELSE DATEADDED END AS added,
        {a1} AS a1, {a2} AS a2, {fields},
        CASE WHEN SOURCEURL IS NOT NULL THEN hash(SOURCEURL) END AS url_hash"""


def _conditions(filters: Filters) -> list[tuple[str, str]]:
    """(label, SQL condition a row must meet) for each active row filter, in the order they are reported."""
    return [(label, field if least is None else f"{field} >= {least}")
            for label, field, least in filters.row_rules()]


class EventSink(Protocol):
    """Where the scan puts state-to-state events (the columns of ``EVENTS_DDL``, by name)."""

    def write(self, con: duckdb.DuckDBPyConnection, query: str) -> int:
        """Insert the rows of ``query`` (run on the scan's connection ``con``); returns the rows inserted."""

    def clear(self) -> None:
        """Remove every row this sink was given (the scan starts again)."""


class _TempSink:
    """Events kept in a temporary table of the scan's own connection, returned as a stream at the end."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        con.execute(f"CREATE OR REPLACE TEMP TABLE _gd_events ({EVENTS_DDL})")

    def write(self, con: duckdb.DuckDBPyConnection, query: str) -> int:
        return con.execute(f"INSERT INTO _gd_events BY NAME {query}").fetchone()[0]

    def clear(self) -> None:
        self.con.execute("DELETE FROM _gd_events")


@dataclass
class _File:
    path: Path
    plain: Path
    dataset: str
    columns: dict
    size: int


class EventScan:
    """Reads GDELT files in bounded chunks and writes the canonical event tables.

    Args:
        memory_limit: DuckDB memory limit of the scan's private connection (it spills beyond it).
        chunk_bytes: text read per chunk.
    """

    def __init__(self, memory_limit: str = "512MB", chunk_bytes: int = CHUNK_BYTES):
        self.tmp = tempfile.TemporaryDirectory(prefix="dyadic-gdelt-")
        self.con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": self.tmp.name,
                                          "preserve_insertion_order": False})
        self.chunk_bytes = chunk_bytes
        self.files: list[tuple[str, str, int, int]] = []  # path, dataset, rows, skipped

    def close(self) -> None:
        self.con.close()  # its temporary tables go with it
        self.tmp.cleanup()

    # ------------------------------------------------------------------ reading

    def _chunks(self, paths: list[Path], skip_bad_lines: bool) -> Iterator[list[_File]]:
        """Runs of files of one layout, about ``chunk_bytes`` of text each (zip members unpacked meanwhile)."""
        work = Path(self.tmp.name)
        batch: list[_File] = []
        unpacked = ExitStack()  # the current run's unzipped copies, deleted when the run has been read
        try:
            for path in paths:
                with ExitStack() as one:
                    plain = one.enter_context(plain_file(path, work))
                    dataset, cols = layout_of(plain, path)
                    kept = one.pop_all()
                f = _File(path, plain, dataset, cols, plain.stat().st_size)
                if batch and (batch[0].dataset != dataset or sum(b.size for b in batch) + f.size > self.chunk_bytes
                              or skip_bad_lines):
                    yield batch
                    unpacked.close()
                    batch = []
                unpacked.push(kept)
                batch.append(f)
            if batch:
                yield batch
        finally:
            unpacked.close()

    def _read(self, chunk: list[_File], rule: ActorRule, skip_bad_lines: bool, into: str = "_gd_raw",
              append: bool = False) -> None:
        """Read one chunk into ``into`` (replaced, or appended to); on a parse error name the faulty file."""
        i0 = len(self.files)
        cols = chunk[0].columns
        tag = str(i0)
        src = read_csv_sql([f.plain for f in chunk], cols, skip_bad_lines, tag=tag)
        head = f"INSERT INTO {into} " if append else f"CREATE OR REPLACE TEMP TABLE {into} AS "
        try:
            self.con.execute(head + _projection(f"{i0} + file_index", chunk[0].dataset, rule) + f" FROM {src}")
        except duckdb.Error as exc:
            # Nothing was written; read file by file to report the first faulty one exactly, on a connection
            # of its own (the failed statement has aborted this one's transaction).
            probe = duckdb.connect()
            try:
                for f in chunk:
                    try:
                        probe.execute(f"{_projection('0', f.dataset, rule)} FROM {read_csv_sql(f.plain, cols)}")
                        probe.fetchall()
                    except duckdb.Error as one:
                        raise format_error(one, f.path) from one
            finally:
                probe.close()
            raise format_error(exc, chunk[0].path) from exc
        rel = into if not append else f"(SELECT * FROM {into} WHERE file >= {i0})"
        self.con.execute(f"INSERT INTO _gd_cov SELECT file, added, count(*) FROM {rel} GROUP BY ALL")
        counts = dict(self.con.execute(f"SELECT file, sum(n) FROM _gd_cov WHERE file >= {i0} GROUP BY file").fetchall())
        skipped = 0
        if skip_bad_lines:
            skipped = self.con.execute(f"SELECT count(DISTINCT line) FROM rej_{tag}").fetchone()[0]
            self.con.execute(f"DROP TABLE rej_{tag}; DROP TABLE rejscan_{tag}")
        for k, f in enumerate(chunk):
            self.files.append((str(f.path), f.dataset, int(counts.get(i0 + k, 0)), int(skipped)))
        if chunk[0].dataset == "gdelt1":
            self._check_short(rel, i0)

    def _check_short(self, rel: str, i0: int) -> None:
        short = self.con.execute(f"""SELECT file, event_id, added IS NULL FROM {rel} WHERE file >= {i0} AND
            (added IS NULL OR (url_hash IS NULL AND added >= 20130401)) LIMIT 1""").fetchone()
        if short:
            what = "fewer than 57 fields" if short[2] else "57 fields (no SOURCEURL) after March 2013"
            raise SourceFormatError(
                f"{self.files[short[0]][0]}: the line of event {short[1]} has {what}; GDELT 1.0 lines have 58 "
                f"fields (57 in the pre-April-2013 backfiles). The file is truncated or corrupt: download it "
                f"again from {HOMEPAGE}.")

    def _check_days(self, i0: int) -> None:
        """A bad DATEADDED makes the coverage unknowable, so it fails rather than being dropped."""
        bad = self.con.execute(f"""SELECT file, added FROM _gd_cov WHERE file >= {i0}
            AND try_strptime(CAST(added AS VARCHAR), '%Y%m%d') IS NULL LIMIT 1""").fetchone()
        if bad:
            raise SourceFormatError(f"{self.files[bad[0]][0]}: DATEADDED '{bad[1]}' is not a date (YYYYMMDD or "
                                    "YYYYMMDDHHMMSS). Download the file again.")

    # ------------------------------------------------------------------ per chunk

    def _summarise(self, rel: str, conds: list[tuple[str, str]]) -> None:
        """Rows per actor pair, month and filter outcome: every count the notes and the volume need."""
        flags = ", ".join(f"({c}) AS f{k}" for k, (_, c) in enumerate(conds))
        self.con.execute(f"""INSERT INTO _gd_pairs BY NAME SELECT a1, a2, added // 100 AS ym,
            {flags + ',' if flags else ''} count(*) AS n FROM {rel} GROUP BY ALL""")

    def _map_new(self, map_sql: str) -> None:
        """Map the actor codes not seen before (a few per chunk after the first) by the rule's query
        (:meth:`ActorRule.query` over ``_gd_new``)."""
        self.con.execute("""CREATE OR REPLACE TEMP TABLE _gd_new AS SELECT DISTINCT a AS code FROM (
            SELECT a1 AS a FROM _gd_pairs UNION ALL SELECT a2 FROM _gd_pairs)
            WHERE a IS NOT NULL AND a NOT IN (SELECT actor FROM _gd_seen);
            INSERT INTO _gd_seen SELECT code FROM _gd_new""")
        self.con.execute(f"INSERT INTO _gd_map {map_sql}")

    def _write_events(self, rel: str, sink: EventSink, source_name: str, conds: list[tuple[str, str]]) -> int:
        """Hand the state-to-state rows of ``rel`` that pass the filters to ``sink``; returns the rows written."""
        where = " AND ".join(["m1.code <> m2.code", *(c for _, c in conds)])
        query = f"""SELECT '{source_name}' AS source, r.dataset, r.event_id, r.date,
                   make_date(r.added // 10000, r.added // 100 % 100, r.added % 100) AS added, m1.code AS src,
                   m2.code AS tgt, r.a1 AS src_actor, r.a2 AS tgt_actor, r.cameo, r.base, r.root, r.quad_class,
                   r.goldstein, r.mentions, r.sources, r.articles, r.tone, r.is_root, r.url_hash
            FROM {rel} r JOIN _gd_map m1 ON r.a1 = m1.actor JOIN _gd_map m2 ON r.a2 = m2.actor
            WHERE {where}"""
        return int(sink.write(self.con, query))

    def _derive(self, rel: str, map_sql: str, conds: list[tuple[str, str]], sink: EventSink,
                source_name: str) -> int:
        self._summarise(rel, conds)
        self._map_new(map_sql)
        return self._write_events(rel, sink, source_name, conds)

    def _count_ids(self) -> None:
        """The chunk's id range and distinct count (a bitmap when the range is dense, as in GDELT's files)."""
        lo, hi = self.con.execute("SELECT min(event_id), max(event_id) FROM _gd_raw").fetchone()
        if lo is None:
            return
        distinct = (f"bit_count(bitstring_agg(event_id, {lo}, {hi}))" if hi - lo < BITMAP_BITS
                    else "count(DISTINCT event_id)")
        self.con.execute(f"INSERT INTO _gd_ids SELECT {lo}, {hi}, count(*), {distinct} FROM _gd_raw")

    def _ids_repeat(self) -> bool:
        """Whether some GLOBALEVENTID may occur twice: within a chunk, or in the id ranges of two chunks."""
        return bool(self.con.execute("""SELECT coalesce(bool_or(n <> nd OR lo <= prev_hi), false) FROM (
            SELECT n, nd, lo, max(hi) OVER (ORDER BY lo ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi
            FROM _gd_ids)""").fetchone()[0])

    def _dedup(self, filters: Filters) -> list[tuple[str, int]]:
        """Exact de-duplication of every row read (``_gd_all`` -> ``_gd_raw``); returns (filter, rows removed)."""
        con = self.con
        total = con.execute("SELECT count(*) FROM _gd_all").fetchone()[0]
        order = ", ".join(f"{f} DESC" for f in DEDUP_ORDER)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _gd_raw AS SELECT * FROM _gd_all QUALIFY row_number() OVER
                       (PARTITION BY event_id ORDER BY {order}) = 1""")
        con.execute("DROP TABLE temp._gd_all")
        left = con.execute("SELECT count(*) FROM _gd_raw").fetchone()[0]
        removed = [("duplicate GLOBALEVENTID", total - left)]
        if filters.dedup == "url":
            con.execute("""CREATE OR REPLACE TEMP TABLE _gd_raw AS SELECT * FROM _gd_raw QUALIFY row_number() OVER
                           (PARTITION BY url_hash, date, a1, a2, cameo ORDER BY event_id) = 1""")
            after = con.execute("SELECT count(*) FROM _gd_raw").fetchone()[0]
            removed.append(("same URL, date, actors and event code under another id", left - after))
        return removed

    # ------------------------------------------------------------------ the pass

    def run(self, paths: str | Path | Iterable[str | Path], registry: Registry, source_name: str,
            rule: ActorRule = ActorRule(), filters: Filters = Filters(), progress=None,
            sink: EventSink | None = None) -> IngestResult:
        """Scan the files and produce the canonical tables.

        Args:
            paths: files, a directory or a glob.
            registry: the country registry.
            source_name: value of the ``source`` column.
            rule: actor mapping rule.
            filters: quality filters.
            progress: an optional ``rich.progress.Progress`` (one step per file).
            sink: where the events go, chunk by chunk (the store's table, inside its transaction); when
                omitted they come back as an Arrow stream in the result (consume it before :meth:`close`).

        Returns:
            The result: ``event_volume`` and ``event_coverage`` as frames; ``events`` as a stream or, when
            written directly, counted in ``written``.
        """
        files = expand(paths)
        con = self.con
        map_sql = rule.query("_gd_new", set(registry.states.code))  # compiled once for every chunk
        conds = _conditions(filters)
        own_sink = sink is None
        sink = sink or _TempSink(con)
        flag_cols = "".join(f", f{k} BOOLEAN" for k in range(len(conds)))
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _gd_cov (file INTEGER, added INTEGER, n BIGINT);
            CREATE OR REPLACE TEMP TABLE _gd_ids (lo BIGINT, hi BIGINT, n BIGINT, nd BIGINT);
            CREATE OR REPLACE TEMP TABLE _gd_pairs (a1 VARCHAR, a2 VARCHAR, ym INTEGER{flag_cols}, n BIGINT);
            CREATE OR REPLACE TEMP TABLE _gd_map (actor VARCHAR, code VARCHAR);
            CREATE OR REPLACE TEMP TABLE _gd_seen (actor VARCHAR)""")
        advance = _advancer(progress, len(files))
        collect = filters.dedup == "url"  # the URL rule compares rows across the whole input
        written = 0
        for chunk in self._chunks(files, filters.skip_bad_lines):
            i0 = len(self.files)
            into = "_gd_all" if collect else "_gd_raw"
            self._read(chunk, rule, filters.skip_bad_lines, into=into, append=collect and i0 > 0)
            self._check_days(i0)
            if not collect:
                if filters.dedup == "event_id":
                    self._count_ids()
                written += self._derive("_gd_raw", map_sql, conds, sink, source_name)
            advance(len(chunk))
        con.execute("DROP TABLE IF EXISTS temp._gd_raw")
        if not collect and filters.dedup == "event_id" and self._ids_repeat():
            # Rare (the same file twice): start again keeping every row, then de-duplicate exactly.
            sink.clear()
            con.execute("DELETE FROM _gd_pairs; DELETE FROM _gd_cov")
            self.files, collect, written = [], True, 0
            for chunk in self._chunks(files, filters.skip_bad_lines):
                self._read(chunk, rule, filters.skip_bad_lines, into="_gd_all", append=bool(self.files))
        removed: list[tuple[str, int]] = []
        if collect:
            removed = self._dedup(filters)
            written = self._derive("_gd_raw", map_sql, conds, sink, source_name)
            con.execute("DROP TABLE temp._gd_raw")
        elif filters.dedup == "event_id":
            removed = [("duplicate GLOBALEVENTID", 0)]
        return self._result(source_name, rule, filters, conds, removed, written, own_sink)

    def _result(self, source_name: str, rule: ActorRule, filters: Filters, conds: list[tuple[str, str]],
                removed: list[tuple[str, int]], written: int, own_sink: bool) -> IngestResult:
        con = self.con
        total = sum(f[2] for f in self.files)
        skipped = sum(f[3] for f in self.files)
        notes = [f"{len(self.files)} file(s), {total:,} rows read"
                 + (f"; {skipped:,} unparseable line(s) skipped" if filters.skip_bad_lines else "")]
        notes += [f"filter '{label}': {n:,} rows removed" for label, n in removed]
        left = total - sum(n for _, n in removed)
        if conds:
            # Each filter is reported with the rows it removes after the ones before it.
            parts = [f"coalesce(sum(n) FILTER ({' AND '.join(f'f{j}' for j in range(k + 1))}), 0)"
                     for k in range(len(conds))]
            for (label, _), after in zip(conds, con.execute(f"SELECT {', '.join(parts)} FROM _gd_pairs").fetchone()):
                notes.append(f"filter '{label}': {left - after:,} rows removed")
                left = after
        kept = "SELECT * FROM _gd_pairs" + (f" WHERE {' AND '.join(f'f{k}' for k in range(len(conds)))}"
                                             if conds else "")
        con.execute(f"""CREATE OR REPLACE TEMP VIEW _gd_kept AS SELECT p.a1, p.a2, p.ym, p.n, m1.code AS c1,
            m2.code AS c2 FROM ({kept}) p LEFT JOIN _gd_map m1 ON p.a1 = m1.actor
            LEFT JOIN _gd_map m2 ON p.a2 = m2.actor""")
        s2s, within = con.execute("""SELECT coalesce(sum(n) FILTER (c1 <> c2), 0),
                                            coalesce(sum(n) FILTER (c1 = c2), 0) FROM _gd_kept""").fetchone()
        un = con.execute("""SELECT coalesce(nullif(actor, ''), '<empty>') AS actor, sum(n) AS n FROM (
            SELECT a1 AS actor, n FROM _gd_kept WHERE c1 IS NULL UNION ALL SELECT a2, n FROM _gd_kept WHERE c2 IS NULL)
            GROUP BY 1 ORDER BY n DESC, actor""").fetchall()
        unmapped = {str(k): int(v) for k, v in un[:500]}
        empty = sum(int(v) for k, v in un if k == "<empty>")
        notes.append(
            f"actor rule '{rule.mode}'" + (f" (roles {', '.join(rule.roles)})" if rule.mode == "state_roles" else "")
            + f": {s2s:,} state-to-state events kept; {within:,} within one state and {left - s2s - within:,} with "
            f"a non-state, unmapped or missing actor left out ({empty:,} actor slots empty, "
            f"{len(un) - (1 if empty else 0):,} distinct unmapped codes; the most frequent are listed as unmapped)")
        volume = con.execute(f"""
            SELECT '{source_name}' AS source, make_date(ym // 100, ym % 100, 1) AS month, code, sum(n)::BIGINT AS events
            FROM (SELECT ym, c1 AS code, n FROM _gd_kept WHERE c1 IS NOT NULL
                  UNION ALL SELECT ym, c2, n FROM _gd_kept WHERE c2 IS NOT NULL AND c2 IS DISTINCT FROM c1)
            GROUP BY ALL""").df()
        coverage = con.execute(f"""
            SELECT '{source_name}' AS source, make_date(added // 10000, added // 100 % 100, added % 100) AS day,
                   count(DISTINCT file)::INTEGER AS files, sum(n)::BIGINT AS rows
            FROM _gd_cov GROUP BY added""").df()
        tables: dict = {"event_volume": volume, "event_coverage": coverage}
        if own_sink:
            tables["events"] = con.execute("SELECT * FROM _gd_events").fetch_record_batch(1 << 17)
            return IngestResult(tables, unmapped, notes)
        return IngestResult(tables, unmapped, notes, written={"events": int(written)})


def _advancer(progress, total: int) -> Callable[[int], None]:
    if progress is None:
        return lambda k: None
    task = progress.add_task("read GDELT files", total=total)
    return lambda k: progress.advance(task, k)


def scan_files(paths: str | Path | Iterable[str | Path], registry: Registry, source_name: str,
               rule: ActorRule = ActorRule(), filters: Filters = Filters(), progress=None,
               scan: EventScan | None = None) -> IngestResult:
    """Read GDELT event files (any mix of 1.0 and 2.0, plain, .gz or .zip) into canonical tables.

    The arguments are those of :meth:`EventScan.run`, plus ``scan`` (kept open by the caller while the
    ``events`` stream is consumed); without ``progress`` a transient bar is shown.

    Returns:
        An :class:`IngestResult` whose ``events`` table is an Arrow record-batch stream.
    """
    scan = scan or EventScan()
    own_bar = progress is None
    if own_bar:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=True)
        progress.start()
    try:
        return scan.run(paths, registry, source_name, rule, filters, progress)
    finally:
        if own_bar:
            progress.stop()
