"""Contiguity/distance, MID and rivalry connectors and panel verbs, on the staged peacesciencer files."""

import pandas as pd
import pyreadr
import pytest

from dyadic.errors import NotIngestedError, RequestError, SourceFormatError
from dyadic.indicators.conflict import (add_contiguity, add_mids, add_rivalries, contiguity_years, mid_years,
                                        rivalry_years, td_ongoing_rivalries)
from dyadic.indicators.panel import ADDERS, create_dyadyears
from dyadic.store import Store, ingest

from conftest import staged_store, truncate

CONTIG, MIDS, RIVALS = "cow_contiguity_distance", "mids_cow_gml", "strategic_rivalries_td"
PAIRS = ["CHN-RUS", "CHN-USA", "RUS-USA", "ISL-NZL"]
LABEL = "ongoing at Thompson–Dreyer's last year (2010), no end recorded"


@pytest.fixture(scope="module")
def cstore(tmp_path_factory):
    st = staged_store(tmp_path_factory, "conflict", [CONTIG, MIDS, RIVALS])
    yield st
    st.close()


@pytest.fixture(scope="module")
def panel(cstore):
    """The three great-power pairs plus Iceland-New Zealand (no dispute ever), 1946-2020, every verb added."""
    p = create_dyadyears(cstore, 1946, 2020, pairs=PAIRS)
    return add_rivalries(add_mids(add_contiguity(p, cstore), cstore, dataset="cow"), cstore)


def rows(p, a, b):
    d = p.data
    return d[(d.a == a) & (d.b == b)].set_index("year")


def test_verbs_are_registered():
    assert {"contiguity", "mids", "rivalries"} <= set(ADDERS)
    assert ADDERS["mids"] is add_mids


# ---------------------------------------------------------------------------------- contiguity, distance


def test_russia_china_land_border_usa_china_none(cstore, panel):
    assert contiguity_years(cstore) == (1816, 2016)
    spell = cstore.con.execute("SELECT conttype, stdate, enddate FROM contiguity WHERE a = 'RUS' AND b = 'CHN'").df()
    assert spell.values.tolist() == [[1, pd.Timestamp("1860-10-01"), pd.Timestamp("2016-12-01")]]
    rc = rows(panel, "CHN", "RUS")
    assert (rc.loc[1946:2016, ["contig_type", "contig_land"]] == 1).all().all()
    uc = rows(panel, "CHN", "USA")
    assert (uc.loc[1946:2016, ["contig_type", "contig_land"]] == 0).all().all()
    assert cstore.con.execute("SELECT count(*) FROM contiguity WHERE 'USA' IN (a, b) AND 'CHN' IN (a, b)"
                              ).fetchone()[0] == 0


def test_bering_strait_from_1959_and_missing_after_2016(panel):
    ru = rows(panel, "RUS", "USA")
    assert (ru.loc[1946:1958, "contig_type"] == 0).all()
    assert (ru.loc[1959:2016, "contig_type"] == 2).all() and (ru.loc[1959:2016, "contig_land"] == 0).all()
    after = panel.data[panel.data.year > 2016]
    assert after[["contig_type", "contig_land"]].isna().all().all()
    cov = panel.coverage.set_index("column")
    assert cov.loc["contig_type", "last_year"] == 2016


def test_minimum_distance_2019_and_missing_after(panel):
    km = {p: rows(panel, *p.split("-")).loc[2019, "mindist_km"] for p in PAIRS[:3]}
    assert km["CHN-RUS"] == 0.0
    assert round(km["RUS-USA"]) == 80 and round(km["CHN-USA"]) == 3334
    assert panel.data.loc[panel.data.year == 2020, "mindist_km"].isna().all()
    assert panel.coverage.set_index("column").loc["mindist_km", "last_year"] == 2019


# ------------------------------------------------------------------------------------------------- MIDs


def test_cow_russia_china_mids_2009_and_2012(panel):
    rc = rows(panel, "CHN", "RUS")
    for year, dispute in ((2009, "4485"), (2012, "4640")):
        assert (rc.loc[year, "mid_ongoing"], rc.loc[year, "mid_onset"], rc.loc[year, "mid_hostlev"]) == (1, 1, 4)
        assert rc.loc[year, "mid_dispnums"] == dispute
    assert rc.loc[2010, "mid_ongoing"] == 0 and rc.loc[2010, "mid_dispnums"] == ""
    assert rows(panel, "CHN", "USA").loc[2014, "mid_dispnums"] == "4606"


