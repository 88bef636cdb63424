"""The scored claims test set (``dyadic/data/claims_testset.csv``): each statement checked alone, its verdict
compared with the truth computed independently (bench/claims_testset_build.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources

from dyadic.framework.claims.check import check_text
from dyadic.store import Store

TESTSET_SOURCES = ["country_codes", "cow_trade", "imf_dots_all_reporters_1960_2020", "cow_nmc", "sipri_milex", "wb_gdp",
                   "unvotes_voeten_2019", "unga_ideal_points_voeten", "sipri_arms_transfers", "alliances_atop_cow",
                   "alliances_atop_levels", "mids_cow_gml", "democracy_vdem_polity_uds", "cow_igo"]


def load(split: str | None = None) -> list[dict]:
    text = resources.files("dyadic.data").joinpath("claims_testset.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return [r for r in rows if split is None or r["split"] == split]


@dataclass
class Score:
    right: int = 0
    wrong_verdict: int = 0  # a checkable statement judged wrongly or not judged
    false_off: int = 0  # a true statement called off or contradicted
    not_checkable_right: int = 0
    not_checkable_total: int = 0
    checkable_total: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)


def score(store: Store, rows: list[dict]) -> Score:
    s = Score()
    for r in rows:
        # a bare date is a statement only when a measure dates it (an alliance's start), not when it is a period
        vs = [v for v in check_text(r["statement"], store, fmt="text").verdicts
              if v.claim.kind != "date" or v.verdict not in ("not checkable", "no data")]
        got = vs[0].verdict if len(vs) == 1 else "not checkable" if all(v.verdict == "not checkable" for v in vs) else "several"
        if r["truth"] == "not_checkable":
            s.not_checkable_total += 1
            ok = got in ("not checkable", "no data")
            s.not_checkable_right += ok
        else:
            s.checkable_total += 1
            want = "holds" if r["truth"] == "true" else ("off", "contradicted")
            ok = got == want or got in want
            s.right += ok
            s.wrong_verdict += not ok
            s.false_off += r["truth"] == "true" and got in ("off", "contradicted")
        if not ok:
            s.misses.append((r["statement"], r["truth"], got + ": " + (vs[0].reason[:120] if vs else "")))
    return s
