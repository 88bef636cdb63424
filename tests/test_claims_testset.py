"""The scored claims test set: the held-out test split's verdicts against truths computed independently from
the staged data (bench/claims_testset_build.py, bench/claims_testset_heldout.py). The floors are a regression
guard below the value measured when they were written (test split, both held-out batches: 132/132 right,
20/20 not checkable; the first batch scored 32/76 before the tune-split work), not a target."""

import pytest

from conftest import staged_store
from dyadic.framework.claims.check import check_text
from dyadic.framework.claims.testset import TESTSET_SOURCES, load, score

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

RIGHT_FLOOR = 0.95
NOT_CHECKABLE_FLOOR = 0.90


@pytest.fixture(scope="module")
def tstore(tmp_path_factory):
    st = staged_store(tmp_path_factory, "claims-testset", TESTSET_SOURCES)
    yield st
    st.close()


def test_testset_shape():
    rows = load()
    checkable = [r for r in rows if r["truth"] in ("true", "false")]
    assert len(checkable) >= 150 and len(rows) - len(checkable) >= 30
    assert abs(sum(r["truth"] == "true" for r in checkable) / len(checkable) - 0.5) < 0.1
    assert all(r["value"] and r["rows"] for r in checkable)
    assert {r["split"] for r in rows} == {"tune", "test"}
    test = [r for r in rows if r["split"] == "test"]
    held = [r for r in test if r["truth"] in ("true", "false")]
    assert len(held) >= 60 and len(test) - len(held) >= 10
    assert abs(sum(r["truth"] == "true" for r in held) / len(held) - 0.5) < 0.1
    tune = {r["statement"] for r in rows if r["split"] == "tune"}
    assert not tune & {r["statement"] for r in test}  # no statement in both splits


def test_test_split_above_floor(tstore):
    s = score(tstore, load("test"))
    assert s.right >= RIGHT_FLOOR * s.checkable_total, s.misses
    assert s.not_checkable_right >= NOT_CHECKABLE_FLOOR * s.not_checkable_total, s.misses
    assert s.false_off == 0, [m for m in s.misses if m[1] == "true"]  # no true statement called off or contradicted


def test_press_reported_figures_are_shown_as_reported(tmp_path_factory):
    st = staged_store(tmp_path_factory, "claims-reported", ["country_codes", "press_reported_figures_china_russia"])
    try:
        got = {}
        for text in ("Trade between China and Russia reached USD 245 billion in 2024.",
                     "Trade between China and Russia reached USD 300 billion in 2024."):
            vs = [v for v in check_text(text, st, fmt="text").verdicts if v.claim.kind != "date"]
            assert len(vs) == 1
            got[text] = vs[0]
        ok, off = got.values()
        assert ok.verdict == "holds" and off.verdict == "off"
        for v in (ok, off):
            assert "not measured" in v.reason  # said as quoted or reported, never as measured
            assert all(e.fact for e in v.evidence)  # printed figures (press, curated), never measurements
            press = [e for e in v.evidence if e.source == "press_reported_figures_china_russia"]
            assert press and press[0].view.startswith("as reported by bne.eu") and press[0].value == pytest.approx(244.81e9)
    finally:
        st.close()
