"""Questions 1, 2 and 5 of the brief: drivers of cooperation, the classifier's label and asymmetry, the triangle.

Each paragraph states the system's finding first, then the paper's claim (quoted with its section from
``data/paper_claims.csv``), then a verdict decided by the rules below (thresholds in ``data/drivers.toml``):

- ``drivers`` (q1): in the latest year with at least ``many_measured`` drivers measured, *agrees* when at least
  ``many_strong`` score >= ``strong_pct``, *disagrees* when at most one does, else cannot tell.
- ``drivers_top`` (q1): *agrees* when security reassurance is the highest-scoring driver that year, else disagrees.
- ``nature_label`` (q2): in the latest year whose label is not provisional, *agrees* when the label is a strategic
  partnership, or an entente whose strategic-partnership criteria also hold; *disagrees* for any other label.
- ``asymmetry`` (q2): *agrees* when the asymmetry index is widening and the client criteria fail in the latest
  year they can be decided; *disagrees* when it is not widening or the client criteria hold.
- ``triangle`` (q5): for the weaker partner (by capability; the one a third party would court), *agrees* when
  the third party reaches less than ``substitute_min`` of the partner's value on most measured dimensions,
  *disagrees* when it reaches ``substitute_full`` on most, else cannot tell.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from dyadic.framework.drivers import DRIVERS, DriverScores, compute_drivers
from dyadic.framework.nature import asymmetry, classify, classify_years, widening
from dyadic.framework.triangle import (
    ASSUMPTIONS,
    INDETERMINATE,
    substitution,
    triangle,
    what_if,
)
from dyadic.report.bottom_line import Answer
from dyadic.report.charts import yearly_lines
from dyadic.report.trace import num, question
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

CONFIG_NOTE = "mappings, weights and thresholds: dyadic/data/drivers.toml"


def _claims(measure: str) -> list:
    c = packaged_csv("paper_claims.csv")
    return list(c[c.measure == measure].itertuples())


def _verdicts(measure: str, verdict: str, reason: str) -> list[dict]:
    return [{"quote": r.quote, "section": r.section, "verdict": verdict, "reason": reason} for r in _claims(measure)]


def _table(df: pd.DataFrame) -> str:
    show = df.copy()
    for col in show.columns:
        if show[col].dtype.kind == "f":
            show[col] = show[col].map(lambda v: "" if pd.isna(v) else f"{v:.3f}")
    return show.to_html(index=False, classes="evidence", border=0, na_rep="")


def scores_for(store: Store) -> DriverScores:
    return compute_drivers(store)


# ---------------------------------------------------------------------------------------------- question 1


def drivers_part(ds: DriverScores, a: str, b: str, names: dict[str, str], summary: dict | None = None):
    v = ds.config.verdicts
    p = ds.pair(a, b)
    findings, charts, tables, paper = [], [], [], []
    measured = p[list(DRIVERS)].notna().sum(axis=1)
    ok = p[measured >= v["many_measured"]]
    long = p.melt(id_vars=["year"], value_vars=list(DRIVERS), var_name="driver", value_name="score").dropna()
    if len(long):
        charts.append(yearly_lines(long, "score", "driver", f"Drivers of cooperation, {a}–{b} (percentile among "
                                   f"{ds.reference.split(' (')[0]})", "percentile", domain=(0, 100)))
    if ok.empty:
        findings.append(f"No year has at least {v['many_measured']} of the six drivers measured for {a}–{b}.")
        paper += _verdicts("drivers", "cannot tell", "too few drivers measured")
        paper += _verdicts("drivers_top", "cannot tell", "too few drivers measured")
        return findings, charts, tables, paper
    row = ok.iloc[-1]
    year = int(row.year)
    scores = {d: float(row[d]) for d in DRIVERS if pd.notna(row[d])}
    strong = [d for d, s in scores.items() if s >= v["strong_pct"]]
    src, rows = "drivers (dyadic/data/drivers.toml inputs)", f"driver scores {a}–{b}"
    text = ", ".join(f"{ds.config.drivers[d].label.lower()} {num(s, 'f0', f'driver_{d}', src, year, rows)}"
                     for d, s in sorted(scores.items(), key=lambda x: -x[1]))
    unmeasured = [ds.config.drivers[d].label.lower() for d in DRIVERS if d not in scores]
    findings.append(
        f"In {year}, the latest year with at least {v['many_measured']} drivers measured, {names[a]}–{names[b]} "
        f"scored (percentile among {ds.reference.split(' (')[0]}; definition in the rules below): {text}. {len(strong)} of {len(scores)} measured drivers "
        f"are at or above the {v['strong_pct']:.0f}th percentile."
        + (f" Not measured that year: {', '.join(unmeasured)}." if unmeasured else ""))
    if len(strong) >= v["many_strong"]:
        verdict, reason = "agrees", f"{len(strong)} drivers score >= {v['strong_pct']:.0f} in {year}"
    elif len(strong) <= 1:
        verdict, reason = "disagrees", f"only {len(strong)} driver scores >= {v['strong_pct']:.0f} in {year}"
    else:
        verdict, reason = "cannot tell", f"{len(strong)} strong drivers in {year}: between the rule's bounds"
    paper += _verdicts("drivers", verdict, reason)
    top = max(scores, key=scores.get)
    if summary is not None:
        lead = sorted(scores.items(), key=lambda x: -x[1])[:2]
        conf = "high" if len(scores) == len(DRIVERS) else "medium"
        summary[1] = Answer(1, "Drivers", html.escape(
            f"In {year}, {names[a]}–{names[b]}'s strongest drivers were "
            + " and ".join(f"{ds.config.drivers[d].label.lower()} ({num(s, 'ord', f'driver_{d}', src, year, rows)} "
                           "percentile)" for d, s in lead)
            + f"; {len(strong)} of {len(scores)} measured drivers are at or above the {_ordinal(v['strong_pct'])}."),
            conf, year)
    sec = scores.get("security_reassurance")
    if sec is None:
        paper += _verdicts("drivers_top", "cannot tell", f"security reassurance not measured in {year}")
    elif sec >= scores[top]:
        paper += _verdicts("drivers_top", "agrees", f"security reassurance is the top driver in {year} ({sec:.0f})")
    else:
        paper += _verdicts("drivers_top", "disagrees", f"{ds.config.drivers[top].label.lower()} ({scores[top]:.0f}) "
                           f"outscores security reassurance ({sec:.0f}) in {year}")
    ex = ds.explain(a, b, year)
    tables.append((f"Evidence: every driver score of {a}–{b} in {year} expanded into its inputs (value, percentile "
                   f"among {ds.reference.split(' (')[0]}, the year each value stands on, weight; {CONFIG_NOTE})",
                   _table(ex.drop(columns=["desc"]))))
    findings.append(older_inputs(ds.evidence(a, b, year), year))
    tables.append((f"Driver scores of {a}–{b} by year (empty = not measured)", _table(p)))
    return findings, charts, tables, paper


# ---------------------------------------------------------------------------------------------- question 2


def nature_part(store: Store, ds: DriverScores, a: str, b: str, names: dict[str, str], summary: dict | None = None):
    cfg = ds.config.nature
    findings, charts, tables, paper = [], [], [], []
    labels = classify_years(store, ds, a, b)
    if labels.empty:
        return findings, charts, tables, _verdicts("nature_label", "cannot tell", "no scores for the pair") + \
            _verdicts("asymmetry", "cannot tell", "no scores for the pair")
    firm = labels[~labels.provisional]
    latest = labels.iloc[-1]
    if len(firm):
        f = firm.iloc[-1]
        cl = classify(store, ds, a, b, int(f.year))
        findings.append(
            f"The classifier labels {names[a]}–{names[b]} <strong>{f.label.replace('_', ' ')}</strong> in {int(f.year)}, "
            f"the latest year every higher-priority label can be decided"
            + (f" (the criteria of {f.also.replace('_', ' ')} hold as well)" if f.also else "") + ". "
            + f"In {int(latest.year)} the label is {latest.label.replace('_', ' ')}"
            + (f", provisional: {latest.undetermined_by.replace('_', ' ')} cannot be decided (inputs end earlier)."
               if latest.provisional else "."))
        if summary is not None:
            summary[2] = Answer(2, "Nature", html.escape(
                f"The classifier labels the pair {_article(f.label)} {f.label.replace('_', ' ')} in {int(f.year)}"
                + (f" (later years provisional: {latest.undetermined_by.replace('_', ' ')} cannot be decided)"
                   if latest.provisional else "") + "."),
                "low" if int(f.year) < int(latest.year) - 2 else "medium", int(f.year))
        tables.append((f"Evidence: the classifier's criteria for {a}–{b} in {int(f.year)} ({CONFIG_NOTE})",
                       _table(cl.table())))
        sp_too = "strategic_partnership" in (f.also or "")
        if f.label == "strategic_partnership" or (f.label == "entente" and sp_too):
            paper += _verdicts("nature_label", "agrees", f"{f.label.replace('_', ' ')} in {int(f.year)}"
                               + (" with strategic-partnership criteria met" if sp_too else ""))
        else:
            paper += _verdicts("nature_label", "disagrees", f"label {f.label.replace('_', ' ')} in {int(f.year)}")
    else:
        paper += _verdicts("nature_label", "cannot tell", "every year's label is provisional")
    tables.append((f"Label by year for {a}–{b} (provisional = a higher-priority label cannot be decided)",
                   _table(labels)))

    asy = asymmetry(ds, a, b)
    w = widening(asy, cfg["asym_window"], cfg["asym_slope"])
    long = asy.melt(id_vars=["year"], value_vars=["cinc_gap", "gdp_gap", "milex_gap", "index", "dep_gap"],
                    var_name="measure", value_name="gap").dropna()
    if len(long):
        charts.append(yearly_lines(long, "gap", "measure", f"Asymmetry of {a}–{b} (0 = equal, 1 = one side has all)",
                                   "gap", domain=(0, 1)))
    strong = asy.dropna(subset=["index"]).stronger.iloc[-1] if asy["index"].notna().any() else None
    if w["verdict"] != "unknown":
        span = f"{w['years'][0]}–{w['years'][1]}"
        slope = num(w["slope"], "sf4", "asymmetry_index_slope", "cow_nmc, wb_gdp, sipri_milex", span,
                    f"asymmetry index {a}–{b} by year")
        findings.append(f"Asymmetry index (mean capability gap: CINC, GDP, military spending) "
                        f"{span}: slope {slope} a year, so by the rule the gap is "
                        f"<strong>{w['verdict']}</strong>" + (f"; {strong} is the stronger side." if strong else "."))
    # Vassalage: the latest year whose client criteria can be decided.
    client_known = None
    for y in sorted(labels.year, reverse=True):
        st = {c.name: c.holds for c in classify(store, ds, a, b, int(y)).criteria}
        vals = [st[k] for k in ("capability_asymmetry", "dependence_asymmetry", "deference", "no_alternative")]
        if any(x is False for x in vals) or all(x is True for x in vals):
            client_known = (int(y), all(x is True for x in vals))
            break
    if w["verdict"] == "unknown" or client_known is None:
        paper += _verdicts("asymmetry", "cannot tell", "asymmetry trend or client criteria not measured")
    elif w["verdict"] == "widening" and not client_known[1]:
        paper += _verdicts("asymmetry", "agrees", f"gap widening; client criteria fail in {client_known[0]}")
    else:
        paper += _verdicts("asymmetry", "disagrees", f"gap {w['verdict']}; client criteria "
                           f"{'hold' if client_known[1] else 'fail'} in {client_known[0]}")
    tables.append((f"Asymmetry of {a}–{b} by year", _table(asy)))
    return findings, charts, tables, paper


# ---------------------------------------------------------------------------------------------- question 5


def triangle_part(ds: DriverScores, a: str, b: str, c: str, names: dict[str, str], store: Store | None = None,
                  summary: dict | None = None):
    cfg = ds.config.triangle
    findings, charts, tables, paper = [], [], [], []
    tr = triangle(ds, c, a, b, store=store)
    yrs = tr.years[tr.years.configuration != INDETERMINATE]
    t = tr.ties.dropna(subset=["tie"])
    if len(t):
        charts.append(yearly_lines(t, "tie", "dyad", f"Triangle ties {c}–{a}–{b} (amity minus enmity, -1..1)", "tie",
                                   domain=(-1, 1)))
    if yrs.empty:
        # still say why: which tie is unsigned and what was not measured, in the latest year
        if len(tr.years):
            r = tr.years.iloc[-1]
            findings.append(f"The triangle {c}–{a}–{b} is indeterminate in every year {int(tr.years.year.min())}–"
                            f"{int(r.year)}: in {int(r.year)} {r.indeterminate_by or 'no tie is signed'}"
                            + (f" (not measured: {r.not_measured})" if r.not_measured else "") + ".")
            tables.append((f"Triangle {c}–{a}–{b} by year", _table(tr.years)))
        paper += _verdicts("triangle", "cannot tell", "no year with all three ties clear of the neutral band")
        if summary is not None and len(tr.years):
            y = int(tr.years.year.max())
            summary[5] = Answer(5, "Third parties", html.escape(
                f"The triangle {names[c]}–{names[a]}–{names[b]} is indeterminate in every year to {y}: at least one "
                "tie is too weak to sign."), "cannot tell", y)
        return findings, charts, tables, paper
    last = yrs.iloc[-1]
    year = int(last.year)
    pos = ", ".join(f"{s} {last[f'position_{s}']}" for s in tr.states if last[f"position_{s}"])
    runs = (yrs.configuration != yrs.configuration.shift()).cumsum()
    since = int(yrs[runs == runs.iloc[-1]].year.min())
    findings.append(f"In {year} the triangle {c}–{a}–{b} is a <strong>{last.configuration}</strong> ({pos}; "
                    f"{'balanced' if last.balanced else 'unbalanced'}; evidence as of {last.as_of}), unchanged since {since}. "
                    "Ties are amity (pledges, UN alignment) minus enmity (rivalry, disputes), named only when "
                    "clear of the neutral band (docs/methods/triangle.md).")
    if summary is not None:
        # the answer's year is the year its ties stand on, said beside the year it describes when older
        as_of = int(last.as_of) if str(last.as_of)[:4].isdigit() else year
        summary[5] = Answer(5, "Third parties", html.escape(
            f"In {year} the triangle {names[c]}–{names[a]}–{names[b]} is a {last.configuration} "
            f"({'balanced' if last.balanced else 'unbalanced'}), unchanged since {since}"
            + (f"; its ties stand on data as of {as_of}." if as_of < year else ".")),
            "medium" if year - since >= 3 and as_of >= year - 5 else "low", min(as_of, year))
    # The third party would court the weaker partner.
    cap = ds.rows(a, b)
    cap = cap[cap.year <= year].dropna(subset=["milex_a", "milex_b"])
    target = a if len(cap) and (cap.iloc[-1].milex_a < cap.iloc[-1].milex_b) == (cap.iloc[-1].a == a) else b
    partner = b if target == a else a
    delta = float(cfg.get("what_if_default", 0.3))
    wi = what_if(tr.states, tr.ties_in(year), c, target, delta, tr.settings.band)
    findings.append(f"What-if: a {c}–{target} thaw of {delta:+.2f} in {year} changes " + "; ".join(wi["changed"]) + ".")
    sub = substitution(ds, target, partner, c, year)
    measured = sub.dropna(subset=["cover"])
    if measured.empty:
        paper += _verdicts("triangle", "cannot tell", "no substitution dimension measured")
    else:
        low = int((measured.cover < cfg["substitute_min"]).sum())
        full = int((measured.cover >= cfg["substitute_full"]).sum())
        half = len(measured) / 2
        desc = "; ".join(f"{r.dimension} ({r.year}): "
                         f"{num(r.cover, 'f2', f'substitution_{r.dimension}', 'drivers inputs', r.year, f'{c} for {partner}, {target}')}"
                         for r in measured.itertuples())
        findings.append(f"How far {c} could substitute for {partner} as {target}'s partner (share of the partner's "
                        f"value it already reaches): {desc}. Assumptions: " + "; ".join(ASSUMPTIONS) + ".")
        if low > half:
            paper += _verdicts("triangle", "agrees", f"{c} reaches < {cfg['substitute_min']} of {partner}'s value on "
                               f"{low} of {len(measured)} dimensions")
        elif full > half:
            paper += _verdicts("triangle", "disagrees", f"{c} already matches {partner} on {full} of {len(measured)} "
                               "dimensions")
        else:
            paper += _verdicts("triangle", "cannot tell", f"{c} is below {cfg['substitute_min']} on {low} and at parity "
                               f"on {full} of {len(measured)} dimensions")
    tables.append((f"Evidence: {c} as a substitute for {partner}, for {target}", _table(sub)))
    tables.append((f"Triangle {c}–{a}–{b} by year", _table(tr.years)))
    return findings, charts, tables, paper


def framework_sections(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                       summary: dict | None = None) -> dict[int, tuple]:
    """Findings, charts, tables, paper verdicts and not-measured notes for questions 1, 2 and 5.

    ``summary`` (when given) receives the bottom-line :class:`Answer` of questions 1, 2 and 5. The paper
    verdicts are those of ``paper_claims.csv`` (Lo 2025); the brief keeps them only for that paper's pair.

    Returns:
        question number -> (findings, charts, tables, paper, not_measured).
    """
    ds = scores_for(store)
    nm = [f"{ds.config.drivers[d].label}: " + "; ".join(ds.config.drivers[d].not_measured) for d in DRIVERS
          if ds.config.drivers[d].not_measured] + [f"missing input — {m}" for m in ds.missing]
    with question(1):
        q1 = (*drivers_part(ds, a, b, names, summary), nm)
    with question(2):
        q2 = (*nature_part(store, ds, a, b, names, summary), [])
    if c:
        with question(5):
            q5 = (*triangle_part(ds, a, b, c, names, store, summary), [])
    else:
        q5 = ([], [], [], [], ["No third party given: the triangle needs one (dyadic brief A B --third C)."])
    return {1: q1, 2: q2, 5: q5}


def older_inputs(ev: pd.DataFrame, year: int) -> str:
    """One sentence: the inputs of each driver that stand on data older than ``year`` (said beside the scores,
    so a 2024 score resting on 2014 disputes says so)."""
    parts = []
    for r in ev.itertuples():
        old = [f"{what} {as_of}" for what, as_of in re.findall(r"([^;,]+?) as of (\d{4})", r.rests_on or "")
               if int(as_of) < year]
        if old:
            parts.append(f"{r.driver.replace('_', ' ')}: {', '.join(w.strip() for w in old)}")
    if not parts:
        return f"Every measured input of the {year} scores is from {year}."
    return f"Inputs older than {year} under the {year} scores: " + "; ".join(parts) + "."


def _article(label: str) -> str:
    """'an' before a vowel ('an entente'), else 'a'."""
    return "an" if label[:1].lower() in "aeiou" else "a"


def _ordinal(x: float) -> str:
    """91 -> '91st', 12 -> '12th'."""
    n = int(round(x))
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
