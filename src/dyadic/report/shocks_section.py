"""Question 3 of the brief: event studies at the pair's own dates, and change points.

The dates tested are those the brief's paper profile names (Lo 2025: 24 February 2022 and 20 January 2025,
for China–Russia only), then the pair's curated dates (``data/key_dates.csv``, filtered by the pair); a pair
with neither is tested at its own detected change points, which the finding says is circular.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from dyadic.errors import DyadicError
from dyadic.framework import shocks as fs
from dyadic.framework.shocks import breaks
from dyadic.framework.shocks import dyad_key as pair_key
from dyadic.report.bottom_line import Answer
from dyadic.report.events_section import key_dates
from dyadic.report.papers import PaperProfile
from dyadic.report.trace import num
from dyadic.store import Store

#: the pair's bilateral indicators (the answer's basis, framework.shocks.BILATERAL) and UN votes beside them.
INDICATORS = [*fs.BILATERAL, "unga_agree"]
#: curated dates of the pair tested besides the paper's (the latest ones with some years of data after them).
MAX_CURATED = 2


def _fmt(df: pd.DataFrame) -> str:
    show = df[["pair", "indicator", "at", "n_before", "n_after", "before_mean", "after_mean", "effect", "lo", "hi",
               "verdict"]].copy()
    for c in ("before_mean", "after_mean", "effect", "lo", "hi"):
        show[c] = show[c].map(lambda v: f"{v:.3f}")
    return show.to_html(index=False, classes="evidence", border=0)


class Studies:
    """:func:`dyadic.framework.shocks.event_study` for many dates of the same dyads, reading each dyad's
    inputs (its series and its comparison dyads) once instead of once a date: the inputs do not depend on
    the date, and reading them is most of an event study's time."""

    def __init__(self, store: Store):
        self.store = store
        self._inputs: dict[tuple[str, str, str], object] = {}

    def inputs(self, store: Store, a: str, b: str, ind: str):
        key = (a, b, ind)
        if key not in self._inputs:
            try:
                self._inputs[key] = fs.study_inputs(store, a, b, ind)
            except DyadicError as exc:
                self._inputs[key] = exc
        got = self._inputs[key]
        if isinstance(got, DyadicError):
            raise got
        return got

    def __call__(self, a: str, b: str, at: str) -> tuple[pd.DataFrame, list[str]]:
        """The event_study result (same columns and 'not measured' notes) of ``a``–``b`` at ``at``."""
        return fs.event_study(self.store, a, b, at, INDICATORS, inputs=self.inputs)


def verdict(rows: pd.DataFrame) -> tuple[str, str]:
    """The framework's rule (:func:`dyadic.framework.shocks.shock_verdict`, over the bilateral indicators) as
    a verdict on a claim of convergence: *agrees* when the pair moved closer, *disagrees* when apart, *cannot
    tell* otherwise. An indicator with a single after-period (one, partial, year) does not count."""
    rows = rows[rows.n_after >= 2] if len(rows) else rows
    v, why = fs.shock_verdict(rows)
    return {"closer": "agrees", "apart": "disagrees"}.get(v, "cannot tell"), why


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
    study = Studies(store)
    for at, label, measure in dates:
        res = []
        for x, y in pairs:
            df, miss = study(x, y, at)
            res.append(df)
            missing += miss
        df = pd.concat(res, ignore_index=True)
        if len(df):
            tables.append(((f"Event study at {at} ({label}): the pair's change in level minus its "
                            "partners' other dyads' mean change (3 years / 6 months each side; yearly counts leave "
                            "the event year out), 90% placebo interval; a verdict needs the same sign at 1-3 years "
                            "/ 3-12 months; the answer rests on disputes, ICEWS and GDELT conflict and trade, UN "
                            "votes beside it"),
                           _fmt(df)))
            main = df[df.pair == f"{a}–{b}"]
            if len(main):  # one line per date; the reasons and windows are in the event-study table
                findings.append(f"After {at} ({html.escape(label)}): " + "; ".join(
                    _effect_text(r, a, b) for r in main.itertuples()) + ".")
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
    return findings, tables, paper, grouped(missing)


