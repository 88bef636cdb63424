"""SIPRI's databases from SIPRI's own download locations.

Military expenditure: the current workbook from SIPRI's database page.

SIPRI has no data API: its database page (https://www.sipri.org/databases/milex) links the workbook,
``/sites/default/files/SIPRI-Milex-data-1949-<last year>[_n].xlsx``, renamed with each annual release (and a
``_n`` suffix for a corrected re-issue). The updater reads the page, takes the workbook with the latest
data year (then the highest re-issue), and saves it under the name the connector reads. SIPRI states no
checksum or size: the download is checked against its ``Content-Length`` and then by the connector, which
names the sheet or cell it cannot read; the store's SHA-256 decides whether it changed.

Arms transfers: the trade register from the backend of SIPRI's Arms Transfers Database site
(``POST https://atbackend.sipri.org/api/p/trades/trade-register-csv/`` with the site's JSON filter; the
answer is ``{"bytes": "<base64 CSV>"}``). Its CSV is the site's download without the ``;`` SIPRI's own
export puts at each line's end, which the connector uses to spot a cut-off file: the updater checks the
rows itself (every row has the header's 17 fields) and writes the export layout the connector reads. The
2022 TIV tables are not republished: they are carried over from the store's previous ingest.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import json
import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urljoin

from dyadic.sources.arms import TABLES_DIR, SipriArmsTransfers
from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError
from dyadic.sources.power import SipriMilex

if TYPE_CHECKING:
    from dyadic.store import Store

WORKBOOK = re.compile(r"""href=["']([^"']*?/(SIPRI-Milex-data-(\d{4})-(\d{4})(?:_(\d+))?\.xlsx))["']""", re.I)


class SipriMilexWorkbook:
    """The newest SIPRI military-expenditure workbook linked from SIPRI's database page."""

    source: ClassVar[str] = SipriMilex.name
    page = "https://www.sipri.org/databases/milex"

    def latest(self, client: LiveClient) -> Release:
        html = client.text(self.page)
        hits = [(int(m.group(4)), int(m.group(5) or 0), urljoin(self.page, m.group(1)), m.group(2))
                for m in WORKBOOK.finditer(html)]
        if not hits:
            raise UpdateError(f"{self.page}: the page links no workbook named SIPRI-Milex-data-1949-<year>.xlsx; "
                              "SIPRI changed its page or the answer is cut off. Nothing was changed.")
        last, _, url, published = max(hits)
        target = SipriMilex.files[0].name
        return Release(source=self.source, release=published.removesuffix(".xlsx"), as_of=None, url=self.page,
                       files=(ReleaseFile(target, url, None, None, published if published != target else None),),
                       title=f"SIPRI Military Expenditure Database, data 1949-{last} ({published})",
                       notes=[f"SIPRI workbook {published} (data to {last}) from {url}"])

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        f = release.files[0]
        seen: dict[str, str] = {}
        client.on_headers = seen.update  # the Last-Modified date dates the release: SIPRI states no other
        try:
            path = client.download(f.url, dest / f.name)
        finally:
            client.on_headers = None
        modified = _http_date(seen.get("last-modified"))
        if modified is not None:
            release.as_of = modified
        if path.read_bytes()[:2] != b"PK":  # an xlsx is a zip; an HTML error page served as 200 is not
            raise UpdateError(f"{f.url}: the download is not an Excel workbook (it starts "
                              f"{path.read_bytes()[:40]!r}). Nothing was changed.")
        return {f.name: path}


def _http_date(value: str | None) -> date | None:
    try:
        when = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return when.date() if isinstance(when, datetime) else None


