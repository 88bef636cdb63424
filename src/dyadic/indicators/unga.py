"""UNGA voting similarity for every dyad-year: agreement share, Signorino-Ritter S, Scott's pi.

All dyads of a year are computed at once. For one year, stack one-hot vote matrices ``C = [Y; A; N]``
(states x roll calls, for yes / abstain / no) and take the single product ``G = C Cᵀ``: its nine blocks hold,
for every pair of states, how often each combination of votes occurred. Every indicator below is a
function of those blocks, so no pairwise join is ever formed.

Definitions (for states i, j over the roll calls where both voted; see docs/indicators/unga.md):

- ``n``: roll calls where both voted yes, abstain or no.
- ``agree``: share of those with identical votes.
- ``s``: Signorino & Ritter (1999) S with votes on the interval scale yes=1, abstain=0.5, no=0 and the
  L1 metric: ``S = 1 - 2 * mean|x_i - x_j|``, in [-1, 1].
- ``pi``: Scott's pi, chance-corrected agreement with the expected agreement taken from the pair's pooled
  vote distribution (Häge 2011): ``(p_o - p_e) / (1 - p_e)``. Missing when ``p_e = 1`` (both states cast
  the same single kind of vote throughout, so chance agreement cannot be told from choice).

A dyad-year with no shared votes is missing, never zero: it has no row.

Absences (a member listed without a vote; only the UN Digital Library source records them) are, by
default, left out like non-membership (``absent="exclude"``). ``absent="abstain"`` counts them as
abstentions, the reading some scholars prefer for deliberate non-participation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.backends.duckdb  # noqa: F401  (its SQL compilers take ~0.25 s to import: pay it at import, once)
import numpy as np
import pandas as pd
import pyarrow.compute as pc

from dyadic.dyad import pair_rows
from dyadic.errors import RequestError
from dyadic.store import Store

VOETEN = "unvotes_voeten_2019"
UNDL = "unga_unsc_votes_undl_scrape"
#: the user's own UN Digital Library export (``dyadic update undl_export --file PATH``), same record ids.
EXPORT = "undl_export"
SPLICE_YEAR = 2020  # first year taken from the UN Digital Library under source="auto"
INDICATORS = ("agree", "s", "pi")
VOTE_INT = {"yes": 1, "abstain": 2, "no": 3, "absent": 4}


#: the memo key of the ranked all-dyad agreement (a shared product: ``dyadic prepare`` keeps it)
RANKED_KEY = "unga.ranked_dyad_years"


@dataclass(frozen=True)
class VoteSelection:
    """Which roll calls count.

    Args:
        source: ``voeten`` (1946-2019, includes amendment and paragraph votes), ``undl`` (adopted resolutions,
            1946-2025), ``export`` (the user's own UN Digital Library export, as far as it reaches), or ``auto``
            (Voeten to 2019, UN Digital Library from 2020).
        body: ``GA`` or ``SC`` (the Security Council exists only in the UN Digital Library source).
        issues: Voeten issue codes to keep (``me``, ``nu``, ``di``, ``hr``, ``co``, ``ec``); Voeten only.
        important: keep only votes the US State Department classed as important (Voeten only).
        final_only: drop amendment and paragraph votes (Voeten codes these flags only until 1985).
        start, end: first and last year.
        absent: ``exclude`` or ``abstain`` (see the module docs).
    """

    source: Literal["auto", "voeten", "undl", "export"] = "auto"
    body: Literal["GA", "SC"] = "GA"
    issues: tuple[str, ...] = ()
    important: bool = False
    final_only: bool = False
    start: int | None = None
    end: int | None = None
    absent: Literal["exclude", "abstain"] = "exclude"

    def __post_init__(self):
        if self.source not in ("auto", "voeten", "undl", "export"):
            raise RequestError(f"source must be auto, voeten, undl or export, not '{self.source}'")
        if self.body not in ("GA", "SC"):
            raise RequestError(f"body must be GA or SC, not '{self.body}'")
        if self.absent not in ("exclude", "abstain"):
            raise RequestError(f"absent must be exclude or abstain, not '{self.absent}'")
        bad = set(self.issues) - {"me", "nu", "di", "hr", "co", "ec"}
        if bad:
            raise RequestError(f"unknown issue code(s) {sorted(bad)}; use me, nu, di, hr, co, ec")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise RequestError(f"start year {self.start} is after end year {self.end}")
        if (self.issues or self.important) and self.source in ("undl", "export"):
            raise RequestError("issue and importance codes exist only in the Voeten source (source=voeten)")
        if self.body == "SC" and self.source == "voeten":
            raise RequestError("the Voeten source has General Assembly votes only; use source=undl for SC")

    def sources(self) -> list[tuple[str, int | None, int | None]]:
        """(source, first year, last year) pieces this selection reads."""
        if self.source == "voeten":
            return [(VOETEN, self.start, self.end)]
        if self.source == "export":
            return [(EXPORT, self.start, self.end)]
        if self.source == "undl" or self.body == "SC":
            return [(UNDL, self.start, self.end)]
        pieces = []
        if self.start is None or self.start < SPLICE_YEAR:
            end = SPLICE_YEAR - 1 if self.end is None else min(self.end, SPLICE_YEAR - 1)
            pieces.append((VOETEN, self.start, end))
        if self.end is None or self.end >= SPLICE_YEAR:
            pieces.append((UNDL, max(self.start or SPLICE_YEAR, SPLICE_YEAR), self.end))
        return pieces


#: a General Assembly year is complete once its votes reach this (month, day): the main session votes most of
#: its resolutions in December, so a year whose newest vote is earlier holds only part of its roll calls
COMPLETE_FROM = (12, 1)


def partial_until(store: Store, year: int):
    """The date of ``year``'s newest General Assembly vote when the year is partial (before
    :data:`COMPLETE_FROM`), else None."""
    last = store.con.execute("SELECT max(date) FROM roll_calls WHERE year = ? AND body = 'GA'", [year]).fetchone()[0]
    return None if last is None or (last.month, last.day) >= COMPLETE_FROM else last


def last_complete_year(store: Store) -> int | None:
    """The newest year of General Assembly votes that is not partial (:func:`partial_until`)."""
    last = store.con.execute("SELECT max(year) FROM roll_calls WHERE body = 'GA'").fetchone()[0]
    if last is None:
        return None
    return int(last) - 1 if partial_until(store, int(last)) is not None else int(last)


def selection_expr(store: Store, sel: VoteSelection):
    """The votes a selection keeps, as an engine-portable Ibis expression (year, rcid, code, vote)."""
    con = store.ibis()
    rc, votes = con.table("roll_calls"), con.table("votes")
    parts = []
    for source, lo, hi in sel.sources():
        r = rc.filter(rc.source == source, rc.body == sel.body)
        if lo is not None:
            r = r.filter(r.year >= lo)
        if hi is not None:
            r = r.filter(r.year <= hi)
        if sel.important:
            r = r.filter(r.important)
        if sel.final_only:
            r = r.filter(~r.amend.fill_null(False), ~r.para.fill_null(False))
        if sel.issues:
            r = r.filter(r.issues.intersect(ibis.literal(list(sel.issues))).length() > 0)
        v = votes.filter(votes.source == source)
        parts.append(r.select("rcid", "year").join(v.select("rcid", "code", "vote"), "rcid"))
    expr = parts[0] if len(parts) == 1 else parts[0].union(parts[1])
    vote_int = expr.vote.cast("string").cases(*VOTE_INT.items(), else_=0).cast("int8")
    return expr.select(year=expr.year.cast("int32"), rcid=expr.rcid, code=expr.code, vote=vote_int)


def load_votes(store: Store, sel: VoteSelection) -> pd.DataFrame:
    """Fetch the selected votes as compact arrays sorted by year (codes as a categorical)."""
    needed = {s for s, _, _ in sel.sources()}
    store.require(*sorted(needed))
    expr = selection_expr(store, sel)
    tb = expr.order_by(["year", "rcid", "code"]).to_pyarrow()
    # Dictionary-encode the state codes in Arrow: the categorical comes without a pass through Python strings.
    codes = pc.dictionary_encode(tb.column("code")).combine_chunks()
    order = np.argsort(codes.dictionary.to_numpy(zero_copy_only=False))
    remap = np.empty_like(order)
    remap[order] = np.arange(len(order))
    return pd.DataFrame({
        "year": tb.column("year").to_numpy(),
        "rcid": tb.column("rcid").to_numpy(),
        "code": pd.Categorical.from_codes(remap[codes.indices.to_numpy(zero_copy_only=False)],
                                          categories=codes.dictionary.to_numpy(zero_copy_only=False)[order]),
        "vote": tb.column("vote").to_numpy(),
    })


def year_blocks(codes: np.ndarray, rc: np.ndarray, vote: np.ndarray, n_states: int,
                absent: str) -> tuple[np.ndarray, ...]:
    """One-hot yes / abstain / no matrices (states x roll calls) for one year's votes."""
    rc_idx, rc_inv = np.unique(rc, return_inverse=True)
    m = len(rc_idx)
    mat = np.zeros((n_states, m), dtype=np.int8)
    mat[codes, rc_inv] = vote
    if absent == "abstain":
        mat[mat == 4] = 2
    return tuple((mat == k).astype(np.float32) for k in (1, 2, 3))


