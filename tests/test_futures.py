"""Futures: base-rate counts match a direct query on the panel, probabilities sum to one, seeds reproduce,
the AR(1) used in the back-test equals statsmodels' estimate, and the scenario file is checked."""

from __future__ import annotations

import numpy as np
import pytest

from dyadic.errors import RequestError
from dyadic.framework import futures as fu
from dyadic.store import Store, ingest

from conftest import UNGA_SOURCES, source_dir


@pytest.fixture(scope="module")
def fut_store(tmp_path_factory, settings) -> Store:
    for name in ("alliances_atop_cow", "cow_nmc"):
        source_dir(name)
    st = Store.open(tmp_path_factory.mktemp("futures") / "f.duckdb")
    ingest(st, settings, [*UNGA_SOURCES, "alliances_atop_cow", "cow_nmc"])
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
        assert ((g.lo <= g.p + 1e-12) & (g.p <= g.hi + 1e-12)).all()
    assert p.equals(r2.probabilities)
    assert set(p.scenario) == set(fu.SCENARIOS)
    assert r1.signposts.signpost.notna().all() and len(r1.trail) >= 4
    thaw = fu.futures(fut_store, "CHN", "RUS", horizons=(10,), n_paths=2000, n_boot=100, seed=3, hist=hist,
                      whatif=["post_putin_normalisation"])
    base10 = p[p.horizon == 10].set_index("scenario")
    assert thaw.probabilities.set_index("scenario").loc["degradation", "p"] > base10.loc["degradation", "p"]
    assert any("post_putin_normalisation" in t for t in thaw.trail)


def test_backtest_ar1_matches_statsmodels_and_brier(hist):
    rng = np.random.default_rng(0)
    y = 50 + np.cumsum(rng.normal(0, 3, 20))
    params, _, sigma = fu.ar1_fit(y)
    q = fu._ar1_below(y[None, :], 5, np.array([y[-1] - 15]))
    expected = fu.analytic_below(y[-1], params[0], params[1], sigma * np.sqrt(19 / 17), 5, y[-1] - 15)
    assert q[0] == pytest.approx(float(expected), abs=0.02)
    fc, summ = fu.backtest(hist, origins={5: (2005,)})
    assert len(fc) > 1000 and summ.brier.between(0, 2).all()
    assert fc.outcome.isin(fu.SCENARIOS).all()


def test_scenario_file_checked(tmp_path):
    bad = tmp_path / "s.toml"
    bad.write_text('[settings]\ndrop = 15\n[scenarios.x]\ncondition = "pact_formed"\n')
    with pytest.raises(RequestError, match="exactly one scenario per condition"):
        fu.load_scenarios(bad)
    bad.write_text("[settings\n")
    with pytest.raises(RequestError, match="not valid TOML"):
        fu.load_scenarios(bad)
