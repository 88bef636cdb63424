"""ATOP 5.1 alliance/member-level connector, curated post-2018 treaties and the obligations verb, on the staged data."""

import shutil

import pandas as pd
import pytest

from dyadic.config import Settings
from dyadic.errors import NotIngestedError, SourceFormatError
from dyadic.indicators.commitments import alliance_dyad_years
from dyadic.indicators.obligations import COLUMNS, add_obligations, atop_years, obligation_dyad_years
from dyadic.indicators.panel import ADDERS, create_dyadyears
from dyadic.sources.atop_levels import packaged_treaties
from dyadic.store import Store, ingest

from conftest import data_settings, source_dir, truncate

LEVELS, CURATED = "alliances_atop_levels", "treaties_after_sources"
CARRIED = "in force at ATOP's last year (2018), no termination recorded"
PAIRS = ["USA-GBR", "CHN-PRK", "RUS-PRK", "IRN-RUS", "FIN-USA", "USA-JPN", "BEL-USA", "FRA-DEU", "RUS-UKR",
         "USA-IRN"]


@pytest.fixture(scope="module")
def ostore(tmp_path_factory):
    source_dir(LEVELS)
    settings = data_settings(tmp_path_factory.mktemp("oblig"))
    st = Store.open(settings.store_path)
    ingest(st, settings, [LEVELS, CURATED])
    st.settings = settings
    yield st
    st.close()


@pytest.fixture(scope="module")
def panel(ostore):
    return add_obligations(create_dyadyears(ostore, 2010, 2025, pairs=PAIRS), ostore)


def rows(p, x, y):
    d = p.data
    a, b = sorted((x, y))
    return d[(d.a == a) & (d.b == b)].set_index("year")


# ----------------------------------------------------------------------------------------------- connector


def test_levels_tables_match_the_source_notes(ostore):
    al = ostore.con.execute("SELECT * FROM atop_alliances").df()
    assert (len(al), int(al.bilateral.sum()), int(al.in_effect.sum())) == (789, 678, 372)
    # ATOP's end date 0 is "in force at 2018-12-31", never year 0
    assert al.end_year.isna().sum() == 372 and (al.end_year.dropna() >= 1815).all()
    nato = al.set_index("atopid").loc[3180]
    assert (nato.members, nato.defense, nato.offense, nato.nonagg, nato.consult, nato.bilateral) == \
           (30, True, False, True, True, False)
    assert al.depth.notna().sum() == 487 and round(al.depth.min(), 3) == -0.571 and round(al.depth.max(), 3) == 4.097
    m = ostore.con.execute("SELECT * FROM atop_members").df()
    assert len(m) == 2510 and m.exit_year.isna().sum() == 1146
    # West Germany (260) and unified Germany (255) are both DEU through the membership spells
    assert set(m[(m.atopid == 3180) & m.ccode.isin([255, 260])].code) == {"DEU"}
    assert atop_years(ostore) == (1815, 2018)


def test_member_spells_reproduce_atops_own_dyad_years(ostore):
    """Cross-check against ATOP's dyad-year file (peacesciencer packaging): same dyad-years, same pledges, bar
    the few member-specific pledges (obvary) the member file cannot split by partner."""
    source_dir("alliances_atop_cow")
    ingest(ostore, ostore.settings, ["alliances_atop_cow"])
    mine = obligation_dyad_years(ostore, 2000, 2018, directed=True)
    theirs = alliance_dyad_years(ostore, "atop", 2000, 2018, directed=True)
    m = mine.merge(theirs, on=["year", "a", "b"], how="outer", suffixes=("", "_ddy"), indicator=True)
    assert (m._merge == "both").all()
    for p in ("defense", "offense", "neutral", "nonagg", "consult"):
        differ = (m[p].astype(int) != m[f"{p}_ddy"].astype(int)).mean()
        assert differ < 0.002, p


# ----------------------------------------------------------------------------------------- carried values


