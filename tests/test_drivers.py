"""Drivers of cooperation: each mapping on a hand-built panel with known answers, then on the staged data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st_

from dyadic.framework.drivers import (DRIVERS, compute_drivers, derive_inputs, driver_months, load_config,
                                      percentile, rank_values, score)

from framework_support import framework_store

CFG = load_config()


def hand_panel() -> pd.DataFrame:
    """Years 1995 and 2000, four states (AAA, BBB, CCC, USA): every input column the drivers read."""
    rows = []
    for year in (1995, 2000):
        for a, b, pi, trade, dep_a, dep_b, mme, cinc_a, cinc_b, pledges, da, db, dist, poly, rel in [
            ("AAA", "BBB", 0.6, 30.0, 0.5, 0.1, 2, 0.10, 0.02, (0, 0, 0, 1, 1), 2.0, 1.5, 0.5, 0.1, 1),
            ("AAA", "CCC", 0.1, 20.0, 0.1, 0.2, 0, 0.10, 0.01, (1, 0, 0, 0, 0), 2.0, 0.5, 1.5, 0.3, 1),
            ("AAA", "USA", -0.2, 10.0, 0.2, 0.01, 0, 0.10, 0.15, (0, 0, 0, 0, 0), 2.0, 0.0, 2.0, 0.6, 1),
            ("BBB", "CCC", 0.2, np.nan, np.nan, np.nan, 1, 0.02, 0.01, (0, 0, 0, 0, 0), 1.5, 0.5, 1.0, 0.2, 0),
            ("BBB", "USA", 0.0, 5.0, 0.05, 0.001, 0, 0.02, 0.15, (0, 0, 0, 0, 0), 1.5, 0.0, 1.5, 0.5, 1),
            ("CCC", "USA", 0.3, 1.0, 0.01, 0.0001, 3, 0.01, 0.15, (1, 0, 0, 0, 0), 0.5, 0.0, 0.5, 0.0, 1),
        ]:
            k = 1.0 if year == 2000 else 0.5  # 1995 trade half of 2000
            rows.append({"year": year, "a": a, "b": b, "unga_pi": pi, "trade": trade * k, "dep_a": dep_a,
                         "dep_b": dep_b, "mme_exercises": mme, "cinc_a": cinc_a, "cinc_b": cinc_b,
                         "milex_a": np.nan, "milex_b": np.nan, "bsv_dist_a_third": da, "bsv_dist_b_third": db,
                         "bsv_distance": dist, "polyarchy_absdiff": poly, "relevant": rel,
                         "mid_ongoing": int(a == "AAA" and b == "USA"), "td_rivalry": int(a == "AAA" and b == "USA"),
                         "td_as_of": year,
                         **dict(zip(["atop_defense", "atop_offense", "atop_neutral", "atop_nonagg",
                                     "atop_consult"], pledges))})
    return pd.DataFrame(rows)


def hand_graph() -> pd.DataFrame:
    return pd.DataFrame({"year": [2000, 2000], "a": ["BBB", "AAA"], "b": ["AAA", "USA"],
                         "coop": [30.0, 10.0], "conflict": [-10.0, -30.0], "total_a": [100.0, 100.0],
                         "total_b": [200.0, 1000.0]})


@pytest.fixture(scope="module")
def hand():
    d = derive_inputs(hand_panel(), "USA", hand_graph(), (2000, 2000))
    return score(d[d.year == 2000].reset_index(drop=True), CFG).set_index(["a", "b"])


def test_derived_inputs_have_the_values_the_rules_give(hand):
    ab = hand.loc[("AAA", "BBB")]
    # balancing: the nearer of the two stands 1.5 from USA; they are 0.5 apart -> gap 1.0
    assert ab.bal_far == pytest.approx(1.5) and ab.bal_gap == pytest.approx(1.0)
    assert np.isnan(hand.loc[("AAA", "USA")].bal_far)  # the third party cannot balance against itself
    assert ab.growth3 == pytest.approx(np.nan, nan_ok=True)  # 1997 absent: no three-year growth
    # graded pledges: non-aggression 0.75 + consultation 0.25; a defence pledge 1.0
    assert ab.pledge_score == pytest.approx(1.0) and hand.loc[("AAA", "CCC")].pledge_score == pytest.approx(1.0)
    assert ab.pledge_types == 2
    # disputes over the window (1995 and 2000 both in it for AAA-USA), rivalry with its as-of year
    assert hand.loc[("AAA", "USA")].mid_years == 2 and ab.mid_years == 0
    assert hand.loc[("AAA", "USA")].rivalry == 1 and hand.loc[("AAA", "USA")].asof__rivalry == 2000
    assert ab.cinc_sum == pytest.approx(0.12)
    assert ab.dep_max == pytest.approx(0.5) and np.isnan(hand.loc[("BBB", "CCC")].dep_max)
    # graph rows arrive in either order; hostile share = 10 / (30 + 10); coop per k of the smaller total
    assert ab.ev_hostile_share == pytest.approx(0.25)
    assert ab.ev_coop_per_k == pytest.approx(300.0)
    assert hand.loc[("AAA", "USA")].ev_hostile_share == pytest.approx(0.75)
    # covered year, no events: no conflict share, zero engagement
    assert np.isnan(hand.loc[("CCC", "USA")].ev_hostile_share) and hand.loc[("CCC", "USA")].ev_coop_per_k == 0


def test_outside_the_graph_years_event_components_are_missing():
    d = derive_inputs(hand_panel(), "USA", hand_graph(), (2000, 2000))
    assert d[d.year == 1995][["ev_hostile_share", "ev_coop_per_k"]].isna().all().all()
    d = derive_inputs(hand_panel(), "USA", None, None)
    assert d[["ev_hostile_share", "ev_coop_per_k"]].isna().all().all()


def test_each_driver_on_the_hand_panel(hand):
    # reference set: the five relevant dyads; BBB-CCC is placed in their distribution
    assert not hand.loc[("BBB", "CCC"), "in_reference"] and hand["in_reference"].sum() == 5
    econ = hand["economic_self_interest"]
    assert np.isnan(econ[("BBB", "CCC")])  # no trade, no dependence: not measured
    assert econ[("AAA", "BBB")] == 100.0
    assert hand.loc[("AAA", "BBB"), "pct__trade"] == 100.0 and hand.loc[("CCC", "USA"), "pct__trade"] == 20.0
    # defence: exercises 3 > 2 > 0 among the five relevant; CCC-USA on top
    assert hand["defence_cooperation"][("CCC", "USA")] == 100.0
    assert hand.loc[("BBB", "CCC"), "pct__mme_exercises"] == pytest.approx(100 * 4 / 6)  # outsider: 3 of 5 below it, placed as a sixth
    # security: the rival with disputes and the most hostile coverage at the bottom
    sec = hand["security_reassurance"]
    assert sec.idxmin() == ("AAA", "USA") and sec[("AAA", "BBB")] == sec.max()
    bal = hand["geopolitical_balancing"]
    assert bal[[("AAA", "USA"), ("BBB", "USA"), ("CCC", "USA")]].isna().all()
    assert bal[("AAA", "BBB")] == 100.0  # farthest from USA and nearest each other
    # political convergence: regime similarity (0.0 absolute difference best)
    assert hand["political_convergence"][("CCC", "USA")] == 100.0
    # power projection: no veto or IGO data here, so not measured (never a size score)
    assert hand["power_projection"].isna().all()
    assert (hand["security_reassurance__nref"] <= 5).all()


def test_weights_are_read_from_the_configuration(hand):
    cfg = load_config()
    drv = cfg.drivers["economic_self_interest"]
    r = hand.loc[("AAA", "CCC")]
    expect = sum(c.weight * r[f"pct__{c.column}"] for c in drv.components if not np.isnan(r[f"pct__{c.column}"]))
    expect /= sum(c.weight for c in drv.components if not np.isnan(r[f"pct__{c.column}"]))
    assert r["economic_self_interest__raw"] == pytest.approx(expect)


def test_a_custom_configuration_changes_the_mapping(tmp_path):
    text = (load_config.__globals__["resources"].files("dyadic.data").joinpath("drivers.toml").read_text())
    text = text.replace('column = "trade"\n  weight = 2.0\n  direction = 1', 'column = "trade"\n  weight = 2.0\n  direction = -1')
    text = text.replace('reference = "politically_relevant"', 'reference = "all"')
    p = tmp_path / "d.toml"
    p.write_text(text)
    cfg = load_config(p)
    assert cfg.reference == "all"
    d = derive_inputs(hand_panel(), "USA")
    s = score(d[d.year == 2000].reset_index(drop=True), cfg).set_index(["a", "b"])
    assert s.loc[("CCC", "USA"), "pct__-trade"] == 100.0  # smallest trade ranks highest now
    assert s["in_reference"].all()


def test_bad_configuration_is_a_clear_error(tmp_path):
    from dyadic.errors import RequestError

    p = tmp_path / "bad.toml"
    p.write_text("[drivers]\nthird_party = 'USA'\n")
    with pytest.raises(RequestError, match="security_reassurance"):
        load_config(p)
    p.write_text("[drivers\n")
    with pytest.raises(RequestError, match="bad.toml"):
        load_config(p)


def test_reference_percentiles_place_outsiders_in_the_reference_distribution():
    v = pd.Series([1.0, 2.0, 3.0, 2.0, 10.0])
    ref = pd.Series([True, True, True, False, False])
    p = percentile(v, pd.Series([0] * 5), 1, ref)
    assert list(p[:3]) == pytest.approx([100 / 3, 200 / 3, 100.0])
    assert p[3] == pytest.approx(100 * 2.5 / 4) and p[4] == pytest.approx(100.0)


@hsettings(max_examples=60, deadline=None)
@given(st_.lists(st_.one_of(st_.none(), st_.floats(-1e6, 1e6)), min_size=1, max_size=40),
       st_.integers(1, 3))
def test_percentiles_are_bounded_and_missing_when_inputs_are(values, groups):
    v = pd.Series([np.nan if x is None else x for x in values], dtype="float64")
    g = pd.Series(np.arange(len(v)) % groups)
    for direction in (1, -1):
        p = percentile(v, g, direction)
        assert p.isna().equals(v.isna())
        assert ((p.dropna() > 0) & (p.dropna() <= 100)).all()
        for _, idx in g.groupby(g).groups.items():
            sub = v[idx].dropna()
            if len(sub):  # the largest (or smallest, reversed) value of a group is at 100
                top = sub.idxmax() if direction == 1 else sub.idxmin()
                ranked = rank_values(sub * direction)  # ties as the percentile sees them
                ties = int((ranked == ranked[top]).sum())
                assert p[top] == pytest.approx(100 * (len(sub) - (ties - 1) / 2) / len(sub))


def test_drivers_missing_when_all_inputs_missing():
    d = pd.DataFrame({"year": [2000, 2000], "a": ["AAA", "AAA"], "b": ["BBB", "CCC"]})
    s = score(derive_inputs(d, "USA"), CFG)
    assert s[list(DRIVERS)].isna().all().all()


# ---------------------------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def fstore(tmp_path_factory):
    st = framework_store(tmp_path_factory, "drivers_framework")
    yield st
    st.close()


@pytest.fixture(scope="module")
def real(fstore):
    return compute_drivers(fstore, 2008, 2019)


def test_real_scores_are_percentiles_within_each_year(real):
    d = real.data
    for drv in DRIVERS:
        s = d[drv].dropna()
        assert ((s > 0) & (s <= 100)).all(), drv
    # one of the ATOP pledge years and one of the graph years: each measured driver reaches 100 in its year
    for year in (2010, 2019):
        y = d[d.year == year]
        for drv in DRIVERS:
            s = y[drv].dropna()
            if len(s):  # the top raw score sits at 100, less half its ties
                ties = int((s == s.max()).sum())
                assert s.max() == pytest.approx(100 * (len(s) - (ties - 1) / 2) / len(s))


def test_real_missing_follows_source_coverage(real, fstore):
    d = real.data
    cow_last = fstore.con.execute("SELECT max(year) FROM trade WHERE source = 'cow_trade'").fetchone()[0]
    mme_last = fstore.con.execute("SELECT max(year) FROM exercises").fetchone()[0]
    assert d.loc[d.year > cow_last, "economic_self_interest"].isna().all()
    assert d.loc[d.year <= cow_last, "economic_self_interest"].notna().any()
    assert d.loc[d.year > mme_last, "defence_cooperation"].isna().all()
    usa = (d.a == "USA") | (d.b == "USA")
    assert d.loc[usa, "geopolitical_balancing"].isna().all()
    # the framework store lacks the conflict, IGO, veto, regime and arms sources: each is named, none scored 0
    assert any("contiguity" in m for m in real.missing) and any("disputes" in m for m in real.missing)
    assert real.reference.startswith("all dyads")


def test_every_real_score_expands_to_its_inputs(real):
    ex = real.explain("CHN", "RUS", 2010)
    assert set(ex.driver) == set(DRIVERS)
    d = real.rows("CHN", "RUS")
    row = d[d.year == 2010].iloc[0]
    for r in ex.itertuples():
        if not np.isnan(r.value):
            assert r.value == pytest.approx(float(row[r.component]))
            assert 0 < r.percentile <= 100
    # exercises the two held in 2010 (MME) are behind the defence score
    mme = ex[ex.component == "mme_exercises"].iloc[0]
    assert mme.value == row.mme_exercises
    sub = ex[(ex.driver == "economic_self_interest") & ex.percentile.notna()]
    raw = (sub.weight * sub.percentile).sum() / sub.weight.sum()
    assert raw == pytest.approx(float(row["economic_self_interest__raw"]))


def test_monthly_event_scores(fstore):
    m = driver_months(fstore, "CHN", "RUS")
    assert m.month.min() == "2018-01"
    assert m.pct_reassurance.dropna().between(0, 100, inclusive="right").all()
    assert (m.ev_coop_per_k >= 0).all()
    assert len(m) == m.month.nunique()


def test_claims_the_framework_tests_are_quoted_verbatim_from_the_paper():
    import os
    import re
    from pathlib import Path

    from dyadic.sources.registry import packaged_csv

    path = Path(os.environ.get("DYADIC_DATA", "")).parent / "seed" / "lo-2025-convergence-and-divergence.md"
    if not path.is_file():
        pytest.fail(f"the seed paper is needed at {path}")
    text = re.sub(r"\s+", " ", path.read_text("utf-8").replace("*", ""))
    claims = packaged_csv("paper_claims.csv")
    mine = claims[claims.measure.isin(["drivers", "drivers_top", "nature_label", "asymmetry", "triangle"])]
    assert {1, 2, 5} <= set(mine.question.astype(int))
    for r in mine.itertuples():
        assert re.sub(r"\s+", " ", r.quote) in text, r.claim_id


#: the sources of the panel verbs the drivers' store would not hold otherwise (the verbs' test reads them)
VERB_ONLY = ["alliances_atop_levels", "treaties_after_sources", "sipri_arms_transfers", "unga_ideal_points_voeten",
             "icews_dyadic_netify_2002_2014", "leader_visits_ceias_china_1949_2020"]


@pytest.fixture(scope="module")
def brief_store(tmp_path_factory):
    """The framework sources plus those the redesigned drivers read (security, power projection, convergence)."""
    from conftest import UNGA_SOURCES, staged_store
    from framework_support import FRAMEWORK_SOURCES

    st = staged_store(tmp_path_factory, "drivers_brief", [*UNGA_SOURCES, *FRAMEWORK_SOURCES, "cow_contiguity_distance",
                                                          "mids_cow_gml", "strategic_rivalries_td", "unsc_vetoes",
                                                          "cow_igo", "democracy_vdem_polity_uds", *VERB_ONLY])
    yield st
    st.close()


def test_brief_sections_for_questions_1_2_5(brief_store):
    from dyadic.report.framework_section import framework_sections

    fstore = brief_store

    names = {"CHN": "China", "RUS": "Russia", "USA": "United States"}
    fw = framework_sections(fstore, "CHN", "RUS", "USA", names)
    for q in (1, 2, 5):
        findings, charts, tables, paper, _ = fw[q]
        assert findings and tables and paper, q
        for p in paper:
            assert p["verdict"] in ("agrees", "disagrees", "cannot tell") and p["reason"]
    q1 = fw[1][3]
    # the verdict follows the stated rule on the numbers the finding reports
    ds = compute_drivers(fstore)
    p = ds.pair("CHN", "RUS")
    cfg = ds.config.verdicts
    row = p[p[list(DRIVERS)].notna().sum(axis=1) >= cfg["many_measured"]].iloc[-1]
    strong = sum(1 for d in DRIVERS if pd.notna(row[d]) and row[d] >= cfg["strong_pct"])
    expect = "agrees" if strong >= cfg["many_strong"] else ("disagrees" if strong <= 1 else "cannot tell")
    assert [x["verdict"] for x in q1 if "encompass" in x["quote"]] == [expect]


def test_framework_runs_on_a_store_with_votes_only(unga_store, tmp_path):
    """Without trade, power, pledges or events, those drivers are not measured and the rest still work."""
    import shutil

    from dyadic.framework.nature import asymmetry, classify
    from dyadic.framework.triangle import substitution, triangle
    from dyadic.store import Store

    votes_only = tmp_path / "votes.duckdb"
    unga_store.con.execute("CHECKPOINT")
    shutil.copy(unga_store.path, votes_only)
    with Store.open(votes_only) as st:
        for t in ("alliances", "exercises", "trade", "trade_national", "capabilities", "gdp", "milex",
                  "event_graph_daily", "event_coverage"):
            if st.has_table(t):
                st.con.execute(f"DROP TABLE {t}")
        st.con.execute("DELETE FROM sources WHERE name NOT IN ('country_codes', 'unvotes_voeten_2019', "
                       "'unga_unsc_votes_undl_scrape')")
        ds = compute_drivers(st, 2015, 2016)
        assert len(ds.missing) >= 4
        # UN votes alone measure none of the drivers (convergence reads regimes and IGOs, balancing ideal points)
        for d in DRIVERS:
            assert ds.data[d].isna().all(), d
        c = classify(st, ds, "CHN", "RUS", 2016)
        assert {k.name: k.holds for k in c.criteria}["defence_pledge"] is None and c.provisional
        assert asymmetry(ds, "CHN", "RUS")["index"].isna().all()
        triangle(ds, "USA", "CHN", "RUS")
        substitution(ds, "RUS", "CHN", "USA")


def test_panel_verbs_add_the_columns_they_declare(brief_store):
    """Every registered verb, run with its defaults, adds exactly the columns its entry provides."""
    from dyadic.indicators.panel import ADDERS, create_dyadyears

    base = create_dyadyears(brief_store, 2008, 2010, pairs=["CHN-RUS", "USA-CHN", "IND-PAK"])
    for e in ADDERS.entries():
        assert not ADDERS.missing(e.name, brief_store.has_source), e.name
        p = e.value(base, brief_store)
        added = [c for c in p.data.columns if c not in base.data.columns]
        assert set(added) == set(e.provides), (e.name, set(added) ^ set(e.provides))
        assert set(p.coverage.column) >= set(e.provides), e.name  # each added column has its coverage row
