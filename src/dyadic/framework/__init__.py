"""The five questions, as rules over indicators.

:data:`SHARED` is the registry of what every pair's answer shares: the all-dyad products (driver scores of
every dyad-year, the futures' reference histories and back-tests, the nature tables of pledges, rivalries
and disputes). Each question module registers, with :func:`shared`, a function that computes its products
with the default settings through :meth:`dyadic.store.Store.cached`; ``dyadic prepare`` (run at the end of
``dyadic ingest``) calls them all once, so a brief for any pair only reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from graphlib import TopologicalSorter
from typing import Any

from dyadic.catalog import Catalog

#: name -> function(store) computing that question's all-dyad products. Each entry provides the cache keys
#: (their first element) its function fills (how a brief knows it computed a shared product itself rather
#: than reading a prepared one) and needs the other entries whose products it reads.
SHARED: Catalog[Callable[[Any], object]] = Catalog("shared product")


def shared(name: str, *keys: str, after: tuple[str, ...] = ()
           ) -> Callable[[Callable[[Any], object]], Callable[[Any], object]]:
    """Register ``fn(store)`` as the all-dyad products of ``name``, which it keeps under ``keys`` and computes
    from the products of the entries named in ``after`` (a decorator)."""
    return SHARED.register(name, provides=keys, needs=after)


def shared_keys() -> set[str]:
    """Every registered product's cache keys (first elements)."""
    load_all()
    return {k for e in SHARED.entries() for k in e.provides}


def load_all() -> Catalog[Callable[[Any], object]]:
    """:data:`SHARED` with every question module imported (each registers itself at import)."""
    from dyadic.framework import alignment, drivers, futures, nature, shocks, triangle  # noqa: F401

    return SHARED


def prepare_order() -> list[str]:
    """Every shared entry, each after those it needs (the graph built in name order, so the order is the same
    whatever was imported first; a cycle raises ``graphlib.CycleError``)."""
    entries = load_all()
    return list(TopologicalSorter({n: entries.entry(n).needs for n in sorted(entries)}).static_order())
