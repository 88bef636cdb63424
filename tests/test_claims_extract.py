"""Extraction of quantitative statements: values, units, bounds, periods and states, on sentences written
for the purpose (each kind of quantity and the tricky cases)."""

import pytest
from hypothesis import given, settings, strategies as st

from dyadic.framework.claims.document import ClaimsInputError, from_string, read_document
from dyadic.framework.claims.extract import extract
from dyadic.framework.claims.vocabulary import Vocabulary

VOCAB = Vocabulary.load()
GAZ = VOCAB.gazetteer()


def claims_of(text: str, fmt: str = "text"):
    doc = from_string(text, fmt)
    cs = extract(doc, GAZ)
    VOCAB.assign(cs)
    return [c for c in cs if c.kind != "date"], cs


def one(text: str, fmt: str = "text"):
    cs, _ = claims_of(text, fmt)
    assert len(cs) == 1, [(c.kind, c.text) for c in cs]
    return cs[0]


def test_amount_with_currency_and_scale():
    c = one("Russia spent USD 149 billion on its military in 2024.")
    assert (c.kind, c.value, c.unit, c.period, c.states, c.measure) == ("amount", 149e9, "USD", "2024", ["RUS"], "milex")


@pytest.mark.parametrize("text,value", [
    ("China's GDP was $17.8tn in 2023.", 17.8e12),
    ("China's GDP was US$17,795 billion in 2023.", 17.795e12),
    ("China's GDP was 17,795,000 million dollars in 2023.", 17.795e12),
    ("Russia's military budget was USD 900 million in 2023.", 0.9e9),
])
def test_billions_vs_millions(text, value):
    c = one(text)
    assert c.kind == "amount" and c.value == pytest.approx(value) and c.period == "2023"


def test_share_reads_the_whole_first():
    c = one("In 2014 China accounted for 12 per cent of Russia's total trade.")
    assert (c.kind, c.value, c.unit, c.period) == ("share", 12.0, "percent", "2014")
    assert c.states[:2] == ["RUS", "CHN"] and c.measure == "partner_share_of_total_trade"
    c = one("China has overtaken the European Union as Russia's biggest customer, and now accounts for 37 per cent of its total trade.")
    assert c.states[:2] == ["RUS", "CHN"] and c.period == "latest"


def test_word_fraction_is_a_share():
    c = one("China accounts for a third of Russia's trade in 2023.")
    assert c.kind == "share" and c.value == pytest.approx(100 / 3) and c.states[0] == "RUS"


def test_growth_between_two_periods():
    c = one("Bilateral trade has grown from USD 104 billion in 2020 to USD 245 billion in 2024.")
    assert (c.kind, c.from_value, c.from_period, c.value, c.period, c.direction) == \
        ("growth", 104e9, "2020", 245e9, "2024", "up")
    assert c.measure == "bilateral_trade" and c.states == []  # names no state: the checker infers the pair


def test_growth_of_a_share_over_a_range():
    c = one("Russia's share of Chinese oil imports has risen from an average of 15.5 per cent in 2018-21 to "
            "21.5 per cent in 2024.")
    assert (c.from_value, c.from_period, c.value, c.period) == (15.5, "2018/2021", 21.5, "2024")
    assert c.states[:2] == ["CHN", "RUS"] and c.measure == "partner_share_of_oil_imports"


def test_negative_growth():
    c = one("China-Russia trade fell by 29 per cent between 2014 and 2015.")
    assert (c.kind, c.rate, c.direction, c.from_period, c.period) == ("growth", -29.0, "down", "2014", "2015")
    c = one("Bilateral trade shrank from USD 95 billion in 2014 to USD 68 billion in 2015.")
    assert c.direction == "down" and c.from_value == 95e9 and c.value == 68e9


def test_more_than_double():
    c = one("China's military spending in 2024 was more than double Russia's.")
    assert (c.kind, c.value, c.bound, c.period) == ("ratio", 2.0, ">", "2024")
    assert c.states[:2] == ["CHN", "RUS"] and c.measure == "milex"
    c = one("Trade between China and Russia more than doubled between 2014 and 2021.")
    assert c.kind == "growth" and c.rate == 100.0 and c.bound == ">" and (c.from_period, c.period) == ("2014", "2021")


