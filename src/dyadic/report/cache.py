"""A disk cache for the brief: per-store computations kept between runs, keyed by what the store holds and by
the code that computed them.

Rendering only reads the store; what takes time is the framework's all-dyad computations (driver scores,
reference classes, ranked UN voting), which every pair shares. :class:`MemoStore` passes the store to the
framework with :meth:`Store.cached` results also written to disk, so a second pair in a new process starts from
them, and :func:`load` / :func:`save` keep a whole rendered brief for the same pair. A key is valid only for
one :func:`fingerprint`: the sources the store holds (checksum, ingest time, rows), its tables' sizes, and the
sizes and times of dyadic's own computing files (a changed method invalidates them; a changed renderer only
the rendered briefs). Printed PDFs are kept under ``pdf/`` by the digest of the HTML they print.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import pickle
import shutil
import struct
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from dyadic.store import Store

#: tables dyadic writes as a record of its own runs (``dyadic watch``'s history): what the store holds for
#: the computations does not change when they grow.
OUTPUT_TABLES = ("watch_runs",)  # report.watch.HISTORY_TABLE (the cache cannot import what imports it)
#: folders of other fingerprints kept (a store rebuilt or code changed leaves its old folder behind).
KEEP = 2


#: package folders whose code the store's computations do not depend on (the renderers): a change there
#: invalidates the rendered briefs (``code_digest(renderers=True)``) but not the per-store results.
RENDERERS = ("report",)  # the web and the CLI show a brief; they do not shape it
#: folders neither digest covers: the CLI and the web server only call the brief; connectors change what is
#: ingested (the store's fingerprint sees that); the claim checker (with its data files, ``claims_*``) keeps
#: nothing in the store's memo.
IGNORED = (("sources",), ("framework", "claims"), ("cli",), ("web",))
IGNORED_PREFIX = "claims_"


def code_digest(renderers: bool = False) -> str:
    """Digest of the names, sizes and modification times of dyadic's package files (cheap: no reading):
    the computing code, or with ``renderers`` the rendering code (:data:`RENDERERS`) only."""
    import dyadic

    root = Path(dyadic.__file__).parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).parts
        if ((rel[0] in RENDERERS) != renderers or any(rel[:len(x)] == x for x in IGNORED)
                or p.name.startswith(IGNORED_PREFIX)):
            continue
        if p.is_file() and p.suffix in (".py", ".toml", ".csv", ".j2", ".json") and "__pycache__" not in p.parts:
            st = p.stat()
            h.update(f"{'/'.join(rel)}:{st.st_size}:{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def fingerprint(store: Store) -> str:
    """What the store holds, as a digest: each source's checksum, ingest time and rows, and every table's
    estimated size (``dyadic ideal`` writes tables outside the sources), plus :func:`code_digest` of the
    computing code. The store's path is not part of it: a copy of a store shares its cache."""
    h = hashlib.sha256(code_digest().encode())
    if store.has_table("sources"):
        for row in store.con.execute("SELECT name, sha256, CAST(ingested_at AS VARCHAR), rows FROM sources "
                                     "ORDER BY name").fetchall():
            h.update(repr(row).encode())
    for row in store.con.execute("SELECT table_name, estimated_size, column_count FROM duckdb_tables() "
                                 "WHERE table_name NOT IN (SELECT unnest($out)) ORDER BY table_name",
                                 {"out": list(OUTPUT_TABLES)}).fetchall():
        h.update(repr(row).encode())
    return h.hexdigest()[:20]


def cache_root() -> Path:
    """``$DYADIC_BRIEF_CACHE``, else ``brief-cache`` in dyadic's cache folder (never beside the store)."""
    from dyadic.config import Settings

    env = os.environ.get("DYADIC_BRIEF_CACHE")
    return Path(env) if env else Settings.resolve().cache_dir / "brief-cache"


