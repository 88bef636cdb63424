"""GDELT event exports: 1.0 daily files (58 columns) and 2.0 15-minute files (61 columns).

Both are tab-separated with no header, published as ``.zip`` (``YYYYMMDD.export.CSV.zip`` for 1.0,
``YYYYMMDDHHMMSS.export.CSV.zip`` for 2.0). Files are read one at a time by DuckDB's CSV reader with
explicit column types, so memory is bounded by DuckDB's limit, not by the input: a zip member is streamed
to a temporary file first (DuckDB cannot read inside a zip), a ``.gz`` or plain file is read in place.

Canonical tables (see docs/sources/gdelt.md):

- ``events``: one row per event whose two actors both map to a state (state-to-state events), after the
  quality filters. ``date`` is the event date (SQLDATE), ``added`` the day GDELT published it (DATEADDED).
- ``event_volume``: per state and month (of ``added``), events after the filters in which the state is
  either actor, whoever the other actor is: the denominator for normalised indicators.
- ``event_coverage``: days (of ``added``) for which rows were read, with the number of files and rows,
  so months without any file are missing, not zero.

Actor mapping (:class:`ActorRule`): GDELT actor codes are CAMEO codes, a three-letter country code (ISO3)
followed by role codes (``CHNGOV``, ``RUSMIL``). By default a code counts as its state when the prefix is a
state code in the registry and every following role is a state organ (GOV, MIL, LEG, JUD, COP, SPY);
``mode="bare"`` keeps only bare codes (``CHN``, the daily country graph's rule); ``mode="country"`` uses
GDELT's ActorCountryCode field (any actor of that country, media and firms included).
"""

from __future__ import annotations

import glob as globmod
import os
import re
import shutil
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal

import duckdb
import pandas as pd

from dyadic.errors import RequestError, SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry

HOMEPAGE = "https://www.gdeltproject.org/data.html"
CITATION = (
    "Leetaru, K. & Schrodt, P. A. (2013). GDELT: Global Data on Events, Location and Tone, 1979-2012. "
    "ISA Annual Convention. The GDELT Project, GDELT 1.0 / 2.0 Event Database (data.gdeltproject.org)."
)
LICENCE = "GDELT terms of use: free and open for any use with attribution to the GDELT Project"

_ACTOR = ["Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code", "Religion2Code",
          "Type1Code", "Type2Code", "Type3Code"]
_GEO = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
_GEO_TYPES = {"Type": "TINYINT", "Lat": "DOUBLE", "Long": "DOUBLE"}


def _columns(adm2: bool) -> dict[str, str]:
    cols = {"GLOBALEVENTID": "BIGINT", "SQLDATE": "DATE", "MonthYear": "INTEGER", "Year": "SMALLINT",
            "FractionDate": "DOUBLE"}
    for a in ("Actor1", "Actor2"):
        cols.update({f"{a}{f}": "VARCHAR" for f in _ACTOR})
    cols.update({"IsRootEvent": "BOOLEAN", "EventCode": "VARCHAR", "EventBaseCode": "VARCHAR",
                 "EventRootCode": "VARCHAR", "QuadClass": "TINYINT", "GoldsteinScale": "DOUBLE",
                 "NumMentions": "INTEGER", "NumSources": "INTEGER", "NumArticles": "INTEGER", "AvgTone": "DOUBLE"})
    for g in ("Actor1Geo", "Actor2Geo", "ActionGeo"):
        cols.update({f"{g}_{f}": _GEO_TYPES.get(f, "VARCHAR") for f in _GEO if adm2 or f != "ADM2Code"})
    cols.update({"DATEADDED": "BIGINT", "SOURCEURL": "VARCHAR"})
    return cols


#: GDELT 2.0 event export (codebook V2.0, 2015): 61 columns, DATEADDED = YYYYMMDDHHMMSS.
GDELT2_COLUMNS = _columns(adm2=True)
#: GDELT 1.0 daily files since 1 April 2013: 58 columns (no ADM2Code), DATEADDED = YYYYMMDD.
GDELT1_COLUMNS = _columns(adm2=False)
LAYOUTS = {len(GDELT1_COLUMNS): ("gdelt1", GDELT1_COLUMNS), len(GDELT2_COLUMNS): ("gdelt2", GDELT2_COLUMNS)}

#: CAMEO actor role codes that denote organs of the state (CAMEO manual 1.1b3, ch. 3).
STATE_ROLES = ("GOV", "MIL", "LEG", "JUD", "COP", "SPY")

