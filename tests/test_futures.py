"""Futures: base-rate counts match a direct query on the panel, probabilities sum to one and sit inside their
intervals, seeds reproduce, the one AR(1) estimator equals statsmodels' AutoReg in the projection and the
back-test, and the scenario file is checked."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import UNGA_SOURCES, source_dir

from dyadic.errors import RequestError
from dyadic.framework import futures as fu
from dyadic.store import Store, ingest

CONFLICT_SOURCES = ["cow_contiguity_distance", "mids_cow_gml", "strategic_rivalries_td"]


@pytest.fixture(scope="module")
def fut_store(tmp_path_factory, settings) -> Store:
    names = ["alliances_atop_cow", "cow_nmc", *CONFLICT_SOURCES]
    for name in names:
        source_dir(name)
    st = Store.open(tmp_path_factory.mktemp("futures") / "f.duckdb")
    ingest(st, settings, [*UNGA_SOURCES, *names])
    yield st
    st.close()


@pytest.fixture(scope="module")
def hist(fut_store):
    return fu.history(fut_store)


def test_base_rate_counts_match_direct_query(fut_store, hist):
    cfg = fu.load_scenarios()
    state = fu.pair_state(hist, "CHN", "RUS")
    br, rc = fu.base_rates(hist, state, cfg, 5, n_boot=50)
    assert rc.n_rows >= cfg["settings"]["min_class"] and rc.n_rows == br["count"].sum()
    # the same count straight from the store: dyad-years in the class, with a pledge in force 1-5 years on
    dec = int(state["pct"][0] // 10)
    fut_store.con.register("h", hist.assign(a=hist.a.astype(str), b=hist.b.astype(str)))
    conds = {"level": f"floor(pct / 10) = {dec}", "no_pact": "pact = 0", "asym_high": "ratio >= 2.0",
             "asym_rising": "ratio_change > 0" if state["ratio_change"][0] > 0 else "NOT ratio_change > 0"}
    where = " AND ".join(conds[c] for c in rc.conditions)
    n_alliance = fut_store.con.execute(f"""
        SELECT count(*) FROM h t WHERE {where} AND EXISTS (SELECT 1 FROM h f WHERE f.dyad = t.dyad
          AND f.year BETWEEN t.year + 1 AND t.year + 5 AND f.pact = 1)""").fetchone()[0]
    assert n_alliance == br.set_index("scenario").loc["alliance", "count"]


def test_futures_probabilities_sum_to_one_and_seed_reproducible(fut_store, hist):
    r1 = fu.futures(fut_store, "CHN", "RUS", "USA", horizons=(5, 10), n_paths=2000, n_boot=100, seed=3, hist=hist)
    r2 = fu.futures(fut_store, "CHN", "RUS", "USA", horizons=(5, 10), n_paths=2000, n_boot=100, seed=3, hist=hist)
    p = r1.probabilities
    for _, g in p.groupby("horizon"):
        assert g.p.sum() == pytest.approx(1.0)
        assert g.base.sum() == pytest.approx(1.0)
        for pt, lo, hi in (("p", "lo", "hi"), ("model", "model_lo", "model_hi"), ("base", "base_lo", "base_hi")):
            assert ((g[lo] <= g[pt]) & (g[pt] <= g[hi])).all(), pt
        assert g.headline.nunique() == 1 and g.headline.iloc[0] in ("model", "base rate")
    assert p.equals(r2.probabilities)
    assert set(p.scenario) == set(fu.SCENARIOS)
    assert r1.signposts.signpost.notna().all() and len(r1.trail) >= 4
    thaw = fu.futures(fut_store, "CHN", "RUS", horizons=(10,), n_paths=2000, n_boot=100, seed=3, hist=hist,
                      whatif=["post_putin_normalisation"])
    base10 = p[p.horizon == 10].set_index("scenario")
    assert thaw.probabilities.set_index("scenario").loc["degradation", "p"] > base10.loc["degradation", "p"]
    assert any("post_putin_normalisation" in t for t in thaw.trail)


def test_one_ar1_estimator_projection_and_backtest():
    """Projection and back-test fit one estimator: statsmodels AutoReg's, with the same variance."""
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(0)
    y = 50 + np.cumsum(rng.normal(0, 3, 20))
    ref = AutoReg(y, lags=1, trend="c").fit()
    params, cov, sigma = fu.ar1_fit(y)
    assert params == pytest.approx(np.asarray(ref.params), rel=1e-10)
    assert cov == pytest.approx(np.asarray(ref.cov_params()), rel=1e-8)
    assert sigma == pytest.approx(np.sqrt(ref.sigma2), rel=1e-10)
    pr = fu.project(y, 5, n_paths=200, seed=1, threshold=y[-1] - 15)
    many = fu.ar1_fit_many(y[None, :])
    assert pr["sigma"] == pytest.approx(float(many.sigma[0]), rel=1e-12)  # the same fitted variance
    q_bt = fu._ar1_below(y[None, :], 5, np.array([y[-1] - 15]))
    q_pr = fu.analytic_below(y[-1], params[0], params[1], sigma, 5, y[-1] - 15)
    assert q_bt[0] == pytest.approx(float(q_pr), rel=1e-12)
    assert np.isnan(fu._ar1_below(y[None, :8], 5, np.array([30.0]), min_points=10)[0])  # too few points
    with pytest.raises(Exception, match="year-on-year pairs"):
        fu.ar1_fit(y[:5], min_points=10)


def test_backtest_brier(hist):
    fc, summ = fu.backtest(hist, origins={5: (2005,)})
    assert len(fc) > 1000 and summ.brier.between(0, 2).all()
    assert fc.outcome.isin(fu.UN_SCENARIOS).all()


def test_scenario_file_checked(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[settings]\ndrop = 15\n[scenarios.x]\ncondition = "pact_formed"\n')
    with pytest.raises(RequestError, match="exactly one scenario per condition"):
        fu.load_scenarios(bad)
    bad.write_text("[settings\n")
    with pytest.raises(RequestError, match="not valid TOML"):
        fu.load_scenarios(bad)


def test_old_scenario_file_gets_the_conflict_scenario(tmp_path):
    from importlib import resources

    text = resources.files("dyadic.data").joinpath("scenarios.toml").read_text()
    start = text.index("[scenarios.conflict]")
    old = tmp_path / "old.toml"
    old.write_text(text[:start] + text[text.index("# What-ifs", start):])
    cfg = fu.load_scenarios(old)
    assert "conflict" in cfg["scenarios"] and cfg["filled"]
