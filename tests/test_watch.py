"""``dyadic watch`` on a store of staged sources: the first run is the baseline, an unchanged rerun reports
nothing (exit 0), a threshold crossed or a new change point is reported with before and after (exit 1),
every run is kept in ``watch_runs``, and a bad watch file or a failing evaluation writes nothing (exit 2)."""

from __future__ import annotations

import json

import pytest
from conftest import UNGA_SOURCES, staged_store
from typer.testing import CliRunner

from dyadic.errors import RequestError
from dyadic.report.watch import (
    HISTORY_TABLE,
    changes,
    evaluate,
    load_watchlist,
    previous_run,
    watch,
)

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

WATCH = """name = "test"
[[pair]]
a = "China"
b = "RUS"
third = "USA"
[thresholds]
indicators = ["unga_agree"]
{extra}
"""


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    st = staged_store(tmp_path_factory, "watch", [*UNGA_SOURCES, "alliances_atop_cow"])
    path = st.path
    st.close()
    return path


def write(tmp_path, extra: str = "", name: str = "watch.toml"):
    p = tmp_path / name
    p.write_text(WATCH.format(extra=extra))
    return p


def runs(path) -> list[tuple[int, int]]:
    from dyadic.store import Store

    with Store.open(path, read_only=True) as st:
        if not st.has_table(HISTORY_TABLE):
            return []
        return st.con.execute(f"SELECT run, count(*) FROM {HISTORY_TABLE} GROUP BY run ORDER BY run").fetchall()


def cli(*args):
    from dyadic.cli import app, console, out

    for c in (out, console):
        c.width = 300
    return CliRunner().invoke(app, ["watch", *map(str, args)])


def test_watch_runs_compare_and_keep_history(store_path, tmp_path):
    # first run: the baseline, nothing to compare with
    res = cli(write(tmp_path), "--store", store_path)
    assert res.exit_code == 0, res.output
    assert "first run" in res.output and "signpost" in res.output and "CHN–RUS" in res.output
    first = runs(store_path)
    assert [r for r, _ in first] == [1] and first[0][1] > 3

    # the same data and thresholds again: nothing changed
    res = cli(write(tmp_path), "--store", store_path)
    assert res.exit_code == 0 and "nothing changed" in res.output, res.output

    # a threshold above the pair's current percentile: the signpost is crossed, shown before -> after; a
    # lower change-point penalty finds breaks the last run did not: shocks detected
    res = cli(write(tmp_path, "unga_pct = 99.0\nbreak_beta = 0.05"), "--store", store_path, "--format", "json")
    assert res.exit_code == 1, res.output
    body = json.loads(res.output)
    assert body["run"] == 3 and body["previous_run"] == 2 and body["changed"]
    crossed = [c for c in body["changes"] if c["change"] == "signpost crossed"]
    assert len(crossed) == 1 and crossed[0]["before"] == "not crossed" and crossed[0]["after"] == "crossed"
    assert "below 99" in crossed[0]["detail"] and "[CHN–RUS]" in crossed[0]["item"]
    shocks = [c for c in body["changes"] if c["change"] == "shock detected"]
    assert shocks and all(c["item"].startswith("unga_agree break ") and c["before"] == "" for c in shocks)
    assert [r for r, _ in runs(store_path)] == [1, 2, 3]

    # --dry-run compares but keeps nothing
    res = cli(write(tmp_path), "--store", store_path, "--dry-run")
    assert res.exit_code == 1 and "signpost no longer crossed" in res.output, res.output
    assert [r for r, _ in runs(store_path)] == [1, 2, 3]


def test_label_change_is_reported_with_before_and_after(store_path, tmp_path):
    from dyadic.store import Store

    with Store.open(store_path, read_only=True) as st:
        run, now = previous_run(st, "test")  # the findings of the last kept run (evaluated when absent)
        if run is None:
            now = evaluate(st, load_watchlist(write(tmp_path)))
    label = now[now.kind == "label"]
    assert list(label.item) == ["nature"]
    before = now.copy()
    before.loc[before.kind == "label", "value"] = "rivalry"
    diff = changes(before, now)
    assert list(diff.change) == ["label changed"]
    assert diff.iloc[0].before == "rivalry" and diff.iloc[0].after == label.iloc[0].value
    assert changes(now, now).empty


@pytest.mark.parametrize("text, expect", [
    ("[[pair]]\na = \"CHN\"\n", "[[pair]] number 1 needs"),
    ("name = 1\n[[pair\n", "not valid TOML"),
    ("[[pair]]\na = \"CHN\"\nb = \"RUS\"\n[thresholds]\nunga_pct = \"high\"\n", "[thresholds] unga_pct"),
    ("", "no [[pair]] entries"),
])
def test_bad_watch_file_is_named_and_writes_nothing(store_path, tmp_path, text, expect):
    p = tmp_path / "bad.toml"
    p.write_text(text)
    with pytest.raises(RequestError, match=expect.replace("[", r"\[")):
        load_watchlist(p)
    before = runs(store_path)
    res = cli(p, "--store", store_path)
    assert res.exit_code == 2 and "bad.toml" in res.output
    assert runs(store_path) == before


def test_a_failing_evaluation_keeps_no_run(store_path, tmp_path):
    from dyadic.store import Store

    before = runs(store_path)
    wl = load_watchlist(write(tmp_path))
    wl.indicators = ("no_such_indicator",)
    with Store.open(store_path) as st, pytest.raises(RequestError, match="unknown indicator"):
        watch(st, wl)
    assert runs(store_path) == before
    res = cli(tmp_path / "missing.toml", "--store", store_path)
    assert res.exit_code == 2 and "no such watch file" in res.output
