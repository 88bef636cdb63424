"""GDELT connectors on the staged real files: parsing, actor mapping, filters, bad input, the file index."""

import hashlib
import shutil
import zipfile

import duckdb
import pytest

from conftest import source_dir
from dyadic.errors import SourceFormatError
from dyadic.sources.gdelt import (GDELT1_COLUMNS, GDELT2_COLUMNS, ActorRule, Filters,
                                  download_range, events_relation, parse_index, read_csv_sql)
from dyadic.sources.gdelt_scan import EventScan, scan_files
from dyadic.events_api import ingest_gdelt
from dyadic.store import Store, ingest

V2 = "20191024143000.export.CSV"
V1 = "gdelt_v1_events_sample_710rows.tsv"


@pytest.fixture(scope="module")
def gdelt_store(settings, tmp_path_factory):
    st = Store.open(tmp_path_factory.mktemp("gdelt") / "g.duckdb")
    ingest(st, settings, ["gdelt_raw_samples"])
    yield st
    st.close()


def test_v2_sample_parses_typed():
    con = duckdb.connect()
    rel = events_relation(con, source_dir("gdelt_raw_samples") / V2)
    assert rel.columns == list(GDELT2_COLUMNS) and len(rel.columns) == 61
    assert [str(t) for t in rel.types] == list(GDELT2_COLUMNS.values())
    n, added, urls = rel.aggregate("count(*), min(DATEADDED), count(*) FILTER (SOURCEURL LIKE 'http%')").fetchone()
    assert (n, added, urls) == (2111, 20191024143000, 2111)


def test_v1_row_parses(tmp_path):
    line = (source_dir("gdelt_raw_samples") / V1).read_text().splitlines()[0]
    (tmp_path / "20160728.export.CSV").write_text(line + "\n")
    con = duckdb.connect()
    rel = events_relation(con, tmp_path / "20160728.export.CSV")
    assert len(rel.columns) == 58 == len(GDELT1_COLUMNS)
    row = dict(zip(rel.columns, rel.fetchone()))
    assert row["GLOBALEVENTID"] == int(line.split("\t")[0])
    assert row["EventCode"] == line.split("\t")[26] and row["SOURCEURL"].startswith("http")


def test_chn_rus_rows_found(gdelt_store):
    q = """SELECT src, tgt, cameo, goldstein FROM events WHERE dataset = 'gdelt2'
           AND ((src = 'CHN' AND tgt = 'RUS') OR (src = 'RUS' AND tgt = 'CHN'))"""
    assert sorted(gdelt_store.con.execute(q).fetchall()) == [("CHN", "RUS", "013", 0.4)] * 2


def test_unmapped_reported(gdelt_store):
    import json
    row = gdelt_store.con.execute("SELECT unmapped, notes FROM sources WHERE name = 'gdelt_raw_samples'").fetchone()
    unmapped = json.loads(row[0])
    assert unmapped.get("<empty>", 0) > 0 and "GOV" in unmapped  # bare role without a country: non-state
    assert any("state-to-state events kept" in n for n in json.loads(row[1]))


def test_actor_rules(gdelt_store):
    reg = gdelt_store.registry()
    states = set(reg.states.code)
    roles = ActorRule().map(["CHNGOV", "RUSMIL", "USAMED", "CHN", "GOV", "CHNGOVMIL"], states)
    assert roles == {"CHNGOV": "CHN", "RUSMIL": "RUS", "CHN": "CHN", "CHNGOVMIL": "CHN"}
    assert ActorRule("bare").map(["CHNGOV", "CHN"], states) == {"CHN": "CHN"}
    # USAMED (US media) counts for the USA only under the country rule: the RUS->USA sample row.
    path = source_dir("gdelt_raw_samples") / V2
    scan = EventScan()
    res = scan_files(path, reg, "t", ActorRule("country"), scan=scan)
    ev = res.tables["events"].read_pandas()
    assert ((ev.src == "RUS") & (ev.tgt == "USA") & (ev.cameo == "1122")).sum() == 1
    scan.close()


