"""UN vetoes, CEIAS leader visits, ICEWS quad counts and press-reported figures, on the staged files."""

from datetime import date

import pandas as pd
import pytest

from dyadic.errors import SourceFormatError
from dyadic.indicators.diplomacy import (add_leader_visits, add_vetoes, derived_vetoes, sc_no_votes, veto_years,
                                         vetoes)
from dyadic.indicators.icews import add_icews, icews_states, icews_years
from dyadic.indicators.panel import ADDERS, create_dyadyears
from dyadic.indicators.reported import reported_figures
from dyadic.store import ingest

from conftest import staged_store, truncate

VETOES, UNDL = "unsc_vetoes", "unga_unsc_votes_undl_scrape"
VISITS, ICEWS = "leader_visits_ceias_china_1949_2020", "icews_dyadic_netify_2002_2014"
PRESS = "press_reported_figures_china_russia"
PAIRS = ["CHN-RUS", "CHN-USA", "RUS-USA", "ISL-NZL", "RUS-TUR"]


@pytest.fixture(scope="module")
def dstore(tmp_path_factory):
    st = staged_store(tmp_path_factory, "diplomacy", [VETOES, UNDL, VISITS, ICEWS, PRESS])
    yield st
    st.close()


@pytest.fixture(scope="module")
def panel(dstore):
    p = create_dyadyears(dstore, 1946, 2024, pairs=PAIRS)
    return add_icews(add_leader_visits(add_vetoes(p, dstore), dstore), dstore)


def rows(p, a, b):
    d = p.data
    return d[(d.a == a) & (d.b == b)].set_index("year")


def test_verbs_are_registered_and_reported_figures_are_not():
    assert ADDERS["vetoes"] is add_vetoes and ADDERS["leader_visits"] is add_leader_visits
    assert ADDERS["icews"] is add_icews
    assert not any("report" in k for k in ADDERS)


# ---------------------------------------------------------------------------------------------- vetoes


def test_fourteen_joint_russia_china_vetoes_to_july_2022(dstore):
    v = vetoes(dstore)
    joint = v.groupby("veto_id").filter(lambda g: {"CHN", "RUS"} <= set(g.code)).drop_duplicates("veto_id")
    assert len(joint) == 14
    assert {"S/2007/14", "S/2008/447", "S/2019/186", "S/2022/431"} <= set(joint.draft)
    assert (joint.topic == "Syria").sum() == 10
    assert v.date.max() == pd.Timestamp("2022-07-08")


def test_vetoing_members_come_from_the_names_not_the_flags(dstore):
    per_member = vetoes(dstore).groupby("member").size().to_dict()
    # the UN library's totals; the compiler's 0/1 columns sum to USSR 84, USA 71, France 7
    assert per_member == {"USSR": 90, "Russia": 31, "USA": 82, "UK": 29, "France": 16, "China": 17}
    assert any("26 rows" in n for n in dstore.summaries[VETOES].notes)
    triple = vetoes(dstore).query("draft == 'S/12211'")
    assert set(triple.code) == {"FRA", "GBR", "USA"}


def test_scrape_holds_adopted_resolutions_only_so_no_veto_can_be_derived(dstore):
    symbols = dstore.con.execute("SELECT symbol FROM roll_calls WHERE source = ? AND body = 'SC'", [UNDL]).df()
    assert len(symbols) > 2700 and symbols.symbol.str.startswith("S/RES/").all()
    # Russia's veto of the Ukraine annexation draft (30 Sept 2022) is not in the scrape: no SC roll call that day
    on_day = dstore.con.execute("SELECT count(*) FROM roll_calls WHERE source = ? AND body = 'SC' AND date = ?",
                                [UNDL, date(2022, 9, 30)]).fetchone()[0]
    assert on_day == 0
    assert derived_vetoes(dstore).empty and derived_vetoes(dstore, after=None).empty
    no = sc_no_votes(dstore)
    assert len(no) == 12 and no.adopted.all()
    assert ((no.symbol == "S/RES/2623(2022)") & (no.code == "RUS")).sum() == 1


