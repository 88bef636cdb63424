"""The command line: the same numbers as the API, clear errors, and a brief an analyst can read."""

import io
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from dyadic.cli import app
from dyadic.indicators.unga import VoteSelection, pair_series

runner = CliRunner()


@pytest.fixture(scope="module")
def store_args(unga_store):
    return ["--store", str(unga_store.path)]


def test_unga_csv_matches_api(unga_store, store_args):
    r = runner.invoke(app, ["unga", "China", "Russia", "--from", "2015", "--to", "2019", "-f", "csv", *store_args])
    assert r.exit_code == 0, r.output
    df = pd.read_csv(io.StringIO(r.stdout))
    api = pair_series(unga_store, "CHN", "RUS", VoteSelection(start=2015, end=2019))
    assert list(df.year) == list(api.year) == [2015, 2016, 2017, 2018, 2019]
    assert df.agree.tolist() == pytest.approx(api.agree.tolist())
    assert df.loc[df.year == 2019, "agree_n"].item() == 68


def test_unga_json(store_args):
    r = runner.invoke(app, ["unga", "RUS", "USA", "--from", "2022", "--to", "2022", "-f", "json", *store_args])
    assert r.exit_code == 0
    [rec] = json.loads(r.stdout)
    assert rec["a"] == "RUS" and rec["b"] == "USA" and 0 <= rec["agree"] <= 1


def test_unknown_country_is_one_clear_line(store_args):
    r = runner.invoke(app, ["unga", "Chna", "RUS", *store_args])
    assert r.exit_code == 2
    assert "unknown country 'Chna'" in r.output and "CHN" in r.output and "Traceback" not in r.output


def test_bad_option_value(store_args):
    r = runner.invoke(app, ["unga", "CHN", "RUS", "--source", "gallup", *store_args])
    assert r.exit_code == 2 and "source must be" in r.output


def test_store_without_data(tmp_path):
    r = runner.invoke(app, ["unga", "CHN", "RUS", "--store", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2 and "dyadic ingest" in r.output


def test_brief(unga_store, store_args, tmp_path):
    r = runner.invoke(app, ["brief", "CHN", "RUS", "--third", "USA", "--out", str(tmp_path), "--no-ingest", *store_args])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "brief-CHN-RUS-USA.html").read_text()
    for n in range(1, 6):
        assert f'id="q{n}"' in html
    assert html.count("<svg") >= 1 and "http://" not in html.split("<svg", 1)[0].split("<style>")[0]
    assert "Not measured for question" in html  # what a section could not measure is listed with it
    assert "Voeten" in html and "UN Digital Library" in html and "sha256" in html
    # The summary's numbers are the evidence table's numbers.
    latest = pair_series(unga_store, "CHN", "RUS", VoteSelection()).iloc[-1]
    assert f"{100 * latest.agree:.1f}%" in html and f"{int(latest.n)} General Assembly roll calls" in html
    assert re.search(r"The paper \(Executive summary\)", html)
