"""The publishers' own services, one :class:`~dyadic.sources.live.Updater` per source that has one.

- ``unga_ideal_points_voeten``: Harvard Dataverse native API (dataset doi:10.7910/DVN/LEJUQZ, E. Voeten's
  "United Nations General Assembly Voting Data", the same dataset as hdl:1902.1/12379).
- ``wb_gdp``: World Bank Indicators API v2 (NY.GDP.MKTP.CD, JSON).
- ``imf_imts_export``: IMF IMTS through the SDMX 3.0 API with ``sdmx1`` (:mod:`~dyadic.sources.updaters_imf`).
- ``sipri_milex``: SIPRI's military-expenditure workbook from its database page
  (:mod:`~dyadic.sources.updaters_sipri`).
- ``sipri_arms_transfers``: the trade register from SIPRI's Arms Transfers Database backend
  (:mod:`~dyadic.sources.updaters_sipri`).
- ``democracy_vdem_polity_uds``: V-Dem (with Polity5, UDS) as isard's newest ``cw_democracy``, via the GitHub
  REST API (:mod:`~dyadic.sources.updaters_vdem`).
- ``gdelt_events``: GDELT 2.0 exports newer than the store's, from lastupdate.txt / masterfilelist.txt
  (:mod:`~dyadic.sources.updaters_gdelt`).
- ``un_comtrade_export``: UN Comtrade annual goods trade through ``comtradeapicall``, with the user's key
  (:mod:`~dyadic.sources.updaters_comtrade`).
- ``undl_export``: UN Digital Library voting records from a file the user exported, ``--file PATH`` (no
  network: :mod:`~dyadic.sources.undl_export`).

``UPDATERS`` is the catalog of them by source name. See docs/update.md.
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from dyadic.catalog import Catalog
from dyadic.sources.ideal_points_published import PublishedIdealPoints
from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError
from dyadic.sources.live import iso_date as _date
from dyadic.sources.power import WorldBankGdp


class DataverseIdealPoints:
    """Bailey-Strezhnev-Voeten ideal points from the newest published version of the Dataverse dataset.

    Dataverse ingests the uploaded Stata file into a tab-separated archival copy; the connector reads the
    Stata file, so the original is requested (``format=original``) and checked against the MD5 Dataverse
    computed on upload, which is the original's (IQSS/dataverse#9501 is about that checksum not matching the
    archival copy).
    """

    source: ClassVar[str] = PublishedIdealPoints.name
    server = "https://dataverse.harvard.edu"
    pid = "doi:10.7910/DVN/LEJUQZ"
    #: the ideal-point estimates file; the dataset also holds agreement scores and raw votes.
    pattern = re.compile(r"^idealpoints?[^/]*\.(dta|tab)$", re.IGNORECASE)

    @property
    def url(self) -> str:
        return f"{self.server}/api/datasets/:persistentId/?persistentId={self.pid}"

    def latest(self, client: LiveClient) -> Release:
        body = client.json(f"{self.server}/api/datasets/:persistentId/", {"persistentId": self.pid})
        try:
            if body.get("status") != "OK":
                raise UpdateError(f"{self.url}: Dataverse answered status {body.get('status')!r}: "
                                  f"{body.get('message', '')}")
            version = body["data"]["latestVersion"]
            label = f"{int(version['versionNumber'])}.{int(version['versionMinorNumber'])}"
            files = [f["dataFile"] for f in version["files"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise UpdateError(f"{self.url}: the answer lacks {exc} where the Dataverse native API puts "
                              "data.latestVersion.{versionNumber, versionMinorNumber, files}. Nothing was "
                              "changed.") from exc
        if version.get("versionState") not in (None, "RELEASED"):
            raise UpdateError(f"{self.url}: the latest version {label} is {version['versionState']}, not "
                              "released; dyadic reads published versions only.")
        hits = [f for f in files if self.pattern.match(str(f.get("originalFileName") or f.get("filename", "")))]
        if not hits:
            names = ", ".join(str(f.get("filename")) for f in files)
            raise UpdateError(f"{self.url}: version {label} has no ideal-points file (Idealpoints*.dta); it holds "
                              f"{names}. The dataset's layout changed: report it.")
        # Several estimate files (a new release beside an old one): the latest upload is the current one.
        f = max(hits, key=lambda d: (str(d.get("creationDate", "")), int(d.get("id", 0))))
        tabular = bool(f.get("originalFileFormat"))
        digest = f.get("checksum") or {}
        md5 = (f"{digest['type'].lower().replace('-', '')}:{digest['value']}" if digest.get("type")
               else f"md5:{f['md5']}" if f.get("md5") else None)
        published = str(f.get("originalFileName") or f.get("filename"))
        target = PublishedIdealPoints.files[0].name
        url = f"{self.server}/api/access/datafile/{int(f['id'])}" + ("?format=original" if tabular else "")
        as_of = _date(version.get("releaseTime")) or _date(version.get("lastUpdateTime"))
        notes = [f"Dataverse {self.pid} version {label} (released {as_of}), file {published} (id {f['id']})"]
        return Release(
            source=self.source, release=label, as_of=as_of, url=self.url,
            files=(ReleaseFile(target, url, md5, f.get("originalFileSize") if tabular else f.get("filesize"),
                               published if published != target else None),),
            title=f"UNGA ideal points (Bailey, Strezhnev & Voeten), Dataverse version {label} ({published})",
            notes=notes)

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        return {f.name: client.download(f.url, dest / f.name, f.checksum, f.size) for f in release.files}


class WorldBankGdpApi:
    """World Bank GDP, current US$, from the Indicators API v2, written as the datahub ``gdp.csv`` layout
    (``Country Name, Country Code, Year, Value``) that :class:`~dyadic.sources.power.WorldBankGdp` reads.

    The API states no file checksum; a release is identified by its ``lastupdated`` date and the store's
    sha256 of the written CSV (rows sorted, so the same data gives the same bytes) decides whether it changed.
    """

    source: ClassVar[str] = WorldBankGdp.name
    indicator = "NY.GDP.MKTP.CD"
    base = "https://api.worldbank.org/v2/country/all/indicator"
    first_year = 1960
    per_page = 20000
    #: a latest year with values for fewer than this share of the previous year's series is flagged partial.
    partial_share = 0.5

    def __init__(self, last_year: int | None = None):
        self.last_year = last_year or date.today().year

    @property
    def endpoint(self) -> str:
        return f"{self.base}/{self.indicator}"

    def params(self, page: int = 1, per_page: int | None = None) -> dict[str, Any]:
        return {"format": "json", "per_page": per_page or self.per_page, "date": f"{self.first_year}:{self.last_year}",
                "page": page}

    def url(self, page: int = 1, per_page: int | None = None) -> str:
        return self.endpoint + "?" + "&".join(f"{k}={v}" for k, v in self.params(page, per_page).items())

    def _page(self, client: LiveClient, page: int, per_page: int | None = None) -> tuple[dict, list[dict]]:
        url = self.url(page, per_page)
        body = client.json(self.endpoint, self.params(page, per_page))
        # An unknown indicator or bad query comes back as [{"message": [{"id": ..., "value": ...}]}].
        if isinstance(body, list) and body and isinstance(body[0], dict) and "message" in body[0]:
            raise UpdateError(f"{url}: the World Bank API answered with an error: {body[0]['message']}")
        if not (isinstance(body, list) and len(body) == 2 and isinstance(body[0], dict)
                and isinstance(body[1], (list, type(None)))):
            raise UpdateError(f"{url}: the answer is not the API v2 layout [{{page, pages, total, lastupdated}}, "
                              "[rows]]. Nothing was changed.")
        return body[0], body[1] or []

    def latest(self, client: LiveClient) -> Release:
        head, _ = self._page(client, 1, per_page=1)  # the header alone: one row, not the whole indicator
        as_of = _date(head.get("lastupdated"))
        if as_of is None:
            raise UpdateError(f"{self.url(1, 1)}: no 'lastupdated' date in the answer's header. Nothing was "
                              "changed.")
        return Release(source=self.source, release=f"WDI {as_of.isoformat()}", as_of=as_of, url=self.url(),
                       files=(ReleaseFile(WorldBankGdp.files[0].name, self.url()),),
                       title=f"World Bank GDP, current US$ ({self.indicator}), WDI updated {as_of.isoformat()}")

    def rows(self, client: LiveClient) -> tuple[dict, list[dict]]:
        """Every row of the indicator, all pages, checked against the header's total."""
        head, rows = self._page(client, 1)
        pages = int(head.get("pages") or 1)
        for page in range(2, pages + 1):
            rows.extend(self._page(client, page)[1])
        if int(head.get("total", len(rows))) != len(rows):
            raise UpdateError(f"{self.url()}: {len(rows):,} rows arrived, the header states {head.get('total')}; "
                              "the answer is truncated. Nothing was changed.")
        return head, rows

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        head, rows = self.rows(client)
        out: list[tuple[str, str, int, str]] = []
        for i, r in enumerate(rows):
            try:
                if r["indicator"]["id"] != self.indicator:
                    raise UpdateError(f"{self.url()}: row {i + 1} is indicator {r['indicator']['id']}, not "
                                      f"{self.indicator}. Nothing was changed.")
                value = r["value"]
                if value is not None and not isinstance(value, (int, float)):
                    raise ValueError(f"value {value!r}")
                out.append((r["country"]["value"], r["countryiso3code"] or r["country"]["id"], int(r["date"]),
                            "" if value is None else repr(float(value))))
            except (KeyError, TypeError, ValueError) as exc:
                raise UpdateError(f"{self.url()}: row {i + 1} does not fit the API v2 layout ({exc}). Nothing "
                                  "was changed.") from exc
        out.sort(key=lambda t: (t[1], t[2]))
        notes = list(partial_year_notes(out, self.partial_share))
        notes.append(f"World Bank API v2 {self.indicator}, lastupdated {head.get('lastupdated')}, "
                     f"{len(out):,} rows")
        release.notes.extend(notes)  # known only once the rows are in: they travel with the release
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / WorldBankGdp.files[0].name
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["Country Name", "Country Code", "Year", "Value"])
            w.writerows(out)
        return {path.name: path}


