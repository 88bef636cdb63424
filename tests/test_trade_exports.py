"""Readers for trade files users download (IMF DOTS and IMTS CSV, UN Comtrade CSV), on fixtures written in
the publishers' real column layouts with invented numbers."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from dyadic.config import Settings
from dyadic.errors import SourceFormatError
from dyadic.indicators.trade import mirror_pair, trade_pair
from dyadic.sources import SOURCES
from dyadic.sources.trade_exports import ComtradeExport, ImfDotsExport, ImfImtsExport, register
from dyadic.store import Store, ingest

from conftest import source_dir

FIX = Path(__file__).parent / "fixtures" / "trade"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("exports")
    settings = Settings.resolve(data=source_dir("country_codes").parent, store=tmp / "s.duckdb", cache=tmp / "c")
    with Store.open(settings.store_path) as st:
        ingest(st, settings, ["country_codes"])
        yield st.registry()


def flows(res):
    return res.tables["trade"].set_index(["year", "reporter", "partner"])


def test_comtrade(registry):
    res = ComtradeExport().read({"comtrade.csv": FIX / "comtrade_export.csv"}, registry)
    t = flows(res)
    assert len(t) == 3  # CHN-RUS, CHN-USA, USA-CHN; detail, transport, re-export and S19 rows left out
    assert t.loc[(2023, "CHN", "RUS"), "exports_usd"] == 110e9
    assert t.loc[(2023, "CHN", "RUS"), "imports_usd"] == 129000000000.5
    assert set(t.view) == {"reported"}
    nat = res.tables["trade_national"].set_index("code")
    assert nat.loc["CHN", "exports_usd"] == 3.38e12 and len(nat) == 1
    assert res.unmapped == {"S19": 1}
    assert any("not goods totals" in n for n in res.notes)


def test_imts(registry):
    res = ImfImtsExport().read({"imts.csv": FIX / "imts_export.csv"}, registry)
    t = flows(res)
    assert t.loc[(2024, "CHN", "RUS"), "imports_usd"] == 129.3e9
    assert (2024, "RUS", "CHN") not in t.index  # an empty OBS_VALUE is missing, not 0
    m = res.tables["trade_monthly"]
    assert len(m) == 1 and m.month.iloc[0] == pd.Timestamp("2024-01-01") and m.imports_usd.iloc[0] == 10.2e9
    assert res.tables["trade_national"].set_index("code").loc["CHN", "imports_usd"] == 2.59e12
    assert res.unmapped == {"G163": 1}


def test_dots_csv(registry):
    res = ImfDotsExport().read({"dots.csv": FIX / "dots_export.csv"}, registry)
    t = flows(res)
    assert t.loc[(2023, "CHN", "RUS"), "exports_usd"] == 111e9 and t.loc[(2023, "CHN", "RUS"), "exports_basis"] == "FOB"
    assert t.loc[(2021, "RUS", "CHN"), "imports_usd"] == 72e9
    assert (2022, "RUS", "CHN") not in t.index
    assert res.unmapped == {}


@pytest.mark.parametrize("cls,fname,edit,needle", [
    (ComtradeExport, "comtrade_export.csv", lambda s: s.replace("primaryValue", "value"), "primaryValue"),
    (ComtradeExport, "comtrade_export.csv", lambda s: s.replace("110000000000.0,0,True", "11O000000000.0,0,True"),
     "11O000000000.0"),
    (ImfImtsExport, "imts_export.csv", lambda s: s.replace(",2024-M01,", ",2024-01,"), "TIME_PERIOD"),
    (ImfDotsExport, "dots_export.csv", lambda s: s.replace('"67000000000"', '"6.7e10x"'), "6.7e10x"),
])
def test_bad_exports(registry, tmp_path, cls, fname, edit, needle):
    p = tmp_path / fname
    p.write_text(edit((FIX / fname).read_text(encoding="utf-8-sig")))
    with pytest.raises(SourceFormatError, match=fname) as exc:
        cls().read({cls.files[0].name: p}, registry)
    assert needle in str(exc.value)


def test_ingest_and_indicators(tmp_path, monkeypatch):
    known = SOURCES.copy()  # register() adds to this copy only; other tests keep the shipped list
    monkeypatch.setattr("dyadic.sources.SOURCES", known)
    monkeypatch.setattr("dyadic.store.SOURCES", known)
    register()
    assert "un_comtrade_export" in known and "un_comtrade_export" not in SOURCES
    data = tmp_path / "data"
    shutil.copytree(source_dir("country_codes"), data / "country_codes")
    (data / "un_comtrade_export").mkdir()
    shutil.copy(FIX / "comtrade_export.csv", data / "un_comtrade_export" / "comtrade.csv")
    shutil.copytree(source_dir("wb_gdp"), data / "wb_gdp")
    settings = Settings.resolve(data=data, store=tmp_path / "s.duckdb", cache=tmp_path / "c")
    with Store.open(settings.store_path) as st:
        s = {x.source: x for x in ingest(st, settings, ["un_comtrade_export", "wb_gdp"])}["un_comtrade_export"]
        assert s.unmapped == {"S19": 1}
        r = trade_pair(st, "CHN", "USA", 2023, 2023, source="un_comtrade_export").iloc[0]
        assert r.trade == pytest.approx(164e9 + 427e9)  # each side's imports as it reports them
        assert r.dep_a == pytest.approx((164e9 + 427e9) / (3.38e12 + 2.56e12))
        assert pd.isna(r.dep_b)  # the export holds no US world totals
        one_sided = trade_pair(st, "CHN", "RUS", 2023, 2023, source="un_comtrade_export").iloc[0]
        assert pd.isna(one_sided.trade)  # Russia did not report its imports: no importer-based total
        m = mirror_pair(st, "CHN", "RUS", 2023, 2023, source="un_comtrade_export")
        assert m.set_index("exporter").loc["CHN", "exporter_reports"] == 110e9
