"""``dyadic update`` on recorded responses, never the network (httpx.MockTransport).

The recordings in tests/fixtures/live/ are written by hand in the services' own formats, trimmed to a few
rows and with invented values (no staged data copied):

- ``dataverse_lejuqz_v36.0.json`` / ``v37.0.json``: the Dataverse native API answer to
  ``GET /api/datasets/:persistentId/?persistentId=doi:10.7910/DVN/LEJUQZ``, laid out as the Dataverse guides'
  "Get JSON Representation of a Dataset" (doc/sphinx-guides/source/api/native-api.rst in IQSS/dataverse)
  and the DataverseDataFile fields rclone decodes (backend/doi/api/dataversetypes.go): ``status``,
  ``data.latestVersion.{versionNumber, versionMinorNumber, versionState, releaseTime, files[].dataFile.{id,
  filename, filesize, originalFileName, originalFileFormat, originalFileSize, md5, checksum}}``. File id
  11824371 is the id public code uses for the ideal-points file of LEJUQZ; the rest (ids, sizes, checksums of
  the codebook and agreement files, the v37.0 release) are invented. The ideal-points file is ingested by
  Dataverse (a ``.tab`` with the Stata original), as in the real dataset.
- ``IdealpointsJuly2025.dta`` / ``IdealpointsJuly2026.dta``: synthetic Stata 118 files with the columns the
  connector reads (four states, invented values), served as ``/api/access/datafile/{id}?format=original``.
- ``worldbank_gdp_*.json``: the World Bank API v2 JSON answer
  ``[{page, pages, per_page, total, sourceid, lastupdated}, [{indicator, country, countryiso3code, date,
  value, unit, obs_status, decimal}, ...]]`` (datahelpdesk.worldbank.org "API Basic Call Structures";
  ``*_head.json`` is the ``per_page=1`` answer), six series (five states and the World aggregate), invented
  values; in the 2026-01-28 recording only the United States has a 2025 value (a partial year).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import httpx
import pytest
from conftest import data_settings
from typer.testing import CliRunner

from dyadic.sources import live
from dyadic.sources.live import LiveClient, UpdateError, retry_after
from dyadic.update import update_source
from dyadic.store import Store, ingest

FIX = Path(__file__).parent / "fixtures" / "live"
IDEAL = "unga_ideal_points_voeten"
GDP = "wb_gdp"
DATASET_URL = "https://dataverse.harvard.edu/api/datasets/:persistentId/"
WB_PATH = "/v2/country/all/indicator/NY.GDP.MKTP.CD"


def recorded(name: str) -> bytes:
    return (FIX / name).read_bytes()


def dataverse(version: str, body: bytes | None = None, file_body: dict[int, bytes] | None = None):
    """A handler answering as Harvard Dataverse does for the recording of ``version``."""
    files = {11824371: recorded("IdealpointsJuly2025.dta"), 13650112: recorded("IdealpointsJuly2026.dta")}
    files.update(file_body or {})

    def handle(request: httpx.Request) -> httpx.Response:
        url = request.url
        if str(url).startswith(DATASET_URL):
            assert url.params["persistentId"] == "doi:10.7910/DVN/LEJUQZ"
            return httpx.Response(200, content=body if body is not None else recorded(f"dataverse_lejuqz_v{version}.json"),
                                  headers={"content-type": "application/json"})
        if url.path.startswith("/api/access/datafile/"):
            assert url.params.get("format") == "original", "the Stata original, not the .tab archival copy"
            return httpx.Response(200, content=files[int(url.path.rsplit("/", 1)[1])],
                                  headers={"content-type": "application/x-stata-14"})
        return httpx.Response(404)

    return handle


def worldbank(updated: str, body: bytes | None = None):
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.url.host == "api.worldbank.org" and request.url.path == WB_PATH
        assert request.url.params["format"] == "json" and request.url.params["date"].startswith("1960:")
        head = request.url.params["per_page"] == "1"
        name = f"worldbank_gdp_{updated}{'_head' if head else ''}.json"
        return httpx.Response(200, content=body if body is not None and not head else recorded(name),
                              headers={"content-type": "application/json;charset=utf-8"})

    return handle


def client(handler, **kw) -> LiveClient:
    return LiveClient(transport=httpx.MockTransport(handler), sleep=lambda s: None, **kw)


@pytest.fixture(scope="module")
def registry_file(tmp_path_factory) -> Path:
    """A store holding only the country registry (from $DYADIC_DATA), copied for each test."""
    settings = data_settings(tmp_path_factory.mktemp("live_registry"))
    with Store.open(settings.store_path) as st:
        ingest(st, settings, ["country_codes"], download=False)
    return settings.store_path


@pytest.fixture
def store(registry_file, tmp_path):
    path = tmp_path / "store.duckdb"
    shutil.copy(registry_file, path)
    with Store.open(path) as st:
        yield st


def row(st: Store, name: str) -> dict:
    df = st.sources()
    return df[df.name == name].iloc[0].to_dict()


def cache_entries(cache: Path, name: str) -> list[str]:
    root = cache / "live" / name
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


# ------------------------------------------------------------------ Dataverse (BSV ideal points)

def test_changed_release_replaces_the_source(store, tmp_path):
    first = update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    assert (first.status, first.release, first.as_of) == ("replaced", "36.0", date(2025, 7, 28))
    before = store.checksum("ideal_points_published")
    assert before[0] == 16  # 4 states x 2021-2024
    rec = row(store, IDEAL)
    assert (rec["version"], rec["release"], str(rec["as_of"])[:10]) == ("36.0", "36.0", "2025-07-28")
    assert rec["url"] == "https://dataverse.harvard.edu/api/datasets/:persistentId/?persistentId=doi:10.7910/DVN/LEJUQZ"
    assert rec["retrieved_at"] is not None
    files = json.loads(rec["files"])
    assert Path(files["IdealpointsJuly2025.dta"]["path"]).is_file()

    second = update_source(store, IDEAL, client(dataverse("37.0")), tmp_path)
    assert (second.status, second.release, second.recorded) == ("replaced", "37.0", "36.0")
    after = store.checksum("ideal_points_published")
    assert after != before and after[0] == 20  # 2025 added
    rec = row(store, IDEAL)
    assert rec["release"] == "37.0" and str(rec["as_of"])[:10] == "2026-07-20"
    assert "IdealpointsJuly2026.dta" in rec["title"] and "IdealpointsJuly2026.dta" in rec["notes"]
    # The newest upload of the two estimate files is the one read.
    assert files["IdealpointsJuly2025.dta"]["sha256"] != json.loads(rec["files"])["IdealpointsJuly2025.dta"]["sha256"]
    assert cache_entries(tmp_path, IDEAL) == ["36.0", "37.0"]


def test_unchanged_release_changes_nothing(store, tmp_path):
    update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    before, at = store.checksum("ideal_points_published"), row(store, IDEAL)["ingested_at"]
    calls = []

    def counting(request):
        calls.append(request.url.path)
        return dataverse("36.0")(request)

    again = update_source(store, IDEAL, client(counting), tmp_path)
    assert again.status == "unchanged"
    assert calls == ["/api/datasets/:persistentId/"]  # the release is recorded: no file downloaded
    assert store.checksum("ideal_points_published") == before and row(store, IDEAL)["ingested_at"] == at

    # A new version label over the same bytes: fetched, but the store's checksum check keeps what it holds.
    body = json.loads(recorded("dataverse_lejuqz_v36.0.json"))
    body["data"]["latestVersion"]["versionMinorNumber"] = 1
    minor = update_source(store, IDEAL, client(dataverse("36.1", json.dumps(body).encode())), tmp_path)
    assert minor.status == "unchanged" and row(store, IDEAL)["release"] == "36.0"
    assert store.checksum("ideal_points_published") == before
    assert cache_entries(tmp_path, IDEAL) == ["36.0"]


def test_check_reports_without_fetching(store, tmp_path):
    update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    s = update_source(store, IDEAL, client(dataverse("37.0")), tmp_path, check=True)
    assert (s.status, s.release, s.recorded) == ("newer", "37.0", "36.0")
    assert row(store, IDEAL)["release"] == "36.0"


@pytest.mark.parametrize("damage", ["truncated", "html", "no-files"])
def test_malformed_metadata_fails_clearly_and_changes_nothing(store, tmp_path, damage):
    update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    before, rec = store.checksum("ideal_points_published"), row(store, IDEAL)
    text = recorded("dataverse_lejuqz_v37.0.json")
    if damage == "truncated":
        body = text[: len(text) // 2]
    elif damage == "html":
        body = b"<html><body>503 Service Temporarily Unavailable</body></html>"
    else:
        j = json.loads(text)
        del j["data"]["latestVersion"]["files"]
        body = json.dumps(j).encode()
    with pytest.raises(UpdateError) as err:
        update_source(store, IDEAL, client(dataverse("37.0", body)), tmp_path)
    assert "dataverse.harvard.edu/api/datasets/:persistentId/?persistentId=doi" in str(err.value)
    if damage != "no-files":
        assert "not valid JSON" in str(err.value)
    assert store.checksum("ideal_points_published") == before
    assert row(store, IDEAL)["release"] == rec["release"] == "36.0"
    assert cache_entries(tmp_path, IDEAL) == ["36.0"]


@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_damaged_download_fails_clearly_and_changes_nothing(store, tmp_path, damage):
    update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    before = store.checksum("ideal_points_published")
    good = recorded("IdealpointsJuly2026.dta")
    bad = good[:-500] if damage == "truncated" else good[:-1] + b"\x00"
    with pytest.raises(UpdateError) as err:
        update_source(store, IDEAL, client(dataverse("37.0", file_body={13650112: bad})), tmp_path)
    msg = str(err.value)
    assert "https://dataverse.harvard.edu/api/access/datafile/13650112?format=original" in msg
    assert ("truncated" in msg) if damage == "truncated" else ("does not match" in msg)
    assert store.checksum("ideal_points_published") == before and row(store, IDEAL)["release"] == "36.0"
    assert cache_entries(tmp_path, IDEAL) == ["36.0"]  # no staging folder left behind


def test_a_file_the_connector_rejects_rolls_back(store, tmp_path):
    """Checksums that match a file that is not a Stata file: the connector's own check fails inside the
    store's transaction, so nothing changes."""
    update_source(store, IDEAL, client(dataverse("36.0")), tmp_path)
    before = store.checksum("ideal_points_published")
    junk = b"not a stata file" * 10
    body = json.loads(recorded("dataverse_lejuqz_v37.0.json"))
    df = next(f["dataFile"] for f in body["data"]["latestVersion"]["files"] if f["dataFile"]["id"] == 13650112)
    df["md5"] = df["checksum"]["value"] = hashlib.md5(junk).hexdigest()
    df["originalFileSize"] = len(junk)
    with pytest.raises(Exception, match="Stata"):
        update_source(store, IDEAL, client(dataverse("37.0", json.dumps(body).encode(), {13650112: junk})), tmp_path)
    assert store.checksum("ideal_points_published") == before and row(store, IDEAL)["release"] == "36.0"
    assert cache_entries(tmp_path, IDEAL) == ["36.0"]


