"""The Dyad / Triad values and the indexed row look-ups, on small generated frames."""

from __future__ import annotations

import gc

import numpy as np
import pandas as pd
import pytest

from dyadic import dyad
from dyadic.dyad import Dyad, Triad, pair_key, pair_rows, year_rows
from dyadic.errors import RequestError


def _frame(n: int = 5000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    codes = np.array([f"S{i:02d}" for i in range(30)])
    x, y = rng.choice(codes, n), rng.choice(codes, n)
    keep = x != y
    x, y = x[keep], y[keep]
    lo, hi = np.where(x < y, x, y), np.where(x < y, y, x)
    return pd.DataFrame({"a": lo, "b": hi, "year": rng.integers(1990, 2000, keep.sum()),
                         "v": rng.normal(size=keep.sum())})


def test_dyad_key_is_sorted_and_order_kept():
    d = Dyad("RUS", "CHN")
    assert (d.a, d.b) == ("RUS", "CHN")
    assert d.key == ("CHN", "RUS") == pair_key("RUS", "CHN")
    assert list(d) == ["RUS", "CHN"] and str(d) == "RUS-CHN"


@pytest.mark.parametrize("codes", [("CHN", "CHN"), ("CHN", ""), ("CHN", None)])
def test_dyad_refuses_a_state_twice_or_empty(codes):
    with pytest.raises(RequestError):
        Dyad(*codes)


def test_triad_sides():
    t = Triad("CHN", "RUS", "USA")
    assert [p.key for p in t.pairs] == [("CHN", "RUS"), ("CHN", "USA"), ("RUS", "USA")]
    assert t.pair == Dyad("CHN", "RUS")
    with pytest.raises(RequestError, match="three different states"):
        Triad("CHN", "RUS", "CHN")


def test_pair_rows_equal_a_scan_either_order():
    f = _frame()
    for a, b in [("S01", "S02"), ("S29", "S03"), ("S00", "S00x")]:
        lo, hi = sorted([a, b])
        want = f[(f.a == lo) & (f.b == hi)]
        pd.testing.assert_frame_equal(pair_rows(f, a, b), want)
        pd.testing.assert_frame_equal(pair_rows(f, b, a), want)


def test_year_rows_equal_a_scan():
    f = _frame()
    for y in (1990, 1995, 1999, 2005):
        pd.testing.assert_frame_equal(year_rows(f, y), f[f.year == y])


def test_index_is_per_frame_and_dies_with_it():
    f, g = _frame(seed=1), _frame(seed=2)
    assert not pair_rows(f, "S01", "S02").equals(pair_rows(g, "S01", "S02"))
    k = id(f)
    assert k in dyad._PAIRS
    del f
    gc.collect()
    assert k not in dyad._PAIRS
