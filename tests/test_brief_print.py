"""The brief as a product (issue 17): any pair, bottom line first, one source line per dataset; and as a printed
product, on a store with every source it reads: at most ten A4 pages with nothing past the margin, a self-check that finds the brief agreeing with itself, a JSON export that carries
every number with its source and year, and no China–Russia material in another pair's brief.

The store is the session's brief store (conftest ``brief_store``: the staged data, prepared once), or a copy of
``DYADIC_BRIEF_TEST_STORE`` when that names a store already holding the sources (it is never written).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

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
CHROMIUM = os.environ.get("DYADIC_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
#: dates only a China–Russia brief tests or shows (its curated dates and Lo's shock dates).
CHN_RUS_ONLY = ["2019-06-05", "2022-02-04", "2023-03-21", "2024-05-16", "2025-05-08", "2022-02-24", "2025-01-20"]
MAX_PAGES = 10


@pytest.fixture(scope="module")
def full_store(brief_store, tmp_path_factory) -> Path:
    """A store file holding every source the brief reads (the session's prepared brief store), or a copy of
    ``DYADIC_BRIEF_TEST_STORE`` when that names one."""
    given = os.environ.get("DYADIC_BRIEF_TEST_STORE")
    if given:
        tmp = tmp_path_factory.mktemp("brief-full")
        shutil.copy(given, tmp / "full.duckdb")
        return tmp / "full.duckdb"
    return brief_store


@pytest.fixture(scope="module")
def printed(full_store, tmp_path_factory) -> Path:
    """The folder holding both briefs, printed to PDF."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is needed at {CHROMIUM} to print the brief (apt-get install chromium)")
    out = tmp_path_factory.mktemp("brief-print")
    r = runner.invoke(app, ["prepare", "--store", str(full_store)])
    assert r.exit_code == 0, r.output
    for args in (["CHN", "RUS", "--third", "USA"], ["IND", "PAK", "--third", "CHN"]):
        r = runner.invoke(app, ["brief", *args, "--pdf", "--no-ingest", "--out", str(out), "--store", str(full_store)])
        assert r.exit_code == 0, r.output
        # the all-dyad products come from 'dyadic prepare': the brief only reads them
        assert "shared product" not in r.output, r.output
    return out


def test_prepare_computes_each_product_once(full_store, printed):
    """After the briefs, every registered product is kept: a second 'dyadic prepare' computes nothing."""
    from dyadic.framework import prepare_order
    from dyadic.report.prepare import prepare

    with Store.open(full_store, read_only=True) as st:
        done = prepare(st)
    assert [d.name for d in done] == prepare_order()
    assert all(d.status == "kept" and d.computed == 0 for d in done), done


