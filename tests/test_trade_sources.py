"""Trade connectors on the staged real data: published figures, mirror views kept apart, bad files."""


import pandas as pd
import pyreadr
import pytest

from dyadic.errors import SourceFormatError
from dyadic.store import ingest

from conftest import staged_store, truncate

TRADE_SOURCES = ["cow_trade", "imf_dots_multiatsm", "us_census_usa_china_monthly"]


@pytest.fixture(scope="module")
def tstore(tmp_path_factory):
    st = staged_store(tmp_path_factory, "trade", TRADE_SOURCES)
    yield st
    st.close()


def flow(st, source, year, reporter, partner):
    q = """SELECT exports_usd, imports_usd, view FROM trade
           WHERE source = ? AND year = ? AND reporter = ? AND partner = ?"""
    rows = st.con.execute(q, [source, year, reporter, partner]).fetchall()
    assert len(rows) == 1, f"{source} {year} {reporter}->{partner}: {rows}"
    return rows[0]


@pytest.mark.parametrize("year,rus_imp,chn_imp", [(2012, 51_743, 45_027), (2013, 53_348, 40_668),
                                                  (2014, 51_135, 42_807)])
def test_cow_china_russia(tstore, year, rus_imp, chn_imp):
    rus = flow(tstore, "cow_trade", year, "RUS", "CHN")
    chn = flow(tstore, "cow_trade", year, "CHN", "RUS")
    assert rus[1] == pytest.approx(rus_imp * 1e6) and chn[1] == pytest.approx(chn_imp * 1e6)
    # One COW record yields both directed rows: each side's exports are the other's imports.
    assert rus[0] == chn[1] and chn[0] == rus[1]
    assert rus[2] == chn[2] == "harmonised"


def test_cow_usa_2014(tstore):
    assert flow(tstore, "cow_trade", 2014, "USA", "CHN")[1] == pytest.approx(472_525e6)
    assert flow(tstore, "cow_trade", 2014, "USA", "RUS")[1] == pytest.approx(23_692e6)


def test_cow_ends_2014(tstore):
    lo, hi = tstore.con.execute("SELECT min(year), max(year) FROM trade WHERE source = 'cow_trade'").fetchone()
    assert (lo, hi) == (1870, 2014)
    n = tstore.con.execute("SELECT count(*) FROM trade_national WHERE source = 'cow_trade' AND year > 2014").fetchone()
    assert n[0] == 0


def test_cow_missing_flow_is_null_not_zero(tstore):
    # SOURCE.md: flow1 has 22,937 missing values and flow2 27,896; each is one NULL import in the directed rows.
    n = tstore.con.execute("SELECT count(*) FROM trade WHERE source = 'cow_trade' AND imports_usd IS NULL").fetchone()[0]
    assert n == 22_937 + 27_896
    zero = tstore.con.execute("SELECT count(*) FROM trade WHERE source = 'cow_trade' AND year = 2015").fetchone()[0]
    assert zero == 0
    assert tstore.summaries["cow_trade"].unmapped == {}


def test_west_germany_kept_as_deu(tstore):
    # COW codes the Federal Republic 260; the registry makes it DEU. This packaging has 260 only for
    # 1955-1959 (and no West German dyads 1960-1989 at all): those years stay missing.
    years = tstore.con.execute("""SELECT list(year ORDER BY year) FROM trade WHERE source = 'cow_trade'
                                  AND reporter = 'DEU' AND partner = 'USA' AND year BETWEEN 1950 AND 1995""").fetchone()[0]
    assert years == [1955, 1956, 1957, 1958, 1959, *range(1990, 1996)]


@pytest.mark.parametrize("year,chn_x,chn_m,rus_x,rus_m", [(2014, 53_686, 41_558, 37_494, 50_856),
                                                          (2020, 50_608, 57_092, 49_583, 54_908)])
def test_imf_dots_both_views(tstore, year, chn_x, chn_m, rus_x, rus_m):
    cx, cm, cv = flow(tstore, "imf_dots_multiatsm", year, "CHN", "RUS")
    rx, rm, rv = flow(tstore, "imf_dots_multiatsm", year, "RUS", "CHN")
    assert cv == rv == "reported"
    for got, want in ((cx, chn_x), (cm, chn_m), (rx, rus_x), (rm, rus_m)):
        assert got / 1e6 == pytest.approx(want, abs=0.5)


def test_imf_dots_2020_china_reports(tstore):
    cx, cm, _ = flow(tstore, "imf_dots_multiatsm", 2020, "CHN", "RUS")
    assert (cx + cm) / 1e9 == pytest.approx(107.7, abs=0.05)
    basis = tstore.con.execute("""SELECT DISTINCT exports_basis, imports_basis FROM trade
                                  WHERE source = 'imf_dots_multiatsm' AND exports_usd IS NOT NULL
                                  AND imports_usd IS NOT NULL""").fetchall()
    assert basis == [("FOB", "CIF")]


