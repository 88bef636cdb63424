"""Helpers shared by the web tests: one store per test run holding the country registry and both UN vote
sources, written once and then closed, so the servers under test open it genuinely read-only."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import httpx

import pytest

from dyadic.config import Settings
from dyadic.store import Store, ingest

UNGA_SOURCES = ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape"]


@lru_cache(maxsize=None)
def _make_store(kind: str) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix=f"dyadic-web-{kind}-"))
    settings = Settings.resolve(data=os.environ.get("DYADIC_DATA"), store=tmp / "web.duckdb",
                                cache=os.environ.get("DYADIC_CACHE") or tmp / "cache")
    with Store.open(settings.store_path) as st:
        ingest(st, settings, UNGA_SOURCES if kind == "unga" else ["country_codes"])
    return settings.store_path


def web_store(kind: str = "unga") -> Path:
    """A store file with the UN vote sources (``unga``) or the country registry alone (``registry``).

    ``DYADIC_WEB_TEST_STORE`` names an existing store to use for ``unga`` instead (say, one with every source,
    to see the pages as the flagship brief shows them); it is only read."""
    if kind == "unga" and os.environ.get("DYADIC_WEB_TEST_STORE"):
        return Path(os.environ["DYADIC_WEB_TEST_STORE"])
    try:
        return _make_store(kind)
    except Exception as exc:  # a missing dataset must fail the test, naming it
        pytest.fail(f"cannot build the web test store ({kind}): {exc}. Set DYADIC_DATA to the staged datasets "
                    "(CI sets it to ../shared/data).")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def blocking_app(store: Path, **kw):
    """The application with pages and API calls that wait for a pair's computation (up to 5 minutes) instead
    of answering 202 "computing": for tests about what the answers hold. tests/test_web_concurrency.py tests
    the progress answers themselves."""
    from dyadic.web import create_app

    return create_app(store, warm=False, page_wait=300, api_wait=300, **kw)


def wait_until_up(base: str, alive=lambda: True, seconds: float = 90) -> None:
    """Poll the health route until it answers; fail the test when the server dies or never answers."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"the server at {base} did not start")


@contextmanager
def served(store: Path, host: str = "127.0.0.1") -> Iterator[tuple[str, subprocess.Popen]]:
    """``dyadic serve`` in its own process on a free port, as a user starts it: its base URL and process.

    Its output goes to a file (``proc.log``, a Path), never to an unread pipe: a server logging more than a
    pipe holds would block on the write and look hung."""
    port = free_port()
    exe = shutil.which("dyadic", path=str(Path(sys.executable).parent)) or "dyadic"
    log = Path(tempfile.mkdtemp(prefix="dyadic-serve-")) / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([exe, "serve", "--store", str(store), "--host", host, "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    proc.log = log
    base = f"http://{host}:{port}"
    try:
        wait_until_up(base, alive=lambda: proc.poll() is None)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
