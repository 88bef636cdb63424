"""Connectors for UN roll-call votes: the Voeten data (1946-2019) and the UN Digital Library (1946-2025).

Both write the canonical tables ``roll_calls`` and ``votes``:

- ``roll_calls(source, rcid, body, date, year, session, symbol, title, important, amend, para, issues)``
- ``votes(source, rcid, code, vote)`` with ``vote`` one of ``yes``, ``abstain``, ``no``, ``absent``.

``absent`` means the state was a member and listed without a vote; the Voeten packaging drops such rows,
so it never has them. States not yet (or no longer) members have no row at all.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry, read_rda

VOTE_LEVELS = ["yes", "abstain", "no", "absent"]
UNVOTES_COMMIT = "73ca68e96bcb8dafef6686aad11fb810bf97be15"
UNGA_SCHEMA = {
    "roll_calls": "source VARCHAR, rcid BIGINT, body VARCHAR, date DATE, year INTEGER, session INTEGER, "
                  "symbol VARCHAR, title VARCHAR, important BOOLEAN, amend BOOLEAN, para BOOLEAN, issues VARCHAR[]",
    "votes": "source VARCHAR, rcid BIGINT, code VARCHAR, vote vote",
}
# DuckDB has no CREATE TYPE IF NOT EXISTS; the store runs this only when the type is absent.
UNGA_TYPES = ("CREATE TYPE vote AS ENUM ('yes', 'abstain', 'no', 'absent')",)


def read_csv_checked(path: Path, source: Source, **kw) -> pd.DataFrame:
    """``pandas.read_csv`` whose errors name the file and what to do."""
    try:
        return pd.read_csv(path, **kw)
    except (EOFError, OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        raise SourceFormatError(
            f"{path}: cannot be parsed ({exc}). The file is truncated or corrupt: re-download it from "
            f"{source.homepage}."
        ) from exc


def parse_dates(values: pd.Series, path: Path, column: str) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce", format="%Y-%m-%d")
    bad = parsed.isna() & values.notna() & (values.astype(str) != "N/A")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(
            f"{path}: column '{column}', data row {i + 1}: '{values.iloc[i]}' is not a date (YYYY-MM-DD). "
            "Fix or re-download the file."
        )
    return parsed


def vote_category(values: pd.Series) -> pd.Categorical:
    return pd.Categorical(values, categories=VOTE_LEVELS)


class VoetenVotes(Source):
    """Erik Voeten's UNGA roll calls as packaged in the R package ``unvotes`` 0.3.0."""

    name = "unvotes_voeten_2019"
    title = "UNGA roll-call votes (Voeten), 1946-2019"
    version = f"unvotes 0.3.0 ({UNVOTES_COMMIT[:7]})"
    citation = (
        "Voeten, E. (2013). Data and analyses of voting in the UN General Assembly. In Routledge Handbook of "
        "International Organization. Data: Harvard Dataverse hdl:1902.1/12379; packaged by D. Robinson, "
        "R package unvotes 0.3.0."
    )
    licence = "MIT (unvotes package); no separate licence stated for the underlying data"
    homepage = "https://github.com/dgrtwo/unvotes"
    files = tuple(
        RemoteFile(f, f"https://raw.githubusercontent.com/cran/unvotes/{UNVOTES_COMMIT}/data/{f}", h)
        for f, h in [
            ("un_votes.rda", "36228d584d9cd8ea67dd33072da029628dabcc6faf3dffb183f916cc254660d9"),
            ("un_roll_calls.rda", "61a83d780e07cdfda635ca89e05875ceb58c6d64f876f85ac45f36b966a02ec0"),
            ("un_roll_call_issues.rda", "eec1b509ebce692c242b842837d5d861b52b65b2868a7c66f573d4a87d2eb0be"),
        ]
    )
    schema = UNGA_SCHEMA
    types = UNGA_TYPES

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        votes = read_rda(paths["un_votes.rda"], self)
        rc = read_rda(paths["un_roll_calls.rda"], self)
        iss = read_rda(paths["un_roll_call_issues.rda"], self)
        self.require_columns(votes, ["rcid", "country", "country_code", "vote"], paths["un_votes.rda"])
        self.require_columns(rc, ["rcid", "session", "importantvote", "date", "unres", "amend", "para",
                                  "short", "descr"], paths["un_roll_calls.rda"])
        self.require_columns(iss, ["rcid", "short_name"], paths["un_roll_call_issues.rda"])

        date = parse_dates(rc["date"], paths["un_roll_calls.rda"], "date")
        issues = iss.groupby("rcid")["short_name"].agg(lambda s: sorted(set(s))).rename("issues")
        roll_calls = pd.DataFrame({
            "source": self.name,
            "rcid": rc.rcid.astype("int64"),
            "body": "GA",
            "date": date,
            "year": date.dt.year.astype("int32"),
            "session": pd.to_numeric(rc.session, errors="coerce").astype("Int32"),
            "symbol": rc.unres,
            "title": rc.short.fillna(rc.descr),
            "important": rc.importantvote.map({"1": True, "0": False, 1: True, 0: False}).astype("boolean"),
            "amend": rc.amend.map({"1": True, "0": False, 1: True, 0: False}).astype("boolean"),
            "para": rc.para.map({"1": True, "0": False, 1: True, 0: False}).astype("boolean"),
        }).merge(issues, left_on="rcid", right_index=True, how="left")

        raw_vote = votes["vote"].astype("string")
        bad = ~raw_vote.isin(["yes", "no", "abstain"])
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(
                f"{paths['un_votes.rda']}: column 'vote', row {i + 1}: '{raw_vote.iloc[i]}' is not yes/no/abstain."
            )
        # The packager left a few ISO2 codes empty (FRG, North Yemen, Zanzibar): fall back to the name.
        iso2 = votes.country_code.astype("string").replace("", pd.NA)
        token = iso2.fillna(votes.country.astype("string"))
        code = registry.map_codes(token)
        unmapped = Registry.unmapped_counts(token, code)
        keep = code.notna().to_numpy()
        out = pd.DataFrame({
            "source": self.name,
            "rcid": votes.rcid.astype("int64"),
            "code": code,
            "vote": vote_category(raw_vote),
        })[keep]
        orphan = ~out.rcid.isin(roll_calls.rcid)
        if orphan.any():
            raise SourceFormatError(
                f"{paths['un_votes.rda']}: {int(orphan.sum())} votes refer to roll calls missing from "
                f"{paths['un_roll_calls.rda']}. The files come from different releases: download all three again."
            )
        notes = ["absent members were dropped by the packager: this source has no 'absent' votes"]
        return IngestResult({"roll_calls": roll_calls, "votes": out}, unmapped, notes)


