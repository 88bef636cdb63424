"""The nature of a relationship: a transparent classifier with named criteria, and the asymmetry index.

Labels, in priority order (``[nature]`` in ``data/drivers.toml``; docs/methods/nature.md):

- ``alliance``: a defence or offence pledge in force, either side (obligations: ATOP member spells carried
  past 2018 plus cited later treaties; a pledge shared only through multilateral instruments weighs less);
- ``rivalry``: a Thompson-Dreyer strategic rivalry (carried past 2010 when ongoing), recurrent militarized
  disputes (MIDs), or more conflictual than cooperative event coverage;
- ``entente``: non-aggression, neutrality or consultation pledges only, shared through a bilateral instrument;
- ``client``: extreme asymmetry of capability *and* of trade dependence, deference in UN votes (the weaker
  votes with the stronger where the stronger departs from the Assembly's majority), and no comparable
  alternative trade partner for the weaker side;
- ``strategic_partnership``: several drivers in the top decile of dyads, without a defence pledge;
- ``ordinary``: none of the above, every one of them ruled out;
- ``undetermined``: none holds and some cannot be decided because their inputs are not measured that year.

Every criterion is True, False or unknown (its inputs are missing). A label holds when all its criteria
are True. The label of a year is the first that holds; it is *provisional* when a label before it is
unknown rather than ruled out, and those labels are named. Each verdict says what it rests on and as of when.
Without the obligation or conflict sources the classifier falls back to ATOP's dyad-years and event coverage
and says which ingest would improve the answer (:func:`missing_inputs`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dyadic.dyad import pair_rows, year_rows
from dyadic.errors import NotIngestedError
from dyadic.framework import shared
from dyadic.framework.drivers import DRIVERS, GRAPH, DriverScores, compute_drivers
from dyadic.indicators import conflict, obligations
from dyadic.store import Store

ORDER = ("alliance", "rivalry", "entente", "client", "strategic_partnership", "ordinary")
UNDETERMINED = "undetermined"
LABELS = (*ORDER, UNDETERMINED)
OBLIGATION_SOURCES = (obligations.LEVELS, obligations.CURATED)
#: the criteria each label reads (for the reason a label cannot be decided and what a verdict rests on)
LABEL_CRITERIA = {
    "alliance": ("defence_pledge",),
    "rivalry": ("strategic_rivalry", "recurrent_disputes", "hostile_events"),
    "entente": ("other_pledge", "defence_pledge"),
    "client": ("capability_asymmetry", "dependence_asymmetry", "deference", "no_alternative"),
    "strategic_partnership": ("top_decile_drivers", "defence_pledge"),
    "ordinary": (),
}


#: memo keys of the all-dyad tables the classifier reads (this question's shared products)
OBLIGATIONS_KEY, RIVALRIES_KEY, MIDS_KEY = "nature.obligations", "nature.rivalries", "nature.mids"
GRAPH_YEARS_KEY = "nature.graph_years"


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


def _any(*xs: bool | None) -> bool | None:
    if any(x is True for x in xs):
        return True
    if xs and all(x is False for x in xs):
        return False
    return None


@dataclass
class Criterion:
    """One criterion of one pair-year.

    ``basis`` says what the value stands on (or why it is unknown) and ``as_of`` the year of that evidence.
    ``measured`` is False when the criterion's source is not ingested or does not reach the year; a rivalry
    criterion that is not measured is left out of the rivalry rule instead of making it unknown.
    """

    name: str
    holds: bool | None
    value: float | str | None
    threshold: str
    rule: str
    basis: str = ""
    as_of: int | None = None
    measured: bool = True

    def describe(self) -> str:
        when = f" (as of {self.as_of})" if self.as_of is not None else ""
        return f"{self.basis or f'{self.name} = {self.value}'}{when}"


def deference(store: Store, weak: str, strong: str) -> pd.DataFrame:
    """How often ``weak`` votes with ``strong`` on the roll calls where ``strong`` departs from the majority.

    The majority is the most common of yes / abstain / no among all states voting on the roll call.

    Returns:
        ``year, departs`` (roll calls where the stronger voted against the majority and the weaker voted)
        and ``follow`` (share of those where the weaker cast the same vote); years without such roll calls
        have no row.
    """
    from dyadic.indicators.unga import VoteSelection

    sel = VoteSelection()
    store.require(*{s for s, _, _ in sel.sources()})
    return store.cached(("nature.deference", weak, strong), lambda: _deference(store, sel, weak, strong))


def _deference(store: Store, sel, weak: str, strong: str) -> pd.DataFrame:
    from dyadic.indicators.unga import selection_expr

    # Compiling the selection costs about a second; classify() asks for every year, so it runs once a pair.
    sql = str(store.ibis().compile(selection_expr(store, sel)))
    q = f"""WITH v AS ({sql}), c AS (SELECT rcid, vote, count(*) n FROM v WHERE vote IN (1, 2, 3) GROUP BY ALL),
            maj AS (SELECT rcid, arg_max(vote, n) mv FROM c GROUP BY rcid),
            s AS (SELECT v.year, v.rcid, v.vote FROM v JOIN maj USING (rcid)
                  WHERE v.code = $strong AND v.vote IN (1, 2, 3) AND v.vote <> maj.mv),
            w AS (SELECT rcid, vote FROM v WHERE code = $weak AND vote IN (1, 2, 3))
            SELECT s.year, count(*) AS departs, avg((w.vote = s.vote)::INT) AS follow
            FROM s JOIN w USING (rcid) GROUP BY s.year ORDER BY s.year"""
    return store.con.execute(q, {"weak": weak, "strong": strong}).df()


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
    if "trade" not in ds.data:
        return float("nan"), ""
    d = year_rows(ds.data, year, ["a", "b", "trade"])
    d = d[((d.a == weak) | (d.b == weak)) & d.trade.notna() & (d.trade > 0)]
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


def _span(ds: DriverScores, year: int) -> tuple[int, int]:
    """The years the scores cover (and ``year``): the range the pair-independent tables are built for once."""
    ys = ds.data.year
    return (min(int(ys.min()), year), max(int(ys.max()), year)) if len(ys) else (year, year)


def _obligation_table(store: Store, span: tuple[int, int]) -> pd.DataFrame:
    """Every dyad-year's pledges over ``span`` (carried past ATOP's end), indexed for look-ups."""
    def build() -> pd.DataFrame:
        d = obligations.all_dyad_obligations(store, *span)
        return d[d.year.between(*span)].set_index(["a", "b", "year"]).sort_index()

    return store.cached((OBLIGATIONS_KEY, *span), build)


def _rivalry_table(store: Store, span: tuple[int, int]) -> pd.DataFrame:
    """Every rivalry dyad-year over ``span`` (the last state carried to its end), indexed for look-ups."""
    return store.cached((RIVALRIES_KEY, *span), lambda: conflict.rivalry_dyad_years(
        store, *span, carry_to=span[1]).set_index(["a", "b", "year"]).sort_index())


def _mid_table(store: Store, dataset: str) -> pd.DataFrame:
    """Every directed dyad-year with a militarized dispute ongoing."""
    return store.cached((MIDS_KEY, dataset), lambda: conflict.mid_dyad_years(store, dataset))


@shared("nature", OBLIGATIONS_KEY, RIVALRIES_KEY, MIDS_KEY, GRAPH_YEARS_KEY, after=("drivers",))
def prepare(store: Store) -> None:
    """The all-dyad tables :func:`classify` reads, for the default driver scores' years."""
    ds = compute_drivers(store)
    if not len(ds.data):
        return
    span = _span(ds, int(ds.data.year.max()))
    if store.has_source(obligations.LEVELS) and store.has_source(obligations.CURATED):
        _obligation_table(store, span)
    if store.has_source(conflict.RIVALRIES):
        _rivalry_table(store, span)
    if store.has_source(conflict.MIDS):
        _mid_table(store, ds.config.nature["rivalry_mid_dataset"])
    _graph_covers(store, span[1])