# ------------------------------------------------------------------ retries and rate limits

def test_429_with_retry_after_is_retried(monkeypatch, tmp_path):
    waits: list[float] = []
    monkeypatch.setattr(live.time, "sleep", waits.append)
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}),
                    httpx.Response(503),  # no Retry-After: exponential backoff
                    None])

    def handle(request):
        r = next(answers)
        return r if r is not None else dataverse("36.0")(request)

    with LiveClient(transport=httpx.MockTransport(handle), backoff=2.0) as c:
        body = c.json(DATASET_URL, {"persistentId": "doi:10.7910/DVN/LEJUQZ"})
    assert body["data"]["latestVersion"]["versionNumber"] == 36
    assert waits == [7.0, 4.0]  # Retry-After honoured, then backoff 2 * 2**1


def test_retries_give_up_naming_the_url(tmp_path):
    def handle(request):
        raise httpx.ConnectTimeout("timed out", request=request)

    with pytest.raises(UpdateError, match=r"api\.worldbank\.org.*no answer after 3 attempts.*ConnectTimeout"):
        client(handle, retries=2).json("https://api.worldbank.org" + WB_PATH, {"format": "json"})


def test_a_retry_after_beyond_the_limit_fails_instead_of_hanging():
    def handle(request):
        return httpx.Response(429, headers={"Retry-After": "86400"})

    with pytest.raises(UpdateError, match="asks to wait 86400 s"):
        client(handle, max_wait=600).json("https://api.worldbank.org" + WB_PATH)


