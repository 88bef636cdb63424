"""Verdicts: does the measured value bear the statement out?

- ``holds``: within the tolerance of its kind of quantity (``TOLERANCES``), or on the right side of a
  stated bound ("more than", "less than");
- ``off``: outside it; the measured value and the relative error are given;
- ``contradicted``: the direction of a change or a ranking is wrong;
- ``no data``: the system measures this quantity, or a curated fact states it, but nothing at hand covers
  these states and period; the verdict names the data that would settle it (a curated fact citing the
  checked text itself is not independent data and never settles it);
- ``not checkable``: not a quantity the system measures (no vocabulary entry fits), or the statement
  does not say enough (no states, a fiscal year, a currency without exchange rates).

When several sources measure a statement (each reporter's customs figures, SIPRI current and constant
dollars), all are shown; the verdict is that of the source closest to the statement, and the reason says
how many sources agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dyadic.framework.claims.extract import Claim
from dyadic.framework.claims.match import Evidence

#: kind -> (rule, tolerance). rel: |measured - stated| / |stated|; abs: percentage points; exact: equal.
TOLERANCES: dict[str, tuple[str, float]] = {
    "amount": ("rel", 0.10),       # reporters differ (CIF/FOB, re-exports, revisions) by several per cent
    "share": ("abs", 2.0),         # shares are quoted rounded to whole per cent
    "percentage": ("abs", 2.0),
    "count": ("rel", 0.10),
    "ratio": ("rel", 0.10),
    "distance": ("rel", 0.05),
    "area": ("rel", 0.05),
    "growth_rate": ("abs", 3.0),   # or 10% of the stated rate, whichever is larger
    "ranking": ("exact", 0.0),
    "date": ("exact", 0.0),
}
VERDICTS = ("holds", "off", "contradicted", "no data", "not checkable")


@dataclass
class Verdict:
    """A statement, its verdict and the evidence behind it."""

    claim: Claim
    verdict: str
    reason: str
    measured: float | None = None
    rel_error: float | None = None
    tolerance: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict:
        c = self.claim
        return {"id": c.id, "verdict": self.verdict, "kind": c.kind, "text": c.text, "value": c.value,
                "unit": c.unit, "bound": c.bound, "period": c.period, "from_value": c.from_value,
                "from_period": c.from_period, "direction": c.direction, "rate": c.rate, "states": c.states,
                "states_inferred": c.states_inferred, "measure": c.measure, "matched_by": c.matched_by,
                "measured": self.measured, "rel_error": self.rel_error, "tolerance": self.tolerance,
                "reason": self.reason, "start": c.start, "end": c.end, "sentence": c.sentence,
                "quoted": c.quoted, "in_references": c.in_references, "period_note": c.period_note,
                "evidence": [e.to_dict() for e in self.evidence]}


def tolerance_text(kind: str, tolerance: tuple[str, float] | None = None) -> str:
    """The tolerance applied, in words (the measure's own when it declares one)."""
    rule, tol = tolerance or TOLERANCES.get(kind, ("rel", 0.10))
    if kind == "growth_rate" and tolerance is None:
        return "±3 percentage points or ±10% of the stated rate, whichever is larger"
    if rule == "abs" and kind not in ("share", "percentage"):
        return f"±{tol:g} (absolute, in the measure's units)"
    return {"rel": f"±{tol:.0%} relative" if tol else "exact", "abs": f"±{tol:g} percentage points",
            "exact": "exact"}[rule]


#: slack on the stated side of an inclusive bound ('at least 50': 49.9 rounds to it), as a share of the
#: kind's tolerance; strict bounds ('more than', 'less than') and comparisons get none
BOUND_SLACK = 0.1


def compare(stated: float, measured: float, kind: str, bound: str = "=", tolerance: tuple[str, float] | None = None,
            stated_hi: float | None = None) -> tuple[bool, float | None]:
    """(within tolerance, relative error) of a measured value against a stated one (or a stated bound)."""
    rel = (measured - stated) / abs(stated) if stated else None
    rule, tol = tolerance or TOLERANCES.get(kind, ("rel", 0.10))
    slack = BOUND_SLACK * (tol * abs(stated) if rule == "rel" else tol)
    if bound == ">":
        return measured > stated, rel
    if bound == "<":
        return measured < stated, rel
    if bound == ">=":
        return measured >= stated - slack, rel
    if bound == "<=":
        return measured <= stated + slack, rel
    if bound == "between" and stated_hi is not None:
        return stated - slack <= measured <= stated_hi + slack, rel
    if kind == "growth_rate":
        return abs(measured - stated) <= max(3.0, 0.10 * abs(stated)), rel
    if rule == "abs":
        return abs(measured - stated) <= tol, rel
    if rule == "exact":
        return measured == stated, rel
    return (rel is not None and abs(rel) <= tol) or (stated == 0 and measured == 0), rel


def judge_level(claim: Claim, evidence: list[Evidence], kind: str | None = None,
                stated: float | None = None, tolerance: tuple[str, float] | None = None) -> Verdict | None:
    """Verdict on a level (amount, share, count, ratio, ranking) from every measured evidence."""
    kind = kind or claim.kind
    stated = claim.value if stated is None else stated
    measured = [e for e in evidence if not e.circular and e.value is not None]
    if not measured or stated is None:
        return None
    results = [(e, *compare(stated, e.value, kind, claim.bound if kind == claim.kind else "=", tolerance,
                            claim.value_hi)) for e in measured]
    # the source closest to the statement: among those bearing it out, if any
    best = min(results, key=lambda r: (not r[1], abs(r[0].value - stated)))
    ok = sum(1 for r in results if r[1])
    agree = f"{ok} of {len(results)} sources within tolerance" if len(results) > 1 else ""
    e, hit, rel = best
    shown = _show(e.value, claim.unit if kind == claim.kind else "")
    if kind == "ranking":
        verdict = "holds" if hit else "contradicted"
        reason = f"measured rank {e.value:.0f}, stated {stated:.0f} ({e.source}, {e.view})"
    elif claim.noun == "comparison":
        a, b = claim.states[:2]
        verdict = "holds" if hit else "contradicted"
        reason = (f"stated {a} {'above' if claim.bound == '>' else 'below'} {b}; measured ratio {a}/{b} "
                  f"{e.value:.3f} ({e.source}, {e.view}, {e.period})")
    else:
        verdict = "holds" if hit else "off"
        err = f", relative error {rel:+.1%}" if rel is not None else ""
        what = (f"{e.view}, not measured," if e.source.startswith("press_reported") else
                "a curated fact (quoted, not measured) says" if e.fact else "measured")
        side = {">": "more than", "<": "less than", ">=": "at least", "<=": "at most"}.get(claim.bound)
        if claim.bound == "between" and claim.value_hi is not None:
            side = f"between {_show(stated, claim.unit)} and"
        stated_as = (f"; stated {side} {_show(claim.value_hi if claim.bound == 'between' else stated, claim.unit)}"
                     if side and kind == claim.kind else "")
        reason = f"{what} {shown} ({e.source}, {e.view}, {e.period}){err}{stated_as}"
    if agree:
        reason += f"; {agree}"
    return Verdict(claim, verdict, reason, e.value, rel, tolerance_text(kind, tolerance), evidence)


def _show(v: float, unit: str) -> str:
    if unit in ("USD",):
        return f"US$ {v / 1e9:,.1f} bn" if abs(v) >= 1e8 else f"US$ {v:,.0f}"
    if unit == "percent":
        return f"{v:.1f}%"
    if unit == "ratio":
        return f"{v:.2f}x"
    if unit == "rank":
        return f"rank {v:.0f}"
    if unit == "date":
        return f"{v:.0f}"
    if unit == "TIV":
        return f"{v / 1e6:,.0f} million TIV"
    return f"{v:,.4g}"
