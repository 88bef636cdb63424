"""Live updates: fetch a source's newest release from its publisher instead of the pinned snapshot.

A connector's :attr:`Source.files` point at a frozen snapshot (often a third-party mirror) so that ingest is
reproducible. An :class:`Updater` knows the publisher's own service: :meth:`Updater.latest` asks it which
release is current (a :class:`Release`: label, as-of date, files with the publisher's checksums) and
:meth:`Updater.fetch` downloads that release's files, checked, in the layout the connector reads. The store
is touched only by :func:`dyadic.store.ingest_source`, through :func:`live_source`, so a release replaces
the source atomically and only when its files changed.

All traffic goes through :class:`LiveClient` (timeouts, retries with exponential backoff, ``Retry-After``
honoured on 429 and 503) over an injectable ``httpx`` transport: tests pass ``httpx.MockTransport``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol

import httpx
import pandas as pd

from dyadic.errors import DyadicError
from dyadic.sources.base import IngestResult, Source

if TYPE_CHECKING:
    from dyadic.store import Store

USER_AGENT = "dyadic-update (+https://github.com/dyadic; one request at a time)"
RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class UpdateError(DyadicError):
    """A publisher's service failed, or what it sent is truncated, malformed or fails its checksum."""


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release.

    Args:
        name: the name the connector reads it under (its ``RemoteFile.name``).
        url: where the publisher serves it.
        checksum: ``"<algorithm>:<hex>"`` as the publisher states it (``md5:...``), or None when it states none.
        size: bytes, as the publisher states it.
        published_name: the publisher's own file name, when it differs from ``name``.
    """

    name: str
    url: str
    checksum: str | None = None
    size: int | None = None
    published_name: str | None = None


@dataclass
class Release:
    """What a publisher says is its current release of a source.

    Args:
        source: the connector's name.
        release: the publisher's version label (Dataverse ``36.0``, World Bank ``WDI 2025-07-01``).
        as_of: the date the publisher released or last updated it.
        url: the service address the release was resolved from.
        files: the files that make it up.
        title: the connector title for this release (the pinned title names the pinned release).
        notes: remarks to keep with the ingest; :meth:`Updater.fetch` adds what the files show (a partial
            latest year ...).
        retrieved_at: when it was resolved (UTC).
    """

    source: str
    release: str
    as_of: date | None
    url: str
    files: tuple[ReleaseFile, ...]
    title: str | None = None
    notes: list[str] = field(default_factory=list)
    retrieved_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc).replace(tzinfo=None))

    def provenance(self) -> dict[str, Any]:
        """The columns :meth:`dyadic.store.Store.rewrite_source` records beside the file checksums."""
        return {"release": self.release, "as_of": self.as_of, "url": self.url, "retrieved_at": self.retrieved_at}


class Updater(Protocol):
    """Knows one source's publisher service.

    Optional members :func:`update_source` uses when present: ``connector`` (the connector class, when it is
    not in :data:`dyadic.sources.SOURCES`), ``bind(store, held, since)`` (called before :meth:`latest`, to
    learn what the store holds), ``carried`` (files of the store's last ingest read again with the new ones:
    GDELT's earlier exports, SIPRI's 2022 TIV tables) and ``incremental`` (``--since`` is then where to
    start, not a filter).
    """

    source: ClassVar[str]

    def latest(self, client: "LiveClient") -> Release:
        """Ask the publisher for its current release (metadata only, no data files)."""
        ...

    def fetch(self, release: Release, client: "LiveClient", dest: Path) -> dict[str, Path]:
        """Download the release's files into ``dest`` (checked), as connector file name -> path."""
        ...


