"""Strategic triangle: the classifier on generated ties and intervals, the tie arithmetic, what-ifs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from framework_support import framework_store
from hypothesis import given
from hypothesis import strategies as st_

from dyadic.errors import RequestError
from dyadic.framework.drivers import compute_drivers
from dyadic.framework.triangle import (
    AMITY,
    COMPONENTS,
    INDETERMINATE,
    Tie,
    TieModel,
    TieSettings,
    _unmeasured_dispute_bound,
    configure,
    dyad_key,
    parse_what_if,
    substitution,
    triangle,
    what_if,
)

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
    # the same ties as intervals clear of a band give the same answer
    wide = {k: Tie(v, v - 0.05, v + 0.05) for k, v in t.items()}
    assert configure(S, wide, band=0.1).name == name


def test_missing_neutral_or_uncertain_tie_is_indeterminate_and_named():
    assert configure(S, ties(0.2, np.nan, 0.4)).uncertain == {dyad_key("USA", "RUS"): "not measured"}
    c = configure(S, ties(0.2, 0.05, 0.4), band=0.1)
    assert c.name == INDETERMINATE and c.uncertain == {dyad_key("USA", "RUS"): "neutral"}
    assert c.positions == {s: "" for s in S} and c.balanced is None
    # an estimate beyond the band whose interval reaches into it is not signed either
    c = configure(S, {**ties(0.2, 0.3, 0.4), dyad_key("CHN", "RUS"): Tie(-0.3, -0.4, -0.05)}, band=0.1)
    assert c.name == INDETERMINATE and c.uncertain == {dyad_key("CHN", "RUS"): "uncertain"}
    assert c.reason == "CHN-RUS uncertain"


@pytest.mark.parametrize("tie, band, status", [
    (Tie(0.3, 0.2, 0.4), 0.1, "positive"), (Tie(-0.3, -0.4, -0.2), 0.1, "negative"),
    (Tie(0.05, -0.05, 0.08), 0.1, "neutral"), (Tie(0.2, 0.05, 0.3), 0.1, "uncertain"),
    (Tie(-0.1, -0.3, 0.2), 0.1, "uncertain"), (Tie(0.1, 0.1, 0.1), 0.1, "neutral"),
    (Tie(float("nan"), -1, 1), 0.1, "not measured"), (Tie(0.0, 0.0, 0.0), 0.0, "neutral"),
])
def test_tie_status_against_the_band(tie, band, status):
    assert tie.status(band) == status


interval = st_.tuples(st_.floats(-1, 1), st_.floats(0, 0.5), st_.floats(0, 0.5)).map(
    lambda v: Tie(v[0], max(-1.0, v[0] - v[1]), min(1.0, v[0] + v[2])))


@given(st_.lists(interval, min_size=3, max_size=3), st_.floats(0, 0.3))
def test_named_only_when_every_interval_clears_the_band(vals, band):
    t = ties(*vals)
    c = configure(S, t, band)
    clear = [v.lo > band or v.hi < -band for v in vals]
    assert (c.name != INDETERMINATE) is all(clear)
    if c.name == INDETERMINATE:
        assert set(c.uncertain) == {k for k, ok in zip(t, clear) if not ok}
    else:  # Heider: balanced exactly when the product of the signs is positive
        assert c.balanced is bool(np.prod([np.sign(v.value) for v in vals]) > 0)
    if c.name == "romantic triangle":
        (pivot,) = [s for s, p in c.positions.items() if p == "pivot"]
        assert all(t[dyad_key(pivot, o)].lo > band for o in S if o != pivot)


def _evidence(**vals):
    """One dyad-year of evidence: each component given as (estimate, lo, hi)."""
    row = {"year": 2000, "dyad": "CHN-RUS"}
    for c in COMPONENTS:
        p, lo, hi = vals.get(c, (0.0, 0.0, 0.0))
        row |= {c: p, f"{c}_lo": lo, f"{c}_hi": hi, f"{c}_as_of": 2000.0, f"{c}_note": ""}
    return pd.DataFrame([row])


def test_tie_is_weighted_amity_minus_enmity_with_interval():
    m = TieModel(TieSettings())
    w = m.settings.weights
    amity = dict(pledges=(1, 0.5, 1), alignment=(0.5, 0.3, 0.9), arms=(0.2, 0.2, 0.2))
    m.evidence_ = _evidence(rivalry=(0, 0, 0), mids=(0.4, 0.2, 0.6), **amity)
    r = m.predict().iloc[0]
    assert r.tie == pytest.approx(-0.4 * w["mids"] + w["pledges"] + 0.5 * w["alignment"] + 0.2 * w["arms"])
    assert r.lo == pytest.approx(-0.6 * w["mids"] + 0.5 * w["pledges"] + 0.3 * w["alignment"] + 0.2 * w["arms"])
    assert r.hi == pytest.approx(-0.2 * w["mids"] + w["pledges"] + 0.9 * w["alignment"] + 0.2 * w["arms"])
    # between rivals the same amity counts for nothing (a dead-letter pledge, bloc voting)
    m.evidence_ = _evidence(rivalry=(1, 1, 1), mids=(0.4, 0.2, 0.6), **amity)
    r = m.predict().iloc[0]
    assert (r.tie, r.lo, r.hi) == pytest.approx((-w["rivalry"] - 0.4 * w["mids"], -w["rivalry"] - 0.6 * w["mids"],
                                                 -w["rivalry"] - 0.2 * w["mids"]))
    # a rivalry that may have ended (carried) discounts amity only in the measure it may still hold
    m.evidence_ = _evidence(rivalry=(1, 0.75, 1), **amity)
    r = m.predict().iloc[0]
    assert r.hi == pytest.approx(-0.75 * w["rivalry"] + 0.25 * (w["pledges"] + 0.9 * w["alignment"] + 0.2 * w["arms"]))
    # nothing measured: estimate 0, interval spans each side's whole weight
    m.evidence_ = _evidence(**{c: (0, 0, 1) for c in COMPONENTS})
    r = m.predict().iloc[0]
    assert (r.tie, r.lo, r.hi) == pytest.approx((0, -(w["rivalry"] + w["mids"]), sum(w[c] for c in AMITY)))
    assert r.status == "uncertain"


def test_unmeasured_dispute_years_are_bounded_by_the_pairs_record():
    quiet, stormy = np.zeros(20), np.r_[np.zeros(10), np.ones(10)]
    assert _unmeasured_dispute_bound(quiet, 0) == 0.0
    assert _unmeasured_dispute_bound(np.full(5, np.nan), 2) == 1.0  # no record: the whole range
    one, three = _unmeasured_dispute_bound(quiet, 1), _unmeasured_dispute_bound(quiet, 3)
    assert 0 < one < three < 0.5  # 20 quiet years: a dispute is possible, not likely
    assert _unmeasured_dispute_bound(stormy, 1) > 0.6


def test_settings_are_checked():
    with pytest.raises(RequestError, match="sum to at most 1"):
        TieSettings.from_config({"weights": {"rivalry": 0.9, "mids": 0.3}})
    with pytest.raises(RequestError, match="name"):
        TieSettings.from_config({"weights": {"trade": 0.1}})
    assert TieSettings.from_config({"neutral_band": 0.2}).band == 0.2


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


def test_what_if_shifts_the_whole_interval():
    t = {**{k: Tie(v, v - 0.05, v + 0.05) for k, v in ties(-0.3, -0.4, -0.3).items()},
         dyad_key("USA", "CHN"): Tie(0.0, -0.02, 0.02)}
    r = what_if(S, t, "USA", "CHN", 0.3, band=0.1)
    after = r["ties_after"][dyad_key("USA", "CHN")]
    assert (after.value, after.lo, after.hi) == pytest.approx((0.3, 0.28, 0.32))
    assert r["before"].name == INDETERMINATE and r["after"].name == "stable marriage"
    assert r["after"].positions == {"USA": "partner", "CHN": "partner", "RUS": "outcast"}
    # an uncertain tie shifted stays as wide: a small shift leaves it unsigned
    t[dyad_key("USA", "CHN")] = Tie(0.0, -0.3, 0.3)
    assert what_if(S, t, "USA", "CHN", 0.3, band=0.1)["after"].name == INDETERMINATE


def test_what_if_parsing_and_errors():
    assert parse_what_if("usa-rus:+0.3") == ("USA", "RUS", 0.3)
    with pytest.raises(RequestError):
        parse_what_if("USA RUS 0.3")
    with pytest.raises(RequestError, match="not a side"):
        what_if(S, ties(0.1, 0.1, 0.1), "USA", "IND", 0.3)
    with pytest.raises(RequestError, match="three different"):
        triangle(None, "USA", "USA", "RUS")


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    st = framework_store(tmp_path_factory, "triangle_framework")
    yield compute_drivers(st, 2010, 2020)
    st.close()


def test_driver_scores_without_a_store_measure_nothing(ds):
    """Older callers pass driver scores: their years are kept, and without a store no tie is measured."""
    tr = triangle(ds, "USA", "CHN", "RUS")
    assert set(tr.years.year) == set(range(2010, 2021))
    assert (tr.years.configuration == INDETERMINATE).all()
    assert (tr.ties.status == "not measured").all() and tr.ties.not_measured.str.contains("no store").all()


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
