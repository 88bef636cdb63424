"""Connector for official China/Russia figures as quoted in news pages: reported, not measured.

``press_figures.csv`` is a hand transcription of figures (trade totals, oil import volumes, market shares)
that public web pages attribute to an official source. They are kept apart from every measured series, in
their own table, for checking a text's numbers only; no panel verb reads them (see
:func:`dyadic.indicators.reported.reported_figures`).

``reported_figures(source, figure_id, indicator, period, year, value, unit, states, publisher,
primary_source, page_url, page_date, wording)``

- ``publisher``: the host of the page that printed the figure (``tass.com``, ``bne.eu``): the party whose
  report we rely on. ``primary_source``: the official body the page names, as the page names it.
- ``states``: the states the indicator is about, from the words in its name (``china_russia_total_trade``
  -> CHN, RUS).
- ``wording``: the figure's wording on the page. The transcription did not keep it, so it is NULL for every
  row of this file; ``value`` and ``unit`` are the transcribed figure.
- ``page_date``: NULL where the page shows no date.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from dyadic.errors import SourceFormatError
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import Registry
from dyadic.sources.unga import read_csv_checked

FIGURES_FILE = "press_figures.csv"
#: words of an indicator name that name a state (the file is about China, Russia and the United States)
STATE_WORDS = {"china": "CHN", "chinese": "CHN", "russia": "RUS", "usa": "USA"}
PERIOD = re.compile(r"^\d{4}(-(\d{2}|H[12]|Q[1-4]))?$")


class PressReportedFigures(Source):
    """Official China/Russia figures as reported by news pages (hand transcription, 22 rows)."""

    name = "press_reported_figures_china_russia"
    title = "China/Russia official figures as reported in news pages (transcribed; for claim checks only)"
    version = "dyadic transcription press_figures.csv (22 rows)"
    citation = ("Figures as reported by the news pages listed in each row (page URL and date); the primary "
                "source is the one each page names.")
    licence = "facts quoted from the cited pages; no licence claimed"
    homepage = "https://github.com/dyadic/dyadic/blob/main/docs/sources/press_reported_figures_china_russia.md"
    files = (RemoteFile(FIGURES_FILE),)
    schema = {
        "reported_figures": "source VARCHAR, figure_id INTEGER, indicator VARCHAR, period VARCHAR, year SMALLINT, "
                            "value DOUBLE, unit VARCHAR, states VARCHAR[], publisher VARCHAR, "
                            "primary_source VARCHAR, page_url VARCHAR, page_date DATE, wording VARCHAR",
    }
    needs_registry = False

    def read(self, paths: dict[str, Path], registry: Registry | None) -> IngestResult:
        path = paths[FIGURES_FILE]
        raw = read_csv_checked(path, self, dtype=str, keep_default_na=False)
        self.require_columns(raw, ["indicator", "period", "value", "unit", "primary_source_as_reported",
                                   "page_url", "page_date"], path)
        if raw.empty:
            raise SourceFormatError(f"{path}: holds no rows.")
        for col in ("indicator", "unit", "primary_source_as_reported"):
            _check(path, raw, col, (raw[col].str.strip() == "").to_numpy(), "is empty")
        _check(path, raw, "period", ~raw["period"].str.match(PERIOD).to_numpy(), "is not a period (YYYY, YYYY-MM, "
               "YYYY-H1, YYYY-Q1)")
        value = pd.to_numeric(raw["value"], errors="coerce")
        _check(path, raw, "value", value.isna().to_numpy(), "is not a number")
        host = raw["page_url"].map(lambda u: (urlparse(u).hostname or "") if u.startswith(("http://", "https://"))
                                   else "")
        _check(path, raw, "page_url", (host == "").to_numpy(), "is not a web address")
        page_date = pd.to_datetime(raw["page_date"].replace("", None), format="%Y-%m-%d", errors="coerce")
        _check(path, raw, "page_date", (page_date.isna() & (raw["page_date"] != "")).to_numpy(),
               "is not a date (YYYY-MM-DD)")
        states = raw["indicator"].map(lambda s: sorted({STATE_WORDS[w] for w in s.split("_") if w in STATE_WORDS}))
        _check(path, raw, "indicator", (states.str.len() == 0).to_numpy(),
               f"names no state ({', '.join(STATE_WORDS)}): name the states in the indicator")
        out = pd.DataFrame({
            "source": self.name, "figure_id": np.arange(1, len(raw) + 1, dtype="int32"),
            "indicator": raw["indicator"], "period": raw["period"], "year": raw["period"].str[:4].astype("int16"),
            "value": value, "unit": raw["unit"], "states": states,
            "publisher": host.str.removeprefix("www."), "primary_source": raw["primary_source_as_reported"],
            "page_url": raw["page_url"], "page_date": page_date, "wording": None,
        })
        notes = [f"{len(out)} figures from {out.publisher.nunique()} news sites; labelled 'as reported by' their "
                 "publisher; never a model input",
                 "the page's wording of each figure was not transcribed: wording is NULL"]
        return IngestResult({"reported_figures": out}, {}, notes)


def _check(path: Path, df: pd.DataFrame, col: str, bad: np.ndarray, what: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SourceFormatError(f"{path}: column '{col}', row {i + 1}: '{df[col].iloc[i]}' {what}. Fix the row "
                                "or restore the file.")
