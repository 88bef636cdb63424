"""Connectors for alliance obligations by instrument: ATOP 5.1 alliance- and member-level files with the Benson &
Clinton (2016) depth scores, and the project's curated table of treaties signed or ended after ATOP's last year.

``alliances_atop_levels`` reads the staged ATOP 5.1 files as published (Leeds 2022 codebook) into

``atop_alliances(source, atopid, begin_year, begin_month, begin_day, end_year, end_month, end_day, in_effect,
bilateral, phases, members, defense, offense, neutral, nonagg, consult, active, depth)``

``atop_members(source, atopid, phase, ccode, code, entry_year, entry_month, entry_day, exit_year, exit_month,
exit_day, in_effect, bilateral, defense, offense, neutral, nonagg, consult, obvary)``

ATOP writes an end or exit date of 0 for an alliance still in force on 2018-12-31; here that is NULL with
``in_effect`` true (the end is not known, it is not year 0). Member rows are spells (one per phase and per
return), entry dates are signature dates (codebook). ``depth`` is Benson & Clinton's ``Depth.score``, NULL for
the alliances they did not score (those formed after 2000, and others outside their complete-case sample).

``treaties_after_sources`` reads ``dyadic/data/treaties_after_sources.csv`` (authored in the project, one cited
row per event) into ``treaties_curated``; see docs/sources/alliances_atop_levels.md for its columns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.config import Settings
from dyadic.errors import AmbiguousStateError, SourceFormatError, UnknownStateError
from dyadic.sources.alliances import checked_flags, checked_ints, cow_codes
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry

ATOP_LAST_DAY = "2018-12-31"  # ATOP 5.1 codes status as of this day (codebook)
DODL = "https://raw.githubusercontent.com/jandresgannon/DoDL/67007e1463492dcc15aa24446c99871abe937429/inst/extdata/ATOP"
HIRSH = ("https://raw.githubusercontent.com/Joseph-Hirsh/senior-thesis/ed709981fd3b29dd90e4735d05c0bd4e38183dd1/"
         "assets/datasets")
#: our pledge name -> ATOP column (ATOP spells consultation ``consul``)
PLEDGE_COLUMNS = {"defense": "defense", "offense": "offense", "neutral": "neutral", "nonagg": "nonagg",
                  "consult": "consul"}
PLEDGES = tuple(PLEDGE_COLUMNS)
FLAGS = "defense BOOLEAN, offense BOOLEAN, neutral BOOLEAN, nonagg BOOLEAN, consult BOOLEAN"


def _read_csv(path: Path, title: str) -> pd.DataFrame:
    """The whole file as text columns; a file pandas cannot parse is a format error naming it."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        raise SourceFormatError(f"{path}: cannot be read as the {title} CSV ({exc}). Re-download it.") from exc


def _bad_row(path: Path, col: str, df: pd.DataFrame, mask: np.ndarray, why: str) -> SourceFormatError:
    i = int(np.flatnonzero(mask)[0])
    return SourceFormatError(f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' {why}. The file is "
                             "corrupt or not the published one: re-download it.")


def _ints(df: pd.DataFrame, col: str, path: Path, blank_ok: bool = False) -> pd.Series:
    """Whole numbers; ``blank_ok`` lets an empty cell be missing (ATOP leaves some days blank)."""
    if not blank_ok:
        return checked_ints(df, col, path)
    v = pd.to_numeric(df[col].replace("", None), errors="coerce")
    bad = (df[col] != "").to_numpy() & (v.isna() | (v != v.round())).to_numpy()
    if bad.any():
        raise _bad_row(path, col, df, bad, "is not a whole number")
    return v.astype("Int16")


