"""The scored claims test set: the test split's verdicts against truths computed independently from the staged
data (bench/claims_testset_build.py). The floors are a regression guard set a little below the value measured
when they were written (test split: 69/69 right, 21/21 not checkable), not a target."""

import pytest

from conftest import staged_store
from dyadic.framework.claims.testset import TESTSET_SOURCES, load, score

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


def test_test_split_above_floor(tstore):
    s = score(tstore, load("test"))
    assert s.right >= RIGHT_FLOOR * s.checkable_total, s.misses
    assert s.not_checkable_right >= NOT_CHECKABLE_FLOOR * s.not_checkable_total, s.misses
    assert s.false_off == 0, [m for m in s.misses if m[1] == "true"]  # no true statement called off or contradicted
