"""Question 3 of the brief: event studies at 24 February 2022 and 20 January 2025, and change points."""

from __future__ import annotations

import html

import pandas as pd

from dyadic.framework.shocks import breaks, event_study
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

DATES = {"2022-02-24": "shock_2022", "2025-01-20": "shock_2025"}
INDICATORS = ["unga_agree", "events_month"]


def _fmt(df: pd.DataFrame) -> str:
    show = df[["pair", "indicator", "at", "n_before", "n_after", "before_mean", "after_mean", "effect", "lo", "hi",
               "verdict"]].copy()
    for c in ("before_mean", "after_mean", "effect", "lo", "hi"):
        show[c] = show[c].map(lambda v: f"{v:.3f}")
    return show.to_html(index=False, classes="evidence", border=0)


def verdict(rows: pd.DataFrame) -> tuple[str, str]:
    """Rule: agrees when the pair moved closer on at least one measured indicator and apart on none;
    disagrees when apart on at least one and closer on none; cannot tell otherwise. An indicator with a
    single after-period (e.g. one, partial, year of votes) does not count."""
    short = rows[rows.n_after < 2] if len(rows) else rows
    rows = rows[rows.n_after >= 2] if len(rows) else rows
    if rows.empty and len(short):
        return "cannot tell", "only one period after the date (" + "; ".join(
            f"{r.indicator}: {r.verdict} ({r.effect:+.3f}) on {r.n_after} period" for r in short.itertuples()) + ")"
    if rows.empty:
        return "cannot tell", "no indicator of the pair has data on both sides of the date"
    closer, apart = (rows.verdict == "closer").sum(), (rows.verdict == "apart").sum()
    detail = "; ".join(f"{r.indicator}: {r.verdict} ({r.effect:+.3f})" for r in rows.itertuples())
    if closer and not apart:
        return "agrees", f"closer on {closer} of {len(rows)} indicators, apart on none ({detail})"
    if apart and not closer:
        return "disagrees", f"apart on {apart} of {len(rows)} indicators, closer on none ({detail})"
    return "cannot tell", f"mixed or inconclusive ({detail})"


def shocks_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str]):
    """Findings, tables, paper verdicts and 'not measured' notes for question 3."""
    pairs = [(a, b)] + ([(a, c), (b, c)] if c else [])
    findings, tables, paper, missing = [], [], [], []
    claims = packaged_csv("paper_claims.csv")
    for at, measure in DATES.items():
        res = []
        for x, y in pairs:
            df, miss = event_study(store, x, y, at, INDICATORS, seed=0)
            res.append(df)
            missing += miss
        df = pd.concat(res, ignore_index=True)
        if len(df):
            tables.append(((f"Event study at {at}: the pair's change in level minus its partners' other dyads' mean "
                            "change (3 years / 12 months each side), 90% placebo-date interval; a verdict needs the "
                            "same sign at 1-3 years / 12-36 months; UN votes yearly (UN Digital Library), GDELT "
                            "monthly"),
                           _fmt(df)))
            main = df[df.pair == f"{a}–{b}"]
            for r in main.itertuples():
                findings.append(f"After {at}, {html.escape(names[a])}–{html.escape(names[b])} {r.label}: "
                                f"<strong>{r.verdict}</strong> (effect {r.effect:+.3f}, 90% interval "
                                f"{r.lo:+.3f} to {r.hi:+.3f}; {html.escape(r.reason)}; evidence: {html.escape(r.evidence)}).")
        v, why = verdict(df[df.pair == f"{a}–{b}"] if len(df) else df)
        for row in claims[claims.measure == measure].itertuples():
            paper.append({"quote": row.quote, "section": row.section, "verdict": v, "reason": why})
    br, miss = breaks(store, a, b, ["unga_agree", "events_month"])
    missing += miss
    if len(br):
        tables.append(("Change points (PELT, L2 cost, penalty 2·σ²·(1+ρ)/(1−ρ)·log n) of the pair's series, "
                       "with the nearest curated date within reach",
                       br.drop(columns=["z"]).round(3).to_html(index=False, classes="evidence", border=0)))
        recent = br[br.event != ""]
        if len(recent):
            findings.append("Breaks near curated dates: " + "; ".join(
                f"{r.indicator} {r.date} ({r.size:+.3f}) near {html.escape(r.event)} ({r.event_date})"
                for r in recent.itertuples()) + ".")
    return findings, tables, paper, [f"Not measured: {m}" for m in missing]
