"""Question 4 of the brief: scenario probabilities with intervals, the reference class and signposts."""

from __future__ import annotations

import html

import pandas as pd

from dyadic.errors import DyadicError
from dyadic.framework.futures import futures
from dyadic.report.bottom_line import Answer
from dyadic.report.papers import PaperProfile
from dyadic.report.trace import FORMATS, num, prob
from dyadic.store import Store

#: signposts of data/scenarios.toml named after one triad: (role pair, its states) -> the generic name used
#: for any other triad (the Russia–USA thaw is China–Russia–USA's signpost, not Pakistan–China's).
NAMED = {"Russia-USA thaw in UN voting (agreement percentile)": frozenset({"RUS", "USA"})}


def signpost_name(name: str, pair: str, names: dict[str, str]) -> str:
    """The signpost's name for this brief: a triad-specific name only for its own states."""
    states = NAMED.get(name)
    codes = frozenset(pair.split("–"))
    if states is None or codes == states:
        return name
    x, y = pair.split("–") if "–" in pair else (pair, "")
    label = f"{names.get(x, x)}–{names.get(y, y)}" if y else "partner–third party"
    return f"{label} thaw in UN voting (agreement percentile)"


#: sources behind the scenario probabilities (the reference classes and the pair's state).
FUTURES_SOURCES = ("unvotes_voeten_2019, unga_unsc_votes_undl_scrape, alliances_atop_cow, cow_nmc, mids_cow_gml, "
                   "strategic_rivalries_td")


def _p5(v: float) -> str:
    return FORMATS["p5"](v)


def continuity_verdict(p: pd.DataFrame) -> tuple[str, str]:
    """Rule: agrees when continuity is the most probable scenario at every horizon with its interval above
    the others' upper bounds; disagrees when another scenario is more probable; cannot tell otherwise."""
    out = []
    for hz, g in p.groupby("horizon"):
        g = g.set_index("scenario")
        others = g.drop(index="continuity")
        if g.p.idxmax() != "continuity":
            return "disagrees", f"at {hz} years {g.p.idxmax()} is more probable than continuity"
        out.append(g.loc["continuity", "lo"] > others.hi.max())
    text = "; ".join(f"{hz} years: continuity {_p5(g.set_index('scenario').loc['continuity', 'p'])}"
                     for hz, g in p.groupby("horizon"))
    return ("agrees", f"continuity is the most probable scenario ({text})") if all(out) else \
        ("cannot tell", f"continuity is most probable but the intervals overlap ({text})")


def alliance_verdict(p: pd.DataFrame) -> tuple[str, str]:
    """Rule: agrees when the upper bound of P(alliance) within 10 years is under 5%; disagrees when its lower
    bound exceeds 25%; cannot tell otherwise."""
    g = p[p.scenario == "alliance"].sort_values("horizon").iloc[-1]
    why = (f"P(alliance within {g.horizon} years) is under 5%, the top of its 90% interval too"
           if g.hi < 0.025 else f"P(alliance within {g.horizon} years) = {_p5(g.p)} (90% interval "
           f"{FORMATS['p5lo'](g.lo)}–{FORMATS['p5hi'](g.hi)})")
    if g.hi < 0.05:
        return "agrees", why
    if g.lo > 0.25:
        return "disagrees", why
    return "cannot tell", why


