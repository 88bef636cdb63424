"""Event studies and change points on generated series (a clear step gives its sign, noise gives *cannot
tell*, a common shock is differenced out, each refusal names its check) and on the real daily GDELT graph."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dyadic.errors import RequestError
from dyadic.framework.shocks import (MIN_PLACEBOS, ChangePoints, EventStudy, breaks, event_study, key_dates,
                                     match_events)
from dyadic.store import Store, ingest

from conftest import source_dir


def yearly(values, start=1950) -> pd.Series:
    return pd.Series(values, index=range(start, start + len(values)))


def panel(rng, n_years=70, n_comp=30, sd=0.02, step=0.0, common=0.0, at_year=2000, start=1950):
    """A pair and ``n_comp`` comparison dyads of yearly noise; the pair steps by ``step`` from ``at_year``,
    every dyad (pair included) by ``common``."""
    years = np.arange(start, start + n_years)
    after = (years >= at_year).astype(float)
    pair = 0.5 + rng.normal(0, sd, n_years) + (step + common) * after
    comp = 0.4 + rng.normal(0, sd, (n_years, n_comp)) + common * after[:, None]
    return yearly(pair, start), pd.DataFrame(comp, index=years, columns=[f"A–{i}" for i in range(n_comp)])


def test_clear_step_gives_its_sign():
    rng = np.random.default_rng(1)
    s, comp = panel(rng, step=0.2)
    r = EventStudy().fit(s, "2000-02-01", "year", "x", comparison=comp).result_
    assert r.verdict == "closer" and r.lo > 0 and abs(r.effect - 0.2) < 0.05
    assert r.n_comparison == 30 and r.n_placebo >= 50 and "1997 to 2002" in r.evidence
    # the same step down on an indicator where lower means closer is 'closer' too; up on it is 'apart'
    assert EventStudy(direction=-1).fit(-s, "2000-02-01", "year", comparison=-comp).result_.verdict == "closer"
    assert EventStudy(direction=-1).fit(s, "2000-02-01", "year", comparison=comp).result_.verdict == "apart"


def test_pure_noise_gives_cannot_tell():
    rng = np.random.default_rng(7)
    verdicts = [EventStudy().fit(*panel(rng)[:1], "2000-01-10", "year", comparison=panel(rng)[1]).result_.verdict
                for _ in range(40)]
    assert verdicts.count("cannot tell") >= 35  # 10% two-sided placebo test and a sign check: under 4 expected


def test_common_shock_is_differenced_out():
    """Everyone moved: the pair's own change is large but no larger than its partners' other dyads'."""
    rng = np.random.default_rng(3)
    s, comp = panel(rng, common=0.3)
    r = EventStudy().fit(s, "2000-02-01", "year", comparison=comp).result_
    assert r.raw_change > 0.25 and abs(r.effect) < 0.05
    assert r.verdict == "cannot tell" and r.reason.startswith("inside the placebo band")
    alone = EventStudy().fit(s, "2000-02-01", "year").result_  # without comparisons the jump is the effect
    assert alone.n_comparison == 0 and alone.verdict == "closer"


def test_sign_must_hold_across_windows():
    """Up for one year, then down below the old level: no verdict, whichever window is asked for."""
    rng = np.random.default_rng(5)
    y = 0.5 + rng.normal(0, 0.005, 70)
    y[50], y[51:54] = 0.6, 0.42  # 2000 up, 2001-2003 down
    for w in (1, 2, 3):
        r = EventStudy(before=w, after=w).fit(yearly(y), "2000-02-01", "year").result_
        assert r.verdict == "cannot tell", (w, r)
    r1 = EventStudy(before=1, after=1).fit(yearly(y), "2000-02-01", "year").result_
    assert r1.reason.startswith("sign not stable") and "1y +" in r1.windows and "3y -" in r1.windows