class SipriTradeRegister:
    """The SIPRI arms-transfers trade register, deliveries ``first_year`` to this year, from SIPRI's backend.

    SIPRI states no version: each answer carries its "Data generated" time. The release label is that
    date with a digest of the rows, so an answer with the same rows is the release the store holds.
    """

    source: ClassVar[str] = SipriArmsTransfers.name
    url = "https://atbackend.sipri.org/api/p/trades/trade-register-csv/"
    header = "SIPRI AT Database ID,"

    def __init__(self, first_year: int = 1950, last_year: int | None = None):
        self.first_year, self.last_year = first_year, last_year or date.today().year
        self._text: str | None = None
        self.carried: dict[str, Path] = {}
        self._missing: str | None = None

    def query(self) -> dict:
        """The filter SIPRI's site sends for "all deals with deliveries in these years", as a JSON body."""
        f = [{"field": "Delivery year", "condition": "contains", "value1": self.first_year,
              "value2": self.last_year, "listData": []},
             {"field": "Order year", "condition": "contains", "value1": 0, "value2": self.last_year, "listData": []},
             {"field": "opendeals", "condition": "", "value1": "", "value2": "", "listData": []},
             {"field": "exportOption", "condition": "", "value1": "", "value2": "", "listData": []}]
        return {"filters": f, "logic": "AND"}

    def bind(self, store: "Store", held: str | None, since: date | None) -> None:
        """Carry the 2022 TIV tables over from the store's last ingest of the source (SIPRI no longer serves them)."""
        src = store.sources()
        row = src[src.name == self.source]
        files = json.loads(row.files.iloc[0] or "{}") if len(row) else {}
        tables = {k: Path(f["path"]) for k, f in files.items() if k.startswith(TABLES_DIR + "/")}
        gone = [p for p in tables.values() if not p.is_file()]
        if not tables or gone:  # raised when fetching: a --check needs no tables
            self._missing = (f"{self.source}: the 2022 TIV tables are needed beside the new register and the store "
                             f"{'has none recorded' if not tables else f'records {gone[0]}, which is gone'}: run "
                             f"'dyadic ingest {self.source}' first (it reads them from the pinned snapshot).")
        self.carried = tables

    def latest(self, client: LiveClient) -> Release:
        body = client.json(self.url, post=self.query())
        try:
            text = base64.b64decode(body["bytes"], validate=True).decode("utf-8")
        except (KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise UpdateError(f"{self.url}: the answer is not {{\"bytes\": <base64 CSV>}} ({type(exc).__name__}: "
                              f"{exc}). Nothing was changed.") from exc
        lines = text.splitlines()
        head = next((i for i, ln in enumerate(lines[:40]) if ln.startswith(self.header)), None)
        if head is None:
            raise UpdateError(f"{self.url}: the CSV has no header line '{self.header}...'; SIPRI changed the "
                              "export. Nothing was changed.")
        width = len(next(csv.reader([lines[head]])))
        rows = [ln for ln in lines[head + 1:] if ln.strip()]
        for i, r in enumerate(csv.reader(rows)):
            if len(r) != width:  # a cut-off answer ends in a short row
                raise UpdateError(f"{self.url}: data row {i + 1} has {len(r)} fields, the header {width}; the "
                                  "answer is truncated or malformed. Nothing was changed.")
        if not rows:
            raise UpdateError(f"{self.url}: the register holds no rows for {self.first_year}-{self.last_year}.")
        stamp = next((ln.split(":", 1)[1].strip() for ln in lines[:head] if ln.startswith("Data generated:")), "")
        try:
            as_of = datetime.strptime(stamp, "%d %b %Y %I:%M:%S %p").date()
        except ValueError:
            as_of = None
        digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()[:12]
        # The written file leaves out the "Data generated" line: the same rows give the same bytes.
        self._text = "".join(ln + ";\r\n" for ln in lines[:head] if not ln.startswith("Data generated:")) + \
            "".join(ln + ";\r\n" for ln in [lines[head], *rows])
        years = sorted({int(r[10]) for r in csv.reader(rows) if r[10].isdigit()})
        notes = [f"SIPRI trade register generated {stamp or 'at an unstated time'}: {len(rows):,} deal-year rows, "
                 f"deliveries {years[0]}-{years[-1]}" if years else "no delivery years"]
        if years and years[-1] == date.today().year:
            notes.append(f"partial year {years[-1]}: deliveries of the current year are incomplete until SIPRI's "
                         "annual update; treat it as provisional")
        return Release(source=self.source, release=f"register {as_of or 'undated'} {digest}", as_of=as_of,
                       url=self.url, files=(ReleaseFile("trade_register.csv", self.url),), notes=notes,
                       title=f"SIPRI Arms Transfers Database: trade register generated {stamp} (deliveries "
                             f"{self.first_year}-{self.last_year} asked) and TIV export tables 1950-2021")

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        if self._missing:
            raise UpdateError(self._missing)
        if self._text is None:  # latest() holds the answer: SIPRI has no separate metadata request
            self.latest(client)
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / "trade_register.csv"
        path.write_text(self._text, encoding="utf-8", newline="")
        return {path.name: path}
