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
        ca, cb = reg.resolve(a), reg.resolve(b)
        sel = VoteSelection(source=source, body=body, issues=tuple(issues), important=important,
                            final_only=final_only, start=start, end=end, absent=absent)
        return pair_series(st, ca, cb, sel)
    finally:
        if st is not store:
            st.close()
