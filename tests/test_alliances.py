"""Alliance and exercise connectors and commitment indicators, on the staged ATOP/COW and MME data."""

import shutil

import numpy as np
import pandas as pd
import pyreadr
import pytest

from dyadic.config import Settings
from dyadic.errors import RequestError, SourceFormatError
from dyadic.indicators.commitments import (PLEDGES, alliance_dyad_years, alliance_years, exercise_dyad_years,
                                           exercise_years, pledges_in_force)
from dyadic.store import Store, ingest

from conftest import source_dir

ALL = "alliances_atop_cow"
MME = "mme_military_exercises"


@pytest.fixture(scope="module")
def cstore(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("commit")
    settings = Settings.resolve(data=source_dir(ALL).parent, store=tmp / "c.duckdb", cache=tmp / "cache")
    source_dir(MME)
    st = Store.open(settings.store_path)
    ingest(st, settings, [ALL, MME])
    yield st
    st.close()


def test_atop_2018_russia_china_is_no_alliance_but_nonaggression_and_consultation(cstore):
    got = pledges_in_force(cstore, "RUS", "CHN", 2018, 2018).iloc[0]
    assert got.covered
    assert (got.nonagg, got.consult) == (1, 1)
    assert (got.defense, got.offense, got.neutral) == (0, 0, 0)
    # both directions are coded the same way in the source
    raw = cstore.con.execute("SELECT a, b, defense, nonagg, consult FROM alliances WHERE dataset='atop' "
                             "AND year=2018 AND ((a='RUS' AND b='CHN') OR (a='CHN' AND b='RUS'))").df()
    assert len(raw) == 2 and not raw.defense.any() and raw.nonagg.all() and raw.consult.all()


def test_atop_after_2018_is_missing_not_no_alliance(cstore):
    assert alliance_years(cstore, "atop") == (1815, 2018)
    for a, b in [("RUS", "CHN"), ("USA", "CHN"), ("USA", "GBR"), ("FRA", "DEU")]:
        got = pledges_in_force(cstore, a, b, 2017, 2022)
        after = got[got.year >= 2019]
        assert not after.covered.any()
        assert after[list(PLEDGES["atop"]) + ["any_pledge"]].isna().all().all()
        assert got[got.year <= 2018][list(PLEDGES["atop"])].notna().all().all()
    # a real defence pact is 1 inside coverage
    assert (pledges_in_force(cstore, "USA", "GBR", 2018, 2018).defense == 1).all()


def test_cow_2012_russia_china_and_its_end(cstore):
    assert alliance_years(cstore, "cow") == (1816, 2012)
    got = pledges_in_force(cstore, "CHN", "RUS", 2012, 2013, dataset="cow").set_index("year")
    assert (got.loc[2012, "defense"], got.loc[2012, "nonagg"], got.loc[2012, "entente"]) == (0, 1, 1)
    assert got.loc[2013, list(PLEDGES["cow"])].isna().all()


def test_dyad_year_counts_match_the_source_notes(cstore):
    d = alliance_dyad_years(cstore, "atop")
    def n(a, b):
        return int(((d.a == a) & (d.b == b)).sum())
    # SOURCE.md: Russia-China 76, USA-China 17, USA-Russia 51 dyad-years in ATOP
    assert (n("RUS", "CHN"), n("USA", "CHN"), n("USA", "RUS")) == (76, 17, 51)
    assert set(d[(d.a == "USA") & (d.b == "RUS") & (d.year >= 2017)].nonagg) == {1}


def test_nondirected_is_the_either_side_maximum(cstore):
    directed = alliance_dyad_years(cstore, "atop", 1900, 2018)
    und = alliance_dyad_years(cstore, "atop", 1900, 2018, directed=False)
    lo = np.minimum(directed.a, directed.b)
    hi = np.maximum(directed.a, directed.b)
    expect = directed.assign(a=lo, b=hi).groupby(["year", "a", "b"])[list(PLEDGES["atop"])].max()
    got = und.set_index(["year", "a", "b"]).sort_index()[list(PLEDGES["atop"])]
    pd.testing.assert_frame_equal(got, expect.sort_index(), check_dtype=False)
    # direction is real information: some one-sided defence obligations exist
    rev = directed.merge(directed, left_on=["year", "a", "b"], right_on=["year", "b", "a"], how="left")
    assert ((rev.defense_x == 1) & (rev.defense_y != 1)).any()


def test_unknown_dataset_is_refused(cstore):
    with pytest.raises(RequestError, match="atop, cow"):
        alliance_dyad_years(cstore, "nato")


def test_exercises_china_russia_1980_2010(cstore):
    assert exercise_years(cstore) == (1980, 2010)
    ex = exercise_dyad_years(cstore)
    cr = ex[(ex.a == "CHN") & (ex.b == "RUS")]
    names = "; ".join(cr.names)
    for name in ("Peace Mission 2005", "Peace Mission 2007", "Peace Mission 2009", "Peace Mission 2010",
                 "Cooperation 2007", "Norak-Antiterror-2009"):
        assert name in names
    # SOURCE.md: 10 exercises with both China and Russia
    n = cstore.con.execute("SELECT count(DISTINCT x.mmeid) FROM exercises x JOIN exercises y USING (mmeid) "
                           "WHERE x.code='CHN' AND y.code='RUS'").fetchone()[0]
    assert n == 10
    assert (ex.a.astype(str) < ex.b.astype(str)).all()
    assert ex.year.between(1980, 2010).all()


def test_exercise_participants_map_to_states(cstore):
    counts = cstore.con.execute("SELECT code, count(DISTINCT mmeid) FROM exercises WHERE code IN "
                                "('CHN','RUS','USA') GROUP BY code").df().set_index("code").iloc[:, 0]
    # SOURCE.md: China 55, Russia 452, USA 1,871 exercises
    assert (counts["CHN"], counts["RUS"], counts["USA"]) == (55, 452, 1871)
    # South Vietnam (gone in 1975) must not appear in 1980-2010 exercises
    assert cstore.con.execute("SELECT count(*) FROM exercises WHERE code='RVN'").fetchone()[0] == 0
    unmapped = cstore.con.execute(f"SELECT unmapped FROM sources WHERE name='{MME}'").fetchone()[0]
    assert '"-9"' in unmapped  # reported, not silently dropped


@pytest.fixture()
def lab(tmp_path, cstore):
    data = tmp_path / "data"
    shutil.copytree(source_dir(ALL), data / ALL)
    for f in (data / ALL).iterdir():
        f.chmod(0o644)
    shutil.copytree(source_dir("country_codes"), data / "country_codes")
    return Settings.resolve(data=data, store=cstore.path, cache=tmp_path / "cache"), data / ALL


def snapshot(st):
    return {t: st.checksum(t) for t in ("alliances", "exercises", "sources")}


def test_truncated_file_names_it_and_leaves_store_unchanged(lab, cstore):
    settings, folder = lab
    before = snapshot(cstore)
    f = folder / "atop_alliance.rda"
    f.write_bytes(f.read_bytes()[:5000])
    with pytest.raises(SourceFormatError, match="atop_alliance.rda"):
        ingest(cstore, settings, [ALL])
    assert snapshot(cstore) == before


def test_missing_column_and_bad_flag_are_named(lab, cstore):
    settings, folder = lab
    before = snapshot(cstore)
    df = next(iter(pyreadr.read_r(str(folder / "cow_alliance.rda")).values()))
    pyreadr.write_rdata(str(folder / "cow_alliance.rda"), df.drop(columns=["cow_entente"]), df_name="cow_alliance")
    with pytest.raises(SourceFormatError, match=r"cow_alliance.rda: missing column\(s\) cow_entente"):
        ingest(cstore, settings, [ALL], force=True)
    df.loc[41, "cow_defense"] = 7
    pyreadr.write_rdata(str(folder / "cow_alliance.rda"), df, df_name="cow_alliance")
    with pytest.raises(SourceFormatError, match=r"cow_alliance.rda: column 'cow_defense', row 42"):
        ingest(cstore, settings, [ALL], force=True)
    assert snapshot(cstore) == before
