"""Measuring what a statement states: each check reads the canonical tables for the statement's states
and period and returns one piece of evidence per source (and per reporter, where both partners report),
with the rows it used and the computation.

Checks read the store's canonical tables (``trade``, ``trade_national``, ``capabilities``, ``milex``,
``gdp``) and the UNGA indicators, so every measured value traces to source rows. Curated facts
(``facts``) are matched separately; a fact whose citation is the checked text itself is shown but never
counts as evidence for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd

from dyadic.catalog import Catalog
from dyadic.framework.claims.extract import Claim
from dyadic.store import Store

BN = 1e9


@dataclass
class Evidence:
    """One measured value (or one curated fact) behind a verdict.

    Attributes:
        source: store source name (``curated_facts`` for a fact).
        view: whose figures: ``CHN-reported``, ``harmonised``, ``current US$``, ...
        value: the measured value in the statement's unit (None for a fact or rows without a value).
        period: the years used.
        rows: the source rows used (as dicts).
        computation: how ``value`` follows from ``rows``.
        circular: a curated fact whose citation is the checked text itself.
    """

    source: str
    view: str
    value: float | None
    period: str
    rows: list[dict] = field(default_factory=list)
    computation: str = ""
    circular: bool = False
    fact: bool = False

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Measured:
    evidence: list[Evidence]
    missing: str = ""  # why nothing was measured, when nothing was


def years_of(period: str) -> list[int] | None:
    """Calendar years a period covers ('2024' -> [2024], '2018/2021' -> 2018..2021, '2004-10' -> [2004])."""
    if period is None or period.startswith("FY"):
        return None
    m = re.fullmatch(r"(\d{4})/(\d{4})", period)
    if m:
        return list(range(int(m.group(1)), int(m.group(2)) + 1))
    m = re.match(r"(\d{4})", period)
    return [int(m.group(1))] if m else None


def _span(years: list[int]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def _rows(df: pd.DataFrame, cols: list[str] | None = None) -> list[dict]:
    df = df[cols] if cols else df
    return [{k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()}
            for r in df.to_dict("records")]


def _fmt_usd(v: float) -> str:
    return f"US$ {v / BN:,.2f} bn" if abs(v) >= 1e8 else f"US$ {v:,.0f}"


def _mean(parts: list[tuple[int, float]], what: str) -> tuple[float, str]:
    if len(parts) == 1:
        return parts[0][1], what
    v = sum(p for _, p in parts) / len(parts)
    return v, f"mean over {len(parts)} years of {what}"


def _coverage(store: Store, table: str, col: str = "year") -> str:
    if not store.has_table(table):
        return ""
    df = store.con.execute(f'SELECT source, min({col}) lo, max({col}) hi FROM "{table}" GROUP BY source ORDER BY source').df()
    return ", ".join(f"{r.source} covers {r.lo}-{r.hi}" for r in df.itertuples())


# ------------------------------------------------------------------------------------------------ trade

def _pair_trade(store: Store, a: str, b: str, years: list[int]) -> pd.DataFrame:
    return store.con.execute(
        "SELECT * FROM trade WHERE year BETWEEN ? AND ? AND ((reporter = ? AND partner = ?) OR "
        "(reporter = ? AND partner = ?)) ORDER BY source, reporter, year",
        [years[0], years[-1], a, b, b, a]).df()


def check_bilateral_trade(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    a, b = states[:2]
    df = _pair_trade(store, a, b, years)
    ev = []
    for (src, rep), g in df.groupby(["source", "reporter"], sort=True):
        view = g.view.iloc[0]
        if view == "harmonised" and rep != min(a, b):
            continue  # COW's two directed rows mirror one record: show it once
        g = g.dropna(subset=["exports_usd", "imports_usd"])
        if len(g) != len(years):
            continue
        parts = [(int(r.year), r.exports_usd + r.imports_usd) for r in g.itertuples()]
        value, how = _mean(parts, "exports_usd + imports_usd")
        label = f"{rep}-reported" if view == "reported" else "harmonised (COW, one estimate per flow)"
        detail = "; ".join(f"{y}: {_fmt_usd(r.exports_usd)} + {_fmt_usd(r.imports_usd)} = {_fmt_usd(r.exports_usd + r.imports_usd)}"
                           for y, r in zip(g.year, g.itertuples()))
        ev.append(Evidence(src, label, value, _span(years),
                           _rows(g, ["source", "year", "reporter", "partner", "exports_usd", "imports_usd", "view"]),
                           f"{how} of {rep}'s row ({detail})"))
    missing = "" if ev else f"no trade rows for {a}-{b} in {_span(years)} ({_coverage(store, 'trade')})"
    return Measured(ev, missing)


def check_directional_trade(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Goods flowing from states[0] (exporter) to states[1] (importer): the exporter's reported exports and
    the importer's reported imports, one evidence per source and reporter."""
    exp, imp = states[:2]
    df = _pair_trade(store, exp, imp, years)
    ev = []
    for (src, rep), g in df.groupby(["source", "reporter"], sort=True):
        col = "exports_usd" if rep == exp else "imports_usd"
        g = g.dropna(subset=[col])
        if len(g) != len(years):
            continue
        if g.view.iloc[0] == "harmonised" and rep != exp:
            continue  # COW's mirrored row repeats the same estimate
        value, how = _mean([(int(r.year), float(getattr(r, col))) for r in g.itertuples()], col)
        label = f"{rep}-reported ({'exports' if rep == exp else 'imports'})" if g.view.iloc[0] == "reported" \
            else "harmonised (COW, one estimate per flow)"
        detail = "; ".join(f"{y}: {_fmt_usd(v)}" for y, v in zip(g.year, g[col]))
        ev.append(Evidence(src, label, value, _span(years), _rows(g, ["source", "year", "reporter", "partner", col, "view"]),
                           f"{how} of {rep}'s row with {imp if rep == exp else exp} ({detail})"))
    missing = "" if ev else f"no trade rows for {exp} -> {imp} in {_span(years)} ({_coverage(store, 'trade')})"
    return Measured(ev, missing)


