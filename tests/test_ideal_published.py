"""Published Bailey-Strezhnev-Voeten ideal points as panel columns (add_ideal_points) and beside dyadic's own
estimates (compare_ideal_points), on the staged July 2025 release."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dyadic.errors import NotIngestedError, RequestError
from dyadic.indicators.ideal import PUBLISHED, add_ideal_points, compare_ideal_points
from dyadic.indicators.ideal_points import DynamicIdealPoints
from dyadic.indicators.ideal_points_table import estimate_and_store, positions
from dyadic.indicators.panel import ADDERS, create_dyadyears
from dyadic.indicators.unga import UNDL, VoteSelection

from conftest import source_dir, staged_store

# SOURCE.md's verified idealpointfp figures (rounded to 3 decimals there)
VERIFIED = {(2019, "USA"): 2.570, (2019, "RUS"): 0.020, (2019, "CHN"): -0.445,
            (2022, "USA"): 2.146, (2022, "RUS"): -0.809, (2022, "CHN"): -1.351,
            (2024, "USA"): 2.206, (2024, "RUS"): -0.598, (2024, "CHN"): -0.854}
PAIRS = ["CHN-RUS", "CHN-USA", "RUS-USA"]


@pytest.fixture(scope="module")
def pub(tmp_path_factory):
    st = staged_store(tmp_path_factory, "ideal_pub", ["country_codes", PUBLISHED])
    yield st
    st.close()


@pytest.fixture(scope="module")
def release() -> pd.DataFrame:
    """The staged file itself (read in place, never copied), keyed by ISO3 and year, for the states used here
    (ISO3 is not unique across the whole file: South Yemen's rows carry YAR)."""
    raw = pd.read_csv(source_dir(PUBLISHED) / "IdealpointsJuly2025.csv.gz")
    out = raw[raw.iso3c.isin(["CHN", "RUS", "USA", "CHE"])].set_index(["iso3c", "year"]).sort_index()
    assert out.index.is_unique
    return out


@pytest.fixture(scope="module")
def trio(pub):
    return add_ideal_points(create_dyadyears(pub, 2015, 2024, pairs=PAIRS), pub, third="USA")


def row(panel, year, a, b) -> pd.Series:
    d = panel.data
    hit = d[(d.year == year) & (d.a.astype(str) == a) & (d.b.astype(str) == b)]
    assert len(hit) == 1, (year, a, b)
    return hit.iloc[0]


def test_values_match_the_release_and_source_md(trio, release):
    for (year, code), fig in VERIFIED.items():
        pair = ("CHN", "RUS") if code != "USA" else ("RUS", "USA")
        side = "bsv_ideal_a" if code == pair[0] else "bsv_ideal_b"
        got = row(trio, year, *pair)[side]
        assert got == pytest.approx(fig, abs=5e-4), (year, code)
        assert got == pytest.approx(release.loc[(code, year), "idealpointfp"], abs=1e-6), (year, code)
    r = row(trio, 2022, "CHN", "USA")
    assert r.bsv_distance == pytest.approx(abs(release.loc[("CHN", 2022), "idealpointfp"]
                                               - release.loc[("USA", 2022), "idealpointfp"]), abs=2e-6)
    assert ADDERS["ideal"] is add_ideal_points


def test_china_closer_to_russia_than_to_usa_in_2020(trio):
    cr, cu = row(trio, 2020, "CHN", "RUS").bsv_distance, row(trio, 2020, "CHN", "USA").bsv_distance
    assert cr < cu
    assert cr == pytest.approx(abs(-0.564850 - 0.025946), abs=1e-5)


def test_absent_state_year_is_missing_not_zero(pub, release):
    # Switzerland is a COW member throughout but joined the UN in 2002: the release lists it from 2002 only.
    assert ("CHE", 2001) not in release.index and ("CHE", 2002) in release.index
    p = add_ideal_points(create_dyadyears(pub, 1999, 2003, pairs=["CHE-USA"]), pub).data.set_index("year")
    assert p.loc[[1999, 2000, 2001], ["bsv_ideal_a", "bsv_distance"]].isna().all().all()
    assert p.loc[[1999, 2000, 2001], "bsv_ideal_b"].notna().all()  # the USA's own value stays
    assert p.loc[2002, "bsv_ideal_a"] == pytest.approx(release.loc[("CHE", 2002), "idealpointfp"])
    # 1964: no recorded GA votes, no state has an estimate
    q = add_ideal_points(create_dyadyears(pub, 1963, 1965, pairs=["RUS-USA"]), pub).data.set_index("year")
    assert q.bsv_distance.isna().tolist() == [False, True, False]


def test_third_party_columns(trio, pub):
    cr, cu, ru = row(trio, 2020, "CHN", "RUS"), row(trio, 2020, "CHN", "USA"), row(trio, 2020, "RUS", "USA")
    assert cr.bsv_dist_a_third == pytest.approx(cu.bsv_distance)
    assert cr.bsv_dist_b_third == pytest.approx(ru.bsv_distance)
    assert cr.bsv_dist_third_diff == pytest.approx(cu.bsv_distance - ru.bsv_distance)
    assert cr.bsv_dist_third_diff > 0  # China further from the USA than Russia in 2020
    assert cu.bsv_dist_b_third == 0 and cu.bsv_dist_a_third == pytest.approx(cu.bsv_distance)
    # A third party without an estimate that year (Switzerland before 2002) leaves only its columns missing.
    p = add_ideal_points(create_dyadyears(pub, 2000, 2002, pairs=["CHN-RUS"]), pub, third="Switzerland")
    d = p.data.set_index("year")
    assert d.loc[[2000, 2001], ["bsv_dist_a_third", "bsv_dist_b_third", "bsv_dist_third_diff"]].isna().all().all()
    assert d.loc[[2000, 2001], "bsv_distance"].notna().all() and d.loc[2002, "bsv_dist_a_third"] >= 0
    assert "CHE" in p.coverage.set_index("column").loc["bsv_dist_a_third", "note"]


def test_directed_panel_follows_the_row_order(pub):
    p = add_ideal_points(create_dyadyears(pub, 2022, 2022, directed=True, pairs=["CHN-USA"]), pub, third="RUS")
    usa_chn = row(p, 2022, "USA", "CHN")
    assert usa_chn.bsv_ideal_a == pytest.approx(VERIFIED[(2022, "USA")], abs=5e-4)
    chn_usa = row(p, 2022, "CHN", "USA")
    assert usa_chn.bsv_dist_third_diff == pytest.approx(-chn_usa.bsv_dist_third_diff)


def test_coverage_years_and_citation(pub):
    p = add_ideal_points(create_dyadyears(pub, 1946, 2025), pub, third="USA")
    cov = p.coverage.set_index("column")
    cols = ["bsv_ideal_a", "bsv_ideal_b", "bsv_distance", "bsv_dist_a_third", "bsv_dist_b_third",
            "bsv_dist_third_diff"]
    for c in cols:
        assert (cov.loc[c, "first_year"], cov.loc[c, "last_year"]) == (1946, 2024), c
        assert "Bailey" in cov.loc[c, "citation"] and "Journal of Conflict Resolution" in cov.loc[c, "citation"]
        assert "July 2025" in cov.loc[c, "citation"] and "July 28, 2025" in cov.loc[c, "version"]
    assert p.data.loc[p.data.year == 2025, cols].isna().all().all()  # past the release: unknown
    allv = add_ideal_points(create_dyadyears(pub, 2020, 2025, pairs=PAIRS), pub, variant="all").coverage
    assert allv.set_index("column").loc["bsv_distance", "last_year"] == 2023  # idealpointall ends 2023


def test_refusals(pub, tmp_path_factory):
    p = add_ideal_points(create_dyadyears(pub, 2020, 2020, pairs=PAIRS), pub)
    with pytest.raises(RequestError, match="already has"):
        add_ideal_points(p, pub)
    with pytest.raises(RequestError, match="variant"):
        add_ideal_points(create_dyadyears(pub, 2020, 2020, pairs=PAIRS), pub, variant="legacy")
    bare = staged_store(tmp_path_factory, "ideal_bare", ["country_codes"])
    with pytest.raises(NotIngestedError, match=PUBLISHED):
        add_ideal_points(create_dyadyears(bare, 2020, 2020, pairs=PAIRS), bare)
    with pytest.raises(NotIngestedError, match=PUBLISHED):
        compare_ideal_points(bare, "CHN", "RUS", 2020, 2024)
    bare.close()


# ------------------------------------------------------------------------------------------- comparison


def test_compare_without_stored_estimates(pub, trio):
    c = compare_ideal_points(pub, "China", "Russia", 2015, 2024)
    assert (c.a, c.b) == ("CHN", "RUS") and c.years.year.tolist() == list(range(2015, 2025))
    assert c.years.dyadic_distance.isna().all() and c.correlation is None and c.n_years == 0
    assert c.dyadic.startswith("not estimated")
    mine = trio.data[(trio.data.a == "CHN") & (trio.data.b == "RUS")].set_index("year").bsv_distance
    np.testing.assert_allclose(c.years.set_index("year").bsv_distance, mine)
    assert np.isnan(c.years.set_index("year").loc[2024, "bsv_distance_all"])  # idealpointall ends 2023
    assert (c.years.bsv_lo <= c.years.bsv_distance).all() and (c.years.bsv_distance <= c.years.bsv_hi).all()
    assert "splice" in c.note and "2020" in c.note


def test_compare_reads_stored_estimates(tmp_path_factory):
    st = staged_store(tmp_path_factory, "ideal_cmp", ["country_codes", PUBLISHED, UNDL])
    # A short fit (seconds) stands in for 'dyadic ideal'; compare_ideal_points must only read it.
    estimate_and_store(st, VoteSelection(source="undl", start=2015, end=2024), DynamicIdealPoints(max_iter=60),
                       n_boot=0)
    before = st.checksum("ideal_points")
    c = compare_ideal_points(st, "CHN", "RUS", 2010, 2024)
    assert st.checksum("ideal_points") == before
    y = c.years.set_index("year")
    assert y.loc[2010:2014, "dyadic_distance"].isna().all() and y.loc[2010:2014, "dyadic_votes"].isna().all()
    pos = positions(st, ["CHN", "RUS"], 2015, 2024).pivot(index="year", columns="code", values="theta")
    np.testing.assert_allclose(y.loc[2015:2024, "dyadic_distance"], (pos.CHN - pos.RUS).abs())
    assert (y.loc[2015:2024, "dyadic_votes"] == UNDL).all()
    assert y.dyadic_lo.isna().all()  # no bootstrap was run: no interval, not a zero-width one
    both = y.loc[2015:2024]
    assert c.n_years == 10 and c.correlation == pytest.approx(
        np.corrcoef(both.dyadic_distance, both.bsv_distance)[0, 1])
    assert c.n_years_all == 9  # no idealpointall for 2024
    assert c.dyadic.startswith("not current")  # made with other settings than the default estimator
    st.close()


def test_the_brief_shows_the_release_and_never_estimates(pub):
    """Rendering reads: with no stored estimates of dyadic's own, the brief's ideal-point part shows the
    published release (its values, named as such) and the store gains no ideal_points table."""
    from dyadic.report.ideal_section import ideal_section

    names = {"CHN": "China", "RUS": "Russia", "USA": "United States"}
    findings, charts, tables = ideal_section(pub, "CHN", "RUS", "USA", names)
    assert "Bailey, Strezhnev & Voeten" in findings[0] and "run 'dyadic ideal'" in findings[0]
    assert f"China {VERIFIED[(2024, 'CHN')]:+.2f}" in findings[0] and len(charts) == 2
    assert "unga_ideal_points_voeten" in tables[0][0]
    assert not pub.has_table("ideal_points")


def test_without_estimates_or_release_the_part_is_empty(tmp_path_factory):
    st = staged_store(tmp_path_factory, "ideal_none", ["country_codes"])
    from dyadic.report.ideal_section import ideal_section

    assert ideal_section(st, "CHN", "RUS", None, {"CHN": "China", "RUS": "Russia"}) == ([], [], [])
    st.close()
