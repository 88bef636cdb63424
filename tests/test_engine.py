"""The engine module without Spark: engine names, the messages when pyspark or Java is missing, and the
all-or-nothing Parquet writer on DuckDB."""

import sys

import duckdb
import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dyadic import engine
from dyadic.errors import DyadicError, RequestError


@pytest.fixture()
def duck():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT (1990 + i % 3)::INTEGER AS year, 'S' || i::VARCHAR AS code, "
                "i::DOUBLE / 7 AS x, CASE WHEN i = 4 THEN 'oops' ELSE i::VARCHAR END AS n FROM range(9) r(i)")
    yield con
    con.close()


def test_engine_names_are_checked():
    assert engine.check_engine("duckdb") == "duckdb"
    with pytest.raises(RequestError, match="duckdb or spark"):
        engine.check_engine("polars")


def test_missing_pyspark_says_what_to_install(monkeypatch):
    monkeypatch.setattr(engine, "_session", None)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with pytest.raises(DyadicError, match=r"pip install 'dyadic\[spark\]'.*Java 17"):
        engine.spark_session()


def test_missing_java_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "_session", None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    with pytest.raises(DyadicError, match=r"needs a Java runtime.*Java 17"):
        engine.spark_session()


def test_duckdb_tables_are_read_in_place(duck):
    be = engine.connect("duckdb", duck)
    t = engine.load_tables(be, duck, ["t"])["t"]
    got = engine.execute(be, t.filter(t.year == 1991), dictionary=["code"])
    assert isinstance(got.code.dtype, pd.CategoricalDtype)
    assert sorted(got.code.astype(str)) == ["S1", "S4", "S7"]


def test_partitioned_write_on_duckdb(duck, tmp_path):
    be = engine.connect("duckdb", duck)
    t = be.table("t")
    out = engine.write_parquet(be, t.select("year", "code", "x"), tmp_path / "out", partition_by=["year"])
    assert sorted(p.name for p in out.iterdir()) == ["year=1990", "year=1991", "year=1992"]
    back = pq.read_table(out).to_pandas()
    assert len(back) == 9 and set(back.year.astype(int)) == {1990, 1991, 1992}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left behind


def assert_failed_rewrite_keeps(backend, good, bad, target, partition_by=("year",)) -> None:
    """Write ``good`` to ``target``, then fail rewriting it with ``bad``: the first output stays byte for
    byte and no temporary folder is left beside it."""
    engine.write_parquet(backend, good, target, partition_by=partition_by)
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.raises(DyadicError, match=rf"cannot write .*{target.name}"):
        engine.write_parquet(backend, bad, target, partition_by=partition_by)
    assert {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_failed_rewrite_keeps_the_old_output(duck, tmp_path):
    be = engine.connect("duckdb", duck)
    t = be.table("t")
    bad = t.select("year", n=t.n.cast("int64"))  # 'oops' cannot be cast: fails while the query runs
    assert_failed_rewrite_keeps(be, t.select("year", "code"), bad, tmp_path / "out", partition_by=())
    with pytest.raises(DyadicError, match="oops"):
        engine.write_parquet(be, bad, tmp_path / "out")


def test_failed_first_write_leaves_nothing(duck, tmp_path):
    be = engine.connect("duckdb", duck)
    t = be.table("t")
    with pytest.raises(DyadicError, match="cannot write"):
        engine.write_parquet(be, t.select("year", n=t.n.cast("int64")), tmp_path / "out", partition_by=["year"])
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_by_a_complete_output(duck, tmp_path):
    be = engine.connect("duckdb", duck)
    target = tmp_path / "out"
    target.write_text("an older single-file export")
    engine.write_parquet(be, be.table("t"), target)
    assert target.is_dir() and len(pq.read_table(target)) == 9


def test_the_duckdb_engine_interface(duck, tmp_path):
    """The one interface on generated data: tables, Arrow and pandas results (in-memory tables included),
    atomic Parquet writes, a memory limit undone by close."""
    assert engine.ENGINES == {"duckdb": engine.DuckDBEngine, "spark": engine.SparkEngine}
    with pytest.raises(RequestError, match="duckdb or spark"):
        engine.engine_for("polars", duck)
    default_limit = duck.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    with engine.engine_for("duckdb", duck) as e:
        assert isinstance(e, engine.Engine) and e.name == "duckdb" and not e.panel_in_query
        t = e.tables(["t"])["t"]
        labels = ibis.memtable({"year": [1990, 1992], "label": ["first", "last"]})
        q = t.join(labels, "year").select("year", "code", "label").order_by("code")
        got = e.to_arrow(q)
        assert isinstance(got, pa.Table) and got.num_rows == 6
        assert got.column("label").to_pylist()[:2] == ["first", "last"]  # S0 is 1990, S2 is 1992
        df = e.to_pandas(q, dictionary=["label"])
        assert isinstance(df.label.dtype, pd.CategoricalDtype) and df.code.tolist() == got["code"].to_pylist()

        out = e.write_parquet(t.select("year", "code", k=t.x > 0.5), tmp_path / "both", partition_by=["year", "k"])
        assert sorted(p.name for p in out.iterdir()) == ["year=1990", "year=1991", "year=1992"]
        assert len(pq.read_table(out)) == 9
        flat = e.write_parquet(labels, tmp_path / "flat")
        assert [p.name for p in flat.iterdir()] == ["part-0.parquet"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["both", "flat"]

        e.limit_memory("64MB")
        assert duck.execute("SELECT current_setting('memory_limit')").fetchone()[0] != default_limit
    assert duck.execute("SELECT current_setting('memory_limit')").fetchone()[0] == default_limit
    assert duck.execute("SELECT 1").fetchone() == (1,)  # closing the engine leaves the store's connection open
