"""``dyadic coverage``: which input reaches which year for a pair, on the staged obligations and rivalries."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from conftest import staged_store
from typer.testing import CliRunner

from dyadic.cli import app

SOURCES = ["country_codes", "alliances_atop_levels", "treaties_after_sources", "strategic_rivalries_td"]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    st = staged_store(tmp_path_factory, "coverage", SOURCES)
    st.close()  # the command opens it read-only
    return st.path


def coverage(store, *argv) -> pd.DataFrame:
    r = CliRunner().invoke(app, ["coverage", *argv, "--store", str(store), "-f", "csv"])
    assert r.exit_code == 0, r.output
    return pd.read_csv(io.StringIO(r.stdout))


def test_each_input_says_its_last_year(store):
    df = coverage(store, "USA", "GBR", "--from", "2000", "--to", "2025")
    assert set(df.pair) == {"USA-GBR"}  # in the order asked
    oblig = df[df.source.str.contains("alliances_atop_levels")].iloc[0]
    assert oblig.last_year == 2025  # NATO, carried past ATOP's last year
    rival = df[df.source == "strategic_rivalries_td"].iloc[0]
    assert rival.first_year == 2000 and rival.last_year == 2010  # 0 inside Thompson-Dreyer's years, unknown after
    lacking = df[df.source.str.startswith("not ingested")].source.iloc[0]
    assert "unga" in lacking and "trade" in lacking and "rivalries" not in lacking


def test_third_party_adds_its_two_pairs(store):
    df = coverage(store, "CHN", "RUS", "--third", "USA", "--from", "2015", "--to", "2024")
    assert list(dict.fromkeys(df.pair)) == ["CHN-RUS", "CHN-USA", "RUS-USA"]


def test_the_same_state_twice_is_refused(store):
    r = CliRunner().invoke(app, ["coverage", "CHN", "China", "--store", str(store)])
    assert r.exit_code == 2 and "same state" in r.output
