"""Question 4 of the brief: scenario probabilities with intervals, the reference class and signposts."""

from __future__ import annotations

import html

import pandas as pd

from dyadic.errors import DyadicError
from dyadic.framework.futures import futures
from dyadic.report.bottom_line import Answer
from dyadic.report.papers import PaperProfile
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
    text = "; ".join(f"{hz} years: continuity {g.set_index('scenario').loc['continuity', 'p']:.0%}"
                     for hz, g in p.groupby("horizon"))
    return ("agrees", f"continuity is the most probable scenario ({text})") if all(out) else \
        ("cannot tell", f"continuity is most probable but the intervals overlap ({text})")


def alliance_verdict(p: pd.DataFrame) -> tuple[str, str]:
    """Rule: agrees when the upper bound of P(alliance) within 10 years is under 5%; disagrees when its lower
    bound exceeds 25%; cannot tell otherwise."""
    g = p[p.scenario == "alliance"].sort_values("horizon").iloc[-1]
    why = f"P(alliance within {g.horizon} years) = {g.p:.1%} (90% interval {g.lo:.1%}-{g.hi:.1%})"
    if g.hi < 0.05:
        return "agrees", why
    if g.lo > 0.25:
        return "disagrees", why
    return "cannot tell", why


def futures_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                    profile: PaperProfile | None = None, summary: dict | None = None):
    """Findings, tables, paper verdicts and 'not measured' notes for question 4.

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
    if summary is not None and len(p):
        g = p[p.horizon == p.horizon.max()]
        top = g.loc[g.p.idxmax()]
        year = r.state.get("pct", (None, None))[1]
        conf = "medium" if top.lo > g[g.scenario != top.scenario].hi.max() else "low"
        summary[4] = Answer(4, "Futures", html.escape(
            f"From the pair's state in {year}, the most probable outcome within {int(top.horizon)} years is "
            f"{top.label.lower()} at {top.p:.0%} (90% interval {top.lo:.0%}-{top.hi:.0%}; {top.headline})."),
            conf, year)
    findings = []
    for hz, g in p.groupby("horizon"):
        parts = ", ".join(f"{x.label.lower()} {x.p:.0%} ({x.lo:.0%}-{x.hi:.0%})" for x in g.itertuples())
        findings.append(f"Within {hz} years ({g.headline.iloc[0]}): {parts}; reference class: "
                        f"{html.escape(r.reference[hz].text)} ({r.reference[hz].n_rows:,} dyad-years, "
                        f"{r.reference[hz].n_dyads:,} dyads); conflict class: "
                        f"{html.escape(r.conflict_reference[hz].text)} ({r.conflict_reference[hz].n_rows:,} "
                        "dyad-years).")
    crossed = r.signposts[r.signposts.crossed == True]  # noqa: E712 (None = not measured)
    if len(crossed):
        findings.append("Signposts already crossed: " + "; ".join(
            f"{html.escape(x.signpost)} ({x.current:.3g} in {x.year}, threshold {x.threshold:g})"
            for x in crossed.itertuples()) + ".")
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
    missing = [f"Signpost not measured: {x.signpost} ({x.note})" for x in r.signposts.itertuples()
               if x.note and x.note != ""]
    for hz, ch in r.choice.items():
        if "brier" in ch:
            missing.append(f"Within {hz} years the headline is the {ch['winner']}: the back-test "
                           f"(docs/methods/futures.md) gives Brier {ch['brier']:.4f} (AR(1) model) vs "
                           f"{ch['brier_base']:.4f} (reference-class base rate) on held-out years.")
    mid_hi = r.conflict_reference and next(iter(r.conflict_reference.values())).years
    missing.append("P(militarised conflict) stands on the pair's state in the last MID year (COW MID 5.0 ends "
                   "2014): later disputes are not measured." if mid_hi else "")
    missing = [m for m in missing if m]
    return findings, tables, paper, missing
