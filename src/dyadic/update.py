"""Live updates into the store: a source's current release, fetched from its publisher and ingested atomically.

The sources stage knows publishers (:mod:`dyadic.sources.live`: :class:`~dyadic.sources.live.LiveClient`,
the updaters); the store knows how to replace a source in one transaction. This module, after both, joins
them: :func:`update_source` is what ``dyadic update`` and ``dyadic watch`` run.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from dyadic.sources import SOURCES
from dyadic.sources.live import LiveClient, UpdateError, live_source
from dyadic.sources.updaters import UPDATERS
from dyadic.store import Store, ingest_source


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


def recorded_release(store: Store, name: str) -> str | None:
    """The release label the store recorded for ``name`` (None: never updated live, or an older store)."""
    src = store.sources()
    if "release" not in src.columns or not (src.name == name).any():
        return None
    value = src.loc[src.name == name, "release"].iloc[0]
    return None if pd.isna(value) else str(value)  # NULL arrives as None or NaN


def update_source(store: Store, name: str, client: LiveClient, cache_dir: Path, force: bool = False,
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