def agreement_matrices(y: np.ndarray, a: np.ndarray, no: np.ndarray, which: tuple[str, ...]) -> dict:
    """Shared-vote counts and indicators for all pairs of one year, from one matrix product."""
    n_states = y.shape[0]
    if which == ("agree",):
        # Agreement alone needs only the diagonal blocks and the count of shared votes.
        p = y + a + no
        both = (p @ p.T).astype(np.float64)
        agree_n = (y @ y.T + a @ a.T + no @ no.T).astype(np.float64)
        return {"n": both, "agree_n": agree_n}
    c = np.vstack([y, a, no])
    # float32 products are exact for counts below 2**24; ratios are taken in float64.
    g = (c @ c.T).astype(np.float64)
    blk = [[g[i * n_states:(i + 1) * n_states, j * n_states:(j + 1) * n_states] for j in range(3)] for i in range(3)]
    both = sum(blk[i][j] for i in range(3) for j in range(3))
    agree_n = blk[0][0] + blk[1][1] + blk[2][2]
    out = {"n": both, "agree_n": agree_n}
    with np.errstate(divide="ignore", invalid="ignore"):
        if "s" in which:
            half = blk[0][1] + blk[1][0] + blk[1][2] + blk[2][1]
            full = blk[0][2] + blk[2][0]
            out["s"] = 1.0 - 2.0 * (0.5 * half + full) / both
        if "pi" in which:
            p_o = agree_n / both
            p_e = np.zeros_like(both)
            for k in range(3):
                row = blk[k][0] + blk[k][1] + blk[k][2]  # i voted k, j voted anything
                pooled = (row + row.T) / (2.0 * both)
                p_e += pooled * pooled
            pi = (p_o - p_e) / (1.0 - p_e)
            out["pi"] = np.where(np.isclose(p_e, 1.0), np.nan, pi)
    return out


