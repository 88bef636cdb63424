"""The brief's first section: the five answers in a sentence or two each, their confidence and the year
their evidence stands on, and the caveats that matter most (which sources end when)."""

from __future__ import annotations

import html
from dataclasses import dataclass

#: the confidence words of the bottom line; "cannot tell" when the data give no answer.
CONFIDENCE = ("high", "medium", "low", "cannot tell")


@dataclass
class Answer:
    """One question's answer: the text states its year itself; ``year`` is the year its evidence stands on."""

    number: int
    title: str
    text: str  # HTML-escaped
    confidence: str
    year: int | None

    def html(self) -> str:
        when = f"evidence as of {self.year}" if self.year else "no year of evidence"
        return (f"<strong>{self.number}. {html.escape(self.title)}.</strong> {self.text} "
                f"<span class='conf'>(confidence: {self.confidence}; {when})</span>")


def missing_answer(number: int, title: str, why: str) -> Answer:
    return Answer(number, title, html.escape(why), "cannot tell", None)


def caveats(spans: dict[str, tuple[int | None, int | None]], titles: dict[str, str], used: list[str],
            this_year: int, n: int = 3) -> list[str]:
    """The ``n`` sources that end earliest among those the brief used: what stands on old data.

    Args:
        spans: source -> (first year, last year) held in the store.
        titles: source -> title.
        used: sources the brief reads, in the brief's order.
        this_year: the year the brief is written.
    """
    ends = sorted(((hi, name) for name, (lo, hi) in spans.items() if name in used and hi is not None
                   and hi < this_year - 1), key=lambda x: x[0])
    out = [f"{titles.get(name, name)} ends in {hi}: findings that use it (and scores built on it) stand on {hi} "
           "or earlier." for hi, name in ends[:n]]
    return [html.escape(x) for x in out]