def _graph_covers(store: Store, year: int) -> bool:
    from dyadic.framework.drivers import _graph_years

    if not store.has_source(GRAPH):
        return False
    span = store.cached((GRAPH_YEARS_KEY,), lambda: _graph_years(store))
    return span is not None and span[0] <= year <= span[1]


def _lookup(table: pd.DataFrame, a: str, b: str, year: int) -> pd.Series | None:
    try:
        return table.loc[(a, b, year)]
    except KeyError:
        return None


def _flag(row: pd.Series, *cols: str) -> bool | None:
    """Any of the 0/1 columns set; unknown when none is set and some is missing."""
    vals = [row[c] for c in cols]
    if any(v is not pd.NA and pd.notna(v) and v == 1 for v in vals):
        return True
    return None if any(v is pd.NA or pd.isna(v) for v in vals) else False


def _pledge_basis(kind: str, basis: str) -> str:
    """"defence pledge in force at ATOP's last year (2018), ..." / "defence pledge (curated: <treaty>)"."""
    return "; ".join(f"{kind} {part}" if part.startswith("in force") else f"{kind} ({part})"
                     for part in basis.split("; "))


def _pledges(store: Store, cfg: dict, span: tuple[int, int], a: str, b: str, year: int) -> list[Criterion]:
    """``defence_pledge`` and ``other_pledge`` from the obligations indicator (carried past ATOP's last year).

    Weight rule (``[nature]``): a pledge shared through a bilateral instrument weighs 1, one shared only
    through multilateral instruments ``multilateral_weight``; an alliance needs ``alliance_min_weight``, an
    entente ``entente_min_weight``. Bilateral is the dyad-year's flag (some shared instrument is bilateral).
    """
    table = _obligation_table(store, span)
    first, last = obligations.atop_years(store)
    row = _lookup(table, a, b, year)
    rules = ((f"defence or offence pledge in force, either side (ATOP member spells, carried past {last}, "
              "and cited later treaties)"),
             "non-aggression, consultation or neutrality pledge in force, through a bilateral instrument")
    if row is None:
        if first <= year <= last:  # ATOP reports no shared instrument
            return [Criterion("defence_pledge", False, 0, "= 1", rules[0], "no shared alliance (ATOP 5.1)", year),
                    Criterion("other_pledge", False, "none", "any", rules[1], "no shared alliance (ATOP 5.1)", year)]
        why = (f"not measured: no carried or cited instrument after ATOP's last year ({last})" if year > last
               else f"not measured: ATOP starts in {first}")
        return [Criterion("defence_pledge", None, None, "= 1", rules[0], why, measured=False),
                Criterion("other_pledge", None, None, "any", rules[1], why, measured=False)]
    bilateral = row["bilateral"] == 1
    weight = 1.0 if bilateral else float(cfg["multilateral_weight"])
    reach = "bilateral" if bilateral else "multilateral only"
    as_of = int(row["as_of"])
    dfn = _flag(row, "defense", "offense")
    held = [p for p in ("nonagg", "consult", "neutral") if _flag(row, p)]
    other = _flag(row, "nonagg", "consult", "neutral")
    return [
        Criterion("defence_pledge", None if dfn is None else dfn and weight >= cfg["alliance_min_weight"],
                  None if dfn is None else f"{int(dfn)} ({reach}, weight {weight:g})",
                  f"= 1 at weight >= {cfg['alliance_min_weight']:g}", rules[0],
                  _pledge_basis("defence pledge" if dfn else "no defence pledge", row["basis"]), as_of),
        Criterion("other_pledge", None if other is None else other and weight >= cfg["entente_min_weight"],
                  None if other is None else "+".join(held) + f" ({reach}, weight {weight:g})" if held
                  else "none", f"any at weight >= {cfg['entente_min_weight']:g}", rules[1],
                  _pledge_basis("+".join(held) or "no other pledge", row["basis"]), as_of),
    ]