class LiveClient:
    """GET with timeouts, retries and backoff over an injectable transport.

    Args:
        transport: the ``httpx`` transport (``httpx.MockTransport`` in tests); default: the network.
        timeout: seconds per connect/read.
        retries: further attempts after the first, on a transport error or a 429/5xx answer.
        backoff: first wait in seconds; doubled each attempt when the server names no ``Retry-After``.
        max_wait: longest single wait; a ``Retry-After`` beyond it fails instead of hanging the command.
        sleep: the wait function (``time.sleep`` unless given).
    """

    def __init__(self, transport: httpx.BaseTransport | None = None, timeout: float = 60.0, retries: int = 4,
                 backoff: float = 2.0, max_wait: float = 300.0, sleep: Callable[[float], None] | None = None):
        self.http = httpx.Client(transport=transport, timeout=timeout, follow_redirects=True,
                                 headers={"User-Agent": USER_AGENT})
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self._sleep = sleep
        #: called with (url, bytes so far, total or None) while a download runs (the CLI's progress bar).
        self.on_bytes: Callable[[str, int, int | None], None] | None = None
        #: called with a download's response headers (lower-case names), for updaters that date a release by them.
        self.on_headers: Callable[[dict[str, str]], None] | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "LiveClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wait(self, attempt: int, response: httpx.Response | None, url: str) -> None:
        wait = self.backoff * 2 ** attempt
        if response is not None and response.status_code in (429, 503):
            named = retry_after(response.headers.get("Retry-After"))
            if named is not None:
                wait = named
        if wait > self.max_wait:
            raise UpdateError(f"{url}: the server asks to wait {wait:.0f} s before retrying (limit "
                              f"{self.max_wait:.0f} s); try again later.")
        (self._sleep or time.sleep)(wait)  # looked up at call time so tests can patch time.sleep

    def _send(self, url: str, params: dict[str, Any] | None, stream: bool, headers: dict[str, str] | None = None,
              missing_ok: bool = False, body: Any = None) -> httpx.Response | None:
        """One request, retried; the caller closes a streamed response. ``missing_ok``: a 404 gives None (an
        SDMX service answers 404 "no records" for a period without data)."""
        last: str = ""
        for attempt in range(self.retries + 1):
            response = None
            try:
                # POST only for services whose query is a JSON body (SIPRI's arms-transfers backend).
                request = (self.http.build_request("POST", url, params=params, headers=headers, json=body)
                           if body is not None else self.http.build_request("GET", url, params=params, headers=headers))
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:  # timeouts, refused or dropped connections
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code not in RETRY_STATUS:
                    if missing_ok and response.status_code == 404:
                        response.close()
                        return None
                    if response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0":
                        response.close()  # GitHub's rate limit: a 403 with the hour's quota spent
                        reset = response.headers.get("x-ratelimit-reset", "")
                        when = (datetime.fromtimestamp(int(reset), timezone.utc).strftime("%H:%M UTC")
                                if reset.isdigit() else "later")
                        raise UpdateError(f"{response.request.url}: the service's rate limit is spent; try again "
                                          f"after {when}. Nothing was changed.")
                    if response.is_error:
                        response.close()
                        raise UpdateError(f"{response.request.url}: HTTP {response.status_code} "
                                          f"{response.reason_phrase}. Nothing was changed.")
                    return response
                last = f"HTTP {response.status_code}"
                response.close()
            if attempt < self.retries:
                self._wait(attempt, response, url)
        raise UpdateError(f"{url}: no answer after {self.retries + 1} attempts ({last}). Nothing was changed; "
                          "check the network and try again.")

    def json(self, url: str, params: dict[str, Any] | None = None, post: Any = None,
             headers: dict[str, str] | None = None) -> Any:
        """The JSON body of ``url``; a body that does not parse (cut off, an HTML error page) fails naming it.

        Args:
            post: a JSON query body: sent as a POST instead of a GET.
        """
        response = self._send(url, params, stream=False, body=post, headers=headers)
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UpdateError(f"{response.request.url}: the answer is not valid JSON ({exc}); it is truncated "
                              "or malformed. Nothing was changed.") from exc

    def content(self, url: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                missing_ok: bool = False) -> bytes | None:
        """The body of ``url`` as bytes (None for a 404 when ``missing_ok``)."""
        response = self._send(url, params, stream=False, headers=headers, missing_ok=missing_ok)
        return None if response is None else response.content

    def text(self, url: str, params: dict[str, Any] | None = None) -> str:
        """The body of ``url`` as text; a body that is not UTF-8 fails naming it."""
        body = self.content(url, params) or b""
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UpdateError(f"{url}: the answer is not UTF-8 text ({exc}); it is malformed. Nothing was "
                              "changed.") from exc

    def download(self, url: str, dest: Path, checksum: str | None = None, size: int | None = None,
                 progress: Callable[[int, int | None], None] | None = None) -> Path:
        """Stream ``url`` to ``dest`` through a temporary file, checking the size and checksum the publisher
        states; nothing is left at ``dest`` unless both match.

        Args:
            progress: called with (bytes so far, total or None) as the body arrives.
        """
        algorithm, expected = checksum.split(":", 1) if checksum else ("sha256", None)
        digest = hashlib.new(algorithm)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
        try:
            response = self._send(url, None, stream=True)
            got = 0
            if self.on_headers:
                self.on_headers({k.lower(): v for k, v in response.headers.items()})
            try:
                total = int(response.headers.get("content-length") or 0) or size
                with os.fdopen(fd, "wb") as fh:
                    for chunk in response.iter_bytes(1 << 16):
                        fh.write(chunk)
                        digest.update(chunk)
                        got += len(chunk)
                        if progress:
                            progress(got, total)
                        elif self.on_bytes:
                            self.on_bytes(url, got, total)
            except httpx.HTTPError as exc:
                raise UpdateError(f"{url}: the download broke off after {got:,} bytes ({exc}). Nothing was "
                                  "changed.") from exc
            finally:
                response.close()
            if size is not None and got != size:
                raise UpdateError(f"{url}: {got:,} bytes arrived, the publisher states {size:,}; the download is "
                                  "truncated. Nothing was changed.")
            if expected and digest.hexdigest().lower() != expected.lower():
                raise UpdateError(f"{url}: {algorithm} {digest.hexdigest()} does not match the publisher's "
                                  f"{expected}. Nothing was changed.")
            os.replace(tmp, dest)
            return dest
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def iso_date(text: Any) -> date | None:
    """The date part of an ISO timestamp (``2025-07-28T14:02:11Z``) or date, else None."""
    if not isinstance(text, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", text):
        return None
    return datetime.strptime(text[:10], "%Y-%m-%d").date()


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def live_source(cls: type[Source], release: Release, paths: dict[str, Path]) -> Source:
    """An instance of connector ``cls`` reading ``paths`` (the release's files) instead of locating its pinned
    snapshot, carrying the release for the store's provenance and its notes into the ingest notes."""

    class Live(cls):  # type: ignore[valid-type,misc]
        version = release.release
        title = release.title or cls.title

        def locate(self, settings, download: bool = True, fetch=None) -> dict[str, Path]:
            return dict(paths)

        def write(self, con, files: dict[str, Path], registry) -> IngestResult:
            result = super().write(con, files, registry)
            result.notes.extend(release.notes)
            return result

    Live.__name__ = Live.__qualname__ = cls.__name__
    src = Live()
    src.release = release
    return src


@dataclass
class UpdateSummary:
    """What ``dyadic update`` did with one source.

    ``status``: ``replaced`` (the store now holds the release), ``unchanged`` (the store already holds it),
    ``older`` (released before ``--since``: not fetched), ``current`` / ``newer`` (``--check``: the store
    holds it / the publisher has another release).
    """

    source: str
    status: str
    release: str
    as_of: date | None
    recorded: str | None = None
    rows: int = 0
    notes: list[str] = field(default_factory=list)


def recorded_release(store: "Store", name: str) -> str | None:
    """The release label the store recorded for ``name`` (None: never updated live, or an older store)."""
    src = store.sources()
    if "release" not in src.columns or not (src.name == name).any():
        return None
    value = src.loc[src.name == name, "release"].iloc[0]
    return None if pd.isna(value) else str(value)  # NULL arrives as None or NaN


def update_source(store: "Store", name: str, client: LiveClient, cache_dir: Path, force: bool = False,
                  check: bool = False, since: date | None = None, updater: Any = None) -> UpdateSummary:
    """Resolve ``name``'s current release and, unless the store holds it, fetch and ingest it.

    The files are fetched into a staging folder and checked before the store is touched; the store is
    replaced through :func:`dyadic.store.ingest_source` (one transaction, skipped when the files' checksums
    match what is recorded). Any failure leaves the store and the cache as they were.

    Args:
        store: a writable store (read-only is enough with ``check``).
        name: a source with an updater (see :data:`dyadic.sources.updaters.UPDATERS`).
        client: the HTTP client.
        cache_dir: where fetched releases are kept (``<cache>/live/<source>/<release>/``).
        force: fetch and re-ingest even when the store records this release.
        check: only report whether the publisher has a release the store does not hold.
        since: a release dated before this is not fetched (status ``older``); for an incremental source
            (GDELT) the first date to fetch when the store holds none of it.
        updater: the updater to use, already given what it needs (a user's file); default ``UPDATERS[name]()``.
    """
    from dyadic.sources import SOURCES
    from dyadic.sources.updaters import UPDATERS
    from dyadic.store import ingest_source

    if name not in UPDATERS:
        raise UpdateError(f"{name}: no live updater (sources with one: {', '.join(UPDATERS)}).")
    updater = UPDATERS[name]() if updater is None else updater
    # An updater may serve a connector that `dyadic ingest --all` does not list (user-download readers).
    cls = getattr(updater, "connector", None) or SOURCES[name]
    if cls.needs_registry and not check:
        store.require("country_codes")  # before downloading anything
    held = recorded_release(store, name)
    if hasattr(updater, "bind"):  # updaters that extend what the store holds ask it first
        updater.bind(store, held, since)
    release = updater.latest(client)
    if check:
        return UpdateSummary(name, "current" if held == release.release else "newer", release.release,
                             release.as_of, held)
    if held == release.release and not force:
        return UpdateSummary(name, "unchanged", release.release, release.as_of, held)
    incremental = getattr(updater, "incremental", False)  # --since is then where to start, not a filter
    if since is not None and release.as_of is not None and release.as_of < since and not incremental:
        return UpdateSummary(name, "older", release.release, release.as_of, held,
                             notes=[f"released {release.as_of}, before --since {since}: not fetched"])
    root = cache_dir / "live" / name
    root.mkdir(parents=True, exist_ok=True)
    final = root / re.sub(r"[^A-Za-z0-9._-]+", "_", release.release)
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".staging-"))
    backup: Path | None = None
    placed = False

    def restore() -> None:
        """Put the cache back as it was: the store's recorded paths may point into the previous copy."""
        if placed:
            shutil.rmtree(final, ignore_errors=True)
        if backup is not None and backup.exists():
            os.replace(backup, final)

    try:
        fetched = updater.fetch(release, client, staging)
        if final.exists():  # this release was fetched before (--force): keep that copy until the ingest commits
            backup = Path(tempfile.mkdtemp(dir=root, prefix=".previous-"))
            os.rmdir(backup)
            os.replace(final, backup)
        os.replace(staging, final)  # same folder: atomic
        placed = True
        paths = {f: final / p.relative_to(staging) for f, p in fetched.items()}
        # An incremental release is the files held so far plus the new ones, read again as one source.
        paths = {**getattr(updater, "carried", {}), **paths}
        result = ingest_source(store, live_source(cls, release, paths), None, force=force)
    except BaseException:
        restore()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if result.status == "unchanged":
        restore()  # same bytes as the store holds: it keeps pointing at the files it was read from
    elif backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    status = "replaced" if result.status == "ingested" else "unchanged"
    return UpdateSummary(name, status, release.release, release.as_of, held, result.rows, list(release.notes))
