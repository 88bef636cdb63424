"""Connector for the SIPRI Arms Transfers Database: trend-indicator values (TIV) of major conventional arms.

Two SIPRI editions, both SIPRI's own exports, each kept whole in its own table:

``arms_deliveries(source, sipri_id, year, supplier_name, recipient_name, supplier, recipient, designation,
description, category, order_year, delivered, status, tiv_unit, tiv)``
    the trade register (data generated 12 Feb 2026): one row per deal and delivery year, 1995-2024.
``arms_tiv_2022(source, year, supplier_name, recipient_name, supplier, recipient, tiv)``
    the "TIV of arms exports from <country>, 1950-2021" tables (generated 28 Jul 2022): one row per non-empty
    cell (integer TIV; SIPRI writes 0 for deliveries under 0.5 million).

TIV is a volume index (millions), not money. ``supplier``/``recipient`` are state codes, NULL for SIPRI's
non-state actors (names ending ``*``), international organisations (``**``), "unknown" parties and the
entities in :data:`NOT_STATES`; their rows are kept, since they are part of a state's total imports.
Which edition serves which years is decided in :mod:`dyadic.indicators.arms`, not here.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.mapping import map_names, merge_counts, unmapped_from
from dyadic.sources.registry import Registry, packaged_csv

REGISTER_COMMIT = "bdf78c664d67991f2b199a771dcb9e7ac392ebb7"  # nagehanrdogan/Global-Arms-Trade-Network-Analysis
TABLES_COMMIT = "e00d2d3e57d1d6dd409f60fc367e088cce34c86e"  # 360-info/report-arms-trade
TABLES_DIR = "trademap_raw_tiv_tables_2022"
#: SIPRI names that are not states although the registry's name patterns would match one.
NOT_STATES = ("Northern Cyprus", "Libya GNC", "Biafra", "Katanga")
#: SIPRI's names the registry cannot settle alone: SIPRI's "Congo" is Brazzaville (Kinshasa is "DR Congo").
SIPRI_NAMES = {"Congo": "COG", "Micronesia": "FSM"}
REGISTER_COLUMNS = {
    "SIPRI AT Database ID": "sipri_id", "Supplier": "supplier_name", "Recipient": "recipient_name",
    "Designation": "designation", "Description": "description", "Armament category": "category",
    "Order date": "order_year", "Numbers delivered": "delivered", "Delivery year": "year", "Status": "status",
    "TIV deal unit": "tiv_unit", "TIV delivery values": "tiv",
}
TITLE = re.compile(r"^TIV of arms exports from (.+), (\d{4})-(\d{4})$")


def sipri_states(names: pd.Series, registry: Registry) -> pd.Series:
    """SIPRI party names to state codes; non-state actors, organisations and unknown parties are missing."""
    names = names.astype("string").str.strip()
    code = map_names(names, registry).mask(names.isin(list(SIPRI_NAMES)).fillna(False).to_numpy(),
                                           names.map(SIPRI_NAMES))
    # SIPRI's own marks ("Hezbollah (Lebanon)*", "NATO**") and the entities it lists as parties without
    # being states: the registry's patterns would otherwise read "Hamas (Palestine)*" as Palestine.
    not_state = names.str.endswith("*") | names.isin(NOT_STATES) | names.str.lower().str.startswith("unknown")
    return code.mask(not_state.fillna(False).to_numpy(), pd.NA)


def whole_or_empty(values: pd.Series, col: str, path: Path, where: list[str],
                   allow_fraction: bool = False) -> pd.Series:
    """Non-negative numbers (empty allowed); anything else is a format error naming ``where`` of the value."""
    txt = values.astype("string").str.strip()
    v = pd.to_numeric(txt.replace("", pd.NA), errors="coerce")
    bad = (txt.notna() & (txt != "") & v.isna()) | (v < 0)
    if not allow_fraction:
        bad |= v.fillna(0) % 1 != 0
    if bad.any():
        i = int(np.flatnonzero(bad.fillna(True).to_numpy())[0])
        raise SourceFormatError(f"{path}: column '{col}', {where[i]}: '{values.iloc[i]}' is not a non-negative "
                                f"{'number' if allow_fraction else 'whole number'}. The file is corrupt: "
                                "re-download it.")
    return v.astype("float64")


def table_files() -> tuple[RemoteFile, ...]:
    """The 134 TIV tables, with the checksums of SIPRI's files as 360info archived them (package data)."""
    manifest = packaged_csv("sipri_tiv_tables_2022.csv")
    base = f"https://raw.githubusercontent.com/360-info/report-arms-trade/{TABLES_COMMIT}/data/trademap-raw"
    return tuple(RemoteFile(f"{TABLES_DIR}/{f}", f"{base}/{f}", sha) for f, sha in zip(manifest.file, manifest.sha256))


