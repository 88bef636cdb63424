"""``dyadic update undl_export --file PATH``: UN Digital Library voting records the user exported by hand.

Recordings (tests/fixtures/recorded/undl/), written by hand:

- ``votes_export.xml``: a MARCXML export (MARC 21 slim ``<collection>``) of five Voting Data records in the
  field layout of the Library's records as other readers of them document it (001 record id; 245 $a $b
  title; 269 $a vote date; 791 $a symbol, $b body prefix, $c session; 952 $a meeting record; 996 $b-$f vote
  totals; one 967 per member, $a order, $c code, $d vote, $e name, no $d for non-voting; research.un.org's
  UN Voting guide for the Y/N/A/blank notation). Record ids, dates, symbols, titles and the member votes
  shown are those of the real records (A/RES/ES-11/1, A/RES/68/262, S/RES/2231(2015), A/RES/1761(XVII)) as
  the staged crawl (unga_unsc_votes_undl_scrape) holds them, for ten members only; the fifth record,
  A/RES/78/10, was adopted without a vote and has no 967.
- ``votes_bulk.csv``: the same four GA resolutions in the layout of the Library's voting-data file (record
  4060887; header of its 2026 release, with ``vote_note``; ``X`` for non-voting).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from test_update import registry_file, row, store  # noqa: F401 (fixtures shared with the other updaters' tests)
from typer.testing import CliRunner

from dyadic.errors import DyadicError, SourceFormatError
from dyadic.sources.live import LiveClient, UpdateError
from dyadic.update import update_source
from dyadic.sources.undl_export import UndlExportFile

REC = Path(__file__).parent / "fixtures" / "recorded" / "undl"
NAME = "undl_export"
VOTE = "SELECT v.code, v.vote::VARCHAR FROM votes v WHERE v.source = ? AND v.rcid = ? ORDER BY v.code"


def update(store, path: Path, cache: Path, **kw):
    with LiveClient() as client:
        return update_source(store, NAME, client, cache, updater=UndlExportFile(path), **kw)


def test_marcxml_export_replaces_the_source_with_provenance(store, tmp_path):
    s = update(store, REC / "votes_export.xml", tmp_path)
    assert (s.status, s.as_of) == ("replaced", date(2022, 3, 2))
    rc = store.con.execute("SELECT rcid, body, date::VARCHAR, year, session, symbol FROM roll_calls WHERE source = ? "
                           "ORDER BY date", [NAME]).fetchall()
    assert rc == [(662066, "GA", "1962-11-06", 1962, 17, "A/RES/1761(XVII)"),
                  (767565, "GA", "2014-03-27", 2014, 68, "A/RES/68/262"),
                  (798383, "SC", "2015-07-20", 2015, None, "S/RES/2231(2015)"),
                  (3959039, "GA", "2022-03-02", 2022, None, "A/RES/ES-11/1")]  # ES-11 is no number: no session
    # the Ukraine vote of 2 March 2022 as recorded; Venezuela listed without a vote ($d absent) is absent
    assert dict(store.con.execute(VOTE, [NAME, 3959039]).fetchall()) == {
        "CHN": "abstain", "ERI": "no", "FRA": "yes", "GBR": "yes", "IND": "abstain", "PAK": "abstain", "RUS": "no",
        "UKR": "yes", "USA": "yes", "VEN": "absent"}
    # 1962: the China seat is the Republic of China, the USSR's is Russia's, the two SSRs vote apart
    v1962 = dict(store.con.execute(VOTE, [NAME, 662066]).fetchall())
    assert v1962["TWN"] == "yes" and "CHN" not in v1962 and v1962["RUS"] == "yes" and len(v1962) == 9
    assert store.con.execute("SELECT title FROM roll_calls WHERE rcid = 767565").fetchone()[0] == (
        "Territorial integrity of Ukraine : resolution / adopted by the General Assembly")
    rec = row(store, NAME)
    digest = hashlib.sha256((REC / "votes_export.xml").read_bytes()).hexdigest()
    assert rec["release"] == f"export sha256:{digest[:12]}"
    assert rec["url"] == (REC / "votes_export.xml").resolve().as_uri()
    assert rec["retrieved_at"] is not None and json.loads(rec["unmapped"]) == {}
    notes = json.loads(rec["notes"])
    assert "1 record(s) without a recorded vote (adopted without a vote, or not voting records) left out" in notes
    assert digest in rec["sha256"] and "export.xml" in rec["files"]  # the copy read is the file given


def test_same_file_is_unchanged_and_an_edited_one_replaces(store, tmp_path):
    update(store, REC / "votes_export.xml", tmp_path)
    before = store.checksum("votes")
    assert update(store, REC / "votes_export.xml", tmp_path).status == "unchanged"
    assert store.checksum("votes") == before
    edited = tmp_path / "records.xml"  # a later export: India's 2022 abstention read as a yes
    text = (REC / "votes_export.xml").read_text()
    text = text.replace('<subfield code="c">IND</subfield>\n    <subfield code="d">A</subfield>',
                        '<subfield code="c">IND</subfield>\n    <subfield code="d">Y</subfield>', 1)
    edited.write_text(text)
    s = update(store, edited, tmp_path)
    assert s.status == "replaced" and store.checksum("votes") != before
    assert dict(store.con.execute(VOTE, [NAME, 3959039]).fetchall())["IND"] == "yes"


def test_bulk_csv_reads_as_the_marcxml_does(store, tmp_path):
    update(store, REC / "votes_export.xml", tmp_path)
    q = ("SELECT r.symbol, v.code, v.vote::VARCHAR FROM votes v JOIN roll_calls r USING (source, rcid) "
         "WHERE v.source = ? AND r.body = 'GA' ORDER BY 1, 2")
    from_xml = store.con.execute(q, [NAME]).fetchall()
    s = update(store, REC / "votes_bulk.csv", tmp_path)
    assert s.status == "replaced"
    assert store.con.execute(q, [NAME]).fetchall() == from_xml and len(from_xml) == 29
    # the same file saved as Excel, and the 2024 release's plural column names
    import pandas as pd
    df = pd.read_csv(REC / "votes_bulk.csv", dtype=str, keep_default_na=False)
    df.rename(columns={"ms_code": "ms_codes", "ms_name": "ms_names", "ms_vote": "ms_votes",
                       "resolution": "resolutions"}).to_excel(tmp_path / "votes.xlsx", index=False)
    assert update(store, tmp_path / "votes.xlsx", tmp_path).status == "replaced"
    assert store.con.execute(q, [NAME]).fetchall() == from_xml


def test_marcxml_without_namespace_reads_the_same(store, tmp_path):
    update(store, REC / "votes_export.xml", tmp_path)
    before = store.checksum("votes")
    plain = tmp_path / "record.xml"
    plain.write_text((REC / "votes_export.xml").read_text().replace(' xmlns="http://www.loc.gov/MARC21/slim"', ""))
    assert update(store, plain, tmp_path).status == "replaced"  # another file: read again, same rows
    assert store.checksum("votes") == before


def test_unknown_member_names_are_reported_not_dropped_unsaid(store, tmp_path):
    f = tmp_path / "export.xml"
    f.write_text((REC / "votes_export.xml").read_text().replace(">ERITREA<", ">FREEDONIA<"))
    s = update(store, f, tmp_path)
    assert s.status == "replaced"
    rec = row(store, NAME)
    assert json.loads(rec["unmapped"]) == {"FREEDONIA": 2}  # two roll calls with Eritrea's entry
    assert any("2 vote(s) of 1 member name(s) the registry does not know left out: FREEDONIA" in n
               for n in json.loads(rec["notes"]))
    assert store.con.execute("SELECT count(*) FROM votes WHERE source = ?", [NAME]).fetchone()[0] == 35 - 2


@pytest.mark.parametrize("name, damage, expect", [
    ("cut.xml", lambda t: t[: len(t) // 2], r"line \d+, column \d+: not well-formed MARCXML"),
    ("mark.xml", lambda t: t.replace('<subfield code="d">N</subfield>', '<subfield code="d">Q</subfield>', 1),
     r"record 3959039, field 967 no\. 6 \(ERITREA\): \$d is 'Q'"),
    ("date.xml", lambda t: t.replace(">2014-03-27<", ">27 March 2014<"), r"record 767565: field 269 \$a .*not a date"),
    ("symbol.xml", lambda t: t.replace('<subfield code="a">S/RES/2231(2015)</subfield>', ""),
     r"record 798383: field 791 \$a \(the resolution symbol\) is missing"),
    ("vote.csv", None, r"line 4, column 'ms_vote': 'maybe'"),
    ("header.csv", None, r"header: lacks column\(s\) ms_vote"),
    ("other.txt", lambda t: "Symbol;Date\nA/RES/1;2020-01-01\n", r"neither MARCXML .* nor the voting-data CSV"),
])
def test_malformed_export_fails_naming_file_and_field_and_changes_nothing(store, tmp_path, name, damage, expect):
    update(store, REC / "votes_export.xml", tmp_path)
    before, rec = store.checksum("votes"), row(store, NAME)
    cached = sorted(p.name for p in (tmp_path / "live" / NAME).iterdir())
    bad = tmp_path / name
    if name == "vote.csv":
        lines = (REC / "votes_bulk.csv").read_text().splitlines(keepends=True)
        lines[3] = lines[3].replace(",A,2022-03-02,", ",maybe,2022-03-02,")
        bad.write_text("".join(lines))
    elif name == "header.csv":
        bad.write_text((REC / "votes_bulk.csv").read_text().replace("ms_vote,", "vote,", 1))
    else:
        bad.write_text(damage((REC / "votes_export.xml").read_text()))
    with pytest.raises(SourceFormatError, match=expect) as err:
        update(store, bad, tmp_path)
    assert str(bad) in str(err.value) and "Export it again" in str(err.value) or name == "other.txt"
    assert store.checksum("votes") == before and row(store, NAME)["release"] == rec["release"]
    assert sorted(p.name for p in (tmp_path / "live" / NAME).iterdir()) == cached  # no half-written release


def test_without_a_file_it_says_how(store, tmp_path):
    with pytest.raises(UpdateError, match="--file PATH"):
        update(store, None, tmp_path)
    with pytest.raises(UpdateError, match="no such file"):
        update(store, tmp_path / "nothing.xml", tmp_path)
    assert not store.has_source(NAME)


def test_cli_update_with_file(store, tmp_path, monkeypatch):
    path = store.path
    store.close()
    monkeypatch.setenv("DYADIC_CACHE", str(tmp_path / "cache"))
    from dyadic.cli import app, console, out

    for c in (out, console):
        monkeypatch.setattr(c, "width", 400)
    runner = CliRunner()
    export = tmp_path / "My Export.xml"  # a browser's file name, with a space
    shutil.copy(REC / "votes_export.xml", export)
    res = runner.invoke(app, ["update", NAME, "--file", str(export), "--store", str(path)])
    assert res.exit_code == 0, res.output
    assert "replaced" in res.output and "export sha256:" in res.output and "2022-03-02" in res.output
    res = runner.invoke(app, ["update", NAME, "--file", str(export), "--check", "--store", str(path)])
    assert res.exit_code == 0 and "current" in res.output
    res = runner.invoke(app, ["update", NAME, "--store", str(path)])
    assert res.exit_code == 2 and "--file PATH" in res.output
    res = runner.invoke(app, ["update", "wb_gdp", "--file", str(export), "--store", str(path)])
    assert res.exit_code == 2 and "--file is for a source read from your own export" in res.output
    from dyadic.store import Store
    with Store.open(path, read_only=True) as st:
        assert st.con.execute("SELECT count(*) FROM roll_calls WHERE source = ?", [NAME]).fetchone()[0] == 4


def test_errors_are_dyadic_errors():
    # the CLI names a failing source and goes on only for DyadicError: both failure kinds must be one
    assert issubclass(SourceFormatError, DyadicError) and issubclass(UpdateError, DyadicError)


def test_unga_indicators_read_the_export(store, tmp_path):
    """VoteSelection(source='export') reads the user's export alone: agreement of the pairs it covers."""
    from dyadic.indicators.unga import VoteSelection, load_votes, pair_series

    update(store, REC / "votes_export.xml", tmp_path)
    sel = VoteSelection(source="export")
    votes = load_votes(store, sel)
    assert set(votes.year) == {1962, 2014, 2022}  # the GA records of the export; the SC one is not GA
    s = pair_series(store, "CHN", "RUS", sel)
    assert len(s) and s["n"].min() >= 1 and s["agree"].between(0, 1).all()
