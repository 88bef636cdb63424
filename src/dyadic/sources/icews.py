"""Connector for ICEWS directed dyad-year "quad" event counts, 152 countries, 2002-2014 (netify packaging).

The R package netify ships a slice of the ICEWS coded event data: for every ordered pair of 152 countries
and every year 2002-2014, the number of events from actors of ``i`` to actors of ``j`` in the four CAMEO
quad classes (zeros are explicit: the panel is complete). One canonical table:

``icews_quads(source, year, a, b, verb_coop, matl_coop, verb_conf, matl_conf)``  directed: ``a`` -> ``b``.

Which actors count (state actors only, or anyone located in the country) is not documented by the package:
read the counts as events between actors of the two countries. The nodal covariates in the file (polity,
GDP, population) are not read; dyadic has those from their own sources.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.alliances import checked_ints
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry, read_rda

NETIFY_COMMIT = "d0dceb6a666e013651d017c5f6a55a51fee7bff2"
ICEWS_FILE = "icews.rda"
#: file column -> canonical column (CAMEO quad classes)
QUADS = {"verbCoop": "verb_coop", "matlCoop": "matl_coop", "verbConf": "verb_conf", "matlConf": "matl_conf"}


class IcewsNetify(Source):
    """ICEWS quad counts by directed dyad-year, 152 countries, 2002-2014 (netify 1.5.3 ``icews``)."""

    name = "icews_dyadic_netify_2002_2014"
    title = "ICEWS directed dyad-year quad event counts, 152 countries, 2002-2014 (netify packaging)"
    version = f"netify 1.5.3 data/icews.rda ({NETIFY_COMMIT[:7]})"
    citation = (
        "Boschee, E., Lautenschlager, J., O'Brien, S., Shellman, S., Starz, J. & Ward, M. (2015). ICEWS Coded "
        "Event Data. Harvard Dataverse, doi:10.7910/DVN/28075. Packaged by C. Dorff & S. Minhas, netify "
        "(R package)."
    )
    licence = "ICEWS Dataverse terms of use; netify GPL-3"
    homepage = "https://github.com/netify-dev/netify"
    files = (
        RemoteFile(ICEWS_FILE, f"https://raw.githubusercontent.com/netify-dev/netify/{NETIFY_COMMIT}/data/{ICEWS_FILE}",
                   "7267fb4350b8926f389b1f7eeef0a1ef3e93a8f40cdb751a9d7d240e7348f5e9"),
    )
    schema = {
        "icews_quads": "source VARCHAR, year SMALLINT, a VARCHAR, b VARCHAR, verb_coop INTEGER, "
                       "matl_coop INTEGER, verb_conf INTEGER, matl_conf INTEGER",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths[ICEWS_FILE]
        raw = read_rda(path, self)
        self.require_columns(raw, ["i", "j", "i_iso3c", "j_iso3c", "year", *QUADS], path)
        if raw.empty:
            raise SourceFormatError(f"{path}: holds no rows. Re-download it from {self.homepage}.")
        out = pd.DataFrame({"source": self.name, "year": checked_ints(raw, "year", path).astype("int16")})
        unmapped: dict[str, int] = {}
        for side, col in (("a", "i_iso3c"), ("b", "j_iso3c")):
            token = raw[col].astype("string").fillna(raw[col[0]].astype("string"))
            out[side] = registry.map_codes(token).to_numpy()
            for k, n in Registry.unmapped_counts(token, out[side]).items():
                unmapped[k] = unmapped.get(k, 0) + n
        for src, dst in QUADS.items():
            v = checked_ints(raw, src, path)
            neg = (v < 0).to_numpy()
            if neg.any():
                i = int(np.flatnonzero(neg)[0])
                raise SourceFormatError(f"{path}: column '{src}', row {i + 1}: {v.iloc[i]} is not a count.")
            out[dst] = v
        keep = (out.a.notna() & out.b.notna()).to_numpy()
        out = out[keep]
        dup = out.duplicated(["year", "a", "b"])
        if dup.any():
            r = out[dup].iloc[0]
            raise SourceFormatError(f"{path}: {int(dup.sum())} repeated directed dyad-years (first {r.a}->{r.b} "
                                    f"{r.year}). The file is not the netify layout: re-download it.")
        states = pd.unique(pd.concat([out.a, out.b]))
        notes = [f"{len(out):,} directed dyad-years, {len(states)} states, {int(out.year.min())}-"
                 f"{int(out.year.max())}; zeros are the file's own (complete panel)",
                 f"{int((~keep).sum())} rows with an unmapped country left out"]
        return IngestResult({"icews_quads": out}, unmapped, notes)