class UNDigitalLibraryVotes(Source):
    """UN Digital Library voting records (GA and SC kept apart), parsed from a public crawl."""

    name = "unga_unsc_votes_undl_scrape"
    title = "UN Digital Library voting data (GA and SC), 1946-2025"
    version = "lefthand67/un_votes crawl logs at 38cae07 (2025-11-08)"
    citation = (
        "United Nations Dag Hammarskjöld Library, UN Digital Library voting records "
        "(https://digitallibrary.un.org, Voting Data); crawled by V. Rudakov, github.com/lefthand67/un_votes."
    )
    licence = "UN terms: non-commercial use with attribution; crawler repository GPL-3"
    homepage = "https://github.com/lefthand67/un_votes"
    files = (RemoteFile("resolutions.csv.gz"), RemoteFile("votes.csv.gz"))
    schema = UNGA_SCHEMA
    types = UNGA_TYPES
    vote_codes = {"Y": "yes", "N": "no", "A": "abstain", "X": "absent"}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        res_p, votes_p = paths["resolutions.csv.gz"], paths["votes.csv.gz"]
        res = read_csv_checked(res_p, self, dtype={"undl_id": "int64", "body": "string"}, keep_default_na=False)
        self.require_columns(res, ["undl_id", "body", "resolution", "date", "title"], res_p)
        votes = read_csv_checked(votes_p, self, dtype={"undl_id": "int64", "country_name": "string",
                                                       "vote": "string"}, keep_default_na=False,
                                 usecols=lambda c: c in {"undl_id", "country_name", "vote"})
        self.require_columns(votes, ["undl_id", "country_name", "vote"], votes_p)

        res = res[res.body.isin(["GA", "SC"])]  # one malformed record has no body
        date = parse_dates(res["date"].replace("N/A", None), res_p, "date")
        res = res.assign(date=date)[date.notna().to_numpy()]
        roll_calls = pd.DataFrame({
            "source": self.name,
            "rcid": res.undl_id.astype("int64"),
            "body": res.body.astype(str),
            "date": res.date,
            "year": res.date.dt.year.astype("int32"),
            "session": pd.array([pd.NA] * len(res), dtype="Int32"),
            "symbol": res.resolution,
            "title": res.title,
            "important": pd.array([pd.NA] * len(res), dtype="boolean"),
            "amend": False,
            "para": False,
            "issues": None,
        })
        # Adopted without a recorded vote: a single placeholder row, not a roll call.
        votes = votes[votes.country_name != "N/A"]
        bad = ~votes.vote.isin(list(self.vote_codes))
        # The crawl prints unparseable entries with other marks; those are non-votes like X.
        votes = votes.assign(vote=votes.vote.where(~bad, "X"))
        votes = votes.merge(roll_calls[["rcid", "date"]], left_on="undl_id", right_on="rcid", how="inner")
        code = registry.map_codes(votes.country_name, dates=votes.date)
        unmapped = Registry.unmapped_counts(votes.country_name, code)
        keep = code.notna().to_numpy()
        out = pd.DataFrame({
            "source": self.name,
            "rcid": votes.undl_id.astype("int64"),
            "code": code,
            "vote": vote_category(votes.vote.map(self.vote_codes)),
        })[keep]
        out = out.drop_duplicates(["rcid", "code"])
        roll_calls = roll_calls[roll_calls.rcid.isin(out.rcid)]
        notes = [
            f"resolutions adopted without a recorded vote left out; {int(bad.sum())} unparseable vote marks read as absent",
            "'CHINA' before 1971-10-25 is the Republic of China seat and is coded TWN",
        ]
        return IngestResult({"roll_calls": roll_calls, "votes": out}, unmapped, notes)
