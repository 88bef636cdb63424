"""UN Comtrade annual goods trade by reporter and partner through ``comtradeapicall``, for users with a key.

The Comtrade API's data endpoints need a subscription key (free tier: comtradedeveloper.un.org, product
"comtrade - v1"); dyadic reads it from ``COMTRADE_API_KEY`` and never writes it anywhere. The client is
UN Comtrade's own ``comtradeapicall`` (optional: ``pip install 'dyadic[live]'``):

- :meth:`ComtradeApi.latest` asks ``getFinalDataAvailability`` (``/data/v1/getDa/C/A/HS``) which annual
  reporter datasets exist for the years wanted; the release is their latest ``lastReleased`` plus a digest of
  every dataset's ``datasetChecksum``, so a revision of any one reporter is a new release;
- :meth:`ComtradeApi.fetch` asks ``getFinalData`` (``/data/v1/get/C/A/HS``) for each year's goods total
  (``cmdCode=TOTAL``) of exports and imports with every partner, no customs, transport or second-partner
  breakdown, for the reporters the availability answer lists (those of ``COMTRADE_REPORTERS``, or all), a
  batch of ``chunk`` reporters per call so that no answer nears the record ceiling; partners are those of
  ``COMTRADE_PARTNERS`` (or all) and the World.

``comtradeapicall`` prints an error answer and returns ``None`` instead of raising; the printed text is
caught and becomes the error (with the key masked), and rate-limit answers (HTTP 429) are retried with the
client's backoff. The rows are written as the Comtrade CSV export layout that
:class:`~dyadic.sources.trade_exports.ComtradeExport` reads (``comtrade.csv``), so the one Comtrade parser
checks and maps them (``trade``, and ``trade_national`` from the partner World, W00).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError
from dyadic.sources.live import iso_date as _date
from dyadic.sources.trade_exports import ComtradeExport

KEY_VAR = "COMTRADE_API_KEY"
DATA_URL = "https://comtradeapi.un.org/data/v1/get/C/A/HS"
AVAILABILITY_URL = "https://comtradeapi.un.org/data/v1/getDa/C/A/HS"
#: getFinalData's ceiling on one answer (comtradeapicall's README: "limited to 250K records"; free keys are
#: said to get 100,000): an answer of that size is cut off.
MAX_RECORDS = 250_000
FREE_CEILING = 100_000
#: the columns written: those ComtradeExport reads, then what identifies a row in Comtrade's own terms.
CSV_COLUMNS = ["typeCode", "freqCode", "refYear", "period", "reporterCode", "reporterISO", "reporterDesc", "flowCode",
               "partnerCode", "partnerISO", "partnerDesc", "partner2Code", "cmdCode", "customsCode", "motCode",
               "primaryValue", "fobvalue", "cifvalue", "isReported", "isAggregate"]
NEEDED = ["period", "reporterISO", "flowCode", "partnerISO", "cmdCode", "primaryValue"]
NO_KEY = (f"un_comtrade_export needs a UN Comtrade API key in {KEY_VAR}: sign in at "
          "https://comtradedeveloper.un.org, subscribe to the free 'comtrade - v1' product, copy its primary key, "
          f"then export {KEY_VAR}=<key> and run 'dyadic update un_comtrade_export' again. Nothing was changed.")


def _client():
    try:
        import comtradeapicall
    except ImportError as exc:  # an optional dependency: say how to get it
        raise UpdateError("the Comtrade updater needs the comtradeapicall package: pip install 'dyadic[live]' "
                          "(or comtradeapicall).") from exc
    return comtradeapicall


def _codes(text: str | None) -> frozenset[str]:
    """ISO3 codes from ``CHN,USA`` (upper-cased; empty: every reporter or partner)."""
    return frozenset(c.strip().upper() for c in (text or "").split(",") if c.strip())


def _years(text: str | None, last: int) -> list[int]:
    """``2018-2024`` or ``2022,2024``; default the five years before ``last`` + 1 (the latest published)."""
    if not text:
        return list(range(last - 4, last + 1))
    out: set[int] = set()
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?", part)
        if not m:
            raise UpdateError(f"COMTRADE_YEARS={text!r}: {part!r} is not a year or a span (2018-2024).")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo > hi:
            raise UpdateError(f"COMTRADE_YEARS={text!r}: {part!r} runs backwards.")
        out.update(range(lo, hi + 1))
    return sorted(out)


class ComtradeApi:
    """Annual goods exports and imports (HS, goods total) by reporter and partner from the Comtrade API.

    Args:
        key: the subscription key; default ``$COMTRADE_API_KEY``.
        years: the years wanted; default ``$COMTRADE_YEARS`` (``2018-2024``) or the five latest.
        reporters, partners: ISO3 codes to keep; default ``$COMTRADE_REPORTERS`` / ``$COMTRADE_PARTNERS``, or
            every one.
        api: the client module (``comtradeapicall`` unless given: tests pass recorded answers).
        pause: seconds between calls (the API allows about one call a second).
        chunk: reporters per call (50 reporters x ~240 partners x 2 flows stays far below 100,000 records).
    """

    source: ClassVar[str] = ComtradeExport.name
    connector: ClassVar[type] = ComtradeExport
    #: a key is needed: updated only when named, never by a bare ``dyadic update``.
    on_request: ClassVar[bool] = True
    #: a latest year reported by fewer than this share of the previous year's reporters is flagged partial.
    partial_share = 0.5

    def __init__(self, key: str | None = None, years: list[int] | None = None,
                 reporters: frozenset[str] | None = None, partners: frozenset[str] | None = None,
                 api: Any = None, pause: float = 1.0, chunk: int = 50):
        env = os.environ
        self.key = key if key is not None else env.get(KEY_VAR, "").strip()
        self.years = years or _years(env.get("COMTRADE_YEARS"), date.today().year - 1)
        self.reporters = reporters if reporters is not None else _codes(env.get("COMTRADE_REPORTERS"))
        self.partners = partners if partners is not None else _codes(env.get("COMTRADE_PARTNERS"))
        self._api = api
        self.pause = pause
        self.chunk = chunk
        #: year -> Comtrade reporter codes with a dataset (set by latest; fetch asks for those only).
        self.plan: dict[int, list[int]] = {}

    @property
    def api(self):
        return self._api if self._api is not None else _client()

    def _call(self, client: LiveClient, url: str, fn: Callable[..., Any], **kw) -> pd.DataFrame:
        """One comtradeapicall call: its printed error becomes an :class:`UpdateError`; 429 is retried."""
        if not self.key:
            raise UpdateError(NO_KEY)
        said = ""
        for attempt in range(client.retries + 1):
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):  # where comtradeapicall reports a failed request
                    df = fn(self.key, **kw)
            except (KeyError, ValueError, TypeError) as exc:  # a 200 whose body is not {"data": [...]}
                raise UpdateError(f"{url}: the answer is not the Comtrade API's JSON layout ({type(exc).__name__}: "
                                  f"{exc}). Nothing was changed.") from exc
            said = out.getvalue().replace(self.key, "<key>").strip()
            if df is not None:
                return df
            if "401" in said or "subscription key" in said.lower():
                raise UpdateError(f"{url}: the API refused the key in {KEY_VAR} ({said[:200]}). Check the key at "
                                  "https://comtradedeveloper.un.org (Profile > Subscriptions). Nothing was changed.")
            if "429" not in said and "rate limit" not in said.lower() and "Request error" not in said:
                break  # not worth repeating: a bad query, a 403 quota, a server message
            if attempt < client.retries:
                time.sleep(min(client.backoff * 2 ** attempt, client.max_wait))
        raise UpdateError(f"{url}: no data ({said[:300] or 'comtradeapicall returned nothing'}). Nothing was "
                          "changed; try again later (the daily call quota resets at midnight UTC).")

    def availability(self, client: LiveClient) -> pd.DataFrame:
        """Annual HS datasets per reporter and year (``period, reporterISO, datasetChecksum, lastReleased``)."""
        df = self._call(client, AVAILABILITY_URL, self.api.getFinalDataAvailability, typeCode="C", freqCode="A",
                        clCode="HS", period=",".join(map(str, self.years)), reporterCode=None)
        missing = [c for c in ("period", "reporterCode", "reporterISO", "datasetChecksum", "lastReleased")
                   if c not in df.columns]
        if len(df) and missing:
            raise UpdateError(f"{AVAILABILITY_URL}: the answer lacks {', '.join(missing)}; the API's layout changed. "
                              "Nothing was changed.")
        if len(df) and self.reporters:
            df = df[df.reporterISO.astype(str).str.upper().isin(self.reporters)]
        return df

    def latest(self, client: LiveClient) -> Release:
        df = self.availability(client)
        if not len(df):
            raise UpdateError(f"{AVAILABILITY_URL}: no annual data for {self.years[0]}-{self.years[-1]}"
                              + (f" from {', '.join(sorted(self.reporters))}" if self.reporters else "")
                              + ". Nothing was changed.")
        stamp = str(df.lastReleased.astype(str).max())
        as_of = _date(stamp)
        # Any reporter's revision changes its datasetChecksum: the digest of all of them names the release.
        sig = sorted(f"{r.reporterISO}:{r.period}:{r.datasetChecksum}" for r in df.itertuples())
        digest = hashlib.sha256("\n".join(sig).encode()).hexdigest()[:12]
        years = sorted({int(p) for p in df.period})
        scope = (f"reporters {','.join(sorted(self.reporters))}" if self.reporters else "all reporters") + (
            f", partners {','.join(sorted(self.partners))}" if self.partners else "")
        label = f"Comtrade A {years[0]}-{years[-1]} {stamp[:19]} #{digest}"
        self.plan = {y: sorted({int(c) for c in df.reporterCode[df.period.astype(int) == y]}) for y in years}
        return Release(source=self.source, release=label, as_of=as_of, url=AVAILABILITY_URL,
                       files=(ReleaseFile("comtrade.csv", DATA_URL),),
                       title=f"UN Comtrade, annual goods trade (HS, TOTAL) {years[0]}-{years[-1]}, API, released to "
                             f"{stamp[:10]}",
                       notes=[(f"UN Comtrade API {len(df)} reporter-year datasets {years[0]}-{years[-1]} ({scope}), "
                               f"last released {stamp}, checksum digest {digest}")])

    def year_rows(self, client: LiveClient, year: int, reporters: list[int]) -> pd.DataFrame:
        """One year's goods totals, exports and imports, of the reporters (Comtrade codes) given, checked."""
        codes = ",".join(map(str, reporters))
        df = self._call(client, f"{DATA_URL}?period={year}", self.api.getFinalData, typeCode="C", freqCode="A",
                        clCode="HS", period=str(year), reporterCode=codes, cmdCode="TOTAL", flowCode="X,M",
                        partnerCode=None, partner2Code="0", customsCode="C00", motCode="0", maxRecords=MAX_RECORDS,
                        format_output="JSON", aggregateBy=None, breakdownMode="classic", countOnly=None,
                        includeDesc=True)  # without includeDesc the ISO columns come back empty
        where = f"{DATA_URL}?period={year}&reporterCode={codes}"
        if len(df) in (FREE_CEILING, MAX_RECORDS) or len(df) > MAX_RECORDS:
            raise UpdateError(f"{where}: {len(df):,} records, the API's ceiling for one answer: the answer is cut "
                              "off. Nothing was changed.")
        if not len(df):
            return pd.DataFrame(columns=CSV_COLUMNS)
        missing = [c for c in NEEDED if c not in df.columns]
        if missing:
            raise UpdateError(f"{where}: the records lack {', '.join(missing)}; the API's layout changed. Nothing "
                              "was changed.")
        if df.reporterISO.isna().all():
            raise UpdateError(f"{where}: the records carry no reporterISO (the API answered without "
                              "descriptions). Nothing was changed.")
        periods = set(df.period.astype(str))
        if periods != {str(year)}:
            raise UpdateError(f"{where}: records for {', '.join(sorted(periods))}, not the {year} asked for. Nothing "
                              "was changed.")
        if not set(df.flowCode.astype(str)) <= {"X", "M"} or set(df.cmdCode.astype(str)) != {"TOTAL"}:
            raise UpdateError(f"{where}: flows {sorted(set(df.flowCode.astype(str)))} / commodities "
                              f"{sorted(set(df.cmdCode.astype(str)))[:5]}, not the X, M goods totals asked for. "
                              "Nothing was changed.")
        value = pd.to_numeric(df.primaryValue, errors="coerce")
        if value.isna().any():
            i = int(value.isna().to_numpy().nonzero()[0][0])
            raise UpdateError(f"{where}: record {i + 1} ({df.reporterISO.iloc[i]}->{df.partnerISO.iloc[i]}) has "
                              f"primaryValue {df.primaryValue.iloc[i]!r}, not a number. Nothing was changed.")
        if "reporterCode" in df and not set(pd.to_numeric(df.reporterCode, errors="coerce")) <= set(reporters):
            raise UpdateError(f"{where}: records of reporters not asked for. Nothing was changed.")
        if self.partners:  # the world total stays: it is the reporter's national trade
            df = df[df.partnerISO.astype(str).str.upper().isin(self.partners | {ComtradeExport.world})]
        return df.reindex(columns=CSV_COLUMNS)

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        if not self.plan:
            self.latest(client)  # fetch without latest (a caller's own use): learn the reporters first
        years = sorted(self.plan)
        frames, reporters, calls = [], {}, 0
        for year in years:
            got = []
            for i in range(0, len(self.plan[year]), self.chunk):
                if calls and self.pause:
                    time.sleep(self.pause)  # the API's rate: about one call a second
                got.append(self.year_rows(client, year, self.plan[year][i:i + self.chunk]))
                calls += 1
            year_df = pd.concat(got, ignore_index=True) if got else pd.DataFrame(columns=CSV_COLUMNS)
            frames.append(year_df)
            reporters[year] = year_df.loc[year_df.primaryValue.notna(), "reporterISO"].nunique()
        rows = pd.concat(frames, ignore_index=True)
        if not len(rows):
            raise UpdateError(f"{DATA_URL}: no records for {years[0]}-{years[-1]}. Nothing was changed.")
        done = [y for y in years if reporters[y]]
        if len(done) >= 2 and reporters[done[-1]] < self.partial_share * reporters[done[-2]]:
            release.notes.append(f"partial year {done[-1]}: {reporters[done[-1]]} reporters against "
                                 f"{reporters[done[-2]]} in {done[-2]}; treat {done[-1]} as provisional")
        release.notes.append(f"{len(rows):,} records {years[0]}-{years[-1]}")
        rows = rows.sort_values(["period", "reporterISO", "flowCode", "partnerISO"], kind="stable")
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "comtrade.csv"
        rows.to_csv(path, index=False, lineterminator="\n")  # sorted: the same data gives the same bytes
        return {path.name: path}