def test_retry_after_forms():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past: retry now
    assert retry_after("soon") is None and retry_after(None) is None


def test_http_error_is_not_retried():
    calls = []

    def handle(request):
        calls.append(1)
        return httpx.Response(404)

    with pytest.raises(UpdateError, match="HTTP 404"):
        client(handle).json(DATASET_URL)
    assert len(calls) == 1


# ------------------------------------------------------------------ World Bank API v2

def test_worldbank_update_and_partial_year(store, tmp_path):
    first = update_source(store, GDP, client(worldbank("2025-07-01")), tmp_path)
    assert (first.status, first.release, first.as_of) == ("replaced", "WDI 2025-07-01", date(2025, 7, 1))
    assert not any("partial" in n for n in first.notes)
    n, _ = store.checksum("gdp")
    assert n == 20  # five states x 2021-2024; the World aggregate is not a state
    rec = row(store, GDP)
    assert rec["release"] == "WDI 2025-07-01" and rec["url"].startswith("https://api.worldbank.org" + WB_PATH)
    usa = store.con.execute("SELECT gdp_usd FROM gdp WHERE code='USA' AND year=2021").fetchone()[0]
    assert usa == 23.7e12

    second = update_source(store, GDP, client(worldbank("2026-01-28")), tmp_path)
    assert second.status == "replaced"
    flagged = [x for x in second.notes if x.startswith("partial year 2025")]
    assert flagged == ["partial year 2025: values for 1 of the 6 series that have 2024; treat 2025 as provisional"]
    assert flagged[0] in json.loads(row(store, GDP)["notes"])
    assert store.con.execute("SELECT count(*) FROM gdp WHERE year = 2025").fetchone()[0] == 1  # nulls stay out

    again = update_source(store, GDP, client(worldbank("2026-01-28")), tmp_path)
    assert again.status == "unchanged"


