"""Connector for CEIAS "WHO | WHERE | WHEN": foreign visits of China's top leaders, 1949-2020 (v1.1).

One direction only: visits *by* the People's Republic's top leaders (head of state, party leader, premier,
paramount leader) *to* other states. Visits to China and other states' leaders' travel are not in the data,
so the canonical table says so in its name:

``chn_leader_visits_abroad(source, year, leader, level, host, country)``
    one row per visit as the file lists it (no date within the year; multilateral summits count, e.g. the
    2013 G20 in St Petersburg); ``host`` is the visited state's code, ``country`` the file's name for it
    ("Soviet Union" to 1991 and "Russia" after are both RUS, as in COW).

The release workbook (sheet ``Dataset``) is read as published; its cover sheet is not data.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.alliances import checked_ints
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry

VISITS_FILE = "WhoWhenWhereDataset.xlsx"
#: the GitHub copy of the release file (CEIAS offers it only through its web page)
LEADERVISIT_COMMIT = "9d6ec4e32c6ac9058106991c7b072ac664af18e4"
FIRST_YEAR, LAST_YEAR = 1949, 2020


class CeiasLeaderVisits(Source):
    """Chinese top leaders' visits abroad (China -> host only), CEIAS v1.1, 1949-2020."""

    name = "leader_visits_ceias_china_1949_2020"
    title = "CEIAS WHO | WHERE | WHEN: Chinese top leaders' visits abroad (China -> host only), 1949-2020"
    version = "v1.1 (15 July 2021)"
    citation = (
        "Turcsányi, R. Q., Eckert, M., Šimalčík, M. & Majsniarová, N. (2021). WHO | WHERE | WHEN - International "
        "travel of the Chinese leaders (1949-2020). Dataset, version 1.1. Central European Institute of Asian "
        "Studies (CEIAS), with Sinophone Borderlands. https://who-where-when.ceias.eu"
    )
    licence = "not stated by CEIAS; cite the dataset"
    homepage = "https://who-where-when.ceias.eu"
    files = (
        RemoteFile(VISITS_FILE, f"https://raw.githubusercontent.com/TJainProjects/LeaderVisit/{LEADERVISIT_COMMIT}/"
                                f"Data/{VISITS_FILE}",
                   "9ed2810686aefd40ae3fae6d546321fc3b6b2db8d023dc7710320804a5af7402"),
    )
    schema = {
        "chn_leader_visits_abroad": "source VARCHAR, year SMALLINT, leader VARCHAR, level VARCHAR, host VARCHAR, "
                                    "country VARCHAR",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths[VISITS_FILE]
        try:
            raw = pd.read_excel(path, sheet_name="Dataset", dtype=object)
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, EOFError) as exc:
            raise SourceFormatError(f"{path}: cannot be read as the CEIAS workbook ({exc}). It is truncated or "
                                    f"corrupt: download it again from {self.homepage}.") from exc
        self.require_columns(raw, ["Year", "Name", "Level", "Country"], path)
        if raw.empty:
            raise SourceFormatError(f"{path}: sheet 'Dataset' holds no rows. Download the file again.")
        year = checked_ints(raw, "Year", path)
        text = {c: raw[c].astype("string").str.strip() for c in ("Name", "Level", "Country")}
        bad = ((year < FIRST_YEAR) | (year > LAST_YEAR)).to_numpy()
        for v in text.values():
            bad |= (v.isna() | (v == "")).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SourceFormatError(f"{path}: sheet 'Dataset', row {i + 2}: {raw.iloc[i].tolist()} lacks a leader, "
                                    f"level or country, or its year is outside {FIRST_YEAR}-{LAST_YEAR}.")
        # mid-year dates let the registry's dated names apply (none of the file's names needs one today)
        host = registry.map_codes(text["Country"], dates=pd.to_datetime(year.astype(str) + "-07-01"))
        unmapped = Registry.unmapped_counts(text["Country"], host)
        keep = host.notna().to_numpy()
        out = pd.DataFrame({"source": self.name, "year": year.astype("int16"), "leader": text["Name"],
                            "level": text["Level"], "host": host, "country": text["Country"]})[keep]
        notes = [f"{len(out)} visits abroad by China's top leaders to {out.host.nunique()} states, "
                 f"{int(out.year.min())}-{int(out.year.max())}; one direction only (China -> host)",
                 f"{int((~keep).sum())} visits to a country the registry cannot map left out"]
        return IngestResult({"chn_leader_visits_abroad": out}, unmapped, notes)
