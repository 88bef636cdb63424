"""Event indicators by directed dyad and month or year, as Ibis expressions (DuckDB here, Spark later).

From raw events (``events`` table, any GDELT source), for source state ``src`` acting on target ``tgt``
in a period (by the day GDELT published the event, ``added``; see docs/indicators/events.md):

- ``events``; ``q1``..``q4``: counts by QuadClass (verbal cooperation, material cooperation, verbal
  conflict, material conflict); one count per CAMEO family of ``data/cameo_families.csv``.
- ``net_coop``: Goldstein-weighted net cooperation, the sum of the events' Goldstein scores.
- ``goldstein_mean``, ``tone_mean``: mean Goldstein score and mean AvgTone.
- ``vol_src``, ``vol_tgt``: each state's total event volume in the period (events with it as either
  actor, any counterpart), and every count and ``net_coop`` per 1,000 of those: ``<m>_per_k_src``,
  ``<m>_per_k_tgt``. Media volume grows over time, so raw counts mislead.

From the daily country graph (``event_graph_daily``, undirected): ``score`` (sum of daily scores),
``score_day`` (per covered day), ``coop`` and ``conflict`` (sums of the positive and of the negative
daily scores), ``days_negative``, and ``score_per_k_a`` / ``_b`` against each state's total absolute
score with all partners.

Periods with no covered day are missing; covered periods without events are 0 (``pair_series`` fills
both). The all-dyad expressions are sparse: only dyad-periods with at least one event.
"""

from __future__ import annotations

from functools import lru_cache

import ibis
import ibis.selectors as s
import pandas as pd

from dyadic.errors import NotIngestedError, RequestError
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

GRAPH = "gdelt_daily_country_graph"
QUADS = {1: "q1", 2: "q2", 3: "q3", 4: "q4"}
QUAD_NAMES = {"q1": "verbal cooperation", "q2": "material cooperation", "q3": "verbal conflict",
              "q4": "material conflict"}


@lru_cache(maxsize=1)
def families(scheme: str = "cameo") -> dict[str, tuple[str, ...]]:
    """Family name -> CAMEO code prefixes, from ``data/cameo_families.csv``."""
    f = packaged_csv("cameo_families.csv")
    f = f[f.scheme == scheme]
    return {name: tuple(g.prefix) for name, g in f.groupby("family", sort=False)}


def cameo_table() -> pd.DataFrame:
    """The CAMEO event codes with names, QuadClass and Goldstein weights (``data/cameo.csv``)."""
    t = packaged_csv("cameo.csv")
    return t.assign(quad_class=t.quad_class.astype(int), goldstein=t.goldstein.astype(float))


def _period(col, freq: str):
    if freq not in ("month", "year"):
        raise RequestError(f"freq must be month or year, not '{freq}'")
    # Built from its parts rather than truncated: Spark's date_trunc returns a timestamp that Ibis takes
    # for a date, so the period would leave Spark with a time zone attached.
    return ibis.date(col.year(), col.month() if freq == "month" else 1, 1)


def _in_family(cameo, prefixes):
    return ibis.or_(*[cameo.startswith(p) for p in prefixes])


def dyad_periods(store: Store, source: str, freq: str = "month", family: str | None = None) -> ibis.Table:
    """Directed dyad-period event indicators of one events source, for all dyads (sparse)."""
    store.require(source)
    con = store.ibis()
    return period_indicators(con.table("events").filter(ibis._.source == source),
                             con.table("event_volume").filter(ibis._.source == source), freq, family)