def test_usa_gbr_nato_defense_in_2023_is_carried_from_2018(panel):
    r = rows(panel, "USA", "GBR")
    assert r.loc[2018, "oblig_basis"] == "ATOP 5.1" and r.loc[2018, "oblig_as_of"] == 2018
    got = r.loc[2023]
    assert got.oblig_defense == 1
    assert got.oblig_basis == CARRIED and got.oblig_source == "atop" and got.oblig_as_of == 2018
    assert "3180" in got.oblig_atopids.split(";")
    assert (got.oblig_multilateral, got.oblig_bilateral) == (1, 0)  # NATO (and Helsinki, TAC): multilateral only


def test_china_dprk_defense_2019_to_2024_carried_then_reaffirmed(ostore, panel):
    r = rows(panel, "CHN", "PRK")
    assert (r.loc[2019:2024, "oblig_defense"] == 1).all()
    assert (r.loc[2019:2020, "oblig_basis"] == CARRIED).all()
    assert r.loc[2021:2024, "oblig_basis"].str.contains("curated: China–DPRK Treaty").all()
    assert r.loc[2021, "oblig_bilateral"] == 1
    # without carrying, 2019-2020 are unknown and the 2021 reaffirmation alone keeps the defence pledge
    bare = rows(add_obligations(create_dyadyears(ostore, 2017, 2024, pairs=["CHN-PRK"]), ostore,
                                carry_forward=False), "CHN", "PRK")
    assert bare.loc[2018, "oblig_defense"] == 1
    assert bare.loc[2019:2020, COLUMNS].isna().all().all()
    assert (bare.loc[2021:2024, "oblig_defense"] == 1).all()
    assert (bare.loc[2021:2024, "oblig_source"] == "curated").all()


def test_pledge_ended_before_2018_is_not_carried(panel):
    # Brussels Treaty / WEU (ATOP 3130) ended in 2011: listed for France-Germany in 2010, not from 2012
    r = rows(panel, "FRA", "DEU")
    assert "3130" in r.loc[2010, "oblig_atopids"].split(";")
    assert not r.loc[2012:2025, "oblig_atopids"].str.contains("3130").any()
    # a pair sharing nothing in 2018: 0 inside ATOP's years, unknown after them (not "no alliance")
    r = rows(panel, "USA", "IRN")
    assert (r.loc[2010:2018, "oblig_defense"] == 0).all() and (r.loc[2010:2018, "oblig_atopids"] == "").all()
    assert r.loc[2019:2025, COLUMNS].isna().all().all()


# ------------------------------------------------------------------------------------------ curated rows


def test_russia_dprk_defense_from_2024_not_in_2020(panel):
    r = rows(panel, "RUS", "PRK")
    assert r.loc[2020, "oblig_defense"] == 0 and r.loc[2020, "oblig_consult"] == 1  # ATOP 4940, carried
    assert r.loc[2024, "oblig_defense"] == 1
    assert "curated: Treaty on Comprehensive Strategic Partnership between the Russian Federation and the DPRK" \
           in r.loc[2024, "oblig_basis"]
    # the 2000 treaty (4940) is superseded when the 2024 one enters into force
    assert "4940" not in r.loc[2025, "oblig_atopids"].split(";")


def test_iran_russia_2025_treaty_has_no_defense_pledge(panel):
    got = rows(panel, "IRN", "RUS").loc[2025]
    assert got.oblig_defense == 0 and got.oblig_offense == 0
    assert got.oblig_neutral == 1  # Art. 3: no assistance to an aggressor (and ATOP 4968, carried)
    assert "Islamic Republic of Iran (2025)" in got.oblig_basis and got.oblig_source == "atop;curated"


def test_finland_usa_defense_from_nato_accession_2023(panel):
    r = rows(panel, "FIN", "USA")
    assert (r.loc[2019:2022, "oblig_defense"] == 0).all()  # Helsinki Final Act only: non-aggression
    assert (r.loc[2023:2025, "oblig_defense"] == 1).all()
    assert r.loc[2023, "oblig_basis"].endswith("curated: North Atlantic Treaty: accession of Finland")
    assert (r.loc[2023, "oblig_bilateral"], r.loc[2023, "oblig_multilateral"]) == (0, 1)


