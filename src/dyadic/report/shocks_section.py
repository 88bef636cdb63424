"""Question 3 of the brief: event studies at the pair's own dates, and change points.

The dates tested are those the brief's paper profile names (Lo 2025: 24 February 2022 and 20 January 2025,
for China–Russia only), then the pair's curated dates (``data/key_dates.csv``, filtered by the pair); a pair
with neither is tested at its own detected change points, which the finding says is circular.
"""

from __future__ import annotations

import html

import pandas as pd

from dyadic.framework.shocks import breaks, event_study
from dyadic.framework.shocks import dyad_key as pair_key
from dyadic.report.bottom_line import Answer
from dyadic.report.events_section import key_dates
from dyadic.report.papers import PaperProfile
from dyadic.store import Store

INDICATORS = ["unga_agree", "events_month"]
#: curated dates of the pair tested besides the paper's (the latest ones with some years of data after them).
MAX_CURATED = 2


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


def shock_dates(a: str, b: str, profile: PaperProfile | None, last_year: int | None
                ) -> list[tuple[str, str, str | None]]:
    """(date, label, the paper's claim measure or None) to test: the paper's dates, then the pair's curated
    dates that leave at least two years of data after them (a shorter 'after' cannot give a verdict)."""
    out = [(d, label, measure) for d, (measure, label) in (profile.shocks if profile else {}).items()]
    kd = key_dates("0000-01-01", "9999-12-31", [(a, b)])
    if last_year is not None:
        kd = kd[kd.date.str[:4].astype(int) <= last_year - 2]
    seen = {d for d, _, _ in out}
    out += [(r.date, r.label, None) for r in kd.tail(MAX_CURATED).itertuples() if r.date not in seen]
    return out


def shock_key_dates(a: str, b: str, profile: PaperProfile | None) -> pd.DataFrame:
    """The events that may explain the pair's breaks: its own curated dates and the paper profile's."""
    own = key_dates("0000-01-01", "9999-12-31", [(a, b)])[["date", "label"]]
    paper = pd.DataFrame([(d, label) for d, (_, label) in (profile.shocks if profile else {}).items()],
                         columns=["date", "label"])
    both = pd.concat([own, paper], ignore_index=True).drop_duplicates("date")
    return both.assign(date=pd.to_datetime(both.date)).sort_values("date").reset_index(drop=True)


def _break_dates(br: pd.DataFrame) -> list[tuple[str, str, None]]:
    """The latest two change points of the pair's UN voting as test dates (1 January of the break year)."""
    yearly = br[(br.indicator == "unga_agree") & (br.kind == "break")].tail(2)
    return [(f"{int(r.date)}-01-01", f"change point in UN voting ({int(r.date)})", None) for r in yearly.itertuples()]


