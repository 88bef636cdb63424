"""A reader of the UN Digital Library voting records a user exported by hand (``undl_export``).

The Digital Library's terms do not allow automated downloads, so dyadic never fetches from it: the user
exports the records (or downloads the Library's voting-data file) in a browser and hands dyadic the file::

    dyadic update undl_export --file ~/Downloads/records.xml

Two layouts are read, told apart by their first bytes:

- **MARCXML**, the Digital Library's "Export > MARCXML" of a Voting Data search (``<collection
  xmlns="http://www.loc.gov/MARC21/slim">``, one ``<record>`` per resolution). Fields read: ``001`` the record
  id (the ``undl_id`` of the crawl source, so both use the same ``rcid``), ``791 $a`` the resolution symbol
  (``$b`` the body prefix ``A/``/``S/``, ``$c`` the session), ``269 $a`` the vote date, ``245 $a $b`` the title,
  and one ``967`` per member state: ``$c`` its code, ``$e`` its name at the time, ``$d`` the vote (``Y``, ``N``,
  ``A``; no ``$d``: listed without a vote).
- **The voting-data CSV** the Library publishes as a record of its own (General Assembly: record 4060887;
  one row per member state and resolution: ``undl_id, ms_code, ms_name, ms_vote, date, session, resolution,
  ..., title, ...``; ``ms_vote`` ``Y``/``N``/``A``, ``X`` or ``NV`` or empty for non-voting), as CSV or the
  same table saved as Excel (.xlsx). The first (2024) release named the columns in the plural
  (``ms_codes, ms_names, ms_votes, resolutions``); both spellings are read.

Both write the tables of the crawl connector (:class:`~dyadic.sources.unga.UNDigitalLibraryVotes`):
``roll_calls`` and ``votes``, with ``vote`` yes / no / abstain / absent. Member names are mapped through the
registry with the vote date (the China seat before 25 October 1971 is the Republic of China); names that do
not map are reported as unmapped, with their row counts, never dropped unsaid.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import ClassVar

import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source, sha256_of
from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError
from dyadic.sources.registry import Registry
from dyadic.sources.unga import UNGA_SCHEMA, UNGA_TYPES, vote_category

#: the file names the connector reads, one per layout (the updater copies the user's file to one of them).
LAYOUT_FILES = {"marcxml": "export.xml", "csv": "export.csv", "xlsx": "export.xlsx"}
#: vote marks of both layouts; empty (or a 967 without $d) is a member listed without a vote.
VOTE_MARKS = {"Y": "yes", "N": "no", "A": "abstain", "": "absent", "X": "absent", "NV": "absent"}
#: the voting-data file's columns as read (2025 names) <- the 2024 release's plural names.
CSV_RENAMES = {"ms_codes": "ms_code", "ms_names": "ms_name", "ms_votes": "ms_vote", "resolutions": "resolution"}
CSV_NEEDED = ["undl_id", "ms_name", "ms_vote", "date", "resolution"]
CALL_COLUMNS = ["rcid", "body", "date", "symbol", "session", "title"]
VOTE_COLUMNS = ["rcid", "name", "mark", "date"]
HOW_TO_EXPORT = ("Export it again from digitallibrary.un.org (a Voting Data search, Export > MARCXML), or "
                 "download the voting-data CSV again.")


def _fail(path: Path, where: str, msg: str) -> SourceFormatError:
    return SourceFormatError(f"{path}: {where}: {msg} {HOW_TO_EXPORT}")


def sniff(path: Path) -> str:
    """The layout of an export: ``marcxml``, ``csv`` or ``xlsx``, from its first bytes (not its name: browsers
    save the Library's exports under various names)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise SourceFormatError(f"{path}: cannot be read ({exc}).") from exc
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "marcxml"
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    if "undl_id" in first:
        return "csv"
    raise SourceFormatError(f"{path}: neither MARCXML (<collection ...>) nor the voting-data CSV (a header "
                            f"starting 'undl_id,ms_code,...'); it begins {first[:60]!r}. {HOW_TO_EXPORT}")


def _date(text: str) -> date | None:
    """A vote date as the Library writes it: ``2023-10-27`` (MARC 269 and the CSV) or ``20231027``."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%Y%m%d"):
        try:
            return pd.Timestamp(pd.to_datetime(t, format=fmt)).date()
        except (ValueError, TypeError):
            continue
    return None


def _body(symbol: str, prefix: str = "") -> str | None:
    """GA or SC from the resolution symbol (``A/RES/...``, ``S/RES/...``) or MARC 791 $b (``A/``, ``S/``)."""
    for s in (symbol.strip().upper(), prefix.strip().upper()):
        if s.startswith("A/"):
            return "GA"
        if s.startswith("S/"):
            return "SC"
    return None


def _session(text: str) -> int | None:
    t = text.strip()
    return int(t) if t.isdigit() else None  # "ES-10" and "10emsp" (emergency special sessions) stay empty


def _local(tag: str) -> str:
    """An element's name without its namespace: exports carry the MARC 21 slim namespace, single records
    of the Library's record pages may not."""
    return tag.rsplit("}", 1)[-1]


def _subfields(field: ET.Element) -> dict[str, str]:
    """A datafield's subfields, code -> text (the first of a repeated code; the fields read repeat none)."""
    out: dict[str, str] = {}
    for sf in field:
        if _local(sf.tag) == "subfield":
            out.setdefault(sf.get("code", ""), (sf.text or "").strip())
    return out


def read_marcxml(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Roll calls and member votes of a MARCXML export; also the number of records without member votes.

    Records are read one at a time (``iterparse``) and freed: an export of every GA vote is hundreds of MB.
    """
    calls: list[dict] = []
    votes: list[dict] = []
    skipped = 0
    try:
        for _, rec in ET.iterparse(path, events=("end",)):
            if _local(rec.tag) != "record":
                continue
            rid = ""
            fields: dict[str, list[dict[str, str]]] = {}
            for el in rec:
                name = _local(el.tag)
                if name == "controlfield" and el.get("tag") == "001":
                    rid = (el.text or "").strip()
                elif name == "datafield":
                    fields.setdefault(el.get("tag", ""), []).append(_subfields(el))
            rec.clear()  # read: free it (the collection keeps only an empty element)
            members = fields.get("967", [])
            if not members:  # adopted without a vote, or not a voting record at all
                skipped += 1
                continue
            where = f"record {rid or '(no 001)'}"
            if not rid.isdigit():
                raise _fail(path, where, "field 001 (the record id) is missing or not a number.")
            f791 = (fields.get("791") or [{}])[0]
            symbol = f791.get("a", "")
            if not symbol:
                raise _fail(path, where, "field 791 $a (the resolution symbol) is missing.")
            raw_date = (fields.get("269") or [{}])[0].get("a", "")
            when = _date(raw_date)
            if when is None:
                raise _fail(path, where, f"field 269 $a (the vote date) is {raw_date!r}, not a date (YYYY-MM-DD).")
            body = _body(symbol, f791.get("b", ""))
            if body is None:
                raise _fail(path, where, f"field 791: symbol {symbol!r} is neither a General Assembly (A/) nor a "
                                         "Security Council (S/) resolution.")
            title = " ".join(t for t in ((fields.get("245") or [{}])[0].get(c, "") for c in "ab") if t)
            calls.append({"rcid": int(rid), "body": body, "date": when, "session": _session(f791.get("c", "")),
                          "symbol": symbol, "title": title or None})
            for i, m in enumerate(members, 1):
                mark = m.get("d", "").upper()
                if mark not in VOTE_MARKS:
                    raise _fail(path, f"{where}, field 967 no. {i} ({m.get('e') or m.get('c')})",
                                f"$d is {mark!r}; a vote is Y, N, A or empty.")
                name = m.get("e") or m.get("c", "")
                if not name:
                    raise _fail(path, f"{where}, field 967 no. {i}", "neither $e (member name) nor $c (code).")
                votes.append({"rcid": int(rid), "name": name, "mark": mark, "date": when})
    except ET.ParseError as exc:
        line, col = exc.position
        raise _fail(path, f"line {line}, column {col}", f"not well-formed MARCXML ({exc}); the file is cut off or "
                                                        "was edited.") from exc
    return pd.DataFrame(calls, columns=CALL_COLUMNS), pd.DataFrame(votes, columns=VOTE_COLUMNS), skipped


def _first_bad(path: Path, bad: pd.Series, values: pd.Series, column: str, what: str) -> None:
    """Fail on the first row flagged ``bad``, naming its line (the header is line 1) and column."""
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise _fail(path, f"line {i + 2}, column '{column}'", f"{values.iloc[i]!r} {what}.")


def read_table(path: Path, layout: str) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Roll calls and member votes of the voting-data file (CSV or .xlsx), every row checked.

    Checked column by column, not row by row: the General Assembly file has about 900,000 rows.
    """
    try:
        if layout == "xlsx":
            df = pd.read_excel(path, dtype=str, keep_default_na=False)
        else:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as exc:
        raise _fail(path, "whole file", f"cannot be read as the voting-data table ({exc}).") from exc
    df = df.rename(columns=CSV_RENAMES)
    missing = [c for c in CSV_NEEDED if c not in df.columns]
    if missing:
        raise _fail(path, "header", f"lacks column(s) {', '.join(missing)} (it has {', '.join(map(str, df.columns))}).")
    df = df.reset_index(drop=True).apply(lambda s: s.astype(str).str.strip())
    _first_bad(path, ~df.undl_id.str.fullmatch(r"\d+"), df.undl_id, "undl_id", "is not a record id")
    when = pd.to_datetime(df.date, format="%Y-%m-%d", errors="coerce")
    when = when.fillna(pd.to_datetime(df.date, format="%Y%m%d", errors="coerce"))
    _first_bad(path, when.isna(), df.date, "date", "is not a date (YYYY-MM-DD)")
    mark = df.ms_vote.str.upper()
    _first_bad(path, ~mark.isin(list(VOTE_MARKS)), df.ms_vote, "ms_vote", "is not a vote (Y, N, A, X, NV or empty)")
    symbol = df.resolution.str.upper()
    body = pd.Series(None, index=df.index, dtype=object).mask(symbol.str.startswith("A/"), "GA").mask(
        symbol.str.startswith("S/"), "SC")
    _first_bad(path, body.isna(), df.resolution, "resolution",
               "is neither a General Assembly (A/) nor a Security Council (S/) resolution")
    name = df.ms_name.mask(df.ms_name == "", df.get("ms_code", ""))
    _first_bad(path, name == "", df.ms_name, "ms_name", "is empty, and so is ms_code")
    rcid = df.undl_id.astype("int64")
    # One record is one resolution on one day: a file that says otherwise was edited or mixed up.
    key = df.resolution + "|" + when.dt.strftime("%Y-%m-%d")
    clash = key.groupby(rcid).transform("nunique") > 1
    _first_bad(path, clash, key, "resolution", "and date differ from another line of the same undl_id")
    calls = pd.DataFrame({"rcid": rcid, "body": body, "date": when.dt.date, "symbol": df.resolution,
                          "session": [_session(x) for x in df.get("session", pd.Series("", index=df.index))],
                          "title": df.get("title", pd.Series("", index=df.index)).replace("", None)})
    votes = pd.DataFrame({"rcid": rcid, "name": name, "mark": mark, "date": when.dt.date})
    return calls.drop_duplicates("rcid"), votes, 0


class UndlExport(Source):
    """UN Digital Library voting records from a file the user exported (MARCXML) or downloaded (the CSV)."""

    name = "undl_export"
    title = "UN Digital Library voting data (GA and SC), user export"
    version = "as exported"
    citation = ("United Nations Dag Hammarskjöld Library, UN Digital Library voting records "
                "(https://digitallibrary.un.org, Voting Data), exported by the user.")
    licence = "UN terms: non-commercial use with attribution; no automated downloads"
    homepage = "https://digitallibrary.un.org/search?cc=Voting+Data"
    files = tuple(RemoteFile(f, optional=True) for f in LAYOUT_FILES.values())
    schema = UNGA_SCHEMA
    types = UNGA_TYPES

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        given = [(layout, paths[f]) for layout, f in LAYOUT_FILES.items() if f in paths]
        if len(given) != 1:
            raise SourceFormatError(f"{self.name}: expected one export ({', '.join(LAYOUT_FILES.values())}), found "
                                    f"{len(given)}. Use 'dyadic update undl_export --file PATH'.")
        layout, path = given[0]
        if sniff(path) != layout:
            raise SourceFormatError(f"{path}: named as {layout} but holds {sniff(path)}.")
        calls, votes, skipped = read_marcxml(path) if layout == "marcxml" else read_table(path, layout)
        return self.tables(path, calls, votes, skipped, registry)

    def tables(self, path: Path, calls: pd.DataFrame, votes: pd.DataFrame, skipped: int,
               registry: Registry) -> IngestResult:
        """The canonical tables; roll calls where nobody voted yes, no or abstain are left out (no recorded vote)."""
        if not len(votes):
            raise SourceFormatError(f"{path}: holds no voting records with member votes (MARC field 967 or the "
                                    f"ms_vote column). {HOW_TO_EXPORT}")
        rc = calls.drop_duplicates("rcid")
        v = votes.copy()
        v["vote"] = v["mark"].map(VOTE_MARKS)
        recorded = v.groupby("rcid")["vote"].agg(lambda s: (s != "absent").any())
        v = v[v.rcid.map(recorded).to_numpy()]
        unrecorded = int((~recorded).sum())
        rc = rc[rc.rcid.isin(v.rcid)]
        # Names, not the 967 $c / ms_code: the code column is the UN's (USSR, YUG, CSK ...), the registry's
        # dated aliases are by name (the China seat), as for the crawl of the same records.
        code = registry.map_codes(v["name"], dates=pd.to_datetime(v["date"]))
        unmapped = Registry.unmapped_counts(v["name"], code)
        out = pd.DataFrame({"source": self.name, "rcid": v.rcid.astype("int64"), "code": code,
                            "vote": vote_category(v.vote)})[code.notna().to_numpy()]
        twice = int(out.duplicated(["rcid", "code"]).sum())
        out = out.drop_duplicates(["rcid", "code"])
        when = pd.to_datetime(rc["date"])
        roll_calls = pd.DataFrame({
            "source": self.name, "rcid": rc.rcid.astype("int64"), "body": rc.body, "date": when,
            "year": when.dt.year.astype("int32"), "session": pd.array(rc.session.tolist(), dtype="Int32"),
            "symbol": rc.symbol, "title": rc.title, "important": pd.array([pd.NA] * len(rc), dtype="boolean"),
            "amend": False, "para": False, "issues": None,
        })
        notes = [f"{len(roll_calls)} roll calls {when.min().date()} to {when.max().date()} from {path.name}"]
        if skipped or unrecorded:
            notes.append(f"{skipped + unrecorded} record(s) without a recorded vote (adopted without a vote, or not "
                         "voting records) left out")
        if unmapped:
            notes.append(f"{sum(unmapped.values())} vote(s) of {len(unmapped)} member name(s) the registry does not "
                         f"know left out: {', '.join(sorted(unmapped))}")
        if twice:
            notes.append(f"{twice} vote(s) of a name mapping to a state already listed on the same roll call dropped")
        return IngestResult({"roll_calls": roll_calls, "votes": out}, unmapped, notes)


class UndlExportFile:
    """``dyadic update undl_export --file PATH``: the user's export as a release (no network).

    The release is the file's sha256, dated by its latest vote; :meth:`fetch` copies it into the update cache
    (checking it is still the file that was resolved), so the store records where it came from, when, and
    its checksum, and replaces the source only when the file changed.
    """

    source: ClassVar[str] = UndlExport.name
    connector: ClassVar[type] = UndlExport
    #: updated only when named with a file, never by a bare ``dyadic update``.
    on_request: ClassVar[bool] = True
    def __init__(self, file: Path | None = None):
        #: the export to read (the CLI's ``--file``).
        self.file = file

    def latest(self, client: LiveClient) -> Release:
        path = self.file
        if path is None:
            raise UpdateError("undl_export reads a file you exported from the UN Digital Library (its terms allow "
                              "no automated downloads): dyadic update undl_export --file PATH.")
        path = Path(path).expanduser().resolve()
        if not path.is_file():
            raise UpdateError(f"{path}: no such file (the --file of undl_export).")
        layout = sniff(path)
        calls, _, _ = read_marcxml(path) if layout == "marcxml" else read_table(path, layout)
        if not len(calls):
            raise UpdateError(f"{path}: holds no voting records with member votes. {HOW_TO_EXPORT}")
        digest = sha256_of(path)
        as_of = max(calls["date"])
        return Release(source=self.source, release=f"export sha256:{digest[:12]}", as_of=as_of, url=path.as_uri(),
                       files=(ReleaseFile(LAYOUT_FILES[layout], path.as_uri(), f"sha256:{digest}",
                                          path.stat().st_size, path.name),),
                       title=f"UN Digital Library voting data, user export {path.name} (votes to {as_of})",
                       notes=[f"user export {path} ({layout}), sha256 {digest}"])

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        f = release.files[0]
        src = Path(self.file).expanduser().resolve()  # type: ignore[arg-type]
        dest.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest, prefix=f".{f.name}.", suffix=".part")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            got = "sha256:" + sha256_of(Path(tmp))
            if got != f.checksum:  # the file was changed between resolving and copying it
                raise UpdateError(f"{src}: changed while being read ({got} against {f.checksum}); run the update "
                                  "again once the file is complete.")
            os.replace(tmp, dest / f.name)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return {f.name: dest / f.name}