def dyad_years(store: Store, sel: VoteSelection | None = None,
               indicators: tuple[str, ...] = INDICATORS, votes: pd.DataFrame | None = None) -> pd.DataFrame:
    """UNGA similarity for every non-directed dyad-year with at least one shared vote.

    Args:
        store: the store (needs the UN vote sources the selection reads).
        sel: which roll calls count; default all GA roll calls of all years.
        indicators: any of ``agree``, ``s``, ``pi``.
        votes: votes already loaded by :func:`load_votes` (to time or reuse the read).

    Returns:
        Columns ``year, a, b, n, agree_n`` and the requested indicators; ``a < b`` alphabetically.
    """
    sel = sel or VoteSelection()
    bad = set(indicators) - set(INDICATORS)
    if bad:
        raise RequestError(f"unknown indicator(s) {sorted(bad)}; choose from {', '.join(INDICATORS)}")
    indicators = tuple(i for i in INDICATORS if i in indicators)
    df = load_votes(store, sel) if votes is None else votes
    cats = df["code"].cat.categories
    codes = df["code"].cat.codes.to_numpy()
    years = df["year"].to_numpy()
    rcid = df["rcid"].to_numpy()
    vote = df["vote"].to_numpy()
    bounds = np.flatnonzero(np.diff(years)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(years)]
    pieces: dict[str, list[np.ndarray]] = {k: [] for k in ("year", "a", "b", "n", "agree_n", *indicators)}
    for lo, hi in zip(starts, ends):
        if hi <= lo:
            continue
        present = np.unique(codes[lo:hi])
        local = np.searchsorted(present, codes[lo:hi])
        y, a, no = year_blocks(local, rcid[lo:hi], vote[lo:hi], len(present), sel.absent)
        res = agreement_matrices(y, a, no, ("agree",) if indicators == ("agree",) else indicators)
        iu, ju = np.triu_indices(len(present), 1)
        n = res["n"][iu, ju]
        keep = n > 0
        iu, ju = iu[keep], ju[keep]
        pieces["year"].append(np.full(len(iu), years[lo], dtype=np.int32))
        pieces["a"].append(present[iu])
        pieces["b"].append(present[ju])
        pieces["n"].append(n[keep].astype(np.int32))
        agree_n = res["agree_n"][iu, ju].astype(np.int32)
        pieces["agree_n"].append(agree_n)
        if "agree" in indicators:
            pieces["agree"].append(agree_n / n[keep])
        for k in ("s", "pi"):
            if k in indicators:
                pieces[k].append(res[k][iu, ju].astype(np.float64))
    cols = {k: (np.concatenate(v) if v else np.array([])) for k, v in pieces.items()}
    out = pd.DataFrame(cols)
    out["a"] = pd.Categorical.from_codes(cols["a"].astype(np.int32), categories=cats) if len(out) else pd.Categorical([])
    out["b"] = pd.Categorical.from_codes(cols["b"].astype(np.int32), categories=cats) if len(out) else pd.Categorical([])
    return out


