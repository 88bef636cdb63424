"""UNGA similarity: the published figures on the staged real data, and properties on random votes."""

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st
from hypothesis.extra.numpy import arrays

from dyadic.errors import RequestError
from dyadic.indicators.unga import VoteSelection, agreement_matrices, dyad_years, pair_series


def row(df, a, b, year):
    lo, hi = sorted([a, b])
    hit = df[(df.a == lo) & (df.b == hi) & (df.year == year)]
    assert len(hit) == 1, f"no {a}-{b} row for {year}"
    return hit.iloc[0]


def test_voeten_2019_china_russia(unga_store):
    r = row(dyad_years(unga_store, VoteSelection(source="voeten", start=2019, end=2019)), "CHN", "RUS", 2019)
    assert (r.agree_n, r.n) == (68, 86)
    assert r.agree == pytest.approx(0.7907, abs=5e-5)


def test_undl_2015_equals_voeten(unga_store):
    v = row(dyad_years(unga_store, VoteSelection(source="voeten", start=2015, end=2015)), "CHN", "RUS", 2015)
    u = row(dyad_years(unga_store, VoteSelection(source="undl", start=2015, end=2015)), "CHN", "RUS", 2015)
    assert (u.agree_n, u.n) == (v.agree_n, v.n) == (55, 77)
    assert u.agree == pytest.approx(0.7143, abs=5e-5)


def test_es_11_1(unga_store):
    q = """SELECT v.code, v.vote::VARCHAR FROM votes v JOIN roll_calls r USING (source, rcid)
           WHERE r.symbol = 'A/RES/ES-11/1' AND v.code IN ('CHN', 'RUS', 'USA') ORDER BY 1"""
    got = dict(unga_store.con.execute(q).fetchall())
    assert got == {"CHN": "abstain", "RUS": "no", "USA": "yes"}
    date = unga_store.con.execute("SELECT date FROM roll_calls WHERE symbol = 'A/RES/ES-11/1'").fetchone()[0]
    assert str(date) == "2022-03-02"


def test_prc_not_counted_before_1971(unga_store):
    pre = dyad_years(unga_store, VoteSelection(source="undl", start=1950, end=1970))
    assert not ((pre.a == "CHN") | (pre.b == "CHN")).any()
    assert ((pre.a == "TWN") | (pre.b == "TWN")).any()


def test_sc_kept_apart(unga_store):
    sc = dyad_years(unga_store, VoteSelection(source="undl", body="SC", start=2022, end=2022))
    ga = dyad_years(unga_store, VoteSelection(source="undl", body="GA", start=2022, end=2022))
    assert len(sc) < 200 < len(ga)  # 15 Council members vs the whole Assembly
    assert row(sc, "CHN", "RUS", 2022).n < row(ga, "CHN", "RUS", 2022).n


def test_auto_splices_sources(unga_store):
    s = pair_series(unga_store, "CHN", "RUS", VoteSelection(start=2018, end=2022))
    assert list(s.year) == [2018, 2019, 2020, 2021, 2022]
    assert list(s.source) == ["unvotes_voeten_2019"] * 2 + ["unga_unsc_votes_undl_scrape"] * 3


def test_filters(unga_store):
    all_ = row(dyad_years(unga_store, VoteSelection(source="voeten", start=2019, end=2019)), "CHN", "RUS", 2019)
    hr = row(dyad_years(unga_store, VoteSelection(source="voeten", issues=("hr",), start=2019, end=2019)), "CHN", "RUS", 2019)
    assert 0 < hr.n < all_.n
    # Importance is coded only to 2017 in this release.
    all15 = row(dyad_years(unga_store, VoteSelection(source="voeten", start=2015, end=2015)), "CHN", "RUS", 2015)
    imp = row(dyad_years(unga_store, VoteSelection(source="voeten", important=True, start=2015, end=2015)), "CHN", "RUS", 2015)
    assert 0 < imp.n < all15.n
    assert dyad_years(unga_store, VoteSelection(source="voeten", important=True, start=2019, end=2019)).empty


