"""Alignment on global order from UN voting: how close a pair is, against a third party, and the trend.

Rules (each finding states the numbers it rests on):

- *aligned against the third party* when, averaged over the last ``window`` years with data, the pair's
  agreement exceeds each partner's agreement with the third party by at least ``margin``;
- *converging* / *diverging* when the pair's mean agreement over the last ``window`` years is at least
  ``margin_trend`` above / below its mean over the ``window`` years before; otherwise *stable*;
- the pair's *rank* is the percentile of its agreement among all dyads of the latest year: UNGA agreement
  is high for most pairs (most states vote yes on most resolutions), so the level alone says little.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadic.framework import shared
from dyadic.indicators.unga import RANKED_KEY, UNDL, VOETEN, VoteSelection, ranked_dyad_years


@shared("alignment", RANKED_KEY)
def prepare(store) -> None:
    """Every dyad-year's UN agreement on the default votes (Voeten, then the UN Digital Library), ranked
    within its year: where a pair's alignment stands among all dyads."""
    if store.has_source(VOETEN) or store.has_source(UNDL):
        ranked_dyad_years(store, VoteSelection())


@dataclass(frozen=True)
class AlignmentRules:
    window: int = 5
    margin: float = 0.20
    margin_trend: float = 0.05


@dataclass
class AlignmentFinding:
    latest_year: int
    pair_latest: float
    pair_n_latest: int
    pair_pct_latest: float
    pair_recent: float
    pair_before: float | None
    direction: str  # converging | diverging | stable | unknown
    third_recent: dict[str, float]
    against_third: bool | None
    gap: float | None
    years_recent: tuple[int, int]
    years_before: tuple[int, int] | None


def mean_over(df: pd.DataFrame, years: list[int]) -> float:
    sub = df[df.year.isin(years)]
    return float(sub.agree.mean()) if len(sub) else float("nan")


def global_order_alignment(pair: pd.DataFrame, with_third: dict[str, pd.DataFrame] | None = None,
                           rules: AlignmentRules = AlignmentRules()) -> AlignmentFinding | None:
    """Apply the rules to a pair's yearly UNGA series (from :func:`dyadic.indicators.unga.pair_series`).

    Args:
        pair: the pair's yearly rows (``year, agree, n, agree_pct``).
        with_third: partner code -> that partner's yearly rows with the third party.
        rules: thresholds.

    Returns:
        The finding, or ``None`` when the pair has no shared votes.
    """
    if pair.empty:
        return None
    years = sorted(pair.year.unique())
    recent = years[-rules.window:]
    before = years[-2 * rules.window:-rules.window]
    last = pair[pair.year == years[-1]].iloc[0]
    p_recent = mean_over(pair, recent)
    p_before = mean_over(pair, before) if before else None
    if p_before is None or np.isnan(p_before):
        direction = "unknown"
    elif p_recent - p_before >= rules.margin_trend:
        direction = "converging"
    elif p_before - p_recent >= rules.margin_trend:
        direction = "diverging"
    else:
        direction = "stable"
    third = {k: mean_over(v, recent) for k, v in (with_third or {}).items()}
    if third and all(not np.isnan(v) for v in third.values()):
        gap = p_recent - max(third.values())
        against = bool(gap >= rules.margin)
    else:
        gap, against = None, None
    return AlignmentFinding(
        latest_year=int(last.year), pair_latest=float(last.agree), pair_n_latest=int(last.n),
        pair_pct_latest=float(last.get("agree_pct", np.nan)), pair_recent=p_recent, pair_before=p_before,
        direction=direction, third_recent=third, against_third=against, gap=gap,
        years_recent=(recent[0], recent[-1]), years_before=(before[0], before[-1]) if before else None,
    )
