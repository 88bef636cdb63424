"""The JSON API and pages answer what the CLI answers, with the same provenance, on the real UN vote data."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from web_support import blocking_app, web_store

import dyadic
from dyadic.indicators.unga import VoteSelection, dyad_years
from dyadic.report.brief import build_sections
from dyadic.store import Store

PROVENANCE_FIELDS = {"name", "title", "version", "rows", "citation", "licence", "homepage", "files", "ingested_at",
                     "unmapped"}


@pytest.fixture(scope="module")
def store_path():
    return web_store("unga")


@pytest.fixture(scope="module")
def client(store_path):
    app = blocking_app(store_path)
    with TestClient(app) as c:
        yield c


def test_state_search_by_code_name_and_misspelling(client):
    hits = client.get("/api/v1/states", params={"q": "CHN"}).json()["states"]
    assert hits[0]["code"] == "CHN"
    hits = client.get("/api/v1/states", params={"q": "russ"}).json()["states"]
    assert hits[0]["code"] == "RUS"
    near = client.get("/api/v1/states", params={"q": "Rusia"}).json()["states"]
    assert "RUS" in [s["code"] for s in near]
    assert client.get("/api/v1/states/Russia").json()["code"] == "RUS"


def test_unknown_state_suggests_nearest_names(client):
    r = client.get("/api/v1/unga/pairs/Chnia/RUS")
    assert r.status_code == 404
    assert r.json()["error"] == "unknown_state"
    assert "CHN (China)" in r.json()["detail"]
    page = client.get("/pair/Chnia/RUS")
    assert page.status_code == 404 and "CHN (China)" in page.text


def test_pair_series_matches_the_python_api_and_cli_fields(client, store_path):
    r = client.get("/api/v1/unga/pairs/China/RUS", params={"start": 2000, "end": 2012})
    assert r.status_code == 200
    doc = r.json()
    got = pd.DataFrame(doc["rows"])
    want = dyadic.unga("CHN", "RUS", 2000, 2012, store=store_path)
    assert list(got.columns) == list(want.columns)
    assert got.year.tolist() == want.year.tolist()
    for col in ("n", "agree_n"):
        assert got[col].tolist() == want[col].astype(int).tolist()
    for col in ("agree", "s", "pi", "agree_pct"):
        assert got[col].to_numpy() == pytest.approx(want[col].to_numpy(), nan_ok=True)
    assert got.source.tolist() == want.source.tolist()
    assert {p["name"] for p in doc["provenance"]} >= set(got.source)
    for p in doc["provenance"]:
        assert PROVENANCE_FIELDS <= set(p)
        assert all(f["algorithm"] == "sha256" and len(f["checksum"]) == 64 for f in p["files"])


def test_year_slices_paginate_over_every_dyad(client, store_path):
    year, per_page = 2020, 1000
    seen, url, pages = [], "/api/v1/unga/dyads", 0
    params = {"year": year, "per_page": per_page}
    while url:
        doc = client.get(url, params=params).json()
        params = None  # the next link carries them
        seen += [(r["a"], r["b"]) for r in doc["rows"]]
        url = doc["next"]
        pages += 1
        assert pages <= doc["pages"]
    with Store.open(store_path, read_only=True) as st:
        want = dyad_years(st, VoteSelection(start=year, end=year))
    assert len(seen) == len(set(seen)) == doc["total"] == len(want)
    assert set(seen) == set(zip(want.a.astype(str), want.b.astype(str)))
    assert doc["provenance"][0]["name"] == "unga_unsc_votes_undl_scrape"


def test_year_slice_filters_and_orders(client, store_path):
    doc = client.get("/api/v1/unga/dyads", params={"year": 2015, "state": "China", "order": "-agree",
                                                   "per_page": 500}).json()
    assert doc["total"] > 100 and all("CHN" in (r["a"], r["b"]) for r in doc["rows"])
    agree = [r["agree"] for r in doc["rows"]]
    assert agree == sorted(agree, reverse=True)
    pair = dyadic.unga("CHN", "RUS", 2015, 2015, store=store_path)
    row = next(r for r in doc["rows"] if {r["a"], r["b"]} == {"CHN", "RUS"})
    assert row["agree"] == pytest.approx(pair.agree.iloc[0]) and row["n"] == pair.n.iloc[0]


def test_sections_are_the_briefs(client, store_path):
    doc = client.get("/api/v1/pairs/CHN/RUS/sections", params={"third": "USA"}).json()
    with Store.open(store_path, read_only=True) as st:
        reg = st.registry()
        want, coverage = build_sections(st, "CHN", "RUS", "USA", {x: reg.name(x) for x in ("CHN", "RUS", "USA")})
    assert [s["title"] for s in doc["sections"]] == [s.title for s in want]
    assert [len(s["findings"]) for s in doc["sections"]] == [len(s.findings) for s in want]
    assert doc["coverage"]["unga_years"] == list(coverage["unga_years"])
    charted = [c for s in doc["sections"] for c in s["charts"]]
    assert len(charted) == sum(len(s.charts) for s in want) >= 1


def test_chart_specs_carry_source_tooltips_and_downloads_match(client):
    doc = client.get("/api/v1/pairs/CHN/RUS/charts", params={"third": "USA"}).json()
    chart = next(c for c in doc["charts"] if c["title"].startswith("UN General Assembly"))
    spec = chart["spec"]
    assert "vega-lite" in spec["$schema"]
    tooltips = [u["encoding"]["tooltip"] for u in spec["layer"] if "tooltip" in u.get("encoding", {})]
    assert tooltips and "source" in [t["field"] for t in tooltips[0]]
    base = f"/api/v1/pairs/CHN/RUS/charts/{chart['id']}/data"
    csv = pd.read_csv(io.StringIO(client.get(base, params={"third": "USA"}).text))
    rows = max(spec["datasets"].values(), key=len)
    assert len(csv) == len(rows) and set(csv.dyad) == {"CHN–RUS", "CHN–USA", "RUS–USA"}
    pq = client.get(base, params={"third": "USA", "format": "parquet", "start": 2000, "end": 2010})
    assert pq.headers["content-disposition"].endswith('2000-2010.parquet"')
    part = pd.read_parquet(io.BytesIO(pq.content))
    assert part.year.between(2000, 2010).all()
    assert len(part) == csv.year.between(2000, 2010).sum()


def test_html_brief_download(client):
    r = client.get("/pair/CHN/RUS/brief.html", params={"third": "USA"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="brief-CHN-RUS-USA.html"'
    assert "<svg" in r.text and "<h2>Sources</h2>" in r.text


def test_pages_and_redirects(client):
    start = client.get("/")
    assert start.status_code == 200 and '<option value="CHN">China</option>' in start.text
    r = client.get("/pair", params={"a": "china", "b": "Russia", "third": "usa"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/pair/CHN/RUS?third=USA"
    page = client.get("/pair/CHN/RUS", params={"third": "USA"})
    assert page.status_code == 200
    assert 'data-chart-id="2-0"' in page.text and "China – Russia" in page.text
    bad = client.get("/pair", params={"a": "CHN", "b": "Narnia"})
    assert bad.status_code == 404 and "unknown country" in bad.text and 'value="Narnia"' in bad.text


def test_pair_without_shared_votes_says_so(client, store_path):
    with Store.open(store_path, read_only=True) as st:
        voters = set(st.con.execute("SELECT DISTINCT code FROM votes").df().code)
        states = set(st.registry().states.code)
    silent = sorted(states - voters)[0]
    doc = client.get(f"/api/v1/unga/pairs/{silent}/USA").json()
    assert doc["count"] == 0 and "no roll call" in doc["note"]
    page = client.get(f"/pair/{silent}/USA")
    assert page.status_code == 200 and "No UN General Assembly roll call is recorded" in page.text


def test_missing_sources_say_what_to_ingest():
    app = blocking_app(web_store("registry"))
    with TestClient(app) as c:
        r = c.get("/api/v1/unga/pairs/CHN/RUS")
        assert r.status_code == 409
        assert "run 'dyadic ingest" in r.json()["detail"] and "unvotes_voeten_2019" in r.json()["detail"]
        page = c.get("/pair/CHN/RUS")
        assert page.status_code == 409 and "dyadic ingest" in page.text
        missing = {m["name"]: m["ingest"] for m in c.get("/api/v1/sources").json()["missing"]}
        assert missing["unvotes_voeten_2019"] == "dyadic ingest unvotes_voeten_2019"


def test_server_is_read_only_and_caches(client, store_path):
    svc = client.app.state.service
    assert svc.store.read_only
    with pytest.raises(Exception):
        svc.store.con.execute("CREATE TABLE intruder (i INTEGER)")
    client.get("/api/v1/pairs/CHN/RUS/charts")
    first = svc.pairs.get(("CHN", "RUS", None))
    client.get("/api/v1/pairs/China/Russia/charts")
    assert svc.pairs.get(("CHN", "RUS", None)) is first


def test_openapi_document_lists_the_api(client):
    doc = client.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/states", "/api/v1/unga/pairs/{a}/{b}", "/api/v1/unga/dyads",
                 "/api/v1/pairs/{a}/{b}/sections", "/api/v1/pairs/{a}/{b}/charts/{chart_id}/data", "/api/v1/sources"):
        assert path in doc["paths"]
    assert not any(p.startswith("/pair") for p in doc["paths"])


def test_serve_command_is_registered():
    from typer.testing import CliRunner

    from dyadic.cli import app
    from dyadic.cli.serve import is_loopback

    out = CliRunner().invoke(app, ["serve", "--help"]).output
    assert "--host" in out and "--port" in out and "--store" in out
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")


def test_ambiguous_names_offer_a_choice(client):
    page = client.get("/pair", params={"a": "Korea", "b": "CHN"}, follow_redirects=False)
    assert page.status_code == 422 and "PRK" in page.text and "KOR" in page.text and "use a code" in page.text
    api = client.get("/api/v1/pairs/Congo/FRA/sections")
    assert api.status_code == 422 and api.json()["error"] == "ambiguous_state"
    assert "COD" in api.json()["detail"] and "COG" in api.json()["detail"]
    same = client.get("/api/v1/pairs/CHN/China/charts")
    assert same.status_code == 422 and "same state" in same.json()["detail"]
