"""The brief as a product (issue 17): any pair, bottom line first, one source line per dataset, prints."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from typer.testing import CliRunner

from dyadic.cli import app
from dyadic.report.brief import pdf_pages
from dyadic.report.events_section import key_dates
from dyadic.report.futures_section import signpost_name
from dyadic.report.papers import LO_2025, profile_for
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

runner = CliRunner()
#: dates only a China–Russia brief should test or show (its curated dates and Lo's shock dates).
CHN_RUS_ONLY = ["2019-06-05", "2022-02-04", "2023-03-21", "2024-05-16", "2025-05-08", "2022-02-24", "2025-01-20"]


def _brief(store_path, out, *args: str) -> str:
    r = runner.invoke(app, ["brief", *args, "--out", str(out), "--no-ingest", "--store", str(store_path)])
    assert r.exit_code == 0, r.output
    stem = "brief-" + "-".join(a for a in args if not a.startswith("--"))
    return (out / f"{stem}.html").read_text()


@pytest.fixture(scope="module")
def briefs(brief_store, tmp_path_factory):
    out = tmp_path_factory.mktemp("briefs")
    return out, {"lo": _brief(brief_store, out, "CHN", "RUS", "--third", "USA"),
                 "ind": _brief(brief_store, out, "IND", "PAK", "--third", "CHN")}


def test_profiles_bind_to_their_pair():
    assert profile_for("RUS", "CHN", "USA") is LO_2025 and profile_for("CHN", "RUS", None) is LO_2025
    assert profile_for("IND", "PAK", "CHN") is None and profile_for("CHN", "RUS", "IND") is None


def test_key_dates_cover_many_pairs_with_citations():
    kd = packaged_csv("key_dates.csv")
    pairs = {p for s in kd.pair for p in s.split(";")}
    assert len(kd) >= 60 and len(pairs) >= 25
    assert kd.citation.str.len().min() > 20
    ind = key_dates("0000-01-01", "9999-12-31", [("PAK", "IND")])
    assert len(ind) >= 5 and set(ind.pair) == {"IND-PAK"}


def test_named_signposts_only_for_their_triad():
    name = "Russia-USA thaw in UN voting (agreement percentile)"
    assert signpost_name(name, "RUS–USA", {}) == name
    other = signpost_name(name, "PAK–CHN", {"PAK": "Pakistan", "CHN": "China"})
    assert "Russia" not in other and other.startswith("Pakistan–China thaw")


def test_other_pair_grades_no_paper(briefs):
    html = briefs[1]["ind"]
    for quote in packaged_csv("paper_claims.csv").quote:
        assert quote not in html
    assert "Bobo Lo" not in html and "No paper profile for this pair" in html
    for d in CHN_RUS_ONLY:
        assert d not in html, d
    assert "Russia-USA thaw" not in html and "24 February 2022" not in html


def test_lo_brief_starts_with_the_bottom_line(briefs):
    out, b = briefs
    html = b["lo"]
    assert "Paper profile: Bobo Lo (2025)" in html
    assert html.index('id="bottom-line"') < html.index('id="q1"') < html.index('id="evidence"') \
        < html.index('id="sources"')
    bottom = html[html.index('id="bottom-line"'):html.index('id="q1"')]
    items = re.findall(r"<li><strong>\d\..*?</li>", bottom, re.S)
    assert len(items) == 5
    for it in items:
        assert re.search(r"\b(19|20)\d\d\b", it) or "cannot tell" in it, it
        assert "confidence:" in it
    assert len(re.findall(r"<ol>.*?</ol>", bottom, re.S)) == 1
    assert html.count('class="missing">Not yet measured') <= 5  # one list per question, not one box per item


def test_sources_one_line_per_dataset_and_manifest(briefs, brief_store):
    out, b = briefs
    html = b["lo"]
    table = html[html.index('<table class="sources">'):]
    table = table[:table.index("</table>")]
    with Store.open(brief_store, read_only=True) as st:
        held = list(st.sources().name)
    from dyadic.report.brief import NEEDS

    used = [n for n in NEEDS if n in held]
    assert table.count("<tr>") == len(used) + 1  # header + one per dataset
    assert not re.search(r"[0-9a-f]{12}…", html)  # no checksums in the brief
    man = json.loads((out / "brief-CHN-RUS-USA.manifest.json").read_text())
    assert {s["name"] for s in man["sources"]} == set(used)
    files = [f for s in man["sources"] for f in s["files"]]
    assert files and all(f["checksum"] and f["algorithm"] in ("sha256", "blake3", "bytes") for f in files)


def test_sources_files_lists_checksums(brief_store):
    r = runner.invoke(app, ["sources", "--files", "--store", str(brief_store)])
    assert r.exit_code == 0, r.output
    assert "un_votes.rda" in r.output and "sha256" in r.output


@pytest.mark.skipif(not shutil.which("chromium"), reason="Chromium is not installed")
def test_pdf_prints_with_a_page_count(brief_store, tmp_path):
    r = runner.invoke(app, ["brief", "CHN", "RUS", "--third", "USA", "--out", str(tmp_path), "--no-ingest", "--pdf",
                            "--store", str(brief_store)])
    assert r.exit_code == 0, r.output
    pdf = tmp_path / "brief-CHN-RUS-USA.pdf"
    pages = pdf_pages(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-" and 1 <= pages <= 30
    assert f"({pages} pages)" in " ".join(r.output.split())


def test_paper_file_statements_are_checked(brief_store, tmp_path):
    """--paper takes any text: its statements are extracted and those tied to a measure are judged."""
    paper = tmp_path / "note.md"
    paper.write_text("# A note on China and Russia\n\nIn 2015, China and Russia voted alike on 90% of the UN General "
                     "Assembly roll calls on which both voted. Their friendship is deep.\n")
    r = runner.invoke(app, ["brief", "CHN", "RUS", "--out", str(tmp_path), "--no-ingest", "--paper", str(paper),
                            "--store", str(brief_store)])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "brief-CHN-RUS.html").read_text()
    part = html[html.index('id="paper-file"'):html.index('id="evidence"')]
    assert "note.md" in part
    rows = re.findall(r"<tr><td>\d+</td><td>([^<]+)</td><td>([^<]+)</td>", part)
    assert rows, part[:2000]
    judged = [v for v, _ in rows if v in ("holds", "off", "contradicted", "no data")]
    assert judged and any("90%" in s for _, s in rows), rows


def test_web_page_shows_the_briefs_findings(brief_store, tmp_path):
    """The pair's web sections and the HTML brief state the same findings for the same pair."""
    import html as htmlmod

    from fastapi.testclient import TestClient

    from dyadic.web import create_app

    brief = _brief(brief_store, tmp_path, "CHN", "RUS", "--third", "USA")
    with TestClient(create_app(brief_store, warm=False, page_wait=300, api_wait=300)) as client:
        doc = client.get("/api/v1/pairs/CHN/RUS/sections", params={"third": "USA"}).json()
        page = client.get("/pair/CHN/RUS", params={"third": "USA"}).text
    found = [f for s in doc["sections"] for f in s["findings"]]
    assert found
    def plain(x: str) -> list[str]:
        return htmlmod.unescape(re.sub(r"<[^>]+>|\s+", " ", x)).split()

    brief_text, page_text = " ".join(plain(brief)), " ".join(plain(page))
    for f in found:
        assert " ".join(plain(f)) in brief_text, f"in the web sections, not in the brief: {f[:120]}"
        assert " ".join(plain(f)) in page_text, f"in the web sections, not on the pair page: {f[:120]}"
