"""Matching and verdicts on statements the staged data settles, true and false alike, and the seed paper
as the first real case."""

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dyadic.config import Settings
from dyadic.framework.claims import check_file, check_text
from dyadic.store import Store, ingest

from conftest import source_dir

SOURCES = ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape", "cow_trade",
           "imf_dots_multiatsm", "cow_nmc", "sipri_milex", "wb_gdp", "curated_facts"]
PAPER = "lo-2025-convergence-and-divergence.md"


@pytest.fixture(scope="module")
def cstore(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("claims")
    settings = Settings.resolve(data=source_dir("cow_trade").parent, store=tmp / "c.duckdb", cache=tmp / "cache")
    st = Store.open(settings.store_path)
    ingest(st, settings, SOURCES)
    yield st
    st.close()


def verdict(store, sentence: str, kind: str | None = None):
    r = check_text(sentence, store, fmt="text")
    vs = [v for v in r.verdicts if v.claim.kind != "date" and (kind is None or v.claim.kind == kind)]
    assert len(vs) == 1, [(v.claim.kind, v.claim.text, v.verdict) for v in r.verdicts]
    return vs[0]


def measured_trade(store, year: int) -> dict[str, float]:
    df = store.con.execute("SELECT source, reporter, exports_usd + imports_usd AS t FROM trade WHERE year = ? AND "
                           "((reporter='CHN' AND partner='RUS') OR (reporter='RUS' AND partner='CHN'))", [year]).df()
    return {f"{r.source}:{r.reporter}": r.t for r in df.itertuples()}


def test_unga_agreement_2019(cstore):
    v = verdict(cstore, "In 2019, China and Russia voted alike on 79 per cent of UN General Assembly roll calls.")
    assert v.verdict == "holds" and v.claim.measure == "unga_agreement"
    assert v.measured == pytest.approx(79.07, abs=0.01)  # SOURCE.md: 0.7907 on 86 roll calls
    ev = v.evidence[0]
    assert ev.source == "unvotes_voeten_2019" and ev.rows[0]["n"] == 86
    v = verdict(cstore, "In 2019 China and Russia voted together in 95 per cent of UNGA roll calls.")
    assert v.verdict == "off" and v.rel_error == pytest.approx(79.07 / 95 - 1, abs=1e-3)


def test_cow_trade_2014_every_view_shown(cstore):
    v = verdict(cstore, "Trade between China and Russia reached USD 94 billion in 2014.")
    assert v.verdict == "holds"
    views = {(e.source, e.view.split()[0]) for e in v.evidence}
    assert ("cow_trade", "harmonised") in views
    assert {("imf_dots_multiatsm", "CHN-reported"), ("imf_dots_multiatsm", "RUS-reported")} <= views
    cow = next(e for e in v.evidence if e.source == "cow_trade")
    assert cow.value == pytest.approx(51_135e6 + 42_807e6)  # SOURCE.md, flow1 + flow2
    assert cow.rows and "exports_usd" in cow.computation
    v = verdict(cstore, "Trade between China and Russia reached USD 150 billion in 2014.")
    assert v.verdict == "off"
    assert v.measured == pytest.approx(max(measured_trade(cstore, 2014).values()))


def test_cinc_ratio_2022(cstore):
    v = verdict(cstore, "China's CINC score was six times Russia's in 2022.")
    assert v.verdict == "holds" and v.measured == pytest.approx(0.2341 / 0.0382, rel=2e-3)
    v = verdict(cstore, "China's material capabilities were twice Russia's in 2022.")
    assert v.verdict == "off" and v.rel_error > 1


def test_sipri_2024(cstore):
    v = verdict(cstore, "Russia spent USD 149 billion on its military in 2024.")
    assert v.verdict == "holds" and v.measured == pytest.approx(148_967e6, rel=1e-4)
    assert {e.view for e in v.evidence} >= {"military expenditure, current US$ (SIPRI) of RUS",
                                            "military expenditure, constant 2023 US$ (SIPRI) of RUS"}
    v = verdict(cstore, "China's military spending was USD 500 billion in 2024.")
    assert v.verdict == "off"
    v = verdict(cstore, "Russia's military spending was 7.1 per cent of GDP in 2024.")
    assert v.verdict == "holds" and v.measured == pytest.approx(7.05, abs=0.01)
    v = verdict(cstore, "China's military spending in 2024 was more than double Russia's.")
    assert v.verdict == "holds" and v.measured == pytest.approx(313_658 / 148_967, rel=1e-3)


def test_ranking_claims(cstore):
    v = verdict(cstore, "In 2014 China was Russia's largest trading partner.")
    assert v.verdict == "holds" and v.evidence[0].rows[0]["partner"] == "CHN"
    v = verdict(cstore, "In 2014 the United States was Russia's largest trading partner.")
    assert v.verdict == "contradicted" and v.measured > 1


def test_share_of_total_trade_2014(cstore):
    v = verdict(cstore, "China accounted for 12 per cent of Russia's total trade in 2014.")
    tot = cstore.con.execute("SELECT exports_usd + imports_usd FROM trade_national WHERE code='RUS' AND year=2014").fetchone()[0]
    assert v.verdict == "holds" and v.measured == pytest.approx(100 * (51_135e6 + 42_807e6) / tot)


def test_growth_direction_and_rate(cstore):
    t14, t15 = measured_trade(cstore, 2014), measured_trade(cstore, 2015)
    assert all(t15[k] < t14[k] for k in t15)  # trade fell 2014-2015 in every view
    v = verdict(cstore, "China-Russia trade grew by 10 per cent between 2014 and 2015.")
    assert v.verdict == "contradicted"
    v = verdict(cstore, "China-Russia trade fell by 29 per cent between 2014 and 2015.")
    assert v.verdict == "holds" and -31 < v.measured < -27
    v = verdict(cstore, "Bilateral trade between China and Russia rose from USD 95 billion in 2014 to USD 68 billion in 2015.")
    assert v.verdict == "contradicted"
    v = verdict(cstore, "Bilateral trade between China and Russia fell from USD 95 billion in 2014 to USD 68 billion in 2015.")
    assert v.verdict == "holds"


def test_not_checkable_and_no_data(cstore):
    assert verdict(cstore, "Russia's GDP was EUR 1.9 trillion in 2023.").verdict == "not checkable"
    v = verdict(cstore, "Russia's defence budget for fiscal year 2023/24 was USD 80 billion.")
    assert v.verdict == "no data" and "fiscal" in v.reason
    # no measurement after 2020; a curated fact (quoted from the seed paper) is shown, and settles it only for
    # a text other than the one it quotes
    sentence = "Trade between China and Russia reached USD 245 billion in 2024."
    v = verdict(cstore, sentence)
    assert v.verdict == "holds" and "curated fact" in v.reason and all(e.fact for e in v.evidence)
    r = check_text(sentence, cstore, fmt="text", self_citations=["Convergence and divergence"])
    v = next(v for v in r.verdicts if v.claim.kind == "amount")
    assert v.verdict == "no data" and "2020" in v.reason and "settled by" in v.reason and "itself" in v.reason
    assert verdict(cstore, "The summit produced a 12-point paper in 2023.").verdict == "not checkable"


def paper_path() -> Path:
    path = Path(os.environ.get("DYADIC_DATA", "")).parent / "seed" / PAPER
    if not path.is_file():
        pytest.fail(f"the seed paper is needed at {path}")
    return path


def test_seed_paper(cstore):
    r = check_file(paper_path(), cstore)
    by = {v.claim.text: v for v in r.verdicts}
    trade = next(v for v in r.verdicts if v.claim.kind == "growth" and v.claim.measure == "bilateral_trade")
    assert (trade.claim.from_value, trade.claim.value, trade.claim.from_period, trade.claim.period) == \
        (104e9, 245e9, "2020", "2024")
    # 2020 is measured (IMF DOTS, both reporters), 2024 is not: no data, with the 2020 end shown to hold
    assert trade.verdict == "no data" and "2020: holds" in trade.reason
    assert {e.view for e in trade.evidence if e.source == "imf_dots_multiatsm"} >= {"CHN-reported", "RUS-reported"}
    share = by["37 per cent"]
    assert share.claim.states[:2] == ["RUS", "CHN"] and share.verdict == "no data"
    assert "quotes this text itself" in share.reason  # the only fact for it cites the paper: not evidence
    oil = next(v for v in r.verdicts if v.claim.measure == "partner_share_of_oil_imports" and v.claim.kind == "growth")
    assert (oil.claim.from_value, oil.claim.value, oil.verdict) == (15.5, 21.5, "no data")
    car = next(v for v in r.verdicts if v.claim.measure == "partner_share_of_car_market" and v.claim.kind == "growth")
    assert (car.claim.from_value, car.claim.value, car.verdict) == (9.0, 61.0, "no data")
    assert by["4,200-kilometre"].claim.measure == "land_border_length" and by["4,200-kilometre"].verdict == "no data"
    assert by["45"].claim.period == "1980" and by["45"].verdict == "no data"
    assert by["6,000"].claim.measure == "students_abroad" and "UNESCO" in by["6,000"].reason
    assert not [v for v in r.verdicts if v.verdict in ("holds", "off") and all(e.circular for e in v.evidence)]


def test_cli_formats_and_errors(cstore, tmp_path):
    from dyadic.cli import app

    before = cstore.checksum("trade")
    runner = CliRunner()
    env = {"DYADIC_STORE": str(cstore.path)}
    empty = tmp_path / "empty.md"
    empty.write_text("# Nothing to count\n\nWords only, and no figures.\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(empty), "--format", "json"], env=env)
    assert res.exit_code == 0 and json.loads(res.stdout)["statements"] == []
    res = runner.invoke(app, ["check", str(tmp_path / "nope.md")], env=env)
    assert res.exit_code == 2 and "no such file" in res.output
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 binary")
    res = runner.invoke(app, ["check", str(bad)], env=env)
    assert res.exit_code == 2 and "bad.pdf" in res.output
    good = tmp_path / "t.html"
    good.write_text("<html><body><p>Trade between China and Russia reached USD 94 billion in 2014.</p></body></html>")
    res = runner.invoke(app, ["check", str(good), "--format", "html"], env=env)
    assert res.exit_code == 0 and "holds" in res.stdout and "<table" in res.stdout
    res = runner.invoke(app, ["check", str(good), "--explain"], env=env)
    assert res.exit_code == 0, res.output
    # the parsed claim, the rows used and the arithmetic, for the figure the data settles
    assert "parsed: kind=amount, value=9.4e+10" in res.stdout and "states=CHN-RUS" in res.stdout
    assert "row: source=" in res.stdout and "arithmetic:" in res.stdout and "tolerance: ±10% relative" in res.stdout
    assert cstore.checksum("trade") == before


def test_brief_appendix_numbers_all_verify(cstore):
    from dyadic.report.brief import build_sections
    from dyadic.report.claims_section import brief_claims, claims_appendix

    reg = cstore.registry()
    names = {x: reg.name(x) for x in ("CHN", "RUS", "USA")}
    sections, _ = build_sections(cstore, "CHN", "RUS", "USA", names)
    report = brief_claims(cstore, sections, ("CHN", "RUS"))
    judged = [v for v in report.verdicts if v.verdict in ("holds", "off", "contradicted")]
    assert len(judged) >= 5  # the pair's and the triangle's agreement shares, latest year and five-year means
    assert all(v.verdict == "holds" for v in judged), [(v.claim.text, v.reason) for v in judged if v.verdict != "holds"]
    assert {tuple(v.claim.states[:2]) for v in judged} >= {("CHN", "RUS"), ("CHN", "USA"), ("RUS", "USA")}
    sec = claims_appendix(cstore, sections, "CHN", "RUS")
    assert sec.number == 6 and sec.tables and "holds" in sec.tables[0][1]