EVENTS_DDL = (
    "source VARCHAR, dataset VARCHAR, event_id BIGINT, date DATE, added DATE, src VARCHAR, tgt VARCHAR, "
    "src_actor VARCHAR, tgt_actor VARCHAR, cameo VARCHAR, base VARCHAR, root VARCHAR, quad_class TINYINT, "
    "goldstein DOUBLE, mentions INTEGER, sources INTEGER, articles INTEGER, tone DOUBLE, is_root BOOLEAN, "
    "url_hash UBIGINT"
)
VOLUME_DDL = "source VARCHAR, month DATE, code VARCHAR, events BIGINT"
COVERAGE_DDL = "source VARCHAR, day DATE, files INTEGER, rows BIGINT"
EVENT_SCHEMA = {"events": EVENTS_DDL, "event_volume": VOLUME_DDL, "event_coverage": COVERAGE_DDL}


@dataclass(frozen=True)
class ActorRule:
    """How a GDELT actor is counted as a state.

    Args:
        mode: ``state_roles`` (prefix is a state, every further role in ``roles``), ``bare`` (the code is
            exactly a state code) or ``country`` (GDELT's ActorCountryCode, any actor of that country).
        roles: role codes that keep an actor a state actor under ``state_roles``.
    """

    mode: Literal["state_roles", "bare", "country"] = "state_roles"
    roles: tuple[str, ...] = STATE_ROLES

    def __post_init__(self):
        if self.mode not in ("state_roles", "bare", "country"):
            raise RequestError(f"actor rule must be state_roles, bare or country, not '{self.mode}'")

    def map(self, codes: Iterable[str], states: set[str]) -> dict[str, str]:
        """Code -> state for every code the rule accepts."""
        out = {}
        for code in codes:
            if not code or len(code) < 3 or code[:3] not in states:
                continue
            rest = code[3:]
            if self.mode == "country" and not rest:
                out[code] = code
            elif self.mode == "bare" and not rest:
                out[code] = code
            elif self.mode == "state_roles" and len(rest) % 3 == 0 and all(
                    rest[i:i + 3] in self.roles for i in range(0, len(rest), 3)):
                out[code] = code[:3]
        return out


@dataclass(frozen=True)
class Filters:
    """Quality filters, each reported with the rows it removed.

    Args:
        dedup: ``event_id`` keeps one row per GLOBALEVENTID (the same file read twice, overlapping
            downloads); ``url`` also keeps one row per (SOURCEURL, date, actors, event code), the same
            article coded again under another id; ``none`` keeps every row.
        min_sources: drop events reported by fewer sources (NumSources).
        min_articles: drop events reported in fewer articles (NumArticles).
        root_only: keep only root events (IsRootEvent = 1: the event of the article's lead paragraph).
        skip_bad_lines: skip lines that cannot be parsed (counted and reported) instead of failing.
    """

    dedup: Literal["event_id", "url", "none"] = "event_id"
    min_sources: int = 1
    min_articles: int = 1
    root_only: bool = False
    skip_bad_lines: bool = False

    def __post_init__(self):
        if self.dedup not in ("event_id", "url", "none"):
            raise RequestError(f"dedup must be event_id, url or none, not '{self.dedup}'")


# ---------------------------------------------------------------------------------------------- files

