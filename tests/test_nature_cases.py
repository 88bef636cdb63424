"""Nature of the relationship on pairs of known status, with the obligation and conflict sources ingested:
alliances carried past ATOP's last year, rivalries from Thompson-Dreyer and MIDs, "undetermined" instead of
"ordinary" when inputs are not measured, and the fallback when those sources are absent."""

from __future__ import annotations

import pytest
from conftest import staged_store

from dyadic.framework.drivers import compute_drivers
from dyadic.framework.nature import UNDETERMINED, classify, label_status
from dyadic.indicators import conflict, obligations

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

SOURCES = ["country_codes", "alliances_atop_levels", "treaties_after_sources", "strategic_rivalries_td",
           "mids_cow_gml"]


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    s = staged_store(tmp_path_factory, "nature_cases", SOURCES)
    yield s
    s.close()


@pytest.fixture(scope="module")
def ds(st):
    return compute_drivers(st, 1960, 2024)


def crit(c):
    return {k.name: k for k in c.criteria}


def test_usa_gbr_stays_an_alliance_on_pledges_carried_from_atop(st, ds):
    last = obligations.atop_years(st)[1]
    for year in range(2020, 2024):
        c = classify(st, ds, "USA", "GBR", year)
        pledge = crit(c)["defence_pledge"]
        assert c.label == "alliance" and not c.provisional, year
        assert pledge.as_of == last and obligations.carry_label(st) in pledge.basis
        assert c.basis.startswith("alliance: defence pledge in force at ATOP's last year") and f"({last})" in c.basis


def test_multilateral_only_pledges_weigh_less(st, ds):
    """NATO's defence pledge still makes USA-GBR an alliance; its multilateral-only consultation pledges
    (NATO, Helsinki, TAC) alone would not make an entente."""
    cr = crit(classify(st, ds, "USA", "GBR", 2021))
    assert cr["defence_pledge"].holds is True and "multilateral only" in cr["defence_pledge"].value
    assert cr["other_pledge"].holds is False and "nonagg" in cr["other_pledge"].value


def test_fra_deu_2022_is_a_bilateral_alliance(st, ds):
    c = classify(st, ds, "FRA", "DEU", 2022)
    assert c.label == "alliance" and "(bilateral" in crit(c)["defence_pledge"].value


def test_chn_prk_2021_rests_on_the_curated_reaffirmation(st, ds):
    c = classify(st, ds, "CHN", "PRK", 2021)
    assert c.label == "alliance" and "curated: China–DPRK Treaty" in c.basis


def test_rus_prk_becomes_an_alliance_with_the_2024_treaty(st, ds):
    assert classify(st, ds, "RUS", "PRK", 2024).label == "alliance"
    before = classify(st, ds, "RUS", "PRK", 2023)
    assert crit(before)["defence_pledge"].holds is False and before.label != "alliance"


def test_ind_pak_is_a_rivalry_2008_2020(st, ds):
    td_last = conflict.rivalry_years(st)[1]
    mid_last = conflict.mid_years(st, ds.config.nature["rivalry_mid_dataset"])[1]
    for year in range(2008, 2021):
        c = classify(st, ds, "IND", "PAK", year)
        cr = crit(c)
        assert c.label == "rivalry" and cr["strategic_rivalry"].holds is True, year
        if year > td_last:
            assert cr["strategic_rivalry"].as_of == td_last and conflict.carry_label(st) in c.basis
        if year > mid_last:
            assert cr["recurrent_disputes"].holds is None and "not measured" in cr["recurrent_disputes"].basis
        else:
            assert cr["recurrent_disputes"].as_of == year


def test_chn_rus_is_neither_a_rivalry_nor_a_defence_alliance_2010_2024(st, ds):
    for year in range(2010, 2025):
        c = classify(st, ds, "CHN", "RUS", year)
        cr = crit(c)
        assert c.label != "rivalry" and label_status(cr)["rivalry"] is not True, year
        assert cr["defence_pledge"].holds is False, year
    # in Thompson-Dreyer's and the MIDs' years the rivalry is ruled out, not merely unknown
    assert label_status(crit(classify(st, ds, "CHN", "RUS", 2010)))["rivalry"] is False


def test_usa_cuba_rivalry_as_thompson_dreyer_codes_it(st, ds):
    styear, endyear = st.con.execute(
        "SELECT min(styear), max(endyear) FROM rivalries WHERE least(a, b) = 'CUB' AND greatest(a, b) = 'USA'"
    ).fetchone()
    assert styear <= 1963 and endyear >= 2009  # Thompson-Dreyer codes the rivalry over these decades
    for year in range(1963, 2010):
        assert classify(st, ds, "USA", "CUB", year).label == "rivalry", year
    # both stayed in the Rio Treaty until 1962 (ATOP): the rivalry outranks the pledge, listed beside it
    c = classify(st, ds, "USA", "CUB", 1961)
    assert c.label == "rivalry" and "alliance" in c.also


def test_unmeasured_inputs_make_undetermined_not_ordinary(st, ds):
    """BRA-NOR share no carried or cited instrument and no rivalry (Thompson-Dreyer's 2010 state, carried);
    the labels whose inputs this store lacks stay open, and the answer names them instead of 'ordinary'."""
    c = classify(st, ds, "BRA", "NOR", 2020)
    cr = crit(c)
    assert cr["strategic_rivalry"].holds is False and cr["strategic_rivalry"].as_of == 2010
    assert cr["recurrent_disputes"].measured is False  # COW MIDs end in 2014
    assert c.label == UNDETERMINED and c.undetermined_by and "rivalry" not in c.undetermined_by
    assert "not measured" in c.basis or "inputs missing" in c.basis


def test_without_the_sources_the_classifier_falls_back_and_says_what_to_ingest(tmp_path_factory):
    bare = staged_store(tmp_path_factory, "nature_bare", ["country_codes"])
    try:
        ds = compute_drivers(bare, 2019, 2020)
        c = classify(bare, ds, "USA", "GBR", 2020)
        cr = crit(c)
        assert cr["defence_pledge"].holds is None and "dyadic ingest alliances_atop_levels" in cr["defence_pledge"].basis
        assert cr["strategic_rivalry"].measured is False and cr["recurrent_disputes"].measured is False
        notes = " ".join(c.notes)
        assert "treaties_after_sources" in notes and "strategic_rivalries_td mids_cow_gml" in notes
        assert c.label == UNDETERMINED
    finally:
        bare.close()
