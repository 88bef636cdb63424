"""Brief content for question 2 (how unequal?): trade dependence in both directions and the capability,
GDP and military-spending ratios of the pair, each with the years its source covers.

Dependence is a state's share of its total trade that goes to the partner (COW Trade 4.0, to 2014); the
bilateral total after 2014 comes from the IMF DOTS extract where it covers the pair (importers' figures,
to 2020). Ratios are A / B (COW NMC CINC to 2022, World Bank GDP to 2023, SIPRI constant-dollar military
spending to 2024); "widening" means the absolute log ratio grows by more than 0.5 % a year (see
:func:`dyadic.indicators.power.ratio_trends`).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from dyadic.indicators.power import POWER_SOURCES, power_pair, ratio_trends
from dyadic.indicators.trade import COW, DOTS, GDP, trade_pair
from dyadic.store import Store

START = 1992  # the first year after the USSR, which COW (and so dyadic) codes as Russia
LABELS = {"cinc": "capabilities (CINC)", "gdp": "GDP", "milex": "military spending"}


def share(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def trade_part(store: Store, a: str, b: str, names: dict[str, str]):
    t = trade_pair(store, a, b, start=START)
    t = t.dropna(subset=["dep_a", "dep_b"], how="all")
    if t.empty:
        return [], [], []
    first, last = t.iloc[0], t.iloc[-1]
    findings = [
        f"Trade dependence (COW Trade 4.0, {int(first.year)}–{int(last.year)}): {names[b]}'s share of {names[a]}'s "
        f"total trade went from {share(first.dep_a)} to {share(last.dep_a)}; {names[a]}'s share of {names[b]}'s went "
        f"from {share(first.dep_b)} to {share(last.dep_b)}. In {int(last.year)} the dependence of "
        f"{names[b] if last.dep_b > last.dep_a else names[a]} on the other was "
        f"{max(last.dep_a, last.dep_b) / min(last.dep_a, last.dep_b):.1f} times the reverse."
        if min(last.dep_a, last.dep_b) > 0 else
        f"Trade dependence (COW Trade 4.0) to {int(last.year)}: {share(last.dep_a)} and {share(last.dep_b)}.",
    ]
    long = pd.concat([
        pd.DataFrame({"year": t.year, "share": t.dep_a, "series": f"{names[b]} in {names[a]}'s trade"}),
        pd.DataFrame({"year": t.year, "share": t.dep_b, "series": f"{names[a]} in {names[b]}'s trade"}),
    ]).dropna()
    chart = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of total trade"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["year:Q", alt.Tooltip("share:Q", format=".1%"), "series:N"],
    ).properties(title="Trade dependence in both directions (COW Trade 4.0)", width=640, height=220)
    table = t[["year", "imports_a", "imports_b", "trade", "dep_a", "dep_b", "dep_asym", "source"]].copy()
    caption = (f"Evidence: trade of {a}–{b} by year (US$; imports_a = {a}'s imports from {b}; dep_a = share of "
               f"{a}'s total trade with {b}; dep_asym = dep_a − dep_b)")
    tables = [(caption, table.to_html(index=False, border=0, classes="evidence", float_format=lambda v: f"{v:.4g}"))]
    if store.has_source(DOTS):
        d = trade_pair(store, a, b, start=START, source=DOTS).dropna(subset=["trade"])
        if len(d):
            r = d.iloc[-1]
            findings.append(f"Bilateral goods trade in {int(r.year)}: US$ {r.trade / 1e9:.1f} bn (IMF DOTS, "
                            "importers' figures; the extract ends in 2020).")
    return findings, [chart], tables


def power_part(store: Store, a: str, b: str, names: dict[str, str]):
    p = power_pair(store, a, b, start=START)
    trends = ratio_trends(p).dropna(subset=["ratio_last"])
    if trends.empty:
        return [], [], []
    parts = [
        f"{LABELS[r.measure]} {r.ratio_first:.2f} ({r.first_year}) → {r.ratio_last:.2f} ({r.last_year}), gap {r.gap}"
        for r in trends.itertuples()
    ]
    findings = [f"Ratios {names[a]} / {names[b]}: " + "; ".join(parts) + "."]
    long = pd.concat([pd.DataFrame({"year": p.year, "ratio": p[f"{m}_ratio"], "measure": LABELS[m]})
                      for m in LABELS]).dropna()
    long = long[long.ratio > 0]
    chart = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("ratio:Q", scale=alt.Scale(type="log"), title=f"{a} / {b} (log scale)"),
        color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["year:Q", alt.Tooltip("ratio:Q", format=".2f"), "measure:N"],
    ).properties(title=f"Power ratios {a} / {b} (1 = parity)", width=640, height=220)
    cols = ["year"] + [c for m in LABELS for c in (f"{m}_a", f"{m}_b", f"{m}_ratio")]
    table = p[cols].replace([np.inf, -np.inf], np.nan)
    caption = ("Evidence: CINC (COW NMC 7.0), GDP (World Bank, current US$), military spending (SIPRI, constant "
               f"US$) of {a} and {b}, and the ratios {a}/{b}; trend rule in dyadic.indicators.power.ratio_trends")
    return findings, [chart], [(caption, table.to_html(index=False, border=0, classes="evidence",
                                                       float_format=lambda v: f"{v:.4g}"))]


def structure_section(store: Store, a: str, b: str, names: dict[str, str]):
    """Trade-dependence and power-ratio findings, charts and evidence tables for question 2.

    Returns:
        (findings, charts, tables, not-measured notes); each part present only when its sources are ingested.
    """
    findings, charts, tables, missing = [], [], [], []
    if store.has_source(COW) and store.has_source(GDP):
        f, c, t = trade_part(store, a, b, names)
        findings, charts, tables = findings + f, charts + c, tables + t
        missing.append("Trade dependence after 2014: no staged source has both partners' total trade.")
    else:
        missing.append(f"Trade dependence: run 'dyadic ingest {COW} {GDP}'.")
    if all(store.has_source(s) for s in POWER_SOURCES):
        f, c, t = power_part(store, a, b, names)
        findings, charts, tables = findings + f, charts + c, tables + t
    else:
        missing.append(f"Power ratios: run 'dyadic ingest {' '.join(POWER_SOURCES)}'.")
    return findings, charts, tables, missing