def _spell(raw: pd.DataFrame, out: pd.DataFrame, path: Path, start: tuple[str, str, str, str],
           stop: tuple[str, str, str, str], what: str) -> pd.Series:
    """Parse a spell's start and stop dates into ``out`` (``<start>_year`` ... ``<stop>_day``), checked: a stop
    year of 0 exactly when the row is in force at the data's end (``ineffect``), years in 1815-2018, no stop
    before the start. ``start``/``stop``: our prefix and the year, month and day columns. Returns ``ineffect``."""
    in_effect = checked_flags(raw, "ineffect", path)
    (ours0, y0, m0, d0), (ours1, y1, m1, d1) = start, stop
    odd = ((checked_ints(raw, y1, path) == 0) != in_effect).to_numpy()
    if odd.any():
        raise _bad_row(path, y1, raw, odd, f"disagrees with 'ineffect' ({y1} 0 means in force)")
    for part, col in (("year", y0), ("month", m0), ("day", d0)):
        out[f"{ours0}_{part}"] = _ints(raw, col, path, blank_ok=col != y0).astype("Int16")
    for part, col in (("year", y1), ("month", m1), ("day", d1)):
        out[f"{ours1}_{part}"] = _date_part(_ints(raw, col, path, blank_ok=col != y1), in_effect)
    _check_range(raw, y0, out[f"{ours0}_year"], 1815, 2018, path)
    _check_range(raw, y1, out[f"{ours1}_year"], 1815, 2018, path)
    early = (out[f"{ours1}_year"].notna() & (out[f"{ours1}_year"] < out[f"{ours0}_year"])).to_numpy(dtype=bool)
    if early.any():
        raise _bad_row(path, y1, raw, early, f"is before the {what}")
    return in_effect


def _date_part(v: pd.Series, ongoing: pd.Series) -> pd.Series:
    """ATOP's 0 for "still in force" as missing (never year 0)."""
    return v.astype("Int16").mask(ongoing)


def _check_range(df: pd.DataFrame, col: str, v: pd.Series, lo: int, hi: int, path: Path) -> None:
    bad = (v.notna() & ((v < lo) | (v > hi))).to_numpy(dtype=bool)
    if bad.any():
        raise _bad_row(path, col, df, bad, f"is outside {lo}-{hi}")


