"""Download a source file into the cache: streamed, checksummed, and never left half-written."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from dyadic.errors import SourceFormatError, SourceMissingError


def download(url: str, dest: Path, sha256: str | None = None, timeout: float = 60.0) -> Path:
    """Stream ``url`` to ``dest`` with a progress bar; check ``sha256`` when given.

    The file is written to a temporary name in the same folder and renamed into place only when it is
    complete and its checksum matches, so an interrupted download leaves nothing behind.

    Args:
        url: canonical location of the file.
        dest: where it goes in the cache.
        sha256: expected checksum of the published file, if known.
        timeout: seconds to wait for the server.

    Returns:
        ``dest``.
    """
    import httpx

    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as r:
            r.raise_for_status()
            total = int(r.headers.get("content-length") or 0) or None
            columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task(f"download {dest.name}", total=total)
                for chunk in r.iter_bytes(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.advance(task, len(chunk))
        if sha256 and digest.hexdigest() != sha256:
            raise SourceFormatError(
                f"{url}: checksum {digest.hexdigest()} does not match the expected {sha256}; the publisher may "
                "have changed the file. Nothing was saved; check the source's page and report it."
            )
        os.replace(tmp, dest)
        return dest
    except httpx.HTTPError as exc:
        raise SourceMissingError(
            f"could not download {url} ({exc}). Check the network, or put the file at {dest} by hand, "
            "or set DYADIC_DATA to a folder that holds it."
        ) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
