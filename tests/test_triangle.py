"""Strategic triangle: configurations on constructed signs, the pivot, what-ifs that change only one tie."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st_

from dyadic.errors import RequestError
from dyadic.framework.drivers import compute_drivers
from dyadic.framework.triangle import (configure, dyad_key, parse_what_if, substitution, tie_values, triangle,
                                       what_if)

from framework_support import framework_store

S = ("USA", "CHN", "RUS")


def ties(us_cn, us_ru, cn_ru):
    return {dyad_key("USA", "CHN"): us_cn, dyad_key("USA", "RUS"): us_ru, dyad_key("CHN", "RUS"): cn_ru}


@pytest.mark.parametrize("t, name, positions, balanced", [
    (ties(0.2, 0.3, 0.4), "ménage à trois", {"USA": "friend", "CHN": "friend", "RUS": "friend"}, True),
    (ties(0.2, 0.3, -0.4), "romantic triangle", {"USA": "pivot", "CHN": "wing", "RUS": "wing"}, False),
    (ties(-0.2, 0.3, 0.4), "romantic triangle", {"USA": "wing", "CHN": "wing", "RUS": "pivot"}, False),
    (ties(-0.2, -0.3, 0.4), "stable marriage", {"USA": "outcast", "CHN": "partner", "RUS": "partner"}, True),
    (ties(-0.2, -0.3, -0.4), "unit veto", {"USA": "adversary", "CHN": "adversary", "RUS": "adversary"}, False),
])
def test_each_configuration_on_constructed_signs(t, name, positions, balanced):
    c = configure(S, t)
    assert c.name == name and c.positions == positions and c.balanced is balanced
    assert c.balance == pytest.approx(np.prod(list(t.values())))


def test_missing_or_neutral_tie_is_undetermined():
    assert configure(S, ties(0.2, np.nan, 0.4)).name == "undetermined"
    assert configure(S, ties(0.2, 0.05, 0.4), band=0.1).name == "undetermined"


@given(st_.lists(st_.floats(-1, 1).filter(lambda v: abs(v) > 1e-9), min_size=3, max_size=3))
def test_pivot_is_the_state_with_two_positive_ties(vals):
    t = ties(*vals)
    c = configure(S, t)
    if c.name == "romantic triangle":
        (pivot,) = [s for s, p in c.positions.items() if p == "pivot"]
        assert all(t[dyad_key(pivot, o)] > 0 for o in S if o != pivot)
    # Heider: balanced exactly when the product of the signs is positive
    assert c.balanced is bool(np.prod(np.sign(vals)) > 0)


def test_what_if_changes_only_the_named_tie():
    t = ties(-0.1, -0.2, 0.5)
    r = what_if(S, t, "USA", "RUS", 0.3)
    assert r["ties_after"][dyad_key("USA", "RUS")] == pytest.approx(0.1)
    for k in t:
        if k != dyad_key("USA", "RUS"):
            assert r["ties_after"][k] == t[k]
    assert r["before"].name == "stable marriage" and r["after"].name == "romantic triangle"
    assert r["after"].positions["RUS"] == "pivot"
    assert "configuration: stable marriage -> romantic triangle" in r["changed"]
    small = what_if(S, t, "USA", "RUS", 0.1)  # not enough to flip the sign: only the tie moves
    assert small["changed"] == [f"tie {dyad_key('USA', 'RUS')}: -0.200 -> -0.100"]
    assert what_if(S, t, "USA", "RUS", 5)["ties_after"][dyad_key("USA", "RUS")] == 1.0


def test_what_if_parsing_and_errors():
    assert parse_what_if("usa-rus:+0.3") == ("USA", "RUS", 0.3)
    with pytest.raises(RequestError):
        parse_what_if("USA RUS 0.3")
    with pytest.raises(RequestError, match="not a side"):
        what_if(S, ties(0.1, 0.1, 0.1), "USA", "IND", 0.3)


def test_tie_is_centred_percentile_mean():
    import pandas as pd

    df = pd.DataFrame({"x": [100.0, 50.0, np.nan], "y": [50.0, 0.0, np.nan]})
    t = tie_values(df, ["x", "y"], [1.0, 1.0])
    assert t.iloc[0] == pytest.approx(0.5) and t.iloc[1] == pytest.approx(-0.5) and np.isnan(t.iloc[2])


@pytest.fixture(scope="module")
def ds(unga_store, settings):
    return compute_drivers(framework_store(unga_store, settings), 2010, 2020)


def test_real_triangle_follows_its_ties(ds):
    tr = triangle(ds, "USA", "CHN", "RUS")
    assert set(tr.years.year) == set(range(2010, 2021))
    for r in tr.years.itertuples():
        c = configure(tr.states, tr.ties_in(r.year))
        assert c.name == r.configuration
    t = tr.ties.dropna(subset=["tie"])
    assert t.tie.between(-1, 1).all()


def test_real_substitution_table(ds):
    s = substitution(ds, "RUS", "CHN", "USA")
    assert {"trade share of RUS", "security_reassurance score"} <= set(s.dimension)
    trade = s[s.dimension == "trade share of RUS"].iloc[0]
    d = ds.data
    for other, col in (("CHN", "with_partner"), ("USA", "with_third")):
        lo, hi = sorted(["RUS", other])
        r = d[(d.a == lo) & (d.b == hi) & (d.year == trade.year)].iloc[0]
        assert trade[col] == pytest.approx(r.dep_a if lo == "RUS" else r.dep_b)
    assert trade.cover == pytest.approx(trade.with_third / trade.with_partner)