def partial_year_notes(rows: list[tuple[str, str, int, str]], share: float) -> list[str]:
    """A note when the latest year has values for fewer than ``share`` of the series the year before had:
    the publisher has not filled it in yet, so it is not comparable with complete years."""
    have: dict[int, int] = {}
    for _, _, year, value in rows:
        if value != "":
            have[year] = have.get(year, 0) + 1
    listed = sorted({year for _, _, year, _ in rows})
    if len(listed) < 2:
        return []
    last, before = listed[-1], listed[-2]
    if have.get(last, 0) < share * have.get(before, 0):
        return [(f"partial year {last}: values for {have.get(last, 0)} of the {have.get(before, 0)} series that "
                 f"have {before}; treat {last} as provisional")]
    return []


# The other publishers' updaters live in their own modules; they import the helpers above.
from dyadic.sources.undl_export import UndlExportFile  # noqa: E402
from dyadic.sources.updaters_comtrade import ComtradeApi  # noqa: E402
from dyadic.sources.updaters_gdelt import GdeltEventsIncremental  # noqa: E402
from dyadic.sources.updaters_imf import ImfImtsApi  # noqa: E402
from dyadic.sources.updaters_sipri import SipriMilexWorkbook, SipriTradeRegister  # noqa: E402
from dyadic.sources.updaters_vdem import IsardDemocracy  # noqa: E402

#: source name -> its updater class: each needs the publisher's service (or a user's file) and provides a
#: new release of that one source's tables
UPDATERS: Catalog[type] = Catalog("live updater")
for _u in (DataverseIdealPoints, WorldBankGdpApi, ImfImtsApi, SipriMilexWorkbook, SipriTradeRegister,
           IsardDemocracy, GdeltEventsIncremental, ComtradeApi, UndlExportFile):
    UPDATERS.add(_u.source, _u, needs=(_u.source,) if getattr(_u, "incremental", False) else (),
                 provides=(_u.source,))
