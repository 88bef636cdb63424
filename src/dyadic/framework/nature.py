"""The nature of a relationship: a transparent classifier with named criteria, and the asymmetry index.

Labels, in priority order (``[nature]`` in ``data/drivers.toml``; docs/methods/nature.md):

- ``alliance``: a defence or offence pledge in force (ATOP, either side);
- ``entente``: non-aggression, neutrality or consultation pledges only;
- ``client``: extreme asymmetry of capability *and* of trade dependence, deference in UN votes (the weaker
  votes with the stronger where the stronger departs from the Assembly's majority), and no comparable
  alternative trade partner for the weaker side;
- ``strategic_partnership``: several drivers in the top decile of dyads, without a defence pledge;
- ``rivalry``: more conflictual than cooperative event coverage;
- ``ordinary``: none of the above.

Every criterion is True, False or unknown (its inputs are missing). A label holds when all its criteria
are True. The label of a year is the first that holds; it is *provisional* when a label before it is
unknown rather than ruled out, and those labels are named.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadic.framework.drivers import DRIVERS, DriverScores
from dyadic.store import Store

LABELS = ("alliance", "entente", "client", "strategic_partnership", "rivalry", "ordinary")


def _tv(x) -> bool | None:
    """Three-valued truth: None when unknown."""
    if x is None or (isinstance(x, float) and np.isnan(x)) or x is pd.NA:
        return None
    return bool(x)


def _and(*xs: bool | None) -> bool | None:
    if any(x is False for x in xs):
        return False
    if any(x is None for x in xs):
        return None
    return True


def _not(x: bool | None) -> bool | None:
    return None if x is None else not x


@dataclass
class Criterion:
    name: str
    holds: bool | None
    value: float | str | None
    threshold: str
    rule: str


def deference(store: Store, weak: str, strong: str) -> pd.DataFrame:
    """How often ``weak`` votes with ``strong`` on the roll calls where ``strong`` departs from the majority.

    The majority is the most common of yes / abstain / no among all states voting on the roll call.

    Returns:
        ``year, departs`` (roll calls where the stronger voted against the majority and the weaker voted)
        and ``follow`` (share of those where the weaker cast the same vote); years without such roll calls
        have no row.
    """
    from dyadic.indicators.unga import VoteSelection, selection_expr

    sel = VoteSelection()
    store.require(*{s for s, _, _ in sel.sources()})
    sql = str(store.ibis().compile(selection_expr(store, sel)))
    q = f"""WITH v AS ({sql}), c AS (SELECT rcid, vote, count(*) n FROM v WHERE vote IN (1, 2, 3) GROUP BY ALL),
            maj AS (SELECT rcid, arg_max(vote, n) mv FROM c GROUP BY rcid),
            s AS (SELECT v.year, v.rcid, v.vote FROM v JOIN maj USING (rcid)
                  WHERE v.code = $strong AND v.vote IN (1, 2, 3) AND v.vote <> maj.mv),
            w AS (SELECT rcid, vote FROM v WHERE code = $weak AND vote IN (1, 2, 3))
            SELECT s.year, count(*) AS departs, avg((w.vote = s.vote)::INT) AS follow
            FROM s JOIN w USING (rcid) GROUP BY s.year ORDER BY s.year"""
    return store.cached(("nature.deference", weak, strong),
                        lambda: store.con.execute(q, {"weak": weak, "strong": strong}).df())


def _stronger(row: pd.Series, a: str, b: str) -> tuple[str, str, float, str]:
    """(strong, weak, ratio, measure) by CINC, else GDP, else military spending."""
    for m in ("cinc", "gdp", "milex"):
        x, y = row.get(f"{m}_a"), row.get(f"{m}_b")
        if pd.notna(x) and pd.notna(y) and x > 0 and y > 0:
            x, y = float(x), float(y)
            return (row.a, row.b, x / y, m) if x >= y else (row.b, row.a, y / x, m)
    return a, b, float("nan"), ""


def _alternative(ds: DriverScores, weak: str, strong: str, year: int) -> tuple[float, str]:
    """Weaker side's trade with the stronger over its trade with its next-largest partner."""
    d = ds.data[(ds.data.year == year) & ((ds.data.a == weak) | (ds.data.b == weak))]
    d = d[d.trade.notna() & (d.trade > 0)] if "trade" in d else d.iloc[0:0]
    if d.empty:
        return float("nan"), ""
    partner = np.where(d.a == weak, d.b, d.a)
    t = pd.Series(d.trade.to_numpy(), index=partner)
    if strong not in t.index:
        return float("nan"), ""
    others = t.drop(strong)
    if others.empty:
        return float("inf"), ""
    return float(t[strong] / others.max()), str(others.idxmax())


