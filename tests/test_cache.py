"""The brief's disk cache: a kept value comes back equal, usable and writable; anything else is a miss."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from dyadic.report import cache


def _frame(n: int = 5000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "a": rng.choice(["CHN", "RUS", "USA"], n), "year": np.arange(n) % 70 + 1950,
        "x": rng.normal(size=n), "flag": pd.array(rng.integers(0, 2, n), dtype="Int8"),
        "kind": pd.Categorical(rng.choice(["alliance", "rivalry"], n)),
    })


def test_round_trip_keeps_values_and_types(tmp_path):
    df = _frame()
    value = {"frame": df, "note": "kept", "arr": np.arange(10.0)}
    cache.save(tmp_path, ("k", 1), value)
    got = cache.load(tmp_path, ("k", 1))
    pd.testing.assert_frame_equal(got["frame"], df)
    assert got["note"] == "kept" and np.array_equal(got["arr"], value["arr"])


def test_loaded_arrays_are_writable_and_the_file_is_not_changed(tmp_path):
    cache.save(tmp_path, "k", _frame())
    got = cache.load(tmp_path, "k")
    got.loc[0, "x"] = 123.0  # a copy-on-write mapping: allowed, and private to this value
    got["x"].to_numpy()[1] = 7.0
    again = cache.load(tmp_path, "k")
    assert again.loc[0, "x"] != 123.0 and again.x.iloc[1] != 7.0


def test_another_key_truncated_or_foreign_file_is_a_miss(tmp_path):
    cache.save(tmp_path, "k", _frame())
    assert cache.load(tmp_path, "other") is None
    f = cache._file(tmp_path, "k")
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 3])
    assert cache.load(tmp_path, "k") is None
    f.write_bytes(b"")
    assert cache.load(tmp_path, "k") is None
    f.write_bytes(b"not a memo file at all, just text")
    assert cache.load(tmp_path, "k") is None


def test_a_value_that_cannot_be_pickled_leaves_nothing(tmp_path):
    cache.save(tmp_path, "k", threading.Lock())
    assert cache.load(tmp_path, "k") is None
    assert list(tmp_path.iterdir()) == []
