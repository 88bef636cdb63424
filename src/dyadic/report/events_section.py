"""Brief, question 3 (shocks): monthly cooperation and conflict of the pair and with the third party, from the
GDELT daily country graph, with the curated key dates (``data/key_dates.csv``) marked on the chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dyadic.framework import shocks
from dyadic.indicators.events import GRAPH, pair_series
from dyadic.report.charts import HEIGHT, WIDTH
from dyadic.report.trace import num
from dyadic.store import Store


def key_dates(start: str, end: str, dyads: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Curated dated events between two days (ISO dates), each with its citation, for the given dyads only
    (see :func:`dyadic.framework.shocks.key_dates`); ``date`` as ISO text."""
    k = shocks.key_dates(dyads)
    k = k.assign(date=k.date.dt.strftime("%Y-%m-%d"))
    return k[(k.date >= start) & (k.date <= end)].reset_index(drop=True)


def monthly_chart(df: pd.DataFrame, marks: pd.DataFrame, title: str) -> alt.LayerChart:
    """Monthly net score per covered day, one line per dyad, key dates as labelled rules."""
    base = alt.Chart(df).encode(
        x=alt.X("month:T", title=None),
        y=alt.Y("score_day:Q", title="net cooperation per day (graph score)"),
        color=alt.Color("dyad:N", title=None, legend=alt.Legend(orient="bottom")),
    )
    layers = [base.mark_line(strokeWidth=1.4), alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444").encode(y="y:Q")]
    if len(marks):
        m = marks.assign(month=pd.to_datetime(marks.date), n=[str(i + 1) for i in range(len(marks))])
        layers.append(alt.Chart(m).mark_rule(strokeDash=[4, 3], color="#888").encode(x="month:T", tooltip=["label:N"]))
        layers.append(alt.Chart(m).mark_text(align="left", dx=2, dy=-4, fontSize=10, color="#555").encode(
            x="month:T", y=alt.value(8), text="n:N"))
    return alt.layer(*layers).properties(title=title, width=WIDTH, height=HEIGHT)


def events_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str]
                   ) -> tuple[list[str], list, list[tuple[str, str]]]:
    """Findings, charts and evidence tables for question 3; empty when the graph is not ingested.

    Returns:
        (findings as HTML strings, Altair charts, (caption, html) tables).
    """
    if not store.has_source(GRAPH):
        return [], [], []
    dyads = [(a, b)] + ([(a, c), (b, c)] if c else [])
    frames = []
    for x, y in dyads:
        s = pair_series(store, x, y, source="graph")
        s = s[s.direction == f"{x}→{y}"].assign(dyad=f"{x}–{y}")
        frames.append(s)
    df = pd.concat(frames, ignore_index=True)
    df["month"] = pd.to_datetime(df.period)
    lo, hi = df.month.min().strftime("%Y-%m-%d"), (df.month.max() + pd.offsets.MonthEnd(0)).strftime("%Y-%m-%d")
    marks = key_dates(lo, hi, dyads)
    findings = []
    pair = df[df.dyad == f"{a}–{b}"].dropna(subset=["score_day"])
    if len(pair):
        top = pair.loc[pair.score_day.idxmax()]
        neg = pair[pair.score_day < 0]
        rows, span = f"event_graph_daily {a}–{b}, monthly", f"{lo[:7]}–{hi[:7]}"
        findings.append(
            f"In the GDELT daily country graph ({lo[:7]} to {hi[:7]}; scores as the upstream graph builds them, "
            f"months without a daily file are gaps), the {names[a]}–{names[b]} tie was net cooperative in "
            f"{num(len(pair) - len(neg), 'int', 'graph_cooperative_months', GRAPH, span, rows)} of "
            f"{num(len(pair), 'int', 'graph_covered_months', GRAPH, span, rows)} covered months; its most "
            f"cooperative month was {top.period} "
            f"({num(top.score_day, 'f0', 'graph_score_per_day', GRAPH, top.period, rows)} per day).")
    yearly = df.assign(year=df.month.dt.year).groupby(["dyad", "year"]).score_day.mean().unstack("dyad")
    if c:
        neg_years = {d: [int(y) for y, v in yearly[d].items() if v < 0] for d in yearly.columns if d != f"{a}–{b}"}
        parts = [f"{d}: {', '.join(map(str, ys)) or 'none'}" for d, ys in neg_years.items()]
        findings.append("Years in which the average tie with the third party was net conflictual — "
                        + "; ".join(parts) + ".")
    later = key_dates(hi, "9999-12-31", dyads)
    if len(later):
        findings.append("Not covered by the graph, so not measured here: " + "; ".join(
            f"{r.date} ({r.label})" for r in later.itertuples()) + ".")
    chart = monthly_chart(df[["month", "score_day", "dyad"]], marks,
                          "Monthly cooperation (+) and conflict (−) in GDELT coverage")
    table = yearly.round(1).reset_index().to_html(index=False, classes="evidence", border=0)
    marks_html = marks.assign(n=range(1, len(marks) + 1))[["n", "date", "label", "citation"]].to_html(
        index=False, classes="evidence", border=0)
    tables = [("Evidence: mean daily graph score by year (source: gdelt_daily_country_graph; Goldstein score plus "
               "source, article and tone terms, bare state actors only, summed per day, averaged over the month's "
               "covered days)", table),
              ("Dated events marked on the chart (data/key_dates.csv)", marks_html)]
    return findings, [chart], tables
