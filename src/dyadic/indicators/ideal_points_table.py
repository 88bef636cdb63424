"""The ``ideal_points`` derived table: dyadic's state-year UNGA positions with bootstrap intervals.

``estimate_and_store`` estimates (see :mod:`dyadic.indicators.ideal_points`) and writes, in one transaction,
``ideal_points(source, year, code, theta, lo, hi, se, n_votes)`` and one provenance row in
``ideal_points_runs`` (the input sources with their checksums, the vote selection, the estimator settings,
convergence diagnostics). A later call with the same inputs and settings finds the estimates current and
does nothing, so the brief never re-estimates. ``dyad_distances`` turns positions into dyad-year distances.
Ingest the UN vote sources first (``dyadic ingest unvotes_voeten_2019 unga_unsc_votes_undl_scrape``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from dyadic.errors import NotIngestedError
from dyadic.indicators.ideal_points import BootstrapIdealPoints, DynamicIdealPoints, VotePanel
from dyadic.indicators.unga import VoteSelection, load_votes
from dyadic.store import Store

TABLE = "ideal_points"
RUNS = "ideal_points_runs"
SOURCE = "dyadic_ideal_points"
DDL = ("source VARCHAR, year INTEGER, code VARCHAR, theta DOUBLE, lo DOUBLE, hi DOUBLE, se DOUBLE, "
       "n_votes INTEGER")
RUNS_DDL = ("source VARCHAR, inputs VARCHAR, selection VARCHAR, params VARCHAR, diagnostics VARCHAR, "
            "created_at TIMESTAMP")


def _inputs(store: Store, sel: VoteSelection) -> dict[str, str]:
    names = sorted({s for s, _, _ in sel.sources()} | {"country_codes"})
    src = store.sources().set_index("name")
    return {n: str(src.loc[n, "sha256"]) for n in names if n in src.index}


def _key(store: Store, sel: VoteSelection, est: DynamicIdealPoints, n_boot: int) -> dict:
    return {"inputs": json.dumps(_inputs(store, sel), sort_keys=True),
            "selection": json.dumps(asdict(sel), sort_keys=True),
            "params": json.dumps({**est.params(), "n_boot": n_boot}, sort_keys=True)}


def is_current(store: Store, sel: VoteSelection | None = None, est: DynamicIdealPoints | None = None,
               n_boot: int | None = 100) -> bool:
    """Whether the stored estimates were made from the store's current inputs with these settings.

    ``n_boot=None`` accepts estimates with any number of bootstrap replicates.
    """
    if not (store.has_table(TABLE) and store.has_table(RUNS)):
        return False
    sel, est = sel or VoteSelection(), est or DynamicIdealPoints()
    k = _key(store, sel, est, n_boot or 0)
    row = store.con.execute(f"SELECT inputs, selection, params FROM {RUNS} WHERE source = ?", [SOURCE]).fetchone()
    if row is None or tuple(row[:2]) != (k["inputs"], k["selection"]):
        return False
    if n_boot is None:
        stored = {k2: v for k2, v in json.loads(row[2]).items() if k2 != "n_boot"}
        return stored == json.loads(json.dumps(est.params(), sort_keys=True))
    return row[2] == k["params"]


def estimate_and_store(store: Store, sel: VoteSelection | None = None, est: DynamicIdealPoints | None = None,
                       n_boot: int = 100, n_jobs: int | None = None, seconds: float | None = 600.0,
                       force: bool = False) -> dict:
    """Estimate state-year positions with bootstrap intervals and write them atomically.

    Args:
        store: a writable store with the UN vote sources ingested.
        sel: which votes (default: Voeten to 2019, UN Digital Library from 2020, all GA roll calls).
        est: the estimator settings (default :class:`DynamicIdealPoints()`).
        n_boot: bootstrap replicates (0: no intervals).
        n_jobs: bootstrap worker processes.
        seconds: bootstrap time budget.
        force: estimate even when the stored estimates are current.

    Returns:
        The provenance record (``status`` ``unchanged`` or ``estimated``, diagnostics).
    """
    sel, est = sel or VoteSelection(), est or DynamicIdealPoints()
    if not force and is_current(store, sel, est, n_boot):
        return {"status": "unchanged"}
    panel = VotePanel.from_votes(load_votes(store, sel), absent=sel.absent)
    est.fit(panel)
    pos = est.positions_.copy()
    diag = est.diagnostics()
    if n_boot:
        boot = BootstrapIdealPoints(n_boot=n_boot, n_jobs=n_jobs, seconds=seconds).fit(est)
        pos = boot.intervals_
        diag.update(n_boot_done=boot.n_done_, boot_seconds=round(boot.seconds_, 1), level=boot.level)
    else:
        pos["lo"] = pos["hi"] = pos["se"] = np.nan
    pos.insert(0, "source", SOURCE)
    k = _key(store, sel, est, n_boot)
    with store.transaction() as con:
        con.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} ({DDL})")
        con.execute(f"CREATE TABLE IF NOT EXISTS {RUNS} ({RUNS_DDL})")
        con.execute(f"DELETE FROM {TABLE} WHERE source = ?", [SOURCE])
        con.execute(f"DELETE FROM {RUNS} WHERE source = ?", [SOURCE])
        con.register("_ip", pos[["source", "year", "code", "theta", "lo", "hi", "se", "n_votes"]])
        try:
            con.execute(f"INSERT INTO {TABLE} BY NAME SELECT * FROM _ip")
        finally:
            con.unregister("_ip")
        con.execute(f"INSERT INTO {RUNS} VALUES (?, ?, ?, ?, ?, ?)",
                    [SOURCE, k["inputs"], k["selection"], k["params"], json.dumps(diag, default=float),
                     datetime.now(timezone.utc).replace(tzinfo=None)])
    return {"status": "estimated", **diag}


def positions(store: Store, codes: list[str] | None = None, start: int | None = None,
              end: int | None = None) -> pd.DataFrame:
    """Stored state-year positions (``year, code, theta, lo, hi, se, n_votes``).

    Raises:
        NotIngestedError: when nothing has been estimated yet.
    """
    if not store.has_table(TABLE):
        raise NotIngestedError(f"the store {store.path} has no ideal points: run 'dyadic ideal' with a writable "
                               "store (it estimates and stores them) first.")
    q = f"SELECT year, code, theta, lo, hi, se, n_votes FROM {TABLE} WHERE source = ?"
    args: list = [SOURCE]
    if codes:
        q += f" AND code IN ({', '.join('?' for _ in codes)})"
        args += list(codes)
    if start is not None:
        q += " AND year >= ?"
        args.append(start)
    if end is not None:
        q += " AND year <= ?"
        args.append(end)
    return store.con.execute(q + " ORDER BY code, year", args).df()


def dyad_distances(store: Store, pairs: list[tuple[str, str]] | None = None, start: int | None = None,
                   end: int | None = None) -> pd.DataFrame:
    """Dyad-year ideal-point distance ``|theta_a - theta_b|``, for the given pairs or every dyad.

    The interval ``lo, hi`` is conservative: the range of distances over the two positions' intervals.

    Returns:
        Columns ``year, a, b, distance, lo, hi`` (``a < b`` when all dyads are asked for).
    """
    if not store.has_table(TABLE):
        raise NotIngestedError(f"the store {store.path} has no ideal points: run 'dyadic ideal' first.")
    import ibis

    t = store.ibis().table(TABLE)
    t = t.filter(t.source == SOURCE)
    if start is not None:
        t = t.filter(t.year >= start)
    if end is not None:
        t = t.filter(t.year <= end)
    left = t.select(year=t.year, a=t.code, ta=t.theta, la=t.lo, ha=t.hi)
    right = t.select(year=t.year, b=t.code, tb=t.theta, lb=t.lo, hb=t.hi)
    j = left.join(right, "year")
    if pairs:
        cond = None
        for a, b in pairs:
            c = (j.a == a) & (j.b == b)
            cond = c if cond is None else cond | c
        j = j.filter(cond)
    else:
        j = j.filter(j.a < j.b)
    d = (j.ta - j.tb).abs()
    # Widest and narrowest separation compatible with both intervals (zero when they overlap).
    hi = ibis.greatest((j.ha - j.lb).abs(), (j.hb - j.la).abs())
    lo = ibis.greatest(j.la - j.hb, j.lb - j.ha, 0)
    out = j.select("year", "a", "b", distance=d, lo=lo, hi=hi).order_by(["a", "b", "year"])
    return out.to_pyarrow().to_pandas()