def test_list_and_scrape_agree_where_they_overlap(dstore):
    """Each emergency special session the Council called over a permanent member's "no" (a procedural vote)
    follows, within a week, a veto of that member in the list: the two sources tell one story."""
    no = sc_no_votes(dstore)
    ess = no[no.title.str.contains("emergency special session", case=False)]
    assert set(ess.symbol) == {"S/RES/119(1956)", "S/RES/120(1956)", "S/RES/157(1960)", "S/RES/462(1980)",
                               "S/RES/2623(2022)"}
    v = vetoes(dstore)
    for r in ess.itertuples():
        d = pd.Timestamp(r.date)
        before = v[(v.code == r.code) & (v.date <= d) & (v.date >= d - pd.Timedelta(days=7))]
        assert len(before), f"{r.symbol}: no veto by {r.code} in the week before"


def test_add_vetoes_counts_and_missing_after_the_list(dstore, panel):
    assert veto_years(dstore) == (1946, 2021)
    cr = rows(panel, "CHN", "RUS")
    assert cr.loc[2011:2021, "unsc_joint_vetoes"].tolist() == [1, 2, 0, 1, 0, 1, 1, 0, 3, 2, 0]
    assert int(cr.loc[:2021, "unsc_joint_vetoes"].sum()) == 13  # the 14th is of May 2022, a year not complete
    assert cr.loc[2014, "unsc_vetoes_a"] == 1 and cr.loc[2014, "unsc_vetoes_b"] == 2  # Russia: Ukraine, Syria
    assert (rows(panel, "ISL", "NZL").loc[1946:2021, ["unsc_vetoes_a", "unsc_joint_vetoes"]] == 0).all().all()
    later = panel.data[panel.data.year >= 2022]
    assert later[["unsc_vetoes_a", "unsc_vetoes_b", "unsc_joint_vetoes"]].isna().all().all()
    assert panel.coverage.set_index("column").loc["unsc_joint_vetoes", "last_year"] == 2021


def test_directed_panel_keeps_each_side(dstore):
    p = add_vetoes(create_dyadyears(dstore, 2014, 2014, directed=True, pairs=["CHN-RUS"]), dstore)
    d = p.data.set_index(["a", "b"])
    assert d.loc[("RUS", "CHN"), "unsc_vetoes_a"] == 2 and d.loc[("RUS", "CHN"), "unsc_vetoes_b"] == 1
    assert d.loc[("RUS", "CHN"), "unsc_joint_vetoes"] == d.loc[("CHN", "RUS"), "unsc_joint_vetoes"] == 1


# ---------------------------------------------------------------------------------------- leader visits


def test_chinese_leader_visits_to_russia(dstore, panel):
    t = dstore.con.execute("SELECT year, leader FROM chn_leader_visits_abroad WHERE host = 'RUS'").df()
    assert len(t[t.year >= 1992]) == 29 and len(t[t.year < 1992]) == 11
    xi = t[t.leader == "Xi Jinping"]
    assert xi.year.tolist().count(2013) == 2 and len(xi) == 8
    cr = rows(panel, "CHN", "RUS")
    assert cr.loc[2013, "chn_leader_visits_to_partner"] == 2
    assert cr.loc[2013, "chn_leader_visitors_to_partner"] == "Xi Jinping"
    assert cr.loc[2004, "chn_leader_visits_to_partner"] == 0


def test_leader_visits_missing_without_china_and_after_2020(panel):
    cols = ["chn_leader_visits_to_partner", "chn_leader_visitors_to_partner"]
    assert rows(panel, "RUS", "USA")[cols].isna().all().all()
    assert rows(panel, "CHN", "USA").loc[2021:, cols].isna().all().all()
    assert rows(panel, "CHN", "USA").loc[2015, "chn_leader_visits_to_partner"] == 1
    assert "China -> partner only" in panel.coverage.set_index("column").loc[cols[0], "note"]


