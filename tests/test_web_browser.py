"""End to end in headless Chromium (Debian's package) against a `dyadic serve` started on a free loopback port:
the China–Russia page draws its charts without console errors, the pair and the year range change, a CSV
download matches the API. Screenshots go to tests/artifacts/."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest
from web_support import served, web_store

pytestmark = pytest.mark.slow  # real-data integration: '-m "not slow"' runs the unit tests

CHROMIUM = os.environ.get("DYADIC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parent / "artifacts"
INSTALL = "apt-get update && apt-get install -y chromium chromium-driver"


@pytest.fixture(scope="module")
def server():
    """`dyadic serve` in its own process, as a user starts it."""
    with served(web_store("unga")) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"headless Chromium is needed at {CHROMIUM} for the browser tests: install it with "
                    f"'{INSTALL}' (or set DYADIC_CHROMIUM to its path)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that records console errors, uncaught exceptions and Content-Security-Policy violations."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(120_000)  # a pair not seen before computes its sections first
    pg.set_default_navigation_timeout(120_000)
    pg.problems = []
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(f"console: {m.text}"))
    pg.on("pageerror", lambda e: pg.problems.append(f"page error: {e}"))
    pg.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                       "console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))")
    yield pg
    ctx.close()


UNGA = 'figure.chart[data-chart-id="2-0"]'  # the UN voting chart of question 2


def points(pg) -> int:
    """Data points drawn in the UN voting chart (symbols outside its legend)."""
    return (pg.locator(f"{UNGA} svg .mark-symbol path").count()
            - pg.locator(f"{UNGA} svg .role-legend .mark-symbol path").count())


def until(pg, expression: str, timeout: float) -> None:
    """Wait until a JavaScript expression holds on the page. Playwright's wait_for_function re-evaluates a
    string with eval, which the pages' policy (no 'unsafe-eval') rightly refuses; page.evaluate is not subject
    to it, so poll with that (an error while the page reloads counts as not yet)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if pg.evaluate(expression):
                return
        except Exception:  # noqa: BLE001 - the document was replaced mid-evaluation (a reload)
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for: {expression}")
        time.sleep(0.2)


def charts_drawn(pg, n: int = 1) -> None:
    # A pair not computed yet first shows the progress view, which reloads itself until the pair page comes.
    pg.locator("#pair").wait_for(timeout=180_000)
    until(pg, f"Number(document.getElementById('pair').dataset.chartsReady || 0) >= {n}", 60)
    assert pg.locator("figure.chart .vis svg, figure.chart .vis canvas").count() >= n


def test_china_russia_page_draws_charts(server, page):
    page.goto(f"{server}/pair/CHN/RUS?third=USA")
    charts_drawn(page)
    assert page.locator("h1").inner_text() == "China – Russia"
    assert page.locator("section").count() >= 6  # five questions and the sources
    assert points(page) > 100  # one point per dyad-year
    page.screenshot(path=str(ARTIFACTS / "pair-CHN-RUS-USA.png"), full_page=True)
    # Hovering a point shows its source row.
    mark = page.locator(f"{UNGA} svg .mark-symbol.role-mark path").nth(40)
    mark.scroll_into_view_if_needed()
    box = mark.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    until(page, "(document.getElementById('vg-tooltip-element') || {}).innerText?.includes('source')", 5)
    tip = page.locator("#vg-tooltip-element").inner_text()
    assert "source" in tip and ("unvotes_voeten_2019" in tip or "unga_unsc_votes_undl_scrape" in tip)
    page.locator(UNGA).screenshot(path=str(ARTIFACTS / "chart-tooltip.png"))
    assert page.problems == []


def test_year_range_filters_charts_and_downloads(server, page):
    page.goto(f"{server}/pair/CHN/RUS?third=USA")
    charts_drawn(page)
    before = points(page)
    page.fill("#year-from", "2000")
    page.fill("#year-to", "2010")
    page.click("#years button[type=submit]")
    until(page, "document.getElementById('pair').dataset.yearRange === '2000-2010'", 30)
    charts_drawn(page)
    after = points(page)
    assert after == 3 * 11 < before  # three dyads, eleven years
    assert "start=2000" in page.url and "end=2010" in page.url
    href = page.locator(f"{UNGA} a.dl[data-format=csv]").get_attribute("href")
    assert "start=2000" in href and "end=2010" in href
    page.screenshot(path=str(ARTIFACTS / "pair-CHN-RUS-USA-2000-2010.png"))
    assert page.problems == []


def test_csv_download_matches_the_api(server, page):
    page.goto(f"{server}/pair/CHN/RUS?third=USA&start=1995&end=2024")
    charts_drawn(page)
    with page.expect_download() as info:
        page.locator(f"{UNGA} a.dl[data-format=csv]").click()
    dl = info.value
    csv = pd.read_csv(dl.path())
    assert dl.suggested_filename == "CHN-RUS-USA-chart-2-0-1995-2024.csv"
    api = pd.DataFrame(httpx.get(f"{server}/api/v1/unga/pairs/CHN/RUS", params={"start": 1995, "end": 2024}).json()["rows"])
    mine = csv[csv.dyad == "CHN–RUS"].reset_index(drop=True)
    assert mine.year.tolist() == api.year.tolist() == list(range(1995, 2025))
    assert mine.n.tolist() == api.n.tolist()
    assert mine.agree.to_numpy() == pytest.approx(api.agree.to_numpy())
    assert mine.source.tolist() == api.source.tolist()
    # The brief may still be computing: the progress view reloads the link until the download starts.
    with page.expect_download(timeout=180_000) as info:
        page.locator("#brief-download").click()
    assert info.value.suggested_filename == "brief-CHN-RUS-USA.html"
    assert page.problems == []


def test_changing_the_pair(server, page):
    page.goto(f"{server}/")
    page.screenshot(path=str(ARTIFACTS / "start.png"))
    page.fill("input[name=a]", "China")
    page.fill("input[name=b]", "RUS")
    page.click("form.chooser button[type=submit]")
    page.wait_for_url("**/pair/CHN/RUS")
    charts_drawn(page)
    page.fill("form.chooser input[name=a]", "United States")
    page.fill("form.chooser input[name=b]", "GBR")
    page.fill("form.chooser input[name=third]", "France")
    page.click("form.chooser button[type=submit]")
    page.wait_for_url("**/pair/GBR/USA?third=FRA")  # one page per unordered pair: codes in alphabetical order
    charts_drawn(page)
    assert page.locator("h1").inner_text() == "United Kingdom – United States"
    page.screenshot(path=str(ARTIFACTS / "pair-GBR-USA-FRA.png"))
    page.goto(f"{server}/pair?a=Chnia&b=RUS")
    assert "CHN (China)" in page.locator(".error").inner_text()
    page.screenshot(path=str(ARTIFACTS / "unknown-state.png"))
    assert [p for p in page.problems if "404" not in p] == []  # the unknown-state page itself is a 404
