"""Power connectors and indicators on the staged real data: NMC, SIPRI, World Bank GDP; ratios and trends."""

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadr
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dyadic.errors import NotIngestedError, SourceFormatError
from dyadic.indicators.power import DYAD_COLUMNS, power_dyad_years, power_pair, ratio_trends, rolling_trend
from dyadic.sources.power import WorldBankGdp
from dyadic.store import Store, ingest

from conftest import staged_store, truncate

SOURCES = ["cow_nmc", "sipri_milex", "wb_gdp"]
FIXTURES = Path(__file__).parent / "fixtures" / "power"


@pytest.fixture(scope="module")
def pstore(tmp_path_factory):
    store = staged_store(tmp_path_factory, "power", SOURCES)
    yield store
    store.close()


@pytest.fixture(scope="module")
def all_dyads(pstore):
    return power_dyad_years(pstore)


def value(store, table, col, code, year):
    rows = store.con.execute(f"SELECT {col} FROM {table} WHERE code = ? AND year = ?", [code, year]).fetchall()
    assert len(rows) == 1, f"{table} {code} {year}: {rows}"
    return rows[0][0]


@pytest.mark.parametrize("code,cinc,milex,tpop", [("CHN", 0.2341, 218_639_000, 1_433_350),
                                                  ("RUS", 0.0382, 74_742_000, 145_580),
                                                  ("USA", 0.1236, 838_814_000, 344_775)])
def test_nmc_2022(pstore, code, cinc, milex, tpop):
    assert value(pstore, "capabilities", "cinc", code, 2022) == pytest.approx(cinc, abs=5e-5)
    assert value(pstore, "capabilities", "milex", code, 2022) == milex
    assert value(pstore, "capabilities", "tpop", code, 2022) == tpop


@pytest.mark.parametrize("code,const_bn,current_m,share", [("USA", 968.4, 997_309, 0.0342),
                                                           ("CHN", 317.6, 313_658, 0.0171),
                                                           ("RUS", 150.5, 148_967, 0.0705)])
def test_sipri_2024(pstore, code, const_bn, current_m, share):
    assert value(pstore, "milex", "constant_usd", code, 2024) / 1e9 == pytest.approx(const_bn, abs=0.05)
    assert value(pstore, "milex", "current_usd", code, 2024) / 1e6 == pytest.approx(current_m, abs=0.5)
    assert value(pstore, "milex", "share_gdp", code, 2024) == pytest.approx(share, abs=5e-5)
    assert value(pstore, "milex", "price_year", code, 2024) == 2023


def test_sipri_states_and_predecessors(pstore):
    # "China" is the PRC throughout (SIPRI lists Taiwan apart); the USSR speaks for RUS until 1991.
    assert value(pstore, "milex", "constant_usd", "TWN", 2024) < value(pstore, "milex", "constant_usd", "CHN", 2024)
    first_chn = pstore.con.execute("SELECT min(year) FROM milex WHERE code = 'CHN' AND constant_usd IS NOT NULL").fetchone()[0]
    assert first_chn == 1989
    assert value(pstore, "milex", "constant_usd", "RUS", 1990) > 3 * value(pstore, "milex", "constant_usd", "RUS", 1992)
    assert pstore.summaries["sipri_milex"].unmapped == {"European Union": 9}


def test_sipri_unconfirmed_zero_is_missing(pstore):
    # SIPRI's current-US$ sheet has 0 for Russia 1992 while constant US$ is positive: a gap, not zero spending.
    assert value(pstore, "milex", "current_usd", "RUS", 1992) is None
    assert value(pstore, "milex", "constant_usd", "RUS", 1992) > 0
    # Costa Rica has had no armed forces since 1948: its zeros agree across sheets and stay.
    assert value(pstore, "milex", "constant_usd", "CRI", 2024) == 0
    empty = pstore.con.execute("""SELECT count(*) FROM milex WHERE constant_usd IS NULL AND current_usd IS NULL
                                  AND share_gdp IS NULL""").fetchone()[0]
    assert empty == 0


