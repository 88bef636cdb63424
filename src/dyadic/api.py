"""The Python API: the same answers as the CLI, as pandas DataFrames.

Each function accepts ISO3 codes, COW codes or common names ("Russia") for states, and an optional
store path (default: ``DYADIC_STORE`` or the user cache).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dyadic.indicators.unga import VoteSelection, pair_series
from dyadic.store import Store


def unga(a: str, b: str, start: int | None = None, end: int | None = None, *, source: str = "auto",
         body: str = "GA", issues: tuple[str, ...] = (), important: bool = False, final_only: bool = False,
         absent: str = "exclude", store: str | Path | Store | None = None) -> pd.DataFrame:
    """UNGA voting similarity of one pair by year (agreement, S, Scott's pi, shared votes, rank).

    Args:
        a, b: the two states (codes or names).
        start, end: first and last year.
        source, body, issues, important, final_only, absent: see :class:`dyadic.indicators.unga.VoteSelection`.
        store: a store path or an open :class:`Store`.

    Returns:
        One row per year with at least one shared vote.
    """
    st = store if isinstance(store, Store) else Store.open(store, read_only=True)
    try:
        reg = st.registry()
        ca, cb = reg.dyad(a, b)
        sel = VoteSelection(source=source, body=body, issues=tuple(issues), important=important,
                            final_only=final_only, start=start, end=end, absent=absent)
        return pair_series(st, ca, cb, sel)
    finally:
        if st is not store:
            st.close()


def ideal_points(states: list[str], start: int | None = None, end: int | None = None, *, distances: bool = False,
                 n_boot: int = 100, force: bool = False, store: str | Path | Store | None = None) -> pd.DataFrame:
    """Dynamic UNGA ideal points of states by year, with 90% bootstrap intervals (USA positive).

    Estimates and stores them on first use (or when inputs changed); later calls read the store.

    Args:
        states: codes or names.
        start, end: years shown.
        distances: return ``|theta_a - theta_b|`` for every pair of the given states instead.
        n_boot: bootstrap replicates when estimating.
        force: re-estimate even if the stored estimates are current.
        store: a store path or an open :class:`Store` (must be writable if estimates are missing).

    Returns:
        ``year, code, theta, lo, hi, se, n_votes``, or ``year, a, b, distance, lo, hi``.
    """
    from itertools import combinations

    from dyadic.indicators.ideal_points_table import dyad_distances, estimate_and_store, is_current, positions

    st = store if isinstance(store, Store) else Store.open(store, read_only=False)
    try:
        reg = st.registry()
        codes = list(reg.resolve_distinct(*states))  # before any estimating starts
        if force or not is_current(st, n_boot=n_boot):
            estimate_and_store(st, n_boot=n_boot, force=force)
        if distances:
            return dyad_distances(st, list(combinations(codes, 2)), start, end)
        return positions(st, codes, start, end)
    finally:
        if st is not store:
            st.close()
