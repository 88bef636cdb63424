"""Brief content for question 2 (alignment on global order): UNGA ideal points of the pair and the third party,
with 90% intervals, the pair's distance and each partner's distance from the third party.

Rendering never estimates (a fit takes minutes): it reads dyadic's own estimates when ``dyadic ideal`` has
stored current ones, else the published Bailey-Strezhnev-Voeten positions (``unga_ideal_points_voeten``), and
says which it shows.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from dyadic.indicators.ideal_points_table import dyad_distances, is_current, positions
from dyadic.report.charts import HEIGHT, WIDTH
from dyadic.report.trace import num
from dyadic.store import Store

PUBLISHED = "unga_ideal_points_voeten"


def _published(store: Store, codes: list[str], pairs: list[tuple[str, str]], start: int
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """BSV positions (``year, code, theta, lo, hi``: the 5th-95th posterior percentiles) and dyad distances."""
    from dyadic.indicators.ideal import published_positions

    pos = published_positions(store, start, 9999, codes=codes).rename(
        columns={"ideal": "theta", "q5": "lo", "q95": "hi"})
    wide = pos.pivot(index="year", columns="code", values="theta")
    rows = [pd.DataFrame({"year": wide.index, "a": x, "b": y, "distance": (wide[x] - wide[y]).abs().to_numpy()})
            for x, y in pairs if x in wide and y in wide]
    dist = pd.concat(rows, ignore_index=True).dropna() if rows else pd.DataFrame(columns=["year", "a", "b", "distance"])
    return pos, dist


def ideal_section(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                  start: int = 1991) -> tuple[list[str], list, list[tuple[str, str]]]:
    """Findings, charts and an evidence table on positions and distances.

    Args:
        store: the store (read only: estimates come from ``dyadic ideal`` or the published release).
        a, b, c: the pair and the optional third party.
        names: code -> display name.
        start: first year shown.

    Returns:
        (findings, charts, tables); all empty when the store holds neither estimates nor the release.
    """
    codes = [x for x in (a, b, c) if x]
    pairs = [(a, b)] + ([(a, c), (b, c)] if c else [])
    if is_current(store, n_boot=None):
        pos, dist = positions(store, codes, start), dyad_distances(store, pairs, start)
        what = "dyadic's own estimates (dynamic ordinal IRT on UNGA votes), 90% bootstrap intervals"
        caption = ("Evidence: dyadic ideal points (dynamic ordinal IRT on UNGA votes; Voeten to 2019, UN Digital "
                   "Library from 2020) and dyad distances by year; table ideal_points, provenance in "
                   "ideal_points_runs")
    elif store.has_source(PUBLISHED):
        pos, dist = _published(store, codes, pairs, start)
        what = ("Bailey, Strezhnev & Voeten's published estimates (July 2025 release, final-passage votes), 90% "
                "posterior intervals; run 'dyadic ideal' to add dyadic's own")
        caption = ("Evidence: published ideal points (Bailey, Strezhnev & Voeten 2017, JCR 61(2); July 2025 "
                   "release; idealpointfp) and dyad distances by year; source unga_ideal_points_voeten")
    else:
        return [], [], []
    if pos.empty:
        return [], [], []
    dist["dyad"] = dist.a + "–" + dist.b
    last = int(pos.year.max())
    p = pos[pos.year == last].set_index("code")
    d = dist[dist.year == last].set_index("dyad")
    src = "ideal_points" if what.startswith("dyadic") else PUBLISHED

    def fmt(x: str) -> str:
        r, rows = p.loc[x], f"ideal points, {x}"
        return (f"{num(r.theta, 'sf2', 'ideal_point', src, last, rows)} [{num(r.lo, 'sf2', 'ideal_point_q5', src, last, rows)}, "
                f"{num(r.hi, 'sf2', 'ideal_point_q95', src, last, rows)}]")

    def gap(k: str) -> str:
        return num(d.loc[k].distance, "f2", "ideal_point_distance", src, last, f"ideal points, {k}")
    findings = [
        f"UN General Assembly ideal points in {last} (one dimension, USA at the positive end; {what}): "
        + "; ".join(f"{names[x]} {fmt(x)}" for x in codes if x in p.index) + ".",
    ]
    if c and len(d) == 3:
        pair = d.loc[f"{a}–{b}"].distance
        far = min(d.loc[f"{a}–{c}"].distance, d.loc[f"{b}–{c}"].distance)
        findings.append(
            f"Distance {names[a]}–{names[b]}: {gap(f'{a}–{b}')}; {names[a]}–{names[c]}: {gap(f'{a}–{c}')}; "
            f"{names[b]}–{names[c]}: {gap(f'{b}–{c}')}. The pair is "
            + (num(far / pair, "f1", "ideal_point_distance_ratio", src, last, f"ideal points, {a}–{b} vs {c}")
               if pair > 0 else "infinitely")
            + f" times closer to each other than the nearer partner "
            f"is to {names[c]}; which partner sits further from {names[c]} is "
            f"{names[a] if p.loc[a].theta < p.loc[b].theta else names[b]}.")
    pos["state"] = pos.code.map(names)
    base = alt.Chart(pos).encode(x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None),
                                 color=alt.Color("state:N", title=None, legend=alt.Legend(orient="bottom")))
    band = base.mark_area(opacity=0.2).encode(y=alt.Y("lo:Q", title="ideal point (USA positive)"), y2="hi:Q")
    chart = alt.layer(band, base.mark_line().encode(y="theta:Q")).properties(
        title="UNGA ideal points with 90% intervals", width=WIDTH, height=HEIGHT)
    dchart = alt.Chart(dist).mark_line().encode(
        x=alt.X("year:Q", axis=alt.Axis(format="d"), title=None), y=alt.Y("distance:Q", title="|Δ ideal point|"),
        color=alt.Color("dyad:N", title=None, legend=alt.Legend(orient="bottom"))).properties(
        title="Ideal-point distance of each dyad", width=WIDTH, height=HEIGHT)
    wide = pos.pivot(index="year", columns="code", values="theta").round(3)
    table = pd.concat([wide, dist.pivot(index="year", columns="dyad", values="distance").round(3)], axis=1)
    return findings, [chart, dchart], [(caption, table.reset_index().to_html(index=False, border=0,
                                                                            classes="evidence"))]