def test_wb_gdp_2023_and_aggregates(pstore):
    for code, v in (("CHN", 1.7795e13), ("RUS", 2.0214e12), ("USA", 2.7361e13)):
        assert value(pstore, "gdp", "gdp_usd", code, 2023) == pytest.approx(v, rel=5e-5)
    un = pstore.summaries["wb_gdp"].unmapped
    assert un["WLD"] == 64 and "EUU" in un
    n = pstore.con.execute("SELECT count(*) FROM gdp WHERE code IN ('WLD', 'EUU', 'HIC')").fetchone()[0]
    assert n == 0


def test_power_dyad_years(pstore, all_dyads):
    df = all_dyads
    assert list(df.columns) == DYAD_COLUMNS
    assert (df.a < df.b).all() and not df.duplicated(["year", "a", "b"]).any()
    r = df[(df.year == 2022) & (df.a == "CHN") & (df.b == "RUS")].iloc[0]
    assert r.cinc_ratio == pytest.approx(r.cinc_a / r.cinc_b)
    assert r.cinc_a == pytest.approx(0.2341, abs=5e-5) and r.cinc_b == pytest.approx(0.0382, abs=5e-5)
    assert r.milex_ratio == pytest.approx(r.milex_a / r.milex_b)
    # Every dyad of a year's states: n(n-1)/2 rows per year.
    n2020 = pstore.con.execute("""SELECT count(*) FROM (SELECT code FROM capabilities WHERE year = 2020
                                  AND cinc IS NOT NULL UNION SELECT code FROM gdp WHERE year = 2020
                                  UNION SELECT code FROM milex WHERE year = 2020 AND constant_usd IS NOT NULL)""").fetchone()[0]
    assert (df.year == 2020).sum() == n2020 * (n2020 - 1) // 2


def test_missing_outside_each_source(pstore):
    p = power_pair(pstore, "CHN", "RUS", 2021, 2024).set_index("year")
    assert p.loc[2022, "cinc_a"] > 0 and pd.isna(p.loc[2023, "cinc_ratio"])  # NMC ends 2022
    assert p.loc[2023, "gdp_ratio"] > 0 and pd.isna(p.loc[2024, "gdp_ratio"])  # World Bank ends 2023
    assert p.loc[2024, "milex_ratio"] == pytest.approx(317_561 / 150_534, rel=1e-4)
    assert list(p.index) == [2021, 2022, 2023, 2024]


def test_orientation(pstore):
    ab = power_pair(pstore, "CHN", "RUS", 2000, 2022)
    ba = power_pair(pstore, "RUS", "CHN", 2000, 2022)
    for c in ("cinc", "gdp", "milex"):
        assert np.allclose(ab[f"{c}_ratio"], 1 / ba[f"{c}_ratio"], equal_nan=True)
        assert np.allclose(ab[f"{c}_a"], ba[f"{c}_b"], equal_nan=True)
        assert np.allclose(ab[f"{c}_ratio_trend"].fillna(0), (1 / (1 + ba[f"{c}_ratio_trend"]) - 1).fillna(0))
    assert np.allclose(ab.milex_share_gdp_a, ba.milex_share_gdp_b, equal_nan=True)


def test_capability_gap_widens(pstore):
    t = ratio_trends(power_pair(pstore, "CHN", "RUS", 1995, 2024)).set_index("measure")
    assert t.loc["cinc", "last_year"] == 2022 and t.loc["milex", "last_year"] == 2024
    assert t.loc["cinc", "ratio_last"] > t.loc["cinc", "ratio_first"]
    assert t.loc["cinc", "gap"] == "widening"


@hsettings(max_examples=40, deadline=None)
@given(r0=st.floats(0.01, 100), g=st.floats(-0.3, 0.5), n=st.integers(3, 15), w=st.integers(2, 6))
def test_rolling_trend_recovers_constant_growth(r0, g, n, w):
    s = pd.Series(r0 * (1 + g) ** np.arange(n))
    tr = rolling_trend(s, w)
    assert tr.iloc[: w - 1].isna().all()
    if n >= w:
        assert np.allclose(tr.iloc[w - 1:], g, atol=1e-9)


def test_rolling_trend_needs_full_window():
    s = pd.Series([1.0, 2.0, np.nan, 4.0, 8.0, 16.0])
    assert rolling_trend(s, 3).isna().tolist() == [True, True, True, True, True, False]


