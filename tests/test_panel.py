"""The dyad-year panel builder: frame size from the COW state system, honest coverage, exports, CLI."""


import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st_
from typer.testing import CliRunner

from dyadic.config import Settings
from dyadic.errors import NotIngestedError, RequestError, UnknownStateError
from dyadic.indicators.panel import add_alliances, add_exercises, add_unga, create_dyadyears
from dyadic.store import Store, ingest

from conftest import UNGA_SOURCES, staged_store

EXTRA = ["alliances_atop_cow", "mme_military_exercises", "curated_facts"]


@pytest.fixture(scope="module")
def pstore(tmp_path_factory):
    """A store with the UN vote sources plus the alliance, exercise and facts sources."""
    st = staged_store(tmp_path_factory, "panel", [*UNGA_SOURCES, *EXTRA])
    yield st
    st.close()


@pytest.fixture(scope="module")
def full(pstore):
    p = create_dyadyears(pstore, 1946, 2014)
    p = add_unga(p, pstore)
    p = add_alliances(p, pstore)
    return add_exercises(p, pstore)


def implied_rows(reg, start, end, directed=False):
    n = np.array([len(reg.cow_members(y)) for y in range(start, end + 1)])
    return int((n * (n - 1)).sum() if directed else (n * (n - 1) // 2).sum())


def test_all_dyad_panel_row_count_is_implied_by_the_state_system(pstore, full):
    reg = pstore.registry()
    assert len(full) == implied_rows(reg, 1946, 2014)
    d = full.data
    assert not d.duplicated(["year", "a", "b"]).any()
    assert (d.a.astype(str) < d.b.astype(str)).all()
    y2014 = set(reg.cow_members(2014))
    assert set(d[d.year == 2014].a.astype(str)) | set(d[d.year == 2014].b.astype(str)) == y2014


def test_coverage_record_is_right_for_every_column(pstore, full):
    d, cov = full.data, full.coverage.set_index("column")
    assert list(cov.index) == list(d.columns)
    for col in d.columns:
        has = d[col].notna()
        if d[col].dtype == object:
            has &= d[col].astype(object) != ""
        yrs = d.year[has]
        assert (cov.loc[col, "first_year"], cov.loc[col, "last_year"]) == (yrs.min(), yrs.max()), col
    atop_last = pstore.con.execute("SELECT max(year) FROM alliances WHERE dataset='atop'").fetchone()[0]
    cow_last = pstore.con.execute("SELECT max(year) FROM alliances WHERE dataset='cow'").fetchone()[0]
    expect = {"atop_defense": (1946, min(2014, atop_last)), "cow_entente": (1946, min(2014, cow_last)),
              "mme_exercises": (1980, 2010), "unga_agree": (1946, 2014), "year": (1946, 2014)}
    for col, years in expect.items():
        assert (cov.loc[col, "first_year"], cov.loc[col, "last_year"]) == years, col
    # inside a dataset's years every dyad-year has a value (0 = none reported); outside, none has
    for col, (lo, hi) in {"cow_defense": (1816, cow_last), "mme_exercises": (1980, 2010)}.items():
        inside = d.year.between(lo, hi)
        assert d.loc[inside, col].notna().all() and d.loc[~inside, col].isna().all()
    versions = pstore.sources().set_index("name").version
    assert versions["alliances_atop_cow"] in cov.loc["atop_defense", "version"]
    assert versions["unvotes_voeten_2019"] in cov.loc["unga_agree", "version"]
    assert "Leeds" in cov.loc["atop_nonagg", "citation"]


def test_atop_after_2018_is_missing_in_the_panel(pstore):
    p = add_alliances(create_dyadyears(pstore, 2015, 2024), pstore)
    d = p.data
    atop = [c for c in d.columns if c.startswith("atop_")]
    assert d.loc[d.year >= 2019, atop].isna().all().all()
    assert d.loc[d.year <= 2018, atop].notna().all().all()
    cr = d[(d.a == "CHN") & (d.b == "RUS") & (d.year == 2018)].iloc[0]
    assert (cr.atop_defense, cr.atop_nonagg, cr.atop_consult) == (0, 1, 1)
    assert p.coverage.set_index("column").loc["atop_defense", "last_year"] == 2018


def test_years_after_cow_v2016_extend_living_states_and_say_so(pstore):
    p = create_dyadyears(pstore, 2016, 2024)
    per_year = p.data.groupby("year").size()
    assert per_year.nunique() == 1 and per_year.index.tolist() == list(range(2016, 2025))
    assert "extended" in p.coverage.set_index("column").loc["year", "note"]
    assert "extended" not in create_dyadyears(pstore, 2000, 2016).coverage.note.iloc[0]


def test_directed_pairs_panel(pstore):
    p = create_dyadyears(pstore, 1990, 2024, directed=True, pairs=["CHN-RUS", "China-USA", ("RUS", "USA")])
    p = add_alliances(add_unga(p, pstore), pstore)
    d = p.data
    assert len(d) == 6 * 35
    one = d.set_index(["year", "a", "b"])
    for y in (1995, 2010, 2024):
        assert one.loc[(y, "CHN", "RUS"), "unga_agree"] == one.loc[(y, "RUS", "CHN"), "unga_agree"]
    raw = pstore.con.execute("SELECT a, b, year, defense FROM alliances WHERE dataset='atop' AND year=2010 "
                             "AND a IN ('CHN','RUS','USA') AND b IN ('CHN','RUS','USA')").df()
    for r in raw.itertuples():
        assert one.loc[(2010, r.a, r.b), "atop_defense"] == int(r.defense)


@hsettings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st_.integers(1816, 2024), span=st_.integers(0, 6), directed=st_.booleans())
def test_row_count_property(pstore, start, span, directed):
    end = min(2024, start + span)
    p = create_dyadyears(pstore, start, end, directed=directed)
    reg = pstore.registry()
    if end <= 2016:
        assert len(p) == implied_rows(reg, start, end, directed)
    assert p.data.year.between(start, end).all()


def test_exports_round_trip(pstore, full, tmp_path):
    small = create_dyadyears(pstore, 2000, 2010, pairs=["CHN-RUS", "CHN-USA"])
    small = add_exercises(add_alliances(add_unga(small, pstore), pstore), pstore)
    for suffix in (".parquet", ".csv", ".dta"):
        path = small.write(tmp_path / f"p{suffix}")
        back = {".parquet": pd.read_parquet, ".csv": pd.read_csv, ".dta": pd.read_stata}[suffix](path)
        assert back.shape == small.data.shape
        assert back.unga_agree.round(6).tolist() == small.data.unga_agree.round(6).tolist()
        assert (tmp_path / "p.coverage.csv").is_file()
    meta = pq.read_schema(tmp_path / "p.parquet").metadata[b"dyadic.coverage"]
    assert b"mme_exercises" in meta
    with pytest.raises(RequestError, match=".parquet, .csv or .dta"):
        small.write(tmp_path / "p.xlsx")


def test_what_to_ingest_first(settings, tmp_path):
    s = Settings.resolve(data=settings.data_dir, store=tmp_path / "bare.duckdb", cache=tmp_path / "c")
    with Store.open(s.store_path) as bare:
        ingest(bare, s, ["country_codes"])
        p = create_dyadyears(bare, 2000, 2001)
        with pytest.raises(NotIngestedError, match="dyadic ingest alliances_atop_cow"):
            add_alliances(p, bare)
        with pytest.raises(NotIngestedError, match="dyadic ingest mme_military_exercises"):
            add_exercises(p, bare)
        with pytest.raises(NotIngestedError, match="dyadic ingest unvotes_voeten_2019"):
            add_unga(p, bare)
    with Store.open(tmp_path / "empty.duckdb") as empty:
        with pytest.raises(NotIngestedError, match="dyadic ingest country_codes"):
            create_dyadyears(empty, 2000, 2001)


def test_bad_requests(pstore):
    with pytest.raises(RequestError, match="after end year"):
        create_dyadyears(pstore, 2010, 2000)
    with pytest.raises(RequestError, match="1816"):
        create_dyadyears(pstore, 1800, 1900)
    with pytest.raises(UnknownStateError):
        create_dyadyears(pstore, 2000, 2001, pairs=["CHN-XYZ"])
    with pytest.raises(RequestError, match="A-B"):
        create_dyadyears(pstore, 2000, 2001, pairs=["CHN"])
    p = add_exercises(create_dyadyears(pstore, 2000, 2001, pairs=["CHN-RUS"]), pstore)
    with pytest.raises(RequestError, match="already has"):
        add_exercises(p, pstore)


def test_trade_and_power_are_joined_by_side(pstore):
    """The trade and power steps (the expressions add_trade/add_power and build_panel run), on stand-in
    indicator tables in the documented layout."""
    import ibis

    from dyadic import engine
    from dyadic.indicators import trade
    from dyadic.indicators.panel import join_power, join_trade

    tr = pd.DataFrame({"year": [2000, 2000], "a": ["CHN", "CHN"], "b": ["RUS", "USA"]})
    for c in trade.DYAD_COLUMNS[3:]:
        tr[c] = np.nan
    tr = tr.assign(imports_a=[1.0, 3.0], imports_b=[2.0, 4.0], dep_asym=[0.5, 0.75], trade_source=["cow", "cow"])
    sy = pd.DataFrame({"year": [2000] * 3, "code": ["CHN", "RUS", "USA"], "cinc": [0.2, 0.05, 0.15],
                       "gdp": [1.0, 0.25, 10.0], "milex": [40.0, 10.0, 300.0]})  # one row per state-year
    p = create_dyadyears(pstore, 2000, 2001, directed=True, pairs=["CHN-RUS", "CHN-USA"])
    d = ibis.memtable(p.data.assign(a=p.data.a.astype(str), b=p.data.b.astype(str)))
    with engine.engine_for("duckdb", pstore) as e:
        t = e.to_pandas(join_trade(d, ibis.memtable(tr), directed=True)).set_index(["year", "a", "b"])
        u = e.to_pandas(join_power(d, ibis.memtable(sy))).set_index(["year", "a", "b"])
    assert (t.loc[(2000, "CHN", "RUS"), "imports_a"], t.loc[(2000, "RUS", "CHN"), "imports_a"]) == (1.0, 2.0)
    assert t.loc[(2000, "RUS", "CHN"), "imports_b"] == 1.0 and t.loc[(2000, "USA", "CHN"), "imports_a"] == 4.0
    assert t.loc[(2000, "RUS", "CHN"), "trade_source"] == "cow"
    assert t.loc[(2001, "CHN", "RUS"), ["imports_a", "trade_source"]].isna().all()
    assert u.loc[(2000, "CHN", "USA"), "cinc_ratio"] == pytest.approx(0.2 / 0.15)
    assert (u.loc[(2000, "USA", "CHN"), "milex_a"], u.loc[(2000, "USA", "CHN"), "milex_b"]) == (300.0, 40.0)
    assert u.loc[(2001, "CHN", "USA"), ["cinc_a", "cinc_b", "cinc_ratio"]].isna().all()  # no state-year rows


def test_join_keeps_nullable_values_and_their_gaps(pstore):
    """join() reads nullable columns through public pandas APIs: values, gaps, fills and types survive."""
    from dyadic.indicators.panel import join

    p = create_dyadyears(pstore, 2000, 2002, pairs=["CHN-RUS", "CHN-USA"])
    right = pd.DataFrame({"year": [2000, 2001, 2000], "a": ["CHN", "CHN", "CHN"], "b": ["RUS", "RUS", "USA"],
                          "n": pd.array([3, None, 5], dtype="Int16"), "f": pd.array([0.5, 1.5, None], dtype="Float64"),
                          "ok": pd.array([True, None, False], dtype="boolean")})
    got = join(p, right, ["n", "f", "ok"], within=(2000, 2001), fill={"n": 0}).set_index(["year", "b"])
    assert str(got["n"].dtype) == "Int16" and str(got["ok"].dtype) == "Int8"
    assert got["n"].tolist() == [3, 5, pd.NA, 0, pd.NA, pd.NA]  # 2001 CHN-RUS: reported missing stays missing
    assert got.loc[(2000, "RUS"), "f"] == 0.5 and got.loc[(2001, "RUS"), "f"] == 1.5
    assert got["f"].isna().tolist() == [False, True, False, True, True, True]
    assert got["ok"].tolist() == [1, 0, pd.NA, pd.NA, pd.NA, pd.NA]


def test_cli_panel(pstore, tmp_path, monkeypatch):
    from dyadic.cli import app

    monkeypatch.setenv("DYADIC_STORE", str(pstore.path))
    out = tmp_path / "cr.parquet"
    res = CliRunner().invoke(app, ["panel", "--pairs", "CHN-RUS,CHN-USA,RUS-USA", "--from", "1990", "--to", "2024",
                                   "--add", "unga,alliances", "--out", str(out)])
    assert res.exit_code == 0, res.output
    d = pd.read_parquet(out)
    assert len(d) == 3 * 35 and {"unga_agree", "atop_defense"} <= set(d.columns)
    bad = CliRunner().invoke(app, ["panel", "--add", "gdp", "--out", str(out)])
    assert bad.exit_code == 2 and "unknown step" in bad.output


def test_brief_nature_section_reports_obligations_and_cited_facts(pstore):
    from dyadic.report.nature_section import nature_section

    names = {"CHN": "China", "RUS": "Russia", "USA": "United States"}
    findings, charts, tables, paper, missing = nature_section(pstore, "CHN", "RUS", "USA", names)
    assert not missing and len(charts) == 1
    assert "China and Russia had non-aggression, consultation" in findings[0]
    assert "no defence or offence obligation" in findings[0]
    assert any("not measured" in f for f in findings)
    assert [p["verdict"] for p in paper] == ["agrees"]
    facts = [html for caption, html in tables if caption.startswith("Curated facts")]
    assert len(facts) == 1 and "Kommersant" in facts[0] and "4200 km" in facts[0]
