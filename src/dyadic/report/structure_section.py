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
from dyadic.report.charts import HEIGHT, WIDTH
from dyadic.report.trace import num
from dyadic.store import Store

START = 1992  # the first year after the USSR, which COW (and so dyadic) codes as Russia
#: trade_pair's ``trade_source`` values -> the store's source names.
TRADE_SOURCES = {"cow": "cow_trade", "imf_dots": "imf_dots_all_reporters_1960_2020",
                 "imf_dots_russia": "imf_dots_russia_world_2011_2023"}
LABELS = {"cinc": "capabilities (CINC)", "gdp": "GDP", "milex": "military spending"}


def share(x: float) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{100 * x:.1f}%"


def trade_part(store: Store, a: str, b: str, names: dict[str, str]):
    t = trade_pair(store, a, b, start=START)
    t = t.dropna(subset=["dep_a", "dep_b"], how="all")
    if t.empty:
        return [], [], []
    both = t.dropna(subset=["dep_a", "dep_b"])
    if both.empty:
        return [], [], []
    first, last = both.iloc[0], both.iloc[-1]
    srcs = ", ".join(dict.fromkeys(TRADE_SOURCES.get(x, x) for x in both.trade_source))

    def dep(r, col: str, who: str) -> str:
        return num(r[col], "pct1", "trade_dependence", TRADE_SOURCES.get(r.trade_source, r.trade_source),
                   int(r.year), f"trade {a}–{b}, {who}'s share of total trade")

    findings = [
        f"Trade dependence ({srcs}, {int(first.year)}–{int(last.year)}): {names[b]}'s share of {names[a]}'s "
        f"total trade went from {dep(first, 'dep_a', a)} to {dep(last, 'dep_a', a)}; {names[a]}'s share of "
        f"{names[b]}'s from {dep(first, 'dep_b', b)} to {dep(last, 'dep_b', b)}"
        + (f"; in {int(last.year)} the dependence of {names[b] if last.dep_b > last.dep_a else names[a]} on the other was "
           + num(max(last.dep_a, last.dep_b) / min(last.dep_a, last.dep_b), "f1", "trade_dependence_ratio",
                 TRADE_SOURCES.get(last.trade_source, last.trade_source), int(last.year), f"trade {a}–{b}")
           + " times the reverse." if min(last.dep_a, last.dep_b) > 0 else ".")
    ]
    later = t[t.year > last.year].dropna(subset=["dep_b"])
    if len(later):  # one side's total only (Russia's partners to 2022): said as such, not as a ratio
        r = later.iloc[-1]
        findings.append(f"{int(r.year)}, one side only ({TRADE_SOURCES.get(r.trade_source, r.trade_source)}): "
                        f"{names[a]}'s share of {names[b]}'s total trade {dep(r, 'dep_b', b)}.")
    long = pd.concat([
        pd.DataFrame({"year": t.year, "share": t.dep_a, "series": f"{names[b]} in {names[a]}'s trade"}),
        pd.DataFrame({"year": t.year, "share": t.dep_b, "series": f"{names[a]} in {names[b]}'s trade"}),
    ]).dropna()
    chart = alt.Chart(long).mark_line(point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
        y=alt.Y("share:Q", axis=alt.Axis(format="%"), title="share of total trade"),
        color=alt.Color("series:N", title=None, legend=alt.Legend(orient="bottom")),
        tooltip=["year:Q", alt.Tooltip("share:Q", format=".1%"), "series:N"],
    ).properties(title="Trade dependence in both directions", width=WIDTH, height=HEIGHT)
    table = t[["year", "imports_a", "imports_b", "trade", "dep_a", "dep_b", "dep_asym", "source"]].copy()
    caption = (f"Evidence: trade of {a}–{b} by year (US$; imports_a = {a}'s imports from {b}; dep_a = share of "
               f"{a}'s total trade with {b}; dep_asym = dep_a − dep_b)")
    tables = [(caption, table.to_html(index=False, border=0, classes="evidence", float_format=lambda v: f"{v:.4g}"))]
    if store.has_source(DOTS):
        d = trade_pair(store, a, b, start=START, source=DOTS).dropna(subset=["trade"])
        if len(d):
            r = d.iloc[-1]
            findings.append(f"Bilateral goods trade in {int(r.year)}: "
                            f"{num(r.trade, 'usd_bn', 'bilateral_trade', DOTS, int(r.year), f'trade {a}–{b}, importers')} "
                            "(IMF DOTS, importers' figures; the extract ends in 2020).")
    return findings, [chart], tables


def power_part(store: Store, a: str, b: str, names: dict[str, str]):
    p = power_pair(store, a, b, start=START)
    trends = ratio_trends(p).dropna(subset=["ratio_last"])
    if trends.empty:
        return [], [], []
    src = {"cinc": "cow_nmc", "gdp": "wb_gdp", "milex": "sipri_milex"}
    parts = [
        f"{LABELS[r.measure]} "
        f"{num(r.ratio_first, 'f2', f'{r.measure}_ratio', src[r.measure], r.first_year, f'{a}/{b}')} "
        f"({r.first_year}) → {num(r.ratio_last, 'f2', f'{r.measure}_ratio', src[r.measure], r.last_year, f'{a}/{b}')} "
        f"({r.last_year}), gap {r.gap}"
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
    ).properties(title=f"Power ratios {a} / {b} (1 = parity)", width=WIDTH, height=HEIGHT)
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
