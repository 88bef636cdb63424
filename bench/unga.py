"""All-dyad-year UNGA agreement on the Voeten 1946-2019 votes, four ways, in one session.

- dyadic: ``dyad_years`` (agreement alone, and all three indicators), including its read from the store;
- bound: a bare DuckDB fetch of the same votes plus one NumPy matrix product per year (no checks, no frame);
- duckdb: a SQL self-join on roll call, grouped by year and pair;
- pandas: the straightforward pandas self-join (``merge`` on rcid, then ``groupby``).

Each method runs in its own fresh process so that its peak memory (max RSS) is its own. Times start after
each method's imports (NumPy and DuckDB for the bound; dyadic, with its Ibis DuckDB backend, for dyadic).

    DYADIC_DATA=../shared/data python bench/unga.py [--skip-pandas] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VOETEN = "unvotes_voeten_2019"
QUERY = f"""SELECT r.year, v.rcid, v.code, v.vote::VARCHAR AS vote FROM votes v JOIN roll_calls r USING (source, rcid)
            WHERE v.source = '{VOETEN}' AND r.body = 'GA'"""


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM, unlike ru_maxrss, is not inherited across exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dyadic(store_path: str, which: str) -> dict:
    from dyadic.indicators.unga import VoteSelection, dyad_years
    from dyadic.store import Store

    st = Store.open(store_path, read_only=True)
    t = time.perf_counter()
    out = dyad_years(st, VoteSelection(source="voeten"), indicators=("agree",) if which == "agree" else ("agree", "s", "pi"))
    return {"seconds": time.perf_counter() - t, "rows": len(out)}


def run_bound(store_path: str) -> dict:
    import duckdb
    import numpy as np

    con = duckdb.connect(store_path, read_only=True)
    t = time.perf_counter()
    d = con.execute(f"""SELECT r.year, dense_rank() OVER (ORDER BY v.code) - 1 AS s, v.rcid,
                               enum_code(v.vote)::INTEGER AS vote
                        FROM votes v JOIN roll_calls r USING (source, rcid)
                        WHERE v.source = '{VOETEN}' AND r.body = 'GA' ORDER BY r.year""").fetchnumpy()
    year, s, rcid, vote = d["year"], d["s"], d["rcid"], d["vote"]
    n = int(s.max()) + 1
    cuts = np.flatnonzero(np.diff(year)) + 1
    rows = 0
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(year)]):
        _, rc = np.unique(rcid[lo:hi], return_inverse=True)
        m = np.zeros((n, rc.max() + 1), np.int8)
        m[s[lo:hi], rc] = vote[lo:hi] + 1  # enum ordinals are 0-based
        one = [(m == k).astype(np.float32) for k in (1, 2, 3)]
        p = one[0] + one[1] + one[2]
        both = p @ p.T
        agree = sum(x @ x.T for x in one)
        iu, ju = np.triu_indices(n, 1)
        keep = both[iu, ju] > 0
        _ = agree[iu, ju][keep] / both[iu, ju][keep]
        rows += int(keep.sum())
    return {"seconds": time.perf_counter() - t, "rows": rows}


def run_duckdb(store_path: str) -> dict:
    import duckdb

    con = duckdb.connect(store_path, read_only=True)
    t = time.perf_counter()
    n = con.execute(f"""WITH v AS ({QUERY})
        SELECT count(*) FROM (SELECT x.year, x.code, y.code, avg((x.vote = y.vote)::INT) AS agree, count(*) AS n
                              FROM v x JOIN v y ON x.rcid = y.rcid AND x.code < y.code GROUP BY ALL)""").fetchone()[0]
    return {"seconds": time.perf_counter() - t, "rows": n}


def run_pandas(store_path: str) -> dict:
    import duckdb

    con = duckdb.connect(store_path, read_only=True)
    t = time.perf_counter()
    v = con.execute(QUERY).df()
    j = v.merge(v, on=["rcid", "year"], suffixes=("_a", "_b"))
    j = j[j.code_a < j.code_b]
    j["same"] = j.vote_a == j.vote_b
    out = j.groupby(["year", "code_a", "code_b"])["same"].agg(["mean", "size"])
    return {"seconds": time.perf_counter() - t, "rows": len(out)}


def child(method: str, store_path: str) -> None:
    fn = {"agree": lambda p: run_dyadic(p, "agree"), "all3": lambda p: run_dyadic(p, "all3"),
          "bound": run_bound, "duckdb": run_duckdb, "pandas": run_pandas}[method]
    res = fn(store_path)
    res["peak_mb"] = peak_mb()
    print(json.dumps(res))


def measure(method: str, store_path: str, repeat: int) -> dict:
    best = None
    for _ in range(repeat):
        p = subprocess.run([sys.executable, __file__, "--child", method, "--store", store_path],
                           capture_output=True, text=True, check=True)
        res = json.loads(p.stdout.strip().splitlines()[-1])
        if best is None or res["seconds"] < best["seconds"]:
            best = res
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child")
    ap.add_argument("--store")
    ap.add_argument("--skip-pandas", action="store_true", help="skip the ~100 s, ~10 GB pandas baseline")
    ap.add_argument("--repeat", type=int, default=5, help="best of N for the fast methods")
    args = ap.parse_args()
    if args.child:
        return child(args.child, args.store)

    from rich.console import Console
    from rich.table import Table

    from dyadic.config import Settings
    from dyadic.store import Store, ingest

    tmp = Path(tempfile.mkdtemp(prefix="dyadic-bench-"))
    store_path = str(tmp / "bench.duckdb")
    settings = Settings.resolve(store=store_path, cache=os.environ.get("DYADIC_CACHE") or tmp / "cache")
    with Store.open(store_path) as st:
        ingest(st, settings, [VOETEN])
    res = {m: measure(m, store_path, args.repeat) for m in ("agree", "all3", "bound", "duckdb")}
    if not args.skip_pandas:
        res["pandas"] = measure("pandas", store_path, 1)
    t = Table(title="UNGA all-dyad-year agreement, Voeten 1946-2019 (best of runs; own process each)")
    for c in ("method", "seconds", "peak MB", "rows", "× bound"):
        t.add_column(c, justify="right")
    for m, r in res.items():
        t.add_row(m, f"{r['seconds']:.3f}", f"{r['peak_mb']:.0f}", f"{r['rows']:,}", f"{r['seconds'] / res['bound']['seconds']:.2f}")
    Console().print(t)
    pandas_s = res["pandas"]["seconds"] if "pandas" in res else float("nan")
    print(f"unga_all_dyads: dyadic={res['agree']['seconds']:.3f}s all3={res['all3']['seconds']:.3f}s "
          f"bound={res['bound']['seconds']:.3f}s pandas={pandas_s:.1f}s "
          f"ratio_bound={res['agree']['seconds'] / res['bound']['seconds']:.2f} "
          f"ratio_pandas={pandas_s / res['agree']['seconds']:.1f} "
          f"peak_mb={max(res['agree']['peak_mb'], res['all3']['peak_mb']):.0f}")


if __name__ == "__main__":
    main()