class AtopLevels(Source):
    """ATOP 5.1 alliance- and member-level files plus Benson & Clinton alliance depth scores."""

    name = "alliances_atop_levels"
    title = "ATOP 5.1 alliance- and member-level obligations (1815-2018) with Benson & Clinton depth scores"
    version = "ATOP 5.1 (atop5_1a, atop5_1m; DoDL 67007e1); Benson & Clinton 2016 scores (senior-thesis ed70998)"
    citation = (
        "Leeds, B. A., Ritter, J. M., Mitchell, S. M. & Long, A. G. (2002). Alliance Treaty Obligations and "
        "Provisions, 1815-1944. International Interactions 28(3): 237-260; Leeds, B. A. (2022). ATOP Codebook "
        "v5.1. Benson, B. V. & Clinton, J. D. (2016). Assessing the Variation of Formal Military Alliances. "
        "Journal of Conflict Resolution 60(5): 866-898."
    )
    licence = "ATOP terms of use (free for research, cite Leeds et al. 2002); Benson & Clinton scores: cite the article"
    homepage = "http://www.atopdata.org/"
    files = (
        RemoteFile("atop5_1a.csv", f"{DODL}/atop5_1a.csv",
                   "eafd146fa5c5bc2737ae829288c87d01c990a55fbc82dcc2dc08b94c0d7b5b7d"),
        RemoteFile("atop5_1m.csv", f"{DODL}/atop5_1m.csv",
                   "0e3c803f65275c3cb9309d08c04710416dff16aee936c8b4f887c7b67ee5b55b"),
        RemoteFile("AllianceDataScoreJCR_RR.csv", f"{HIRSH}/AllianceDataScoreJCR_RR.csv",
                   "bbe0eed75d03c0ae725d5b746e2c2b24f6d19e1ea4cddec5be872e27d48afc6a"),
    )
    schema = {
        "atop_alliances": "source VARCHAR, atopid INTEGER, begin_year SMALLINT, begin_month SMALLINT, "
                          "begin_day SMALLINT, end_year SMALLINT, end_month SMALLINT, end_day SMALLINT, "
                          "in_effect BOOLEAN, bilateral BOOLEAN, phases SMALLINT, members SMALLINT, "
                          f"{FLAGS}, active BOOLEAN, depth DOUBLE",
        "atop_members": "source VARCHAR, atopid INTEGER, phase SMALLINT, ccode SMALLINT, code VARCHAR, "
                        "entry_year SMALLINT, entry_month SMALLINT, entry_day SMALLINT, exit_year SMALLINT, "
                        "exit_month SMALLINT, exit_day SMALLINT, in_effect BOOLEAN, bilateral BOOLEAN, "
                        f"{FLAGS}, obvary BOOLEAN",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        notes: list[str] = []
        alliances = self._alliances(paths["atop5_1a.csv"])
        members, unmapped = self._members(paths["atop5_1m.csv"], registry)
        apath, mpath = paths["atop5_1a.csv"], paths["atop5_1m.csv"]
        only_m = sorted(set(members.atopid) - set(alliances.atopid))
        if only_m:
            raise SourceFormatError(f"{mpath}: column 'atopid': alliance {only_m[0]} has members but no row in "
                                    f"{apath.name}; the two files are not from the same release.")
        without = sorted(set(alliances.atopid) - set(members.atopid))
        if without:
            raise SourceFormatError(f"{apath}: column 'atopid': alliance {without[0]} has no member rows in "
                                    f"{mpath.name}; the two files are not from the same release.")
        # "members": states ever in the alliance, as the member file lists them (COW numbers, before mapping)
        alliances["members"] = alliances.atopid.map(members.groupby("atopid").ccode.nunique()).astype("int16")
        depth, dropped = self._depth(paths["AllianceDataScoreJCR_RR.csv"], set(alliances.atopid))
        alliances["depth"] = alliances.atopid.map(depth).astype("float64")
        notes.append(f"{len(alliances)} alliances ({int(alliances.bilateral.sum())} bilateral), "
                     f"{int(alliances.in_effect.sum())} in force on {ATOP_LAST_DAY}; {len(members):,} member spells")
        notes.append(f"Benson & Clinton depth for {int(alliances.depth.notna().sum())} alliances; "
                     f"{len(dropped)} scored atopids not in ATOP 5.1 left out ({', '.join(map(str, dropped))})")
        return IngestResult({"atop_alliances": alliances, "atop_members": members}, unmapped, notes)

    def _alliances(self, path: Path) -> pd.DataFrame:
        raw = _read_csv(path, "ATOP 5.1 alliance-level")
        cols = ["atopid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect", "bilat", "maxphase",
                *PLEDGE_COLUMNS.values(), "active"]
        self.require_columns(raw, cols, path)
        out = pd.DataFrame({"source": self.name, "atopid": checked_ints(raw, "atopid", path)})
        dup = out.atopid.duplicated().to_numpy()
        if dup.any():
            raise _bad_row(path, "atopid", raw, dup, "appears twice (one row per alliance expected)")
        # the codebook: end date 0 exactly when the alliance is in force on 2018-12-31
        out["in_effect"] = _spell(raw, out, path, ("begin", "begyr", "begmo", "begday"),
                                  ("end", "endyr", "endmo", "endday"), "alliance's begin year")
        out["bilateral"] = checked_flags(raw, "bilat", path)
        out["phases"] = checked_ints(raw, "maxphase", path).astype("int16")
        for ours, theirs in PLEDGE_COLUMNS.items():
            out[ours] = checked_flags(raw, theirs, path)
        out["active"] = checked_flags(raw, "active", path)
        return out

    def _members(self, path: Path, registry: Registry | None) -> tuple[pd.DataFrame, dict[str, int]]:
        raw = _read_csv(path, "ATOP 5.1 member-level")
        cols = ["atopid", "member", "phase", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "ineffect",
                "bilat", *PLEDGE_COLUMNS.values(), "obvary"]
        self.require_columns(raw, cols, path)
        ccode = checked_ints(raw, "member", path).astype("int16")
        out = pd.DataFrame({"source": self.name, "atopid": checked_ints(raw, "atopid", path),
                            "phase": checked_ints(raw, "phase", path).astype("int16"), "ccode": ccode})
        code = cow_codes(ccode.astype(str), registry) if registry is not None else pd.Series(pd.NA, index=raw.index)
        out["code"] = code.astype("string")
        unmapped = {f"member ccode {k}": n for k, n in Registry.unmapped_counts(ccode.astype(str), code).items()}
        out["in_effect"] = _spell(raw, out, path, ("entry", "yrent", "moent", "dayent"),
                                  ("exit", "yrexit", "moexit", "dayexit"), "member's entry year")
        out["bilateral"] = checked_flags(raw, "bilat", path)
        for ours, theirs in PLEDGE_COLUMNS.items():
            out[ours] = checked_flags(raw, theirs, path)
        out["obvary"] = checked_flags(raw, "obvary", path)
        return out, unmapped

    def _depth(self, path: Path, known: set[int]) -> tuple[pd.Series, list[int]]:
        raw = _read_csv(path, "Benson & Clinton alliance scores")
        self.require_columns(raw, ["atopid", "Depth.score"], path)
        ids = checked_ints(raw, "atopid", path)
        dup = ids.duplicated().to_numpy()
        if dup.any():
            raise _bad_row(path, "atopid", raw, dup, "appears twice (one row per alliance expected)")
        depth = pd.to_numeric(raw["Depth.score"], errors="coerce")
        bad = ~np.isfinite(depth.to_numpy(dtype="float64"))
        if bad.any():
            raise _bad_row(path, "Depth.score", raw, bad, "is not a number")
        keep = ids.isin(known).to_numpy()
        return pd.Series(depth.to_numpy()[keep], index=ids.to_numpy()[keep]), sorted(ids[~keep].tolist())


# ------------------------------------------------------------------------------------------ curated treaties

CURATED_FILE = "treaties_after_sources.csv"
CURATED_COLUMNS = ["treaty_id", "treaty", "event", "date", "date_kind", "parties", "atopid", "bilateral",
                   *PLEDGES, "article", "citation", "note"]
#: what a curated row does: ``sign`` a new instrument, ``accede`` to one ATOP codes, ``reaffirm`` an ATOP
#: instrument (evidence it is still in force from that date), ``exit`` (the parties' obligations end that day)
EVENTS = ("sign", "accede", "reaffirm", "exit")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def packaged_treaties() -> Path:
    return Path(str(resources.files("dyadic.data").joinpath(CURATED_FILE)))


class CuratedTreaties(Source):
    """Treaties signed, joined or ended after ATOP 5.1's last year, each row cited (authored in the project)."""

    name = "treaties_after_sources"
    title = "Curated alliance treaties and terminations after ATOP 5.1 (dyadic)"
    version = f"dyadic {CURATED_FILE}"
    citation = "Each row carries its own citation (column 'citation'); table compiled by the dyadic project."
    licence = "MIT (the table); the treaty texts belong to their parties"
    homepage = f"https://github.com/dyadic/dyadic/blob/main/src/dyadic/data/{CURATED_FILE}"
    files = (RemoteFile(CURATED_FILE),)
    schema = {
        "treaties_curated": "source VARCHAR, treaty_id VARCHAR, treaty VARCHAR, event VARCHAR, date DATE, "
                            "date_kind VARCHAR, party VARCHAR, atopid INTEGER, bilateral BOOLEAN, "
                            f"{FLAGS}, article VARCHAR, citation VARCHAR, note VARCHAR",
    }

    def locate(self, settings: Settings, download: bool = True,
               fetch: Callable[[str, Path, str | None], None] | None = None) -> dict[str, Path]:
        # a user's own table in the data folder replaces the packaged one, as for curated_facts
        own = settings.data_dir / self.name / CURATED_FILE if settings.data_dir else None
        return {CURATED_FILE: own if own is not None and own.is_file() else packaged_treaties()}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths[CURATED_FILE]
        raw = _read_csv(path, "curated treaties")
        self.require_columns(raw, CURATED_COLUMNS, path)
        for col in ("treaty_id", "treaty", "event", "date", "parties", "bilateral", "article", "citation"):
            empty = (raw[col].str.strip() == "").to_numpy()
            if empty.any():
                raise _bad_row(path, col, raw, empty, "is empty (every row needs it)")
        bad = ~raw.event.isin(EVENTS).to_numpy()
        if bad.any():
            raise _bad_row(path, "event", raw, bad, f"is not one of {', '.join(EVENTS)}")
        # the defence pledge is the question every consumer asks: a row that creates an obligation settles it
        bad = ((raw.event != "exit") & (raw.defense.str.strip() == "")).to_numpy()
        if bad.any():
            raise _bad_row(path, "defense", raw, bad, "is empty: sign/accede/reaffirm rows state 0 or 1")
        dates = pd.to_datetime(raw.date.where(raw.date.str.match(DATE)), errors="coerce")
        if dates.isna().any():
            raise _bad_row(path, "date", raw, dates.isna().to_numpy(), "is not a date YYYY-MM-DD")
        # the table extends ATOP past its last day; it must never rewrite ATOP's own years
        early = (dates <= pd.Timestamp(ATOP_LAST_DAY)).to_numpy()
        if early.any():
            raise _bad_row(path, "date", raw, early, f"is not after ATOP's last day {ATOP_LAST_DAY}")
        bad = ~raw.citation.str.contains(r"https?://", regex=True).to_numpy()
        if bad.any():
            raise _bad_row(path, "citation", raw, bad, "has no URL of the treaty text or official source")
        bad = ((raw.event != "sign") & (raw.atopid == "")).to_numpy()
        if bad.any():
            raise _bad_row(path, "atopid", raw, bad, "is empty: accede/reaffirm/exit rows name the ATOP alliance")
        atopid = _ints(raw, "atopid", path, blank_ok=True).astype("Int32")
        out = pd.DataFrame({"source": self.name, "treaty_id": raw.treaty_id, "treaty": raw.treaty,
                            "event": raw.event, "date": dates.dt.date, "date_kind": raw.date_kind,
                            "parties": raw.parties, "atopid": atopid, "bilateral": checked_flags(raw, "bilateral", path)})
        for p in PLEDGES:
            # an empty pledge cell = the cited articles do not settle it (unknown), not "no pledge"
            v = pd.to_numeric(raw[p].replace("", None), errors="coerce")
            bad = (raw[p] != "").to_numpy() & ~v.isin([0, 1]).to_numpy()
            if bad.any():
                raise _bad_row(path, p, raw, bad, "is not 0, 1 or empty")
            out[p] = v.astype("boolean")
        for col in ("article", "citation", "note"):
            out[col] = raw[col]
        out = out.assign(party=out.parties.str.split(";")).explode("party").drop(columns="parties")
        out["party"] = out.party.str.strip()
        known = registry.resolve if registry is not None else (lambda t: t)
        for i, token in zip(out.index, out.party):
            try:
                resolved = known(token)
            except (UnknownStateError, AmbiguousStateError) as exc:
                raise SourceFormatError(f"{path}: column 'parties', row {i + 1}: '{token}' is not a state code "
                                        f"({exc})") from exc
            if resolved != token:
                raise SourceFormatError(f"{path}: column 'parties', row {i + 1}: write the state code "
                                        f"'{resolved}', not '{token}'")
        note = f"{len(raw)} curated events ({', '.join(sorted(set(raw.event)))}), {raw.date.min()} to {raw.date.max()}"
        return IngestResult({"treaties_curated": out.reset_index(drop=True)}, {}, [note])