def test_gml_stops_in_2010_so_the_2012_dispute_is_unknown_not_absent(cstore):
    assert (mid_years(cstore, "gml"), mid_years(cstore, "cow")) == ((1816, 2010), (1816, 2014))
    p = add_mids(create_dyadyears(cstore, 2005, 2014, pairs=["CHN-RUS"]), cstore)  # GML is the default
    rc = rows(p, "CHN", "RUS")
    assert rc.loc[2009, "mid_dispnums"] == "4485" and rc.loc[2010, "mid_ongoing"] == 0
    assert rc.loc[2011:2014, ["mid_ongoing", "mid_onset", "mid_hostlev", "mid_fatal"]].isna().all().all()
    assert "missing after 2010" in p.coverage.set_index("column").loc["mid_ongoing", "note"]


def test_no_dispute_is_zero_inside_and_missing_after_the_last_year(cstore, panel):
    assert cstore.con.execute("SELECT count(*) FROM mid_dyad_years WHERE 'ISL' IN (a, b) AND 'NZL' IN (a, b)"
                              ).fetchone()[0] == 0
    iz = rows(panel, "ISL", "NZL")
    counts = ["mid_ongoing", "mid_onset", "mid_disputes", "mid_hostlev", "mid_fatality", "mid_fatal"]
    assert (iz.loc[:2014, counts] == 0).all().all() and (iz.loc[:2014, "mid_dispnums"] == "").all()
    assert iz.loc[2015:, counts].isna().all().all()
    assert panel.coverage.set_index("column").loc["mid_onset", "last_year"] == 2014


@pytest.mark.parametrize("dataset, expect", [
    ("cow", {"CHN-RUS": (52, 40), "RUS-USA": (41, 37), "CHN-USA": (40, 32)}),
    ("gml", {"CHN-RUS": (47, 36), "RUS-USA": (40, 33), "CHN-USA": (36, 26)}),
])
def test_dyad_years_and_onsets_match_the_packagers_counts(cstore, dataset, expect):
    # built from every dispute (dirdisps); the counts are those of peacesciencer's one-per-dyad-year files
    p = add_mids(create_dyadyears(cstore, 1816, 2014, pairs=list(expect)), cstore, dataset=dataset)
    for pair, (years, onsets) in expect.items():
        r = rows(p, *pair.split("-"))
        assert (int(r.mid_ongoing.sum()), int(r.mid_onset.sum())) == (years, onsets), pair


def test_directed_panel_keeps_each_sides_role(cstore):
    p = add_mids(create_dyadyears(cstore, 1994, 2009, directed=True, pairs=["CHN-RUS"]), cstore, dataset="gml")
    # 2009 (dispute 4485): Russia on side A; 1994 (4104): China revisionist, Russia not
    assert (rows(p, "RUS", "CHN").loc[2009, "mid_sidea_a"], rows(p, "CHN", "RUS").loc[2009, "mid_sidea_a"]) == (1, 0)
    assert (rows(p, "CHN", "RUS").loc[1994, "mid_revisionist_a"], rows(p, "CHN", "RUS").loc[1994,
            "mid_revisionist_b"]) == (1, 0)


def test_unknown_fatalities_and_uncoded_revisionism_stay_missing(cstore, panel):
    raw = cstore.con.execute("""SELECT fatality_a, fatality_b FROM mid_dyad_years WHERE dataset = 'cow'
                                AND dispnum = 173 AND a = 'CHN' AND b = 'USA' AND year = 1958""").fetchone()
    assert None in raw  # -9 in the file
    uc = rows(panel, "CHN", "USA")
    assert uc.loc[1958, "mid_ongoing"] == 1 and pd.isna(uc.loc[1958, "mid_fatality"])
    assert panel.data[["mid_revisionist_a", "mid_revisionist_b"]].isna().all().all()  # COW: not coded


# -------------------------------------------------------------------------------------------- rivalries


