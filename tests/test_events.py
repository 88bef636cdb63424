"""Event indicators on the staged real data: the daily country graph and the raw GDELT samples."""

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import source_dir
from dyadic.cli import app
from dyadic.indicators.events import cameo_table, dyad_periods, families, graph_periods, pair_series
from dyadic.sources.gdelt import GDELT2_COLUMNS
from dyadic.store import Store, ingest


@pytest.fixture(scope="module")
def ev_store(settings, tmp_path_factory):
    path = tmp_path_factory.mktemp("events") / "e.duckdb"
    st = Store.open(path)
    ingest(st, settings, ["gdelt_daily_country_graph", "gdelt_raw_samples"])
    yield st
    st.close()


def test_largest_china_russia_day(ev_store):
    q = """SELECT date FROM event_graph_daily WHERE a = 'CHN' AND b = 'RUS' ORDER BY score DESC LIMIT 1"""
    assert str(ev_store.con.execute(q).fetchone()[0]) == "2023-03-21"


def test_graph_cell_equals_staged_extract(ev_store):
    csv = pd.read_csv(source_dir("gdelt_daily_country_graph") / "gdelt_daily_graph_chn_rus_usa.csv")
    got = ev_store.con.execute("SELECT date, score FROM event_graph_daily WHERE a = 'CHN' AND b = 'RUS'").df()
    m = csv.assign(date=pd.to_datetime(csv.date)).merge(got.assign(date=pd.to_datetime(got.date)), on="date")
    assert len(m) == (csv.CHN_RUS != 0).sum()
    assert (m.CHN_RUS - m.score).abs().max() < 1e-2  # the extract is printed with 6 significant digits


def test_russia_usa_negative_in_2022(ev_store):
    s = pair_series(ev_store, "RUS", "USA", "2018", "2023", freq="year", source="graph")
    s = s[s.direction == "RUS→USA"].set_index("period")
    assert s.loc["2022", "score_day"] < 0 < s.loc["2021", "score_day"]
    csv = pd.read_csv(source_dir("gdelt_daily_country_graph") / "gdelt_daily_graph_chn_rus_usa.csv")
    mean22 = csv[csv.date.str.startswith("2022")].RUS_USA.mean()
    assert s.loc["2022", "score_day"] == pytest.approx(mean22, rel=1e-4)


def test_missing_months_are_missing(ev_store):
    s = pair_series(ev_store, "CHN", "RUS", "2017-11", "2018-02", source="graph")
    first = s[s.direction == "CHN→RUS"].set_index("period")
    assert first.loc[["2017-11", "2017-12"], "score"].isna().all()
    assert first.loc[["2018-01", "2018-02"], "score"].notna().all()
    # Raw samples: a covered year with no USA->RUS event is 0, an uncovered one is missing.
    r = pair_series(ev_store, "USA", "RUS", "2013", "2019", freq="year", source="gdelt_raw_samples")
    r = r[r.direction == "RUS→USA"].set_index("period")
    assert r.loc["2013", "events"] == 0 and pd.isna(r.loc["2014", "events"])


def test_both_directions_and_normalisation(ev_store):
    t = dyad_periods(ev_store, "gdelt_raw_samples", "year").execute()
    assert {("USA", "RUS"), ("CHN", "RUS")} <= set(zip(t.src, t.tgt))
    row = t[(t.src == "USA") & (t.tgt == "RUS") & (t.period.astype(str).str.startswith("2019"))].iloc[0]
    assert row.q4 == 1 and row.net_coop == -9.0
    assert row.events_per_k_src == pytest.approx(1000 * row.events / row.vol_src)
    fam = dyad_periods(ev_store, "gdelt_raw_samples", "year", family="military").execute()
    assert fam.events.sum() == fam.military.sum() > 0


def test_graph_normalised(ev_store):
    g = graph_periods(ev_store, "year").execute()
    r = g[(g.a == "CHN") & (g.b == "RUS")]
    assert (r.days > 0).all() and ((r.score_per_k_a.abs() <= 1000) & (r.score_per_k_b.abs() <= 1000)).all()