def test_russia_ukraine_1997_treaty_ends_in_2019(panel):
    r = rows(panel, "RUS", "UKR")
    assert "4875" in r.loc[2019, "oblig_atopids"].split(";")
    assert r.loc[2020, "oblig_atopids"] == "3740" and r.loc[2020, "oblig_consult"] == 0


def test_bilateral_and_multilateral_instruments(ostore, panel):
    spell = ostore.con.execute("SELECT atopid, bool_and(bilateral) FROM atop_members WHERE atopid IN (3180, 3375) "
                               "GROUP BY atopid ORDER BY atopid").fetchall()
    assert spell == [(3180, False), (3375, True)]  # NATO multilateral, US-Japan security treaty bilateral
    jp = rows(panel, "USA", "JPN").loc[2018]
    assert (jp.oblig_bilateral, jp.oblig_multilateral, jp.oblig_defense) == (1, 1, 1)  # 3375 plus TAC 3755
    be = rows(panel, "BEL", "USA").loc[2018]
    assert (be.oblig_bilateral, be.oblig_multilateral, be.oblig_defense) == (0, 1, 1)


def test_verb_is_registered_with_coverage_and_needs_its_sources(ostore, panel, tmp_path):
    assert ADDERS["obligations"] is add_obligations
    cov = panel.coverage.set_index("column")
    assert set(COLUMNS) <= set(cov.index)
    assert cov.loc["oblig_defense", "last_year"] == 2025 and "carried" in cov.loc["oblig_defense", "note"]
    with Store.open(tmp_path / "empty.duckdb") as empty, \
            pytest.raises(NotIngestedError, match=f"dyadic ingest {LEVELS} {CURATED}"):
        add_obligations(panel, empty)


# --------------------------------------------------------------------------------------------- bad input


def snapshot(st):
    tables = st.con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    return {t: st.checksum(t) for (t,) in tables}


def set_cell(path, column, row, value):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df.loc[row, column] = value
    df.to_csv(path, index=False)


@pytest.mark.parametrize("fname, change, expect", [
    ("atop5_1a.csv", "truncate", None),
    ("atop5_1m.csv", "truncate", None),
    ("AllianceDataScoreJCR_RR.csv", "truncate", None),
    ("atop5_1m.csv", ("defense", 4, "7"), "column 'defense', row 5"),
    ("atop5_1a.csv", ("endyr", 2, "0"), "column 'endyr', row 3"),
])
def test_bad_file_raises_naming_it_and_leaves_the_store_unchanged(source_lab, fname, change, expect):
    settings, st, data = source_lab(LEVELS)
    ingest(st, settings, [CURATED])
    before = snapshot(st)
    target = data / LEVELS / fname
    if change == "truncate":
        truncate(target, 0.5)
    else:
        set_cell(target, *change)
    with pytest.raises(SourceFormatError) as exc:
        ingest(st, settings, [LEVELS])
    assert fname in str(exc.value)
    if expect:
        assert expect in str(exc.value)
    assert snapshot(st) == before
    assert {"atop_alliances", "atop_members", "treaties_curated"} <= set(before)
    assert all(n > 0 for n, _ in before.values())


def test_curated_rows_must_fall_after_atop_and_cite_a_source(tmp_path):
    own = tmp_path / "data" / CURATED
    own.mkdir(parents=True)
    shutil.copytree(source_dir("country_codes"), tmp_path / "data" / "country_codes")
    table = pd.read_csv(packaged_treaties(), dtype=str, keep_default_na=False)
    settings = Settings.resolve(data=tmp_path / "data", store=tmp_path / "s.duckdb", cache=tmp_path / "cache")
    with Store.open(settings.store_path) as st:
        ingest(st, settings, [CURATED])  # a user's own copy replaces the packaged table
        before = snapshot(st)
        for col, value, expect in (("date", "2017-05-01", "column 'date', row 2"),
                                   ("citation", "see the treaty", "column 'citation', row 2")):
            bad = table.copy()
            bad.loc[1, col] = value
            bad.to_csv(own / "treaties_after_sources.csv", index=False)
            with pytest.raises(SourceFormatError, match=expect):
                ingest(st, settings, [CURATED])
            assert snapshot(st) == before