def shocks_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                   profile: PaperProfile | None = None, summary: dict | None = None):
    """Findings, tables, paper verdicts and 'not measured' notes for question 3.

    Args:
        profile: the paper whose shock dates and claims apply to this pair (None: no paper's dates).
        summary: filled with ``{3: Answer}`` for the bottom line.
    """
    pairs = [(a, b)] + ([(a, c), (b, c)] if c else [])
    findings, tables, paper, missing = [], [], [], []
    last = store.con.execute("SELECT max(year) FROM roll_calls WHERE body = 'GA'").fetchone()[0] \
        if store.has_table("roll_calls") else None
    # Breaks are explained only by this pair's curated dates and the paper profile's (another pair's event is
    # no explanation).
    events = shock_key_dates(a, b, profile)
    br, miss = breaks(store, a, b, ["unga_agree", "events_month"], events=events)
    missing += miss
    dates = shock_dates(a, b, profile, last)
    circular = not dates
    if circular:
        dates = _break_dates(br) if len(br) else []
        if dates:
            findings.append(f"No curated date for {html.escape(names[a])}–{html.escape(names[b])} "
                            f"(data/key_dates.csv has none for {pair_key(a, b)}): tested instead at its own change "
                            "points in UN voting. Circular: a break found in the data will show an effect there; the "
                            "test gives its size, not its cause.")
    outcomes = []
    claims = profile.claims() if profile else None
    for at, label, measure in dates:
        res = []
        for x, y in pairs:
            df, miss = event_study(store, x, y, at, INDICATORS, seed=0)
            res.append(df)
            missing += miss
        df = pd.concat(res, ignore_index=True)
        if len(df):
            tables.append(((f"Event study at {at} ({label}): the pair's change in level minus its "
                            "partners' other dyads' mean change (3 years / 12 months each side), 90% placebo-date "
                            "interval; a verdict needs the same sign at 1-3 years / 12-36 months; UN votes yearly "
                            "(UN Digital Library), GDELT monthly"),
                           _fmt(df)))
            main = df[df.pair == f"{a}–{b}"]
            for r in main.itertuples():
                findings.append(f"After {at} ({html.escape(label)}), {html.escape(names[a])}–{html.escape(names[b])} "
                                f"{r.label}: <strong>{r.verdict}</strong> (effect {r.effect:+.3f}, 90% interval "
                                f"{r.lo:+.3f} to {r.hi:+.3f}; {html.escape(r.reason)}; evidence: {html.escape(r.evidence)}).")
        v, why = verdict(df[df.pair == f"{a}–{b}"] if len(df) else df)
        main = df[(df.pair == f"{a}–{b}") & (df.n_after >= 2)] if len(df) else df
        outcomes.append((at, label, main))
        if claims is not None and measure:
            for row in claims[claims.measure == measure].itertuples():
                paper.append({"quote": row.quote, "section": row.section, "verdict": v, "reason": why})
    if len(br):
        tables.append(("Change points (PELT, L2 cost, penalty 2·σ²·(1+ρ)/(1−ρ)·log n) of the pair's series, "
                       "with the nearest of the pair's curated dates within reach",
                       br.drop(columns=["z"]).round(3).to_html(index=False, classes="evidence", border=0)))
        recent = br[br.event != ""]
        if len(recent):
            findings.append("Breaks near the pair's curated dates: " + "; ".join(
                f"{r.indicator} {r.date} ({r.size:+.3f}) near {html.escape(r.event)} ({r.event_date})"
                for r in recent.itertuples()) + ".")
    if summary is not None:
        summary[3] = _answer(outcomes, circular, names, a, b, last)
    return findings, tables, paper, [f"Not measured: {m}" for m in missing]


def _answer(outcomes: list, circular: bool, names: dict[str, str], a: str, b: str, last: int | None) -> Answer:
    """One or two sentences: each tested date and whether the pair moved closer or apart after it."""
    parts, decided, years = [], 0, []
    for at, label, rows in outcomes:
        if rows is None or rows.empty:
            parts.append(f"{at} ({label}): cannot tell, too little data after it")
            continue
        verdicts = ", ".join(f"{r.verdict} on {r.label.split(',')[0]}" for r in rows.itertuples())
        decided += int(any(rows.verdict.isin(["closer", "apart"])))
        for r in rows.itertuples():  # the last period the 'after' window reaches
            years.append(int(at[:4]) + int(r.n_after) - 1 if r.freq == "year"
                         else (pd.Timestamp(at) + pd.DateOffset(months=int(r.n_after))).year)
        parts.append(f"{at} ({label}): {verdicts}")
    if not parts:
        return Answer(3, "Shocks", "No dated event and no change point could be tested for the pair.",
                      "cannot tell", last)
    year = min(max(years), last) if years and last else (max(years) if years else last)
    conf = "cannot tell" if not decided else ("low" if circular else "medium")
    text = (f"Tested at {len(parts)} date{'s' if len(parts) > 1 else ''} (evidence to {year}): "
            + "; ".join(parts) + ".")
    return Answer(3, "Shocks", text, conf, year)