def test_absent_as_abstain_adds_votes(unga_store):
    ex = dyad_years(unga_store, VoteSelection(source="undl", start=1990, end=1990))
    ab = dyad_years(unga_store, VoteSelection(source="undl", start=1990, end=1990, absent="abstain"))
    assert ab.n.sum() > ex.n.sum()


@pytest.mark.parametrize("kw", [dict(source="gallup"), dict(body="ECOSOC"), dict(absent="maybe"),
                                dict(issues=("xx",)), dict(start=2020, end=2010), dict(source="undl", issues=("hr",))])
def test_bad_selection(kw):
    with pytest.raises(RequestError):
        VoteSelection(**kw)


# ---------------------------------------------------------------- properties on random vote matrices

votes_strategy = arrays(np.int8, st.tuples(st.integers(2, 7), st.integers(1, 12)), elements=st.integers(0, 3))


def brute(m: np.ndarray, i: int, j: int):
    both = (m[i] > 0) & (m[j] > 0)
    n = int(both.sum())
    if n == 0:
        return n, None, None, None
    x, y = m[i][both], m[j][both]
    agree = float((x == y).mean())
    pos = {1: 1.0, 2: 0.5, 3: 0.0}
    s = 1 - 2 * float(np.mean([abs(pos[u] - pos[v]) for u, v in zip(x, y)]))
    pooled = [((x == k).sum() + (y == k).sum()) / (2 * n) for k in (1, 2, 3)]
    pe = sum(p * p for p in pooled)
    pi = None if np.isclose(pe, 1) else (agree - pe) / (1 - pe)
    return n, agree, s, pi


@hsettings(max_examples=150, deadline=None)
@given(votes_strategy)
def test_matches_pairwise_definition(m):
    """0 = no vote; 1, 2, 3 = yes, abstain, no."""
    y, a, no = ((m == k).astype(np.float32) for k in (1, 2, 3))
    res = agreement_matrices(y, a, no, ("agree", "s", "pi"))
    for i in range(m.shape[0]):
        for j in range(m.shape[0]):
            n, agree, s, pi = brute(m, i, j)
            assert res["n"][i, j] == n
            # symmetry
            assert res["n"][i, j] == res["n"][j, i] and res["agree_n"][i, j] == res["agree_n"][j, i]
            if n == 0:
                assert np.isnan(res["s"][i, j])  # no shared votes: missing, never 0
                continue
            assert res["agree_n"][i, j] / n == pytest.approx(agree)
            assert res["s"][i, j] == pytest.approx(s, abs=1e-9)
            assert -1 - 1e-9 <= res["s"][i, j] <= 1 + 1e-9
            if pi is None:
                assert np.isnan(res["pi"][i, j])
            else:
                assert res["pi"][i, j] == pytest.approx(pi, abs=1e-9)
                assert res["pi"][i, j] <= 1 + 1e-9


@hsettings(max_examples=100, deadline=None)
@given(votes_strategy)
def test_agreement_fast_path_equals_full(m):
    y, a, no = ((m == k).astype(np.float32) for k in (1, 2, 3))
    fast = agreement_matrices(y, a, no, ("agree",))
    full = agreement_matrices(y, a, no, ("agree", "s", "pi"))
    assert np.array_equal(fast["n"], full["n"]) and np.array_equal(fast["agree_n"], full["agree_n"])


def test_no_shared_votes_no_row(unga_store):
    d = dyad_years(unga_store, VoteSelection(source="voeten", start=1950, end=1950))
    assert (d.n > 0).all()
    assert not ((d.a == "DDR") | (d.b == "DDR")).any()  # not a member in 1950
    assert d.agree.between(0, 1).all() and d.s.between(-1, 1).all()