def criteria(store: Store, ds: DriverScores, a: str, b: str, year: int) -> list[Criterion]:
    """Every criterion of the classifier for one pair in one year, with its value and threshold."""
    cfg = ds.config.nature
    rows = ds.rows(a, b)
    r = rows[rows.year == year]
    out: list[Criterion] = []
    if r.empty:
        row = pd.Series({"a": min(a, b), "b": max(a, b)})
    else:
        row = r.iloc[0]

    def num(c):
        v = row.get(c)
        return float(v) if v is not None and pd.notna(v) else float("nan")

    dfn, off = num("atop_defense"), num("atop_offense")
    pledge = None if np.isnan(dfn) or np.isnan(off) else bool(dfn or off)
    out.append(Criterion("defence_pledge", pledge, None if pledge is None else int(pledge), "= 1",
                         "ATOP defence or offence pledge in force, either side (ATOP to 2018)"))
    others = [num(c) for c in ("atop_nonagg", "atop_consult", "atop_neutral")]
    other = None if any(np.isnan(o) for o in others) else bool(max(others))
    out.append(Criterion("other_pledge", other, None if other is None else "+".join(
        n for n, o in zip(("nonagg", "consult", "neutral"), others) if o) or "none", "any",
        "ATOP non-aggression, consultation or neutrality pledge in force"))

    strong, weak, ratio, measure = _stronger(row, row.get("a", a), row.get("b", b))
    cap = None if np.isnan(ratio) else ratio >= cfg["client_capability_ratio"]
    out.append(Criterion("capability_asymmetry", cap, None if np.isnan(ratio) else round(ratio, 2),
                         f">= {cfg['client_capability_ratio']}",
                         f"stronger/weaker {measure or 'CINC'} ({strong} over {weak})"))
    dep_w = num("dep_a") if weak == row.get("a") else num("dep_b")
    dep_s = num("dep_b") if weak == row.get("a") else num("dep_a")
    if np.isnan(dep_w) or np.isnan(dep_s):
        dep = None
    else:
        dep = dep_w >= cfg["client_dependence_min"] and dep_w >= cfg["client_dependence_ratio"] * dep_s
    out.append(Criterion("dependence_asymmetry", dep,
                         None if dep is None else f"{dep_w:.3f} vs {dep_s:.3f}",
                         f"weaker >= {cfg['client_dependence_min']} and >= {cfg['client_dependence_ratio']}x stronger",
                         f"share of {weak}'s trade with {strong} vs share of {strong}'s with {weak}"))
    dfr = deference(store, weak, strong)
    hit = dfr[dfr.year == year]
    if hit.empty:
        defer, dv = None, None
    else:
        f = float(hit.follow.iloc[0])
        defer, dv = f >= cfg["client_deference_min"], f"{f:.3f} of {int(hit.departs.iloc[0])}"
    out.append(Criterion("deference", defer, dv, f">= {cfg['client_deference_min']}",
                         f"{weak} votes with {strong} where {strong} departs from the UNGA majority"))
    alt, nxt = _alternative(ds, weak, strong, year)
    noalt = None if np.isnan(alt) else alt >= cfg["client_alternative_ratio"]
    out.append(Criterion("no_alternative", noalt, None if np.isnan(alt) else f"{alt:.2f} (next: {nxt})",
                         f">= {cfg['client_alternative_ratio']}",
                         f"{weak}'s trade with {strong} over its trade with its next partner"))

    scores = {d: num(d) for d in DRIVERS}
    measured = [d for d, s in scores.items() if not np.isnan(s)]
    top = [d for d in measured if scores[d] >= cfg["sp_top_pct"]]
    if len(top) >= cfg["sp_min_top"]:
        sp = True
    elif len(measured) < cfg["sp_min_measured"]:
        sp = None
    else:
        sp = False
    out.append(Criterion("top_decile_drivers", sp, f"{len(top)} of {len(measured)} ({', '.join(top) or 'none'})",
                         f">= {cfg['sp_min_top']} at >= {cfg['sp_top_pct']}, of >= {cfg['sp_min_measured']} measured",
                         "drivers of cooperation in the top decile of dyads that year"))
    hs = num("ev_hostile_share")
    hostile = None if np.isnan(hs) else hs >= cfg["rivalry_hostile_share"]
    out.append(Criterion("hostile_events", hostile, None if np.isnan(hs) else round(hs, 3),
                         f">= {cfg['rivalry_hostile_share']}",
                         "conflictual share of the pair's GDELT daily-graph coverage (2018-2024)"))
    return out


