"""Paper profiles: which paper's statements a brief grades, and for which pair.

A paper's statements are about the pair it studies; grading India–Pakistan against a paper on China and
Russia says nothing about either. So a brief evaluates the statements of a *profile* only when the pair is the
profile's pair. The built-in profile is Lo (2025) on China–Russia (``data/paper_claims.csv``, with the shock
dates its claims name). Any other paper comes in as a file (``dyadic brief A B --paper FILE``): its statements
are extracted and checked by the claim checker (``dyadic.framework.claims``) for the brief's pair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dyadic.sources.registry import packaged_csv


@dataclass(frozen=True)
class PaperProfile:
    """A paper whose statements the brief grades.

    Attributes:
        key: short identifier.
        citation: how the brief names the paper.
        pair: the two states the paper is about (either order).
        thirds: third parties the paper's triangle claims concern (None = none given is allowed too).
        shocks: date -> (claim measure, label) of the events the paper's shock claims name.
    """

    key: str
    citation: str
    pair: frozenset[str]
    thirds: tuple[str | None, ...]
    shocks: dict[str, tuple[str, str]] = field(default_factory=dict)

    def claims(self) -> pd.DataFrame:
        """The paper's statements with the measure that judges each (``paper_claims.csv`` for the built-in)."""
        return packaged_csv("paper_claims.csv")

    def quotes(self) -> set[str]:
        return set(self.claims().quote)


LO_2025 = PaperProfile(
    key="lo2025",
    citation="Bobo Lo (2025), Convergence and divergence: China-Russia relations in the age of Trump, NEST Centre, "
             "July 2025",
    pair=frozenset({"CHN", "RUS"}),
    thirds=("USA", None),
    shocks={"2022-02-24": ("shock_2022", "Russia invades Ukraine"),
            "2025-01-20": ("shock_2025", "Trump's second inauguration")},
)

PROFILES = (LO_2025,)


def profile_for(a: str, b: str, c: str | None) -> PaperProfile | None:
    """The built-in profile for a pair and third party, or None (the brief then grades no paper)."""
    for p in PROFILES:
        if frozenset({a, b}) == p.pair and c in p.thirds:
            return p
    return None


@dataclass
class PaperFile:
    """A user's paper (``--paper FILE``): its checkable statements and the checker's verdicts on them."""

    path: Path
    title: str
    rows: list[dict]  # id, verdict, statement, period, states, measure, reason
    counts: dict[str, int]


def check_paper(store, path: Path, a: str, b: str) -> PaperFile:
    """Extract the statements of a text and check those the claim checker can tie to a measure.

    Only statements judged against data are listed (``not checkable`` ones are counted, not shown): the
    qualitative claims of an arbitrary paper are not mapped to the framework's questions yet.
    """
    from dyadic.framework.claims.check import check_file

    report = check_file(path, store, pair=(a, b))
    rows = [{"id": v.claim.id, "verdict": v.verdict, "statement": v.claim.text, "period": v.claim.period or "",
             "states": "-".join(v.claim.states), "measure": v.claim.measure or "", "reason": v.reason}
            for v in report.verdicts if v.verdict != "not checkable"]
    return PaperFile(path=path, title=report.title or path.name, rows=rows, counts=report.counts())