def test_imf_dots_no_usa_no_after_2020(tstore):
    q = """SELECT count(*) FILTER (WHERE 'USA' IN (reporter, partner)), max(year) FROM trade
           WHERE source = 'imf_dots_multiatsm'"""
    assert tstore.con.execute(q).fetchone() == (0, 2020)


@pytest.mark.parametrize("year,x,m", [(2015, 115_873.5, 483_201.7), (2018, 120_281.3, 538_514.3),
                                      (2019, 106_481.3, 449_110.8)])
def test_census_annual_sums(tstore, year, x, m):
    q = """SELECT sum(exports_usd), sum(imports_usd), count(*) FROM trade_monthly
           WHERE source = 'us_census_usa_china_monthly' AND reporter = 'USA' AND partner = 'CHN'
           AND year(month) = ?"""
    sx, sm, n = tstore.con.execute(q, [year]).fetchone()
    assert n == 12
    assert sx / 1e6 == pytest.approx(x, abs=0.05) and sm / 1e6 == pytest.approx(m, abs=0.05)


# --------------------------------------------------------------------------- bad input

SNAP = ["trade", "trade_national", "trade_monthly", "sources", "states"]


@pytest.fixture()
def lab(source_lab):
    return source_lab




def edit_census(path, fn):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(fn(lines)))


def edit_dots(path, fn):
    df = pd.read_excel(path, sheet_name="TradeData")
    with pd.ExcelWriter(path) as w:
        fn(df).to_excel(w, sheet_name="TradeData", index=False)


def edit_rda(path, fn):
    df = next(iter(pyreadr.read_r(str(path)).values()))
    pyreadr.write_rdata(str(path), fn(df), df_name=path.stem)


def set_cell(df, col, value):
    df = df.astype({col: object})
    df.loc[3, col] = value
    return df


CASES = {
    "cow_truncated": ("cow_trade", "cow_trade_ndy.rda", lambda p: truncate(p, 0.4), None),
    "cow_missing_column": ("cow_trade", "cow_trade_sy.rda", lambda p: edit_rda(p, lambda d: d.drop(columns="exports")),
                           "exports"),
    "dots_truncated": ("imf_dots_multiatsm", "Dataset_CM_2023.xlsx", lambda p: truncate(p, 0.6), None),
    "dots_missing_column": ("imf_dots_multiatsm", "Dataset_CM_2023.xlsx",
                            lambda p: edit_dots(p, lambda d: d.drop(columns="Attribute")), "Attribute"),
    "dots_bad_value": ("imf_dots_multiatsm", "Dataset_CM_2023.xlsx",
                       lambda p: edit_dots(p, lambda d: set_cell(d, 2019, "12O4")), "12O4"),
    "census_truncated": ("us_census_usa_china_monthly", "usa-china-trade-data.csv",
                         lambda p: edit_census(p, lambda ls: ls[:100] + [ls[100][:16]]), "truncated"),
    "census_missing_column": ("us_census_usa_china_monthly", "usa-china-trade-data.csv",
                              lambda p: edit_census(p, lambda ls: [ls[0].replace("Imports", "Imp")] + ls[1:]),
                              "Imports"),
    "census_bad_value": ("us_census_usa_china_monthly", "usa-china-trade-data.csv",
                         lambda p: edit_census(p, lambda ls: ls[:7] + [ls[7].replace(";", ";x", 1)] + ls[8:]),
                         "line 8"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_leaves_store_unchanged(lab, case):
    source, fname, damage, needle = CASES[case]
    settings, st, data = lab(source)
    before = {t: st.checksum(t) for t in SNAP}
    damage(data / source / fname)
    with pytest.raises(SourceFormatError) as exc:
        ingest(st, settings, [source])
    assert fname in str(exc.value)
    if needle:
        assert needle in str(exc.value)
    assert {t: st.checksum(t) for t in SNAP} == before


def test_unmapped_codes_reported(lab):
    settings, st, data = lab("cow_trade")

    def add_unknown(df):
        extra = df.iloc[[0, 1]].copy()
        extra["ccode2"] = 999.0
        return pd.concat([df, extra], ignore_index=True)

    edit_rda(data / "cow_trade" / "cow_trade_ndy.rda", add_unknown)
    [s] = ingest(st, settings, ["cow_trade"])
    assert s.unmapped == {"999": 2}
    recorded = st.sources().set_index("name").loc["cow_trade", "unmapped"]
    assert '"999": 2' in recorded
    n = st.con.execute("SELECT count(*) FROM trade WHERE 'USA' IN (reporter, partner) AND year = 1920 "
                       "AND source = 'cow_trade' AND partner IS NULL").fetchone()[0]
    assert n == 0
