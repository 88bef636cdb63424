"""Connector for the Multinational Military Exercises data (MME v7, 1980-2010), exercise-participant-years.

Read from the long form packaged in the R package troopdata (one row per exercise, participant and year;
exercises spanning several years appear once per year). Canonical table:

``exercises(source, mmeid, year, code, name, series, start_date, end_date, location, cpx, air, land, sea,
amphibious, cyber, warfighting, peacekeeping, humanitarian, participants)``

Participants are given as Gleditsch-Ward codes; the few participants without one (small states outside the
GW system, such as Antigua and Barbuda or Tonga) are mapped by name. Non-state participants that map to no
state are reported as unmapped and left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry, read_rda

TROOPDATA_COMMIT = "3946bcf89a6d72de8abace812dc557f1f249f5f7"
FLAGS = {"CPX": "cpx", "Air": "air", "Land": "land", "Sea": "sea", "Amphibious": "amphibious", "Cyber": "cyber",
         "Warfighting": "warfighting", "Peacekeeping": "peacekeeping", "Humanitarian": "humanitarian"}


def ymd(y: pd.Series, m: pd.Series, d: pd.Series) -> pd.Series:
    """A date from year, month and day columns; missing when any part is missing or impossible."""
    parts = pd.DataFrame({"year": pd.to_numeric(y, errors="coerce"), "month": pd.to_numeric(m, errors="coerce"),
                          "day": pd.to_numeric(d, errors="coerce")})
    ok = parts.notna().all(axis=1)
    out = pd.Series(pd.NaT, index=y.index, dtype="datetime64[ns]")
    if ok.any():
        out[ok] = pd.to_datetime(parts[ok].astype(int), errors="coerce")
    return out


class MilitaryExercises(Source):
    """Multinational Military Exercises 1980-2010 (D'Orazio & Galambos), troopdata long form."""

    name = "mme_military_exercises"
    title = "Multinational Military Exercises (MME v7), 1980-2010"
    version = f"MME v7 (troopdata mme_long, {TROOPDATA_COMMIT[:7]})"
    citation = (
        "D'Orazio, V. & Galambos, K. (2021). Multinational Military Exercises, 1980-2010. Harvard Dataverse, "
        "doi:10.7910/DVN/KHFODX. Long form from the R package troopdata (Flynn, M. E. & Allen, M. A.)."
    )
    licence = "Harvard Dataverse terms (CC0 unless stated) for MME; troopdata packaging GPL (>= 3)"
    homepage = "https://doi.org/10.7910/DVN/KHFODX"
    files = (
        RemoteFile(
            "mme_long.rda",
            f"https://raw.githubusercontent.com/meflynn/troopdata/{TROOPDATA_COMMIT}/data/mme_long.rda",
            "caf2693a6291b4e3d32fe1fa0c619d1f8dd5ebd2a57b617bf64dfda08c771dbb",
        ),
    )
    schema = {
        "exercises": "source VARCHAR, mmeid VARCHAR, year INTEGER, code VARCHAR, name VARCHAR, series VARCHAR, "
                     "start_date DATE, end_date DATE, location VARCHAR, cpx BOOLEAN, air BOOLEAN, land BOOLEAN, "
                     "sea BOOLEAN, amphibious BOOLEAN, cyber BOOLEAN, warfighting BOOLEAN, peacekeeping BOOLEAN, "
                     "humanitarian BOOLEAN, participants INTEGER",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["mme_long.rda"]
        raw = read_rda(path, self)
        self.require_columns(raw, ["MMEID", "Ex_Name", "Series_Name", "gwcode", "country", "year", "Location",
                                   "s.year", "s.month", "s.day", "e.year", "e.month", "e.day",
                                   "participant_count", *FLAGS], path)
        year = pd.to_numeric(raw.year, errors="coerce")
        bad = year.isna() | (year < 1900) | (year > 2100)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: column 'year', row {i + 1}: '{raw.year.iloc[i]}' is not a year. "
                                    "The file is corrupt: re-download it.")
        if raw.MMEID.isna().any():
            i = int(raw.MMEID.isna().to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: column 'MMEID', row {i + 1} is empty. Re-download the file.")

        st = registry.states[registry.states.gw.notna()]
        gw_map = dict(zip(st.gw.astype(int), st.code))
        gw = pd.to_numeric(raw.gwcode, errors="coerce")
        by_gw = gw.map(lambda g: gw_map.get(int(g)) if pd.notna(g) else None).astype("string")
        by_name = registry.map_codes(raw.country.astype("string"))
        # The name wins: the packager's GW codes are wrong in places (Vietnam 1980-2010 carries 817, the
        # GW code of South Vietnam, which ceased to exist in 1975).
        code = by_name.fillna(by_gw)
        differ = int((by_name.notna() & by_gw.notna() & (by_name != by_gw)).sum())
        token = raw.country.astype("string").where(gw.isna(), "gw " + gw.astype("Int64").astype("string"))
        unmapped = Registry.unmapped_counts(token, code)
        keep = code.notna().to_numpy()

        name = raw.Ex_Name.astype("string").str.strip()
        out = pd.DataFrame({
            "source": self.name,
            "mmeid": raw.MMEID.astype("string"),
            "year": year.astype("int32"),
            "code": code,
            "name": name.mask(name.isin(["-9", ""]), pd.NA),  # "-9": the exercise has no recorded name
            "series": raw.Series_Name.astype("string").replace({"-9": pd.NA, "": pd.NA}),
            "start_date": ymd(raw["s.year"], raw["s.month"], raw["s.day"]),
            "end_date": ymd(raw["e.year"], raw["e.month"], raw["e.day"]),
            "location": raw.Location.astype("string"),
            "participants": pd.to_numeric(raw.participant_count, errors="coerce").astype("Int32"),
        })
        for col, dst in FLAGS.items():
            out[dst] = pd.to_numeric(raw[col], errors="coerce").map({1.0: True, 0.0: False}).astype("boolean")
        out = out[keep].drop_duplicates(["mmeid", "year", "code"])
        notes = [f"{out.mmeid.nunique():,} exercises, {int(out.year.min())}-{int(out.year.max())}; "
                 f"{int((~keep).sum())} participant rows with no mappable state left out ('-9' is an "
                 "unidentified participant, mostly NATO forces)",
                 f"{differ} rows where the GW code and the country name disagree: the name was used"]
        return IngestResult({"exercises": out}, unmapped, notes)