def _atop_pledges(num) -> list[Criterion]:
    """The fallback: ATOP's dyad-year pledges from the driver panel (they end in ATOP's last year)."""
    why = f"ATOP dyad-years only; run 'dyadic ingest {' '.join(OBLIGATION_SOURCES)}' to carry pledges past 2018"
    dfn, off = num("atop_defense"), num("atop_offense")
    pledge = None if np.isnan(dfn) or np.isnan(off) else bool(dfn or off)
    others = [num(c) for c in ("atop_nonagg", "atop_consult", "atop_neutral")]
    other = None if any(np.isnan(o) for o in others) else bool(max(others))
    return [Criterion("defence_pledge", pledge, None if pledge is None else int(pledge), "= 1",
                      "ATOP defence or offence pledge in force, either side (ATOP to 2018)", why),
            Criterion("other_pledge", other, None if other is None else "+".join(
                n for n, o in zip(("nonagg", "consult", "neutral"), others) if o) or "none", "any",
                "ATOP non-aggression, consultation or neutrality pledge in force", why)]


def _rivalries(store: Store, cfg: dict, span: tuple[int, int], a: str, b: str, year: int) -> list[Criterion]:
    """``strategic_rivalry`` (Thompson-Dreyer, carried past its last year) and ``recurrent_disputes`` (MIDs)."""
    out = []
    rule = "Thompson-Dreyer strategic rivalry in force (its state at the last year carried past it)"
    if not store.has_source(conflict.RIVALRIES):
        out.append(Criterion("strategic_rivalry", None, None, "= 1", rule,
                             f"not ingested: run 'dyadic ingest {conflict.RIVALRIES}'", measured=False))
    else:
        lo, hi = conflict.rivalry_years(store)
        td = _rivalry_table(store, span)
        r = _lookup(td, a, b, year)
        if r is not None:
            how = "Thompson-Dreyer" if year <= hi else conflict.carry_label(store)
            out.append(Criterion("strategic_rivalry", True, f"{r['td_rival_types']} (no. {r['td_rivalry_id']})",
                                 "= 1", rule, f"strategic rivalry: {how}", int(r["td_as_of"])))
        elif lo <= year <= hi:
            out.append(Criterion("strategic_rivalry", False, 0, "= 1", rule, "no rivalry (Thompson-Dreyer)", year))
        else:
            # The pair's state at the data's last year, carried as ongoing rivalries are: no rivalry then, none
            # recorded since (a rivalry begun after the data end would be missed, as an end would for those
            # carried; the as-of year says so).
            out.append(Criterion("strategic_rivalry", False, 0, "= 1", rule,
                                 f"no rivalry at Thompson-Dreyer's last year ({hi}), carried", hi))
    n_min, window, dataset = cfg["rivalry_mid_disputes"], cfg["rivalry_mid_window"], cfg["rivalry_mid_dataset"]
    rule = (f"distinct militarized disputes in the {window} years to the year "
            f"({conflict.MID_DATASETS[dataset]}; Diehl & Goertz enduring rivalry)")
    if not store.has_source(conflict.MIDS):
        out.append(Criterion("recurrent_disputes", None, None, f">= {n_min}", rule,
                             f"not ingested: run 'dyadic ingest {conflict.MIDS}'", measured=False))
        return out
    lo, hi = conflict.mid_years(store, dataset)
    first = year - window + 1
    if year > hi or first < lo:
        out.append(Criterion("recurrent_disputes", None, None, f">= {n_min}", rule,
                             f"not measured: {conflict.MID_DATASETS[dataset]} covers {lo}-{hi}, not {first}-{year}",
                             measured=False))
        return out
    mids = _mid_table(store, dataset)
    hit = pair_rows(mids, a, b)
    hit = hit[hit.year.between(first, year)]
    n = len({d for s in hit.mid_dispnums for d in s.split("; ") if d})
    out.append(Criterion("recurrent_disputes", n >= n_min, n, f">= {n_min}", rule,
                         f"{n} militarized disputes in {first}-{year} ({conflict.MID_DATASETS[dataset]})", year))
    return out


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

    if all(store.has_source(x) for x in OBLIGATION_SOURCES):
        out += _pledges(store, cfg, _span(ds, year), row["a"], row["b"], year)
    else:
        out += _atop_pledges(num)
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
    try:
        dfr = deference(store, weak, strong)
    except NotIngestedError:  # votes are one input among many: without them deference is unknown
        dfr = pd.DataFrame({"year": [], "follow": [], "departs": []})
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
    out += _rivalries(store, cfg, _span(ds, year), row["a"], row["b"], year)
    out.append(Criterion("hostile_events", hostile, None if np.isnan(hs) else round(hs, 3),
                         f">= {cfg['rivalry_hostile_share']}",
                         "conflictual share of the pair's GDELT daily-graph coverage (2018-2024)",
                         basis="" if hostile is None else f"GDELT hostile share {hs:.3f}",
                         as_of=None if hostile is None else year, measured=_graph_covers(store, year)))
    return out