def _text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceFormatError(f"{path}: not UTF-8 text ({exc}). The file is corrupt: re-download it.") from exc


class SipriArmsTransfers(Source):
    """SIPRI Arms Transfers Database: trade register 1995-2024 (2026 edition), TIV tables 1950-2021 (2022)."""

    name = "sipri_arms_transfers"
    title = "SIPRI Arms Transfers Database: trade register 1995-2024 and TIV export tables 1950-2021"
    version = "trade register generated 12 Feb 2026 (deliveries 1995-2024); TIV tables generated 28 Jul 2022"
    citation = ("Stockholm International Peace Research Institute. SIPRI Arms Transfers Database, "
                "https://www.sipri.org/databases/armstransfers (trade register generated 12 February 2026; TIV "
                "export tables generated 28 July 2022). Source: SIPRI Arms Transfers Database (c) SIPRI.")
    licence = "SIPRI terms of use (free to use with attribution to SIPRI)"
    homepage = "https://www.sipri.org/databases/armstransfers"
    files = (
        RemoteFile("trade_register.csv",
                   "https://raw.githubusercontent.com/nagehanrdogan/Global-Arms-Trade-Network-Analysis-1995-2024-/"
                   f"{REGISTER_COMMIT}/trade_register.csv",
                   "de974d8302efdeaad98d0b5a7d0ef020a3e5d1929b6406423cfe2ee2bad51868"),
        *table_files(),
    )
    schema = {
        "arms_deliveries": "source VARCHAR, sipri_id BIGINT, year SMALLINT, supplier_name VARCHAR, "
                           "recipient_name VARCHAR, supplier VARCHAR, recipient VARCHAR, designation VARCHAR, "
                           "description VARCHAR, category VARCHAR, order_year SMALLINT, delivered INTEGER, "
                           "status VARCHAR, tiv_unit DOUBLE, tiv DOUBLE",
        "arms_tiv_2022": "source VARCHAR, year SMALLINT, supplier_name VARCHAR, recipient_name VARCHAR, "
                         "supplier VARCHAR, recipient VARCHAR, tiv DOUBLE",
    }

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        deliveries, um1 = self._register(paths["trade_register.csv"], registry)
        tables, um2 = self._tables([p for f, p in paths.items() if f.startswith(TABLES_DIR + "/")], registry)
        notes = [
            f"register: {len(deliveries):,} deal-year rows, deliveries {deliveries.year.min()}-"
            f"{deliveries.year.max()}; {int(deliveries.supplier.isna().sum())} with a non-state or unknown "
            f"supplier, {int(deliveries.recipient.isna().sum())} with a non-state or unknown recipient (kept)",
            f"TIV tables 2022: {len(tables):,} supplier-recipient-year cells {tables.year.min()}-{tables.year.max()}",
            "the two editions are stored apart: SIPRI revises TIVs between editions",
        ]
        return IngestResult({"arms_deliveries": deliveries, "arms_tiv_2022": tables}, merge_counts(um1, um2), notes)

    def _register(self, path: Path, registry: Registry) -> tuple[pd.DataFrame, dict[str, int]]:
        lines = _text(path).splitlines()
        head = next((i for i, ln in enumerate(lines[:40]) if ln.startswith("SIPRI AT Database ID,")), None)
        if head is None:
            raise SourceFormatError(f"{path}: no header line 'SIPRI AT Database ID,...' in its first 40 lines. "
                                    f"It is not a SIPRI trade-register export: download it from {self.homepage}.")
        # SIPRI's export ends every line with ';': a line without it was cut off (a download that stopped).
        cut = next((i for i, ln in enumerate(lines[head:], start=head) if ln.strip() and not ln.endswith(";")), None)
        if cut is not None:
            raise SourceFormatError(f"{path}: line {cut + 1} does not end with ';' as every line of SIPRI's export "
                                    f"does: the file is truncated or altered. Re-download it from {self.homepage}.")
        body = "\n".join(ln[:-1] for ln in lines[head:] if ln.strip())
        try:
            raw = pd.read_csv(io.StringIO(body), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, ValueError) as exc:
            raise SourceFormatError(f"{path}: cannot be parsed as CSV ({exc}). It is truncated or corrupt: "
                                    f"re-download it from {self.homepage}.") from exc
        self.require_columns(raw, list(REGISTER_COLUMNS), path)
        raw = raw.rename(columns=REGISTER_COLUMNS)
        where = [f"data row {i + 1}" for i in range(len(raw))]
        out = pd.DataFrame({"source": self.name}, index=raw.index)
        for col, frac in (("sipri_id", False), ("year", False), ("order_year", False), ("delivered", False),
                          ("tiv_unit", True), ("tiv", True)):
            out[col] = whole_or_empty(raw[col], col, path, where, allow_fraction=frac)
        if out.year.isna().any():
            i = int(np.flatnonzero(out.year.isna().to_numpy())[0])
            raise SourceFormatError(f"{path}: column 'Delivery year', data row {i + 1}: empty. The file is "
                                    "truncated or corrupt: re-download it.")
        for col in ("supplier_name", "recipient_name", "designation", "description", "category", "status"):
            out[col] = raw[col].astype("string").str.strip()
        out["supplier"] = sipri_states(out.supplier_name, registry)
        out["recipient"] = sipri_states(out.recipient_name, registry)
        # An empty TIV means SIPRI identified no delivery value: 0 for sums, as in SIPRI's own totals.
        out["tiv"] = out.tiv.fillna(0.0)
        out = out.astype({"sipri_id": "Int64", "year": "int16", "order_year": "Int16", "delivered": "Int32"})
        unmapped = merge_counts(self._unmapped(out.supplier_name, out.supplier, "register supplier"),
                                self._unmapped(out.recipient_name, out.recipient, "register recipient"))
        return out[[c.split()[0] for c in self.schema["arms_deliveries"].split(", ")]], unmapped

    def _tables(self, paths: list[Path], registry: Registry) -> tuple[pd.DataFrame, dict[str, int]]:
        if not paths:
            raise SourceFormatError(f"no SIPRI TIV tables found under {TABLES_DIR}/: download them from "
                                    f"{self.homepage}.")
        frames = []
        for path in sorted(paths):
            frames.append(self._table(path))
        cells = pd.concat(frames, ignore_index=True)
        cells["supplier"] = sipri_states(cells.supplier_name, registry)
        cells["recipient"] = sipri_states(cells.recipient_name, registry)
        unmapped = merge_counts(self._unmapped(cells.supplier_name, cells.supplier, "TIV table supplier"),
                                self._unmapped(cells.recipient_name, cells.recipient, "TIV table recipient"))
        return cells.assign(source=self.name)[["source", "year", "supplier_name", "recipient_name", "supplier",
                                               "recipient", "tiv"]], unmapped

    def _table(self, path: Path) -> pd.DataFrame:
        """One wide table (recipients x years + Total) as long cells; the Total row and column are left out."""
        rows = list(csv.reader(io.StringIO(_text(path))))
        m = TITLE.match(rows[0][0].strip()) if rows and rows[0] else None
        head = next((i for i, r in enumerate(rows) if len(r) > 2 and r[0] == "" and r[1].isdigit()), None)
        if m is None or head is None:
            raise SourceFormatError(f"{path}: not a SIPRI 'TIV of arms exports from ...' table (title or year "
                                    f"header missing). Re-download it from {self.homepage}.")
        header = rows[head]
        years = [(j, int(h)) for j, h in enumerate(header) if h.isdigit()]
        if "Total" not in header or not any(r and r[0] == "Total" for r in rows[head + 1:]):
            raise SourceFormatError(f"{path}: no 'Total' row or column: the table is truncated. Re-download it "
                                    f"from {self.homepage}.")
        body = [(i, r) for i, r in enumerate(rows[head + 1:], start=head + 2) if r and r[0] and r[0] != "Total"]
        recips = [r[0] for _, r in body]
        vals = pd.DataFrame([[r[j] if j < len(r) else "" for j, _ in years] for _, r in body],
                            columns=[y for _, y in years])
        long = vals.assign(recipient_name=recips, line=[i for i, _ in body]).melt(
            id_vars=["recipient_name", "line"], var_name="year", value_name="raw")
        long = long[long.raw.str.strip() != ""].reset_index(drop=True)
        where = [f"line {ln} ({r})" for ln, r in zip(long.line, long.recipient_name)]
        tiv = whole_or_empty(long.raw, str(years[0][1]) + "-" + str(years[-1][1]), path, where)
        return pd.DataFrame({"year": long.year.astype("int16"), "supplier_name": m.group(1),
                             "recipient_name": long.recipient_name, "tiv": tiv})

    @staticmethod
    def _unmapped(names: pd.Series, codes: pd.Series, label: str) -> dict[str, int]:
        return {f"{label} {k}": v for k, v in unmapped_from(names, codes).items()}