@pytest.mark.parametrize("damage", ["short", "cut", "error-message", "bad-value"])
def test_worldbank_damaged_answer_changes_nothing(store, tmp_path, damage):
    update_source(store, GDP, client(worldbank("2025-07-01")), tmp_path)
    before = store.checksum("gdp")
    body = json.loads(recorded("worldbank_gdp_2026-01-28.json"))
    if damage == "short":
        body[1] = body[1][:-3]  # the header's total no longer matches
        raw, expect = json.dumps(body).encode(), "header states 30"
    elif damage == "cut":
        text = recorded("worldbank_gdp_2026-01-28.json")
        raw, expect = text[: len(text) - 200], "not valid JSON"
    elif damage == "error-message":
        # The API's documented error answer, for instance for an invalid parameter value.
        raw = json.dumps([{"message": [{"id": "120", "key": "Invalid value",
                                        "value": "The provided parameter value is not valid"}]}]).encode()
        expect = "answered with an error"
    else:
        body[1][0]["value"] = "n/a"
        raw, expect = json.dumps(body).encode(), "row 1 does not fit"
    with pytest.raises(UpdateError, match=expect) as err:
        update_source(store, GDP, client(worldbank("2026-01-28", raw)), tmp_path)
    assert "api.worldbank.org" in str(err.value)
    assert store.checksum("gdp") == before and row(store, GDP)["release"] == "WDI 2025-07-01"
    assert cache_entries(tmp_path, GDP) == ["WDI_2025-07-01"]