def test_cameo_table_matches_gdelt_coding():
    cam = cameo_table().set_index("code")
    assert cam.loc["057", "goldstein"] == 8.0 and cam.loc["190", "goldstein"] == -10.0
    assert cam.loc["062", "name"] == "Cooperate militarily" and cam.loc["062", "quad_class"] == 2
    assert (cam.level.value_counts()[["root", "base"]] == [20, len(cam[cam.level == "base"])]).all()
    con = duckdb.connect()
    path = source_dir("gdelt_raw_samples") / "20191024143000.export.CSV"
    rows = con.execute(f"""SELECT DISTINCT EventCode, QuadClass, GoldsteinScale FROM read_csv('{path}', delim='\t',
        header=false, quote='', columns={GDELT2_COLUMNS!r})""").fetchall()
    for code, quad, g in rows:
        assert cam.loc[code, "quad_class"] == quad, code
        assert cam.loc[code, "goldstein"] == g, code


def test_families_are_data():
    f = families()
    assert f["military_coop"] == ("062",) and f["military_aid"] == ("072",) and f["agreements"] == ("057",)
    codes = set(cameo_table().code)
    assert all(p in codes for ps in f.values() for p in ps)


def test_cli_events(ev_store):
    res = CliRunner().invoke(app, ["events", "CHN", "RUS", "--from", "2023-03", "--to", "2023-03", "--source",
                                   "graph", "-f", "csv", "--store", str(ev_store.path)])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 3 and lines[1].startswith("CHN→RUS,2023-03")
    bad = CliRunner().invoke(app, ["events", "CHN", "RUS", "--freq", "week", "--store", str(ev_store.path)])
    assert bad.exit_code == 2 and "freq" in bad.output


def test_brief_section(ev_store):
    from dyadic.report.charts import to_svg
    from dyadic.report.events_section import events_section

    names = {"CHN": "China", "RUS": "Russia", "USA": "United States"}
    findings, charts, tables = events_section(ev_store, "CHN", "RUS", "USA", names)
    assert "2023-03" in findings[0]  # the state-visit month is the pair's most cooperative
    assert "RUS–USA: 2022" in findings[1]
    assert any("2025-01-20" in f for f in findings)  # after the graph ends: said, not charted
    assert "<svg" in to_svg(charts[0]) and "2022-02-04" in tables[1][1]


def test_pair_series_normalises_on_the_grid_as_the_indicators_do(ev_store):
    """The pair's grid is normalised by the indicators' own rule: zeros in covered periods count, uncovered
    periods stay missing, and rows with events equal dyad_periods."""
    r = pair_series(ev_store, "USA", "RUS", "2013", "2019", freq="year", source="gdelt_raw_samples")
    assert str(r.vol_src.dtype) == "Int64" and len(r) == 2 * 7
    has_vol = r.vol_src.notna()
    assert ((r.events_per_k_src[has_vol] - 1000 * r.events[has_vol] / r.vol_src[has_vol]).abs() < 1e-12).all()
    assert r.loc[~r.events.notna(), "events_per_k_src"].isna().all()
    t = dyad_periods(ev_store, "gdelt_raw_samples", "year").execute()
    t = t[(t.src == "USA") & (t.tgt == "RUS")].assign(period=lambda d: pd.to_datetime(d.period).dt.strftime("%Y"))
    row = r[r.direction == "USA→RUS"].merge(t, on="period", suffixes=("", "_t"))
    assert len(row) > 0
    for c in ("events", "q4", "net_coop", "vol_src", "events_per_k_tgt"):
        assert (row[c].astype(float) - row[f"{c}_t"].astype(float)).abs().max() < 1e-12, c
    none = pair_series(ev_store, "CHN", "RUS", "1990-01", "1990-03", source="graph")
    assert len(none) == 6 and none.drop(columns=["direction", "period", "source"]).isna().all().all()
