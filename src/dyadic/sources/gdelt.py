"""GDELT event exports: 1.0 daily files (58 columns) and 2.0 15-minute files (61 columns).

Both are tab-separated with no header, published as ``.zip`` (``YYYYMMDD.export.CSV.zip`` for 1.0,
``YYYYMMDDHHMMSS.export.CSV.zip`` for 2.0). DuckDB's CSV reader reads them with explicit column types: a
zip member is streamed to a temporary file first (DuckDB cannot read inside a zip), a ``.gz`` or plain file
is read in place. The streaming pass that turns files into the tables below is :mod:`dyadic.sources.gdelt_scan`.

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
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Literal

import duckdb

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

# The rules of the event job, as data: the embedded ingest (DuckDB SQL, sources/gdelt_scan.py) and the engine
# job (Ibis on DuckDB or Spark, indicators/events_engine.py) both build their queries from these.
#: canonical raw field -> GDELT column (the actors' columns are the rule's: :attr:`ActorRule.columns`)
RAW_FIELDS = {"event_id": "GLOBALEVENTID", "date": "SQLDATE", "is_root": "IsRootEvent", "cameo": "EventCode",
              "base": "EventBaseCode", "root": "EventRootCode", "quad_class": "QuadClass",
              "goldstein": "GoldsteinScale", "mentions": "NumMentions", "sources": "NumSources",
              "articles": "NumArticles", "tone": "AvgTone"}
#: DATEADDED is YYYYMMDDHHMMSS in GDELT 2.0 and YYYYMMDD in 1.0: a value at or above this is cut to its day
ADDED_TIMESTAMP = 10_000_000_000_000
#: de-duplication by GLOBALEVENTID keeps the row published last, then the one of the last file by name
DEDUP_ORDER = ("added", "file")

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
        bad = [r for r in self.roles if not re.fullmatch(r"[A-Z]{3}", r)]
        if bad:
            raise RequestError(f"actor roles are three-letter CAMEO role codes (GOV, MIL, ...), not {bad}")

    @property
    def columns(self) -> tuple[str, str]:
        """The GDELT columns read as the two actors (``country`` reads ActorCountryCode)."""
        return ("Actor1CountryCode", "Actor2CountryCode") if self.mode == "country" else ("Actor1Code", "Actor2Code")

    def query(self, table: str, states: Iterable[str]) -> str:
        """DuckDB SQL selecting ``code, state`` for every code in the ``code`` column of ``table`` that the
        rule accepts: :meth:`expr` compiled, so the ingest maps codes by the very expression an engine runs."""
        import ibis

        t = ibis.table({"code": "string"}, name=table)
        sql = ibis.to_sql(t.select("code", state=self.expr(t.code, states)), dialect="duckdb")
        return f"SELECT * FROM ({sql}) WHERE state IS NOT NULL"

    def map(self, codes: Iterable[str], states: set[str]) -> dict[str, str]:
        """Code -> state for every code the rule accepts (:meth:`query` on the codes given)."""
        import duckdb
        import pandas as pd

        given = pd.DataFrame({"code": pd.Series([c for c in dict.fromkeys(codes) if c], dtype="object")})
        if given.empty:
            return {}
        con = duckdb.connect()
        con.register("_codes", given)
        return dict(con.execute(self.query("_codes", states)).fetchall())

    def expr(self, code, states: Iterable[str]):
        """The rule as an Ibis expression over a column of codes: the state, or NULL (as :meth:`map`).

        Lets an engine map every row inside its query instead of first collecting the distinct codes.
        """
        import ibis

        prefix = code.substr(0, 3)
        if self.mode == "state_roles":
            ok = (code.length() >= 3) & prefix.isin(sorted(states)) & code.substr(3).re_search(
                "^(" + "|".join(self.roles) + ")*$")
        else:
            ok = (code.length() == 3) & code.isin(sorted(states))
        return ibis.ifelse(ok, prefix, ibis.null("string"))


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

    def row_rules(self) -> list[tuple[str, str, int | None]]:
        """(label, field, minimum) of each active row filter, in the order they are reported; a minimum of
        None means the field (a flag) must be true. Applied after the de-duplication."""
        out: list[tuple[str, str, int | None]] = []
        if self.min_sources > 1:
            out.append((f"fewer than {self.min_sources} sources", "sources", int(self.min_sources)))
        if self.min_articles > 1:
            out.append((f"fewer than {self.min_articles} articles", "articles", int(self.min_articles)))
        if self.root_only:
            out.append(("not a root event", "is_root", None))
        return out


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
    fields): those lines are padded with a missing URL and checked after reading (see ``EventScan._check_short``).
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


class EventSource(Source):
    """What GDELT sources share: the event schema, an actor rule and filters, BLAKE3 checksums, and a
    :meth:`write` that scans the files on a connection of its own and puts each chunk's state-to-state events
    straight into the store's table, inside the ingest transaction (the input can be hundreds of GB)."""

    citation = CITATION
    licence = LICENCE
    homepage = HOMEPAGE
    schema = EVENT_SCHEMA
    checksum = "blake3"
    rule: ActorRule = ActorRule()
    filters: Filters = Filters()
    progress = None

    def fingerprint(self) -> str:
        return f"{self.rule}|{self.filters}"

    def event_paths(self, paths: dict[str, Path]) -> list[Path]:
        return list(paths.values())

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        """The events as an Arrow stream, outside any store (the scan stays open in ``self._scan`` until the
        stream is consumed)."""
        from dyadic.sources.gdelt_scan import EventScan, scan_files

        self._scan = EventScan()
        return scan_files(self.event_paths(paths), registry, self.name, self.rule, self.filters, scan=self._scan)

    def write(self, con, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        from dyadic.sources.gdelt_scan import EventScan

        # Row order carries no meaning: without it DuckDB inserts in parallel. The store's own memory limit
        # (DuckDB's default: most of the RAM) would let its buffer pool grow with the input; while it ingests
        # it is held to STORE_MEMORY, so the peak stays flat whatever the input size.
        order, limit = con.execute("SELECT current_setting('preserve_insertion_order'), "
                                   "current_setting('memory_limit')").fetchone()
        con.execute(f"SET preserve_insertion_order = false; SET memory_limit = '{STORE_MEMORY}'")
        scan = EventScan(memory_limit=SCAN_MEMORY)
        try:
            return scan.run(self.event_paths(paths), registry, self.name, self.rule, self.filters, self.progress,
                            sink=_StoreSink(con, self.name))
        finally:
            scan.close()
            con.execute(f"SET preserve_insertion_order = {str(bool(order)).lower()}; SET memory_limit = '{limit}'")


class GdeltRawSamples(EventSource):
    """The staged real GDELT samples: one 2.0 15-minute export and a 710-row 1.0 sample."""

    name = "gdelt_raw_samples"
    title = "GDELT event exports (one 2.0 15-minute file; 710 rows of 1.0)"
    version = "2.0 export 20191024143000; 1.0 rows added 2013-02-03..2016-07-28"
    files = (
        RemoteFile("20191024143000.export.CSV", "http://data.gdeltproject.org/gdeltv2/20191024143000.export.CSV.zip"),
        RemoteFile("gdelt_v1_events_sample_710rows.tsv",
                   "https://raw.githubusercontent.com/reed9999/gdelt-demo/61494a440c74df3b8f09bdb4a84744a3b3ce2c50/"
                   "data_related/sample_data/events.csv"),
    )

    def event_paths(self, paths: dict[str, Path]) -> list[Path]:
        return [paths[f.name] for f in self.files if f.name in paths]


class GdeltEvents(EventSource):
    """GDELT event files downloaded with ``dyadic gdelt download`` (or put) in the cache folder ``gdelt_events/``,
    or any files given (``dyadic gdelt ingest PATHS``), ingested under this source name or another.

    Args:
        paths: the files (a list, a folder or a glob); None for the cache folder.
        rule: actor mapping rule.
        filters: quality filters.
        name: the source name the rows are kept under (re-ingesting it replaces them).
        checksum: ``blake3``, or ``size`` to record only sizes (saves a pass over very large inputs).
    """

    name = "gdelt_events"
    title = "GDELT event exports (1.0 daily / 2.0 15-minute files)"
    version = "files as listed in the ingest record"
    files = ()

    def __init__(self, paths: Iterable[str | Path] | str | None = None, rule: ActorRule = ActorRule(),
                 filters: Filters = Filters(), name: str | None = None, checksum: str = "blake3"):
        self.paths = paths
        self.rule = rule
        self.filters = filters
        if name:
            self.name = name
        self.checksum = checksum

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
