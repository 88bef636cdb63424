"""Readers for the trade files users download themselves for current years: IMF DOTS and IMTS CSV exports
and UN Comtrade CSV exports.

These need a query on the publisher's site (and, for Comtrade, an account), so there is no file dyadic can
fetch on its own and no staged copy; they are not listed in :data:`dyadic.sources.SOURCES` (``dyadic ingest
--all`` would stop on the missing file). Use them through :func:`register`, then ingest as usual::

    from dyadic.sources.trade_exports import register
    register()                        # adds imf_dots_export, imf_imts_export, un_comtrade_export
    ingest(store, settings, ["un_comtrade_export"])   # reads <data>/un_comtrade_export/comtrade.csv

All write the canonical ``trade`` table (``view = 'reported'``: each reporter's own figures) and, where the
file holds flows with the world, ``trade_national``; monthly files go to ``trade_monthly``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.mapping import merge_counts, unmapped_from
from dyadic.sources.registry import Registry
from dyadic.sources.trade import TRADE_COLUMNS, TRADE_SCHEMA, dots_wide_to_trade
from dyadic.sources.unga import read_csv_checked


def iso3_codes(raw: pd.Series, registry: Registry) -> pd.Series:
    """ISO3 codes matched to state codes directly (no name guessing: publishers' own codes such as
    Comtrade's S19 'Other Asia, nes' must stay unmapped, not be read as a state)."""
    raw = raw.astype("string").str.strip().str.upper()
    return raw.where(raw.isin(set(registry.states.code)))


def value_column(text: pd.Series, path: Path, col: str, lines: pd.Series) -> pd.Series:
    text = text.astype("string").str.strip()
    val = pd.to_numeric(text, errors="coerce")
    bad = val.isna() & text.notna() & (text != "")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(f"{path}: line {lines.iloc[i]}, column '{col}': '{text.iloc[i]}' is not a number. "
                                "The export is corrupt or was edited: download it again.")
    return val.astype("float64")


def directed_frames(long: pd.DataFrame, source: Source, world: str) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Long rows ``period, freq, reporter, partner, flow ('X'|'M'), value`` -> canonical tables.

    Args:
        long: mapped rows; ``partner == world`` marks flows with the whole world.
        source: the connector (for the ``source`` column).
        world: the token standing for the world as partner.
    """
    notes = []
    tables: dict[str, pd.DataFrame] = {}
    dup = long.duplicated(["freq", "period", "reporter", "partner", "flow"], keep=False)
    if dup.any():
        r = long[dup].iloc[0]
        raise SourceFormatError(f"{source.name}: {r.reporter}->{r.partner} {r.period} flow {r.flow} appears more "
                                "than once. Export one commodity total (TOTAL) and one customs/transport "
                                "aggregate only.")
    wide = long.pivot_table(index=["freq", "period", "reporter", "partner"], columns="flow", values="value",
                            aggfunc="first").reset_index()
    for f in ("X", "M"):
        if f not in wide:
            wide[f] = np.nan
    wide = wide.rename(columns={"X": "exports_usd", "M": "imports_usd"})
    annual = wide[wide.freq == "A"]
    monthly = wide[wide.freq == "M"]
    bil = annual[annual.partner != world]
    if len(bil):
        tables["trade"] = pd.DataFrame({
            "source": source.name, "year": bil.period.astype(int).astype("int32"), "reporter": bil.reporter,
            "partner": bil.partner, "exports_usd": bil.exports_usd, "imports_usd": bil.imports_usd,
            "exports_smoothed_usd": np.nan, "imports_smoothed_usd": np.nan, "view": "reported",
            "exports_basis": np.where(bil.exports_usd.notna(), "FOB", None),
            "imports_basis": np.where(bil.imports_usd.notna(), "CIF", None),
        })[TRADE_COLUMNS]
    nat = annual[annual.partner == world]
    if len(nat):
        tables["trade_national"] = pd.DataFrame({
            "source": source.name, "year": nat.period.astype(int).astype("int32"), "code": nat.reporter,
            "exports_usd": nat.exports_usd, "imports_usd": nat.imports_usd})
    mon = monthly[monthly.partner != world]
    if len(mon):
        tables["trade_monthly"] = pd.DataFrame({
            "source": source.name, "month": pd.to_datetime(mon.period, format="%Y-%m"),
            "reporter": mon.reporter, "partner": mon.partner, "exports_usd": mon.exports_usd,
            "imports_usd": mon.imports_usd})
    if len(monthly) > len(mon):
        notes.append(f"{len(monthly) - len(mon)} monthly flows with the world left out (no monthly national table)")
    if not tables:
        raise SourceFormatError(f"{source.name}: the export holds no annual or monthly goods flows dyadic can use.")
    return tables, notes


class ImfDotsExport(Source):
    """An IMF Direction of Trade Statistics CSV export (wide: one row per series, one column per year)."""

    name = "imf_dots_export"
    title = "IMF Direction of Trade Statistics, CSV export (user download)"
    version = "as downloaded"
    citation = "International Monetary Fund, Direction of Trade Statistics (DOTS), https://data.imf.org/"
    licence = "IMF terms of use"
    homepage = "https://data.imf.org/"
    files = (RemoteFile("dots.csv"),)
    schema = TRADE_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["dots.csv"]
        df = read_csv_checked(path, self, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        trade, unmapped, notes = dots_wide_to_trade(df, path, self, registry)
        return IngestResult({"trade": trade}, unmapped, notes)


IMTS_INDICATORS = {"XG_FOB_USD": "X", "MG_CIF_USD": "M"}


class ImfImtsExport(Source):
    """An IMF International Trade in Goods by partner (IMTS, the successor of DOTS) SDMX-CSV export."""

    name = "imf_imts_export"
    title = "IMF International Trade in Goods by Partner Country (IMTS), CSV export (user download)"
    version = "IMF.STA:IMTS as downloaded"
    citation = ("International Monetary Fund, International Trade in Goods by Partner Country (IMTS), "
                "IMF.STA:IMTS, https://data.imf.org/en/datasets/IMF.STA:IMTS")
    licence = "IMF terms of use"
    homepage = "https://data.imf.org/en/datasets/IMF.STA:IMTS"
    files = (RemoteFile("imts.csv"),)
    schema = TRADE_SCHEMA
    world = "G001"

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["imts.csv"]
        df = read_csv_checked(path, self, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        self.require_columns(df, ["COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY", "TIME_PERIOD",
                                  "OBS_VALUE"], path)
        lines = pd.Series(np.arange(len(df)) + 2, index=df.index)
        used = df.INDICATOR.isin(list(IMTS_INDICATORS)) & df.FREQUENCY.isin(["A", "M"])
        notes = []
        if (~used).any():
            notes.append(f"{int((~used).sum())} rows other than annual/monthly exports FOB and imports CIF in "
                         "US$ ignored")
        df, lines = df[used], lines[used]
        if "UNIT" in df and (df.UNIT.str.strip() != "USD").any():
            i = int((df.UNIT.str.strip() != "USD").to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {lines.iloc[i]}: UNIT '{df.UNIT.iloc[i]}', expected USD.")
        value = value_column(df.OBS_VALUE, path, "OBS_VALUE", lines)  # raw US$; SCALE is a display hint
        period = df.TIME_PERIOD.str.strip()
        ok = np.where(df.FREQUENCY == "A", period.str.fullmatch(r"\d{4}"),
                      period.str.fullmatch(r"\d{4}-M\d{2}")).astype(bool)
        if not ok.all():
            i = int((~ok).nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {lines.iloc[i]}, column 'TIME_PERIOD': '{period.iloc[i]}' does "
                                    "not match its FREQUENCY (2024 for A, 2024-M01 for M).")
        period = period.str.replace("-M", "-", regex=False)
        rep = iso3_codes(df.COUNTRY, registry)
        par_raw = df.COUNTERPART_COUNTRY.str.strip()
        par = iso3_codes(par_raw, registry).mask(par_raw == self.world, self.world)
        unmapped = merge_counts(unmapped_from(df.COUNTRY, rep), unmapped_from(par_raw, par))
        long = pd.DataFrame({"freq": df.FREQUENCY.to_numpy(), "period": period.to_numpy(), "reporter": rep.to_numpy(),
                             "partner": par.to_numpy(), "flow": df.INDICATOR.map(IMTS_INDICATORS).to_numpy(),
                             "value": value.to_numpy()})
        long = long[long.reporter.notna() & long.partner.notna() & long.value.notna()]
        tables, more = directed_frames(long, self, self.world)
        return IngestResult(tables, unmapped, notes + more)


class ComtradeExport(Source):
    """A UN Comtrade (Comtrade+) CSV export of goods totals (cmdCode TOTAL) by reporter and partner."""

    name = "un_comtrade_export"
    title = "UN Comtrade, CSV export of goods trade totals (user download)"
    version = "Comtrade+ as downloaded"
    citation = "United Nations, UN Comtrade Database, https://comtradeplus.un.org"
    licence = "UN Comtrade terms of use (non-commercial use with attribution)"
    homepage = "https://comtradeplus.un.org"
    files = (RemoteFile("comtrade.csv"),)
    schema = TRADE_SCHEMA
    world = "W00"
    flows = {"X": "X", "M": "M"}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["comtrade.csv"]
        df = read_csv_checked(path, self, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        need = ["freqCode", "period", "reporterISO", "flowCode", "partnerISO", "cmdCode", "primaryValue"]
        self.require_columns(df, need, path)
        lines = pd.Series(np.arange(len(df)) + 2, index=df.index)
        # Keep one figure per reporter-partner-period-flow: the goods total, all customs procedures and modes
        # of transport, no second partner. Re-exports and re-imports (RX, RM) are not counted twice.
        keep = df.cmdCode.str.strip().eq("TOTAL") & df.flowCode.isin(list(self.flows))
        for col, total in (("partner2Code", "0"), ("customsCode", "C00"), ("motCode", "0")):
            if col in df:
                keep &= df[col].str.strip().isin([total, ""])
        notes = []
        if (~keep).any():
            notes.append(f"{int((~keep).sum())} rows that are not goods totals of exports (X) or imports (M) "
                         "ignored (commodity detail, re-exports, customs or transport breakdowns)")
        df, lines = df[keep], lines[keep]
        value = value_column(df.primaryValue, path, "primaryValue", lines)
        freq = df.freqCode.str.strip()
        period = df.period.str.strip()
        ok = np.where(freq == "A", period.str.fullmatch(r"\d{4}"), period.str.fullmatch(r"\d{6}")).astype(bool)
        ok &= freq.isin(["A", "M"]).to_numpy()
        if not ok.all():
            i = int((~ok).nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {lines.iloc[i]}: period '{period.iloc[i]}' with freqCode "
                                    f"'{freq.iloc[i]}' (expected 2024 for A, 202401 for M).")
        period = period.where(freq == "A", period.str[:4] + "-" + period.str[4:])
        rep = iso3_codes(df.reporterISO, registry)
        par_raw = df.partnerISO.str.strip()
        par = iso3_codes(par_raw, registry).mask(par_raw == self.world, self.world)
        unmapped = merge_counts(unmapped_from(df.reporterISO, rep), unmapped_from(par_raw, par))
        long = pd.DataFrame({"freq": freq.to_numpy(), "period": period.to_numpy(), "reporter": rep.to_numpy(),
                             "partner": par.to_numpy(), "flow": df.flowCode.to_numpy(), "value": value.to_numpy()})
        long = long[long.reporter.notna() & long.partner.notna() & long.value.notna()]
        tables, more = directed_frames(long, self, self.world)
        return IngestResult(tables, unmapped, notes + more)


EXPORT_SOURCES = (ImfDotsExport, ImfImtsExport, ComtradeExport)


def register() -> None:
    """Make the export readers ingestible by name (``dyadic.store.ingest``) in this process."""
    from dyadic.sources import add_connector

    for cls in EXPORT_SOURCES:
        add_connector(cls)
