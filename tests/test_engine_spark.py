"""The Spark engine in local mode: store tables reach it with their types intact, its writes are all or
nothing, and trade, power and the dyad-year panel give the same rows as on DuckDB."""

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dyadic import engine
from dyadic.errors import DyadicError


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for the whole run (starting one costs seconds)."""
    return engine.spark_session()


@pytest.fixture(scope="module")
def typed():
    con = duckdb.connect()
    con.execute("CREATE TYPE mood AS ENUM ('calm', 'tense')")
    con.execute("""CREATE TABLE t AS SELECT i::TINYINT AS tiny, (1990 + i)::SMALLINT AS year, i::INTEGER AS n,
                   (i * 1000000000)::BIGINT AS big, (i / 3)::DECIMAL(12, 4) AS dec, i / 7 AS x,
                   DATE '2000-01-01' + i::INTEGER AS day, TIMESTAMP '2000-01-01 12:30:00' + INTERVAL (i) HOUR AS at,
                   (CASE WHEN i % 2 = 0 THEN 'calm' ELSE 'tense' END)::mood AS mood,
                   CASE WHEN i = 2 THEN NULL ELSE 'S' || i::VARCHAR END AS code, i % 2 = 0 AS even
                   FROM range(6) r(i)""")
    yield con
    con.close()


def test_store_tables_reach_spark_with_the_same_types_and_values(spark, typed):
    duck = engine.connect("duckdb", typed)
    sp = engine.connect("spark", typed)
    d = engine.load_tables(duck, typed, ["t"])["t"]
    s = engine.load_tables(sp, typed, ["t"])["t"]
    a = engine.to_arrow(duck, d.order_by("tiny"))
    b = engine.to_arrow(sp, s.order_by("tiny"))
    assert a.to_pylist() == b.to_pylist()
    for field in a.schema:
        want = pa.string() if field.name == "mood" else field.type  # an ENUM travels as its labels
        assert b.schema.field(field.name).type == want, field.name
    pd.testing.assert_frame_equal(engine.execute(duck, d.order_by("tiny")), engine.execute(sp, s.order_by("tiny")))


def test_a_spark_query_failing_mid_write_leaves_the_old_output(spark, typed, tmp_path):
    sp = engine.connect("spark", typed)
    t = engine.load_tables(sp, typed, ["t"])["t"]
    target = engine.write_parquet(sp, t.select("year", "n", "code"), tmp_path / "out", partition_by=["year"])
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == [f"year={y}" for y in range(1990, 1996)]
    before = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    bad = t.select("year", n=t.code.cast("int32"))  # 'S1' is no number: Spark fails while it writes
    with pytest.raises(DyadicError, match=r"cannot write .*out"):
        engine.write_parquet(sp, bad, target, partition_by=["year"])
    after = {p.relative_to(target): p.read_bytes() for p in target.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    back = pq.read_table(target).to_pandas()
    assert sorted(back.n) == list(range(6))


def test_a_spark_write_to_an_unwritable_place_fails_cleanly(spark, typed, tmp_path):
    sp = engine.connect("spark", typed)
    t = engine.load_tables(sp, typed, ["t"])["t"]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DyadicError, match=r"cannot write .*file/out"):
        engine.write_parquet(sp, t, blocker / "out")
    assert [p.name for p in tmp_path.iterdir()] == ["file"]
