"""What every connector shares: how its files are found or fetched, and what it hands to the store.

A connector is a :class:`Source` subclass that knows its dataset's canonical download location, the
files it needs, its citation and licence, and how to turn those files into canonical tables. It never
touches the store: :mod:`dyadic.store` writes what :meth:`Source.read` returns in one transaction.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar

import pandas as pd

from dyadic.config import Settings
from dyadic.errors import SourceFormatError, SourceMissingError

if TYPE_CHECKING:
    from dyadic.sources.live import Release
    from dyadic.sources.registry import Registry


@dataclass(frozen=True)
class RemoteFile:
    """One file of a source: its name in the source folder and where it is published.

    Args:
        name: file name inside ``<data dir>/<source name>/`` and the download cache.
        url: canonical download location, or ``None`` when the publisher offers no direct link.
        sha256: checksum of the published file, checked after download when known.
        optional: a file the connector can do without.
    """

    name: str
    url: str | None = None
    sha256: str | None = None
    optional: bool = False


@dataclass
class IngestResult:
    """What a connector read: canonical tables plus what it could not map.

    Args:
        tables: canonical table name -> rows (every row carries the ``source`` column).
        unmapped: code or name as found in the file -> number of rows it touched.
        notes: plain-language remarks for the ingest summary (filters applied, rows dropped and why).
        written: table -> rows the connector inserted itself on the store's connection (see
            :meth:`dyadic.store.Store.rewrite_source`), for tables too large to pass through Python.
    """

    tables: dict[str, pd.DataFrame]
    unmapped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(sum(len(t) for t in self.tables.values()) + sum(self.written.values()))


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def checksum_of(path: Path, algorithm: str) -> str | None:
    """The file's checksum by ``algorithm``: ``sha256``, ``blake3`` (as cryptographic and ~5x cheaper per
    byte: event files run to hundreds of GB), or ``size`` (none: only the size is recorded)."""
    if algorithm == "sha256":
        return sha256_of(path)
    if algorithm == "blake3":
        import blake3

        return blake3.blake3(max_threads=1).update_mmap(path).hexdigest()
    if algorithm == "size":
        return None
    raise ValueError(f"unknown checksum algorithm {algorithm!r}")


class Source(ABC):
    """A public dataset dyadic can ingest.

    Subclasses set the class attributes and implement :meth:`read`.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    version: ClassVar[str]
    citation: ClassVar[str]
    licence: ClassVar[str]
    homepage: ClassVar[str]
    files: ClassVar[tuple[RemoteFile, ...]]
    #: canonical table -> column definitions (DDL); every table has a ``source`` column.
    schema: ClassVar[dict[str, str]]
    #: statements run before the tables are created (``CREATE TYPE`` ...), each idempotent.
    types: ClassVar[tuple[str, ...]] = ()
    needs_registry: ClassVar[bool] = True
    #: how the store checksums this source's files (see :func:`checksum_of`).
    checksum: ClassVar[str] = "sha256"
    #: the publisher's release an instance's files come from (set by ``dyadic update``, see
    #: :mod:`dyadic.sources.live`); None for the pinned snapshot.
    release: "Release | None" = None

    def fingerprint(self) -> str:
        """What besides the files decides the rows (an actor rule, filters): part of the unchanged check, so
        the same files read another way are ingested again. Empty for most sources."""
        return ""

    def write(self, con, paths: dict[str, Path], registry: "Registry | None") -> IngestResult:
        """Read the files inside the store's ingest transaction, on its connection ``con``.

        By default :meth:`read`, whose tables the store inserts. Sources too large to pass through Python
        (event files) insert their rows on ``con`` themselves and report them in ``IngestResult.written``."""
        return self.read(paths, registry)

    def candidates(self, settings: Settings, f: RemoteFile) -> list[Path]:
        places = []
        if settings.data_dir is not None:
            places.append(settings.data_dir / self.name / f.name)
        places.append(settings.cache_dir / "sources" / self.name / f.name)
        return places

    def locate(
        self,
        settings: Settings,
        download: bool = True,
        fetch: Callable[[str, Path, str | None], None] | None = None,
    ) -> dict[str, Path]:
        """Find each file of the source on disk, downloading what is missing when allowed.

        Args:
            settings: where to look (data folder, then cache).
            download: fetch missing files from their canonical location into the cache.
            fetch: the downloader (``url, destination, sha256``); defaults to :func:`dyadic.sources.fetch.download`.

        Returns:
            File name -> path, for every file found (optional files may be absent).

        Raises:
            SourceMissingError: naming the file expected and where to download it.
        """
        found: dict[str, Path] = {}
        for f in self.files:
            places = self.candidates(settings, f)
            hit = next((p for p in places if p.is_file()), None)
            if hit is None and download and f.url and settings.data_dir is None:
                if fetch is None:
                    from dyadic.sources.fetch import download as fetch
                dest = settings.cache_dir / "sources" / self.name / f.name
                fetch(f.url, dest, f.sha256)
                hit = dest
            if hit is not None:
                found[f.name] = hit
            elif not f.optional:
                where = f.url or self.homepage
                raise SourceMissingError(
                    f"{self.title}: file '{f.name}' not found (looked in: "
                    + ", ".join(str(p) for p in places)
                    + f"). Download it from {where} into {places[0].parent}/"
                    + (" or unset DYADIC_DATA to let dyadic download it." if f.url and settings.data_dir else ".")
                )
        return found

    @abstractmethod
    def read(self, paths: dict[str, Path], registry: "Registry | None") -> IngestResult:
        """Parse the files into canonical tables. Raise :class:`SourceFormatError` on bad input."""

    # Helpers shared by connectors -------------------------------------------------------------

    def require_columns(self, df: pd.DataFrame, needed: list[str], path: Path) -> None:
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise SourceFormatError(
                f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}. "
                f"The file does not match the {self.title} layout: re-download it from {self.homepage}."
            )
