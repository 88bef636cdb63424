"""``dyadic update`` for IMF IMTS, SIPRI (military expenditure, arms transfers), V-Dem via isard and GDELT 2.0,
on recorded answers.

Recordings (tests/fixtures/recorded/), written by hand in the services' formats with invented values:

- ``imf/imts_dataflow_*.xml``: the IMF SDMX 3.0 answer to ``GET /structure/dataflow/IMF.STA/IMTS/+``, laid
  out as IMF_STA/DSD_BOP.xml in khaeru/sdmx-test-data (an IMF.STA dataflow in an SDMX-ML 3.0 Structure
  message, with its ``lastUpdatedAt`` annotation), trimmed to the Dataflow.
- ``imf/imts_data_<year>_<release>.xml``: the answer to ``GET /data/dataflow/IMF.STA/IMTS/+/<key>?c[TIME_PERIOD]=
  ge:<year>+le:<year>``: an SDMX-ML 3.0 StructureSpecificData message as v3/xml/ECB_EXR0.xml of
  khaeru/sdmx-test-data (the SDMX TWG sample), with the IMF's data-set attributes and Series/Obs layout of
  IMF_RES/WEO-data.xml there (a recorded api.imf.org answer). Series keys as the IMF portal's IMTS CSV
  export (COUNTRY, INDICATOR, COUNTERPART_COUNTRY, FREQUENCY); the 2026-06-09 release revises one 2024 value
  and adds a 2025 that only China reports (a partial year).
- SIPRI: the database page is recorded as the anchor SIPRI's Drupal site serves (``/sites/default/files/``,
  the path of the connector's pinned URL); the workbook served is the staged one from $DYADIC_DATA (read at
  test time, not copied), and a copy with one cell changed.
- ``sipri/trade_register_2000_2001.json``: SIPRI's arms-transfers backend answer (``{"bytes": <base64 CSV>}``)
  as recorded by the Rat.db R package (datapumpernickel/Rat.db, tests/testthat/test_data/atbackend.sipri.org/
  api/p/trades/trade-register-csv-e05b15-POST.R, 10 Feb 2025), its CSV trimmed to the notes, header and 20
  real rows and re-encoded; tests edit a value or cut it.
- ``github/isard_*.json``: GitHub REST API "List commits" and "Get repository content" answers in the layout
  of GitHub's API reference, for the commit and blob of the staged ``cw_democracy.rda`` (SOURCE.md of the
  staged data names both); the file served is the staged one, or an edited copy written with pyreadr.
- GDELT: ``lastupdate.txt`` / ``masterfilelist.txt`` are built at test time in the documented layout
  (``<size> <md5> <url>``, one export, mentions and gkg file per 15 minutes; GDELT 2.0 announcement and
  the existing download test), over copies of the staged 2.0 export with shifted event ids.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest import data_settings, source_dir
from test_gdelt import V2, _shifted_copy
from test_update import client, registry_file, row, store  # noqa: F401 (fixtures shared with the other updaters' tests)

from dyadic.sources.live import UpdateError
from dyadic.update import update_source
from dyadic.store import ingest

REC = Path(__file__).parent / "fixtures" / "recorded"
IMTS = "imf_imts_export"


# ------------------------------------------------------------------ IMF IMTS (SDMX 3.0, sdmx1)

def imf(release: str, years: dict[int, bytes] | None = None, flow: bytes | None = None, seen: list | None = None):
    def handle(request: httpx.Request) -> httpx.Response:
        url = request.url
        assert url.host == "api.imf.org" and url.path.startswith("/external/sdmx/3.0/")
        assert "version=3.0.0" in request.headers["accept"]  # sdmx1 asks for SDMX-ML 3.0
        if seen is not None:
            seen.append(str(url))
        if url.path == "/external/sdmx/3.0/structure/dataflow/IMF.STA/IMTS/+":
            return httpx.Response(200, content=flow or (REC / "imf" / f"imts_dataflow_{release}.xml").read_bytes())
        assert url.path == "/external/sdmx/3.0/data/dataflow/IMF.STA/IMTS/+/*.XG_FOB_USD,MG_CIF_USD.*.A"
        year = int(url.params["c[TIME_PERIOD]"].split("+")[0].removeprefix("ge:"))
        if years and year in years:
            return httpx.Response(200, content=years[year])
        f = REC / "imf" / f"imts_data_{year}_{release}.xml"
        if not f.exists():  # the service's answer for a period without records
            return httpx.Response(404, text="NoRecordsFound")
        return httpx.Response(200, content=f.read_bytes(), headers={"content-type": "application/xml"})
    return handle


def test_imts_changed_release_replaces_unchanged_does_not(store, tmp_path, monkeypatch):
    from dyadic.sources import updaters_imf

    monkeypatch.setattr(updaters_imf.ImfImtsApi.__init__, "__defaults__", (2023, 2026))
    seen: list[str] = []
    first = update_source(store, IMTS, client(imf("2026-03-10", seen=seen)), tmp_path)
    assert (first.status, first.release, first.as_of) == ("replaced", "IMTS 1.0.0 2026-03-10T14:02:31",
                                                          date(2026, 3, 10))
    assert "c%5BTIME_PERIOD%5D=ge%3A2023%2Ble%3A2023" in seen[1]  # the period filter, encoded
    q = "SELECT year, exports_usd, imports_usd FROM trade WHERE source = ? AND reporter = 'CHN' AND partner = 'RUS'"
    assert store.con.execute(q + " ORDER BY year", [IMTS]).fetchall() == [(2023, 110e9, 125e9),
                                                                         (2024, 114.4e9, 130e9)]
    # the world rows go to trade_national, as for a portal export
    assert store.con.execute("SELECT count(*) FROM trade_national WHERE source = ?", [IMTS]).fetchone()[0] == 4
    rec = row(store, IMTS)
    assert rec["release"] == first.release and rec["url"].endswith("/structure/dataflow/IMF.STA/IMTS/+")
    assert not any("partial" in n for n in first.notes)

    again = update_source(store, IMTS, client(imf("2026-03-10")), tmp_path)
    assert again.status == "unchanged"
    before = store.checksum("trade")

    second = update_source(store, IMTS, client(imf("2026-06-09")), tmp_path)
    assert second.status == "replaced" and store.checksum("trade") != before
    assert store.con.execute(q + " AND year = 2024", [IMTS]).fetchone()[1] == 115.5e9  # the revision
    flagged = [n for n in second.notes if n.startswith("partial year 2025")]
    assert flagged == ["partial year 2025: 1 reporters against 3 in 2024; treat 2025 as provisional"]
    assert flagged[0] in json.loads(row(store, IMTS)["notes"])


@pytest.mark.parametrize("damage", ["cut-data", "html", "wrong-flow", "no-stamp"])
def test_imts_malformed_answer_fails_and_changes_nothing(store, tmp_path, monkeypatch, damage):
    from dyadic.sources import updaters_imf

    monkeypatch.setattr(updaters_imf.ImfImtsApi.__init__, "__defaults__", (2023, 2026))
    update_source(store, IMTS, client(imf("2026-03-10")), tmp_path)
    before, rec = store.checksum("trade"), row(store, IMTS)
    good = (REC / "imf" / "imts_data_2024_2026-06-09.xml").read_bytes()
    flow = (REC / "imf" / "imts_dataflow_2026-06-09.xml").read_bytes()
    years, expect = {}, ""
    if damage == "cut-data":
        years, expect = {2024: good[: len(good) // 2]}, "not a readable SDMX-ML data message"
    elif damage == "html":
        flow, expect = b"<html><body>Service Unavailable</body></html>", "not a readable SDMX-ML structure"
    elif damage == "wrong-flow":
        years, expect = {2024: good.replace(b"IMF.STA:IMTS(1.0.0)", b"IMF.STA:CPI(1.0.0)")}, "not IMTS"
    else:
        flow, expect = flow.replace(b'id="lastUpdatedAt"', b'id="other"'), "no 'lastUpdatedAt'"
    with pytest.raises(UpdateError, match=expect) as err:
        update_source(store, IMTS, client(imf("2026-06-09", years, flow)), tmp_path)
    assert "api.imf.org/external/sdmx/3.0/" in str(err.value)
    assert store.checksum("trade") == before and row(store, IMTS)["release"] == rec["release"]
    assert sorted(p.name for p in (tmp_path / "live" / IMTS).iterdir()) == ["IMTS_1.0.0_2026-03-10T14_02_31"]


# ------------------------------------------------------------------ SIPRI military expenditure

PAGE = """<html><body><div class="field-item"><p><a href="/sites/default/files/SIPRI-Milex-data-1949-{y}{s}.xlsx">
Data for all countries from 1949&ndash;{y} (excel spreadsheet)</a></p>
<p><a href="/sites/default/files/SIPRI-Milex-data-1949-2023.xlsx">1949&ndash;2023</a></p></div></body></html>"""


def sipri(year: int, suffix: str, body: bytes):
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/databases/milex":
            return httpx.Response(200, text=PAGE.format(y=year, s=suffix))
        assert request.url.path == f"/sites/default/files/SIPRI-Milex-data-1949-{year}{suffix}.xlsx"
        return httpx.Response(200, content=body, headers={"Last-Modified": "Mon, 28 Apr 2025 07:00:00 GMT"})
    return handle


def test_sipri_workbook_update(store, tmp_path):
    staged = (source_dir("sipri_milex") / "SIPRI-Milex-data-1949-2024_2.xlsx").read_bytes()
    first = update_source(store, "sipri_milex", client(sipri(2024, "_2", staged)), tmp_path)
    assert (first.status, first.release, first.as_of) == ("replaced", "SIPRI-Milex-data-1949-2024_2",
                                                          date(2025, 4, 28))
    usa = "SELECT constant_usd FROM milex WHERE code = 'USA' AND year = 2024"
    assert round(store.con.execute(usa).fetchone()[0] / 1e6) == 968_382  # SOURCE.md's verified figure
    before = store.checksum("milex")
    # A re-issue with the same bytes: fetched (new label), the store keeps what it holds.
    same = update_source(store, "sipri_milex", client(sipri(2024, "_3", staged)), tmp_path)
    assert same.status == "unchanged" and store.checksum("milex") == before
    # A cut-off workbook is refused by the connector inside the transaction: nothing changes.
    with pytest.raises(Exception, match="Excel workbook"):
        update_source(store, "sipri_milex", client(sipri(2025, "", staged[: len(staged) // 2])), tmp_path)
    # An HTML error page served as 200 is not a workbook.
    with pytest.raises(UpdateError, match="not an Excel workbook"):
        update_source(store, "sipri_milex", client(sipri(2025, "", b"<html>maintenance</html>")), tmp_path)
    assert store.checksum("milex") == before and row(store, "sipri_milex")["release"] == first.release
    with pytest.raises(UpdateError, match="links no workbook"):
        update_source(store, "sipri_milex", client(lambda r: httpx.Response(200, text="<html></html>")), tmp_path)


# ------------------------------------------------------------------ GDELT 2.0 incremental

BASE = "http://data.gdeltproject.org/gdeltv2/"


def gdelt_files(tmp_path: Path, stamps: list[str]) -> dict[str, bytes]:
    """Zipped 2.0 exports under ``stamps`` (the staged sample, event ids shifted per file)."""
    out = {}
    for i, stamp in enumerate(stamps):
        plain = tmp_path / f"{stamp}.export.CSV"
        _shifted_copy(source_dir("gdelt_raw_samples") / V2, plain, 10_000_000 * i)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(plain, plain.name)
        out[f"{stamp}.export.CSV.zip"] = buf.getvalue()
    return out


def index(files: dict[str, bytes]) -> str:
    lines = []
    for name, data in files.items():
        stamp = name.split(".")[0]
        lines.append(f"{len(data)} {hashlib.md5(data).hexdigest()} {BASE}{name}")
        lines.append(f"1200 {'a' * 32} {BASE}{stamp}.mentions.CSV.zip")
        lines.append(f"3400 {'b' * 32} {BASE}{stamp}.gkg.csv.zip")
    return "\n".join(lines) + "\n"


def gdelt(files: dict[str, bytes], seen: list[str], body: dict[str, bytes] | None = None):
    last = dict(list(files.items())[-1:])

    def handle(request: httpx.Request) -> httpx.Response:
        name = request.url.path.rsplit("/", 1)[1]
        seen.append(name)
        if name == "lastupdate.txt":
            return httpx.Response(200, text=index(last))
        if name == "masterfilelist.txt":
            return httpx.Response(200, text=index(files))
        return httpx.Response(200, content=(body or {}).get(name, files[name]))
    return handle


def test_gdelt_fetches_only_newer_files(store, tmp_path):
    stamps = ["20191024140000", "20191024141500", "20191024143000", "20191024144500", "20191024151500"]
    files = gdelt_files(tmp_path, stamps)
    first3 = dict(list(files.items())[:3])
    seen: list[str] = []
    s = update_source(store, "gdelt_events", client(gdelt(first3, seen)), tmp_path / "c", since=date(2019, 10, 24))
    assert (s.status, s.release) == ("replaced", "20191024143000")
    assert seen == ["lastupdate.txt", "masterfilelist.txt", *first3]
    assert any(n.startswith("partial day 2019-10-24") for n in s.notes)
    n3 = store.con.execute("SELECT count(*) FROM events WHERE source = 'gdelt_events'").fetchone()[0]
    assert n3 > 0

    seen.clear()  # the newest is the one held: only lastupdate.txt is read
    assert update_source(store, "gdelt_events", client(gdelt(first3, seen)), tmp_path / "c").status == "unchanged"
    assert seen == ["lastupdate.txt"]

    seen.clear()  # two newer files, one slot missing between them: only those two are fetched
    s = update_source(store, "gdelt_events", client(gdelt(files, seen)), tmp_path / "c")
    assert s.status == "replaced" and s.release == "20191024151500"
    assert seen == ["lastupdate.txt", "masterfilelist.txt", "20191024144500.export.CSV.zip",
                    "20191024151500.export.CSV.zip"]
    assert "1 of 3 15-minute files between 20191024144500 and 20191024151500 are not in GDELT's list " \
           "(publisher gaps)" in s.notes
    n5 = store.con.execute("SELECT count(*) FROM events WHERE source = 'gdelt_events'").fetchone()[0]
    assert n5 * 3 == n3 * 5  # the old files are read again with the new ones: five shifted copies
    assert len(json.loads(row(store, "gdelt_events")["files"])) == 5


def test_gdelt_bad_file_or_list_changes_nothing(store, tmp_path):
    files = gdelt_files(tmp_path, ["20191024141500", "20191024143000"])
    first = dict(list(files.items())[:1])
    update_source(store, "gdelt_events", client(gdelt(first, [])), tmp_path / "c")
    before = store.checksum("events")
    bad = {"20191024143000.export.CSV.zip": files["20191024143000.export.CSV.zip"][:-100]}
    with pytest.raises(UpdateError, match=r"20191024143000\.export\.CSV\.zip.*truncated"):
        update_source(store, "gdelt_events", client(gdelt(files, [], bad)), tmp_path / "c")
    with pytest.raises(UpdateError, match="lastupdate.txt: line 1 is not 'size md5 url'"):
        update_source(store, "gdelt_events", client(lambda r: httpx.Response(200, text="<html>oops</html>")),
                      tmp_path / "c")
    assert store.checksum("events") == before and row(store, "gdelt_events")["release"] == "20191024141500"
    assert sorted(p.name for p in (tmp_path / "c" / "live" / "gdelt_events").iterdir()) == ["20191024141500"]


# ------------------------------------------------------------------ SIPRI arms-transfers register

ARMS = "sipri_arms_transfers"
REGISTER_URL = "https://atbackend.sipri.org/api/p/trades/trade-register-csv/"


def register_answer(edit=None) -> bytes:
    """The recorded answer (trade_register_2000_2001.json: the Rat.db recording of SIPRI's backend,
    tests/testthat/test_data/atbackend.sipri.org/api/p/trades/trade-register-csv-e05b15-POST.R in
    datapumpernickel/Rat.db, trimmed to its notes, header and 20 rows), optionally with its CSV edited."""
    raw = (REC / "sipri" / "trade_register_2000_2001.json").read_bytes()
    if edit is None:
        return raw
    text = base64.b64decode(json.loads(raw)["bytes"]).decode()
    return json.dumps({"bytes": base64.b64encode(edit(text).encode()).decode()}).encode()


def sipri_backend(body: bytes, seen: list | None = None):
    def handle(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and str(request.url) == REGISTER_URL
        q = json.loads(request.content)
        assert q["logic"] == "AND" and q["filters"][0]["field"] == "Delivery year"
        if seen is not None:
            seen.append(q)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})
    return handle


@pytest.fixture
def arms_store(store, tmp_path):
    settings = data_settings(tmp_path)
    ingest(store, settings, [ARMS], download=False)  # the pinned snapshot: register and 2022 TIV tables
    return store


def test_sipri_register_update(arms_store, tmp_path):
    st = arms_store
    tables_before = st.checksum("arms_tiv_2022")
    seen: list = []
    s = update_source(st, ARMS, client(sipri_backend(register_answer(), seen)), tmp_path)
    assert s.status == "replaced" and s.as_of == date(2025, 2, 10) and s.release.startswith("register 2025-02-10 ")
    assert seen[0]["filters"][0]["value1"] == 1950
    q = "SELECT year, tiv FROM arms_deliveries WHERE supplier = 'RUS' AND recipient = 'CHN' ORDER BY year, tiv"
    assert st.con.execute("SELECT count(*) FROM arms_deliveries").fetchone()[0] == 20
    assert {y for y, _ in st.con.execute(q).fetchall()} <= {2000, 2001}
    assert st.checksum("arms_tiv_2022") == tables_before  # the 2022 tables are carried over unchanged
    assert row(st, ARMS)["release"] == s.release

    # the same rows generated at another time: the same release, nothing fetched or written
    later = register_answer(lambda t: t.replace("10 Feb 2025 10:52:58 AM", "11 Feb 2025 09:00:00 AM"))
    before = st.checksum("arms_deliveries")
    assert update_source(st, ARMS, client(sipri_backend(later)), tmp_path).status == "unchanged"
    # a revised TIV: a new release
    revised = register_answer(lambda t: t.replace(",New,0.9,0.9,8.1,No", ",New,0.9,0.9,9.0,No"))
    assert update_source(st, ARMS, client(sipri_backend(revised)), tmp_path).status == "replaced"
    assert st.checksum("arms_deliveries") != before


@pytest.mark.parametrize("damage, expect", [
    ("cut-json", "not valid JSON"),
    ("cut-row", "data row 20 has"),
    ("no-header", "no header line"),
    ("not-base64", "not {\"bytes\""),
])
def test_sipri_register_damaged_changes_nothing(arms_store, tmp_path, damage, expect):
    before = arms_store.checksum("arms_deliveries")
    if damage == "cut-json":
        body = register_answer()[:1000]
    elif damage == "cut-row":
        body = register_answer(lambda t: t.rstrip("\n").rsplit(",", 3)[0] + "\n")
    elif damage == "no-header":
        body = register_answer(lambda t: t.replace("SIPRI AT Database ID,", "ID,"))
    else:
        body = b'{"bytes": "%%% not base64 %%%"}'
    with pytest.raises(UpdateError, match=re.escape(expect)) as err:
        update_source(arms_store, ARMS, client(sipri_backend(body)), tmp_path)
    assert REGISTER_URL in str(err.value)
    assert arms_store.checksum("arms_deliveries") == before and row(arms_store, ARMS)["release"] is None


def test_sipri_register_current_year_is_flagged_partial(arms_store, tmp_path):
    year = date.today().year
    body = register_answer(lambda t: t.replace(",Yes,2001,Yes,New,0.9,0.9,8.1,No", f",Yes,{year},Yes,New,0.9,0.9,8.1,No"))
    s = update_source(arms_store, ARMS, client(sipri_backend(body)), tmp_path)
    assert any(n.startswith(f"partial year {year}:") for n in s.notes)


def test_sipri_register_needs_the_2022_tables(store, tmp_path):
    with pytest.raises(UpdateError, match="2022 TIV tables are needed"):
        update_source(store, ARMS, client(sipri_backend(register_answer())), tmp_path)


# ------------------------------------------------------------------ V-Dem via isard (GitHub REST API)

VDEM = "democracy_vdem_polity_uds"
ISARD = "f1673d6c9b2f3aada76cea1af0e6e3aa8d9ff3ca"


def github(rda: bytes, commit: str = ISARD, date_: str = "2026-06-24T15:02:41Z", blob: str | None = None,
           status: int = 200, headers: dict | None = None):
    """GitHub as the recordings in recorded/github/ answer: "List commits" (?path=...&per_page=1) and "Get
    repository content" (?ref=<sha>), in the layout of the GitHub REST API reference (docs.github.com,
    "REST API endpoints for commits" / "for repository contents"); the contents record's base64 ``content``
    is left empty here (it duplicates the download). The file served is the staged rda (or an edit of it)."""
    from dyadic.sources.updaters_vdem import git_blob_sha1

    commits = json.loads((REC / "github" / "isard_commits_cw_democracy.json").read_text())
    commits[0]["sha"], commits[0]["commit"]["committer"]["date"] = commit, date_
    meta = json.loads((REC / "github" / "isard_contents_cw_democracy.json").read_text())
    meta["sha"], meta["size"] = blob or git_blob_sha1(rda), len(rda)

    def handle(request: httpx.Request) -> httpx.Response:
        if status != 200:
            return httpx.Response(status, headers=headers or {})
        path = request.url.path
        if request.url.host == "api.github.com":
            assert request.headers["accept"] == "application/vnd.github+json"
            if path == "/repos/svmiller/isard/commits":
                assert request.url.params["path"] == "data/cw_democracy.rda"
                return httpx.Response(200, json=commits)
            assert path == "/repos/svmiller/isard/contents/data/cw_democracy.rda"
            assert request.url.params["ref"] == commit
            return httpx.Response(200, json=meta)
        assert request.url.host == "raw.githubusercontent.com" and path == f"/svmiller/isard/{commit}/data/cw_democracy.rda"
        return httpx.Response(200, content=rda)
    return handle


def test_vdem_update_checks_the_git_blob(store, tmp_path):
    import pyreadr

    staged = (source_dir(VDEM) / "cw_democracy.rda").read_bytes()
    s = update_source(store, VDEM, client(github(staged)), tmp_path)
    assert (s.status, s.release, s.as_of) == ("replaced", "isard f1673d6", date(2026, 6, 24))
    q = "SELECT round(v2x_polyarchy, 3) FROM democracy WHERE code = 'USA' AND year = 2025"
    assert store.con.execute(q).fetchone()[0] == 0.735  # SOURCE.md's verified value
    assert update_source(store, VDEM, client(github(staged)), tmp_path).status == "unchanged"
    before = store.checksum("democracy")

    # a damaged download: the git blob does not match, nothing changes
    bad = staged[:-10] + b"0123456789"
    with pytest.raises(UpdateError, match="git blob SHA-1 .* does not match GitHub's"):
        update_source(store, VDEM, client(github(bad, "a" * 40, blob="ddd111b54087e8c4234aac7c3943bac5f3943be9")),
                      tmp_path)
    # the hour's API quota spent: named, with when to retry
    with pytest.raises(UpdateError, match="rate limit is spent; try again after"):
        update_source(store, VDEM, client(github(staged, status=403, headers={
            "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1798797600"})), tmp_path)
    assert store.checksum("democracy") == before

    # a new commit with an edited table: replaced
    df = pyreadr.read_r(str(source_dir(VDEM) / "cw_democracy.rda"))["cw_democracy"]
    df.loc[(df.ccode == 2) & (df.year == 2025), "v2x_polyarchy"] = 0.5
    pyreadr.write_rdata(str(tmp_path / "edited.rda"), df, df_name="cw_democracy", compress="gzip")
    edited = (tmp_path / "edited.rda").read_bytes()
    s = update_source(store, VDEM, client(github(edited, "b" * 40, "2026-09-01T10:00:00Z")), tmp_path)
    assert s.status == "replaced" and store.con.execute(q).fetchone()[0] == 0.5
    assert row(store, VDEM)["release"] == "isard bbbbbbb"
