"""Question 2 of the brief, commitments part: alliance obligations in force (or their absence) from ATOP, and
the curated facts on the pair, shown apart from measured data and cited row by row.

Rule for the verdict on "not an alliance": the pair is a formal alliance in a year when ATOP codes a defence or
offence pledge between them (either direction). ATOP ends in 2018; later years are reported as not measured.
"""

from __future__ import annotations

import html

import altair as alt
import pandas as pd

from dyadic.indicators.commitments import (
    ALLIANCES,
    PLEDGES,
    alliance_years,
    pledges_in_force,
)
from dyadic.report.charts import WIDTH
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

FACTS = "curated_facts"
LABELS = {"defense": "defence", "offense": "offence", "neutral": "neutrality", "nonagg": "non-aggression",
          "consult": "consultation"}


def pledge_chart(df: pd.DataFrame, title: str) -> alt.Chart:
    """Years x pledge types, filled where a pledge is in force."""
    long = df.melt(id_vars=["year", "dyad"], value_vars=list(LABELS), var_name="pledge", value_name="in_force")
    long["pledge"] = long.pledge.map(LABELS)
    long = long[long.in_force == 1]
    return alt.Chart(long).mark_rect().encode(
        x=alt.X("year:O", title=None, axis=alt.Axis(labelAngle=-90, values=sorted({y for y in df.year if y % 5 == 0}))),
        y=alt.Y("pledge:N", title=None, sort=list(LABELS.values())),
        row=alt.Row("dyad:N", title=None),
        color=alt.value("#4c78a8"),
    ).properties(title=title, width=WIDTH, height=32)


def alliance_part(store: Store, a: str, b: str, c: str | None, names: dict[str, str]):
    lo, hi = alliance_years(store, "atop")
    start = max(lo, 1946)
    dyads = [(a, b)] + ([(a, c), (b, c)] if c else [])
    frames = []
    for x, y in dyads:
        f = pledges_in_force(store, x, y, start, hi)
        f["dyad"] = f"{x}–{y}"
        frames.append(f)
    df = pd.concat(frames, ignore_index=True)
    parts = []
    for (x, y), f in zip(dyads, frames):
        last = f[f.year == hi].iloc[0]
        held = [LABELS[p] for p in PLEDGES["atop"] if last[p] == 1]
        formal = last.defense == 1 or last.offense == 1
        gaps = f[f.any_pledge != 1].year
        first = int(gaps.max()) + 1 if len(gaps) else start
        parts.append(f"{names.get(x, x)} and {names.get(y, y)} had "
                     + (f"{', '.join(held)} pledge(s) (some pledge in force every year since {first})" if held
                        else "no alliance pledge of any type")
                     + f": {'a formal alliance (defence or offence pledge)' if formal else 'no defence or offence obligation'}")
    # One sentence for the three dyads (the chart shows the years); ATOP's end is said beside it.
    findings = [f"In {hi}, ATOP's last year (later obligations not measured, not assumed absent), "
                + "; ".join(parts) + "."]
    last = frames[0][frames[0].year == hi].iloc[0]
    formal = bool(last.defense == 1 or last.offense == 1)
    paper = []
    for row in packaged_csv("paper_claims.csv").itertuples():
        if row.measure == "alliances":
            paper.append({"quote": row.quote, "section": row.section,
                          "verdict": "disagrees" if formal else "agrees",
                          "reason": (f"ATOP codes {'a' if formal else 'no'} defence or offence pledge between "
                                     f"{names.get(a, a)} and {names.get(b, b)} in {hi}; later years not measured")})
    chart = pledge_chart(df, f"ATOP alliance pledges in force, {start}–{hi} (blank = none; no data after {hi})")
    table = df[df.year >= hi - 9][["year", "dyad", *LABELS]].copy()
    return findings, [chart], [(f"Evidence: ATOP 5.1 pledges by dyad-year, {hi - 9}–{hi} (1 = in force in either "
                                "direction, 0 = none)", table.to_html(index=False, classes="evidence", border=0))], paper


def facts_part(store: Store, a: str, b: str) -> list[tuple[str, str]]:
    f = store.con.execute("SELECT subject, metric, period, value, unit, citation, note FROM facts").df()
    mine = f[f.subject.map(lambda s: set(s.split(";")) == {a, b})]
    if mine.empty:
        return []
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in
                         (r.metric.replace("_", " "), r.period, f"{r.value} {r.unit}", r.citation)) + "</tr>"
        for r in mine.itertuples())
    table = ("<table class='evidence facts'><thead><tr><th>fact</th><th>period</th><th>value</th><th>citation</th>"
             f"</tr></thead><tbody>{rows}</tbody></table>")
    return [("Curated facts (quoted from the cited texts, not measured by dyadic; kept apart from the data above)",
             table)]


def nature_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str]):
    """Alliance findings, charts, tables and paper verdicts for question 2, plus the cited facts table.

    Returns:
        (findings as HTML strings, Altair charts, (caption, html) tables, paper verdicts, not-measured notes);
        empty parts when the sources are not ingested.
    """
    findings, charts, tables, paper, missing = [], [], [], [], []
    if store.has_source(ALLIANCES):
        f, ch, t, paper = alliance_part(store, a, b, c, names)
        findings, charts, tables = f, ch, t
    else:
        missing.append(f"Alliance obligations: run 'dyadic ingest {ALLIANCES}'.")
    if store.has_source(FACTS):
        tables += facts_part(store, a, b)
    return findings, charts, tables, paper, missing
