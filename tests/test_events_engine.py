"""GDELT files to dyad-month indicators on DuckDB and Spark: the same rows as the embedded ingest."""

import random

import pandas as pd
import pytest

from conftest import source_dir
from dyadic import engine
from dyadic.errors import DyadicError
from dyadic.events_api import ingest_gdelt
from dyadic.indicators.events import dyad_periods
from dyadic.indicators.events_engine import event_periods, write_event_periods
from dyadic.sources.gdelt import Filters
from dyadic.store import Store, ingest

V2 = "20191024143000.export.CSV"
KEY = ["src", "tgt", "period"]


@pytest.fixture(scope="module")
def resampled(tmp_path_factory):
    """The real 2.0 sample plus 120,000 rows resampled from its lines, published on later days."""
    src = source_dir("gdelt_raw_samples") / V2
    folder = tmp_path_factory.mktemp("gdelt-resampled")
    folder.joinpath(V2).write_bytes(src.read_bytes())
    lines = [ln.split(b"\t") for ln in src.read_bytes().splitlines()]
    rng = random.Random(11)
    next_id = 900_000_000
    for day, n in (("20191101", 40_000), ("20191215", 80_000)):
        out = []
        for row in rng.choices(lines, k=n):
            row = list(row)
            row[0], row[59] = b"%d" % next_id, day.encode() + b"120000"
            next_id += 1
            out.append(b"\t".join(row))
        folder.joinpath(f"{day}120000.export.CSV").write_bytes(b"\n".join(out) + b"\n")
    return folder


@pytest.fixture(scope="module")
def ingested(settings, resampled, tmp_path_factory):
    st = Store.open(tmp_path_factory.mktemp("ev-engine") / "s.duckdb")
    ingest(st, settings, ["country_codes"])
    ingest_gdelt(st, resampled, name="gdelt_events", filters=Filters(min_sources=2))
    yield st
    st.close()


def _sorted(df: pd.DataFrame, cols) -> pd.DataFrame:
    df = df[list(cols)].copy()
    df["period"] = pd.to_datetime(df["period"]).dt.strftime("%Y-%m-%d")
    return df.sort_values(KEY).reset_index(drop=True)


def _assert_same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) > 0
    ints = [c for c in a.columns if c not in KEY and pd.api.types.is_integer_dtype(a[c])]
    assert (a[KEY + ints].astype(str).to_numpy() == b[KEY + ints].astype(str).to_numpy()).all()
    # Sums of doubles may differ in the last bit when an engine adds in another order: 1e-12 relative.
    pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, rtol=1e-12)


@pytest.fixture(scope="module")
def embedded(ingested):
    return dyad_periods(ingested, "gdelt_events").execute()


def test_duckdb_engine_equals_the_embedded_ingest(ingested, embedded, resampled):
    be = engine.connect("duckdb", ingested.con)
    got = engine.execute(be, event_periods(be, resampled, ingested.registry(), filters=Filters(min_sources=2)))
    assert {"year", "month"} <= set(got.columns)
    _assert_same(_sorted(embedded, embedded.columns), _sorted(got, embedded.columns))
    assert set(got.period.astype(str).str[:7]) == {"2019-10", "2019-11", "2019-12"}


def test_spark_engine_equals_the_embedded_ingest(ingested, embedded, resampled):
    be = engine.connect("spark", ingested.con)
    got = engine.execute(be, event_periods(be, resampled, ingested.registry(), filters=Filters(min_sources=2)))
    _assert_same(_sorted(embedded, embedded.columns), _sorted(got, embedded.columns))


def test_spark_job_failure_leaves_no_output(ingested, resampled, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    lines = (resampled / V2).read_bytes().split(b"\n")
    fields = lines[50].split(b"\t")
    fields[59] = b"2019102414300x"  # DATEADDED that is not a number: the job fails when Spark parses it
    (bad / V2).write_bytes(b"\n".join(lines[:50] + [b"\t".join(fields)] + lines[51:]))
    out = tmp_path / "periods"
    be = engine.connect("spark", ingested.con)
    write_event_periods(be, resampled / V2, ingested.registry(), out)
    before = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    assert before and all(str(p).startswith("year=2019/month=10") for p in before)
    with pytest.raises(DyadicError, match=str(out)):
        write_event_periods(be, bad / V2, ingested.registry(), out)
    assert sorted(p.relative_to(out) for p in out.rglob("*.parquet")) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_cli_aggregate_writes_partitioned_parquet(ingested, embedded, resampled, tmp_path):
    from typer.testing import CliRunner

    from dyadic.cli import app

    out = tmp_path / "agg"
    res = CliRunner().invoke(app, ["gdelt", "aggregate", str(resampled), "--out", str(out), "--min-sources", "2",
                                   "--store", str(ingested.path)])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert sorted({p.parent.name for p in out.rglob("*.parquet")}) == ["month=10", "month=11", "month=12"]
    assert int(got.events.sum()) == int(embedded.events.sum())


def test_canonical_tables_equal_the_embedded_ingest(ingested, resampled):
    """The canonical events and volume the engine job aggregates are the ingest's rows, value for value."""
    from dyadic.indicators.events_engine import canonical, read_raw

    be = engine.connect("duckdb", ingested.con)
    t = canonical(read_raw(be, resampled), ingested.registry(), filters=Filters(min_sources=2))
    cols = ["event_id", "added", "src", "tgt", "src_actor", "tgt_actor", "cameo", "quad_class", "goldstein", "tone"]
    got = be.to_pandas(t["events"].select(*cols)).sort_values("event_id", ignore_index=True)
    want = ingested.con.execute(f"SELECT {', '.join(cols)} FROM events WHERE source = 'gdelt_events'").df()
    want = want.sort_values("event_id", ignore_index=True)
    assert len(got) == len(want) > 500
    assert (got.astype(str).to_numpy() == want.astype(str).to_numpy()).all()
    vol = be.to_pandas(t["event_volume"].select("month", "code", "events")).sort_values(["month", "code"],
                                                                                        ignore_index=True)
    ref = ingested.con.execute("SELECT month, code, events FROM event_volume WHERE source = 'gdelt_events' "
                               "ORDER BY month, code").df()
    assert vol.astype(str).to_numpy().tolist() == ref.astype(str).to_numpy().tolist()
