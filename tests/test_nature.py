"""Nature of the relationship: ATOP-pledged pairs come out as alliances, CHN-RUS 2018 does not, every label has
its criteria; asymmetry and its trend."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dyadic.framework.drivers import compute_drivers
from dyadic.framework.nature import LABELS, _and, asymmetry, classify, label_status, widening, Criterion

from framework_support import framework_store

NAMES = ["defence_pledge", "other_pledge", "capability_asymmetry", "dependence_asymmetry", "deference",
         "no_alternative", "top_decile_drivers", "strategic_rivalry", "recurrent_disputes", "hostile_events"]


@pytest.fixture(scope="module")
def fstore(tmp_path_factory):
    st = framework_store(tmp_path_factory, "nature_framework")
    yield st
    st.close()


@pytest.fixture(scope="module")
def ds(fstore):
    return compute_drivers(fstore, 2012, 2022)


def test_atop_pledged_pairs_in_2018_are_alliances(fstore, ds):
    pledged = fstore.con.execute(
        """SELECT x, y FROM (SELECT DISTINCT least(a, b) x, greatest(a, b) y FROM alliances
           WHERE dataset = 'atop' AND year = 2018 AND (defense OR offense)) ORDER BY hash(x || y) LIMIT 12""").fetchall()
    assert len(pledged) == 12
    for x, y in pledged:
        c = classify(fstore, ds, x, y, 2018)
        # Rivalry outranks a pledge; this store has no rivalry or dispute data, so where the event data do not
        # rule a rivalry out either the alliance is provisional on it, and says what to ingest.
        assert c.label == "alliance" and (not c.provisional or c.undetermined_by == ["rivalry"]), (x, y)
        assert any("dyadic ingest strategic_rivalries_td" in n for n in c.notes), (x, y)


def test_chn_rus_2018_is_not_an_alliance(fstore, ds):
    c = classify(fstore, ds, "CHN", "RUS", 2018)
    crit = {k.name: k for k in c.criteria}
    assert crit["defence_pledge"].holds is False
    assert crit["other_pledge"].holds is True and "nonagg" in crit["other_pledge"].value
    assert c.label == "entente"


def test_every_label_comes_with_all_its_criteria(fstore, ds):
    for pair in (("USA", "JPN"), ("CHN", "PRK"), ("IND", "PAK"), ("CHN", "RUS")):
        for year in (2014, 2020):
            c = classify(fstore, ds, *pair, year)
            assert c.label in LABELS
            assert [k.name for k in c.criteria] == NAMES
            t = c.table()
            assert set(t.holds) <= {"yes", "no", "unknown"} and t.rule.str.len().min() > 0


def test_after_atop_ends_the_pledge_is_unknown_and_the_label_provisional(fstore, ds):
    c = classify(fstore, ds, "USA", "JPN", 2020)
    assert {k.name: k.holds for k in c.criteria}["defence_pledge"] is None
    assert c.provisional and "alliance" in c.undetermined_by


def crit(**h):
    return {n: Criterion(n, h.get(n), None, "", "") for n in NAMES}


def test_label_rules_are_three_valued():
    assert _and(True, None) is None and _and(False, None) is False and _and(True, True) is True
    s = label_status(crit(defence_pledge=False, other_pledge=True, top_decile_drivers=True))
    assert s["alliance"] is False and s["entente"] is True and s["strategic_partnership"] is True
    assert s["client"] is None
    s = label_status(crit(capability_asymmetry=True, dependence_asymmetry=True, deference=True, no_alternative=True))
    assert s["client"] is True


def test_deference_counts_follow_votes(fstore):
    from dyadic.framework.nature import deference

    d = deference(fstore, "BLR", "RUS")
    assert (d.follow.between(0, 1)).all() and (d.departs > 0).all()
    # recompute one year by hand from the vote rows
    year = int(d.year.iloc[-1])
    from dyadic.indicators.unga import VoteSelection, selection_expr

    v = selection_expr(fstore, VoteSelection(start=year, end=year)).execute()
    v = v[v.vote.isin([1, 2, 3])]
    maj = v.groupby("rcid").vote.agg(lambda s: s.value_counts().idxmax())
    r = v[v.code == "RUS"].set_index("rcid").vote
    b = v[v.code == "BLR"].set_index("rcid").vote
    dep = [k for k in r.index if r[k] != maj[k] and k in b.index]
    assert len(dep) == int(d[d.year == year].departs.iloc[0])
    assert np.mean([b[k] == r[k] for k in dep]) == pytest.approx(float(d[d.year == year].follow.iloc[0]))


def test_asymmetry_index_and_widening(ds):
    a = asymmetry(ds, "CHN", "RUS")
    full = a.dropna(subset=["cinc_gap", "gdp_gap", "milex_gap"])
    assert np.allclose(full["index"], full[["cinc_gap", "gdp_gap", "milex_gap"]].mean(axis=1))
    assert a["index"].dropna().between(0, 1).all()
    assert a.loc[a[["cinc_gap", "gdp_gap", "milex_gap"]].isna().any(axis=1), "index"].isna().all()
    up = pd.DataFrame({"year": range(2000, 2010), "index": np.linspace(0.2, 0.4, 10)})
    assert widening(up, 10, 0.002)["verdict"] == "widening"
    assert widening(up.assign(index=up["index"][::-1].to_numpy()), 10, 0.002)["verdict"] == "narrowing"
    assert widening(up.head(2), 10, 0.002)["verdict"] == "unknown"
