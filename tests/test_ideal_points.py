"""Dynamic UNGA ideal points: recovery of known positions, validation against the published BSV estimates
(read from the staged file at test time), the stored derived table, and the published-estimates connector."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from dyadic.errors import SourceFormatError
from dyadic.indicators.ideal_points import BootstrapIdealPoints, DynamicIdealPoints, VotePanel
from dyadic.indicators.ideal_points_table import dyad_distances, estimate_and_store, is_current, positions
from dyadic.indicators.unga import VoteSelection, load_votes
from dyadic.sources.ideal_points_published import PublishedIdealPoints
from dyadic.store import Store, ingest
from conftest import source_dir

PUBLISHED = "unga_ideal_points_voeten"


def synthetic_panel(n_states=60, years=range(2000, 2012), items_per_year=100, seed=1):
    """Votes drawn from the model itself: random-walk positions, ordinal probit votes, some missing."""
    rng = np.random.default_rng(seed)
    years = list(years)
    theta = np.cumsum(rng.normal(0, 0.15, (n_states, len(years))), axis=1) + rng.normal(0, 1, (n_states, 1))
    theta[0] += 2.0  # state 0 plays the anchor at the positive end
    st, it, vo, iy = [], [], [], []
    for t, yr in enumerate(years):
        for _ in range(items_per_year):
            j = len(iy)
            iy.append(yr)
            alpha, beta, tau = rng.normal(0.5, 1), rng.normal(0, 1.5), rng.uniform(0.2, 1.0)
            present = rng.random(n_states) > 0.05
            z = alpha + beta * theta[present, t] + rng.normal(size=present.sum())
            v = np.where(z < 0, 0, np.where(z < tau, 1, 2))
            st.append(np.flatnonzero(present))
            it.append(np.full(present.sum(), j))
            vo.append(v)
    codes = np.array(["AAA"] + [f"S{i:02d}" for i in range(1, n_states)], dtype=object)
    panel = VotePanel(np.concatenate(st), np.concatenate(it), np.concatenate(vo), np.array(iy), codes)
    truth = pd.DataFrame({"code": np.repeat(codes, len(years)), "year": np.tile(years, n_states),
                          "true": theta.ravel()})
    return panel, truth


def test_synthetic_positions_recovered():
    panel, truth = synthetic_panel()
    est = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", tol=1e-5, max_iter=3000).fit(panel)
    got = est.transform().merge(truth, on=["code", "year"])
    assert len(got) == len(truth)
    assert got[["theta", "true"]].corr().iloc[0, 1] >= 0.99
    assert est.converged_
    d = est.diagnostics()
    assert d["monotone"], "the accelerated EM must never lower the log posterior"
    # Deterministic: a second fit gives identical positions.
    again = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", tol=1e-5, max_iter=3000).fit(panel).transform()
    np.testing.assert_array_equal(again.theta.to_numpy(), est.transform().theta.to_numpy())


def test_orientation_follows_anchor():
    panel, _ = synthetic_panel(n_states=30, years=range(2000, 2004), seed=3)
    pos = DynamicIdealPoints(rw_sd=0.15, anchor="AAA").fit(panel).transform()
    assert pos[pos.code == "AAA"].theta.mean() > 0
    neg = DynamicIdealPoints(rw_sd=0.15, anchor="S05").fit(panel).transform()
    assert neg[neg.code == "S05"].theta.mean() > 0
    assert abs(pos.theta.mean()) < 1e-9 and pos.theta.std(ddof=0) == pytest.approx(1.0)


def test_plain_em_reaches_the_same_mode_as_accelerated():
    panel, _ = synthetic_panel(n_states=30, years=range(2000, 2004), seed=5)
    fast = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", tol=1e-6, max_iter=5000).fit(panel)
    slow = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", tol=1e-6, max_iter=20000, accelerate=False).fit(panel)
    assert fast.n_iter_ < slow.n_iter_
    assert np.max(np.abs(fast.transform().theta - slow.transform().theta)) < 1e-2


def test_bootstrap_intervals_cover_point_and_are_seeded():
    panel, _ = synthetic_panel(n_states=30, years=range(2000, 2004), seed=7)
    est = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", seed=11).fit(panel)
    b1 = BootstrapIdealPoints(n_boot=6, n_jobs=1, max_iter=60).fit(est)
    b2 = BootstrapIdealPoints(n_boot=6, n_jobs=1, max_iter=60).fit(est)
    assert b1.n_done_ == 6
    np.testing.assert_allclose(b1.intervals_.lo, b2.intervals_.lo)
    iv = b1.intervals_
    assert (iv.lo <= iv.hi).all() and (iv.se > 0).all()
    inside = ((iv.theta >= iv.lo - 0.1) & (iv.theta <= iv.hi + 0.1)).mean()
    assert inside > 0.9


def test_bootstrap_in_worker_processes_matches_one_process():
    panel, _ = synthetic_panel(n_states=30, years=range(2000, 2004), seed=7)
    est = DynamicIdealPoints(rw_sd=0.15, anchor="AAA", seed=11).fit(panel)
    one = BootstrapIdealPoints(n_boot=4, n_jobs=1, max_iter=60).fit(est)
    two = BootstrapIdealPoints(n_boot=4, n_jobs=2, max_iter=60).fit(est)
    assert two.n_done_ == 4
    np.testing.assert_allclose(two.intervals_.lo, one.intervals_.lo, rtol=1e-6)
    np.testing.assert_allclose(two.intervals_.hi, one.intervals_.hi, rtol=1e-6)


# ------------------------------------------------------------------------------- staged real data

@pytest.fixture(scope="session")
def published(unga_store) -> pd.DataFrame:
    folder = source_dir(PUBLISHED)
    res = PublishedIdealPoints().read({"IdealpointsJuly2025.dta": folder / "IdealpointsJuly2025.dta"},
                                      unga_store.registry())
    return res.tables["ideal_points_published"]


@pytest.fixture(scope="session")
def full_fit(unga_store) -> DynamicIdealPoints:
    """The full 1946-2024 estimate, once per test session (Voeten votes to 2019, UN Digital Library after)."""
    panel = VotePanel.from_votes(load_votes(unga_store, VoteSelection(end=2024)))
    return DynamicIdealPoints().fit(panel)


@pytest.fixture(scope="session")
def compared(full_fit, published) -> pd.DataFrame:
    m = full_fit.transform().merge(published, on=["code", "year"])
    # idealpointall has no 2024 value; that year is compared with the final-passage variant.
    m["ref"] = m.idealpointall.fillna(m.idealpointfp)
    return m


@pytest.mark.slow
def test_pooled_correlation_with_published(compared):
    assert len(compared) > 10_000
    assert compared[["theta", "ref"]].corr().iloc[0, 1] >= 0.95


@pytest.mark.slow
def test_decade_correlations_since_1990(compared):
    for dec in (1990, 2000, 2010, 2020):
        d = compared[(compared.year >= dec) & (compared.year < dec + 10)]
        assert len(d) > 500
        assert d[["theta", "ref"]].corr().iloc[0, 1] >= 0.9, dec


@pytest.mark.slow
def test_2022_usa_china_russia_sign_pattern(compared):
    y = compared[compared.year == 2022].set_index("code")
    for c in ("USA", "CHN", "RUS"):
        assert np.sign(y.loc[c, "theta"]) == np.sign(y.loc[c, "idealpointall"]), c
    for c in ("CHN", "RUS"):
        assert abs(y.loc["USA", "theta"] - y.loc[c, "theta"]) > abs(y.loc["CHN", "theta"] - y.loc["RUS", "theta"])


def test_estimate_store_is_atomic_current_and_distances(tmp_path, settings):
    st = Store.open(tmp_path / "ip.duckdb")
    ingest(st, settings, ["country_codes", "unga_unsc_votes_undl_scrape"])
    sel = VoteSelection(source="undl", start=2021, end=2024)
    est = DynamicIdealPoints(max_iter=60)
    r = estimate_and_store(st, sel, est, n_boot=3, n_jobs=1)
    assert r["status"] == "estimated" and r["n_boot_done"] == 3
    assert is_current(st, sel, est, 3)
    before = st.checksum("ideal_points")
    assert estimate_and_store(st, sel, est, n_boot=3, n_jobs=1)["status"] == "unchanged"
    assert st.checksum("ideal_points") == before
    assert not is_current(st, sel, DynamicIdealPoints(max_iter=60, rw_sd=0.1), 3)
    pos = positions(st, ["CHN", "RUS", "USA"])
    assert set(pos.code) == {"CHN", "RUS", "USA"} and pos.year.between(2021, 2024).all()
    assert (pos.lo <= pos.hi).all()
    d = dyad_distances(st, [("CHN", "RUS"), ("RUS", "USA")])
    p = pos.set_index(["code", "year"]).theta
    row = d[(d.a == "CHN") & (d.year == 2022)].iloc[0]
    assert row.distance == pytest.approx(abs(p[("CHN", 2022)] - p[("RUS", 2022)]))
    assert (d.lo <= d.distance + 1e-12).all() and (d.distance <= d.hi + 1e-12).all()
    st.close()


def test_published_connector_ingests(tmp_path, settings):
    st = Store.open(tmp_path / "pub.duckdb")
    ingest(st, settings, ["country_codes", PUBLISHED])
    n, lo, hi = st.con.execute("SELECT count(*), min(year), max(year) FROM ideal_points_published").fetchone()
    assert n > 11_000 and (lo, hi) == (1946, 2024)
    dup = st.con.execute("SELECT count(*) FROM (SELECT code, year FROM ideal_points_published "
                         "GROUP BY 1, 2 HAVING count(*) > 1)").fetchone()[0]
    assert dup == 0
    st.close()


def test_published_connector_corrupt_file(tmp_path, settings):
    st = Store.open(tmp_path / "bad.duckdb")
    ingest(st, settings, ["country_codes", PUBLISHED])
    before = st.checksum("ideal_points_published")
    bad_dir = tmp_path / "data" / PUBLISHED
    bad_dir.mkdir(parents=True)
    raw = (source_dir(PUBLISHED) / "IdealpointsJuly2025.dta").read_bytes()
    (bad_dir / "IdealpointsJuly2025.dta").write_bytes(raw[: len(raw) // 3])
    bad = type(settings).resolve(data=tmp_path / "data", store=tmp_path / "bad.duckdb", cache=tmp_path / "c")
    with pytest.raises(SourceFormatError, match="IdealpointsJuly2025.dta"):
        ingest(st, bad, [PUBLISHED], force=True)
    assert st.checksum("ideal_points_published") == before
    st.close()