def test_ratio_in_times():
    c = one("China's CINC score was six times Russia's in 2022.")
    assert (c.kind, c.value, c.period, c.states[:2], c.measure) == ("ratio", 6.0, "2022", ["CHN", "RUS"], "cinc")


def test_ranking():
    c = one("In 2014 China was Russia's largest trading partner.")
    assert (c.kind, c.value, c.period, c.states[:2], c.measure) == ("ranking", 1.0, "2014", ["RUS", "CHN"],
                                                                     "trade_partner_rank")
    c = one("China and Russia share a border, the sixth longest in the world.")
    assert (c.kind, c.value, c.measure) == ("ranking", 6.0, "land_border_length")


def test_distance_and_area():
    c = one("China and Russia share a 4,200-kilometre border.")
    assert (c.kind, c.value, c.unit, c.measure) == ("distance", 4200.0, "km", "land_border_length")
    c = one("The border runs for 2,600 miles.")
    assert c.value == pytest.approx(2600 * 1.609344)
    c = one("Beijing does not claim the 'lost one-and-half million square kilometres' ceded to Russia.")
    assert (c.kind, c.value, c.unit, c.quoted) == ("area", 1.5e6, "km2", True)


def test_counts_with_bounds():
    c = one("In 1980, there were an estimated 45 Soviet divisions in the Soviet Far East facing China.")
    assert (c.kind, c.value, c.bound, c.period, c.noun.split()[:2]) == ("count", 45.0, "~", "1980", ["soviet", "divisions"])
    assert c.states[:2] == ["RUS", "CHN"] and c.measure == "divisions_facing_partner"
    c = one("Beijing failed to evacuate some 6,000 Chinese students in Ukraine.")
    assert (c.value, c.bound, c.states, c.measure) == (6000.0, "~", ["CHN", "UKR"], "students_abroad")
    c = one("More than 1.4 billion people live in China.")
    assert c.value == pytest.approx(1.4e9) and c.bound == ">"


def test_fiscal_vs_calendar_years():
    c = one("Russia's defence budget for fiscal year 2023/24 was USD 80 billion.")
    assert c.period == "FY2023/24" and c.fiscal
    c = one("Russia's defence budget in 2023 was USD 80 billion.")
    assert c.period == "2023" and not c.fiscal
    c = one("India's defence budget for FY2024 was USD 75 billion.")
    assert c.period == "FY2024" and c.fiscal


def test_dates_stand_alone_and_as_periods():
    _, cs = claims_of("The border question was finally settled in October 2004, during a visit to Beijing.")
    d = [c for c in cs if c.kind == "date"]
    assert len(d) == 1 and d[0].period == "2004-10" and d[0].measure == "border_settlement"
    _, cs = claims_of("Russia spent USD 149 billion on its military in 2024.")
    assert not [c for c in cs if c.kind == "date"]  # 2024 is the amount's period, not a statement


def test_markup_is_not_read_as_numbers_and_positions_are_true():
    md = ("# Title\n\n- 12. Trade grew to USD 245 billion in 2024.<sup>10</sup> See "
          "https://example.org/2024/10/report\\_11306326.html\n")
    doc = from_string(md, "markdown")
    cs = [c for c in extract(doc, GAZ)]
    assert [(c.kind, c.value) for c in cs] == [("amount", 245e9)]
    assert md[cs[0].start:cs[0].end] == "USD 245 billion"
    html = "<html><head><title>T</title></head><body><p>Trade reached US$&nbsp;94 billion in 2014.<sup>3</sup></p></body></html>"
    doc = from_string(html, "html")
    c = extract(doc, GAZ)[0]
    assert c.value == 94e9 and c.period == "2014" and doc.title == "T"


