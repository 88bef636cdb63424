"""Futures on real pairs (RUS-UKR at war, USA-GBR allied) and the interval rules on generated data.

Staged sources only; the store is built once for the module.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import UNGA_SOURCES, staged_store

from dyadic.framework import futures as fu

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

SOURCES = [*UNGA_SOURCES, "alliances_atop_cow", "cow_nmc", "cow_contiguity_distance", "mids_cow_gml",
           "strategic_rivalries_td", "alliances_atop_levels", "treaties_after_sources"]


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    s = staged_store(tmp_path_factory, "futures_cases", SOURCES)
    yield s
    s.close()


@pytest.fixture(scope="module")
def runs(st):
    kw = {"horizons": (5, 10), "n_paths": 4000, "n_boot": 200, "seed": 0}
    return {"RUS-UKR": fu.futures(st, "RUS", "UKR", "USA", **kw), "USA-GBR": fu.futures(st, "USA", "GBR", **kw)}


def _p(r, hz, s, col="p"):
    return float(r.probabilities.set_index(["horizon", "scenario"]).loc[(hz, s), col])


def test_rus_ukr_conflict_well_above_the_reference_median(st, runs):
    r, cfg = runs["RUS-UKR"], fu.load_scenarios()
    ch = fu.conflict_history(st, cfg)
    for hz in (5, 10):
        med = fu.conflict_median(ch, cfg, hz)
        pc = _p(r, hz, "conflict")
        assert pc > 5 * med and pc > 0.15, (hz, pc, med)
        assert _p(r, hz, "conflict", "lo") > 0.1  # not ~0, even at the interval's lower end
        assert _p(r, hz, "continuity") < 0.9
    assert r.conflict_state["peace"] == (0.0, 2014)  # a hostile MID in the last 10 measured years
    assert any("not measured" in t and "2014" in t for t in r.trail)


def test_usa_gbr_continuity_high_conflict_low(runs):
    r = runs["USA-GBR"]
    for hz in (5, 10):
        assert _p(r, hz, "continuity") > 0.85
        pc, lo, hi = (_p(r, hz, "conflict", c) for c in ("p", "lo", "hi"))
        assert 0 <= lo <= pc <= hi < 0.12
        assert _p(r, hz, "alliance") == pytest.approx(0.0, abs=1e-9)  # already allied: nothing to form


def test_points_inside_intervals_and_scenarios_partition(runs):
    for r in runs.values():
        p = r.probabilities
        for pt, lo, hi in (("p", "lo", "hi"), ("model", "model_lo", "model_hi"), ("base", "base_lo", "base_hi")):
            ok = p[pt].isna() | ((p[lo] <= p[pt]) & (p[pt] <= p[hi]))
            assert ok.all(), (r.a, r.b, pt)
        for _, g in p.groupby("horizon"):
            assert set(g.scenario) == set(fu.SCENARIOS)
            assert g.p.sum() == pytest.approx(1.0) and g.base.sum() == pytest.approx(1.0)
            assert g.headline.iloc[0] in ("model", "base rate")
        assert (r.rates.lo <= r.rates.rate).all() and (r.rates.rate <= r.rates.hi).all()
        assert all(f"Headline: {r.choice[hz]['winner']}" in " ".join(r.trail) for hz in (5, 10))


def test_dyads_in_conflict_never_get_near_zero(st):
    """Sanity: every dyad with a hostile MID in the last MID year gets P(conflict) well above 0."""
    cfg = fu.load_scenarios()
    ch = fu.conflict_history(st, cfg)
    last = ch[(ch.year == ch.attrs["mid"][1]) & (ch.hostile == 1)]
    assert len(last) >= 5
    for row in last.head(10).itertuples():
        r, _ = fu.conflict_rates(ch, fu.conflict_state(ch, row.a, row.b), cfg, 5)
        assert r["lo"] > 0.05, (row.a, row.b, r)


# ------------------------------------------------------------------------------------ generated data (ms)


def test_rate_interval_contains_point_and_edges():
    for x, n in [(0, 50), (1, 50), (25, 50), (50, 50), (3, 10_000)]:
        lo, hi = fu.rate_interval(x, n)
        assert 0 <= lo <= x / n <= hi <= 1
    assert fu.rate_interval(0, 50)[0] == 0.0 and fu.rate_interval(0, 50)[1] > 0
    assert fu.rate_interval(50, 50)[1] == 1.0
    lo1, hi1 = fu.rate_interval(20, 200)
    lo4, hi4 = fu.rate_interval(20, 200, deff=4)
    assert lo4 < lo1 and hi4 > hi1  # fewer effective observations, wider


def test_rate_interval_coverage():
    rng = np.random.default_rng(0)
    for p in (0.02, 0.3):
        xs = rng.binomial(200, p, size=400)
        cover = np.mean([lo <= p <= hi for lo, hi in (fu.rate_interval(x, 200) for x in xs)])
        assert 0.84 <= cover <= 0.97, (p, cover)


def test_design_effect_clustered_vs_independent():
    rng = np.random.default_rng(1)
    dyads = np.repeat(np.arange(100), 20)
    iid = rng.random(2000) < 0.2
    sticky = np.repeat(rng.random(100) < 0.2, 20)  # each dyad all 0 or all 1
    assert fu.design_effect(dyads, iid) < 1.5
    assert fu.design_effect(dyads, sticky) > 10
    draws = fu.rate_draws(40, 2000, 4.0, 20_000, rng)
    lo, hi = fu.rate_interval(40, 2000, 4.0)
    assert np.mean((draws >= lo) & (draws <= hi)) == pytest.approx(0.90, abs=0.02)  # one distribution


def test_interval_always_holds_its_point():
    skew = np.r_[np.zeros(970), np.ones(30)]  # mean 0.03 above the 95th percentile (0)
    lo, hi = fu.interval(skew, skew.mean())
    assert lo <= skew.mean() <= hi
    d = np.random.default_rng(2).normal(size=5000)
    assert fu.interval(d, d.mean()) == pytest.approx(tuple(np.quantile(d, [0.05, 0.95])))  # equal-tailed