def test_china_russia_rivalries(cstore, panel):
    assert rivalry_years(cstore) == (1494, 2010)
    rc = rows(panel, "CHN", "RUS")
    assert (rc.loc[1958:1989, "td_rivalry"] == 1).all() and (rc.loc[1958:1989, "td_rivalry_id"] == "126").all()
    assert rc.loc[1970, "td_rival_types"] == "ideological; positional; spatial"
    assert (rc.loc[[1957, 1990, 2010], "td_rivalry"] == 0).all() and rc.loc[1990, "td_rival_types"] == ""
    assert rc.loc[2011:, ["td_rivalry", "td_rivalry_id"]].isna().all().all()
    old = create_dyadyears(cstore, 1900, 1949, pairs=["CHN-RUS"])
    assert (rows(add_rivalries(old, cstore), "CHN", "RUS").td_rivalry_id == "29").all()
    uc = rows(panel, "CHN", "USA")
    assert (uc.loc[1949:1972, "td_rivalry"] == 1).all() and (uc.loc[1973:1995, "td_rivalry"] == 0).all()
    assert (uc.loc[1996:2010, "td_rivalry_id"] == "190").all()
    assert "td_as_of" not in panel.data


def test_ongoing_rivalries_at_the_last_year(cstore):
    on = td_ongoing_rivalries(cstore).set_index("rivalry")
    assert {190, 197} <= set(on.index) and 126 not in on.index
    assert (on.endyear == 2010).all() and set(on.label) == {LABEL}
    assert on.loc[197, ["a", "b", "styear", "types"]].tolist() == ["RUS", "USA", 2007, "positional"]


def test_carry_forward_fills_only_rivalries_ongoing_in_2010(cstore):
    p = add_rivalries(create_dyadyears(cstore, 2005, 2020, pairs=PAIRS), cstore, carry_forward=True)
    uc, rc = rows(p, "CHN", "USA"), rows(p, "CHN", "RUS")
    assert (uc.loc[2011:, "td_rivalry"] == 1).all() and (uc.loc[2011:, "td_as_of"] == 2010).all()
    assert (uc.loc[2011:, "td_rivalry_id"] == "190").all()
    assert uc.loc[2008, "td_as_of"] == 2008 and rc.loc[2008, "td_as_of"] == 2008
    # China-Russia was no rivalry in 2010: nothing to carry, later years stay unknown
    assert rc.loc[2011:, ["td_rivalry", "td_rival_types", "td_as_of"]].isna().all().all()
    assert LABEL in p.coverage.set_index("column").loc["td_rivalry", "note"]


# ---------------------------------------------------------------------------------------- bad requests


def test_verbs_need_their_source_and_refuse_to_add_twice(cstore, panel, tmp_path):
    base = create_dyadyears(cstore, 2000, 2001, pairs=["CHN-RUS"])
    with Store.open(tmp_path / "empty.duckdb") as empty:
        for verb, source in ((add_contiguity, CONTIG), (add_mids, MIDS), (add_rivalries, RIVALS)):
            with pytest.raises(NotIngestedError, match=f"dyadic ingest {source}"):
                verb(base, empty)
    with pytest.raises(RequestError, match="add_mids"):
        add_mids(panel, cstore)
    with pytest.raises(RequestError, match="MID dataset"):
        add_mids(base, cstore, dataset="icb")


# --------------------------------------------------------------------------------------------- bad input


def snapshot(st):
    tables = st.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {t: st.checksum(t) for (t,) in tables}


def set_value(path, column, row, value):
    df = next(iter(pyreadr.read_r(str(path)).values()))
    df.loc[row, column] = value
    pyreadr.write_rdata(str(path), df, df_name=path.stem)


@pytest.mark.parametrize("source, fname, change, expect", [
    (CONTIG, "cow_contdir.rda", "truncate", None),
    (CONTIG, "cow_mindist.rda", "truncate", None),
    (MIDS, "gml_dirdisp.rda", "truncate", None),
    (MIDS, "cow_mid_dirdisps.rda", ("hostlev1", 7, 7.0), "column 'hostlev1', row 8"),
    (RIVALS, "td_rivalries.rda", "truncate", None),
    (RIVALS, "td_rivalries.rda", ("type2", 3, "friendly"), "column 'type2', row 4"),
])
def test_bad_file_raises_naming_it_and_leaves_the_store_unchanged(source_lab, source, fname, change, expect):
    settings, st, data = source_lab(source)
    before = snapshot(st)
    target = data / source / fname
    if change == "truncate":
        truncate(target, 0.4)
    else:
        set_value(target, *change)
    with pytest.raises(SourceFormatError) as exc:
        ingest(st, settings, [source])
    assert fname in str(exc.value)
    if expect:
        assert expect in str(exc.value)
    assert snapshot(st) == before
    assert len(before) > 2 and all(n > 0 for n, _ in before.values())
