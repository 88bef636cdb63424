"""Connector for UN Security Council vetoes, 1946 to July 2022 (World Politics Data Lab list).

One row per vetoed draft resolution in the compiler's CSV, scraped from the UN Dag Hammarskjöld Library's
"Security Council - Veto List". Two canonical tables:

``unsc_vetoed_drafts(source, veto_id, date, year, draft, meeting_record, agenda_item, topic, region)``
    one row per vetoed draft; ``veto_id`` is the row's position in the file (several rows of 1946-47 give
    only the meeting record as ``draft``, so the symbol is not a key).
``unsc_vetoes(source, veto_id, code, member)``
    one row per permanent member that vetoed the draft; ``member`` as the file names it (USSR, Russia,
    China, USA, UK, France).

The vetoing members are read from ``member_veto1..3``. The compiler's 0/1 member columns omit a member
named there on 26 rows (e.g. France on the 1976-81 triple vetoes with the UK and USA), so they are only
compared and reported, never used. ``China`` is the Republic of China seat before 25 October 1971 (coded
TWN through the registry's dated alias), the People's Republic after; the file has no Chinese veto before
1972. The list is complete to 15 September 2022 (the compiler's README); nothing later is in it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.alliances import checked_flags, checked_ints
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry
from dyadic.sources.unga import read_csv_checked

VETO_COMMIT = "661c5246872143cf16e500e4e7f2f70a45df5ac8"
VETO_FILE = "unsc_vetoes_1946_sept2022.csv"
#: the compiler's README: "to September 15, 2022" (the last veto listed is of 8 July 2022)
COMPLETE_THROUGH = date(2022, 9, 15)
MEMBER_COLUMNS = ("member_veto1", "member_veto2", "member_veto3")
#: the names the file gives the permanent members -> its own 0/1 column for each
MEMBERS = {"USSR": "USSR", "Russia": "Russia", "China": "China", "USA": "USA", "UK": "UK", "France": "France"}


class UnscVetoes(Source):
    """Vetoed UN Security Council draft resolutions and the vetoing members, 1946 - July 2022."""

    name = "unsc_vetoes"
    title = "UN Security Council vetoes, 1946 - July 2022 (World Politics Data Lab / UN Veto List)"
    version = f"world-politics-datalab/vetoes-un-security-council {VETO_COMMIT[:7]} ({VETO_FILE})"
    citation = (
        "Yordan, C. L. / The World Politics Data Lab (2022). List of UN Security Council Vetoes (1946-2022). "
        "GitHub, world-politics-datalab/vetoes-un-security-council. Compiled from the UN Dag Hammarskjöld "
        "Library, Security Council - Veto List, https://research.un.org/en/docs/sc/quick/veto."
    )
    licence = "MIT (The World Politics Data Lab, 2022)"
    homepage = "https://github.com/world-politics-datalab/vetoes-un-security-council"
    files = (
        RemoteFile(VETO_FILE, f"https://raw.githubusercontent.com/world-politics-datalab/"
                              f"vetoes-un-security-council/{VETO_COMMIT}/{VETO_FILE}",
                   "d6b65d698d8f4e5a6eddcd922e7659b40e22d262940f1440b51360929d87ab74"),
    )
    schema = {
        "unsc_vetoed_drafts": "source VARCHAR, veto_id INTEGER, date DATE, year INTEGER, draft VARCHAR, "
                              "meeting_record VARCHAR, agenda_item VARCHAR, topic VARCHAR, region VARCHAR",
        "unsc_vetoes": "source VARCHAR, veto_id INTEGER, code VARCHAR, member VARCHAR",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths[VETO_FILE]
        raw = read_csv_checked(path, self, dtype=str, keep_default_na=False)
        self.require_columns(raw, ["year", "date", "draft", "meeting_record", "agenda_item", "crisis_topic",
                                   "region", *MEMBER_COLUMNS, *MEMBERS.values()], path)
        if raw.empty:
            raise SourceFormatError(f"{path}: holds no rows. Re-download it from {self.homepage}.")
        when = pd.to_datetime(raw["date"], format="%m/%d/%Y", errors="coerce")
        _first_bad(path, raw, "date", when.isna().to_numpy(), "is not a date (M/D/YYYY)")
        year = checked_ints(raw, "year", path)
        _first_bad(path, raw, "year", (year != when.dt.year).to_numpy(), "is not the year of the date")
        drafts = pd.DataFrame({
            "source": self.name, "veto_id": np.arange(1, len(raw) + 1, dtype="int32"), "date": when,
            "year": year, "draft": raw["draft"], "meeting_record": raw["meeting_record"],
            "agenda_item": raw["agenda_item"], "topic": raw["crisis_topic"], "region": raw["region"],
        })

        long = raw.melt(id_vars=[], value_vars=list(MEMBER_COLUMNS), ignore_index=False, value_name="member")
        long = long[long["member"].str.strip() != ""]
        unknown = ~long["member"].isin(list(MEMBERS))
        if unknown.any():
            i = int(long.index[unknown.to_numpy()][0])
            raise SourceFormatError(f"{path}: row {i + 1}: vetoing member '{long['member'][unknown].iloc[0]}' "
                                    f"is not one of {', '.join(MEMBERS)}. Re-download the file.")
        none = ~raw.index.isin(long.index)
        _first_bad(path, raw, "member_veto1", none, "names no vetoing member")
        long = long.sort_index(kind="stable")
        rows = long.index.to_numpy()
        member = long["member"].reset_index(drop=True)
        code = registry.map_codes(member, dates=pd.Series(when.to_numpy()[rows]))
        vetoes = pd.DataFrame({"source": self.name, "veto_id": drafts["veto_id"].to_numpy()[rows],
                               "code": code, "member": member})
        unmapped = Registry.unmapped_counts(member, code)
        if unmapped:  # the five seats always map; a gap means the registry changed, not the file
            raise SourceFormatError(f"{path}: vetoing member(s) {sorted(unmapped)} have no state code.")

        # The compiler's 0/1 columns are checked (a cut-off row leaves them empty) and compared, not used.
        named = {m: raw[list(MEMBER_COLUMNS)].eq(m).any(axis=1) for m in MEMBERS}
        differ = np.zeros(len(raw), dtype=bool)
        for m, col in MEMBERS.items():
            differ |= (checked_flags(raw, col, path) != named[m]).to_numpy()
        joint = int(vetoes.groupby("veto_id")["code"].apply(lambda s: {"CHN", "RUS"} <= set(s)).sum())
        notes = [
            f"{len(drafts)} vetoed drafts, {drafts.date.min():%Y-%m-%d} to {drafts.date.max():%Y-%m-%d}; "
            f"{len(vetoes)} vetoes cast; {joint} drafts vetoed by both Russia and China",
            f"{int(differ.sum())} rows where the compiler's 0/1 member columns disagree with member_veto1-3: "
            "the named members are used",
            f"complete to {COMPLETE_THROUGH:%Y-%m-%d} (compiler's README); later vetoes are not in the list",
        ]
        return IngestResult({"unsc_vetoed_drafts": drafts, "unsc_vetoes": vetoes}, {}, notes)


def _first_bad(path: Path, df: pd.DataFrame, col: str, bad: np.ndarray, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SourceFormatError(f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' {what}. The file is "
                                "truncated or corrupt: re-download it.")