# ------------------------------------------------------------------------------------------------ ICEWS


def test_icews_russia_to_china_material_cooperation(dstore, panel):
    assert icews_years(dstore) == (2002, 2014) and len(icews_states(dstore)) == 152
    cr = rows(panel, "CHN", "RUS")
    # SOURCE.md: Russia -> China 2014 2287 / 32 / 6 / 4; China -> Russia 2002 2286 / 25 / 21 / 11
    assert cr.loc[2014, ["icews_verb_coop_ba", "icews_matl_coop_ba", "icews_verb_conf_ba",
                         "icews_matl_conf_ba"]].tolist() == [2287, 32, 6, 4]
    assert cr.loc[2002, ["icews_verb_coop_ab", "icews_matl_coop_ab", "icews_verb_conf_ab",
                         "icews_matl_conf_ab"]].tolist() == [2286, 25, 21, 11]
    ru = rows(panel, "RUS", "USA")
    assert ru.loc[2014, "icews_matl_conf_ba"] == 1371 and ru.loc[2013, "icews_verb_coop_ba"] == 6049


def test_icews_missing_outside_years_and_states(panel):
    cols = [c for c in panel.data.columns if c.startswith("icews_")]
    assert len(cols) == 8
    assert panel.data.loc[~panel.data.year.between(2002, 2014), cols].isna().all().all()
    assert rows(panel, "RUS", "TUR")[cols].isna().all().all()  # Turkey is not among the 152
    assert (rows(panel, "ISL", "NZL")[cols].isna()).all().all()  # nor Iceland


# ------------------------------------------------------------------------------------- reported figures


def test_reported_figures_labelled_with_their_publisher(dstore):
    f = reported_figures(dstore, "China", "RUS")
    assert len(f) and (f.label == "as reported by " + f.publisher).all()
    trade = f[(f.indicator == "china_russia_total_trade") & (f.period == "2024")].iloc[0]
    assert trade.value == 244.81 and trade.label == "as reported by bne.eu"
    assert "china_usa_total_trade" not in set(f.indicator)  # about a third state
    assert "russia_total_trade_turnover" in set(f.indicator)  # about one of the two
    assert f.wording.isna().all() and f.page_url.str.startswith("http").all()


# ---------------------------------------------------------------------------------------------- bad files


@pytest.mark.parametrize("source, name, table", [(VETOES, "unsc_vetoes_1946_sept2022.csv", "unsc_vetoes"),
                                                 (VISITS, "WhoWhenWhereDataset.xlsx", "chn_leader_visits_abroad"),
                                                 (ICEWS, "icews.rda", "icews_quads"),
                                                 (PRESS, "press_figures.csv", "reported_figures")])
def test_truncated_file_leaves_store_unchanged(source_lab, source, name, table):
    settings, st, data = source_lab(source)
    tables = [r[0] for r in st.con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
    before = {t: st.checksum(t) for t in tables}
    assert before[table] != (0, 0)
    truncate(data / source / name)
    with pytest.raises(SourceFormatError, match=name.replace(".", r"\.")):
        ingest(st, settings, [source])
    assert {t: st.checksum(t) for t in tables} == before


def test_unknown_vetoing_member_is_a_format_error(source_lab):
    settings, st, data = source_lab(VETOES)
    path = data / VETOES / "unsc_vetoes_1946_sept2022.csv"
    before = st.checksum("unsc_vetoes")
    path.write_text(path.read_text().replace("S/2022/538,S/PV.9087,The situation in the Middle East,Syria,"
                                             "Middle East,Russia", "S/2022/538,S/PV.9087,The situation in the "
                                             "Middle East,Syria,Middle East,Prussia"))
    with pytest.raises(SourceFormatError, match="Prussia"):
        ingest(st, settings, [VETOES])
    assert st.checksum("unsc_vetoes") == before
