"""Where dyadic finds its source files, its download cache and its store.

Precedence for each setting: explicit argument (CLI flag) > environment variable > default.

- ``DYADIC_DATA``: a folder laid out as ``<DIR>/<source name>/<file>`` holding source files already on
  disk (for example a mirror of the staged public datasets). When set, nothing is downloaded.
- ``DYADIC_CACHE``: where downloaded source files are kept (default: the user cache directory).
- ``DYADIC_STORE``: the DuckDB store file (default: ``<cache>/dyadic.duckdb``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None
    cache_dir: Path
    store_path: Path

    @classmethod
    def resolve(
        cls,
        data: str | Path | None = None,
        store: str | Path | None = None,
        cache: str | Path | None = None,
    ) -> "Settings":
        data = data or os.environ.get("DYADIC_DATA") or None
        cache_dir = Path(cache or os.environ.get("DYADIC_CACHE") or platformdirs.user_cache_dir("dyadic"))
        store_path = Path(store or os.environ.get("DYADIC_STORE") or cache_dir / "dyadic.duckdb")
        return cls(
            data_dir=Path(data).expanduser().resolve() if data else None,
            cache_dir=cache_dir.expanduser(),
            store_path=store_path.expanduser(),
        )
