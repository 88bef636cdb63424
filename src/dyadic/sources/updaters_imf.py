"""IMF International Trade in Goods by partner (IMTS, the successor of DOTS) from the IMF's SDMX 3.0 API.

The client is ``sdmx1`` (package ``sdmx``): it builds the SDMX-REST v2 query for the ``IMF_DATA3`` source
(``https://api.imf.org/external/sdmx/3.0``) and reads the SDMX-ML 3.0 answers; the requests themselves go
through :class:`~dyadic.sources.live.LiveClient` (timeouts, retries, ``Retry-After``), so tests replay
recorded answers. ``imfp`` was read too and not taken: it pins ``pandas==2.2.3`` and ``requests==2.33.0``
exactly (a downgrade of both here) and sends its requests itself.

The answers are written as the SDMX-CSV layout that :class:`~dyadic.sources.trade_exports.ImfImtsExport`
reads (``imts.csv``), so the one IMTS parser checks and maps them.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError
from dyadic.sources.live import iso_date as _date
from dyadic.sources.trade_exports import IMTS_INDICATORS, ImfImtsExport

#: the columns written, in the order of the IMF portal's SDMX-CSV export the connector was written for.
CSV_COLUMNS = ["DATAFLOW", "COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY", "TIME_PERIOD", "OBS_VALUE",
               "SCALE", "UNIT"]
KEY_COLUMNS = ("COUNTRY", "INDICATOR", "COUNTERPART_COUNTRY", "FREQUENCY")


def _sdmx():
    try:
        import sdmx
    except ImportError as exc:  # an optional dependency: say how to get it
        raise UpdateError("the IMF updater needs the sdmx1 package: pip install 'dyadic[live]' (or sdmx1).") from exc
    return sdmx


class ImfImtsApi:
    """IMTS annual exports FOB and imports CIF in US$, every reporter and partner, ``first_year`` onwards.

    The release is the dataflow's version and its ``lastUpdatedAt`` annotation (the IMF's own time stamp
    of the data). Data are asked one year at a time (about 100,000 observations each), so no answer grows
    beyond what ``sdmx1`` reads comfortably; a year the service has no records for yet (HTTP 404) ends
    the series.
    """

    source: ClassVar[str] = ImfImtsExport.name
    connector: ClassVar[type] = ImfImtsExport
    agency, flow = "IMF.STA", "IMTS"
    key = "*." + ",".join(IMTS_INDICATORS) + ".*.A"
    #: a latest year reported by fewer than this share of the previous year's reporters is flagged partial.
    partial_share = 0.5

    def __init__(self, first_year: int = 2010, last_year: int | None = None):
        self.first_year = first_year
        self.last_year = last_year or date.today().year

    def _client(self):
        return _sdmx().Client("IMF_DATA3")

    def _request(self, *args, **kwargs) -> tuple[str, dict[str, str]]:
        """The URL and Accept header ``sdmx1`` builds for a query (built, not sent)."""
        req = self._client().get(*args, dry_run=True, **kwargs)
        return req.url, {"Accept": req.headers["Accept"]}

    @property
    def dataflow_url(self) -> str:
        return self._request("dataflow", self.flow, agency_id=self.agency)[0]

    def _data_request(self) -> tuple[str, dict[str, str]]:
        # context "dataflow": the key is read against the dataflow (sdmx1's default is "*", any context).
        return self._request("data", self.flow, agency_id=self.agency, key=self.key, params={"context": "dataflow"})

    def data_url(self, year: int) -> str:
        url, _ = self._data_request()
        # sdmx1 does not encode SDMX-REST v2 component filters: the period filter is added here.
        return f"{url}?c[TIME_PERIOD]=ge:{year}+le:{year}"

    def _read(self, url: str, body: bytes, what: str):
        sdmx = _sdmx()
        # Structure-specific data read without the DSD: sdmx1 warns once per message, which says nothing here
        # (the series keys are read by name), so the warning is held back.
        log = logging.getLogger("sdmx.reader.xml.v21")
        level = log.level
        log.setLevel(logging.ERROR)
        try:
            return sdmx.read_sdmx(io.BytesIO(body), format="XML")
        except Exception as exc:  # lxml XMLSyntaxError on a cut answer, ValueError/KeyError on a foreign one
            raise UpdateError(f"{url}: the answer is not a readable SDMX-ML {what} message ({type(exc).__name__}: "
                              f"{str(exc)[:200]}); it is truncated or malformed. Nothing was changed.") from exc
        finally:
            log.setLevel(level)

    def latest(self, client: LiveClient) -> Release:
        url, headers = self._request("dataflow", self.flow, agency_id=self.agency)
        msg = self._read(url, client.content(url, headers=headers) or b"", "structure")
        flows = getattr(msg, "dataflow", {}) or {}
        if self.flow not in flows:
            raise UpdateError(f"{url}: the answer holds no dataflow {self.agency}:{self.flow} (it holds "
                              f"{', '.join(map(str, flows)) or 'none'}). Nothing was changed.")
        df = flows[self.flow]
        try:
            stamp = str(df.get_annotation(id="lastUpdatedAt").value)
        except KeyError:
            stamp = None
        as_of = _date(stamp)
        if as_of is None:
            raise UpdateError(f"{url}: dataflow {self.flow} carries no 'lastUpdatedAt' annotation, which dates "
                              "the IMF's release. Nothing was changed.")
        label = f"IMTS {df.version} {stamp[:19]}"
        files = (ReleaseFile("imts.csv", self.data_url(self.first_year)),)
        return Release(source=self.source, release=label, as_of=as_of, url=url, files=files,
                       title=f"IMF International Trade in Goods by partner (IMTS {df.version}), SDMX 3.0 API, "
                             f"updated {as_of.isoformat()}, annual {self.first_year}-",
                       notes=[f"IMF SDMX 3.0 {self.agency}:{self.flow}({df.version}) lastUpdatedAt {stamp}"])

    def year_rows(self, client: LiveClient, year: int) -> list[dict[str, Any]] | None:
        """One year's observations as CSV rows; None when the service has no records for the year."""
        url, headers = self._data_request()
        full = self.data_url(year)
        body = client.content(url, params={"c[TIME_PERIOD]": f"ge:{year}+le:{year}"}, headers=headers,
                              missing_ok=True)
        if body is None:
            return None
        msg = self._read(full, body, "data")
        flow = getattr(getattr(msg, "dataflow", None), "id", None)
        if flow != self.flow:
            raise UpdateError(f"{full}: the answer is dataflow {flow!r}, not {self.flow}. Nothing was changed.")
        rows = []
        for ds in msg.data:
            for key, series in ds.series.items():
                k = {dim: str(v.value) for dim, v in key.values.items()}
                missing = [c for c in KEY_COLUMNS if c not in k]
                if missing:
                    raise UpdateError(f"{full}: a series lacks {', '.join(missing)} (it has {', '.join(k)}); "
                                      "the IMTS layout changed. Nothing was changed.")
                for obs in series:
                    period = str(obs.dim.values["TIME_PERIOD"].value) if obs.dim is not None and "TIME_PERIOD" in obs.dim.values else ""
                    if period != str(year):
                        raise UpdateError(f"{full}: an observation of {k['COUNTRY']}->{k['COUNTERPART_COUNTRY']} "
                                          f"is for {period!r}, not the {year} asked for. Nothing was changed.")
                    rows.append({"DATAFLOW": f"{self.agency}:{self.flow}", **{c: k[c] for c in KEY_COLUMNS},
                                 "TIME_PERIOD": period, "OBS_VALUE": "" if obs.value is None else str(obs.value),
                                 "SCALE": k.get("SCALE", ""), "UNIT": k.get("UNIT", "USD")})
        return rows

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        rows: list[dict[str, Any]] = []
        reporters: dict[int, int] = {}
        for year in range(self.first_year, self.last_year + 1):
            got = self.year_rows(client, year)
            if got is None:
                if year == self.first_year:
                    raise UpdateError(f"{self.data_url(year)}: no records for {year}, the first year asked for. "
                                      "Nothing was changed.")
                break  # the years after the last one published
            rows.extend(got)
            reporters[year] = len({r["COUNTRY"] for r in got if r["OBS_VALUE"]})
        years = sorted(reporters)
        if len(years) >= 2 and reporters[years[-1]] < self.partial_share * reporters[years[-2]]:
            release.notes.append(f"partial year {years[-1]}: {reporters[years[-1]]} reporters against "
                                 f"{reporters[years[-2]]} in {years[-2]}; treat {years[-1]} as provisional")
        release.notes.append(f"{len(rows):,} observations {years[0]}-{years[-1]}")
        rows.sort(key=lambda r: (r["TIME_PERIOD"], r["COUNTRY"], r["INDICATOR"], r["COUNTERPART_COUNTRY"]))
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "imts.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:  # sorted: the same data gives the same bytes
            w = csv.DictWriter(fh, CSV_COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)
        return {path.name: path}