def grouped(notes: list[str]) -> list[str]:
    """'A–B ind at D: why' notes of several dyads as one line each: 'ind at D: why (A–B, A–C)'."""
    groups: dict[str, list[str]] = {}
    for m in notes:
        hit = re.match(r"^(\S+–\S+) (\S+) at (\S+): (?:\2: )?(.*)$", m)
        if not hit:
            groups.setdefault(m, [])
            continue
        dyad, ind, at, why = hit.groups()
        groups.setdefault(f"{SHORT.get(ind, ind)} at {at}: {why}", []).append(dyad)
    return [k + (f" ({', '.join(v)})" if v else "") for k, v in groups.items()]


#: short names of the indicators in the findings (the table keeps the long ones).
SHORT = {"unga_agree": "UN votes (agreement)", "events_month": "GDELT (monthly score)",
         "events_conflict": "GDELT (share of conflictual days)", "icews_conflict": "ICEWS (conflict share)",
         "mids": "MIDs (hostility)", "trade": "trade (IMF DOTS)"}
#: the dataset behind each indicator's event study (framework.shocks.study_inputs)
SOURCE = {"unga_agree": "unga_unsc_votes_undl_scrape", "events_month": "gdelt_daily_country_graph",
          "events_conflict": "gdelt_daily_country_graph", "icews_conflict": "icews_dyadic_netify_2002_2014",
          "mids": "mids_cow_gml", "trade": "imf_dots_all_reporters_1960_2020"}


def _effect_text(r, a: str, b: str) -> str:
    """'UN votes: cannot tell (effect −0.013, 90% interval −0.115 to +0.143)', traced."""
    name = SHORT.get(r.indicator, r.label)
    if pd.isna(r.effect):
        return f"{name}: {r.verdict} (too few periods after the date)"
    unit = "years" if r.freq == "year" else "months"
    rows = f"event study {a}–{b} at {r.at}: {r.n_before} {unit} before, {r.n_after} after"
    span = str(r.at)[:4]
    f = lambda v, m: num(v, "sf3", m, SOURCE.get(r.indicator, r.indicator), span, rows)
    return (f"{name}: <strong>{r.verdict}</strong> (effect {f(r.effect, f'{r.indicator}_effect')}, 90% interval "
            f"{f(r.lo, f'{r.indicator}_effect_lo')} to {f(r.hi, f'{r.indicator}_effect_hi')})")


def _answer(outcomes: list, circular: bool, names: dict[str, str], a: str, b: str, last: int | None) -> Answer:
    """One or two sentences: the dates after which the pair moved closer or apart, and those that decide
    nothing, named once (not one verdict per indicator per date)."""
    moved, undecided, recent, years = [], [], [], []
    for at, label, rows in outcomes:
        if rows is None or rows.empty:
            recent.append(f"{at} ({label})")
            continue
        for r in rows.itertuples():  # the last period the 'after' window reaches
            years.append(int(at[:4]) + int(r.n_after) - 1 if r.freq == "year"
                         else (pd.Timestamp(at) + pd.DateOffset(months=int(r.n_after))).year)
        hits = [f"{r.verdict} on {SHORT.get(r.indicator, r.label.split(',')[0])}" for r in rows.itertuples()
                if r.verdict in ("closer", "apart")]
        (moved if hits else undecided).append(f"{at} ({label})" + (f": {', '.join(hits)}" if hits else ""))
    if not (moved or undecided or recent):
        return Answer(3, "Shocks", "No dated event and no change point could be tested for the pair.",
                      "cannot tell", last)
    year = min(max(years), last) if years and last else (max(years) if years else last)
    conf = "cannot tell" if not moved else ("low" if circular else "medium")
    out = []
    if moved:
        out.append("The pair moved after " + "; ".join(moved) + ".")
    if undecided:
        out.append(f"{'No measurable move' if not moved else 'No measurable move after the others'} after "
                   + "; ".join(undecided) + " (inside the placebo band).")
    if recent:
        out.append("Too recent to test: " + "; ".join(recent) + ".")
    return Answer(3, "Shocks", html.escape(" ".join(out)), conf, year)
