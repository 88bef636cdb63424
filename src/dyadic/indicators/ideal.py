"""Published UNGA ideal points (Bailey, Strezhnev & Voeten) as panel columns, and beside dyadic's own.

``add_ideal_points`` adds each side's published position, their distance and, with a third party, each
side's distance from it. ``compare_ideal_points`` sets the published distance of one pair beside the
distance from dyadic's own estimates (:mod:`dyadic.indicators.ideal_points_table`) where the store holds
them; it never estimates (a full fit takes minutes), it reads what ``dyadic ideal`` stored.

Rules (see docs/indicators/ideal.md):

- A state-year the release does not list is unknown: its position and every distance built from it are
  missing, never 0 (Switzerland before 2002, Taiwan after 1971, no state in 1964, when the GA held no
  recorded votes; China's seat before 1971 is listed under Taiwan, code 713, as in the release).
- The default estimate is ``idealpointfp`` (final-passage votes only, 1946-2024); ``variant="all"`` reads
  ``idealpointall`` (all votes including amendments and paragraphs, 1946-2023).

Source: ``unga_ideal_points_voeten``. Cite: Bailey, M. A., Strezhnev, A. & Voeten, E. (2017), Estimating
dynamic state preferences from United Nations voting data, *Journal of Conflict Resolution* 61(2): 430-56;
E. Voeten, UNGA ideal points, July 28, 2025 release (Harvard Dataverse hdl:1902.1/12379).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dyadic.errors import RequestError
from dyadic.indicators.panel import (Panel, verb, check_free as _check_free, citations as _citations,
                                     cover as _cover, versions as _versions)
from dyadic.indicators.politics import side_values
from dyadic.store import Store

PUBLISHED = "unga_ideal_points_voeten"
#: variant -> column of ``ideal_points_published``
VARIANTS = {"fp": "idealpointfp", "all": "idealpointall"}
VARIANT_LABEL = {"fp": "final-passage votes only (idealpointfp)",
                 "all": "all votes incl. amendments and paragraphs (idealpointall)"}
IDEAL_COLUMNS = ["bsv_ideal_a", "bsv_ideal_b", "bsv_distance"]
THIRD_COLUMNS = ["bsv_dist_a_third", "bsv_dist_b_third", "bsv_dist_third_diff"]
#: fewer common years than this give no correlation (two points always correlate +-1)
MIN_CORRELATION_YEARS = 3


def _column(variant: str) -> str:
    if variant not in VARIANTS:
        raise RequestError(f"variant must be one of {', '.join(VARIANTS)}, not '{variant}'")
    return VARIANTS[variant]


def published_years(store: Store, variant: str = "fp") -> tuple[int, int]:
    """First and last year with a published estimate of this variant (July 2025: fp 1946-2024, all to 2023)."""
    col = _column(variant)
    store.require(PUBLISHED)
    lo, hi = store.con.execute(f"SELECT min(year), max(year) FROM ideal_points_published WHERE {col} IS NOT NULL "
                               "AND source = ?", [PUBLISHED]).fetchone()
    return int(lo), int(hi)


def published_positions(store: Store, start: int, end: int, variant: str = "fp",
                        codes: list[str] | None = None) -> pd.DataFrame:
    """Published state-year positions with a value of this variant.

    Returns:
        ``year, code, ideal, q5, q95`` (the 5th and 95th posterior percentiles of the same variant).
    """
    col = _column(variant)
    store.require(PUBLISHED)
    q = (f"SELECT year, code, {col} AS ideal, q5{variant} AS q5, q95{variant} AS q95 FROM ideal_points_published "
         f"WHERE source = ? AND {col} IS NOT NULL AND year BETWEEN ? AND ?")
    args: list = [PUBLISHED, start, end]
    if codes:
        q += f" AND code IN ({', '.join('?' for _ in codes)})"
        args += list(codes)
    return store.con.execute(q + " ORDER BY year, code", args).df()


@verb("ideal", needs=(PUBLISHED,), provides=IDEAL_COLUMNS, what="the published BSV ideal points")
def add_ideal_points(panel: Panel, store: Store, third: str | None = None,
                     variant: Literal["fp", "all"] = "fp") -> Panel:
    """Add the published BSV ideal point of each side and their distance (symmetric).

    Columns: ``bsv_ideal_a``, ``bsv_ideal_b`` (the side's position that year; positive = closer to the USA,
    as the release orients it), ``bsv_distance`` (``|bsv_ideal_a - bsv_ideal_b|``). With ``third``:
    ``bsv_dist_a_third``, ``bsv_dist_b_third`` (each side's distance from the third party's position) and
    ``bsv_dist_third_diff`` (``bsv_dist_a_third - bsv_dist_b_third``: positive when ``a`` is further from the
    third party than ``b``). Missing wherever a side (or the third party) has no estimate that year.
    Needs ``unga_ideal_points_voeten``. Cite: Bailey, Strezhnev & Voeten (2017), JCR 61(2): 430-56; July 2025
    release.

    Args:
        third: a state (code or name), e.g. ``"USA"``.
        variant: ``fp`` (final-passage votes, 1946-2024) or ``all`` (all votes, 1946-2023).
    """
    col = _column(variant)
    t = store.registry().resolve(third) if third is not None else None
    cols = IDEAL_COLUMNS + (THIRD_COLUMNS if t else [])
    _check_free(panel, cols, "add_ideal_points")
    lo, hi = published_years(store, variant)
    pos = published_positions(store, panel.start, panel.end, variant)
    va, vb = side_values(panel.data, pos, ["ideal"])["ideal"]
    data = panel.data.copy(deep=False)
    # NaN propagates through the arithmetic: a side without an estimate leaves every distance missing.
    data["bsv_ideal_a"], data["bsv_ideal_b"] = va, vb
    data["bsv_distance"] = np.abs(va - vb)
    versions, cit = _versions(store, [PUBLISHED]), _citations(store, [PUBLISHED])
    base = (f"Bailey-Strezhnev-Voeten ideal points, {VARIANT_LABEL[variant]}, published {lo}-{hi}; missing "
            "where a side has no estimate that year (not a UN member, no recorded votes, e.g. 1964)")
    out = _cover(panel, data, IDEAL_COLUMNS, f"{PUBLISHED} ({col})", versions, cit, base, f"ideal:{variant}")
    if not t:
        return out
    year = panel.data["year"].to_numpy().astype(np.int64)
    own = pos[pos["code"] == t]
    # The third party's position by year, looked up for every row; a year it lacks stays NaN.
    tp = pd.Series(own["ideal"].to_numpy(dtype=np.float64), index=own["year"].to_numpy()).reindex(year).to_numpy()
    data = out.data.copy(deep=False)
    data["bsv_dist_a_third"] = np.abs(va - tp)
    data["bsv_dist_b_third"] = np.abs(vb - tp)
    data["bsv_dist_third_diff"] = data["bsv_dist_a_third"] - data["bsv_dist_b_third"]
    note = (base + f"; third party {t}: distance of each side from {t}'s position that year (0 on rows where "
            f"the side is {t}), diff = a's minus b's, missing where {t} has no estimate")
    return _cover(out, data, THIRD_COLUMNS, f"{PUBLISHED} ({col})", versions, cit, note, f"ideal:third:{t}")


# ------------------------------------------------------------------------------------------- comparison


@dataclass(frozen=True)
class IdealComparison:
    """One pair's published distance beside dyadic's own, per year.

    Attributes:
        a, b: the state codes.
        years: one row per year ``start..end``: ``year, bsv_ideal_a, bsv_ideal_b, bsv_distance`` (final
            passage), ``bsv_lo, bsv_hi`` (range of distances over the two 90% posterior intervals),
            ``bsv_distance_all`` (all votes), ``dyadic_ideal_a, dyadic_ideal_b, dyadic_distance,
            dyadic_lo, dyadic_hi`` (stored bootstrap 90% intervals; missing without a bootstrap) and
            ``dyadic_votes`` (the roll-call source dyadic's estimate used that year).
        correlation, correlation_all: Pearson r of ``dyadic_distance`` with ``bsv_distance`` /
            ``bsv_distance_all`` over the years both exist; ``None`` under :data:`MIN_CORRELATION_YEARS`.
        n_years, n_years_all: how many years that is.
        dyadic: what the store holds of dyadic's estimates (``not estimated``, ``current`` or
            ``not current: ...``) and when they were made.
        note: where and why the two differ.
    """

    a: str
    b: str
    years: pd.DataFrame
    correlation: float | None
    correlation_all: float | None
    n_years: int
    n_years_all: int
    dyadic: str
    note: str


COMPARISON_NOTE = (
    "The two are not the same measurement. (1) Roll calls: the published idealpointfp uses final-passage votes "
    "only and idealpointall adds amendment and paragraph votes, both from UNGA-DM (Fjelstul, Hug & Kilby 2025); "
    "dyadic by default reads Voeten's roll calls (amendments and paragraphs included) to {splice_minus} and the UN "
    "Digital Library's recorded votes on adopted resolutions from {splice}, so its vote set changes kind at that "
    "splice (closest to idealpointall before it, to idealpointfp after; dyadic_votes names each year's source). (2) Bridging: BSV link years through "
    "resolutions repeated identically across years; dyadic's staged votes carry no resolution identity, so only "
    "its random-walk prior links years and its distances move more smoothly. (3) Identification: each scale is "
    "standardised to mean 0, SD 1 over the state-years of its own fit and oriented USA-positive, so levels differ "
    "(dyadic places the USA further out) and a dyadic fit over fewer years has a different unit; compare the "
    "shape over time (the correlation), not levels. dyadic's estimates are read as stored, never computed here "
    "('dyadic ideal' estimates and stores them)."
)


def distance_interval(lo_a, hi_a, lo_b, hi_b) -> tuple[np.ndarray, np.ndarray]:
    """The narrowest and widest distance two intervals allow (NaN when either is missing)."""
    lo = np.maximum(np.maximum(lo_a - hi_b, lo_b - hi_a), 0.0)
    hi = np.maximum(np.abs(hi_a - lo_b), np.abs(hi_b - lo_a))
    missing = np.isnan(lo_a) | np.isnan(hi_a) | np.isnan(lo_b) | np.isnan(hi_b)
    return np.where(missing, np.nan, lo), np.where(missing, np.nan, hi)


def _pair_by_year(frame: pd.DataFrame, x: str, y: str, years: np.ndarray, cols: list[str]) -> dict:
    """``{col: (x's values, y's values)}`` aligned on ``years`` (NaN where a state has no row)."""
    out = {}
    for c in cols:
        sides = []
        for code in (x, y):
            own = frame[frame["code"] == code]
            sides.append(pd.Series(own[c].to_numpy(dtype=np.float64, na_value=np.nan),
                                   index=own["year"].to_numpy()).reindex(years).to_numpy())
        out[c] = tuple(sides)
    return out


def _pearson(u: pd.Series, v: pd.Series) -> tuple[float | None, int]:
    both = u.notna() & v.notna()
    n = int(both.sum())
    if n < MIN_CORRELATION_YEARS or u[both].std() == 0 or v[both].std() == 0:
        return None, n
    return float(np.corrcoef(u[both].to_numpy(float), v[both].to_numpy(float))[0, 1]), n


def _dyadic_status(store: Store) -> tuple[str, bool, list[tuple[str, int | None, int | None]]]:
    """What the store holds of dyadic's own estimates, whether it holds any, and the vote pieces
    ``(source, first, last)`` they were made from (empty when unknown)."""
    from dyadic.indicators import ideal_points_table as ipt
    from dyadic.indicators.unga import VoteSelection

    if not store.has_table(ipt.TABLE) or not store.con.execute(
            f"SELECT count(*) FROM {ipt.TABLE} WHERE source = ?", [ipt.SOURCE]).fetchone()[0]:
        return "not estimated: run 'dyadic ideal' with a writable store to estimate and store them", False, []
    row = (store.con.execute(f"SELECT selection, created_at FROM {ipt.RUNS} WHERE source = ?",
                             [ipt.SOURCE]).fetchone() if store.has_table(ipt.RUNS) else None)
    if row is None:
        return "stored without a provenance record", True, []
    sel = json.loads(row[0])
    sel["issues"] = tuple(sel.get("issues") or ())
    pieces = VoteSelection(**sel).sources()
    made = f"made {row[1]:%Y-%m-%d %H:%M} UTC"
    if ipt.is_current(store, n_boot=None):
        return f"current ({made}, default settings)", True, pieces
    # Stale or made with other settings: still the stored numbers, and labelled as such.
    return (f"not current: {made} from other inputs or settings than the store's current sources with the "
            "default estimator; 'dyadic ideal' re-estimates"), True, pieces


def compare_ideal_points(store: Store, a: str, b: str, start: int, end: int) -> IdealComparison:
    """The published BSV distance of a pair beside the distance from dyadic's stored estimates, per year.

    Reads dyadic's ``ideal_points`` table as stored (no estimation here: a full fit takes minutes); where the
    store has none, the dyadic columns are missing and the correlation is ``None``. Needs
    ``unga_ideal_points_voeten``. Cite: Bailey, Strezhnev & Voeten (2017), JCR 61(2): 430-56.

    Args:
        a, b: two different states (codes or names).
        start, end: first and last year (inclusive).
    """
    store.require(PUBLISHED, by="compare_ideal_points", what="the published BSV ideal points")
    if start > end:
        raise RequestError(f"start year {start} is after end year {end}")
    x, y = store.registry().dyad(a, b)
    years = np.arange(start, end + 1)
    out = pd.DataFrame({"year": years.astype("int16")})
    fp = _pair_by_year(published_positions(store, start, end, "fp", [x, y]), x, y, years, ["ideal", "q5", "q95"])
    al = _pair_by_year(published_positions(store, start, end, "all", [x, y]), x, y, years, ["ideal"])
    out["bsv_ideal_a"], out["bsv_ideal_b"] = fp["ideal"]
    out["bsv_distance"] = np.abs(fp["ideal"][0] - fp["ideal"][1])
    out["bsv_lo"], out["bsv_hi"] = distance_interval(fp["q5"][0], fp["q95"][0], fp["q5"][1], fp["q95"][1])
    out["bsv_distance_all"] = np.abs(al["ideal"][0] - al["ideal"][1])

    status, stored, pieces = _dyadic_status(store)
    if stored:
        from dyadic.indicators.ideal_points_table import positions

        own = _pair_by_year(positions(store, [x, y], start, end), x, y, years, ["theta", "lo", "hi"])
    else:
        own = {c: (np.full(len(years), np.nan),) * 2 for c in ("theta", "lo", "hi")}
    out["dyadic_ideal_a"], out["dyadic_ideal_b"] = own["theta"]
    out["dyadic_distance"] = np.abs(own["theta"][0] - own["theta"][1])
    out["dyadic_lo"], out["dyadic_hi"] = distance_interval(own["lo"][0], own["hi"][0], own["lo"][1], own["hi"][1])
    votes = np.full(len(years), None, dtype=object)
    has = out["dyadic_distance"].notna().to_numpy()
    for src, lo, hi in pieces:
        inside = (years >= (start if lo is None else lo)) & (years <= (end if hi is None else hi))
        votes[inside & has] = src
    out["dyadic_votes"] = votes

    r, n = _pearson(out["dyadic_distance"], out["bsv_distance"])
    r_all, n_all = _pearson(out["dyadic_distance"], out["bsv_distance_all"])
    from dyadic.indicators.unga import SPLICE_YEAR

    note = COMPARISON_NOTE.format(splice=SPLICE_YEAR, splice_minus=SPLICE_YEAR - 1)
    return IdealComparison(x, y, out, r, r_all, n, n_all, status, note)


# This module imports the panel's helpers, so it registers its verb itself; panel.py imports it at its end.