def label_status(cr: dict[str, Criterion]) -> dict[str, bool | None]:
    """Whether each label's criteria all hold (three-valued).

    Rivalry holds when any of its measured criteria holds and is ruled out when all measured ones fail; a
    criterion whose source does not reach the year is left out, and with none measured rivalry is unknown.
    """
    h = {k: v.holds for k, v in cr.items()}
    return {
        "alliance": h["defence_pledge"],
        "rivalry": _any(*(cr[n].holds for n in LABEL_CRITERIA["rivalry"] if cr[n].measured)),
        "entente": _and(h["other_pledge"], _not(h["defence_pledge"])),
        "client": _and(h["capability_asymmetry"], h["dependence_asymmetry"], h["deference"], h["no_alternative"]),
        "strategic_partnership": _and(_not(h["defence_pledge"]), h["top_decile_drivers"]),
        "ordinary": True,
    }


def missing_inputs(store: Store) -> list[str]:
    """Which ingest would improve the classifier's answers (empty when every input source is there)."""
    notes = []
    absent = [s for s in OBLIGATION_SOURCES if not store.has_source(s)]
    if absent:
        notes.append(f"alliance pledges read from ATOP's dyad-years, which end in 2018: run 'dyadic ingest "
                     f"{' '.join(absent)}' to carry them forward and add cited later treaties")
    absent = [s for s in (conflict.RIVALRIES, conflict.MIDS) if not store.has_source(s)]
    if absent:
        notes.append(f"rivalry read without {' or '.join(absent)}: run 'dyadic ingest {' '.join(absent)}' "
                     "for rivalries and disputes before the event data begin")
    return notes