def futures_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                    profile: PaperProfile | None = None, summary: dict | None = None):
    """Findings, tables, paper verdicts and 'not measured' notes for question 4.

    Probabilities are printed to the nearest 5 points: the back-test's Brier scores of model and base rate
    differ by about a hundredth, which does not resolve finer steps. The headline of each horizon is whichever
    of the two won its back-test, and the finding says which.

    Args:
        profile: the paper whose claims apply to this pair (None: no paper verdicts).
        summary: filled with ``{4: Answer}`` for the bottom line.
    """
    try:
        r = futures(store, a, b, c, horizons=(5, 10), n_paths=10_000, seed=0)
    except DyadicError as exc:
        return [], [], [], [f"Futures not measured: {exc}"]
    r.signposts["signpost"] = [signpost_name(x.signpost, x.pair, names) for x in r.signposts.itertuples()]
    p = r.probabilities
    year = r.state.get("pct", (None, None))[1]
    rows = f"reference class of {a}–{b} from its {year} state"

    def won(hz: int) -> str:
        ch = r.choice.get(hz, {})
        if "brier" not in ch:
            return "headline: " + str(p[p.horizon == hz].headline.iloc[0])
        loser = "AR(1) model" if ch["winner"] == "base rate" else "base rate"
        mine, theirs = (ch["brier_base"], ch["brier"]) if ch["winner"] == "base rate" else (ch["brier"], ch["brier_base"])
        return (f"headline: the {'reference-class base rate' if ch['winner'] == 'base rate' else 'AR(1) model'}, "
                f"which beat the {loser} in the back-test (Brier {mine:.3f} vs {theirs:.3f}, "
                f"{ch['n']:,} held-out dyad-years)")

    if summary is not None and len(p):
        g = p[p.horizon == p.horizon.max()]
        top = g.loc[g.p.idxmax()]
        conf = "medium" if top.lo > g[g.scenario != top.scenario].hi.max() else "low"
        summary[4] = Answer(4, "Futures", html.escape(
            f"From the pair's state in {year}, the most probable outcome within {int(top.horizon)} years is "
            f"{top.label.lower()} at "
            f"{prob(top.p, top.lo, top.hi, f'p_{top.scenario}_{int(top.horizon)}y', FUTURES_SOURCES, year, rows, '90% interval ')}"
            f"; the figure is the {top.headline}, the winner of the back-test."),
            conf, year)
    findings = []
    for hz, g in p.groupby("horizon"):
        parts = ", ".join(f"{x.label.lower()} {prob(x.p, x.lo, x.hi, f'p_{x.scenario}_{hz}y', FUTURES_SOURCES, year, rows)}"
                          for x in g.itertuples())
        findings.append(f"Within {hz} years: {parts} (90% intervals; {won(hz)}).")
    hz0 = min(r.reference)
    older = [f"{x.indicator} {x.year}" for x in r.signposts.itertuples()
             if x.pair == f"{a}–{b}" and str(x.year)[:4].isdigit() and int(str(x.year)[:4]) < (year or 0)]
    findings.append(f"Reference class ({hz0} years: "
                    f"{num(r.reference[hz0].n_rows, 'int', 'reference_class_rows', FUTURES_SOURCES, year, rows)} "
                    f"dyad-years): {html.escape(r.reference[hz0].text)}; conflict class: "
                    f"{html.escape(r.conflict_reference[hz0].text)}. Probabilities to the nearest 5 points."
                    + (f" The {year} state stands partly on older data: {', '.join(older)}." if older else ""))
    crossed = r.signposts[r.signposts.crossed == True]
    if len(crossed):
        findings.append("Signposts already crossed: " + "; ".join(
            f"{html.escape(x.signpost)} ({num(x.current, 'f2', x.indicator, FUTURES_SOURCES, x.year, f'signpost {x.pair}')} "
            f"in {x.year}, threshold {x.threshold:g})" for x in crossed.itertuples()) + ".")
    show = p[["horizon", "label", "p", "lo", "hi", "headline", "model", "base", "base_lo", "base_hi", "class_n",
              "class_dyads"]].copy()
    for col in ("p", "lo", "hi", "model", "base", "base_lo", "base_hi"):
        show[col] = show[col].map(lambda v: f"{v:.3f}")
    sp = r.signposts.copy()
    sp["current"] = sp.current.map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    tables = [("Scenario probabilities (method) and reference-class base rates, 90% intervals",
               show.to_html(index=False, classes="evidence", border=0)),
              ("Signposts and their current values", sp.to_html(index=False, classes="evidence", border=0)),
              ("Assumption trail", "<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in r.trail) + "</ul>")]
    paper = []
    claims = profile.claims() if profile else pd.DataFrame(columns=["measure", "quote", "section"])
    for row in claims[claims.measure.isin(["futures", "futures_alliance"])].itertuples():
        v, why = continuity_verdict(p) if row.measure == "futures" else alliance_verdict(p)
        paper.append({"quote": row.quote, "section": row.section, "verdict": v, "reason": why})
    missing = [f"Signpost: {x.signpost} ({x.note})" for x in r.signposts.itertuples() if x.note]
    if r.conflict_reference:
        missing.append("Militarised conflict after 2014 (COW MID 5.0 ends there): P(conflict) stands on the "
                       "pair's state in the last MID year.")
    return findings, tables, paper, missing
