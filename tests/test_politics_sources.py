"""Regime type (V-Dem/Polity5/UDS), COW IGO 3.0 and SIPRI arms transfers: connectors and panel verbs, on the
staged real data. Expected figures are the verified ones in each dataset's SOURCE.md."""

import shutil

import pandas as pd
import pytest

from dyadic.config import Settings
from dyadic.errors import NotIngestedError, RequestError, SourceFormatError
from dyadic.indicators.arms import add_arms_transfers, arms_flows, arms_years
from dyadic.indicators.panel import ADDERS, create_dyadyears
from dyadic.indicators.politics import add_democracy, add_igos, igo_years, shared_igos
from dyadic.sources import SOURCES
from dyadic.store import Store, ingest

from conftest import source_dir, truncate

DEM, IGO, ARMS = "democracy_vdem_polity_uds", "cow_igo", "sipri_arms_transfers"
TABLES = ["democracy", "igo_members", "igo_state_years", "igo_list", "igo_dyad_years", "arms_deliveries",
          "arms_tiv_2022", "sources", "states"]
BIG3 = ["CHN-RUS", "CHN-USA", "RUS-USA"]


@pytest.fixture(scope="module")
def pstore(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("politics")
    settings = Settings.resolve(data=source_dir(DEM).parent, store=tmp / "p.duckdb", cache=tmp / "cache")
    for name in (IGO, ARMS):
        source_dir(name)
    st = Store.open(settings.store_path)
    ingest(st, settings, [DEM, IGO, ARMS])
    yield st
    st.close()


@pytest.fixture(scope="module")
def big3(pstore):
    """The three great-power dyads 1946-2025 with every verb of this module."""
    p = create_dyadyears(pstore, 1946, 2025, pairs=BIG3)
    p = add_igos(add_democracy(p, pstore), pstore, igos=("SCO", "nato", "CSTO"))
    return add_arms_transfers(p, pstore)


def row(panel, year, a, b):
    d = panel.data
    hit = d[(d.year == year) & (d.a == a) & (d.b == b)]
    assert len(hit) == 1, (year, a, b)
    return hit.iloc[0]


def test_registered():
    assert {DEM, IGO, ARMS} <= set(SOURCES)
    assert {"democracy", "igos", "arms"} <= set(ADDERS)


# ---------------------------------------------------------------------------------------------- democracy


@pytest.mark.parametrize("year, usa, rus, chn", [
    (2000, (0.867, 10), (0.403, 6), (0.100, -7)),
    (2014, (0.901, 10), (0.264, 4), (0.084, -7)),
    (2022, (0.833, None), (0.206, None), (0.075, None)),
    (2025, (0.735, None), (0.170, None), (0.072, None)),
])
def test_polyarchy_and_polity2_as_verified(big3, year, usa, rus, chn):
    sides = {("CHN", "RUS"): (chn, rus), ("CHN", "USA"): (chn, usa), ("RUS", "USA"): (rus, usa)}
    for (a, b), (va, vb) in sides.items():
        r = row(big3, year, a, b)
        assert (r.v2x_polyarchy_a, r.v2x_polyarchy_b) == pytest.approx((va[0], vb[0]), abs=5e-4)
        assert r.polyarchy_absdiff == pytest.approx(abs(va[0] - vb[0]), abs=1e-3)
        for got, want in ((r.polity2_a, va[1]), (r.polity2_b, vb[1])):
            assert (pd.isna(got) if want is None else got == want)


def test_regime_similarity_rules(big3):
    r = row(big3, 2000, "RUS", "USA")  # polyarchy 0.403 / 0.867; polity2 6 / 10
    assert (r.joint_democracy, r.joint_democracy_polity2) == (0, 1)
    assert r.polity2_absdiff == 4
    r = row(big3, 2025, "RUS", "USA")  # Polity5 ends 2018: polity2 measures are unknown, not 0
    assert pd.isna(r.polity2_absdiff) and pd.isna(r.joint_democracy_polity2)
    assert r.joint_democracy == 0
    aeuds = {c: row(big3, 2025, *p)[f"aeuds_{s}"] for c, p, s in
             [("USA", ("CHN", "USA"), "b"), ("RUS", ("CHN", "RUS"), "b"), ("CHN", ("CHN", "RUS"), "a")]}
    assert aeuds == pytest.approx({"USA": 0.831, "RUS": -1.179, "CHN": -1.350}, abs=5e-4)
    cov = big3.coverage.set_index("column")
    assert cov.loc["polyarchy_absdiff", "last_year"] == 2025
    assert cov.loc["joint_democracy_polity2", "last_year"] == 2018


def test_joint_democracy_threshold_and_democratic_dyads(pstore):
    p = add_democracy(create_dyadyears(pstore, 2014, 2014, pairs=["USA-GBR", "USA-RUS"]), pstore, threshold=0.25)
    assert p.data.set_index("a").joint_democracy.to_dict() == {"GBR": 1, "RUS": 1}  # RUS 0.264 >= 0.25
    with pytest.raises(RequestError, match="threshold"):
        add_democracy(create_dyadyears(pstore, 2014, 2014, pairs=["USA-GBR"]), pstore, threshold=50)


def test_germany_1990_has_one_row(pstore):
    got = pstore.con.execute("SELECT count(*) FROM democracy WHERE code = 'DEU' AND year = 1990").fetchone()[0]
    assert got == 1
    n = pstore.con.execute("SELECT count(*), count(DISTINCT (year, code)) FROM democracy").fetchone()
    assert n == (17705, 17705)  # 17,706 file rows less GFR 1990


# ---------------------------------------------------------------------------------------------- IGOs


def test_joint_memberships_as_verified(big3, pstore):
    assert igo_years(pstore) == (1816, 2014)
    assert [row(big3, 2014, *p.split("-")).igo_joint for p in BIG3] == [55, 54, 55]
    assert [row(big3, y, "CHN", "RUS").igo_joint for y in (1990, 2000, 2010, 2014)] == [31, 50, 55, 55]
    # the dyadic count agrees with the member-level file, IGO by IGO
    assert len(shared_igos(pstore, "China", "Russia", 2014)) == 55
    assert len(shared_igos(pstore, "USA", "CHN", 2014)) == 54


def test_state_year_counts_agree_with_member_level(pstore):
    got = pstore.con.execute("""SELECT s.code, s.n_full, (SELECT count(*) FROM igo_members m WHERE m.year = s.year
                                AND m.code = s.code AND m.status = 1) AS members
                                FROM igo_state_years s WHERE s.year = 2014 AND s.code IN ('USA','RUS','CHN')""").df()
    got = got.set_index("code")
    assert got.n_full.to_dict() == {"USA": 89, "RUS": 88, "CHN": 80}
    assert (got.n_full == got.members).all()


def test_sco_from_1996_and_nothing_after_2014(big3):
    sco = {y: row(big3, y, "CHN", "RUS").igo_sco for y in range(1994, 2017)}
    assert [sco[y] for y in (1994, 1995)] == [0, 0]
    assert all(sco[y] == 1 for y in range(1996, 2015))
    assert pd.isna(sco[2015]) and pd.isna(sco[2016])
    assert row(big3, 2014, "CHN", "USA").igo_sco == 0
    assert row(big3, 2014, "RUS", "USA").igo_nato == 0
    assert row(big3, 2014, "CHN", "RUS").igo_csto == 0  # China is not in the CSTO
    later = big3.data[big3.data.year > 2014]
    assert later[["igo_joint", "igo_sco", "igo_nato", "igo_csto"]].isna().all().all()
    assert big3.data[big3.data.year <= 2014][["igo_joint", "igo_sco"]].notna().all().all()
    assert set(big3.coverage.set_index("column").loc[["igo_joint", "igo_sco"], "last_year"]) == {2014}


def test_igo_refusals(pstore):
    p = create_dyadyears(pstore, 2010, 2010, pairs=["CHN-RUS"])
    with pytest.raises(RequestError, match="BRICS is not coded"):
        add_igos(p, pstore, igos=("BRICS",))
    with pytest.raises(RequestError, match="2015 is not measured"):
        shared_igos(pstore, "CHN", "RUS", 2015)
    with pytest.raises(RequestError, match="already has"):
        add_igos(add_igos(p, pstore), pstore)


def test_states_cow_igo_does_not_list_stay_unknown(pstore):
    # 1990: COW IGO lists unified Yemen and Germany only, the panel also has YAR, YMD and the GDR
    d = add_igos(create_dyadyears(pstore, 1990, 1990), pstore).data
    gone = d[d.igo_joint.isna()]
    left = {"DDR", "YAR", "YMD"}
    assert set(gone.a.astype(str)) | set(gone.b.astype(str)) >= left
    assert (gone.a.astype(str).isin(left) | gone.b.astype(str).isin(left)).all()


# ---------------------------------------------------------------------------------------------- SIPRI


def test_russia_china_tiv_as_verified(big3, pstore):
    assert arms_years(pstore) == (1950, 2024)
    rc = {y: row(big3, y, "CHN", "RUS").tiv_b_to_a for y in range(2014, 2025)}
    assert [rc[y] for y in (2014, 2018, 2020, 2022, 2023, 2024)] == pytest.approx([560.5, 1656.05, 547.0, 498.5,
                                                                                   327.0, 30.0])
    assert sum(rc[y] for y in range(2015, 2020)) == pytest.approx(5408, abs=0.5)
    assert sum(rc[y] for y in range(2020, 2025)) == pytest.approx(1869, abs=0.5)
    share = {y: row(big3, y, "CHN", "RUS").tiv_share_of_a_imports_from_b for y in (2015, 2018, 2020, 2023)}
    assert share == pytest.approx({2015: 0.606, 2018: 0.825, 2020: 0.706, 2023: 0.758}, abs=5e-4)
    assert row(big3, 2018, "CHN", "RUS").tiv_a_to_b == pytest.approx(9.6)
    assert row(big3, 2012, "RUS", "USA").tiv_a_to_b == pytest.approx(17.4)
    usa_chn = {y: row(big3, y, "CHN", "USA").tiv_b_to_a for y in range(1995, 2025)}
    assert usa_chn[1995] == usa_chn[1996] == pytest.approx(1.8)
    assert all(v == 0 for y, v in usa_chn.items() if y > 1996)


def test_editions_are_not_mixed_within_a_year(pstore, big3):
    # the 2022 tables hold another figure for 2018; the series uses the register from 1995
    t = pstore.con.execute("SELECT year, tiv FROM arms_tiv_2022 WHERE supplier='RUS' AND recipient='CHN' "
                           "AND year IN (2018, 2019, 2020, 2021) ORDER BY year").df()
    assert t.tiv.tolist() == [1767, 1179, 632, 773]
    f = arms_flows(pstore)
    assert f.groupby("year").edition.nunique().max() == 1
    assert set(f[f.year < 1995].edition) == {"tables 2022"} and set(f[f.year >= 1995].edition) == {"register 2026"}
    # Soviet deliveries before 1992 count as RUS (COW 365 throughout)
    assert row(big3, 1955, "CHN", "RUS").tiv_b_to_a > 0
    assert row(big3, 1955, "CHN", "RUS").tiv_share_of_a_imports_from_b == pytest.approx(1.0)


def test_supplier_totals_read_every_row(pstore):
    def total(table, supplier, year):
        q = f"SELECT sum(tiv) FROM {table} WHERE supplier = ? AND year = ?"
        return pstore.con.execute(q, [supplier, year]).fetchone()[0]

    assert (round(total("arms_deliveries", "RUS", 2000)), total("arms_tiv_2022", "RUS", 2000)) == (4494, 4490)
    assert (round(total("arms_deliveries", "USA", 2021)), total("arms_tiv_2022", "USA", 2021)) == (10960, 10609)
    n = pstore.con.execute("SELECT count(*), min(year), max(year) FROM arms_deliveries").fetchone()
    assert n == (25024, 1995, 2024)


def test_non_state_parties_are_not_states_but_count_in_imports(pstore):
    hez = pstore.con.execute("SELECT DISTINCT recipient FROM arms_deliveries WHERE recipient_name LIKE 'Hezbollah%' "
                             "OR recipient_name LIKE 'Hamas%' OR recipient_name = 'NATO**'").fetchall()
    assert hez == [(None,)]
    congo = pstore.con.execute("SELECT DISTINCT recipient_name, recipient FROM arms_deliveries WHERE recipient_name "
                               "LIKE '%Congo' ORDER BY 1").fetchall()
    assert congo == [("Congo", "COG"), ("DR Congo", "COD")]


def test_arms_outside_years_missing_and_directed_panel_consistent(pstore, big3):
    for y in (1949, 2025):
        r = row(big3, y, "CHN", "RUS")
        assert pd.isna(r.tiv_a_to_b) and pd.isna(r.tiv_b_to_a) and pd.isna(r.tiv_share_of_a_imports_from_b)
    assert row(big3, 1960, "RUS", "USA").tiv_a_to_b == 0  # inside the years, no transfer is 0
    d = add_arms_transfers(create_dyadyears(pstore, 2018, 2018, directed=True, pairs=["CHN-RUS"]), pstore)
    rc = row(d, 2018, "RUS", "CHN")
    cr = row(d, 2018, "CHN", "RUS")
    assert rc.tiv_a_to_b == cr.tiv_b_to_a == pytest.approx(1656.05)
    assert rc.tiv_share_of_b_imports_from_a == cr.tiv_share_of_a_imports_from_b == pytest.approx(0.825, abs=5e-4)
    late = add_arms_transfers(create_dyadyears(pstore, 1990, 1996, pairs=["CHN-RUS"]), pstore, before_1995=False)
    assert late.data.set_index("year").tiv_b_to_a.isna().to_dict() == {y: y < 1995 for y in range(1990, 1997)}


def test_verbs_say_what_to_ingest(tmp_path, pstore):
    empty = Store.open(tmp_path / "e.duckdb")
    try:
        p = create_dyadyears(pstore, 2000, 2000, pairs=["CHN-RUS"])
        for verb, name in ((add_democracy, DEM), (add_igos, IGO), (add_arms_transfers, ARMS)):
            with pytest.raises(NotIngestedError, match=f"dyadic ingest {name}"):
                verb(p, empty)
    finally:
        empty.close()


# ---------------------------------------------------------------------------------------------- bad input


@pytest.fixture()
def lab(tmp_path, pstore):
    """Writable copies of the three sources and the registry, pointed at the module's store."""
    data = tmp_path / "data"
    for name in ("country_codes", DEM, IGO, ARMS):
        shutil.copytree(source_dir(name), data / name)
        for f in (data / name).rglob("*"):
            f.chmod(0o755 if f.is_dir() else 0o644)
    return Settings.resolve(data=data, store=pstore.path, cache=tmp_path / "cache"), data


def snapshot(st):
    return {t: st.checksum(t) for t in TABLES}


@pytest.mark.parametrize("source, file, match", [
    (DEM, "cw_democracy.rda", "cw_democracy.rda: cannot be read"),
    (IGO, "cow_igo_sy.rda", "cow_igo_sy.rda: cannot be read"),
    (ARMS, "trade_register.csv", r"trade_register.csv: line \d+ does not end with ';'"),
    (ARMS, "trademap_raw_tiv_tables_2022/TIV-Export-RUS-1950-2021.csv", "TIV-Export-RUS-1950-2021.csv: no 'Total'"),
])
def test_truncated_file_is_named_and_store_unchanged(lab, pstore, source, file, match):
    settings, data = lab
    before = snapshot(pstore)
    truncate(data / source / file)
    with pytest.raises(SourceFormatError, match=match):
        ingest(pstore, settings, [source])
    assert snapshot(pstore) == before


def test_bad_values_are_named(lab, pstore):
    settings, data = lab
    before = snapshot(pstore)
    reg = data / ARMS / "trade_register.csv"
    lines = reg.read_bytes().decode().split("\r\n")
    cells = lines[20].split(",")
    cells[15] = "lots"  # TIV delivery values of data row 9
    lines[20] = ",".join(cells)
    reg.write_bytes("\r\n".join(lines).encode())
    with pytest.raises(SourceFormatError, match=r"trade_register.csv: column 'tiv', data row 9: 'lots'"):
        ingest(pstore, settings, [ARMS])
    import pyreadr

    f = data / DEM / "cw_democracy.rda"
    df = next(iter(pyreadr.read_r(str(f)).values()))
    df.loc[99, "v2x_polyarchy"] = 1.5
    pyreadr.write_rdata(str(f), df, df_name="cw_democracy")
    with pytest.raises(SourceFormatError, match=r"cw_democracy.rda: column 'v2x_polyarchy', row 100: '1.5'"):
        ingest(pstore, settings, [DEM])
    assert snapshot(pstore) == before
