"""Brief content for question 2 (alignment on global order): dynamic UNGA ideal points of the pair and the third
party, with 90% bootstrap intervals, the pair's distance and each partner's distance from the third party.

Reads the stored ``ideal_points`` table; estimates only when the store holds no current estimates, and then
with a small, time-boxed bootstrap (``BRIEF_BOOT`` replicates) so that writing a brief stays quick; run
``dyadic ideal --n-boot 100 --force`` for full intervals.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dyadic.indicators.ideal_points_table import dyad_distances, estimate_and_store, is_current, positions
from dyadic.store import Store

BRIEF_BOOT = 20
BRIEF_BOOT_SECONDS = 120.0


def ideal_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                  start: int = 1991) -> tuple[list[str], list, list[tuple[str, str]]]:
    """Findings, charts and an evidence table on positions and distances.

    Args:
        store: the store (estimates are written to it when missing or stale and it is writable).
        a, b, c: the pair and the optional third party.
        names: code -> display name.
        start: first year shown.

    Returns:
        (findings, charts, tables); all empty when there are no estimates and the store is read-only.
    """
    if not is_current(store, n_boot=None):
        if store.read_only:
            if not store.has_table("ideal_points"):
                return [], [], []
        else:
            estimate_and_store(store, n_boot=BRIEF_BOOT, seconds=BRIEF_BOOT_SECONDS)
    codes = [x for x in (a, b, c) if x]
    pos = positions(store, codes, start)
    if pos.empty:
        return [], [], []
    pairs = [(a, b)] + ([(a, c), (b, c)] if c else [])
    dist = dyad_distances(store, pairs, start)
    dist["dyad"] = dist.a + "–" + dist.b
    last = int(pos.year.max())
    p = pos[pos.year == last].set_index("code")
    d = dist[dist.year == last].set_index("dyad")
    fmt = lambda r: f"{r.theta:+.2f} [{r.lo:+.2f}, {r.hi:+.2f}]"  # noqa: E731
    findings = [
        f"UN General Assembly ideal points in {last} (one dimension, USA at the positive end, 90% bootstrap "
        "intervals): " + "; ".join(f"{names[x]} {fmt(p.loc[x])}" for x in codes if x in p.index) + ".",
    ]
    if c and len(d) == 3:
        pair = d.loc[f"{a}–{b}"].distance
        far = min(d.loc[f"{a}–{c}"].distance, d.loc[f"{b}–{c}"].distance)
        findings.append(
            f"Distance {names[a]}–{names[b]}: {pair:.2f}; {names[a]}–{names[c]}: {d.loc[f'{a}–{c}'].distance:.2f}; "
            f"{names[b]}–{names[c]}: {d.loc[f'{b}–{c}'].distance:.2f}. The pair is "
            f"{far / pair if pair > 0 else float('inf'):.1f} times closer to each other than the nearer partner "
            f"is to {names[c]}; which partner sits further from {names[c]} is "
            f"{names[a] if p.loc[a].theta < p.loc[b].theta else names[b]}.")
    pos["state"] = pos.code.map(names)
    base = alt.Chart(pos).encode(x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
                                 color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom")))
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("lo:Q", title="ideal point (USA positive)"), y2="hi:Q")
    chart = alt.layer(band, base.mark_line().encode(y="theta:Q")).properties(
        title="UNGA ideal points with 90% bootstrap intervals", width=640, height=240)
    dchart = alt.Chart(dist).mark_line().encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None), y=alt.Y("distance:Q", title="|Δ ideal point|"),
        color=alt.Color("dyad:N", title=None, legend=alt.Legend(orient="bottom"))).properties(
        title="Ideal-point distance of each dyad", width=640, height=200)
    wide = pos.pivot(index="year", columns="code", values="theta").round(3)
    table = pd.concat([wide, dist.pivot(index="year", columns="dyad", values="distance").round(3)], axis=1)
    caption = ("Evidence: dyadic ideal points (dynamic ordinal IRT on UNGA votes; Voeten to 2019, UN Digital "
               "Library from 2020) and dyad distances by year; table ideal_points, provenance in ideal_points_runs")
    return findings, [chart, dchart], [(caption, table.reset_index().to_html(index=False, border=0,
                                                                            classes="evidence"))]