def expand(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files named by a path, a directory (its export files) or a glob, in name order."""
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and re.search(r"export\.csv(\.zip|\.gz)?$", q.name, re.I))
        elif any(ch in str(item) for ch in "*?["):
            out += sorted(Path(q) for q in globmod.glob(str(item)))
        else:
            out.append(p)
    if not out:
        raise SourceFormatError(f"no GDELT export files found at {paths}")
    missing = [str(p) for p in out if not p.is_file()]
    if missing:
        raise SourceFormatError(f"not found: {', '.join(missing[:5])}")
    return list(dict.fromkeys(out))


@contextmanager
def plain_file(path: Path, workdir: Path) -> Iterator[Path]:
    """The path of a plain-text version of ``path``: zip members are streamed to ``workdir``."""
    if path.suffix.lower() != ".zip":
        yield path
        return
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise SourceFormatError(f"{path}: expected one export file inside the zip, found {len(members)}.")
            # Unique name: a batch may hold members of the same name from different zips (the same file twice).
            fd, tmpname = tempfile.mkstemp(prefix="unzip-", suffix="-" + Path(members[0].filename).name, dir=workdir)
            os.close(fd)
            dest = Path(tmpname)
            with zf.open(members[0]) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise SourceFormatError(
            f"{path}: cannot be unzipped ({exc}). The file is truncated or corrupt: delete it and download it "
            f"again from {HOMEPAGE} (or with 'dyadic gdelt download')."
        ) from exc
    try:
        yield dest
    finally:
        dest.unlink(missing_ok=True)


def layout_of(path: Path, shown: Path) -> tuple[str, dict[str, str]]:
    """Which GDELT layout a plain file follows, from the field count of its first line."""
    opener = __import__("gzip").open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            first = fh.readline()
    except (OSError, EOFError) as exc:
        raise SourceFormatError(f"{shown}: cannot be read ({exc}). Download it again from {HOMEPAGE}.") from exc
    if not first.strip():
        raise SourceFormatError(f"{shown}: is empty. Download it again from {HOMEPAGE}.")
    n = first.rstrip("\r\n").count("\t") + 1
    if n not in LAYOUTS:
        raise SourceFormatError(
            f"{shown}: line 1 has {n} tab-separated fields; a GDELT 1.0 event file has 58 and a 2.0 export 61. "
            "Is this an event export (not a mentions or GKG file)?")
    return LAYOUTS[n]


def read_csv_sql(path: Path | list[Path], columns: dict[str, str], skip_bad_lines: bool = False,
                 tag: str = "") -> str:
    """The DuckDB ``read_csv`` call for one GDELT file (or several of one layout) with every column typed.

    GDELT 1.0 files may hold rows of the 1979-March 2013 backfile layout, which lacks SOURCEURL (57
    fields): those lines are padded with a missing URL and checked after reading (see ``EventScan.add``).
    """
    pad = len(columns) == len(GDELT1_COLUMNS)
    paths = path if isinstance(path, list) else [path]
    esc = ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths)
    opts = (f"delim='\t', header=false, quote='', escape='', auto_detect=false, columns={columns!r}, "
            f"dateformat='%Y%m%d', null_padding={str(pad).lower()}")
    if skip_bad_lines:
        opts += f", ignore_errors=true, store_rejects=true, rejects_table='rej_{tag}', rejects_scan='rejscan_{tag}'"
    return f"read_csv([{esc}], {opts})"


def events_relation(con: duckdb.DuckDBPyConnection, path: str | Path) -> duckdb.DuckDBPyRelation:
    """All columns of one GDELT event file (1.0 or 2.0, plain, .gz or .zip), typed, as a DuckDB relation.

    Zip files are extracted to a temporary folder that lives as long as the process; use
    :func:`scan_files` for ingest.
    """
    path = Path(path)
    work = Path(tempfile.mkdtemp(prefix="dyadic-gdelt-"))
    with plain_file(path, work) as plain:
        _, cols = layout_of(plain, path)
        keep = work / (plain.name + ".keep")
        if plain != path:
            os.replace(plain, keep)
            plain = keep
        return con.sql(f"SELECT * FROM {read_csv_sql(plain, cols)}")


def format_error(exc: duckdb.Error, shown: Path, skip_hint: bool = True) -> SourceFormatError:
    """A DuckDB CSV error as one message naming the file, the line and the fault."""
    msg = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", msg)
    fault = re.search(r"(Expected Number of Columns: \d+ Found: \d+)", msg) or \
        re.search(r'(Error when converting column "\w+"\. Could not convert string "[^"]*" to \'\w+\')', msg)
    where = f"line {line.group(1)}" if line else "a line"
    what = fault.group(1) if fault else msg.splitlines()[0]
    hint = " or pass skip_bad_lines (CLI: --skip-bad-lines) to skip and count such lines" if skip_hint else ""
    return SourceFormatError(
        f"{shown}: {where}: {what}. The file is truncated or corrupt: download it again from {HOMEPAGE}{hint}.")


# ---------------------------------------------------------------------------------------------- scan

RAW_DDL = ("dataset VARCHAR, file INTEGER, event_id BIGINT, date DATE, added INTEGER, a1 VARCHAR, a2 VARCHAR, "
           "a1c VARCHAR, a2c VARCHAR, is_root BOOLEAN, cameo VARCHAR, base VARCHAR, root VARCHAR, "
           "quad_class TINYINT, goldstein DOUBLE, mentions INTEGER, sources INTEGER, articles INTEGER, "
           "tone DOUBLE, url_hash UBIGINT")


#: Zip files unpacked (to the scan's temporary folder) and read together in one scan.
ZIP_BATCH = 8


def _raw_select(dataset: str, file_expr: str) -> str:
    """The projection of a GDELT ``read_csv`` onto the ``raw`` staging table."""
    return f"""SELECT '{dataset}', {file_expr}, GLOBALEVENTID, SQLDATE,
        CASE WHEN DATEADDED >= 10000000000000 THEN DATEADDED // 1000000 ELSE DATEADDED END, Actor1Code,
        Actor2Code, Actor1CountryCode, Actor2CountryCode, IsRootEvent, EventCode, EventBaseCode,
        EventRootCode, QuadClass, GoldsteinScale, NumMentions, NumSources, NumArticles, AvgTone,
        CASE WHEN SOURCEURL IS NOT NULL THEN hash(SOURCEURL) END"""


class EventScan:
    """Reads GDELT files into a private, disk-backed DuckDB table, then derives the canonical tables.

    Args:
        memory_limit: DuckDB memory limit for the scan; beyond it DuckDB spills to a temporary folder.
        threads: DuckDB threads (default: DuckDB's choice).
    """

    def __init__(self, memory_limit: str = "512MB", threads: int | None = None):
        self.tmp = tempfile.TemporaryDirectory(prefix="dyadic-gdelt-")
        cfg = {"memory_limit": memory_limit, "temp_directory": self.tmp.name, "preserve_insertion_order": False}
        if threads:
            cfg["threads"] = threads
        self.con = duckdb.connect(config=cfg)
        self.con.execute(f"CREATE TABLE raw ({RAW_DDL})")
        self.files: list[tuple[str, str, int, int]] = []  # path, dataset, rows, skipped

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def add_many(self, paths: Iterable[Path], skip_bad_lines: bool = False,
                 advance: Callable[[], None] | None = None) -> None:
        """Append the rows of several files, reading runs of files of one layout in one parallel scan.

        One ``read_csv`` over many files lets DuckDB keep every core busy across file boundaries; reading
        file by file costs about twice as much. Zip members are unpacked ``ZIP_BATCH`` at a time, so the
        disk space used stays bounded. With ``skip_bad_lines`` files are read one at a time, so each
        file's skipped lines are counted on their own.

        Args:
            paths: the files, in order.
            skip_bad_lines: skip and count lines that cannot be parsed.
            advance: called once per file read (progress).
        """
        if skip_bad_lines:
            for path in paths:
                self.add(path, True)
                if advance:
                    advance()
            return
        work = Path(self.tmp.name)
        batch: list[tuple] = []  # (path, plain path, dataset, columns, unzip context)

        def flush():
            n = len(batch)
            try:
                self._add_batch([b[:4] for b in batch])
            finally:
                while batch:
                    batch.pop()[4].__exit__(None, None, None)
            for _ in range(n if advance else 0):
                advance()

        try:
            for path in paths:
                if sum(1 for b in batch if b[0] != b[1]) >= ZIP_BATCH:
                    flush()
                ctx = plain_file(path, work)
                plain = ctx.__enter__()
                try:
                    dataset, cols = layout_of(plain, path)
                except BaseException:
                    ctx.__exit__(None, None, None)
                    raise
                if batch and batch[0][2] != dataset:
                    flush()
                batch.append((path, plain, dataset, cols, ctx))
            if batch:
                flush()
        finally:
            while batch:
                batch.pop()[4].__exit__(None, None, None)

    def _add_batch(self, batch: list[tuple[Path, Path, str, dict]]) -> None:
        """Read files of one layout in one scan; on a parse error, find and name the faulty file."""
        i0 = len(self.files)
        dataset, cols = batch[0][2], batch[0][3]
        src = read_csv_sql([plain for _, plain, _, _ in batch], cols)
        try:
            self.con.execute(f"INSERT INTO raw {_raw_select(dataset, f'{i0} + file_index')} FROM {src}")
        except duckdb.Error:
            # The failed statement wrote nothing: read file by file to report the first faulty one exactly.
            for path, plain, _, _ in batch:
                self._add_plain(path, plain, dataset, cols, False)
            raise
        counts = dict(self.con.execute(f"SELECT file, count(*) FROM raw WHERE file >= {i0} GROUP BY file").fetchall())
        for k, (path, _, _, _) in enumerate(batch):
            self.files.append((str(path), dataset, int(counts.get(i0 + k, 0)), 0))
        if dataset == "gdelt1":
            self._check_short(i0, i0 + len(batch) - 1)

    def _check_short(self, first: int, last: int) -> None:
        short = self.con.execute(f"""SELECT file, event_id, added IS NULL FROM raw WHERE file BETWEEN {first} AND
            {last} AND (added IS NULL OR (url_hash IS NULL AND added >= 20130401)) LIMIT 1""").fetchone()
        if short:
            what = "fewer than 57 fields" if short[2] else "57 fields (no SOURCEURL) after March 2013"
            raise SourceFormatError(
                f"{self.files[short[0]][0]}: the line of event {short[1]} has {what}; GDELT 1.0 lines have 58 "
                f"fields (57 in the pre-April-2013 backfiles). The file is truncated or corrupt: download it "
                f"again from {HOMEPAGE}.")

    def add(self, path: Path, skip_bad_lines: bool = False) -> int:
        """Append one file's rows; returns rows read. Raises SourceFormatError naming the file."""
        with plain_file(path, Path(self.tmp.name)) as plain:
            dataset, cols = layout_of(plain, path)
            return self._add_plain(path, plain, dataset, cols, skip_bad_lines)

    def _add_plain(self, path: Path, plain: Path, dataset: str, cols: dict, skip_bad_lines: bool) -> int:
        i = len(self.files)
        src = read_csv_sql(plain, cols, skip_bad_lines, tag=str(i))
        try:
            n = self.con.execute(f"INSERT INTO raw {_raw_select(dataset, str(i))} FROM {src}").fetchone()[0]
        except duckdb.Error as exc:
            raise format_error(exc, path) from exc
        skipped = 0
        if skip_bad_lines:
            skipped = self.con.execute(f"SELECT count(DISTINCT line) FROM rej_{i}").fetchone()[0]
            self.con.execute(f"DROP TABLE rej_{i}; DROP TABLE rejscan_{i}")
        self.files.append((str(path), dataset, int(n), int(skipped)))
        if dataset == "gdelt1":
            self._check_short(i, i)
        return int(n)

    def finish(self, source_name: str, registry: Registry, rule: ActorRule, filters: Filters) -> IngestResult:
        """Apply the filters and the actor rule; return the canonical tables (``events`` as a stream)."""
        con = self.con
        notes: list[str] = []
        total = con.execute("SELECT count(*) FROM raw").fetchone()[0]
        skipped = sum(f[3] for f in self.files)
        notes.append(f"{len(self.files)} file(s), {total:,} rows read"
                     + (f"; {skipped:,} unparseable line(s) skipped" if filters.skip_bad_lines else ""))
        # A bad DATEADDED makes the coverage unknowable, so it fails rather than being dropped. Only the
        # distinct days are parsed: a handful, whatever the number of rows.
        con.execute("""CREATE TEMP TABLE days AS SELECT added AS ymd, min(file) AS file,
                       try_strptime(CAST(added AS VARCHAR), '%Y%m%d')::DATE AS day FROM raw GROUP BY added""")
        bad = con.execute("SELECT file, ymd FROM days WHERE day IS NULL LIMIT 1").fetchone()
        if bad:
            raise SourceFormatError(f"{self.files[bad[0]][0]}: DATEADDED '{bad[1]}' is not a date (YYYYMMDD or "
                                    "YYYYMMDDHHMMSS). Download the file again.")
        # Every day is valid now, so arithmetic converts it: cheaper than joining every row to ``days``.
        con.execute("""CREATE TEMP VIEW dated AS SELECT r.* REPLACE (
                           make_date(added // 10000, added // 100 % 100, added % 100) AS added) FROM raw r""")

        keep = "dated"
        if filters.dedup in ("event_id", "url"):
            # Duplicated ids are rare (the same file twice): copy the table only when there are some.
            dups = con.execute("SELECT count(*) - count(DISTINCT event_id) FROM raw").fetchone()[0]
            if dups:
                con.execute("""CREATE TEMP TABLE f_id AS SELECT * FROM dated QUALIFY row_number() OVER
                               (PARTITION BY event_id ORDER BY added DESC, file DESC) = 1""")
                keep = "f_id"
            notes.append(f"filter 'duplicate GLOBALEVENTID': {dups:,} rows removed")
        n_before = con.execute(f"SELECT count(*) FROM {keep}").fetchone()[0] if keep != "dated" else total
        if filters.dedup == "url":
            con.execute(f"""CREATE TEMP TABLE f_url AS SELECT * FROM {keep} QUALIFY row_number() OVER
                            (PARTITION BY url_hash, date, a1, a2, cameo ORDER BY event_id) = 1""")
            keep = "f_url"
            n_after = con.execute(f"SELECT count(*) FROM {keep}").fetchone()[0]
            notes.append(f"filter 'same URL, date, actors and event code under another id': "
                         f"{n_before - n_after:,} rows removed")
            n_before = n_after
        conds = []
        if filters.min_sources > 1:
            conds.append((f"fewer than {filters.min_sources} sources", f"sources >= {int(filters.min_sources)}"))
        if filters.min_articles > 1:
            conds.append((f"fewer than {filters.min_articles} articles", f"articles >= {int(filters.min_articles)}"))
        if filters.root_only:
            conds.append(("not a root event", "is_root"))
        if conds:
            # Each filter is reported with the rows it removes after the ones before it.
            parts = [f"count(*) FILTER ({' AND '.join(c for _, c in conds[:k + 1])})" for k in range(len(conds))]
            left = con.execute(f"SELECT {', '.join(parts)} FROM {keep}").fetchone()
            for (label, _), n_after in zip(conds, left):
                notes.append(f"filter '{label}': {n_before - n_after:,} rows removed")
                n_before = n_after
            con.execute(f"CREATE TEMP VIEW kept AS SELECT * FROM {keep} WHERE {' AND '.join(c for _, c in conds)}")
            keep = "kept"

        a1, a2 = ("a1c", "a2c") if rule.mode == "country" else ("a1", "a2")
        slots = con.execute(f"""SELECT coalesce(nullif(actor, ''), '<empty>') AS actor, sum(n) AS n FROM (
            SELECT {a1} AS actor, count(*) AS n FROM {keep} GROUP BY 1
            UNION ALL SELECT {a2}, count(*) FROM {keep} GROUP BY 1) GROUP BY 1""").df()
        mapping = rule.map([c for c in slots.actor if c != "<empty>"], set(registry.states.code))
        con.execute("CREATE OR REPLACE TEMP TABLE actor_map (actor VARCHAR, code VARCHAR)")
        if mapping:
            con.executemany("INSERT INTO actor_map VALUES (?, ?)", list(mapping.items()))
        # One join pass keeps the rows with at least one state actor (a minority); the counts, the volume and
        # the events below read that small table instead of joining every row again.
        con.execute(f"""CREATE TEMP TABLE mapped AS SELECT k.* EXCLUDE (a1, a2, a1c, a2c, file), m1.code AS src,
                        m2.code AS tgt, k.{a1} AS src_actor, k.{a2} AS tgt_actor
                        FROM {keep} k LEFT JOIN actor_map m1 ON k.{a1} = m1.actor
                        LEFT JOIN actor_map m2 ON k.{a2} = m2.actor
                        WHERE m1.code IS NOT NULL OR m2.code IS NOT NULL""")
        # Unmapped: actor slots (as found in the file) that no rule maps to a state.
        un = slots[~slots.actor.isin(list(mapping))].sort_values("n", ascending=False)
        unmapped = {str(k): int(v) for k, v in zip(un.actor.head(500), un.n.head(500))}
        stats = con.execute("""SELECT count(*) FILTER (src IS NOT NULL AND tgt IS NOT NULL AND src <> tgt),
                                      count(*) FILTER (src IS NOT NULL AND src = tgt)
                               FROM mapped""").fetchone()
        stats = (*stats, n_before - stats[0] - stats[1])  # the rest have at least one actor that is no state
        empty = int(un.n[un.actor == "<empty>"].sum())
        notes.append(
            f"actor rule '{rule.mode}'" + (f" (roles {', '.join(rule.roles)})" if rule.mode == "state_roles" else "")
            + f": {stats[0]:,} state-to-state events kept; {stats[1]:,} within one state and {stats[2]:,} with a "
            f"non-state, unmapped or missing actor left out ({empty:,} actor slots empty, "
            f"{len(un) - (1 if empty else 0):,} distinct unmapped codes; the most frequent are listed as unmapped)")

        volume = con.execute(f"""
            SELECT '{source_name}' AS source, date_trunc('month', added)::DATE AS month, code, count(*) AS events
            FROM (SELECT added, src AS code FROM mapped WHERE src IS NOT NULL
                  UNION ALL SELECT added, tgt FROM mapped WHERE tgt IS NOT NULL AND tgt IS DISTINCT FROM src)
            GROUP BY ALL""").df()
        coverage = con.execute(f"""
            SELECT '{source_name}' AS source, added AS day, count(DISTINCT file)::INTEGER AS files, count(*) AS rows
            FROM dated GROUP BY added""").df()
        events = con.execute(f"""
            SELECT '{source_name}' AS source, dataset, event_id, date, added, src, tgt, src_actor, tgt_actor, cameo,
                   base, root, quad_class, goldstein, mentions, sources, articles, tone, is_root, url_hash
            FROM mapped WHERE src IS NOT NULL AND tgt IS NOT NULL AND src <> tgt""").fetch_record_batch(1 << 17)
        return IngestResult({"events": events, "event_volume": volume, "event_coverage": coverage}, unmapped, notes)


def scan_files(paths: str | Path | Iterable[str | Path], registry: Registry, source_name: str,
               rule: ActorRule = ActorRule(), filters: Filters = Filters(), progress=None,
               scan: EventScan | None = None) -> IngestResult:
    """Read GDELT event files (any mix of 1.0 and 2.0, plain, .gz or .zip) into canonical tables.

    Args:
        paths: files, a directory or a glob.
        registry: the country registry.
        source_name: value of the ``source`` column.
        rule: actor mapping rule.
        filters: quality filters.
        progress: an optional ``rich.progress.Progress``; else a transient bar is shown for several files.
        scan: an :class:`EventScan` to use (kept open by the caller while ``events`` is consumed).

    Returns:
        An :class:`IngestResult` whose ``events`` table is an Arrow record-batch stream; consume it before
        closing ``scan``.
    """
    files = expand(paths)
    scan = scan or EventScan()
    own_bar = progress is None and len(files) > 1
    if own_bar:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=True)
        progress.start()
    try:
        task = progress.add_task("read GDELT files", total=len(files)) if progress else None
        scan.add_many(files, filters.skip_bad_lines, (lambda: progress.advance(task)) if progress else None)
    finally:
        if own_bar:
            progress.stop()
    return scan.finish(source_name, registry, rule, filters)


class GdeltRawSamples(Source):
    """The staged real GDELT samples: one 2.0 15-minute export and a 710-row 1.0 sample."""

    name = "gdelt_raw_samples"
    title = "GDELT event exports (one 2.0 15-minute file; 710 rows of 1.0)"
    version = "2.0 export 20191024143000; 1.0 rows added 2013-02-03..2016-07-28"
    citation = CITATION
    licence = LICENCE
    homepage = HOMEPAGE
    files = (
        RemoteFile("20191024143000.export.CSV", "http://data.gdeltproject.org/gdeltv2/20191024143000.export.CSV.zip"),
        RemoteFile("gdelt_v1_events_sample_710rows.tsv",
                   "https://raw.githubusercontent.com/reed9999/gdelt-demo/61494a440c74df3b8f09bdb4a84744a3b3ce2c50/"
                   "data_related/sample_data/events.csv"),
    )
    schema = EVENT_SCHEMA
    rule = ActorRule()
    filters = Filters()

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        self._scan = EventScan()  # kept open until the store has consumed the event stream
        return scan_files([paths[f.name] for f in self.files if f.name in paths], registry, self.name,
                          self.rule, self.filters, scan=self._scan)


class GdeltEvents(Source):
    """GDELT event files downloaded with ``dyadic gdelt download`` (or put) in the cache folder ``gdelt_events/``.

    ``dyadic gdelt ingest PATHS`` ingests any other files under this source name.
    """

    name = "gdelt_events"
    title = "GDELT event exports (1.0 daily / 2.0 15-minute files)"
    version = "files as listed in the ingest record"
    citation = CITATION
    licence = LICENCE
    homepage = HOMEPAGE
    files = ()
    schema = EVENT_SCHEMA

    def __init__(self, paths: Iterable[str | Path] | str | None = None, rule: ActorRule = ActorRule(),
                 filters: Filters = Filters()):
        self.paths = paths
        self.rule = rule
        self.filters = filters

    def locate(self, settings, download: bool = True, fetch=None) -> dict[str, Path]:
        if self.paths is not None:
            found = expand(self.paths)
        else:
            folder = settings.cache_dir / "sources" / self.name
            if not folder.is_dir() or not any(folder.iterdir()):
                from dyadic.errors import SourceMissingError
                raise SourceMissingError(
                    f"no GDELT files in {folder}: download a date range with 'dyadic gdelt download --from ... "
                    "--to ...', or ingest files with 'dyadic gdelt ingest PATHS'.")
            found = expand(folder)
        return {str(p): p for p in found}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        self._scan = EventScan()
        return scan_files(list(paths.values()), registry, self.name, self.rule, self.filters, scan=self._scan)


# ---------------------------------------------------------------------------------------------- download

MASTERFILELIST_V2 = "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"
LASTUPDATE_V2 = "http://data.gdeltproject.org/gdeltv2/lastupdate.txt"
INDEX_V1 = "http://data.gdeltproject.org/events/index.html"


@dataclass(frozen=True)
class IndexEntry:
    """One line of a GDELT file index (``masterfilelist.txt`` / ``lastupdate.txt``): size, MD5, URL."""

    size: int
    md5: str
    url: str

    @property
    def name(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    @property
    def stamp(self) -> str:
        return self.name.split(".", 1)[0]


def parse_index(text: str, where: str = "index") -> list[IndexEntry]:
    """Parse a GDELT 2.0 file index; lines that are not ``size md5 url`` raise a clear error."""
    out = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 3 or not parts[0].isdigit() or not re.fullmatch(r"[0-9a-f]{32}", parts[1]):
            raise SourceFormatError(f"{where}: line {i} is not 'size md5 url': {line[:120]!r}")
        out.append(IndexEntry(int(parts[0]), parts[1], parts[2]))
    return out


def select_exports(entries: Iterable[IndexEntry], start: str, end: str) -> list[IndexEntry]:
    """Event export files whose timestamp falls in [start, end] (dates as YYYY-MM-DD, YYYYMMDD or YYYY-MM)."""
    def key(s: str, hi: bool) -> str:
        d = re.sub(r"\D", "", s)
        if len(d) == 6:
            d += "31" if hi else "01"
        if len(d) != 8:
            raise RequestError(f"'{s}' is not a date (YYYY-MM-DD or YYYY-MM)")
        return d + ("235959" if hi else "000000")
    lo, hi = key(start, False), key(end, True)
    if lo > hi:
        raise RequestError(f"start {start} is after end {end}")
    return [e for e in entries if re.search(r"\.export\.csv\.zip$", e.name, re.I)
            and lo <= e.stamp.ljust(14, "0") <= hi]


def _get(url: str) -> bytes:
    if url.startswith("file://") or "://" not in url:
        return Path(url.removeprefix("file://")).read_bytes()
    import httpx
    from dyadic.errors import SourceMissingError
    try:
        r = httpx.get(url, follow_redirects=True, timeout=60)
        r.raise_for_status()
    except httpx.HTTPError as exc:
        raise SourceMissingError(f"could not download {url} ({exc}); check the network.") from exc
    return r.content


def download_range(start: str, end: str, dest: Path, index_url: str = MASTERFILELIST_V2,
                   get: Callable[[str], bytes] = _get) -> list[Path]:
    """Download the 2.0 event exports between two dates into ``dest`` (a cache), checking size and MD5.

    Files already present with the right size and MD5 are not fetched again; a file is written under a
    temporary name and renamed only when complete and verified.

    Args:
        start, end: first and last day (YYYY-MM-DD or YYYY-MM).
        dest: cache folder.
        index_url: the file index (``masterfilelist.txt``, ``lastupdate.txt`` or a local copy; http(s),
            ``file://`` or a path).
        get: fetches a URL's bytes (tests pass their own).

    Returns:
        Paths of the files for the range, in time order.
    """
    import hashlib

    entries = select_exports(parse_index(get(index_url).decode("utf-8", "replace"), index_url), start, end)
    if not entries:
        raise RequestError(f"the index {index_url} lists no event export between {start} and {end}")
    dest.mkdir(parents=True, exist_ok=True)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    out = []
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True) as bar:
        task = bar.add_task("download GDELT", total=len(entries))
        for e in entries:
            target = dest / e.name
            if not (target.is_file() and target.stat().st_size == e.size
                    and hashlib.md5(target.read_bytes()).hexdigest() == e.md5):
                url = e.url if "://" in e.url or Path(e.url).is_absolute() else str(Path(index_url).parent / e.url)
                data = get(url)
                if len(data) != e.size or hashlib.md5(data).hexdigest() != e.md5:
                    raise SourceFormatError(
                        f"{e.url}: got {len(data)} bytes with MD5 {hashlib.md5(data).hexdigest()}, the index says "
                        f"{e.size} bytes, MD5 {e.md5}. Nothing was saved; try again later.")
                tmp = target.with_name(f".{target.name}.part")
                tmp.write_bytes(data)
                os.replace(tmp, target)
            out.append(target)
            bar.advance(task)
    return out