def test_too_few_points_and_placebos_refused():
    rng = np.random.default_rng(2)
    s, comp = panel(rng, step=0.3)
    short = EventStudy().fit(s.loc[1998:], "2000-02-01", "year", comparison=comp).result_
    assert short.verdict == "cannot tell" and short.reason.startswith("too few points: 2 of 3 years before")
    few = EventStudy().fit(s.loc[1990:2010], "2000-02-01", "year").result_
    assert few.verdict == "cannot tell" and "placebo dates" in few.reason and few.n_placebo < MIN_PLACEBOS
    # a short history with comparison dyads: their changes at the date are placebos in space
    spaced = EventStudy().fit(s.loc[1990:2010], "2000-02-01", "year", comparison=comp.loc[1990:2010]).result_
    assert spaced.n_placebo >= MIN_PLACEBOS and spaced.verdict == "closer"
    with pytest.raises(RequestError, match="too few"):
        EventStudy().fit(s.loc[:1999], "2000-02-01", "year")  # nothing after the date: not measured
    with pytest.raises(RequestError, match="freq"):
        EventStudy().fit(s, "2000-01-01", "week")


def test_sampling_error_of_a_partial_year_widens_the_interval():
    """A step seen in a final year of 3 roll calls (binomial se ~0.27) is not a verdict; with 300 it is."""
    rng = np.random.default_rng(4)
    s, comp = panel(rng, n_years=51, step=0.15)  # 1950-2000, the event year is the last
    se = pd.Series(0.01, index=s.index)
    sure = EventStudy(before=1, after=1).fit(s, "2000-01-10", "year", comparison=comp, se=se).result_
    se.loc[2000] = np.sqrt(0.5 * 0.5 / 3)
    unsure = EventStudy(before=1, after=1).fit(s, "2000-01-10", "year", comparison=comp, se=se).result_
    assert sure.sampling_se < 0.01 < unsure.sampling_se
    assert unsure.hi - unsure.lo > sure.hi - sure.lo + 0.5
    assert unsure.verdict == "cannot tell"


def test_monthly_windows_and_event_period():
    idx = pd.date_range("2010-01-01", periods=120, freq="MS")
    y = pd.Series(np.random.default_rng(0).normal(0, 0.1, 120) + (idx >= "2016-01-01"), index=idx)
    es = EventStudy().fit(y, "2016-01-10", "month")  # early in the month: January counts as after
    f = es.predict()
    assert (f.window == "before").sum() == 6 and (f.window == "after").sum() == 6  # half a year each side
    assert es.result_.verdict == "closer" and "2015-07 to 2016-06" in es.result_.evidence
    late = EventStudy().fit(y, "2015-12-28", "month").result_  # late in December: December is before
    assert late.evidence.startswith("2015-07 to 2016-06")
    again = EventStudy(seed=1).fit(y, "2016-01-10", "month").result_  # deterministic, whatever the seed
    assert (again.effect, again.lo, again.hi, again.verdict) == (es.result_.effect, es.result_.lo, es.result_.hi,
                                                                  es.result_.verdict)


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


def test_match_events_nearest_curated_date_of_the_pair():
    br = pd.DataFrame({"date": [pd.Timestamp("2022-02-20"), pd.Timestamp("2010-01-01")], "size": [1.0, 1.0]})
    m = match_events(br, "day", key_dates([("UKR", "RUS")]))
    assert m.event_date.iloc[0] == "2022-02-24" and m.days_off.iloc[0] == 4
    assert m.event.iloc[1] == ""  # nothing curated within three weeks of 2010
    # Another pair's event two days nearer (Nord Stream 2, DEU-RUS, 22 Feb) explains nothing for RUS-UKR...
    assert "2022-02-22" in set(key_dates().date.dt.strftime("%Y-%m-%d"))
    # ...while China-Russia's own nearest date that month is the joint statement of 4 February.
    m = match_events(br.iloc[:1], "day", key_dates([("CHN", "RUS")]))
    assert m.event_date.iloc[0] == "2022-02-04" and m.days_off.iloc[0] == -16
    none = match_events(br, "day", key_dates([("ISL", "NZL")]))  # a pair with no curated date
    assert none.event.tolist() == ["", ""] and none.days_off.isna().all()


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
    assert df.effect.iloc[0] < 0 and df.verdict.iloc[0] != "closer"
    assert df.n_comparison.iloc[0] > 50 and df.comparison_sd.iloc[0] > 0
    assert any("unga_agree" in m for m in missing)  # UN votes not ingested in this store: reported, not faked
    late, missing = event_study(graph_store, "RUS", "USA", "2025-01-20", ["events_month"])
    assert late.empty and "too few" in missing[0]  # the graph ends in February 2024