def period_indicators(ev: ibis.Table, vol: ibis.Table, freq: str = "month", family: str | None = None) -> ibis.Table:
    """The dyad-period indicators from canonical ``events`` and ``event_volume`` tables, on any engine.

    Args:
        ev: events (``src``, ``tgt``, ``added``, ``cameo``, ``quad_class``, ``goldstein``, ``tone``).
        vol: volume (``code``, ``month``, ``events``).
        freq: ``month`` or ``year``.
        family: keep only events of this CAMEO family.

    Returns:
        One row per directed dyad and period with at least one event.
    """
    fams = families()
    if family is not None and family not in fams:
        raise RequestError(f"unknown family '{family}'; known: {', '.join(fams)}")
    if family:
        ev = ev.filter(_in_family(ev.cameo, fams[family]))
    ev = ev.mutate(period=_period(ev.added, freq))
    counts = {"events": ev.count()}
    counts.update({name: (ev.quad_class == q).cast("int64").sum() for q, name in QUADS.items()})
    counts.update({f: _in_family(ev.cameo, p).cast("int64").sum() for f, p in fams.items()})
    agg = ev.group_by(["src", "tgt", "period"]).aggregate(
        **counts, net_coop=ev.goldstein.sum(), goldstein_mean=ev.goldstein.mean(), tone_mean=ev.tone.mean())
    vol = vol.mutate(period=_period(vol.month, freq)).group_by(["code", "period"]).aggregate(vol=vol.events.sum())
    vs = vol.rename(vol_src="vol", src="code")
    vt = vol.rename(vol_tgt="vol", tgt="code")
    out = agg.left_join(vs, ["src", "period"]).select(~s.endswith("_right"))
    out = out.left_join(vt, ["tgt", "period"]).select(~s.endswith("_right"))
    norm = {}
    for m in [*counts, "net_coop"]:
        norm[f"{m}_per_k_src"] = 1000 * out[m] / out.vol_src
        norm[f"{m}_per_k_tgt"] = 1000 * out[m] / out.vol_tgt
    return out.mutate(**norm)


def graph_periods(store: Store, freq: str = "month") -> ibis.Table:
    """Dyad-period indicators from the daily country graph, for all pairs (sparse, ``a < b``)."""
    store.require(GRAPH)
    con = store.ibis()
    g = con.table("event_graph_daily").filter(ibis._.source == GRAPH)
    g = g.mutate(period=_period(g.date, freq))
    days = con.table("event_coverage").filter(ibis._.source == GRAPH)
    days = days.mutate(period=_period(days.day, freq)).group_by("period").aggregate(days=days.day.nunique())
    agg = g.group_by(["a", "b", "period"]).aggregate(
        score=g.score.sum(), coop=ibis.greatest(g.score, 0).sum(), conflict=ibis.least(g.score, 0).sum(),
        days_negative=(g.score < 0).cast("int64").sum(), days_with_score=g.count())
    both = g.select(code=g.a, period=g.period, s=g.score.abs()).union(
        g.select(code=g.b, period=g.period, s=g.score.abs()), distinct=False)
    tot = both.group_by(["code", "period"]).aggregate(total=both.s.sum())
    out = agg.inner_join(days, "period").select(~s.endswith("_right"))
    out = out.left_join(tot.rename(total_a="total", a="code"), ["a", "period"]).select(~s.endswith("_right"))
    out = out.left_join(tot.rename(total_b="total", b="code"), ["b", "period"]).select(~s.endswith("_right"))
    return out.mutate(score_day=out.score / out.days, score_per_k_a=1000 * out.score / out.total_a,
                      score_per_k_b=1000 * out.score / out.total_b)


def _grid(start: str | None, end: str | None, covered: pd.Series, freq: str) -> pd.DatetimeIndex:
    if covered.empty:
        return pd.DatetimeIndex([])
    lo = pd.Timestamp(start) if start else covered.min()
    hi = pd.Timestamp(end) if end else covered.max()
    if lo > hi:
        raise RequestError(f"start {start} is after end {end}")
    f = "MS" if freq == "month" else "YS"
    return pd.date_range(lo.to_period("M" if freq == "month" else "Y").start_time, hi, freq=f)


def _covered_periods(store: Store, source: str, freq: str) -> pd.Series:
    unit = "month" if freq == "month" else "year"
    q = f"SELECT DISTINCT date_trunc('{unit}', day)::DATE AS p FROM event_coverage WHERE source = ? ORDER BY 1"
    return pd.to_datetime(store.con.execute(q, [source]).df().p)


