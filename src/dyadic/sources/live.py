"""Live updates: fetch a source's newest release from its publisher instead of the pinned snapshot.

A connector's :attr:`Source.files` point at a frozen snapshot (often a third-party mirror) so that ingest is
reproducible. An :class:`Updater` knows the publisher's own service: :meth:`Updater.latest` asks it which
release is current (a :class:`Release`: label, as-of date, files with the publisher's checksums) and
:meth:`Updater.fetch` downloads that release's files, checked, in the layout the connector reads. The store
is touched only by :func:`dyadic.update.update_source` (a stage after the store), through
:func:`live_source`, so a release replaces the source atomically and only when its files changed.

All traffic goes through :class:`LiveClient` (timeouts, retries with exponential backoff, ``Retry-After``
honoured on 429 and 503) over an injectable ``httpx`` transport: tests pass ``httpx.MockTransport``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol

import httpx

from dyadic.errors import DyadicError
from dyadic.sources.base import IngestResult, Source

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
