"""Connector for the published UNGA ideal points of Bailey, Strezhnev & Voeten (July 2025 release, 1946-2024).

Writes ``ideal_points_published(source, code, year, ccode, idealpointfp, idealpointall, idealpointlegacy,
nvotesfp, nvotesall, q5fp, q50fp, q95fp, q5all, q50all, q95all)``: one row per state-year with at least one
estimate. dyadic reads it to validate its own estimates (:mod:`dyadic.indicators.ideal_points`), never as a
substitute for them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry

MIRROR_COMMIT = "5298218d5b57e5b09223b124b25c03dc37ed646e"
ESTIMATES = ["idealpointfp", "idealpointall", "idealpointlegacy"]
QUANTILES = ["q5fp", "q50fp", "q95fp", "q5all", "q50all", "q95all"]


class PublishedIdealPoints(Source):
    """Bailey-Strezhnev-Voeten UNGA ideal points, year-based release of 28 July 2025."""

    name = "unga_ideal_points_voeten"
    title = "UNGA ideal points (Bailey, Strezhnev & Voeten), July 2025 release, 1946-2024"
    version = "July 28, 2025"
    citation = (
        "Bailey, M. A., Strezhnev, A. & Voeten, E. (2017). Estimating dynamic state preferences from United "
        "Nations voting data. Journal of Conflict Resolution 61(2): 430-56. Data: E. Voeten, United Nations "
        "General Assembly Voting Data, Harvard Dataverse hdl:1902.1/12379 (ideal points, July 2025 release)."
    )
    licence = "not stated by the publisher"
    homepage = "https://dataverse.harvard.edu/dataset.xhtml?persistentId=hdl:1902.1/12379"
    files = (
        RemoteFile(
            "IdealpointsJuly2025.dta",
            f"https://raw.githubusercontent.com/lucasbuildsapps/Masterthesis/{MIRROR_COMMIT}/IdealpointsJuly2025.dta",
            "fea7fa9414e3643586dbdf95baa1100ceb418e56684d79d801a146cad79443ce",
        ),
    )
    schema = {
        "ideal_points_published": (
            "source VARCHAR, code VARCHAR, year INTEGER, ccode INTEGER, idealpointfp DOUBLE, idealpointall DOUBLE, "
            "idealpointlegacy DOUBLE, nvotesfp INTEGER, nvotesall INTEGER, q5fp DOUBLE, q50fp DOUBLE, q95fp DOUBLE, "
            "q5all DOUBLE, q50all DOUBLE, q95all DOUBLE"
        ),
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["IdealpointsJuly2025.dta"]
        try:
            raw = pd.read_stata(path, convert_categoricals=False)
        except Exception as exc:  # pandas raises several types for truncated or corrupt Stata files
            raise SourceFormatError(
                f"{path}: cannot be read as a Stata file ({exc}). It is truncated or corrupt: re-download it "
                f"from {self.files[0].url}."
            ) from exc
        self.require_columns(raw, ["ccode", "iso3c", "year", *ESTIMATES, "nvotesfp", "nvotesall", *QUANTILES], path)
        year = pd.to_numeric(raw["year"], errors="coerce")
        if year.isna().any() or (year % 1 != 0).any():
            i = int(np.flatnonzero((year.isna() | (year % 1 != 0)).to_numpy())[0])
            raise SourceFormatError(f"{path}: column 'year', row {i + 1}: '{raw['year'].iloc[i]}' is not a year.")
        for c in ESTIMATES + QUANTILES:
            if not pd.api.types.is_numeric_dtype(raw[c]):
                raise SourceFormatError(f"{path}: column '{c}' is not numeric; re-download the file.")
        raw = raw[raw[ESTIMATES].notna().any(axis=1).to_numpy()].reset_index(drop=True)
        dates = pd.to_datetime(year.loc[raw.index].astype(int).astype(str) + "-07-01")
        # The ISO3 column is empty for a few rows; COW codes are complete, so they are the fallback.
        iso = raw["iso3c"].astype("string").replace("", pd.NA)
        code = registry.map_codes(iso, dates=dates)
        cow = registry.map_codes(raw["ccode"].astype("Int64").astype("string"), dates=dates)
        code = code.fillna(cow)
        token = iso.fillna(raw["ccode"].astype("Int64").astype("string"))
        unmapped = Registry.unmapped_counts(token, code)
        keep = code.notna().to_numpy()
        out = pd.DataFrame({
            "source": self.name,
            "code": code,
            "year": year.loc[raw.index].astype("int32").to_numpy(),
            "ccode": raw["ccode"].astype("Int32"),
            **{c: raw[c].astype("float64") for c in ESTIMATES},
            "nvotesfp": raw["nvotesfp"].astype("Int32"),
            "nvotesall": raw["nvotesall"].astype("Int32"),
            **{c: raw[c].astype("float64") for c in QUANTILES},
        })[keep]
        dup = out.duplicated(["code", "year"], keep=False)
        notes = ["state-years without any estimate left out"]
        if dup.any():
            notes.append(f"{int(dup.sum())} rows share a state-year after code mapping; the one with more votes is kept")
            out = out.sort_values("nvotesall", ascending=False).drop_duplicates(["code", "year"])
        return IngestResult({"ideal_points_published": out.sort_values(["code", "year"]).reset_index(drop=True)},
                            unmapped, notes)
