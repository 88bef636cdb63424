"""GDELT 2.0 event exports, incrementally, from the publisher's own file lists.

GDELT publishes a 15-minute export file and lists every file with its size and MD5 in
``masterfilelist.txt`` (all files since February 2015) and the newest in ``lastupdate.txt``. The updater
asks ``lastupdate.txt`` first (three lines): when its export is the one the store holds, nothing is fetched;
when it is the next one, only it is; otherwise ``masterfilelist.txt`` gives every export newer than the
store's last file (or ``--since``). The new files are checked against the listed size and MD5, then the
source is read again from the files it held plus the new ones, through the same scan as ``dyadic gdelt
ingest`` (:class:`~dyadic.sources.gdelt.GdeltEvents`), in one transaction.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from dyadic.errors import DyadicError
from dyadic.sources.gdelt import (
    LASTUPDATE_V2,
    MASTERFILELIST_V2,
    GdeltEvents,
    IndexEntry,
    parse_index,
)
from dyadic.sources.live import LiveClient, Release, ReleaseFile, UpdateError

if TYPE_CHECKING:
    from dyadic.store import Store

EXPORT = re.compile(r"^(\d{14})\.export\.csv\.zip$", re.IGNORECASE)
SLOT = timedelta(minutes=15)


def _stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M%S")


def _exports(text: str, url: str) -> list[IndexEntry]:
    try:
        entries = parse_index(text, url)
    except DyadicError as exc:
        raise UpdateError(f"{exc}. The list is truncated or malformed. Nothing was changed.") from exc
    return sorted((e for e in entries if EXPORT.match(e.name)), key=lambda e: e.stamp)


class GdeltEventsIncremental:
    """New GDELT 2.0 export files since the store's last one (see the module docs)."""

    source: ClassVar[str] = GdeltEvents.name
    connector: ClassVar[type] = GdeltEvents
    incremental: ClassVar[bool] = True
    lastupdate = LASTUPDATE_V2
    masterfilelist = MASTERFILELIST_V2

    def __init__(self) -> None:
        self.last: str | None = None
        self.since: date | None = None
        #: the files the store's record of the source holds (file key -> path), read again with the new ones.
        self.carried: dict[str, Path] = {}

    def bind(self, store: "Store", held: str | None, since: date | None) -> None:
        """Learn the store's last export file (its recorded release, or the newest file it was read from)."""
        self.since = since
        src = store.sources()
        row = src[src.name == self.source]
        if not len(row):
            return
        files = json.loads(row.files.iloc[0] or "{}")
        missing = [f["path"] for f in files.values() if not Path(f["path"]).is_file()]
        if missing:
            raise UpdateError(f"{self.source}: {len(missing)} file(s) the store was read from are gone (first: "
                              f"{missing[0]}); the source cannot be extended without them. Restore them, or "
                              "start again with 'dyadic update gdelt_events --since DATE --force'.")
        self.carried = {k: Path(f["path"]) for k, f in files.items()}
        stamps = [m.group(1) for p in self.carried.values() if (m := EXPORT.match(p.name))]
        self.last = held if held and re.fullmatch(r"\d{14}", held) else max(stamps, default=None)

    def _start(self) -> str | None:
        """Files with a later stamp than this are new (None: only the newest file)."""
        since = self.since.strftime("%Y%m%d000000") if self.since else None
        if self.last and since:
            return max(self.last, _minus_one(since))
        return self.last or (_minus_one(since) if since else None)

    def latest(self, client: LiveClient) -> Release:
        newest = _exports(client.text(self.lastupdate), self.lastupdate)
        if not newest:
            raise UpdateError(f"{self.lastupdate}: lists no export file (*.export.CSV.zip). Nothing was changed.")
        top = newest[-1]
        start = self._start()
        if start is None or top.stamp <= start:
            picked = [top] if start is None else []
        elif _stamp(top.stamp) - _stamp(start) <= SLOT:
            picked = [top]  # the next 15-minute file: no need for the master list
        else:
            every = _exports(client.text(self.masterfilelist), self.masterfilelist)
            picked = [e for e in every if start < e.stamp <= top.stamp] or [top]
        label = picked[-1].stamp if picked else (self.last or top.stamp)
        notes = self._gaps(picked)
        files = tuple(ReleaseFile(e.name, e.url, f"md5:{e.md5}", e.size) for e in picked)
        first = picked[0].stamp if picked else label
        return Release(source=self.source, release=label, as_of=_stamp(label).date(), url=self.lastupdate,
                       files=files, title=f"GDELT 2.0 event exports to {label} (incremental)",
                       notes=notes + [f"{len(picked)} new export file(s) {first}-{label}"])

    @staticmethod
    def _gaps(picked: list[IndexEntry]) -> list[str]:
        """The 15-minute slots the publisher's list lacks between the new files, and whether the last day is
        complete: a day with fewer files counts fewer events, not a fall in contact."""
        if not picked:
            return []
        notes = []
        lo, hi = _stamp(picked[0].stamp), _stamp(picked[-1].stamp)
        expected = int((hi - lo) / SLOT) + 1
        if expected > len(picked):
            notes.append(f"{expected - len(picked)} of {expected} 15-minute files between {picked[0].stamp} and "
                         f"{picked[-1].stamp} are not in GDELT's list (publisher gaps)")
        day = hi.date()
        n = sum(1 for e in picked if _stamp(e.stamp).date() == day)
        if hi.time() != datetime.strptime("234500", "%H%M%S").time():
            notes.append(f"partial day {day}: files to {hi:%H:%M} only ({n} new that day, 96 in a full day); "
                         f"treat {day} as provisional")
        return notes

    def fetch(self, release: Release, client: LiveClient, dest: Path) -> dict[str, Path]:
        return {f.name: client.download(f.url, dest / f.name, f.checksum, f.size) for f in release.files}


def _minus_one(stamp: str) -> str:
    """The stamp one second earlier (so a file stamped exactly ``--since`` 00:00 is included)."""
    return (_stamp(stamp) - timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")
