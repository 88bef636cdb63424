"""The GDELT daily country graph (gzemo/gdelt-graph-data): one 249x249 signed edge matrix per day, 2018-2024.

Each day's matrix was built upstream from every GDELT 2.0 export of the day, keeping events whose two actors
are bare country codes, with edge = Goldstein +/- (0.025 NumSources + 0.01 NumArticles) + 0.01 AvgTone summed
over the day and added symmetrically (see docs/sources/gdelt_daily_country_graph.md). It is an aggregate of
its own construction, so it is kept apart from counts computed from raw events.

Canonical tables:

- ``event_graph_daily(source, date, a, b, score)``: non-zero cells, one row per unordered pair (a < b) and
  day. A day with a file but no row for a pair means 0; a day without a file is missing.
- ``event_coverage(source, day, files, rows)``: the days that have a file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from dyadic.errors import SourceFormatError, SourceMissingError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.gdelt import COVERAGE_DDL
from dyadic.sources.registry import Registry

COMMIT = "8b719115c084afada0325538dc13c1b8fb75e578"
RAW = f"https://raw.githubusercontent.com/gzemo/gdelt-graph-data/{COMMIT}"


def read_matrix(path: Path, n: int) -> np.ndarray:
    """The n x n matrix inside one ``YYYYMMDD_network.zip``; clear errors on truncated or odd files."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = [m for m in zf.namelist() if m.endswith(".npy")]
            if len(names) != 1:
                raise SourceFormatError(f"{path}: expected one .npy matrix inside, found {len(names)}.")
            with zf.open(names[0]) as fh:
                m = np.load(fh, allow_pickle=False)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        raise SourceFormatError(f"{path}: cannot be read ({exc}). It is truncated or corrupt: download it again "
                                f"from {RAW}/networks/{path.name}.") from exc
    if m.shape != (n, n):
        raise SourceFormatError(f"{path}: matrix is {m.shape}, expected {n}x{n} (one row per country of "
                                "country_codes_clean.tsv with an Alpha3_code). Files from another release?")
    return m


