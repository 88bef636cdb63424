"""The strategic triangle: signed, weighted ties of three dyads, Dittmer's configurations, balance and what-ifs.

Ties (``[triangle]`` in ``data/drivers.toml``; docs/methods/triangle.md): a tie is
``(weighted mean of the tie drivers' scores - 50) / 50``, in [-1, 1]: positive when the pair scores above
the median dyad on the drivers that measure amity (by default security reassurance and political
convergence), negative below it. ``|tie| <= neutral_band`` is neither, and leaves the configuration
undetermined.

Dittmer (1981) configurations from the three signs:

- ``ménage à trois``: + + + (every state a friend of both others);
- ``romantic triangle``: + + - (the *pivot* is positive with both *wings*, which are hostile to each other);
- ``stable marriage``: + - - (two *partners* against the *outcast*);
- ``unit veto``: - - - (each against both).

Structural balance (Heider; Cartwright & Harary 1956): a triangle is balanced when the product of its signs is
positive (ménage à trois, stable marriage); ``balance`` = product of the three ties, in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dyadic.errors import RequestError
from dyadic.framework.drivers import DRIVERS, DriverScores

CONFIGS = {3: "ménage à trois", 2: "romantic triangle", 1: "stable marriage", 0: "unit veto"}


def dyad_key(x: str, y: str) -> str:
    return "-".join(sorted([x, y]))


def tie_values(scores: pd.DataFrame, drivers: list[str], weights: list[float]) -> pd.Series:
    """Tie in [-1, 1] from driver score columns; missing when none of the drivers is measured."""
    w = np.array(weights, dtype=float)
    vals = scores[drivers].to_numpy(float)
    has = ~np.isnan(vals)
    num = np.where(has, vals * w, 0).sum(axis=1)
    den = np.where(has, w, 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(den > 0, num / den, np.nan)
    return pd.Series((mean - 50) / 50, index=scores.index)


@dataclass
class Configuration:
    name: str  # one of CONFIGS' values or "undetermined"
    positions: dict[str, str]  # state -> pivot / wing / partner / outcast / friend / adversary
    balanced: bool | None
    balance: float
    signs: dict[str, int]


def configure(states: tuple[str, str, str], ties: dict[str, float], band: float = 0.0) -> Configuration:
    """Dittmer's configuration of one triangle.

    Args:
        states: the three state codes.
        ties: ``"A-B"`` (codes sorted) -> tie in [-1, 1] (missing allowed).
        band: ties with ``|tie| <= band`` have no sign.

    Returns:
        The :class:`Configuration`; ``undetermined`` when a tie is missing or inside the band.
    """
    x, y, z = states
    pairs = [(x, y), (x, z), (y, z)]
    signs = {}
    for p, q in pairs:
        t = ties.get(dyad_key(p, q), np.nan)
        signs[dyad_key(p, q)] = 0 if t is None or np.isnan(t) or abs(t) <= band else int(np.sign(t))
    vals = [ties.get(dyad_key(p, q), np.nan) for p, q in pairs]
    balance = float(np.prod(vals)) if not any(v is None or np.isnan(v) for v in vals) else float("nan")
    if 0 in signs.values():
        return Configuration("undetermined", {s: "" for s in states}, None, balance, signs)
    npos = sum(1 for v in signs.values() if v > 0)
    name = CONFIGS[npos]
    pos: dict[str, str] = {}
    if npos == 3:
        pos = {s: "friend" for s in states}
    elif npos == 0:
        pos = {s: "adversary" for s in states}
    elif npos == 2:
        for s in states:
            mine = [signs[dyad_key(s, o)] for o in states if o != s]
            pos[s] = "pivot" if all(v > 0 for v in mine) else "wing"
    else:
        for s in states:
            mine = [signs[dyad_key(s, o)] for o in states if o != s]
            pos[s] = "outcast" if all(v < 0 for v in mine) else "partner"
    prod = np.prod(list(signs.values()))
    return Configuration(name, pos, bool(prod > 0), balance, signs)


@dataclass
class Triangle:
    """Ties and configurations of a triad by year.

    Args:
        states: the three codes as given.
        ties: ``year, dyad, tie`` plus each tie driver's score.
        years: ``year, configuration, balanced, balance`` and one position column per state.
    """

    states: tuple[str, str, str]
    ties: pd.DataFrame
    years: pd.DataFrame

    def ties_in(self, year: int) -> dict[str, float]:
        t = self.ties[self.ties.year == year]
        return dict(zip(t.dyad, t.tie))


def triangle(ds: DriverScores, a: str, b: str, c: str) -> Triangle:
    """The triangle of three states for every year the driver scores cover."""
    if len({a, b, c}) < 3:
        raise RequestError("a triangle needs three different states")
    cfg = ds.config.triangle
    drivers = list(cfg.get("tie_drivers", ["security_reassurance", "political_convergence"]))
    weights = list(cfg.get("tie_weights", [1.0] * len(drivers)))
    bad = [d for d in drivers if d not in DRIVERS]
    if bad or len(weights) != len(drivers):
        raise RequestError(f"[triangle] tie_drivers must name drivers ({', '.join(DRIVERS)}) with one weight each")
    band = float(cfg.get("neutral_band", 0.0))
    parts = []
    for x, y in ((a, b), (a, c), (b, c)):
        p = ds.pair(x, y)
        p["dyad"] = dyad_key(x, y)
        p["tie"] = tie_values(p, drivers, weights)
        parts.append(p[["year", "dyad", "tie", *drivers]])
    ties = pd.concat(parts, ignore_index=True)
    rows = []
    for year, g in ties.groupby("year"):
        conf = configure((a, b, c), dict(zip(g.dyad, g.tie)), band)
        rows.append({"year": int(year), "configuration": conf.name, "balanced": conf.balanced,
                     "balance": conf.balance, **{f"position_{s}": conf.positions[s] for s in (a, b, c)}})
    return Triangle((a, b, c), ties, pd.DataFrame(rows))


def parse_what_if(text: str) -> tuple[str, str, float]:
    """``"USA-RUS:+0.3"`` -> ("USA", "RUS", 0.3)."""
    try:
        pair, delta = text.split(":")
        x, y = pair.split("-")
        return x.strip().upper(), y.strip().upper(), float(delta)
    except ValueError as exc:
        raise RequestError(f"what-if '{text}' is not of the form A-B:+0.3 (a change of the A-B tie)") from exc


def what_if(states: tuple[str, str, str], ties: dict[str, float], x: str, y: str, delta: float,
            band: float = 0.0) -> dict:
    """Change one tie by ``delta`` (clipped to [-1, 1]) and show what moves.

    Returns:
        ``{"before": Configuration, "after": Configuration, "ties_before", "ties_after", "changed": [what
        differs: the tie, configuration, positions, balance]}``.
    """
    key = dyad_key(x, y)
    if key not in ties:
        raise RequestError(f"what-if: {x}-{y} is not a side of the triangle {'-'.join(states)}")
    after = dict(ties)
    after[key] = float(np.clip(ties[key] + delta, -1, 1)) if not np.isnan(ties[key]) else np.nan
    b, a_ = configure(states, ties, band), configure(states, after, band)
    changed = [f"tie {key}: {ties[key]:+.3f} -> {after[key]:+.3f}"]
    if b.name != a_.name:
        changed.append(f"configuration: {b.name} -> {a_.name}")
    for s in states:
        if b.positions.get(s) != a_.positions.get(s):
            changed.append(f"position of {s}: {b.positions.get(s) or 'none'} -> {a_.positions.get(s) or 'none'}")
    if b.balanced != a_.balanced:
        changed.append(f"balanced: {b.balanced} -> {a_.balanced}")
    return {"before": b, "after": a_, "ties_before": ties, "ties_after": after, "changed": changed}


def substitution(ds: DriverScores, target: str, partner: str, third: str, year: int | None = None) -> pd.DataFrame:
    """How far ``third`` could substitute for ``partner`` as ``target``'s partner, on the measured drivers.

    For each dimension, the latest year (up to ``year``) in which both dyads have a value:
    ``cover = value(target, third) / value(target, partner)`` (1 = the third already matches the partner).
    Dimensions: trade share (the target's trade with each, as a share of its total trade), security
    reassurance, defence cooperation and political convergence scores, and pledges in force.

    Assumptions (stated with the result): trade could be redirected without loss of price or volume;
    a driver score met by the third party would do the same for the target as the partner's does; scores are
    percentiles, so a cover above 1 on a score means a higher rank, not a larger quantity.

    Returns:
        ``dimension, year, with_partner, with_third, cover, gap`` (gap = partner value - third value).
    """
    def latest(col: str, side_value=None):
        p, t = ds.rows(target, partner), ds.rows(target, third)
        if year is not None:
            p, t = p[p.year <= year], t[t.year <= year]
        m = p[["year", *([col] if side_value is None else ["a", "b", *side_value])]].merge(
            t[["year", *([col] if side_value is None else ["a", "b", *side_value])]], on="year",
            suffixes=("_p", "_t"))
        return m

    rows = []
    m = latest("", side_value=["dep_a", "dep_b"]) if "dep_a" in ds.data else pd.DataFrame()
    if len(m):
        vp = np.where(m.a_p == target, m.dep_a_p, m.dep_b_p).astype(float)
        vt = np.where(m.a_t == target, m.dep_a_t, m.dep_b_t).astype(float)
        ok = ~np.isnan(vp) & ~np.isnan(vt)
        if ok.any():
            i = np.flatnonzero(ok)[-1]
            rows.append(("trade share of " + target, int(m.year.iloc[i]), vp[i], vt[i]))
    for d in ("security_reassurance", "defence_cooperation", "political_convergence", "economic_self_interest"):
        m = latest(d)
        m = m.dropna(subset=[f"{d}_p", f"{d}_t"])
        if len(m):
            r = m.iloc[-1]
            rows.append((f"{d} score", int(r.year), float(r[f"{d}_p"]), float(r[f"{d}_t"])))
    m = latest("pledge_types").dropna(subset=["pledge_types_p", "pledge_types_t"]) if "pledge_types" in ds.data else []
    if len(m):
        r = m.iloc[-1]
        rows.append(("kinds of ATOP pledge", int(r.year), float(r.pledge_types_p), float(r.pledge_types_t)))
    out = pd.DataFrame(rows, columns=["dimension", "year", "with_partner", "with_third"])
    with np.errstate(divide="ignore", invalid="ignore"):
        out["cover"] = np.where(out.with_partner > 0, out.with_third / out.with_partner, np.nan)
    out["gap"] = out.with_partner - out.with_third
    out.insert(0, "target", target)
    out.insert(1, "partner", partner)
    out.insert(2, "third", third)
    return out


ASSUMPTIONS = [
    "trade could be redirected from the partner to the third party without loss of price or volume",
    "a driver score the third party reached would serve the target as the partner's does",
    "scores are percentiles among all dyads: a cover above 1 means a higher rank, not a larger quantity",
    "dimensions the data do not cover (arms transfers, energy contracts, summitry) are not counted",
]