@pytest.mark.parametrize("stem", ["brief-CHN-RUS-USA", "brief-IND-PAK-CHN"])
def test_prints_in_at_most_ten_pages_inside_the_margins(printed, stem):
    pdf = printed / f"{stem}.pdf"
    pages = pdf_pages(pdf)
    assert 1 <= pages <= MAX_PAGES, f"{pdf.name}: {pages} pages (at most {MAX_PAGES})"
    # Every word's box inside the page: the printable area is the page less the @page margins (11 mm each side;
    # 1 mm of slack for glyph overhang).
    box = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    width = float(re.search(r'<page width="([\d.]+)"', box).group(1))
    margin = 11 / 25.4 * 72 - 72 / 25.4
    outside = [(m.group(3), float(m.group(1)), float(m.group(2)))
               for m in re.finditer(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', box)
               if float(m.group(1)) < margin or float(m.group(2)) > width - margin]
    assert not outside, f"{pdf.name}: words past the margin: {outside[:10]}"
    # Charts stay vector: Chromium embeds no raster image for an inline SVG.
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(images.strip().splitlines()) <= 2, f"{pdf.name}: raster images in the PDF:\n{images}"


def test_every_table_fits_the_printed_width(printed):
    """Measured in the browser with print styles at the A4 printable width: no table (nor chart) is wider than
    the page, and no cell's content overflows its table."""
    from playwright.sync_api import sync_playwright

    printable = round((210 - 22) / 25.4 * 96)  # CSS pixels across A4 less the margins
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = b.new_page(viewport={"width": printable, "height": 1200})
        page.emulate_media(media="print")
        for stem in ("brief-CHN-RUS-USA", "brief-IND-PAK-CHN"):
            page.goto((printed / f"{stem}.html").resolve().as_uri())
            wide = page.evaluate("""(w) => [...document.querySelectorAll('table, td, th, .chart svg')]
                .filter(t => t.getClientRects().length)
                .map(t => ({what: t.tagName + '.' + (t.className.baseVal ?? t.className),
                            caption: (t.closest('details')?.querySelector('summary')?.textContent || '').slice(0, 60),
                            right: t.getBoundingClientRect().right, scroll: t.scrollWidth, client: t.clientWidth}))
                .filter(t => t.right > w + 1 || t.scroll > t.client + 1)""", printable)
            assert not wide, f"{stem}: wider than the printed page: {wide}"
        b.close()


def test_self_check_finds_zero_disagreements(printed):
    man = json.loads((printed / "brief-CHN-RUS-USA.manifest.json").read_text())
    check = man["self_check"]
    assert check["figures"] >= 50, check
    assert check["disagreements"] == 0, check
    html = (printed / "brief-CHN-RUS-USA.html").read_text()
    appendix = html[html.index('id="q6"'):html.index('id="method"')]
    assert "<strong>0 disagreements</strong>" in appendix
    assert appendix.count("<td>holds</td>") == check["figures"]  # the trace table: one checked row per figure


def test_json_export_carries_every_number_with_source_and_year(printed):
    man = json.loads((printed / "brief-CHN-RUS-USA.manifest.json").read_text())
    html = (printed / "brief-CHN-RUS-USA.html").read_text()
    held = {s["name"] for s in man["sources"]} | {"ideal_points", "drivers (dyadic/data/drivers.toml inputs)",
                                                 "drivers inputs"}
    for f in man["figures"]:
        for field in ("text", "value", "measure", "source", "year", "rows"):
            assert f.get(field) not in (None, ""), f"manifest figure lacks '{field}': {f}"
        named = {s.strip() for s in f["source"].split(",")}
        assert named <= held, f"figure {f['text']} ({f['measure']}) names sources the store does not hold: {named - held}"
        assert f["text"] in html, f"figure {f['text']} ({f['measure']}) is not printed in the brief"
    measures = {f["measure"] for f in man["figures"]}
    assert {"unga_agreement", "p_continuity_10y", "ideal_point"} <= measures, measures
    assert [a["number"] for a in man["bottom_line"]] == [1, 2, 3, 4, 5]


def test_honest_precision(printed):
    html = (printed / "brief-CHN-RUS-USA.html").read_text()
    text = re.sub(r"<[^>]+>", "", html[html.index('id="bottom-line"'):html.index('id="evidence"')])
    for lo, hi in re.findall(r"(\d+)%\s*[–-]\s*(\d+)%", text):
        assert lo != hi, f"an interval that rounds to one value: {lo}%–{hi}%"
    probs = [int(x) for x in re.findall(r"(?:continuity|alliance|degradation|conflict) (\d+)%", text)]
    assert probs and all(p % 5 == 0 for p in probs), probs  # to the nearest 5 points, as the rules say
    assert "the reference-class base rate, which beat" in text or "the AR(1) model, which beat" in text
    assert "points, so by the rule" in text  # a difference of two shares is in percentage points
    assert text.count("Not measured for question") <= 5


def test_other_pair_carries_nothing_of_china_russia(printed):
    html = (printed / "brief-IND-PAK-CHN.html").read_text()
    assert "Bobo Lo" not in html and "No paper profile for this pair" in html
    for quote in packaged_csv("paper_claims.csv").quote:
        assert quote not in html
    for d in CHN_RUS_ONLY:
        assert d not in html, d
    man = json.loads((printed / "brief-IND-PAK-CHN.manifest.json").read_text())
    assert man["self_check"]["disagreements"] == 0, man["self_check"]


def test_self_check_catches_a_brief_that_disagrees_with_itself(printed):
    """The check is not vacuous: the real figures against a text where one of them reads otherwise."""
    from dyadic.report.trace import Figure, self_check

    man = json.loads((printed / "brief-CHN-RUS-USA.manifest.json").read_text())
    figures = [Figure(**f) for f in man["figures"]]
    prose = {q: " ".join(f.text for f in figures if f.question == q) for q in {f.question for f in figures}}
    assert self_check(figures, prose) == []
    first = figures[0]
    prose[first.question] = prose[first.question].replace(first.text, "99.9%")
    twin = Figure(**{**man["figures"][0], "text": "99.9%"})
    bad = self_check([*figures, twin], prose)
    assert {d.figure.text for d in bad} >= {first.text, "99.9%"}, bad


# ------------------------------------------------------------------- the brief as a product

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
