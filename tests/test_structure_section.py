"""The brief's trade-dependence and power-ratio paragraph: its numbers are the indicator functions' numbers,
in both orientations, and it says what it cannot measure."""

import pytest
from conftest import UNGA_SOURCES, staged_store

from dyadic.indicators.power import power_pair, ratio_trends
from dyadic.indicators.trade import trade_pair
from dyadic.report.structure_section import START, structure_section
from dyadic.store import ingest

NAMES = {"CHN": "China", "RUS": "Russia"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    st = staged_store(tmp_path_factory, "structure",
                      [*UNGA_SOURCES, "cow_trade", "wb_gdp", "imf_dots_multiatsm", "cow_nmc", "sipri_milex"])
    yield st
    st.close()


def test_dependence_both_ways(store):
    findings, charts, tables, missing = structure_section(store, "CHN", "RUS", NAMES)
    t = trade_pair(store, "CHN", "RUS", start=START).dropna(subset=["dep_a"])
    last = t.iloc[-1]
    assert int(last.year) == 2014  # COW Trade 4.0 ends there; later years are not filled in
    text = findings[0]
    assert f"{100 * last.dep_b:.1f}%" in text and f"{100 * last.dep_a:.1f}%" in text
    assert "dependence of Russia" in text  # China's share of Russia's trade is the larger one
    assert any("after 2014" in m for m in missing)
    assert len(charts) == 2 and len(tables) == 2


def test_orientation_swaps_ratios(store):
    f_ab = structure_section(store, "CHN", "RUS", NAMES)[0]
    f_ba = structure_section(store, "RUS", "CHN", NAMES)[0]
    tr = ratio_trends(power_pair(store, "CHN", "RUS", start=START)).set_index("measure")
    assert f"{tr.loc['cinc', 'ratio_last']:.2f} ({tr.loc['cinc', 'last_year']})" in f_ab[-1]
    assert f"{1 / tr.loc['cinc', 'ratio_last']:.2f} ({tr.loc['cinc', 'last_year']})" in f_ba[-1]
    assert "Ratios China / Russia" in f_ab[-1] and "Ratios Russia / China" in f_ba[-1]


def test_without_sources_says_what_to_ingest(tmp_path, settings):
    from dyadic.config import Settings
    from dyadic.store import Store

    s = Settings(settings.data_dir, tmp_path / "c", tmp_path / "s.duckdb")
    with Store.open(s.store_path) as st:
        ingest(st, s, ["country_codes"])
        findings, charts, tables, missing = structure_section(st, "CHN", "RUS", NAMES)
    assert findings == [] and charts == [] and tables == []
    assert any("dyadic ingest cow_trade" in m for m in missing) and any("cow_nmc" in m for m in missing)