# ------------------------------------------------------------------ store and command line

def test_an_old_store_gains_the_provenance_columns(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE sources (name VARCHAR PRIMARY KEY, title VARCHAR, version VARCHAR, files VARCHAR,
        sha256 VARCHAR, rows BIGINT, tables VARCHAR, ingested_at TIMESTAMP, citation VARCHAR, licence VARCHAR,
        homepage VARCHAR, unmapped VARCHAR, notes VARCHAR)""")
    con.execute("INSERT INTO sources (name, version) VALUES ('wb_gdp', 'WDI via datasets/gdp 822019c')")
    con.close()
    with Store.open(path) as st:
        r = row(st, "wb_gdp")
        assert r["version"] == "WDI via datasets/gdp 822019c" and r["release"] is None
        assert {"release", "as_of", "url", "retrieved_at"} <= set(st.sources().columns)


def test_cli_update_and_sources(store, tmp_path, monkeypatch):
    path = store.path
    store.close()
    monkeypatch.setenv("DYADIC_CACHE", str(tmp_path / "cache"))
    handlers = {"dataverse.harvard.edu": dataverse("36.0"), "api.worldbank.org": worldbank("2026-01-28")}
    transport = httpx.MockTransport(lambda r: handlers[r.url.host](r))
    real = live.LiveClient
    monkeypatch.setattr(live, "LiveClient", lambda **kw: real(transport=transport, sleep=lambda s: None, **kw))
    from dyadic.cli import app, console, out

    for c in (out, console):
        monkeypatch.setattr(c, "width", 400)  # the tables must not wrap in the captured output
    runner = CliRunner()
    res = runner.invoke(app, ["update", IDEAL, GDP, "--store", str(path)])
    assert res.exit_code == 0, res.output
    assert "replaced" in res.output and "36.0" in res.output and "partial year 2025" in res.output
    res = runner.invoke(app, ["update", GDP, "--check", "--store", str(path)])
    assert res.exit_code == 0 and "current" in res.output
    res = runner.invoke(app, ["sources", "--store", str(path)])
    assert res.exit_code == 0
    line = next(x for x in res.output.splitlines() if x.startswith("│ wb_gdp") or " wb_gdp " in x)
    assert "2026-01-28" in line and " d" in line

    handlers["dataverse.harvard.edu"] = dataverse("37.0", b'{"status": "OK", "data": {"latestVer')
    for host in ("api.imf.org", "www.sipri.org", "atbackend.sipri.org", "api.github.com"):  # not recorded here
        handlers[host] = lambda r: httpx.Response(404)
    res = runner.invoke(app, ["update", "--store", str(path)])  # every updater, GDELT only once the store has it
    assert res.exit_code == 2
    assert ("unga_ideal_points_voeten, imf_imts_export, sipri_milex, sipri_arms_transfers, "
            "democracy_vdem_polity_uds failed") in res.output
    assert "not valid JSON" in res.output and "gdelt_events" not in res.output
    res = runner.invoke(app, ["update", GDP, "--force", "--since", "2030-01-01", "--store", str(path)])
    assert res.exit_code == 0 and "older" in res.output and "before --since 2030-01-01" in res.output
    res = runner.invoke(app, ["update", GDP, "--since", "soon", "--store", str(path)])
    assert res.exit_code == 2 and "--since 'soon' is not a date" in res.output
    res = runner.invoke(app, ["update", "cow_nmc", "--store", str(path)])
    assert res.exit_code == 2 and "unknown value(s) cow_nmc" in res.output
    with Store.open(path, read_only=True) as st:
        assert row(st, IDEAL)["release"] == "36.0"
