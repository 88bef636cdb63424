"""The five questions, as rules over indicators.

:data:`SHARED` is the registry of what every pair's answer shares: the all-dyad products (driver scores of
every dyad-year, the futures' reference histories and back-tests, the nature tables of pledges, rivalries
and disputes). Each question module registers, with :func:`shared`, a function that computes its products
with the default settings through :meth:`dyadic.store.Store.cached`; ``dyadic prepare`` (run at the end of
``dyadic ingest``) calls them all once, so a brief for any pair only reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: name -> function(store) computing that question's all-dyad products (in registration order, which is
#: dependency order: the drivers first, the questions that read their scores after).
SHARED: dict[str, Callable[[Any], object]] = {}
#: name -> the cache keys (their first element) its function fills: how a brief knows it computed a
#: shared product itself rather than reading a prepared one.
SHARED_KEYS: dict[str, tuple[str, ...]] = {}


def shared(name: str, *keys: str) -> Callable[[Callable[[Any], object]], Callable[[Any], object]]:
    """Register ``fn(store)`` as the all-dyad products of ``name``, which it keeps under ``keys`` (a decorator)."""
    def register(fn: Callable[[Any], object]) -> Callable[[Any], object]:
        if name in SHARED and SHARED[name] is not fn:
            raise ValueError(f"shared products '{name}' registered twice")
        SHARED[name], SHARED_KEYS[name] = fn, keys
        return fn
    return register


def shared_keys() -> set[str]:
    """Every registered product's cache keys (first elements)."""
    load_all()
    return {k for keys in SHARED_KEYS.values() for k in keys}


def load_all() -> dict[str, Callable[[Any], object]]:
    """:data:`SHARED` with every question module imported (each registers itself at import)."""
    from dyadic.framework import alignment, drivers, futures, nature, shocks, triangle  # noqa: F401

    return SHARED
