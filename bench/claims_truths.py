"""Truths for the claims test set, by plain SQL on a store (never through dyadic.framework.claims), and the
row writer the batches share (bench/claims_testset_heldout.py, _tune2.py, _heldout2.py)."""

from __future__ import annotations

from typing import Callable

import duckdb

DOTS = "imf_dots_all_reporters_1960_2020"


def cap(s: str) -> str:
    return s[0].upper() + s[1:]


class Rows:
    """Collects statements; :meth:`alt` makes true and false ones in turn (false: a clearly wrong figure)."""

    def __init__(self, first_true: bool = True):
        self.out: list[dict] = []
        self.k = 0 if first_true else 1

    def add(self, statement: str, truth: bool | None, value: float | None, decided_by: str, form: str) -> None:
        self.out.append({"statement": cap(statement), "truth": "not_checkable" if truth is None else str(truth).lower(),
                         "value": "" if value is None else f"{value:.6g}", "rows": decided_by, "form": form})

    def alt(self, make: Callable[[bool], tuple[str, bool]], value: float, decided_by: str, form: str) -> None:
        statement, truth = make(self.k % 2 == 0)
        self.add(statement, truth, value, decided_by, form)
        self.k += 1


class Truths:
    """The values statements are checked against, each read the plainest way from the store's tables."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con

    def one(self, sql: str, *args):
        return self.con.execute(sql, list(args)).fetchone()

    def flow(self, e: str, i: str, y: int) -> tuple[float, float] | None:
        """(exporter-reported exports, importer-reported imports) from IMF DOTS, when both exist."""
        ex = self.one(f"SELECT exports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", e, i, y)
        im = self.one(f"SELECT imports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? AND year=?", i, e, y)
        return (ex[0], im[0]) if ex and im and ex[0] and im[0] else None

    def pair_trade(self, reporter: str, partner: str, y: int) -> float:
        return self.one(f"SELECT exports_usd+imports_usd FROM trade WHERE source='{DOTS}' AND reporter=? AND partner=? "
                        "AND year=?", reporter, partner, y)[0]

    def milex(self, c: str, y: int) -> tuple[float, float]:
        """(current, constant) US$ (SIPRI)."""
        return self.one("SELECT current_usd, constant_usd FROM milex WHERE code=? AND year=?", c, y)

    def burden(self, c: str, y: int) -> float:
        return 100 * self.one("SELECT share_gdp FROM milex WHERE code=? AND year=?", c, y)[0]

    def gdp(self, c: str, y: int) -> float:
        return self.one("SELECT gdp_usd FROM gdp WHERE code=? AND year=?", c, y)[0]

    def ideal(self, c: str, y: int) -> tuple[float, float]:
        """(all votes, foreign-policy votes) ideal points."""
        return self.one("SELECT idealpointall, idealpointfp FROM ideal_points_published WHERE code=? AND year=?", c, y)

    def nmc(self, col: str, c: str, y: int) -> float:
        return self.one(f"SELECT {col} FROM capabilities WHERE code=? AND year=?", c, y)[0]

    def arms(self, s: str, r: str, y: int) -> float | None:
        """TIV (millions) in the 2026 register, when the 2022 tables agree within 10%."""
        reg = self.one("SELECT sum(tiv) FROM arms_deliveries WHERE supplier=? AND recipient=? AND year=?", s, r, y)[0]
        tab = self.one("SELECT sum(tiv) FROM arms_tiv_2022 WHERE supplier=? AND recipient=? AND year=?", s, r, y)[0]
        return reg if reg and tab and max(reg, tab) / min(reg, tab) <= 1.1 else None

    def alliance_start(self, a: str, b: str) -> int | None:
        """First year of a bilateral ATOP defence pact of a and b."""
        return self.one("SELECT min(al.begin_year) FROM atop_alliances al JOIN atop_members m1 ON m1.atopid=al.atopid "
                        "AND m1.code=? JOIN atop_members m2 ON m2.atopid=al.atopid AND m2.code=? "
                        "WHERE al.defense AND al.bilateral", a, b)[0]

    def defence_partners(self, c: str, y: int) -> int:
        return self.one("SELECT count(DISTINCT b) FROM alliances WHERE dataset='atop' AND a=? AND year=? AND defense", c, y)[0]

    def mids(self, a: str, b: str, y1: int, y2: int) -> int | None:
        """Distinct disputes of a and b in y1..y2, when GML and COW agree."""
        n = {ds: self.one("SELECT count(DISTINCT dispnum) FROM mid_dyad_years WHERE dataset=? AND a=? AND b=? "
                          "AND year BETWEEN ? AND ?", ds, a, b, y1, y2)[0] for ds in ("gml", "cow")}
        return n["gml"] if n["gml"] == n["cow"] else None

    def democracy(self, col: str, c: str, y: int) -> float:
        return self.one(f"SELECT {col} FROM democracy WHERE code=? AND year=?", c, y)[0]

    def igo_joint(self, a: str, b: str, y: int) -> int:
        lo, hi = sorted([a, b])
        return self.one("SELECT joint_full FROM igo_dyad_years WHERE a=? AND b=? AND year=?", lo, hi, y)[0]

    def igo_state(self, c: str, y: int) -> int:
        return self.one("SELECT n_full FROM igo_state_years WHERE code=? AND year=?", c, y)[0]

    def dependence(self, w: str, p: str, y: int) -> float:
        """100 x w's reported trade with p / w's GDP."""
        return 100 * self.pair_trade(w, p, y) / self.gdp(w, y)

    def share_of_total(self, w: str, p: str, y: int) -> float | None:
        """p's share of w's total trade (IMF DOTS, w-reported), when COW (where it covers y) agrees within a point."""
        bil = self.pair_trade(w, p, y)
        tot = self.one(f"SELECT exports_usd+imports_usd FROM trade_national WHERE source='{DOTS}' AND code=? AND year=?", w, y)[0]
        v = 100 * bil / tot
        cb = self.one("SELECT exports_usd+imports_usd FROM trade WHERE source='cow_trade' AND reporter=? AND partner=? "
                      "AND year=?", w, p, y)
        ct = self.one("SELECT exports_usd+imports_usd FROM trade_national WHERE source='cow_trade' AND code=? AND year=?", w, y)
        return None if cb and ct and cb[0] and ct[0] and abs(100 * cb[0] / ct[0] - v) > 1.0 else v

    def rank(self, w: str, p: str, y: int) -> int:
        """p's rank among w's partners by exports + imports (COW)."""
        return self.one("SELECT rnk FROM (SELECT partner, rank() OVER (ORDER BY exports_usd+imports_usd DESC) rnk FROM trade "
                        "WHERE source='cow_trade' AND reporter=? AND year=? AND exports_usd IS NOT NULL AND imports_usd IS NOT NULL) "
                        "WHERE partner=?", w, y, p)[0]


def unga(store_path: str, pairs: list[tuple[str, str, int]]) -> dict[tuple[str, str, int], dict]:
    """agree, s, pi, n, agree_n of each (a, b, year) from dyadic.indicators.unga (the published indicator)."""
    from dyadic.indicators.unga import pair_series
    from dyadic.store import Store

    st = Store.open(store_path, read_only=True)
    try:
        return {(a, b, y): pair_series(st, a, b, with_rank=False).set_index("year").loc[y].to_dict() for a, b, y in pairs}
    finally:
        st.close()


def within(stated: float, *measured: float, tol: float = 0.10) -> bool:
    """The stated figure within a relative tolerance of any of the measured ones (every source counts)."""
    return min(abs(stated / m - 1) for m in measured) <= tol


def growth_ok(stated: float, *rates: float) -> bool:
    """A stated rate within ±3 points or ±10% of it, of the same sign as a measured rate."""
    return any(abs(abs(stated) - x) <= max(3.0, 0.1 * abs(stated)) and (x >= 0) == (stated >= 0) for x in rates)
