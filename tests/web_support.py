"""Helpers shared by the web tests: one store per test run holding the country registry and both UN vote
sources, written once and then closed, so the servers under test open it genuinely read-only."""

from __future__ import annotations

import os
import socket
import tempfile
from functools import lru_cache
from pathlib import Path

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
