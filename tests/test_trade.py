"""Trade indicators on the staged real data: levels, dependence, mirror views, coverage, orientation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from dyadic.errors import NotIngestedError, RequestError
from dyadic.indicators.trade import (DYAD_COLUMNS, mirror_pair, monthly_pair, trade_dyad_years, trade_pair)
from dyadic.store import Store

from conftest import staged_store

SOURCES = ["cow_trade", "imf_dots_multiatsm", "us_census_usa_china_monthly", "wb_gdp"]


@pytest.fixture(scope="module")
def tstore(tmp_path_factory):
    store = staged_store(tmp_path_factory, "trade_ind", SOURCES)
    yield store
    store.close()


@pytest.fixture(scope="module")
def all_dyads(tstore):
    return trade_dyad_years(tstore)


def one(df, year):
    hit = df[df.year == year]
    assert len(hit) == 1
    return hit.iloc[0]


def test_cow_2014_russia_china(tstore):
    r = one(trade_pair(tstore, "RUS", "CHN", 2014, 2014), 2014)
    assert r.imports_a == pytest.approx(51_135e6) and r.imports_b == pytest.approx(42_807e6)
    assert r.trade == pytest.approx(93_942e6)
    nat = tstore.con.execute("""SELECT code, exports_usd + imports_usd FROM trade_national
                                WHERE source = 'cow_trade' AND year = 2014 AND code IN ('CHN', 'RUS')""").fetchall()
    nat = dict(nat)
    assert r.dep_a == pytest.approx(93_942e6 / nat["RUS"]) and r.dep_b == pytest.approx(93_942e6 / nat["CHN"])
    # The asymmetry the paper describes: Russia depends on China far more than China on Russia.
    assert r.dep_a > 5 * r.dep_b and r.dep_asym == pytest.approx(r.dep_a - r.dep_b)
    gdp = tstore.con.execute("SELECT gdp_usd FROM gdp WHERE code = 'RUS' AND year = 2014").fetchone()[0]
    assert r.trade_gdp_a == pytest.approx(93_942e6 / gdp)
    assert r.growth == pytest.approx(93_942 / 94_016 - 1)


def test_outside_coverage_is_missing_not_zero(tstore, all_dyads):
    df = trade_pair(tstore, "CHN", "RUS", 2013, 2016)
    assert list(df.year) == [2013, 2014, 2015, 2016]
    assert df.loc[df.year >= 2015, DYAD_COLUMNS[3:]].isna().all().all()
    assert df.loc[df.year <= 2014, "trade"].notna().all()
    assert len(trade_dyad_years(tstore, 2015, 2024)) == 0
    assert all_dyads.year.max() == 2014
    # The first year after a gap has no growth (never growth from an implied zero).
    first = trade_pair(tstore, "CHN", "RUS")
    first_year = first.loc[first.trade.notna(), "year"].min()
    assert pd.isna(one(first, first_year).growth)


def test_dyad_years_shape(tstore, all_dyads):
    df = all_dyads
    assert list(df.columns) == DYAD_COLUMNS
    assert (df.a < df.b).all()
    assert not df.duplicated(["year", "a", "b"]).any()
    raw = tstore.con.execute("SELECT count(*) FROM trade WHERE source = 'cow_trade' AND reporter < partner").fetchone()[0]
    assert len(df) == raw
    chn_rus = df[(df.year == 2014) & (df.a == "CHN") & (df.b == "RUS")].iloc[0]
    pair = one(trade_pair(tstore, "CHN", "RUS", 2014, 2014), 2014)
    for c in DYAD_COLUMNS[3:]:
        assert chn_rus[c] == pytest.approx(pair[c])


def test_window_does_not_change_values(tstore, all_dyads):
    win = trade_dyad_years(tstore, 2000, 2002)
    assert set(win.year) == {2000, 2001, 2002}
    full = all_dyads[all_dyads.year.between(2000, 2002)]
    m = win.merge(full, on=["year", "a", "b"], suffixes=("", "_full"))
    assert len(m) == len(win) == len(full)
    # Growth of the first year uses the year before the window.
    assert np.allclose(m.growth.fillna(-9), m.growth_full.fillna(-9))


PAIRS = [("CHN", "RUS"), ("USA", "CHN"), ("RUS", "USA"), ("FRA", "DEU"), ("IND", "PAK"), ("BRA", "ARG")]


@hsettings(max_examples=12, deadline=None)
@given(pair=st.sampled_from(PAIRS), year=st.integers(1950, 2014))
def test_orientation(tstore, pair, year):
    a, b = pair
    ab = one(trade_pair(tstore, a, b, year, year), year)
    ba = one(trade_pair(tstore, b, a, year, year), year)
    same = lambda x, y: (pd.isna(x) and pd.isna(y)) or x == pytest.approx(y)
    for x, y in [("imports_a", "imports_b"), ("dep_a", "dep_b"), ("trade_gdp_a", "trade_gdp_b"),
                 ("total_trade_a", "total_trade_b")]:
        assert same(ab[x], ba[y]) and same(ab[y], ba[x])
    assert same(ab.dep_asym, -ba.dep_asym) and same(ab.trade, ba.trade)


def test_imf_dots_2020_mirror(tstore):
    m = mirror_pair(tstore, "CHN", "RUS", 2020, 2020)
    assert len(m) == 2
    chn_x = m[(m.exporter == "CHN")].iloc[0]
    rus_x = m[(m.exporter == "RUS")].iloc[0]
    assert chn_x.exporter_reports / 1e6 == pytest.approx(50_608, abs=1)
    assert chn_x.importer_reports / 1e6 == pytest.approx(54_908, abs=1)
    assert rus_x.importer_reports / 1e6 == pytest.approx(57_092, abs=1)
    # As China reports it (its exports plus its imports): about US$107.7 bn.
    assert (chn_x.exporter_reports + rus_x.importer_reports) / 1e9 == pytest.approx(107.7, abs=0.05)
    assert set(m.used) == {"importer"}
    r = one(trade_pair(tstore, "CHN", "RUS", 2020, 2020, source="imf_dots_multiatsm"), 2020)
    assert r.trade == pytest.approx(chn_x.importer_reports + rus_x.importer_reports)
    assert pd.isna(r.dep_a) and pd.isna(r.dep_b)  # the extract has no world totals


def test_imf_and_cow_agree_roughly_2014(tstore):
    cow = one(trade_pair(tstore, "CHN", "RUS", 2014, 2014), 2014)
    imf = one(trade_pair(tstore, "CHN", "RUS", 2014, 2014, source="imf_dots_multiatsm"), 2014)
    assert imf.trade == pytest.approx(cow.trade, rel=0.02)


def test_monthly_orientation(tstore):
    m = monthly_pair(tstore, "CHN", "USA", 2019, 2019)
    assert len(m) == 12 and set(m.reporter) == {"USA"}
    assert m.exports_a.sum() / 1e6 == pytest.approx(449_110.8, abs=0.05)
    u = monthly_pair(tstore, "USA", "CHN", 2019, 2019)
    assert u.exports_a.sum() / 1e6 == pytest.approx(106_481.3, abs=0.05)
    assert len(monthly_pair(tstore, "CHN", "RUS")) == 0


def test_bad_requests(tstore, tmp_path):
    with pytest.raises(RequestError):
        trade_dyad_years(tstore, 2010, 2000)
    with pytest.raises(RequestError):
        trade_pair(tstore, "CHN", "RUS", source="comtrade")
    with Store.open(tmp_path / "empty.duckdb") as empty:
        with pytest.raises(NotIngestedError, match="dyadic ingest cow_trade wb_gdp"):
            trade_dyad_years(empty)


def test_cli_trade(tstore):
    import io

    from typer.testing import CliRunner

    from dyadic.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["trade", "Russia", "China", "--from", "2013", "--to", "2015", "-f", "csv",
                            "--store", str(tstore.path)])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    assert list(df.year) == [2013, 2014, 2015]
    assert df.loc[df.year == 2014, "imports_a"].item() == 51_135e6
    assert df.loc[df.year == 2015, "trade"].isna().all()
    r = runner.invoke(app, ["trade", "CHN", "RUS", "--view", "mirror", "--source", "imf", "--from", "2020",
                            "--store", str(tstore.path)])
    assert r.exit_code == 0 and "50,608" in r.stdout and "57,092" in r.stdout
    r = runner.invoke(app, ["trade", "CHN", "RUS", "--source", "wto", "--store", str(tstore.path)])
    assert r.exit_code == 2 and "--source" in r.output