def label_status(cr: dict[str, Criterion]) -> dict[str, bool | None]:
    """Whether each label's criteria all hold (three-valued)."""
    h = {k: v.holds for k, v in cr.items()}
    return {
        "alliance": h["defence_pledge"],
        "entente": _and(h["other_pledge"], _not(h["defence_pledge"])),
        "client": _and(h["capability_asymmetry"], h["dependence_asymmetry"], h["deference"], h["no_alternative"]),
        "strategic_partnership": _and(_not(h["defence_pledge"]), h["top_decile_drivers"]),
        "rivalry": h["hostile_events"],
        "ordinary": True,
    }


@dataclass
class Classification:
    year: int
    label: str
    provisional: bool
    undetermined_by: list[str]
    also: list[str]
    criteria: list[Criterion]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"year": self.year, "criterion": c.name,
                              "holds": "unknown" if c.holds is None else ("yes" if c.holds else "no"),
                              "value": "" if c.value is None else str(c.value), "threshold": c.threshold,
                              "rule": c.rule} for c in self.criteria])


def classify(store: Store, ds: DriverScores, a: str, b: str, year: int) -> Classification:
    """The label of a pair in a year, with every criterion behind it (see the module docs)."""
    cr = {c.name: c for c in criteria(store, ds, a, b, year)}
    status = label_status(cr)
    order = ds.config.nature.get("order", list(LABELS))
    unknown = []
    label = "ordinary"
    for name in order:
        s = status[name]
        if s is True:
            label = name
            break
        if s is None:
            unknown.append(name)
    also = [n for n in order if status[n] is True and n not in (label, "ordinary")]
    return Classification(year, label, bool(unknown), unknown, also, list(cr.values()))


def classify_years(store: Store, ds: DriverScores, a: str, b: str, start: int | None = None,
                   end: int | None = None) -> pd.DataFrame:
    """:func:`classify` for every year of the scores: ``year, label, provisional, undetermined_by, also``."""
    years = sorted(ds.rows(a, b).year.unique())
    years = [y for y in years if (start is None or y >= start) and (end is None or y <= end)]
    rows = []
    for y in years:
        c = classify(store, ds, a, b, int(y))
        rows.append({"year": int(y), "label": c.label, "provisional": c.provisional,
                     "undetermined_by": ", ".join(c.undetermined_by), "also": ", ".join(c.also)})
    return pd.DataFrame(rows)


def asymmetry(ds: DriverScores, a: str, b: str) -> pd.DataFrame:
    """The asymmetry index of a pair by year.

    Components (each in [0, 1], 0 = equal): ``cinc_gap``, ``gdp_gap``, ``milex_gap`` = |x_a - x_b| / (x_a + x_b)
    and ``dep_gap`` = |dep_a - dep_b|. ``index`` is the mean of the three capability gaps, missing unless all
    three are present (dependence is
    shown beside it: COW trade stops in 2014, and mixing it in would make the index jump when it does).

    Returns:
        ``year, stronger, cinc_gap, gdp_gap, milex_gap, index, dep_gap``.
    """
    r = ds.rows(a, b).sort_values("year")
    out = pd.DataFrame({"year": r.year.astype(int).to_numpy()})
    for m in ("cinc", "gdp", "milex"):
        x, y = pd.to_numeric(r[f"{m}_a"]).to_numpy(float), pd.to_numeric(r[f"{m}_b"]).to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[f"{m}_gap"] = np.abs(x - y) / (x + y)
    # Only years with all three: an index whose composition changes with coverage would move for no reason.
    out["index"] = out[["cinc_gap", "gdp_gap", "milex_gap"]].mean(axis=1, skipna=False)
    out["dep_gap"] = np.abs(pd.to_numeric(r.dep_a).to_numpy(float) - pd.to_numeric(r.dep_b).to_numpy(float)) \
        if "dep_a" in r else np.nan
    strong = []
    for _, row in r.iterrows():
        s, _w, _r, _m = _stronger(row, row.a, row.b)
        strong.append(s if _m else "")
    out.insert(1, "stronger", strong)
    return out


def widening(asym: pd.DataFrame, window: int, slope_min: float, column: str = "index") -> dict:
    """Whether the asymmetry is widening: the least-squares slope of ``column`` over its last ``window`` years.

    Returns:
        ``{"years": (first, last), "slope": per year, "verdict": widening | narrowing | flat | unknown}``.
    """
    s = asym[["year", column]].dropna().tail(window)
    if len(s) < max(3, window // 2):
        return {"years": None, "slope": float("nan"), "verdict": "unknown"}
    slope = float(np.polyfit(s.year.to_numpy(float), s[column].to_numpy(float), 1)[0])
    verdict = "widening" if slope > slope_min else ("narrowing" if slope < -slope_min else "flat")
    return {"years": (int(s.year.iloc[0]), int(s.year.iloc[-1])), "slope": slope, "verdict": verdict}
