"""Ingest loses nothing: atomic per source, idempotent, and clear about bad input."""

import gzip
import shutil

import pandas as pd
import pytest

from dyadic.config import Settings
from dyadic.errors import DyadicError, SourceFormatError, SourceMissingError
from dyadic.sources.unga import UNDigitalLibraryVotes
from dyadic.store import Store, ingest

from conftest import source_dir

UNDL = "unga_unsc_votes_undl_scrape"
TABLES = ["roll_calls", "votes", "sources", "states"]


@pytest.fixture()
def lab(tmp_path):
    """A private data folder (copies of the staged files) and a store holding the registry and UNDL votes."""
    data = tmp_path / "data"
    for name in ("country_codes", UNDL):
        shutil.copytree(source_dir(name), data / name)
        for f in (data / name).iterdir():
            f.chmod(0o644)
    settings = Settings.resolve(data=data, store=tmp_path / "s.duckdb", cache=tmp_path / "cache")
    st = Store.open(settings.store_path)
    ingest(st, settings, [UNDL])
    yield settings, st, data / UNDL
    st.close()


def snapshot(st):
    return {t: st.checksum(t) for t in TABLES}


def test_reingest_is_idempotent(lab):
    settings, st, _ = lab
    before = snapshot(st)
    [s] = ingest(st, settings, [UNDL])
    assert s.status == "unchanged"
    assert snapshot(st) == before
    [s] = ingest(st, settings, [UNDL], force=True)
    assert s.status == "ingested"
    after = snapshot(st)
    for t in ("roll_calls", "votes", "states"):  # forced re-read writes the same rows
        assert after[t] == before[t]


def test_new_version_replaces_old(lab):
    settings, st, folder = lab
    res = pd.read_csv(folder / "resolutions.csv.gz", keep_default_na=False)
    res[pd.to_numeric(res.year, errors="coerce") <= 2000].to_csv(folder / "resolutions.csv.gz", index=False, compression="gzip")
    [s] = ingest(st, settings, [UNDL])
    assert s.status == "ingested"
    years = st.con.execute(f"SELECT min(year), max(year) FROM roll_calls WHERE source = '{UNDL}'").fetchone()
    assert years == (1946, 2000)
    orphans = st.con.execute(f"""SELECT count(*) FROM votes v ANTI JOIN roll_calls r USING (source, rcid)
                                  WHERE v.source = '{UNDL}'""").fetchone()[0]
    assert orphans == 0
    assert st.sources().set_index("name").loc[UNDL, "rows"] == s.rows


def truncate(path, keep=0.5):
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])


def rewrite_votes(path, fn):
    df = pd.read_csv(path, keep_default_na=False, dtype=str)
    fn(df).to_csv(path, index=False, compression="gzip")


@pytest.mark.parametrize("case", ["truncated", "not_gzip", "missing_column", "bad_date", "empty"])
def test_bad_file_leaves_store_unchanged(lab, case):
    settings, st, folder = lab
    before = snapshot(st)
    target = folder / ("resolutions.csv.gz" if case == "bad_date" else "votes.csv.gz")
    if case == "truncated":
        truncate(target)
    elif case == "not_gzip":
        target.write_bytes(b"this is not gzip data\n" * 10)
    elif case == "missing_column":
        rewrite_votes(target, lambda d: d.drop(columns=["vote"]))
    elif case == "bad_date":
        res = pd.read_csv(target, keep_default_na=False, dtype=str)
        res.loc[5, "date"] = "1946-13-45"
        res.to_csv(target, index=False, compression="gzip")
    elif case == "empty":
        target.write_bytes(gzip.compress(b""))
    with pytest.raises(SourceFormatError) as exc:
        ingest(st, settings, [UNDL])
    msg = str(exc.value)
    assert target.name in msg
    if case == "missing_column":
        assert "vote" in msg
    if case == "bad_date":
        assert "1946-13-45" in msg and "date" in msg
    assert snapshot(st) == before


def test_truncated_rda(tmp_path):
    data = tmp_path / "data" / "country_codes"
    shutil.copytree(source_dir("country_codes"), data)
    (data / "codelist.rda").chmod(0o644)
    truncate(data / "codelist.rda", 0.3)
    settings = Settings.resolve(data=tmp_path / "data", store=tmp_path / "s.duckdb")
    with Store.open(settings.store_path) as st:
        with pytest.raises(SourceFormatError, match="codelist.rda"):
            ingest(st, settings, ["country_codes"])
        assert st.checksum("states") == (0, 0)


def test_failure_inside_the_transaction_rolls_back(lab, monkeypatch):
    settings, st, _ = lab
    before = snapshot(st)
    real_read = UNDigitalLibraryVotes.read

    def broken(self, paths, registry):
        result = real_read(self, paths, registry)
        result.tables["votes"]["vote"] = "maybe"  # not in the vote ENUM: the insert fails mid-way
        return result

    monkeypatch.setattr(UNDigitalLibraryVotes, "read", broken)
    with pytest.raises(SourceFormatError, match="votes"):
        ingest(st, settings, [UNDL], force=True)
    assert snapshot(st) == before


def test_missing_source_names_file_and_location(tmp_path):
    settings = Settings.resolve(data=tmp_path / "empty", store=tmp_path / "s.duckdb")
    with Store.open(settings.store_path) as st:
        with pytest.raises(SourceMissingError) as exc:
            ingest(st, settings, ["unvotes_voeten_2019"], download=False)
    msg = str(exc.value)
    assert "codelist.rda" in msg and "github" in msg  # the registry comes first, and says where to get it


def test_unknown_source(lab):
    settings, st, _ = lab
    with pytest.raises(DyadicError, match="unknown source"):
        ingest(st, settings, ["gallup_world_poll"])


def test_provenance_recorded(unga_store):
    src = unga_store.sources().set_index("name")
    for name in ("country_codes", "unvotes_voeten_2019", UNDL):
        r = src.loc[name]
        assert r["rows"] > 0 and len(r["sha256"]) >= 64 and r["citation"] and r["licence"] and r["version"]
    assert src.loc["unvotes_voeten_2019", "rows"] == unga_store.con.execute(
        "SELECT (SELECT count(*) FROM votes WHERE source = 'unvotes_voeten_2019') + "
        "(SELECT count(*) FROM roll_calls WHERE source = 'unvotes_voeten_2019')").fetchone()[0]


def test_every_voeten_code_mapped(unga_store):
    import json
    unmapped = json.loads(unga_store.sources().set_index("name").loc["unvotes_voeten_2019", "unmapped"])
    assert unmapped == {}
    n = unga_store.con.execute("SELECT count(*) FROM votes WHERE source = 'unvotes_voeten_2019'").fetchone()[0]
    assert n == 869_937  # every vote row of the release kept
