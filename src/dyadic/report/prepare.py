"""``dyadic prepare``: compute once, after ingest, what every pair's brief shares.

The framework's questions register their all-dyad products (:data:`dyadic.framework.SHARED`: driver scores
of every dyad-year, the futures' reference histories and back-tests, the pledge, rivalry and dispute
tables). :func:`prepare` computes each through the brief's disk memo (:class:`~dyadic.report.cache.MemoStore`,
keyed by what the store holds and by the computing code), so a brief for any pair afterwards only reads
them; ``dyadic ingest`` runs it when it has ingested something.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dyadic.errors import DyadicError
from dyadic.framework import load_all, prepare_order, shared_keys
from dyadic.report.cache import MemoStore, memo_store
from dyadic.store import Store


@dataclass
class Prepared:
    """What :func:`prepare` did with one question's products: ``computed`` (n results made and kept),
    ``kept`` (all were prepared already) or ``skipped`` (a source is missing: ``note`` says which)."""

    name: str
    status: str
    computed: int
    seconds: float
    note: str = ""


def prepare(store: Store | MemoStore) -> list[Prepared]:
    """Compute (or find kept) every registered all-dyad product, each after those it reads.

    Args:
        store: the store (read-only is enough: the products are kept beside it, not in it).
    """
    memo = memo_store(store)
    registry = load_all()
    out = []
    for name in prepare_order():
        fn = registry[name]
        t, before = time.perf_counter(), len(memo.computed)
        try:
            fn(memo)
        except DyadicError as exc:  # a question without its sources is prepared when they arrive
            out.append(Prepared(name, "skipped", len(memo.computed) - before, time.perf_counter() - t, str(exc)))
            continue
        n = len(memo.computed) - before
        out.append(Prepared(name, "computed" if n else "kept", n, time.perf_counter() - t))
    return out


def unprepared(memo: MemoStore) -> list[str]:
    """The shared products a brief had to compute itself (``dyadic prepare`` was not run for this store
    state, or the brief asked for other settings than the prepared defaults)."""
    keys = shared_keys()
    return [str(k[0]) for k in memo.computed if isinstance(k, tuple) and k and k[0] in keys]