def ranked_dyad_years(store: Store, sel: VoteSelection | None = None) -> pd.DataFrame:
    """:func:`dyad_years` plus ``agree_pct``, each dyad's percentile of agreement among all dyads that year.

    Computed once per selection while the store is open read-only (see :meth:`Store.cached`), so a server
    answering many pairs runs the all-dyad computation once. Do not modify the frame returned.
    """
    sel = sel or VoteSelection()

    def compute() -> pd.DataFrame:
        full = dyad_years(store, sel)
        if len(full):
            full["agree_pct"] = full.groupby("year")["agree"].rank(pct=True) * 100
        return full

    return store.cached((RANKED_KEY, sel), compute)


def pair_series(store: Store, a: str, b: str, sel: VoteSelection | None = None,
                with_rank: bool = True) -> pd.DataFrame:
    """One pair's yearly indicators, with where the pair ranks among all dyads that year.

    Returns:
        Columns ``year, a, b, n, agree_n, agree, s, pi, source`` plus ``agree_pct`` (percentile of the
        pair's agreement among all dyads of the year, 0-100) when ``with_rank``.
    """
    sel = sel or VoteSelection()
    full = ranked_dyad_years(store, sel)
    mine = pair_rows(full, a, b).copy()
    if not with_rank:
        mine = mine.drop(columns=["agree_pct"], errors="ignore")
    mine["a"], mine["b"] = a, b
    mine["source"] = mine.year.map(lambda y: next(s for s, l, h in sel.sources()
                                                  if (l is None or y >= l) and (h is None or y <= h)))
    return mine.reset_index(drop=True)