def check_partner_share_of_total_trade(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    whole, part = states[:2]
    out = []
    for src in ("cow_trade", "imf_dots_all_reporters_1960_2020"):
        ev = _share_of_total(store, src, whole, part, years)
        if ev is not None:
            out.append(ev)
    return Measured(out, "" if out else f"no bilateral and total trade rows for {whole} with {part} in {_span(years)} "
                                        f"({_coverage(store, 'trade_national')})")


def _share_of_total(store: Store, src: str, whole: str, part: str, years: list[int]) -> Evidence | None:
    bil = _pair_trade(store, whole, part, years)
    bil = bil[(bil.reporter == whole) & (bil.source == src)].dropna(subset=["exports_usd", "imports_usd"])
    tot = store.con.execute("SELECT * FROM trade_national WHERE code = ? AND year BETWEEN ? AND ? AND source = ?",
                            [whole, years[0], years[-1], src]).df() if store.has_table("trade_national") else pd.DataFrame()
    if len(bil) != len(years) or len(tot) != len(years):
        return None
    m = bil.merge(tot, on="year", suffixes=("", "_total"))
    parts = [(int(r.year), 100 * (r.exports_usd + r.imports_usd) / (r.exports_usd_total + r.imports_usd_total))
             for r in m.itertuples()]
    value, how = _mean(parts, "share")
    detail = "; ".join(f"{r.year}: ({_fmt_usd(r.exports_usd)} + {_fmt_usd(r.imports_usd)}) / ({_fmt_usd(r.exports_usd_total)} "
                       f"+ {_fmt_usd(r.imports_usd_total)}) = {p:.1f}%" for r, (_, p) in zip(m.itertuples(), parts))
    rows = _rows(bil, ["source", "year", "reporter", "partner", "exports_usd", "imports_usd"]) + \
        _rows(tot, ["source", "year", "code", "exports_usd", "imports_usd"])
    return Evidence(src, f"{part}'s share of {whole}'s total trade ({whole}-reported)", value, _span(years), rows,
                    f"{how}: 100 x trade with {part} / {whole}'s total trade ({detail})")


def check_trade_partner_rank(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    whole = states[0]
    part = next((s for s in states[1:] if s != "EUU"), None)
    if part is None:
        return Measured([], "the statement names no partner state to rank")
    df = store.con.execute(
        "SELECT year, partner, exports_usd, imports_usd, source FROM trade WHERE source = 'cow_trade' AND reporter = ? "
        "AND year BETWEEN ? AND ? AND exports_usd IS NOT NULL AND imports_usd IS NOT NULL", [whole, years[0], years[-1]]).df()
    if df.empty:
        return Measured([], f"no trade rows for {whole}'s partners in {_span(years)} ({_coverage(store, 'trade')}; "
                            "the IMF DOTS extract covers six economies only, too few to rank partners)")
    df["total_usd"] = df.exports_usd + df.imports_usd
    tot = df.groupby("partner", as_index=False).total_usd.mean().sort_values("total_usd", ascending=False)
    tot["rank"] = range(1, len(tot) + 1)
    hit = tot[tot.partner == part]
    if hit.empty:
        return Measured([], f"{part} has no trade row with {whole} in {_span(years)}")
    rank = int(hit["rank"].iloc[0])
    show = pd.concat([tot.head(5), hit]).drop_duplicates("partner")
    note = " The EU is not a state in the data: the ranking is among states." if "EUU" in states else ""
    return Measured([Evidence("cow_trade", f"{whole}'s partners by exports + imports", float(rank), _span(years),
                              _rows(show, ["partner", "total_usd", "rank"]),
                              f"{whole}'s {len(tot)} partners ranked by exports_usd + imports_usd"
                              f"{' (mean over the years)' if len(years) > 1 else ''}; {part} ranks {rank}.{note}")])


# ------------------------------------------------------------------------------------------------ UNGA

def check_unga_agreement(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    from dyadic.indicators.unga import VoteSelection, pair_series

    a, b = states[:2]
    sel = VoteSelection(start=years[0], end=years[-1])
    df = pair_series(store, a, b, sel, with_rank=False)
    if len(df) != len(years):
        return Measured([], f"no UN General Assembly votes shared by {a} and {b} in {_span(years)}")
    ev = []
    for src, g in df.groupby("source"):
        n, k = int(g.n.sum()), int(g.agree_n.sum())
        ev.append(Evidence(src, "share of roll calls with identical votes (yes/no/abstain, both voting)",
                           100 * k / n, _span(years), _rows(g, ["year", "a", "b", "n", "agree_n", "agree", "source"]),
                           f"100 x agree_n / n = 100 x {k} / {n} (dyadic.indicators.unga, selection {sel})"))
    if len(years) > 1:  # a mean over years may be the mean of yearly shares: show it too
        ev.append(Evidence("+".join(sorted(df.source.unique())), "mean of the yearly agreement shares",
                           100 * float(df.agree.mean()), _span(years), _rows(df, ["year", "n", "agree", "source"]),
                           "100 x mean(agree) over the years: " + ", ".join(f"{y}: {a:.4f}" for y, a in zip(df.year, df.agree))))
    if len(ev) > 1 and df.source.nunique() > 1:  # a span across the Voeten / UN Digital Library splice: pool both
        n, k = int(df.n.sum()), int(df.agree_n.sum())
        ev.insert(0, Evidence("+".join(sorted(df.source.unique())), "pooled", 100 * k / n, _span(years),
                              _rows(df, ["year", "n", "agree_n", "source"]), f"100 x {k} / {n}"))
    return Measured(ev)


# ------------------------------------------------------------------------------------------------ power

def _national(store: Store, table: str, col: str, code: str, years: list[int], where: str = "") -> pd.DataFrame:
    if not store.has_table(table):
        return pd.DataFrame()
    return store.con.execute(f'SELECT * FROM "{table}" WHERE code = ? AND year BETWEEN ? AND ? {where} '
                             f"AND {col} IS NOT NULL ORDER BY year", [code, years[0], years[-1]]).df()


def _series(store: Store, table: str, col: str, factor: float, label: str, unit: str, claim: Claim,
            states: list[str], years: list[int], source: str, where: str = "") -> list[Evidence]:
    """One evidence: the value of the first state, or (ratio claims) the ratio of the first to the second."""
    need = states[:2] if claim.kind == "ratio" else states[:1]
    got = {s: _national(store, table, col, s, years, where) for s in need}
    if any(len(g) != len(years) for g in got.values()):
        return []
    vals = {s: [(int(y), float(v) * factor) for y, v in zip(g.year, g[col])] for s, g in got.items()}
    rows = [r for g in got.values() for r in _rows(g)]
    if claim.kind == "ratio":
        a, b = need
        parts = [(y, va / vb) for (y, va), (_, vb) in zip(vals[a], vals[b])]
        value, how = _mean(parts, f"{a}/{b}")
        detail = "; ".join(f"{y}: {va:,.4g} / {vb:,.4g} = {va / vb:.3f}" for (y, va), (_, vb) in zip(vals[a], vals[b]))
        return [Evidence(source, f"{label}, ratio {a}/{b}", value, _span(years), rows, f"{how} of {col} ({detail})")]
    a = need[0]
    value, how = _mean(vals[a], f"{col} x {factor:g}" if factor != 1 else col)
    detail = "; ".join(f"{y}: {v:,.6g} {unit}" for y, v in vals[a])
    return [Evidence(source, f"{label} of {a}", value, _span(years), rows, f"{how} ({detail})")]


def check_cinc(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    factor = 1.0 if claim.kind == "ratio" else 100.0
    ev = _series(store, "capabilities", "cinc", factor, "CINC", "", claim, states, years, "cow_nmc")
    return Measured(ev, "" if ev else f"no CINC for {', '.join(states[:2])} in {_span(years)} "
                                      f"({_coverage(store, 'capabilities')})")


def check_milex_share_gdp(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    ev = _series(store, "milex", "share_gdp", 100.0, "military expenditure as % of GDP (SIPRI)", "%", claim, states,
                 years, "sipri_milex")
    return Measured(ev, "" if ev else f"no military burden for {states[0]} in {_span(years)} ({_coverage(store, 'milex')})")


def check_milex(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    if claim.kind in ("amount", "ratio", "growth"):
        ev = _series(store, "milex", "current_usd", 1.0, "military expenditure, current US$ (SIPRI)", "US$", claim, states,
                     years, "sipri_milex")
        ev += _series(store, "milex", "constant_usd", 1.0, "military expenditure, constant 2023 US$ (SIPRI)", "US$", claim,
                      states, years, "sipri_milex")
        ev += _series(store, "capabilities", "milex", 1000.0, "military expenditure, current US$ (COW NMC, thousands x 1000)",
                      "US$", claim, states, years, "cow_nmc", "AND year >= 1914")
    else:
        return Measured([], f"a {claim.kind} of military spending is not a quantity the sources give")
    return Measured(ev, "" if ev else f"no military expenditure for {', '.join(states[:2])} in {_span(years)} "
                                      f"({_coverage(store, 'milex')}; {_coverage(store, 'capabilities')})")


def check_gdp(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    ev = _series(store, "gdp", "gdp_usd", 1.0, "GDP, current US$ (World Bank)", "US$", claim, states, years, "wb_gdp")
    return Measured(ev, "" if ev else f"no GDP for {', '.join(states[:2])} in {_span(years)} ({_coverage(store, 'gdp')})")


def check_population(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    ev = _series(store, "capabilities", "tpop", 1000.0, "total population (COW NMC, thousands x 1000)", "people", claim,
                 states, years, "cow_nmc")
    return Measured(ev, "" if ev else f"no population for {states[0]} in {_span(years)} ({_coverage(store, 'capabilities')})")


def check_military_personnel(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    ev = _series(store, "capabilities", "milper", 1000.0, "military personnel (COW NMC, thousands x 1000)", "people",
                 claim, states, years, "cow_nmc")
    return Measured(ev, "" if ev else f"no military personnel for {states[0]} in {_span(years)} "
                                      f"({_coverage(store, 'capabilities')})")


def _cow_part(col: str, label: str, unit: str):
    """A check reading one component of CINC (COW NMC, in thousands) for one state, or a ratio of two."""
    def check(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
        ev = _series(store, "capabilities", col, 1000.0, f"{label} (COW NMC, thousands x 1000)", unit, claim, states,
                     years, "cow_nmc")
        return Measured(ev, "" if ev else f"no {label} for {', '.join(states[:2])} in {_span(years)} "
                                          f"({_coverage(store, 'capabilities')})")
    check.__doc__ = f"{label} (COW NMC ``{col}``)."
    return check


check_iron_steel = _cow_part("irst", "iron and steel production", "tonnes")
check_energy_consumption = _cow_part("pec", "primary energy consumption", "tonnes of coal equivalent")
check_urban_population = _cow_part("upop", "urban population", "people")


def check_trade_dependence(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Trade of states[0] with states[1] (each source and reporter) as a share of states[0]'s GDP."""
    whole, part = states[:2]
    gdp = _national(store, "gdp", "gdp_usd", whole, years)
    if len(gdp) != len(years):
        return Measured([], f"no GDP for {whole} in {_span(years)} ({_coverage(store, 'gdp')})")
    g = dict(zip(gdp.year.astype(int), gdp.gdp_usd.astype(float)))
    df = _pair_trade(store, whole, part, years)
    ev = []
    for (src, rep), t in df.groupby(["source", "reporter"], sort=True):
        t = t.dropna(subset=["exports_usd", "imports_usd"])
        if len(t) != len(years) or (t.view.iloc[0] == "harmonised" and rep != whole):
            continue
        parts = [(int(r.year), 100 * (r.exports_usd + r.imports_usd) / g[int(r.year)]) for r in t.itertuples()]
        value, how = _mean(parts, "share")
        detail = "; ".join(f"{r.year}: ({_fmt_usd(r.exports_usd)} + {_fmt_usd(r.imports_usd)}) / {_fmt_usd(g[int(r.year)])}"
                           f" = {p:.2f}%" for r, (_, p) in zip(t.itertuples(), parts))
        ev.append(Evidence(src, f"trade with {part} as % of {whole}'s GDP ({rep}-reported trade, World Bank GDP)", value,
                           _span(years), _rows(t, ["source", "year", "reporter", "partner", "exports_usd", "imports_usd"])
                           + _rows(gdp, ["source", "year", "code", "gdp_usd"]),
                           f"{how}: 100 x (exports + imports) / GDP ({detail})"))
    return Measured(ev, "" if ev else f"no trade rows for {whole}-{part} in {_span(years)} ({_coverage(store, 'trade')})")


def _unga_index(col: str, label: str):
    def check(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
        from dyadic.indicators.unga import VoteSelection, pair_series

        a, b = states[:2]
        sel = VoteSelection(start=years[0], end=years[-1])
        df = pair_series(store, a, b, sel, with_rank=False)
        if len(df) != len(years) or df[col].isna().any():
            return Measured([], f"no UN General Assembly votes shared by {a} and {b} in {_span(years)}")
        value, how = _mean([(int(y), float(v)) for y, v in zip(df.year, df[col])], col)
        return Measured([Evidence("+".join(sorted(df.source.unique())), label, value, _span(years),
                                  _rows(df, ["year", "a", "b", "n", "agree_n", col, "source"]),
                                  f"{how} from dyadic.indicators.unga.pair_series (selection {sel}): "
                                  + ", ".join(f"{y}: {v:.3f} over {n} shared roll calls" for y, v, n in zip(df.year, df[col], df.n)))])
    check.__doc__ = f"{label} of the pair (dyadic.indicators.unga)."
    return check


check_unga_s = _unga_index("s", "S score (yes/abstain/no as 1/0.5/0, both voting)")
check_unga_pi = _unga_index("pi", "Scott's pi (agreement corrected for each side's vote shares)")

IDEAL = [("idealpointall", "all votes"), ("idealpointfp", "foreign-policy votes"), ("idealpointlegacy", "legacy estimate")]


def _ideal(store: Store, code: str, years: list[int]) -> pd.DataFrame:
    if not store.has_table("ideal_points_published"):
        return pd.DataFrame()
    return store.con.execute("SELECT * FROM ideal_points_published WHERE code = ? AND year BETWEEN ? AND ? ORDER BY year",
                             [code, years[0], years[-1]]).df()


def check_ideal_point(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """One state's published ideal point, each of the three estimates (all, foreign-policy, legacy)."""
    df = _ideal(store, states[0], years)
    ev = []
    for col, what in IDEAL:
        g = df.dropna(subset=[col]) if col in df else df.iloc[0:0]
        if len(g) != len(years):
            continue
        value, how = _mean([(int(y), float(v)) for y, v in zip(g.year, g[col])], col)
        ev.append(Evidence("unga_ideal_points_voeten", f"ideal point of {states[0]} ({what})", value, _span(years),
                           _rows(g, ["source", "code", "year", col]), f"{how} ({', '.join(f'{v:.3f}' for v in g[col])})"))
    return Measured(ev, "" if ev else f"no ideal point for {states[0]} in {_span(years)} "
                                      f"({_coverage(store, 'ideal_points_published')})")


def check_ideal_point_distance(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """|ideal point of a - ideal point of b| for each estimate both states have."""
    a, b = states[:2]
    da, db = _ideal(store, a, years), _ideal(store, b, years)
    ev = []
    for col, what in IDEAL:
        if col not in da or col not in db:
            continue
        m = da[["year", col]].merge(db[["year", col]], on="year", suffixes=("_a", "_b")).dropna()
        if len(m) != len(years):
            continue
        parts = [(int(r.year), abs(getattr(r, f"{col}_a") - getattr(r, f"{col}_b"))) for r in m.itertuples()]
        value, how = _mean(parts, "distance")
        ev.append(Evidence("unga_ideal_points_voeten", f"ideal-point distance {a}-{b} ({what})", value, _span(years),
                           _rows(m), f"{how}: |{a} - {b}| (" + "; ".join(
                               f"{r.year}: |{getattr(r, f'{col}_a'):.3f} - {getattr(r, f'{col}_b'):.3f}|" for r in m.itertuples()) + ")"))
    return Measured(ev, "" if ev else f"no ideal points for both {a} and {b} in {_span(years)}")


def check_arms_transfers(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """TIV delivered by states[0] (supplier) to states[1] (recipient): each SIPRI edition in the store."""
    sup, rec = states[:2]
    ev = []
    for table, edition in (("arms_deliveries", "trade register (2026 edition)"), ("arms_tiv_2022", "TIV tables (2022 edition)")):
        if not store.has_table(table):
            continue
        df = store.con.execute(f"SELECT year, supplier, recipient, sum(tiv) AS tiv FROM {table} WHERE supplier = ? AND "
                               "recipient = ? AND year BETWEEN ? AND ? GROUP BY ALL ORDER BY year",
                               [sup, rec, years[0], years[-1]]).df()
        if len(df) != len(years):
            continue
        value, how = _mean([(int(y), float(v) * 1e6) for y, v in zip(df.year, df.tiv)], "tiv x 1e6")
        ev.append(Evidence("sipri_arms_transfers", f"{sup} -> {rec}, {edition}", value, _span(years), _rows(df),
                           f"{how} (sum of the {table} rows per year: "
                           + "; ".join(f"{y}: {v:,.0f} million TIV" for y, v in zip(df.year, df.tiv)) + ")"))
    return Measured(ev, "" if ev else f"no SIPRI arms deliveries from {sup} to {rec} in {_span(years)} "
                                      "(a year without deliveries has no row)")


def check_alliance_start(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Begin year of the ATOP alliances both states belong to (bilateral and defence ones when so stated);
    'first' takes the earliest, else the one nearest the stated year."""
    a, b = states[:2]
    if not store.has_table("atop_alliances"):
        return Measured([], "no ATOP alliance table")
    text = claim.sentence.lower()
    where = (" AND al.defense" if re.search(r"defen[cs]e|mutual assistance", text) else "") + \
        (" AND al.bilateral" if "bilateral" in text else "")
    df = store.con.execute(
        "SELECT al.atopid, al.begin_year, al.begin_month, al.begin_day, al.end_year, al.bilateral, al.defense, al.members "
        "FROM atop_alliances al JOIN atop_members m1 ON m1.atopid = al.atopid AND m1.code = ? JOIN atop_members m2 "
        f"ON m2.atopid = al.atopid AND m2.code = ? WHERE TRUE{where} GROUP BY ALL ORDER BY al.begin_year", [a, b]).df()
    if df.empty:
        return Measured([], f"no ATOP alliance of {a} and {b}{' of that kind' if where else ''}")
    first = bool(re.search(r"\b(first|earliest|original)\b", text))
    pick = df.iloc[0] if first else df.iloc[(df.begin_year - (claim.value or 0)).abs().argmin()]
    return Measured([Evidence("alliances_atop_levels", f"ATOP alliance {int(pick.atopid)} of {a} and {b}",
                              float(pick.begin_year), str(int(pick.begin_year)), _rows(df),
                              f"{'earliest' if first else 'nearest the stated year'} of {len(df)} ATOP alliance(s) with both "
                              f"members{where.replace(' AND al.', ', ') or ''}: begun {int(pick.begin_year)}")])


def check_alliance_partners(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Distinct states states[0] has pledges with in the year (defence pledges when the sentence says defence)."""
    c = states[0]
    col = "defense" if re.search(r"defen[cs]e|defend", claim.sentence, re.I) else \
        "(defense OR offense OR neutral OR nonagg OR consult)"
    ev = []
    for ds in ("atop", "cow"):
        df = store.con.execute(f"SELECT year, count(DISTINCT b) AS partners, string_agg(DISTINCT b, ' ' ORDER BY b) AS who FROM alliances "
                               f"WHERE dataset = ? AND a = ? AND year BETWEEN ? AND ? AND {col.replace('offense', 'coalesce(offense, false)')} "
                               "GROUP BY year ORDER BY year", [ds, c, years[0], years[-1]]).df()
        lo, hi = store.con.execute("SELECT min(year), max(year) FROM alliances WHERE dataset = ?", [ds]).fetchone()
        if lo is None or years[0] < lo or years[-1] > hi:
            continue
        got = dict(zip(df.year, df.partners))
        parts = [(y, float(got.get(y, 0))) for y in years]
        value, how = _mean(parts, "partners")
        ev.append(Evidence("alliances_atop_cow", f"{c}'s {'defence ' if col == 'defense' else ''}pledge partners ({ds.upper()})",
                           value, _span(years), _rows(df), f"{how}: distinct partners with {col} in {ds} ("
                           + "; ".join(f"{y}: {int(v)}" for y, v in parts) + ")"))
    return Measured(ev, "" if ev else f"no alliance data for {c} in {_span(years)} ({_coverage(store, 'alliances')})")


def check_mid_count(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Distinct militarised disputes of the pair in the years, in each MID dataset covering them."""
    a, b = states[:2]
    ev = []
    for ds in ("gml", "cow"):
        lo, hi = store.con.execute("SELECT min(year), max(year) FROM mid_dyad_years WHERE dataset = ?", [ds]).fetchone()
        if lo is None or years[0] < lo or years[-1] > hi:
            continue
        df = store.con.execute("SELECT dispnum, min(year) AS first_year, max(year) AS last_year, max(hostlev_a) AS hostlev "
                               "FROM mid_dyad_years WHERE dataset = ? AND a = ? AND b = ? AND year BETWEEN ? AND ? "
                               "GROUP BY dispnum ORDER BY first_year", [ds, a, b, years[0], years[-1]]).df()
        ev.append(Evidence("mids_cow_gml", f"{a}-{b} disputes ({ds.upper()})", float(len(df)), _span(years), _rows(df),
                           f"distinct dispnum with {a} and {b} on opposite sides in {_span(years)}: {len(df)}"))
    return Measured(ev, "" if ev else f"no MID dataset covers {_span(years)} ({_coverage(store, 'mid_dyad_years')})")


def check_mid_year(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Year of the pair's armed clashes: the militarised dispute year with use of force (hostility level 4-5)
    nearest the stated year, in each MID dataset."""
    a, b = states[:2]
    y = int(claim.value or years[0])
    ev = []
    for ds in ("gml", "cow"):
        df = store.con.execute("SELECT dispnum, year, hostlev_a, hostlev_b, fatality_a, fatality_b FROM mid_dyad_years "
                               "WHERE dataset = ? AND a = ? AND b = ? AND greatest(hostlev_a, hostlev_b) >= 4 "
                               "AND year BETWEEN ? AND ? ORDER BY year", [ds, a, b, y - 5, y + 5]).df()
        if df.empty:
            continue
        near = int(df.year.iloc[(df.year - y).abs().argmin()])
        ev.append(Evidence("mids_cow_gml", f"{a}-{b} uses of force ({ds.upper()})", float(near), str(near), _rows(df),
                           f"dispute years of {a} and {b} with hostility level 4-5 within 5 years of {y}: "
                           + ", ".join(str(v) for v in sorted(set(df.year))) + f"; nearest {near}"))
    return Measured(ev, "" if ev else f"no militarised dispute with use of force between {a} and {b} near {y} "
                                      f"({_coverage(store, 'mid_dyad_years')})")


def _democracy(col: str, label: str):
    def check(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
        ev = _series(store, "democracy", col, 1.0, label, "", claim, states, years, "democracy_vdem_polity_uds")
        return Measured(ev, "" if ev else f"no {label} for {states[0]} in {_span(years)} ({_coverage(store, 'democracy')}; "
                                          "Polity V ends in 2018)")
    check.__doc__ = f"{label} (``democracy.{col}``)."
    return check


check_polity = _democracy("polity2", "Polity2 score")
check_polyarchy = _democracy("v2x_polyarchy", "V-Dem electoral democracy index")


def check_igo_memberships(store: Store, claim: Claim, states: list[str], years: list[int]) -> Measured:
    """Joint full memberships of two states when the sentence says both/shared/joint, else one state's count."""
    joint = len(states) >= 2 and bool(re.search(r"\b(both|shared?|joint(ly)?|common|together)\b", claim.sentence, re.I))
    if joint:
        lo, hi = sorted(states[:2])
        df = store.con.execute("SELECT * FROM igo_dyad_years WHERE a = ? AND b = ? AND year BETWEEN ? AND ? ORDER BY year",
                               [lo, hi, years[0], years[-1]]).df()
        col, what = "joint_full", f"IGOs {lo} and {hi} are both full members of"
    else:
        df = _national(store, "igo_state_years", "n_full", states[0], years)
        col, what = "n_full", f"IGOs {states[0]} is a full member of"
    if len(df) != len(years):
        return Measured([], f"no IGO memberships for {'-'.join(states[:2] if joint else states[:1])} in {_span(years)} "
                            f"({_coverage(store, 'igo_state_years')})")
    value, how = _mean([(int(y), float(v)) for y, v in zip(df.year, df[col])], col)
    return Measured([Evidence("cow_igo", what, value, _span(years), _rows(df), f"{how} ("
                              + "; ".join(f"{y}: {int(v)}" for y, v in zip(df.year, df[col])) + ")")])


#: the checks by name (a vocabulary measure's ``check``): each takes ``states`` states (ratios need 2 everywhere)
CHECKS: Catalog[Callable[..., Measured]] = Catalog("claim check")
for _name, _fn, _states in (
    ("bilateral_trade", check_bilateral_trade, 2), ("directional_trade", check_directional_trade, 2),
    ("partner_share_of_total_trade", check_partner_share_of_total_trade, 2),
    ("trade_partner_rank", check_trade_partner_rank, 2), ("unga_agreement", check_unga_agreement, 2),
    ("cinc", check_cinc, 1), ("milex", check_milex, 1), ("gdp", check_gdp, 1), ("population", check_population, 1),
    ("military_personnel", check_military_personnel, 1), ("milex_share_gdp", check_milex_share_gdp, 1),
    ("trade_dependence", check_trade_dependence, 2), ("unga_s", check_unga_s, 2), ("unga_pi", check_unga_pi, 2),
    ("ideal_point", check_ideal_point, 1), ("ideal_point_distance", check_ideal_point_distance, 2),
    ("iron_steel", check_iron_steel, 1), ("energy_consumption", check_energy_consumption, 1),
    ("urban_population", check_urban_population, 1), ("arms_transfers", check_arms_transfers, 2),
    ("alliance_start", check_alliance_start, 2), ("alliance_partners", check_alliance_partners, 1),
    ("mid_count", check_mid_count, 2), ("mid_year", check_mid_year, 2), ("polity", check_polity, 1),
    ("polyarchy", check_polyarchy, 1), ("igo_memberships", check_igo_memberships, 1),
):
    CHECKS.add(_name, _fn, states=_states)


# ------------------------------------------------------------------------------------------------ facts

#: units of curated facts -> factor to the checker's base units (US$, percent, km, counts)
FACT_SCALES = {"USD bn": 1e9, "USD m": 1e6, "USD tn": 1e12, "USD": 1.0, "percent": 1.0, "km": 1.0}


def load_facts(store: Store | None) -> tuple[pd.DataFrame, str]:
    """The curated facts: the store's table when ingested, else the packaged file (said in the report)."""
    if store is not None and store.has_table("facts") and store.has_source("curated_facts"):
        return store.con.execute("SELECT * FROM facts").df(), "store table 'facts'"
    from dyadic.sources.facts import packaged_facts

    df = pd.read_csv(packaged_facts(), dtype=str, keep_default_na=False)
    df["number"] = pd.to_numeric(df.value.str.replace(",", "", regex=False), errors="coerce")
    df["source"] = "curated_facts"
    return df, "packaged facts.csv (run 'dyadic ingest curated_facts' to use the store's copy)"


REPORTED_SCALES = {"bn USD": 1e9, "USD bn": 1e9, "percent": 1.0}


def load_reported(store: Store | None) -> pd.DataFrame:
    """Press-reported figures (``reported_figures``), when ingested; empty otherwise."""
    if store is None or not store.has_table("reported_figures"):
        return pd.DataFrame()
    return store.con.execute("SELECT * FROM reported_figures").df()


def match_reported(reported: pd.DataFrame, indicators: tuple[str, ...], states: list[str],
                   period: str | None) -> list[Evidence]:
    """Press-reported figures for the same indicator, pair and period: evidence "as reported by", not measured."""
    if reported.empty or not indicators or period is None:
        return []
    hit = reported[reported.indicator.isin(indicators) & (reported.period.astype(str) == period)]
    out = []
    for r in hit.itertuples():
        if sorted(r.states) != sorted(states[:2]):
            continue
        scale = REPORTED_SCALES.get(str(r.unit))
        if scale is None:
            continue  # tonnes and other units no measure states
        out.append(Evidence("press_reported_figures_china_russia",
                            f"as reported by {r.publisher} ({r.primary_source})", float(r.value) * scale, str(r.period),
                            [{"figure_id": r.figure_id, "indicator": r.indicator, "period": r.period, "value": r.value,
                              "unit": r.unit, "publisher": r.publisher, "page_url": r.page_url}],
                            "a figure printed by a news page and attributed to an official body; not a measurement",
                            fact=True))
    return out


def match_facts(facts: pd.DataFrame, metrics: tuple[str, ...], states: list[str], period: str | None,
                self_marks: list[str]) -> list[Evidence]:
    """Curated facts for the same metric, states (in order) and period; circular when citing the text itself."""
    if facts.empty or not metrics:
        return []
    hit = facts[facts.metric.isin(metrics)]
    if hit.empty:
        return []
    if states:
        hit = hit[hit.subject.map(lambda s: s.split(";")[:len(states[:2])] == states[:2]
                                  or sorted(s.split(";")) == sorted(states[:2]))]
    if period is not None and not hit.empty:
        hit = hit[hit.period.map(lambda p: p == period or p.startswith(period) or period.startswith(p))]
    out = []
    for r in hit.itertuples():
        cite = str(r.citation)
        scale = FACT_SCALES.get(str(r.unit).strip(), 1.0)
        circ = any(m and m in cite.lower() for m in self_marks)
        out.append(Evidence("curated_facts", f"fact {r.fact_id}", None if pd.isna(r.number) else float(r.number) * scale,
                            str(r.period), [{"fact_id": r.fact_id, "subject": r.subject, "metric": r.metric,
                                             "period": r.period, "value": r.value, "unit": r.unit, "citation": cite}],
                            f"quoted figure (a curated fact, not a measurement){f' x {scale:g} ({r.unit})' if scale != 1 else ''}",
                            circular=circ, fact=True))
    return out
