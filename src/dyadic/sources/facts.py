"""Connector for the curated facts: figures no ingested dataset covers, each quoted with its citation.

The table ships with dyadic (``dyadic/data/facts.csv``) and is authored in the project: every row is a
figure stated in a citable public text (usually the seed paper, with the endnote that gives the paper's own
source). Facts are *not* measurements: they are never merged into the measured series and every place that
shows them labels them as facts. Canonical table:

``facts(source, fact_id, subject, metric, period, value, number, unit, citation, note)``

``subject`` lists the states the fact is about, in the order the metric reads (``RUS;CHN`` with metric
``partner_share_of_total_trade`` is China's share of Russia's trade). ``value`` is the figure as written;
``number`` is the same figure as a number when it is one (dates are left as text).

A file ``<DYADIC_DATA>/curated_facts/facts.csv`` in the same layout replaces the packaged table, so users
can keep their own facts.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Callable

import pandas as pd

from dyadic.config import Settings
from dyadic.errors import SourceFormatError, UnknownStateError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry

COLUMNS = ["fact_id", "subject", "metric", "period", "value", "unit", "citation", "note"]
PERIOD = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?(/\d{4})?$")


def packaged_facts() -> Path:
    return Path(str(resources.files("dyadic.data").joinpath("facts.csv")))


class CuratedFacts(Source):
    """Figures quoted from citable texts (the seed paper and its sources), kept apart from measured data."""

    name = "curated_facts"
    title = "Curated facts quoted from cited texts (dyadic)"
    version = "dyadic facts.csv"
    citation = "Each fact carries its own citation (column 'citation'); table compiled by the dyadic project."
    licence = "MIT (the table); the quoted figures belong to the cited publications"
    homepage = "https://github.com/dyadic/dyadic/blob/main/src/dyadic/data/facts.csv"
    files = (RemoteFile("facts.csv"),)
    schema = {
        "facts": "source VARCHAR, fact_id VARCHAR, subject VARCHAR, metric VARCHAR, period VARCHAR, "
                 "value VARCHAR, number DOUBLE, unit VARCHAR, citation VARCHAR, note VARCHAR",
    }

    def locate(self, settings: Settings, download: bool = True,
               fetch: Callable[[str, Path, str | None], None] | None = None) -> dict[str, Path]:
        own = settings.data_dir / self.name / "facts.csv" if settings.data_dir else None
        return {"facts.csv": own if own is not None and own.is_file() else packaged_facts()}

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths["facts.csv"]
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SourceFormatError(f"{path}: cannot be parsed as CSV ({exc}). Fix the file.") from exc
        self.require_columns(raw, COLUMNS, path)

        def fail(i: int, col: str, why: str) -> None:
            # data row i is line i + 2 of the file (after the header)
            raise SourceFormatError(f"{path}: line {i + 2}, column '{col}': {why}. Fix the row.")

        for col in ("fact_id", "subject", "metric", "period", "value", "unit", "citation"):
            empty = raw[col].str.strip() == ""
            if empty.any():
                fail(int(empty.to_numpy().nonzero()[0][0]), col, "is empty (every fact needs it)")
        dup = raw.fact_id.duplicated()
        if dup.any():
            i = int(dup.to_numpy().nonzero()[0][0])
            fail(i, "fact_id", f"'{raw.fact_id.iloc[i]}' is used twice")
        for i, p in enumerate(raw.period):
            if not PERIOD.match(p.strip()):
                fail(i, "period", f"'{p}' is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY/YYYY")
        subjects = []
        for i, s in enumerate(raw.subject):
            try:
                subjects.append(";".join(registry.resolve(t) for t in s.split(";")))
            except UnknownStateError as exc:
                fail(i, "subject", str(exc))
        number = pd.to_numeric(raw.value.str.replace(",", "", regex=False), errors="coerce")
        numeric_units = ~raw.unit.isin(["date", "month", "year"])
        bad = number.isna() & numeric_units
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            fail(i, "value", f"'{raw.value.iloc[i]}' is not a number (unit '{raw.unit.iloc[i]}')")
        out = pd.DataFrame({
            "source": self.name, "fact_id": raw.fact_id.str.strip(), "subject": subjects, "metric": raw.metric,
            "period": raw.period.str.strip(), "value": raw.value, "number": number.where(numeric_units),
            "unit": raw.unit, "citation": raw.citation, "note": raw.note.replace("", None),
        })
        return IngestResult({"facts": out}, {}, [f"{len(out)} curated facts from {path.name}"])
