"""The Spark engine in local mode: store tables reach it with their types intact, its writes are all or
nothing, and trade, power and the dyad-year panel (one set of Ibis expressions, run as one query or step by
step) give the same rows as on DuckDB."""

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dyadic import engine
from dyadic.cli import app
from dyadic.errors import DyadicError
from dyadic.indicators import panel as P
from dyadic.indicators.panel import build_panel
from dyadic.indicators.power import power_dyad_years, power_state_years
from dyadic.indicators.trade import trade_dyad_years

from conftest import staged_store
from test_engine import assert_failed_rewrite_keeps

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

SOURCES = ["country_codes", "cow_trade", "wb_gdp", "cow_nmc", "sipri_milex", "alliances_atop_cow"]


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
    target = tmp_path / "out"
    bad = t.select("year", n=t.code.cast("int32"))  # 'S1' is no number: Spark fails while it writes
    assert_failed_rewrite_keeps(sp, t.select("year", "n", "code"), bad, target)
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == [f"year={y}" for y in range(1990, 1996)]
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


@pytest.fixture(scope="module")
def rstore(tmp_path_factory):
    """A store with the panel's relational sources (real staged data)."""
    st = staged_store(tmp_path_factory, "engine", SOURCES)
    yield st
    st.close()


def same_rows(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Equal row for row once both are sorted: exact, floats included (both engines compute in IEEE doubles)."""
    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_trade_on_spark_equals_duckdb(spark, rstore):
    duck = trade_dyad_years(rstore, 2008, 2012)
    assert len(duck) > 40_000 and duck.dep_a.notna().sum() > 10_000
    same_rows(duck, trade_dyad_years(rstore, 2008, 2012, engine="spark"), ["year", "a", "b"])


def test_power_on_spark_equals_duckdb(spark, rstore):
    duck = power_dyad_years(rstore, 2010, 2012)
    assert len(duck) > 50_000 and duck.milex_ratio.notna().any()
    same_rows(duck, power_dyad_years(rstore, 2010, 2012, engine="spark"), ["year", "a", "b"])
    same_rows(power_state_years(rstore, 1816, 2024), power_state_years(rstore, 1816, 2024, engine="spark"),
              ["year", "code"])


def steps_panel(store, start, end, directed=False, pairs=None, engine="duckdb"):
    """The panel step by step: the frame, then one query per step."""
    p = P.create_dyadyears(store, start, end, directed=directed, pairs=pairs, engine=engine)
    for add in (P.add_trade, P.add_power, P.add_alliances):
        p = add(p, store, engine=engine)
    return p


def same_panel(a, b) -> None:
    pd.testing.assert_frame_equal(a.data, b.data, check_exact=True)
    pd.testing.assert_frame_equal(a.coverage, b.coverage, check_exact=True)
    assert (a.added, a.directed, a.start, a.end) == (b.added, b.directed, b.start, b.end)


def test_one_query_equals_the_steps_on_every_dyad_year(rstore):
    ref = steps_panel(rstore, 1816, 2024)
    assert ref.data.trade.notna().any() and ref.data.atop_defense.eq(1).any()
    assert str(ref.data.atop_defense.dtype) == "Int8" and str(ref.data.year.dtype) == "int16"
    same_panel(ref, build_panel(rstore, 1816, 2024, engine="duckdb"))


def test_one_query_equals_the_steps_directed_and_by_pair(rstore):
    ref = steps_panel(rstore, 1990, 2020, directed=True)
    same_panel(ref, build_panel(rstore, 1990, 2020, directed=True, engine="duckdb"))
    # A directed row reads the non-directed values from its own side; a to b ratios only where a < b.
    d = ref.data.assign(a=ref.data.a.astype(str), b=ref.data.b.astype(str))
    back = d.merge(d, left_on=["year", "a", "b"], right_on=["year", "b", "a"], suffixes=("", "_r"))
    assert back.imports_a.notna().sum() > 10_000
    for x, y in (("imports_a", "imports_b"), ("dep_b", "dep_a"), ("cinc_a", "cinc_b"), ("milex_b", "milex_a")):
        pd.testing.assert_series_equal(back[x], back[f"{y}_r"], check_names=False)
    assert back.loc[back.a > back.b, ["cinc_ratio", "dep_asym"]].isna().all().all()
    assert back.loc[back.a < back.b, "cinc_ratio"].notna().any()
    pairs = ["CHN-RUS", "USA-CHN", "Germany-France"]
    same_panel(steps_panel(rstore, 1946, 2024, directed=True, pairs=pairs),
               build_panel(rstore, 1946, 2024, directed=True, pairs=pairs, engine="duckdb"))


def test_spark_panel_equals_the_duckdb_panel(spark, rstore):
    same_panel(build_panel(rstore, 2010, 2012, engine="duckdb"), build_panel(rstore, 2010, 2012, engine="spark"))
    pairs = ["CHN-RUS", "USA-CHN"]
    with engine.engine_for("spark", rstore) as sp:  # one engine: the store tables are exported once
        same_panel(steps_panel(rstore, 2008, 2012, directed=True, pairs=pairs),
                   steps_panel(rstore, 2008, 2012, directed=True, pairs=pairs, engine=sp))


def test_cli_writes_a_spark_panel_partitioned_by_year(spark, rstore, tmp_path):
    target = tmp_path / "panel"
    args = ["panel", "--store", str(rstore.path), "--from", "2011", "--to", "2013", "--pairs", "CHN-RUS,CHN-USA",
            "--add", "trade,power,alliances", "--directed", "--out", str(target)]
    res = CliRunner().invoke(app, [*args, "--engine", "spark"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in target.iterdir() if p.is_dir()) == ["year=2011", "year=2012", "year=2013"]
    assert (tmp_path / "panel.coverage.csv").exists()
    got = pq.read_table(target).to_pandas()
    ref = steps_panel(rstore, 2011, 2013, directed=True, pairs=["CHN-RUS", "CHN-USA"]).data
    got = got.assign(year=got.year.astype(int), a=got.a.astype(str), b=got.b.astype(str))
    got = got.sort_values(["year", "a", "b"], ignore_index=True)[list(ref.columns)]
    assert len(got) == len(ref) == 12
    for c in ref.columns:
        kind = float if pd.api.types.is_numeric_dtype(ref[c]) and c not in ("a", "b") else str  # trade_source
        want = ref[c].astype(str) if c in ("a", "b") else ref[c]
        assert got[c].isna().tolist() == want.isna().tolist(), c  # missing stays missing, never NaN-as-value
        assert got[c].dropna().astype(kind).tolist() == want.dropna().astype(kind).tolist(), c


def test_cli_rejects_an_unknown_engine(rstore, tmp_path):
    res = CliRunner().invoke(app, ["panel", "--store", str(rstore.path), "--engine", "polars",
                                   "--out", str(tmp_path / "p.parquet")])
    assert res.exit_code == 2 and "duckdb or spark" in res.output
