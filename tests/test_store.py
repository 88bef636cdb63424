"""Store memo: results are reused until the store writes."""

import pytest

from dyadic.store import Store


def test_cached_until_a_write(tmp_path):
    st = Store.open(tmp_path / "s.duckdb")
    calls = []

    def compute():
        calls.append(1)
        return st.con.execute("SELECT count(*) FROM sources").fetchone()[0]

    assert st.cached("n", compute) == 0 and st.cached("n", compute) == 0
    assert len(calls) == 1
    with st.transaction() as con:
        con.execute("INSERT INTO sources (name) VALUES ('x')")
    assert st.cached("n", compute) == 1  # the write made the remembered result stale
    assert len(calls) == 2
    st.close()


def test_failed_write_keeps_memo_valid(tmp_path):
    st = Store.open(tmp_path / "s.duckdb")
    st.cached("n", lambda: 0)
    try:
        with st.transaction() as con:
            con.execute("INSERT INTO sources (name) VALUES ('x')")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert st.cached("n", lambda: 99) == 0  # rolled back: nothing changed
    st.close()


def test_memo_keeps_a_large_result_while_many_small_ones_arrive(tmp_path):
    """The memo is bounded by bytes, not entries: a brief's hundred small results do not push out the
    all-dyad frame every question reads (counting entries did, and it was computed again)."""
    import numpy as np
    import pandas as pd

    from dyadic.store import _nbytes

    st = Store.open(tmp_path / "s.duckdb")
    made = []

    def big():
        made.append("big")
        return pd.DataFrame({"x": np.zeros(100_000)})

    st.cached("big", big)
    for i in range(200):
        st.cached(("small", i), lambda i=i: i)
    st.cached("big", big)
    assert made == ["big"]
    assert _nbytes(pd.DataFrame({"x": np.zeros(10)})) >= 80 and _nbytes(3) == 1024
    st.close()


def test_catalog_follows_committed_writes_and_not_rolled_back_ones(tmp_path):
    st = Store.open(tmp_path / "s.duckdb")
    assert st.has_table("sources") and not st.has_table("t") and not st.has_source("x")
    with st.transaction() as con:
        con.execute("CREATE TABLE t (v INTEGER)")
        assert st.has_table("t")  # inside the write, the catalog is read as it stands
        con.execute("INSERT INTO sources (name) VALUES ('x')")
    assert st.has_table("t") and st.has_source("x")
    with pytest.raises(RuntimeError), st.transaction() as con:
        con.execute("CREATE TABLE u (v INTEGER)")
        raise RuntimeError("boom")
    assert not st.has_table("u")
    st.close()
    ro = Store.open(tmp_path / "s.duckdb", read_only=True)
    assert ro.has_table("t") and ro.has_source("x") and not ro.has_source("y")
    ro.close()