def test_not_ingested(tmp_path):
    with Store.open(tmp_path / "empty.duckdb") as empty:
        with pytest.raises(NotIngestedError, match="cow_nmc"):
            power_dyad_years(empty)


# --------------------------------------------------------------------------- file layouts and bad input

def test_world_bank_api_csv_layout(pstore):
    reg = pstore.registry()
    res = WorldBankGdp().read({"gdp.csv": FIXTURES / "API_NY.GDP.MKTP.CD_DS2_en_csv_v2.csv"}, reg)
    g = res.tables["gdp"].set_index(["code", "year"]).gdp_usd
    assert g[("CHN", 2023)] == pytest.approx(1.0e11 * 1.09 ** 63, rel=1e-9)  # the fixture's own numbers
    assert ("RUS", 1988) not in g.index and g[("RUS", 1989)] == 5.0e11  # blank cells: missing, not 0
    assert g[("XKX", 2008)] == 5.5e9 and ("XKX", 2007) not in g.index
    assert res.unmapped == {"WLD": 64}


@pytest.fixture()
def lab(source_lab):
    return source_lab




def sipri_bad_cell(path):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb["Share of GDP"]
    for row in ws.iter_rows(min_row=8):
        if row[0].value == "China":
            row[-1].value = "1.7%"
    wb.save(path)


def nmc_drop(path):
    df = next(iter(pyreadr.read_r(str(path)).values()))
    pyreadr.write_rdata(str(path), df.drop(columns="cinc"), df_name="cow_nmc")


def gdp_edit(fn):
    def edit(path):
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(fn(lines)))
    return edit


CASES = {
    "nmc_truncated": ("cow_nmc", "cow_nmc.rda", lambda p: truncate(p, 0.5), None),
    "nmc_missing_column": ("cow_nmc", "cow_nmc.rda", nmc_drop, "cinc"),
    "sipri_truncated": ("sipri_milex", "SIPRI-Milex-data-1949-2024_2.xlsx", lambda p: truncate(p, 0.7), None),
    "sipri_bad_value": ("sipri_milex", "SIPRI-Milex-data-1949-2024_2.xlsx", sipri_bad_cell, "1.7%"),
    "gdp_truncated": ("wb_gdp", "gdp.csv", gdp_edit(lambda ls: ls[:500] + [ls[500][:12]]), "line 501"),
    "gdp_bad_value": ("wb_gdp", "gdp.csv", gdp_edit(lambda ls: ls[:9] + [ls[9].rstrip() + "e\n"] + ls[10:]),
                      "line 10"),
    "gdp_missing_column": ("wb_gdp", "gdp.csv", gdp_edit(lambda ls: [ls[0].replace("Value", "Val")] + ls[1:]),
                           "Value"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_leaves_store_unchanged(lab, case):
    source, fname, damage, needle = CASES[case]
    settings, store, data = lab(source)
    tables = ["capabilities", "milex", "gdp", "sources", "states"]
    before = {t: store.checksum(t) for t in tables}
    damage(data / source / fname)
    with pytest.raises(SourceFormatError) as exc:
        ingest(store, settings, [source])
    assert fname in str(exc.value)
    if needle:
        assert needle in str(exc.value)
    assert {t: store.checksum(t) for t in tables} == before


def test_cli_power(pstore):
    import io

    from typer.testing import CliRunner

    from dyadic.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["power", "China", "Russia", "--from", "2020", "--to", "2024", "-f", "csv",
                            "--store", str(pstore.path)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout)).set_index("year")
    assert df.loc[2022, "cinc_ratio"] == pytest.approx(0.2341 / 0.0382, rel=2e-3)
    assert pd.isna(df.loc[2023, "cinc_ratio"]) and df.loc[2020, "milex_ratio_trend"] == df.loc[2020, "milex_ratio_trend"]
    r = runner.invoke(app, ["power", "CHN", "RUS", "--summary", "--from", "1995", "-f", "csv",
                            "--store", str(pstore.path)])
    assert r.exit_code == 0, r.output
    summary = pd.read_csv(io.StringIO(r.stdout)).set_index("measure")
    assert summary.loc["cinc", "gap"] == "widening" and summary.loc["cinc", "last_year"] == 2022