def resolve_source(store: Store, source: str) -> str:
    """``auto``: raw events when some events source is ingested, else the daily graph."""
    if source == "graph":
        return GRAPH
    if source != "auto":
        store.require(source)
        return source
    if store.has_table("events"):
        names = [r[0] for r in store.con.execute("SELECT DISTINCT source FROM events").fetchall()]
        big = [n for n in names if n != "gdelt_raw_samples"]
        if big:
            return big[0]
    if store.has_source(GRAPH):
        return GRAPH
    raise NotIngestedError("no event data in the store: run 'dyadic ingest gdelt_daily_country_graph' or "
                           "'dyadic gdelt ingest FILES' first.")


def pair_series(store: Store, a: str, b: str, start: str | None = None, end: str | None = None, *,
                freq: str = "month", family: str | None = None, source: str = "auto") -> pd.DataFrame:
    """Indicators of one pair for every period in [start, end], both directions.

    Returns:
        One row per direction (``a→b``, ``b→a``) and period; NA where no file covered the period, zeros
        where files covered it and the pair had no event.
    """
    src = resolve_source(store, source)
    covered = _covered_periods(store, src, freq)
    grid = _grid(start, end, covered, freq)
    if src == GRAPH:
        if family:
            raise RequestError("the daily country graph has no CAMEO codes: --family needs raw events")
        lo, hi = sorted([a, b])
        t = graph_periods(store, freq)
        df = t.filter((t.a == lo) & (t.b == hi)).execute()
        rows = []
        for x, y in ((a, b), (b, a)):
            d = df.copy()
            d["src"], d["tgt"] = x, y
            d["score_per_k_src"] = d.score_per_k_a if x == lo else d.score_per_k_b
            d["score_per_k_tgt"] = d.score_per_k_b if x == lo else d.score_per_k_a
            rows.append(d.drop(columns=["a", "b", "score_per_k_a", "score_per_k_b", "total_a", "total_b"]))
        df = pd.concat(rows, ignore_index=True)
        zero_cols = ["score", "coop", "conflict", "days_negative", "days_with_score"]
    else:
        t = dyad_periods(store, src, freq, family)
        df = t.filter(((t.src == a) & (t.tgt == b)) | ((t.src == b) & (t.tgt == a))).execute()
        zero_cols = ["events", *QUADS.values(), *families(), "net_coop"]
    df["period"] = pd.to_datetime(df["period"])
    frame = pd.MultiIndex.from_product([[f"{a}→{b}", f"{b}→{a}"], grid], names=["direction", "period"]).to_frame(index=False)
    df["direction"] = df.src + "→" + df.tgt
    out = frame.merge(df.drop(columns=["src", "tgt"]), on=["direction", "period"], how="left")
    is_cov = out.period.isin(set(covered))
    for c in zero_cols:
        out[c] = out[c].astype("Float64").mask(is_cov & out[c].isna(), 0)
    if src == GRAPH:
        days = store.con.execute(
            f"SELECT date_trunc('{'month' if freq == 'month' else 'year'}', day)::DATE p, count(*) d FROM "
            "event_coverage WHERE source = ? GROUP BY 1", [GRAPH]).df()
        out = out.drop(columns=["days"]).merge(days.assign(p=pd.to_datetime(days.p)).rename(
            columns={"p": "period", "d": "days"}), on="period", how="left")
        out["score_day"] = out.score / out.days
    else:
        vol = store.con.execute(
            f"SELECT date_trunc('{'month' if freq == 'month' else 'year'}', month)::DATE p, code, sum(events) v "
            "FROM event_volume WHERE source = ? AND code IN (?, ?) GROUP BY ALL", [src, a, b]).df()
        vol["p"] = pd.to_datetime(vol.p)
        v = vol.set_index(["code", "p"]).v
        srcs = out.direction.str.split("→").str[0]
        tgts = out.direction.str.split("→").str[1]
        out["vol_src"] = [v.get((s, p), pd.NA) for s, p in zip(srcs, out.period)]
        out["vol_tgt"] = [v.get((s, p), pd.NA) for s, p in zip(tgts, out.period)]
        for m in zero_cols:
            for side in ("src", "tgt"):
                out[f"{m}_per_k_{side}"] = (1000 * out[m] / out[f"vol_{side}"].astype("Float64"))
    out.insert(2, "source", src)
    out["period"] = out.period.dt.strftime("%Y-%m" if freq == "month" else "%Y")
    return out