@pytest.mark.parametrize("text", [
    "China and Russia agreed on 70% of votes in 2022 (90% interval 65% to 75%).",
    "Ideal points of China and Russia in 2022 (90% bootstrap intervals) are close.",
])
def test_confidence_levels_are_not_shares(text):
    cs, _ = claims_of(text)
    assert all(c.value != 90 or c.kind == "confidence level" for c in cs), [(c.kind, c.value) for c in cs]


def test_text_without_numbers_has_no_claims():
    assert extract(from_string("Nothing here is quantified, only words.", "text"), GAZ) == []


def test_unreadable_inputs(tmp_path):
    with pytest.raises(ClaimsInputError, match="no such file"):
        read_document(tmp_path / "missing.md")
    with pytest.raises(ClaimsInputError, match="folder"):
        read_document(tmp_path)
    pdf = tmp_path / "paper.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    with pytest.raises(ClaimsInputError, match="PDF"):
        read_document(pdf)
    binary = tmp_path / "blob.md"
    binary.write_bytes(b"abc\x00\x01\x02")
    with pytest.raises(ClaimsInputError, match="binary"):
        read_document(binary)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 999), st.sampled_from([("billion", 1e9), ("bn", 1e9), ("million", 1e6), ("trillion", 1e12)]),
       st.sampled_from(["USD ", "US$", "$"]), st.integers(1990, 2024))
def test_amounts_round_trip(n, scale, cur, year):
    word, factor = scale
    c = one(f"Russia's GDP was {cur}{n} {word} in {year}.")
    assert c.value == pytest.approx(n * factor) and c.unit == "USD" and c.period == str(year)


def test_currency_is_not_a_state():
    c = one("Trade between Japan and Russia amounted to about US$ 22.3 billion in 2006.")
    assert c.states == ["JPN", "RUS"] and not c.ambiguity and c.measure == "bilateral_trade"


@pytest.mark.parametrize("text, supplier, recipient", [
    ("China delivered arms worth about 1,306 million TIV to Iran in 2013.", "CHN", "IRN"),
    ("In 2019, India received around 712 million TIV of weapons from France.", "FRA", "IND"),
    ("SIPRI records arms transfers from the United States to Saudi Arabia of some 3,146 million TIV in 2016.", "USA", "SAU"),
])
def test_arms_transfers_read_supplier_then_recipient(text, supplier, recipient):
    c = one(text)
    assert (c.measure, c.unit, c.states[:2]) == ("arms_transfers", "TIV", [supplier, recipient])


def test_passive_export_names_the_exporter():
    c = one("Goods exported by Brazil to China totalled some USD 46.0 billion in 2013.")
    assert (c.measure, c.flow, c.states[:2]) == ("directional_trade", "exports", ["BRA", "CHN"])


def test_count_over_a_span_is_kept_for_summing_measures():
    c = one("The United States and China were involved in 7 militarised interstate disputes with each other "
            "between 1990 and 2010.")
    assert c.measure == "mid_count" and c.span == ("1990", "2010")
    assert VOCAB.by_id("mid_count").span == "sum" and VOCAB.by_id("milex").span == ""


def test_no_measure_words_apply_after_a_dyad_label():
    c = one("The probability of a China-Japan trade war is put at 20 per cent.")
    assert c.no_measure.startswith("a probability")


def test_every_measure_declared_once_and_reachable():
    from dyadic.framework.claims.match import CHECKS

    ids = [m.id for m in VOCAB.measures]
    assert len(ids) == len(set(ids))
    checks = [m.check for m in VOCAB.measures if m.check]
    assert set(checks) == set(CHECKS), set(CHECKS) ^ set(checks)  # no check without a declaration, nor the reverse
    assert len(checks) == len(set(checks))  # each check declared beside exactly one measure
    for m in VOCAB.measures:
        assert m.patterns and m.kinds and m.settle, m.id  # reachable by the matcher, and says what settles it


def test_explain_shows_claim_measure_and_tolerance():
    from dyadic.framework.claims.check import check_text, explain

    text = explain(check_text("Russia's Polity score was 4 in 2015.", None, fmt="text"))
    assert "parsed: kind=count, value=4" in text and "measure: polity" in text and "verdict: no data" in text
