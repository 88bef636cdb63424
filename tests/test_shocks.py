"""Event studies and change points: planted effects are found, absent ones are not, intervals cover,
and the real daily GDELT graph shows the 24 February 2022 shock in the Russia-USA series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dyadic.errors import RequestError
from dyadic.framework.shocks import ChangePoints, EventStudy, breaks, event_study, match_events
from dyadic.store import Store, ingest

from conftest import source_dir


def yearly(values, start=1990) -> pd.Series:
    return pd.Series(values, index=range(start, start + len(values)))


def test_event_study_recovers_planted_step():
    rng = np.random.default_rng(1)
    years = np.arange(1990, 2020)
    y = 0.5 + 0.01 * (years - 1990) + rng.normal(0, 0.02, len(years)) + np.where(years >= 2010, 0.2, 0)
    es = EventStudy(before=12, after=6, seed=3).fit(yearly(y), "2010-02-01", "year", "x")
    r = es.result_
    assert r.verdict == "closer"
    assert r.lo < 0.2 < r.hi
    assert abs(r.effect - 0.2) < 0.06
    # the same step downwards, for an indicator where lower means closer, is 'closer' too
    es2 = EventStudy(before=12, after=6, seed=3, direction=-1).fit(yearly(-y), "2010-02-01", "year", "x")
    assert es2.result_.verdict == "closer"


def test_event_study_flat_noise_mostly_cannot_tell():
    rng = np.random.default_rng(7)
    verdicts = []
    for _ in range(40):
        y = 0.6 + rng.normal(0, 0.05, 30)
        verdicts.append(EventStudy(before=10, after=5, seed=1, n_boot=500).fit(yearly(y), "2010-01-10", "year").result_.verdict)
    assert verdicts.count("cannot tell") >= 32  # 90% intervals: about 36 of 40 expected


def test_event_study_interval_coverage_near_nominal():
    rng = np.random.default_rng(11)
    hits, n = 0, 300
    for i in range(n):
        y = 1.0 + 0.03 * np.arange(40) + rng.normal(0, 0.1, 40) + np.where(np.arange(40) >= 25, 0.15, 0)
        r = EventStudy(before=15, after=8, level=0.9, seed=i, n_boot=400).fit(
            yearly(y), "2015-01-05", "year").result_
        hits += r.lo <= 0.15 <= r.hi
    assert 0.83 <= hits / n <= 0.96


def test_event_study_monthly_index_and_windows():
    idx = pd.date_range("2018-01-01", periods=48, freq="MS")
    y = pd.Series(np.r_[np.zeros(24), np.ones(24)] + np.random.default_rng(0).normal(0, 0.1, 48), index=idx)
    es = EventStudy(seed=0).fit(y, "2020-01-10", "month")  # early in the month: January counts as after
    f = es.predict()
    assert (f.window == "before").sum() == 24 and (f.window == "after").sum() == 12
    assert es.result_.verdict == "closer"
    es_late = EventStudy(seed=0).fit(y, "2019-12-28", "month")  # late in December: December is before
    assert es_late.result_.n_before == 24


def test_event_study_seed_reproducible_and_errors():
    y = yearly(np.random.default_rng(2).normal(0, 1, 20))
    a = EventStudy(seed=5).fit(y, "2000-01-01", "year").result_
    b = EventStudy(seed=5).fit(y, "2000-01-01", "year").result_
    assert a == b
    with pytest.raises(RequestError, match="too few"):
        EventStudy().fit(y, "2030-01-01", "year")
    with pytest.raises(RequestError, match="freq"):
        EventStudy().fit(y, "2000-01-01", "week")


# Derandomised: the same 25 examples every run, so CI cannot pass or fail by the draw.
@hsettings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.integers(20, 80), min_size=1, max_size=3, unique=True), st.integers(0, 10_000))
def test_change_points_found_within_tolerance(positions, seed):
    rng = np.random.default_rng(seed)
    pos = sorted(positions)
    pos = [p for i, p in enumerate(pos) if i == 0 or p - pos[i - 1] >= 10]
    y = rng.normal(0, 0.3, 100)
    level = 0.0
    for i, p in enumerate(pos):
        level += 2.0 if i % 2 == 0 else -2.0
        y[p:] += 2.0 if i % 2 == 0 else -2.0
    s = pd.Series(y, index=pd.date_range("2000-01-01", periods=100, freq="D"))
    found = ChangePoints(min_size=3).fit(s).predict()
    idx = [int((pd.Timestamp(d) - pd.Timestamp("2000-01-01")).days) for d in found.date]
    for p in pos:
        assert any(abs(i - p) <= 2 for i in idx), (pos, idx)
    assert len(idx) <= len(pos) + 1


def test_change_points_none_on_flat_series():
    s = yearly(np.random.default_rng(4).normal(0, 1, 60), 1950)
    assert len(ChangePoints().fit(s).predict()) <= 1


def test_match_events_nearest_curated_date():
    br = pd.DataFrame({"date": [pd.Timestamp("2022-02-20"), pd.Timestamp("2010-01-01")], "size": [1.0, 1.0]})
    m = match_events(br, "day")
    assert m.event_date.iloc[0] == "2022-02-24" and m.days_off.iloc[0] == 4
    assert m.event.iloc[1] == ""  # nothing curated within three weeks of 2010


@pytest.fixture(scope="module")
def graph_store(tmp_path_factory, settings) -> Store:
    source_dir("gdelt_daily_country_graph")
    st_ = Store.open(tmp_path_factory.mktemp("shocks") / "graph.duckdb")
    ingest(st_, settings, ["country_codes", "gdelt_daily_country_graph"])
    yield st_
    st_.close()


def test_gdelt_russia_usa_shock_around_invasion(graph_store):
    br, missing = breaks(graph_store, "RUS", "USA", ["events_month", "events_day"])
    assert not missing
    when = pd.to_datetime(br.date)
    near = br[(when >= "2022-01-25") & (when <= "2022-03-25")]
    assert len(near) >= 1
    assert (near["size"] < 0).any()  # the shock is a fall in the pair's score
    direct = graph_store.con.execute(
        "SELECT score FROM event_graph_daily WHERE a = 'RUS' AND b = 'USA' AND date = '2022-02-23'").fetchone()[0]
    row = br[(br.kind == "spike") & (br.date == "2022-02-23")]
    assert len(row) == 1 and row["size"].iloc[0] == pytest.approx(direct)


def test_event_study_on_graph_and_missing_sources(graph_store):
    df, missing = event_study(graph_store, "RUS", "USA", "2022-02-24", ["events_month", "unga_agree"], seed=1)
    assert list(df.indicator) == ["events_month"]
    assert df.effect.iloc[0] < 0
    assert any("unga_agree" in m for m in missing)  # UN votes not ingested in this store: reported, not faked
    late, missing = event_study(graph_store, "RUS", "USA", "2025-01-20", ["events_month"])
    assert late.empty and "too few" in missing[0]  # the graph ends in February 2024