def test_filters_report_rows_removed(gdelt_store, tmp_path):
    path = source_dir("gdelt_raw_samples") / V2
    shutil.copy(path, tmp_path / "a.export.CSV")
    shutil.copy(path, tmp_path / "b.export.CSV")
    reg = gdelt_store.registry()
    scan = EventScan()
    res = scan_files(tmp_path, reg, "t", filters=Filters(min_sources=2, root_only=True), scan=scan)
    notes = " | ".join(res.notes)
    assert "duplicate GLOBALEVENTID': 2,111 rows removed" in notes
    n_multi = duckdb.connect().execute(
        f"SELECT count(*) FILTER (NumSources < 2) FROM read_csv('{path}', delim='\t', header=false, "
        f"quote='', columns={GDELT2_COLUMNS!r})").fetchone()[0]
    assert f"fewer than 2 sources': {n_multi:,} rows removed" in notes
    assert "not a root event'" in notes
    assert res.tables["events"].read_pandas().pipe(lambda d: (d.sources >= 2).all() and d.is_root.all())
    scan.close()


def bad_copies(tmp_path):
    src = source_dir("gdelt_raw_samples") / V2
    lines = src.read_bytes().split(b"\n")
    out = {}
    zpath = tmp_path / "20191024143000.export.CSV.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(src, V2)
    trunc = tmp_path / "trunc" / zpath.name
    trunc.parent.mkdir()
    trunc.write_bytes(zpath.read_bytes()[: zpath.stat().st_size // 2])
    out["truncated zip"] = (trunc, "cannot be unzipped")
    fields = tmp_path / "fields" / V2
    fields.parent.mkdir()
    fields.write_bytes(b"\n".join(lines[:100] + [b"\t".join(lines[100].split(b"\t")[:-1])] + lines[101:]))
    out["wrong field count"] = (fields, "line 101: Expected Number of Columns: 61 Found: 60")
    date = tmp_path / "date" / V2
    date.parent.mkdir()
    f = lines[50].split(b"\t")
    f[1] = b"20191399"
    date.write_bytes(b"\n".join(lines[:50] + [b"\t".join(f)] + lines[51:]))
    out["bad date"] = (date, 'line 51: Error when converting column "SQLDATE"')
    return out


@pytest.mark.parametrize("case", ["truncated zip", "wrong field count", "bad date"])
def test_bad_input_clear_error_store_unchanged(case, gdelt_store, settings, tmp_path):
    path, message = bad_copies(tmp_path)[case]
    before = {t: gdelt_store.checksum(t) for t in ("events", "event_volume", "event_coverage", "sources")}
    with pytest.raises(SourceFormatError) as err:
        ingest_gdelt(gdelt_store, [source_dir("gdelt_raw_samples") / V2, path], name="gdelt_raw_samples")
    assert str(path) in str(err.value) and message in str(err.value)
    assert {t: gdelt_store.checksum(t) for t in before} == before


@pytest.mark.parametrize("case,skipped", [("wrong field count", 1), ("bad date", 1)])
def test_skip_bad_lines_counts(case, skipped, gdelt_store, tmp_path):
    path, _ = bad_copies(tmp_path)[case]
    scan = EventScan()
    res = scan_files(path, gdelt_store.registry(), "t", filters=Filters(skip_bad_lines=True), scan=scan)
    assert f"2,110 rows read; {skipped:,} unparseable line(s) skipped" in res.notes[0]
    scan.close()


def test_failed_ingest_inside_store_rolls_back(gdelt_store, tmp_path):
    """A stream that fails half-way through the store's insert leaves every table as it was."""
    import pyarrow as pa
    from dyadic.sources.gdelt import GdeltRawSamples

    before = {t: gdelt_store.checksum(t) for t in ("events", "event_volume", "sources")}
    good = gdelt_store.con.execute("SELECT * FROM events LIMIT 10").arrow()

    def batches():
        yield from good.to_batches()
        raise SourceFormatError("stream broke")

    reader = pa.RecordBatchReader.from_batches(good.schema, batches())
    with pytest.raises(Exception):
        gdelt_store.replace_source(GdeltRawSamples(), {"events": reader}, {}, "x", {}, [])
    assert {t: gdelt_store.checksum(t) for t in before} == before


def test_download_range_from_local_index(tmp_path):
    src = source_dir("gdelt_raw_samples") / V2
    remote = tmp_path / "remote"
    remote.mkdir()
    entries = []
    for stamp in ("20191024141500", "20191024143000", "20191025000000"):
        z = remote / f"{stamp}.export.CSV.zip"
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(src, f"{stamp}.export.CSV")
        data = z.read_bytes()
        entries.append(f"{len(data)} {hashlib.md5(data).hexdigest()} {z}")
        entries.append(f"1 {'0' * 32} {remote}/{stamp}.mentions.CSV.zip")
    index = remote / "masterfilelist.txt"
    index.write_text("\n".join(entries) + "\n")
    got = download_range("2019-10-24", "2019-10-24", tmp_path / "cache", index_url=str(index))
    assert [p.name for p in got] == ["20191024141500.export.CSV.zip", "20191024143000.export.CSV.zip"]
    assert all(p.read_bytes() == (remote / p.name).read_bytes() for p in got)
    # A corrupted remote file is refused and nothing is left behind.
    (remote / "20191025000000.export.CSV.zip").write_bytes(b"broken")
    with pytest.raises(SourceFormatError, match="MD5"):
        download_range("2019-10-25", "2019-10-25", tmp_path / "cache", index_url=str(index))
    assert not (tmp_path / "cache" / "20191025000000.export.CSV.zip").exists()
    with pytest.raises(SourceFormatError, match="line 1"):
        parse_index("not an index line\n")


def _shifted_copy(src, dest, shift):
    """The sample with every GLOBALEVENTID moved by ``shift``: a second file with other events."""
    out = []
    for line in src.read_bytes().split(b"\n"):
        if line:
            eid, rest = line.split(b"\t", 1)
            out.append(b"%d\t%s" % (int(eid) + shift, rest))
    dest.write_bytes(b"\n".join(out) + b"\n")


def _tables(res, scan):
    ev = res.tables["events"].read_pandas().sort_values(["event_id"]).reset_index(drop=True)
    vol = res.tables["event_volume"].sort_values(["month", "code"]).reset_index(drop=True)
    cov = res.tables["event_coverage"].sort_values("day").reset_index(drop=True)
    scan.close()
    return ev, vol, cov, res.notes, res.unmapped


def test_chunked_scan_equals_one_chunk(gdelt_store, tmp_path):
    """Reading file by file (one chunk each) gives exactly the tables of one scan over all files."""
    import pandas as pd

    src = source_dir("gdelt_raw_samples") / V2
    shutil.copy(src, tmp_path / "20191024143000.export.CSV")
    _shifted_copy(src, tmp_path / "20191024144500.export.CSV", 10_000)
    reg = gdelt_store.registry()
    filters = Filters(min_sources=2)
    whole = EventScan()
    one = _tables(scan_files(tmp_path, reg, "t", filters=filters, scan=whole), whole)
    small = EventScan(chunk_bytes=1)
    many = _tables(scan_files(tmp_path, reg, "t", filters=filters, scan=small), small)
    for a, b in zip(one[:3], many[:3]):
        pd.testing.assert_frame_equal(a, b)
    assert one[3] == many[3] and one[4] == many[4]
    assert len(one[0]) > 0 and "duplicate GLOBALEVENTID': 0 rows removed" in " | ".join(one[3])


def test_repeated_ids_across_chunks_removed_exactly(gdelt_store, tmp_path):
    """The same file in two chunks: the id ranges overlap, so the scan de-duplicates exactly."""
    import pandas as pd

    src = source_dir("gdelt_raw_samples") / V2
    reg = gdelt_store.registry()
    single = EventScan()
    once = _tables(scan_files(src, reg, "t", scan=single), single)
    shutil.copy(src, tmp_path / "a.export.CSV")
    shutil.copy(src, tmp_path / "b.export.CSV")
    small = EventScan(chunk_bytes=1)
    twice = _tables(scan_files(tmp_path, reg, "t", scan=small), small)
    pd.testing.assert_frame_equal(once[0], twice[0])
    pd.testing.assert_frame_equal(once[1], twice[1])
    assert "duplicate GLOBALEVENTID': 2,111 rows removed" in " | ".join(twice[3])
    assert twice[2].rows.sum() == 2 * once[2].rows.sum()  # coverage counts every row read


CODES = ["CHN", "CHNGOVMIL", "CHNGOVMED", "CHNGO", "GOV", "", "RUSMILSPY", "XXXGOV", "USA", "USAMED", None]


@pytest.mark.parametrize("mode, expected", [
    ("state_roles", {"CHN": "CHN", "CHNGOVMIL": "CHN", "RUSMILSPY": "RUS", "USA": "USA"}),
    ("bare", {"CHN": "CHN", "USA": "USA"}),
    ("country", {"CHN": "CHN", "USA": "USA"}),  # the country rule reads ActorCountryCode, a bare code
])
def test_actor_rule_on_known_codes(gdelt_store, mode, expected):
    """The one rule (an Ibis expression; the ingest runs it compiled to DuckDB SQL, an engine inside its query):
    a state prefix followed only by state roles (GOV MIL LEG JUD COP SPY), or a bare state code."""
    import ibis

    rule = ActorRule(mode)
    states = set(gdelt_store.registry().states.code)
    assert rule.map(CODES, states) == expected
    t = ibis.memtable({"code": [c for c in CODES if c is not None]})
    got = ibis.duckdb.connect().execute(t.mutate(state=rule.expr(t.code, states)))
    assert {c: s for c, s in zip(got.code, got.state) if isinstance(s, str)} == expected


def test_url_rule_reads_every_row_and_reports_both_filters(gdelt_store, tmp_path):
    """The URL rule compares rows across the input: the ids repeated are removed, then same-article codings."""
    import pandas as pd

    src = source_dir("gdelt_raw_samples") / V2
    reg = gdelt_store.registry()
    single = EventScan()
    once = _tables(scan_files(src, reg, "t", filters=Filters(dedup="url"), scan=single), single)
    shutil.copy(src, tmp_path / "a.export.CSV")
    shutil.copy(src, tmp_path / "b.export.CSV")
    both = EventScan()
    twice = _tables(scan_files(tmp_path, reg, "t", filters=Filters(dedup="url"), scan=both), both)
    pd.testing.assert_frame_equal(once[0], twice[0])
    notes = " | ".join(twice[3])
    assert "duplicate GLOBALEVENTID': 2,111 rows removed" in notes
    assert "same URL, date, actors and event code under another id'" in notes
    n_url = duckdb.connect().execute(
        "SELECT count(*) - count(DISTINCT (SOURCEURL, SQLDATE, Actor1Code, Actor2Code, EventCode)) FROM "
        + read_csv_sql(src, GDELT2_COLUMNS)).fetchone()[0]
    assert f"another id': {n_url:,} rows removed" in notes


def test_event_files_go_through_the_one_ingest_door(gdelt_store, tmp_path):
    """Same files, same rule and filters: unchanged, not read again; other filters: ingested again; the
    recorded checksums are BLAKE3 (the source's own algorithm) in the same provenance record as any source."""
    import json

    def events() -> int:
        return gdelt_store.con.execute("SELECT count(*) FROM events WHERE source = 'gdelt_door'").fetchone()[0]

    files = [source_dir("gdelt_raw_samples") / V2]
    first = ingest_gdelt(gdelt_store, files, name="gdelt_door")
    n_first = events()
    again = ingest_gdelt(gdelt_store, files, name="gdelt_door")
    stricter = ingest_gdelt(gdelt_store, files, name="gdelt_door", filters=Filters(min_sources=2))
    assert (first.status, again.status, stricter.status) == ("ingested", "unchanged", "ingested")
    assert again.rows == 0 and 0 < events() < n_first
    rec = gdelt_store.con.execute("SELECT files, sha256 FROM sources WHERE name = 'gdelt_door'").fetchone()
    [entry] = json.loads(rec[0]).values()
    assert len(entry["blake3"]) == 64 and rec[1].startswith("blake3:") and "min_sources=2" in rec[1]
    gdelt_store.con.execute("DELETE FROM events WHERE source = 'gdelt_door'")
    gdelt_store.con.execute("DELETE FROM sources WHERE name = 'gdelt_door'")


def test_an_events_source_reads_without_a_store(gdelt_store):
    """GdeltEvents.read (the events as a stream, outside any store) runs on files it is given."""
    from dyadic.sources.gdelt import GdeltEvents

    src = GdeltEvents([source_dir("gdelt_raw_samples") / V2])
    res = src.read(src.locate(None), gdelt_store.registry())
    n = sum(b.num_rows for b in res.tables["events"])
    src._scan.close()
    stored = gdelt_store.con.execute("SELECT count(*) FROM events WHERE source = 'gdelt_raw_samples' "
                                     "AND dataset = 'gdelt2'").fetchone()[0]
    assert n == stored > 0
