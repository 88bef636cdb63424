"""The validation harness (issue 16): the case table, the scoring rules, and a regression guard on real data."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import CASE_SOURCES, staged_store

from dyadic.errors import RequestError
from dyadic.framework.validate import (
    COLUMNS,
    OUTCOMES,
    QUESTIONS,
    SPLITS,
    assign_splits,
    expected_signs,
    futures_bin,
    load_cases,
    produced_signs,
    score_nature,
    score_signs,
    validate,
)

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests


@pytest.fixture(scope="module")
def cases():
    return load_cases()


@pytest.fixture(scope="module")
def st(tmp_path_factory):
    s = staged_store(tmp_path_factory, "validate", CASE_SOURCES)
    yield s
    s.close()


# ---------------------------------------------------------------------------------------------- the table


def test_table_has_enough_cited_cases_over_every_question(cases):
    assert len(cases) >= 120
    assert list(cases.columns) == list(COLUMNS)
    assert (cases.citation.str.len() > 10).all()
    assert set(cases.question) == set(QUESTIONS) and set(cases.split) <= set(SPLITS)
    assert cases.case_id.is_unique
    per = cases.groupby("question").size()
    assert per.min() >= 10, per
    # several decades: known truth is not only the years the newest sources cover
    years = cases.year.str[:4].astype(int)
    assert years.min() < 1965 and years.max() >= 2022 and (years // 10).nunique() >= 7


def test_split_is_the_hash_rule_stratified_and_independent_of_row_order(cases):
    assert (assign_splits(cases) == cases.split).all()
    shuffled = cases.sample(frac=1, random_state=7)
    assert (assign_splits(shuffled).loc[cases.index] == cases.split).all()
    share = (cases.split == "test").groupby(cases.question).mean()
    assert share.between(0.25, 0.35).all(), share


def test_every_expected_value_is_in_its_question_vocabulary(cases):
    for r in cases.itertuples():
        if r.question == "nature":
            score_nature(r.expected, "ordinary")  # raises on an unknown class
        elif r.question == "triangle":
            assert len(expected_signs((r.a, r.b, r.c), r.expected)) == 3
        elif r.question == "shocks":
            assert r.expected in ("closer", "apart") and r.measure
        elif r.question == "drivers":
            assert r.expected in ("above", "below") and "-" in r.c and r.measure
        else:
            assert r.expected in ("continuity", "degradation-possible") and r.measure.startswith("h=")


def test_a_malformed_table_is_refused_with_the_reason(tmp_path, cases):
    bad = cases.head(3).copy()
    bad.loc[bad.index[1], "citation"] = ""
    p = tmp_path / "c.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(RequestError, match="no citation"):
        load_cases(p)
    bad = cases.head(3).copy()
    bad.loc[bad.index[0], "question"] = "weather"
    bad.to_csv(p, index=False)
    with pytest.raises(RequestError, match="weather"):
        load_cases(p)


# ---------------------------------------------------------------------------------------------- scoring rules


def test_nature_classes_and_opposites():
    assert score_nature("alliance", "alliance") == "right"
    assert score_nature("alliance", "rivalry") == "opposite"
    assert score_nature("rivalry", "alliance") == "opposite"
    assert score_nature("rivalry", "entente") == "opposite"
    assert score_nature("partnership", "strategic_partnership") == "right"
    assert score_nature("partnership", "ordinary") == "wrong"
    assert score_nature("client", "alliance") == "right"
    assert score_nature("not-rivalry", "ordinary") == "right"
    assert score_nature("not-rivalry", "rivalry") == "opposite"
    assert score_nature("not-alliance", "alliance") == "opposite"
    assert score_nature("alliance", "undetermined") == "undetermined"
    with pytest.raises(RequestError):
        score_nature("friendship", "alliance")


def test_triangle_signs_of_dittmer_configurations():
    s = ("USA", "CHN", "RUS")
    romantic = expected_signs(s, "romantic triangle|pivot=USA")
    assert romantic == {"CHN-USA": 1, "RUS-USA": 1, "CHN-RUS": -1}
    marriage = expected_signs(s, "stable marriage|outcast=USA")
    assert score_signs(romantic, marriage) == "opposite"  # the sign-dual
    assert score_signs(marriage, marriage) == "right"
    assert score_signs(marriage, expected_signs(s, "unit veto")) == "wrong"
    assert score_signs(marriage, {**marriage, "CHN-RUS": 0}) == "undetermined"
    assert produced_signs(s, "ménage à trois", {}) == expected_signs(s, "menage a trois")
    assert produced_signs(s, "indeterminate", {}) is None
    with pytest.raises(RequestError):
        expected_signs(s, "stable marriage|pivot=USA")


def test_futures_bins():
    assert [futures_bin(p) for p in (0.0, 0.049, 0.05, 0.3)] == ["low", "low", "moderate", "high"]


# ---------------------------------------------------------------------------------------------- on real data


def _case(i, question, a, b, year, expected, c="", measure=""):
    return {"case_id": f"gen-{i}", "question": question, "a": a, "b": b, "c": c, "year": str(year),
            "measure": measure, "expected": expected, "split": "test", "citation": "generated", "note": ""}


def test_validate_scores_each_outcome(st):
    """Generated cases whose outcome follows from the rules: NATO makes USA-GBR an alliance; the GDR is gone by 2015."""
    gen = pd.DataFrame([
        _case(1, "nature", "USA", "GBR", 2021, "alliance"),
        _case(2, "nature", "USA", "GBR", 2021, "rivalry"),
        _case(3, "nature", "USA", "GBR", 2021, "partnership"),
        _case(4, "drivers", "USA", "GBR", 2015, "above", c="USA-CHN", measure="security_reassurance"),
        _case(5, "drivers", "USA", "GBR", 2015, "below", c="USA-CHN", measure="security_reassurance"),
        _case(6, "drivers", "DDR", "POL", 2015, "above", c="USA-CHN", measure="security_reassurance"),
    ])
    res = validate(st, cases=gen)
    got = dict(zip(res.cases.case_id, res.cases.outcome))
    assert got == {"gen-1": "right", "gen-2": "opposite", "gen-3": "wrong", "gen-4": "right", "gen-5": "opposite",
                   "gen-6": "undetermined"}
    t = res.table.set_index("question")
    assert t.loc["nature", "accuracy"] == pytest.approx(1 / 3)
    assert t.loc["drivers", "accuracy"] == pytest.approx(1 / 2) and t.loc["drivers", "coverage"] == pytest.approx(2 / 3)
    assert list(res.misses.case_id) == ["gen-2", "gen-3", "gen-5"] and res.misses.evidence.str.len().min() > 0
    assert res.confusion("nature").loc["rivalry", "alliance"] == 1
    text = res.summary()
    assert "gen-2" in text and "Undetermined (1)" in text and "not measured" in text
    with pytest.raises(RequestError):
        validate(st, cases=gen.assign(expected="sideways").head(4).tail(1))


#: (accuracy, coverage) floors of each question on the test split, set a little below what the methods
#: reached (test split, every case source ingested; history in docs/methods/validation.md): when the harness
#: was written nature 0.897 / 0.967, triangle 0.143 / 1.0, shocks 0.333 / 0.667, drivers and futures 1.0 / 1.0;
#: after the triangle's rivalry/dispute/arms rules and the shocks' bilateral indicators, triangle 0.429 / 1.0
#: and shocks 0.375 / 0.889; futures 1.0 once the reference history stopped at the last complete UN year (the
#: partial 2025 had put allies at the 96th percentile, so P(worsening) for France-Germany was 0.27). A guard
#: against regressions, to be raised as the methods improve, never lowered
#: to let a change pass. Accuracy is right / determined; coverage guards against a method that would gain
#: accuracy by answering "undetermined".
FLOORS = {"nature": (0.85, 0.90), "triangle": (0.40, 0.90), "shocks": (0.33, 0.80), "drivers": (0.85, 0.90),
          "futures": (0.90, 0.90)}


def test_regression_guard_on_the_test_split(st):
    res = validate(st, split="test")
    assert set(res.cases.outcome) <= set(OUTCOMES)
    t = res.table.set_index("question")
    for q, (acc, cov) in FLOORS.items():
        assert t.loc[q, "coverage"] >= cov, (q, t.loc[q].to_dict())
        assert t.loc[q, "accuracy"] >= acc, (q, t.loc[q].to_dict())
    # no answer on the test split is the opposite of the known truth
    opposite = res.cases[res.cases.outcome == "opposite"]
    assert opposite.empty, opposite[["case_id", "produced", "evidence"]].to_dict("records")
