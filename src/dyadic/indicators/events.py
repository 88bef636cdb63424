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


def period_start(col, freq: str):
    """The first day of the month or year of the date expression ``col``, on any engine."""
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


def count_columns() -> list[str]:
    """The count indicators (0 in a covered period without events): ``events``, ``q1``..``q4``, the families."""
    return ["events", *QUADS.values(), *families()]


def period_counts(ev: ibis.Table, freq: str = "month", family: str | None = None) -> ibis.Table:
    """Counts, ``net_coop`` and the means by directed dyad and period (one row per dyad-period with an event).

    Args:
        ev: events (``src``, ``tgt``, ``added``, ``cameo``, ``quad_class``, ``goldstein``, ``tone``).
        freq: ``month`` or ``year``.
        family: keep only events of this CAMEO family.
    """
    fams = families()
    if family is not None and family not in fams:
        raise RequestError(f"unknown family '{family}'; known: {', '.join(fams)}")
    if family:
        ev = ev.filter(_in_family(ev.cameo, fams[family]))
    ev = ev.mutate(period=period_start(ev.added, freq))
    counts = {"events": ev.count()}
    counts.update({name: (ev.quad_class == q).cast("int64").sum() for q, name in QUADS.items()})
    counts.update({f: _in_family(ev.cameo, p).cast("int64").sum() for f, p in fams.items()})
    return ev.group_by(["src", "tgt", "period"]).aggregate(
        **counts, net_coop=ev.goldstein.sum(), goldstein_mean=ev.goldstein.mean(), tone_mean=ev.tone.mean())


def per_volume(t: ibis.Table, vol: ibis.Table, freq: str = "month") -> ibis.Table:
    """``t`` (``src, tgt, period`` + the counts and ``net_coop``) with each state's volume in the period,
    ``vol_src`` and ``vol_tgt``, and every count and ``net_coop`` per 1,000 of them (``<m>_per_k_src``,
    ``<m>_per_k_tgt``; missing where the volume is).

    Args:
        vol: volume (``code``, ``month``, ``events``).
    """
    vol = vol.mutate(period=period_start(vol.month, freq)).group_by(["code", "period"]).aggregate(vol=vol.events.sum())
    vs = vol.rename(vol_src="vol", src="code")
    vt = vol.rename(vol_tgt="vol", tgt="code")
    out = t.left_join(vs, ["src", "period"]).select(~s.endswith("_right"))
    out = out.left_join(vt, ["tgt", "period"]).select(~s.endswith("_right"))
    norm = {}
    for m in [*count_columns(), "net_coop"]:
        norm[f"{m}_per_k_src"] = 1000 * out[m] / out.vol_src
        norm[f"{m}_per_k_tgt"] = 1000 * out[m] / out.vol_tgt
    return out.mutate(**norm)


def period_indicators(ev: ibis.Table, vol: ibis.Table, freq: str = "month", family: str | None = None) -> ibis.Table:
    """The dyad-period indicators from canonical ``events`` and ``event_volume`` tables, on any engine:
    :func:`period_counts` normalised by :func:`per_volume`.

    Args:
        ev: events (``src``, ``tgt``, ``added``, ``cameo``, ``quad_class``, ``goldstein``, ``tone``).
        vol: volume (``code``, ``month``, ``events``).
        freq: ``month`` or ``year``.
        family: keep only events of this CAMEO family.

    Returns:
        One row per directed dyad and period with at least one event.
    """
    return per_volume(period_counts(ev, freq, family), vol, freq)


def _graph_days(con, freq: str) -> ibis.Table:
    """Covered days of the daily graph per period (``period``, ``days``)."""
    days = con.table("event_coverage").filter(ibis._.source == GRAPH)
    return days.mutate(period=period_start(days.day, freq)).group_by("period").aggregate(days=days.day.nunique())


def graph_periods(store: Store, freq: str = "month") -> ibis.Table:
    """Dyad-period indicators from the daily country graph, for all pairs (sparse, ``a < b``)."""
    store.require(GRAPH)
    con = store.ibis()
    g = con.table("event_graph_daily").filter(ibis._.source == GRAPH)
    g = g.mutate(period=period_start(g.date, freq))
    agg = g.group_by(["a", "b", "period"]).aggregate(
        score=g.score.sum(), coop=ibis.greatest(g.score, 0).sum(), conflict=ibis.least(g.score, 0).sum(),
        days_negative=(g.score < 0).cast("int64").sum(), days_with_score=g.count())
    both = g.select(code=g.a, period=g.period, s=g.score.abs()).union(
        g.select(code=g.b, period=g.period, s=g.score.abs()), distinct=False)
    tot = both.group_by(["code", "period"]).aggregate(total=both.s.sum())
    out = agg.inner_join(_graph_days(con, freq), "period").select(~s.endswith("_right"))
    out = out.left_join(tot.rename(total_a="total", a="code"), ["a", "period"]).select(~s.endswith("_right"))
    out = out.left_join(tot.rename(total_b="total", b="code"), ["b", "period"]).select(~s.endswith("_right"))
    return _per_day(out).mutate(score_per_k_a=1000 * out.score / out.total_a,
                                score_per_k_b=1000 * out.score / out.total_b)


