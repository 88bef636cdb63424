"""Event studies on cases of known history (issue 16), on the staged real data: no verdict contradicts what
is known, a verdict appears only when it survives the placebo and window checks, and every answer names the
years or months it stands on and, when it is 'cannot tell', the check that failed."""

from __future__ import annotations

import pytest

from dyadic.framework.shocks import event_study
from dyadic.store import Store

from conftest import UNGA_SOURCES, staged_store

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

SOURCES = [*UNGA_SOURCES, "unga_ideal_points_voeten", "gdelt_daily_country_graph"]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    st = staged_store(tmp_path_factory, "shock_cases", SOURCES)
    yield st
    st.close()


def study(store: Store, a: str, b: str, at: str, indicators: list[str], window: int | None = None):
    df, missing = event_study(store, a, b, at, indicators, before=window, after=window)
    assert not missing, missing
    return df.set_index("indicator")


def explained(row) -> bool:
    """A row states its evidence, and a 'cannot tell' names the failed check."""
    return bool(row.evidence) and (row.verdict != "cannot tell" or row.reason.startswith((
        "too few points", "inside the placebo band", "sign not stable across windows",
        "sign across windows not checkable")))


def test_usa_cuba_thaw_is_not_apart(store):
    df = study(store, "USA", "CUB", "2014-12-17", ["unga_agree", "bsv_distance"])
    for ind, r in df.iterrows():
        assert r.verdict != "apart", (ind, r.reason)
        assert explained(r)
    assert "2012 to 2017" in df.loc["unga_agree", "evidence"]  # 17 December: 2015 is the first after-year
    assert df.loc["unga_agree", "n_comparison"] > 300


def test_russia_usa_invasion_never_closer(store):
    df = study(store, "RUS", "USA", "2022-02-24", ["unga_agree", "bsv_distance", "events_month"])
    for ind, r in df.iterrows():
        assert r.verdict != "closer", (ind, r.reason)
        assert explained(r)
    ev = df.loc["events_month"]
    assert ev.verdict == "apart" and ev.effect < ev.placebo_lo and ev.n_placebo >= 20
    assert "2021-09 to 2022-08" in ev.evidence  # six months each side of February 2022


def test_china_russia_events_no_contradiction_across_windows(store):
    rows = [study(store, "CHN", "RUS", "2022-02-24", ["events_month"], w).loc["events_month"] for w in (12, 24, 36)]
    verdicts = {r.verdict for r in rows} - {"cannot tell"}
    assert len(verdicts) <= 1, [(r.window, r.verdict, r.reason) for r in rows]
    assert all(explained(r) for r in rows), [(r.window, r.reason) for r in rows if not explained(r)]
    # the graph covers 2018-01 to 2024-02: three years after February 2022 are not there
    assert rows[2].verdict == "cannot tell" and rows[2].reason.startswith("too few points")


def test_egypt_israel_peace_treaty_closer_on_ideal_points(store):
    df = study(store, "EGY", "ISR", "1979-03-26", ["bsv_distance", "unga_agree"])
    r = df.loc["bsv_distance"]
    assert r.verdict == "closer", r.reason
    assert r.effect < 0 and r.hi < 0 and "1976 to 1981" in r.evidence
    assert df.loc["unga_agree", "verdict"] != "apart"


def test_china_usa_1971_refused_for_too_few_years(store):
    """The People's Republic holds the seat from October 1971: three before-years do not exist."""
    r = study(store, "CHN", "USA", "1972-02-21", ["unga_agree"]).loc["unga_agree"]
    assert r.verdict == "cannot tell" and r.reason.startswith("too few points: 1 of 3 years before")
