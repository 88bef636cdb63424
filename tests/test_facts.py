"""The curated facts: every figure is quoted from its cited text, and the table is kept apart from data."""

import os
import re
from pathlib import Path

import pandas as pd
import pytest

from dyadic.config import Settings
from dyadic.errors import SourceFormatError
from dyadic.sources.facts import packaged_facts
from dyadic.store import Store, ingest

from conftest import source_dir

PAPER = "lo-2025-convergence-and-divergence.md"


@pytest.fixture(scope="module")
def fstore(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("facts")
    settings = Settings.resolve(data=source_dir("country_codes").parent, store=tmp / "f.duckdb",
                                cache=tmp / "cache")
    st = Store.open(settings.store_path)
    ingest(st, settings, ["curated_facts"])
    yield st
    st.close()


def paper_text() -> str:
    path = Path(os.environ.get("DYADIC_DATA", "")).parent / "seed" / PAPER
    if not path.is_file():
        pytest.fail(f"the seed paper is needed at {path}")
    return path.read_text(encoding="utf-8")


def test_facts_ingest_with_citations(fstore):
    f = fstore.con.execute("SELECT * FROM facts").df()
    assert len(f) == len(pd.read_csv(packaged_facts()))
    assert f.citation.str.len().min() > 20
    assert f.fact_id.is_unique
    assert set(";".join(f.subject).split(";")) <= {"CHN", "RUS", "USA"}
    # the facts live in their own table, never in a measured one
    assert fstore.con.execute("SELECT tables FROM sources WHERE name='curated_facts'").fetchone()[0] == "facts"


def test_paper_figures_are_quoted_exactly(fstore):
    text = paper_text().replace("\u2011", "-")
    f = fstore.con.execute("SELECT * FROM facts WHERE citation LIKE 'Lo, B. (2025)%'").df()
    assert len(f) >= 10
    for r in f.itertuples():
        if r.unit in ("date", "month"):
            continue
        shown = f"{r.number:,.1f}".removesuffix(".0") if r.number is not None else r.value
        assert re.search(rf"(?<![\d.,]){re.escape(shown)}(?![\d,])", text), f"{r.fact_id}: {shown} not in the paper"
    by = f.set_index("fact_id")
    assert by.loc["cn_ru_trade_2020", "number"] == 104 and by.loc["cn_ru_trade_2024", "number"] == 245
    assert by.loc["ru_trade_share_china_2024", "number"] == 37
    assert by.loc["cn_ru_border_length", "number"] == 4200
    assert by.loc["cn_ru_border_settlement", "period"] == "2004-10"
    assert "October 2004" in text
    for r in f.itertuples():  # every work a citation quotes by title is the one the paper cites
        for title in re.findall(r"'([^']{15,})'", r.citation):
            assert title in text, f"{r.fact_id}: '{title}' is not cited in the paper"


def bad_settings(tmp_path, body: str) -> Settings:
    folder = tmp_path / "data" / "curated_facts"
    folder.mkdir(parents=True)
    (folder / "facts.csv").write_text(body, encoding="utf-8")
    os.symlink(source_dir("country_codes"), tmp_path / "data" / "country_codes")
    return Settings.resolve(data=tmp_path / "data", store=tmp_path / "x.duckdb", cache=tmp_path / "cache")


GOOD = packaged_facts().read_text(encoding="utf-8")


@pytest.mark.parametrize("edit, message", [
    (lambda s: s.replace(",USD bn,", ",,", 1), r"line 2, column 'unit'"),
    (lambda s: s.replace("CHN;RUS,bilateral_trade,2020", "CHN;XYZ,bilateral_trade,2020", 1), r"line 2, column 'subject'"),
    (lambda s: s.replace(",2020,104,", ",2020,a hundred,", 1), r"line 2, column 'value'"),
    (lambda s: s.replace(",2020,104,", ",in 2020,104,", 1), r"line 2, column 'period'"),
    (lambda s: s.replace("fact_id,", "id,", 1), r"missing column\(s\) fact_id"),
])
def test_bad_facts_file_is_named_and_store_unchanged(tmp_path, fstore, edit, message):
    settings = bad_settings(tmp_path, edit(GOOD))
    before = (fstore.checksum("facts"), fstore.checksum("sources"))
    with pytest.raises(SourceFormatError, match=rf"curated_facts/facts.csv: .*{message}|facts.csv: {message}"):
        ingest(fstore, settings, ["curated_facts"], force=True)
    assert (fstore.checksum("facts"), fstore.checksum("sources")) == before