def folder(store: Store) -> Path:
    """This store state's cache folder (created); older fingerprints beyond :data:`KEEP` are removed."""
    root = cache_root()
    path = root / fingerprint(store)
    try:
        path.mkdir(parents=True, exist_ok=True)
        others = sorted((p for p in root.iterdir() if p.is_dir() and p != path and p.name != "pdf"),
                        key=lambda p: p.stat().st_mtime)
        for old in others[:-KEEP] if len(others) > KEEP else []:
            shutil.rmtree(old, ignore_errors=True)
    except OSError:
        pass  # an unwritable cache only costs time
    return path


def _file(base: Path, key: Hashable) -> Path:
    return base / (hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".pkl")


# A kept value is one file: a header (MAGIC, the pickle's length, the number of buffers), a table of each
# buffer's offset and length, the pickle, then the large arrays (pickle protocol 5's out-of-band buffers),
# each 64-byte aligned. Loading maps the file (copy-on-write) and hands the arrays their slices of it, so a
# 0.75 GB frame is ready in a fraction of a second and only the pages a brief reads are read from disk.
MAGIC = b"dyadic-memo-1\0\0\0"
_HEAD = struct.Struct("<16sQQ")
_ENTRY = struct.Struct("<QQ")
_ALIGN = 64


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def load(base: Path, key: Hashable) -> Any | None:
    """The value saved under ``key`` in ``base``, or None (absent or unreadable)."""
    f = _file(base, key)
    if not f.exists():
        return None
    try:
        with f.open("rb") as fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)  # writable, writes stay in memory
        magic, size, count = _HEAD.unpack_from(mm, 0)
        if magic != MAGIC:
            return None
        view = memoryview(mm)
        table = [_ENTRY.unpack_from(mm, _HEAD.size + i * _ENTRY.size) for i in range(count)]
        start = _HEAD.size + count * _ENTRY.size
        stored_key, value = pickle.loads(view[start:start + size], buffers=[view[o:o + n] for o, n in table])
        return value if stored_key == repr(key) else None  # a digest collision is not a hit
    except Exception:  # noqa: BLE001 - a truncated or stale file is a miss, never an error
        return None


def save(base: Path, key: Hashable, value: Any) -> None:
    """Keep ``value`` under ``key`` (atomically; silently skipped when it cannot be pickled or written)."""
    f = _file(base, key)
    tmp = f.with_name(f.name + f".{os.getpid()}.part")
    try:
        buffers: list[pickle.PickleBuffer] = []
        data = pickle.dumps((repr(key), value), protocol=5, buffer_callback=buffers.append)
        raws = [b.raw() for b in buffers]
        at = _aligned(_HEAD.size + len(raws) * _ENTRY.size + len(data))
        table = []
        for r in raws:
            table.append((at, r.nbytes))
            at = _aligned(at + r.nbytes)
        with tmp.open("wb") as fh:
            fh.write(_HEAD.pack(MAGIC, len(data), len(raws)))
            fh.write(b"".join(_ENTRY.pack(o, n) for o, n in table))
            fh.write(data)
            for (o, _), r in zip(table, raws):
                fh.seek(o)
                fh.write(r)
        tmp.replace(f)
    except Exception:  # noqa: BLE001 - e.g. a value holding a connection: it stays in memory only
        tmp.unlink(missing_ok=True)


class MemoStore:
    """The store as the framework sees it, with :meth:`cached` results also kept on disk.

    Everything else is the store's own (attribute access is delegated), so the framework reads the same data.
    """

    def __init__(self, store: Store, base: Path | None = None):
        self._store = store
        self._base = base if base is not None else folder(store)
        #: keys computed by this object (a miss both in memory and on disk), in order
        self.computed: list[Hashable] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def cache_folder(self) -> Path:
        return self._base

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """``Store.cached``, reading and writing the disk copy on a miss of the in-memory memo."""
        def from_disk() -> Any:
            hit = load(self._base, ("memo", key))
            if hit is not None:
                return hit
            value = compute()
            self.computed.append(key)
            save(self._base, ("memo", key), value)
            return value

        return self._store.cached(key, from_disk)


def memo_store(store: Store | MemoStore) -> MemoStore:
    """``store`` wrapped once (a MemoStore is returned as it is)."""
    return store if isinstance(store, MemoStore) else MemoStore(store)
