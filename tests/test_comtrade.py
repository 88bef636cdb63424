"""``dyadic update un_comtrade_export``: UN Comtrade through ``comtradeapicall``, on recorded answers.

The package is not needed: the tests hand the updater a stand-in for the ``comtradeapicall`` module whose
functions do what the package's do with an answer (``PreviewGet.getPreviewData`` and
``DataAvailability.getDataAvailability`` in uncomtrade/comtradeapicall 1.3.0, as published on PyPI in 1.3.2):
``json_normalize(body["data"])`` of a 200, or print the body and return None otherwise.

Recordings (tests/fixtures/recorded/comtrade/), written by hand with invented values in the API's layout:

- ``availability_<release>.json``: the answer of ``GET /data/v1/getDa/C/A/HS`` (``getFinalDataAvailability``),
  ``{"elapsedTime", "count", "data": [...], "error"}``, each dataset with the 20 fields the package's example
  notebook shows (tests/example calling functions - notebook.ipynb: datasetCode ... datasetChecksum,
  firstReleased, lastReleased). The 2026-02 release revises the United States' 2024 dataset.
- ``data_<year>[_<release>].json``: the answer of ``GET /data/v1/get/C/A/HS`` (``getFinalData``) for goods
  totals, X and M, with the 47 fields of that notebook's ``getFinalData`` frame (typeCode ... primaryValue,
  legacyEstimationFlag, isReported, isAggregate); partner World is W00, Comtrade's 'Other Asia, nes' S19.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_update import registry_file, row, store  # noqa: F401 (fixtures shared with the other updaters' tests)

from dyadic.sources.live import LiveClient, UpdateError
from dyadic.update import update_source
from dyadic.sources.updaters_comtrade import KEY_VAR, ComtradeApi

REC = Path(__file__).parent / "fixtures" / "recorded" / "comtrade"
NAME = "un_comtrade_export"
KEY = "k3y-0f-the-user"


def body(name: str) -> dict:
    return json.loads((REC / name).read_text())


class FakeComtrade:
    """Answers as comtradeapicall does, from the recordings of ``release``; ``fail`` maps a call to the error
    body the service sends instead (printed, None returned, as the package does)."""

    def __init__(self, release: str, data: dict[int, dict] | None = None, fail: dict[str, list[str]] | None = None):
        self.release, self.data, self.fail = release, data or {}, fail or {}
        self.calls: list[tuple[str, dict]] = []

    def _answer(self, what: str, key: str, answer, reporters: str | None = None) -> pd.DataFrame | None:
        assert key == KEY
        errors = self.fail.get(what) or []
        if errors:
            print(errors.pop(0))
            return None
        rows = answer()["data"]
        if reporters is not None:  # the service answers for the reporters asked only
            rows = [r for r in rows if str(r["reporterCode"]) in reporters.split(",")]
        return pd.json_normalize(rows)

    def getFinalDataAvailability(self, key, **kw):
        self.calls.append(("availability", kw))
        assert (kw["typeCode"], kw["freqCode"], kw["clCode"], kw["reporterCode"]) == ("C", "A", "HS", None)
        return self._answer("availability", key, lambda: body(f"availability_{self.release}.json"))

    def getFinalData(self, key, **kw):
        self.calls.append(("data", kw))
        assert (kw["cmdCode"], kw["flowCode"], kw["includeDesc"], kw["customsCode"]) == ("TOTAL", "X,M", True, "C00")
        year = int(kw["period"])
        recorded = REC / f"data_{year}_{self.release}.json"
        return self._answer("data", key, lambda: self.data.get(year) or body(
            recorded.name if recorded.exists() else f"data_{year}.json"), kw["reporterCode"])


def updater(api: FakeComtrade, **kw):
    """The updater class ``update_source`` instantiates, bound to ``api`` and the years 2023-2024."""

    class Bound(ComtradeApi):
        def __init__(self):
            super().__init__(**{"key": KEY, "years": [2023, 2024], "api": api, "pause": 0, **kw})

    return Bound


@pytest.fixture
def client():
    return LiveClient(sleep=lambda s: None)


@pytest.fixture
def updaters(monkeypatch):
    from dyadic.sources import updaters

    shipped = updaters.UPDATERS[NAME]

    def use(api: FakeComtrade, **kw):
        updaters.UPDATERS.replace(NAME, updater(api, **kw))
    monkeypatch.setattr("time.sleep", lambda s: None)  # the backoff between retried calls
    yield use
    updaters.UPDATERS.replace(NAME, shipped)


Q = "SELECT year, exports_usd, imports_usd FROM trade WHERE source = ? AND reporter = ? AND partner = ? ORDER BY year"


def test_changed_release_replaces_unchanged_does_not(store, tmp_path, client, updaters):
    api = FakeComtrade("2026-01")
    updaters(api)
    first = update_source(store, NAME, client, tmp_path)
    assert first.status == "replaced" and first.as_of.isoformat() == "2025-05-14"
    assert first.release.startswith("Comtrade A 2023-2024 2025-05-14T19:12:34 #")
    assert [c for c, _ in api.calls] == ["availability", "data", "data"]
    # one call a year for its reporters' codes (China 156, Russia 643, the United States 842)
    assert [(kw["period"], kw["reporterCode"]) for c, kw in api.calls if c == "data"] == [("2023", "156,643,842"),
                                                                                          ("2024", "156,842")]
    assert store.con.execute(Q, [NAME, "CHN", "USA"]).fetchall() == [(2023, 500.3e9, 164.2e9), (2024, 525.6e9, 163.6e9)]
    assert store.con.execute(Q, [NAME, "USA", "CHN"]).fetchall()[1] == (2024, 143.5e9, 438.9e9)
    # the world partner is the reporter's national trade; S19 is not a state and is reported unmapped
    nat = store.con.execute("SELECT year, exports_usd FROM trade_national WHERE source = ? AND code = 'CHN' "
                            "ORDER BY year", [NAME]).fetchall()
    assert nat == [(2023, 3380e9), (2024, 3577e9)]
    rec = row(store, NAME)
    assert rec["release"] == first.release and rec["url"] == "https://comtradeapi.un.org/data/v1/getDa/C/A/HS"
    assert json.loads(rec["unmapped"]) == {"S19": 1}
    assert KEY not in json.dumps({k: str(v) for k, v in rec.items()})  # the key is never recorded

    before = store.checksum("trade")
    api2 = FakeComtrade("2026-01")
    updaters(api2)
    again = update_source(store, NAME, client, tmp_path)
    assert again.status == "unchanged" and [c for c, _ in api2.calls] == ["availability"]  # no data asked
    assert store.checksum("trade") == before

    updaters(FakeComtrade("2026-02"))
    second = update_source(store, NAME, client, tmp_path)
    assert second.status == "replaced" and second.release != first.release
    assert second.release.startswith("Comtrade A 2023-2024 2026-01-27T04:12:54 #")
    assert store.con.execute(Q, [NAME, "USA", "CHN"]).fetchall()[1] == (2024, 143.5e9, 440.1e9)  # the revision


def test_missing_key_says_what_to_do_and_asks_nothing(store, tmp_path, client, updaters, monkeypatch):
    monkeypatch.delenv(KEY_VAR, raising=False)
    api = FakeComtrade("2026-01")
    updaters(api, key=None)  # None: read from the environment, where it is not set
    with pytest.raises(UpdateError, match=f"needs a UN Comtrade API key in {KEY_VAR}") as err:
        update_source(store, NAME, client, tmp_path)
    assert "comtradedeveloper.un.org" in str(err.value) and api.calls == []
    assert not store.has_source(NAME)


def test_key_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(KEY_VAR, " abc ")
    monkeypatch.setenv("COMTRADE_YEARS", "2019-2021,2024")
    monkeypatch.setenv("COMTRADE_REPORTERS", "chn, rus")
    u = ComtradeApi(api=object())
    assert (u.key, u.years, u.reporters) == ("abc", [2019, 2020, 2021, 2024], frozenset({"CHN", "RUS"}))
    monkeypatch.setenv("COMTRADE_YEARS", "2024-2019")
    with pytest.raises(UpdateError, match="runs backwards"):
        ComtradeApi(api=object())


def test_refused_key_fails_naming_it_and_changes_nothing(store, tmp_path, client, updaters):
    updaters(FakeComtrade("2026-01"))
    update_source(store, NAME, client, tmp_path)
    before, rec = store.checksum("trade"), row(store, NAME)
    refusal = ('{ "statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide '
               f'a valid key for an active subscription. {KEY}" }}')
    updaters(FakeComtrade("2026-02", fail={"data": [refusal]}))
    with pytest.raises(UpdateError, match="refused the key") as err:
        update_source(store, NAME, client, tmp_path)
    assert KEY not in str(err.value) and "<key>" in str(err.value)
    assert store.checksum("trade") == before and row(store, NAME)["release"] == rec["release"]
    assert [p.name for p in (tmp_path / "live" / NAME).iterdir()] == [re.sub(r"[^A-Za-z0-9._-]+", "_", rec["release"])]


def test_rate_limit_is_retried(store, tmp_path, client, updaters):
    busy = '{ "statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds." }'
    api = FakeComtrade("2026-01", fail={"data": [busy, busy]})
    updaters(api)
    s = update_source(store, NAME, client, tmp_path)
    assert s.status == "replaced" and [c for c, _ in api.calls].count("data") == 4  # 2023 asked three times


@pytest.mark.parametrize("damage", ["period", "value", "no-iso", "commodity"])
def test_malformed_answer_fails_and_changes_nothing(store, tmp_path, client, updaters, damage):
    updaters(FakeComtrade("2026-01"))
    update_source(store, NAME, client, tmp_path)
    before = store.checksum("trade")
    bad = body("data_2024_2026-02.json")
    r = bad["data"][0]
    if damage == "period":
        r["period"], expect = "2023", "not the 2024 asked for"
    elif damage == "value":
        r["primaryValue"], expect = "n/a", "primaryValue 'n/a', not a number"
    elif damage == "no-iso":
        for x in bad["data"]:
            x["reporterISO"] = None
        expect = "no reporterISO"
    else:
        r["cmdCode"], expect = "27", "not the X, M goods totals"
    updaters(FakeComtrade("2026-02", data={2024: bad}))
    with pytest.raises(UpdateError, match=expect) as err:
        update_source(store, NAME, client, tmp_path)
    assert "comtradeapi.un.org/data/v1/get/C/A/HS?period=2024&reporterCode=156,842" in str(err.value)
    assert store.checksum("trade") == before


def test_partners_asked_for_and_partial_year(store, tmp_path, client, updaters):
    # 2024 with Russia too (three reporters); 2025 reported by China alone: kept, and flagged as provisional
    y2023, y2024 = body("data_2023.json"), body("data_2024_2026-01.json")
    y2024["data"] += [dict(r, period="2024", refYear=2024) for r in y2023["data"] if r["reporterISO"] == "RUS"]
    y2025 = {"data": [dict(r, period="2025", refYear=2025) for r in y2024["data"] if r["reporterISO"] == "CHN"]}
    avail = body("availability_2026-01.json")
    avail["data"] += [dict(avail["data"][2], period="2024"),  # Russia's 2024 dataset
                      dict(avail["data"][3], period="2025", lastReleased="2026-02-01T00:00:00")]
    api = FakeComtrade("2026-01", data={2024: y2024, 2025: y2025})
    api.getFinalDataAvailability = lambda key, **kw: pd.json_normalize(avail["data"])  # type: ignore[method-assign]
    updaters(api, years=[2023, 2024, 2025], partners=frozenset({"USA", "CHN"}))
    s = update_source(store, NAME, client, tmp_path)
    assert "partial year 2025: 1 reporters against 3 in 2024; treat 2025 as provisional" in s.notes
    pairs = store.con.execute("SELECT DISTINCT reporter, partner FROM trade WHERE source = ? ORDER BY 1",
                              [NAME]).fetchall()
    assert pairs == [("CHN", "USA"), ("RUS", "CHN"), ("USA", "CHN")]  # China-Russia dropped: RUS not asked for
    assert store.con.execute(Q, [NAME, "CHN", "USA"]).fetchall()[-1] == (2025, 525.6e9, 163.6e9)
    # the world rows stay whatever the partners asked: they are the reporters' national totals
    assert store.con.execute("SELECT count(*) FROM trade_national WHERE source = ? AND year = 2025",
                             [NAME]).fetchone()[0] == 1


def test_reporters_asked_for_and_batches(client, tmp_path):
    api = FakeComtrade("2026-01")
    u = ComtradeApi(key=KEY, years=[2023, 2024], reporters=frozenset({"RUS"}), api=api, pause=0)
    u.fetch(u.latest(client), client, tmp_path)
    assert [kw["reporterCode"] for c, kw in api.calls if c == "data"] == ["643"]  # Russia has no 2024 dataset
    rows = pd.read_csv(tmp_path / "comtrade.csv", dtype=str)
    assert set(rows.reporterISO) == {"RUS"} and set(rows.partnerISO) == {"CHN"}
    assert list(rows.columns)[:6] == ["typeCode", "freqCode", "refYear", "period", "reporterCode", "reporterISO"]
    # every reporter, two per call: 2023 takes two calls, 2024 one
    api = FakeComtrade("2026-01")
    u = ComtradeApi(key=KEY, years=[2023, 2024], api=api, pause=0, chunk=2)
    u.fetch(u.latest(client), client, tmp_path)
    assert [kw["reporterCode"] for c, kw in api.calls if c == "data"] == ["156,643", "842", "156,842"]
    assert len(pd.read_csv(tmp_path / "comtrade.csv")) == 13 + 10


def test_an_answer_at_the_record_ceiling_is_cut_off(client, monkeypatch):
    from dyadic.sources import updaters_comtrade

    monkeypatch.setattr(updaters_comtrade, "FREE_CEILING", 13)  # data_2023.json holds 13 records
    u = ComtradeApi(key=KEY, years=[2023], api=FakeComtrade("2026-01"), pause=0)
    with pytest.raises(UpdateError, match="13 records, the API's ceiling for one answer"):
        u.year_rows(client, 2023, [156, 643, 842])