def _verdict(label: str, cr: dict[str, Criterion], unknown: list[str], year: int) -> str:
    """What the label of the year rests on, as of when; for ``undetermined`` why it cannot be decided."""
    if label == UNDETERMINED:
        why = []
        for lab in unknown:
            open_ = [f"{c.name}: {c.basis or 'inputs missing'}" for c in map(cr.get, LABEL_CRITERIA[lab])
                     if c.holds is None]
            why.append(f"{lab} ({'; '.join(open_)})")
        return f"{UNDETERMINED} in {year}: cannot decide " + ", ".join(why)
    if label == "ordinary":
        return f"ordinary: every other label ruled out in {year}"
    names = LABEL_CRITERIA[label]
    if label == "rivalry":
        names = tuple(n for n in names if cr[n].holds)
    elif label in ("alliance", "entente"):
        names = names[:1]
    return f"{label}: " + "; ".join(cr[n].describe() for n in names)


@dataclass
class Classification:
    year: int
    label: str
    provisional: bool
    undetermined_by: list[str]
    also: list[str]
    criteria: list[Criterion]
    basis: str = ""
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{"year": self.year, "criterion": c.name,
                              "holds": "unknown" if c.holds is None else ("yes" if c.holds else "no"),
                              "value": "" if c.value is None else str(c.value), "threshold": c.threshold,
                              "rule": c.rule, "basis": c.basis, "as_of": "" if c.as_of is None else str(c.as_of)}
                             for c in self.criteria])


def classify(store: Store, ds: DriverScores, a: str, b: str, year: int) -> Classification:
    """The label of a pair in a year, with every criterion behind it (see the module docs)."""
    cr = {c.name: c for c in criteria(store, ds, a, b, year)}
    status = label_status(cr)
    order = ds.config.nature.get("order", list(ORDER))
    unknown = []
    label = "ordinary"
    for name in order:
        s = status[name]
        if s is True:
            label = name
            break
        if s is None:
            unknown.append(name)
    if label == "ordinary" and unknown:  # "ordinary" claims every label was ruled out
        label = UNDETERMINED
    also = [n for n in order if status[n] is True and n not in (label, "ordinary")]
    return Classification(year, label, bool(unknown), unknown, also, list(cr.values()),
                          _verdict(label, cr, unknown, year), missing_inputs(store))


def classify_years(store: Store, ds: DriverScores, a: str, b: str, start: int | None = None,
                   end: int | None = None) -> pd.DataFrame:
    """:func:`classify` for every year of the scores: ``year, label, provisional, undetermined_by, also, basis``."""
    years = sorted(ds.rows(a, b).year.unique())
    years = [y for y in years if (start is None or y >= start) and (end is None or y <= end)]
    rows = []
    for y in years:
        c = classify(store, ds, a, b, int(y))
        rows.append({"year": int(y), "label": c.label, "provisional": c.provisional,
                     "undetermined_by": ", ".join(c.undetermined_by), "also": ", ".join(c.also),
                     "basis": c.basis})
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