class GdeltDailyCountryGraph(Source):
    """Daily country-country GDELT edge scores for every pair, 2018-01-01 to 2024-02-23."""

    name = "gdelt_daily_country_graph"
    title = "GDELT daily country graph (gzemo/gdelt-graph-data), 2018-2024"
    version = f"gzemo/gdelt-graph-data {COMMIT[:7]} (2024-02-23)"
    citation = ("Zemo, G., gdelt-graph-data: daily country networks from the GDELT 2.0 Event Database "
                f"(github.com/gzemo/gdelt-graph-data, commit {COMMIT[:7]}); underlying data: The GDELT Project.")
    licence = "GPL-3.0 (repository); GDELT terms of use for the underlying events"
    homepage = "https://github.com/gzemo/gdelt-graph-data"
    files = (RemoteFile("country_codes_clean.tsv", f"{RAW}/country_codes_clean.csv",
                        "03a5440a0b1fcaa8e24b924b85842d89b2191058f5c9e3e866ecba33d5e4eafe"),)
    schema = {"event_graph_daily": "source VARCHAR, date DATE, a VARCHAR, b VARCHAR, score DOUBLE",
              "event_coverage": COVERAGE_DDL}

    def locate(self, settings, download: bool = True, fetch=None) -> dict[str, Path]:
        found = super().locate(settings, download=download, fetch=fetch)
        folder = found["country_codes_clean.tsv"].parent / "networks"
        nets = sorted(folder.glob("*_network.zip")) if folder.is_dir() else []
        if not nets:
            raise SourceMissingError(
                f"{self.title}: no daily files in {folder}. Clone {self.homepage} (commit {COMMIT[:7]}) and copy "
                f"its networks/ folder there.")
        found.update({f"networks/{p.name}": p for p in nets})
        return found

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        cc_path = paths["country_codes_clean.tsv"]
        try:
            cc = pd.read_csv(cc_path, sep="\t", dtype=str)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
            raise SourceFormatError(f"{cc_path}: cannot be parsed ({exc}). Download it again from {self.homepage}.") from exc
        self.require_columns(cc, ["Alpha3_code"], cc_path)
        iso = cc.Alpha3_code.dropna().str.strip()
        iso = iso[iso != ""].reset_index(drop=True)
        mapped = registry.map_codes(iso)
        # Only exact state codes: a registry match on another identifier would be a different country.
        mapped = mapped.where(mapped == iso)
        unmapped_idx = np.flatnonzero(mapped.isna().to_numpy())
        n = len(iso)
        iu, ju = np.triu_indices(n, 1)
        codes = mapped.to_numpy(dtype=object)
        a_all, b_all = codes[iu], codes[ju]
        keep_pair = pd.notna(a_all) & pd.notna(b_all)
        swap = np.where(keep_pair, a_all.astype(str) > b_all.astype(str), False)
        lo = np.where(swap, b_all, a_all)
        hi = np.where(swap, a_all, b_all)
        pair_id = np.flatnonzero(keep_pair)
        dates, idx, scores, cover = [], [], [], []
        dropped = {k: 0 for k in unmapped_idx}
        nets = sorted(k for k in paths if k.startswith("networks/"))
        for k in nets:
            p = paths[k]
            m = re.match(r"(\d{8})_network\.zip$", p.name)
            if not m:
                continue
            day = pd.Timestamp(m.group(1))
            mat = read_matrix(p, n)
            if not np.allclose(mat, mat.T, equal_nan=True):
                raise SourceFormatError(f"{p}: matrix is not symmetric; the upstream construction makes it so.")
            vals = mat[iu, ju]
            nz = vals != 0
            for u in unmapped_idx:
                dropped[u] += int((mat[u] != 0).sum())
            sel = pair_id[nz[pair_id]]
            dates.append(np.full(len(sel), day.to_datetime64().astype("datetime64[D]")))
            idx.append(sel)
            scores.append(vals[sel])
            cover.append((day, int(len(sel))))
        idx_all = np.concatenate(idx) if idx else np.array([], dtype=int)
        # Arrow with dictionary-encoded codes keeps ~3 million rows small on the way into the store.
        names = np.array(sorted(set(c for c in codes if isinstance(c, str))), dtype=object)
        pos = {c: i for i, c in enumerate(names)}
        lo_i = np.array([pos.get(c, -1) for c in lo], dtype=np.int32)[idx_all]
        hi_i = np.array([pos.get(c, -1) for c in hi], dtype=np.int32)[idx_all]
        dict_arr = pa.array(names, pa.string())
        table = pa.table({
            "source": pa.DictionaryArray.from_arrays(pa.array(np.zeros(len(idx_all), np.int32)), pa.array([self.name])),
            "date": pa.array(np.concatenate(dates) if dates else np.array([], "datetime64[D]")),
            "a": pa.DictionaryArray.from_arrays(pa.array(lo_i), dict_arr),
            "b": pa.DictionaryArray.from_arrays(pa.array(hi_i), dict_arr),
            "score": pa.array(np.concatenate(scores) if scores else np.array([], float)),
        })
        coverage = pd.DataFrame({"source": self.name, "day": [d for d, _ in cover],
                                 "files": 1, "rows": [r for _, r in cover]})
        coverage["files"] = coverage["files"].astype("int32")
        unmapped = {str(iso[u]): int(v) for u, v in dropped.items()}
        notes = [f"{len(cover)} daily files; cells with a code that is not a state in the registry left out "
                 "(counted as unmapped: non-zero cells per code)",
                 "scores are the upstream construction (Goldstein, source/article counts and tone, bare country "
                 "actors only): never added to counts from raw events"]
        return IngestResult({"event_graph_daily": table, "event_coverage": coverage}, unmapped, notes)