def _per_day(t: ibis.Table) -> ibis.Table:
    return t.mutate(score_day=t.score / t.days)


#: the graph's sums (0 in a covered period without a score)
GRAPH_SUMS = ["score", "coop", "conflict", "days_negative", "days_with_score"]


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
    """The periods with at least one covered day, ascending (by :func:`period_start`, as the indicators)."""
    cov = store.ibis().table("event_coverage").filter(ibis._.source == source)
    return pd.to_datetime(cov.select(p=period_start(cov.day, freq)).distinct().order_by("p").execute().p)


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

    The expressions of :func:`period_indicators` (or :func:`graph_periods`) over the pair's rows, put on a
    grid of both directions and every period: the counts are 0 in a covered period without events before they
    are normalised, by the same :func:`per_volume` rule.

    Returns:
        One row per direction (``a→b``, ``b→a``) and period; NA where no file covered the period, zeros
        where files covered it and the pair had no event.
    """
    # A brief asks for the same pair's series several times (events, shocks, drivers); building and
    # compiling the expression costs ~0.4 s, the frame is small: remember it, hand out copies.
    key = ("events.pair_series", a, b, start, end, freq, family, source)
    return store.cached(key, lambda: _pair_series(store, a, b, start, end, freq, family, source)).copy()


def _pair_series(store: Store, a: str, b: str, start: str | None, end: str | None, freq: str,
                 family: str | None, source: str) -> pd.DataFrame:
    src = resolve_source(store, source)
    covered = _covered_periods(store, src, freq)
    grid = _grid(start, end, covered, freq)
    if src == GRAPH and family:
        raise RequestError("the daily country graph has no CAMEO codes: --family needs raw events")
    frame = pd.DataFrame({"src": [a] * len(grid) + [b] * len(grid), "tgt": [b] * len(grid) + [a] * len(grid),
                          "period": pd.DatetimeIndex([*grid, *grid])})
    frame = frame.assign(period=frame.period.dt.date, covered=frame.period.isin(set(covered)))
    f = ibis.memtable(frame, schema={"src": "string", "tgt": "string", "period": "date", "covered": "boolean"})
    con = store.ibis()
    if src == GRAPH:
        lo, hi = sorted([a, b])
        t = graph_periods(store, freq)
        t = t.filter((t.a == lo) & (t.b == hi))
        first = f.src == lo  # the a < b row's ``_a`` side is this direction's source
        j = f.left_join(t, f.period == t.period)
        j = j.select(f.src, f.tgt, f.period, f.covered, *GRAPH_SUMS,
                     score_per_k_src=ibis.ifelse(first, j.score_per_k_a, j.score_per_k_b),
                     score_per_k_tgt=ibis.ifelse(first, j.score_per_k_b, j.score_per_k_a))
        j = _zero_where_covered(j, GRAPH_SUMS)
        out = _per_day(j.left_join(_graph_days(con, freq), "period").select(~s.endswith("_right")))
        cols = [*GRAPH_SUMS, "score_day", "score_per_k_src", "score_per_k_tgt", "days"]
    else:
        ev = con.table("events")
        ev = ev.filter((ev.source == src) & (((ev.src == a) & (ev.tgt == b)) | ((ev.src == b) & (ev.tgt == a))))
        t = period_counts(ev, freq, family)
        j = f.left_join(t, ["src", "tgt", "period"]).select(~s.endswith("_right"))
        j = _zero_where_covered(j, [*count_columns(), "net_coop"])
        vol = con.table("event_volume")
        out = per_volume(j, vol.filter((vol.source == src) & vol.code.isin([a, b])), freq)
        cols = [c for c in out.columns if c not in ("src", "tgt", "period", "covered")]
    df = out.execute()
    if src == GRAPH:  # no covered day at all comes back as Nones: numbers, as when some are
        df["days"] = pd.to_numeric(df["days"])
    df["direction"] = df.src + "→" + df.tgt
    df["period"] = pd.to_datetime(df.period)
    df = frame[["src", "tgt"]].assign(period=pd.to_datetime(frame.period)).merge(df, on=["src", "tgt", "period"])
    # Nullable floats where a covered period reads 0 (and what is computed from them), as before.
    filled = [*GRAPH_SUMS, "score_day"] if src == GRAPH else [c for c in cols if c not in ("goldstein_mean",
                                                                                          "tone_mean")]
    for c in filled:
        df[c] = df[c].astype("Int64" if c in ("vol_src", "vol_tgt") else "Float64")
    df["period"] = df.period.dt.strftime("%Y-%m" if freq == "month" else "%Y")
    return df.assign(source=src)[["direction", "period", "source", *cols]]


def _zero_where_covered(t: ibis.Table, cols: list[str]) -> ibis.Table:
    """The sums ``cols`` as doubles, 0 where the period is covered and the pair had no row."""
    return t.mutate(**{c: ibis.ifelse(t.covered & t[c].isnull(), 0.0, t[c].cast("float64")) for c in cols})
