"""The pair and the triad a request is about, as values, and fast look-ups of their rows in dyad-year frames.

States are resolved and checked once, at the edge (:meth:`dyadic.sources.registry.Registry.dyad`,
``.triad``); inside, a :class:`Dyad` or :class:`Triad` is passed, whose codes are known to be different
states. Dyad-year frames are non-directed (``a < b``): :attr:`Dyad.key` is the sorted pair, and
:func:`pair_rows` / :func:`year_rows` find a pair's (a year's) rows through an index built once per frame
instead of a scan of every row per question (a brief asks a few hundred).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadic.errors import RequestError


def _check(codes: tuple[str, ...]) -> None:
    if any(not isinstance(c, str) or not c for c in codes):
        raise RequestError(f"state codes must be non-empty strings, got {codes!r}")
    if len(set(codes)) != len(codes):
        what = {2: "a pair needs two", 3: "a triangle needs three"}.get(len(codes), f"name {len(codes)}")
        raise RequestError(f"{what} different states, got {', '.join(codes)}")


@dataclass(frozen=True)
class Dyad:
    """Two different states, in the order the user named them."""

    a: str
    b: str

    def __post_init__(self) -> None:
        _check((self.a, self.b))

    @property
    def key(self) -> tuple[str, str]:
        """The non-directed key ``(lo, hi)`` of dyad-year frames."""
        return pair_key(self.a, self.b)

    def __iter__(self):
        return iter((self.a, self.b))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}"


@dataclass(frozen=True)
class Triad:
    """Three different states: a pair and the third party."""

    a: str
    b: str
    c: str

    def __post_init__(self) -> None:
        _check((self.a, self.b, self.c))

    @property
    def pair(self) -> Dyad:
        return Dyad(self.a, self.b)

    @property
    def pairs(self) -> tuple[Dyad, Dyad, Dyad]:
        """The triangle's three sides: the pair, then each with the third party."""
        return Dyad(self.a, self.b), Dyad(self.a, self.c), Dyad(self.b, self.c)

    def __iter__(self):
        return iter((self.a, self.b, self.c))

    def __str__(self) -> str:
        return f"{self.a}-{self.b}-{self.c}"


def pair_key(a: str, b: str) -> tuple[str, str]:
    """The non-directed key of two codes (``Dyad(a, b).key`` without the check)."""
    return (a, b) if a < b else (b, a)


# id(frame) -> (weak reference to it, its index). An entry dies with its frame, so an id reused by a later
# frame never finds a stale index (the reference is checked as well).
_PAIRS: dict[int, tuple[weakref.ref, dict]] = {}
_YEARS: dict[int, tuple[weakref.ref, dict]] = {}
_LOCK = threading.Lock()


def _indexed(table: dict, frame: pd.DataFrame, build) -> dict:
    k = id(frame)
    hit = table.get(k)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    idx = build(frame)

    def forget(ref, k=k, table=table):
        with _LOCK:
            if k in table and table[k][0] is ref:
                del table[k]

    with _LOCK:
        table[k] = (weakref.ref(frame, forget), idx)
    return idx


def _by_pair(frame: pd.DataFrame) -> dict:
    return frame.groupby(["a", "b"], sort=False, observed=True).indices


def _by_year(frame: pd.DataFrame) -> dict:
    return frame.groupby("year", sort=False, observed=True).indices


def pair_rows(frame: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """The rows of the non-directed pair ``{a, b}`` in a frame with ``a < b`` columns, in frame order.

    The frame must not have its ``a`` / ``b`` columns changed in place after the first look-up (frames in
    dyadic are rebuilt, not edited, so the index stays true).
    """
    pos = _indexed(_PAIRS, frame, _by_pair).get(pair_key(a, b))
    return frame.iloc[pos] if pos is not None else frame.iloc[0:0]


def year_rows(frame: pd.DataFrame, year: int, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The rows of one ``year``, in frame order (a year's slice of an all-dyad frame, found by index);
    with ``columns``, only those (a wide frame's slice copies every column otherwise)."""
    pos = _indexed(_YEARS, frame, _by_year).get(year)
    if columns is None:
        return frame.iloc[pos] if pos is not None else frame.iloc[0:0]
    pos = pos if pos is not None else np.empty(0, dtype=np.intp)
    return pd.DataFrame({c: frame[c].to_numpy()[pos] for c in columns})
