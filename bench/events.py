"""Benchmark: GDELT event ingest + dyad-month aggregation against pandas and a bare DuckDB bound.

Builds a large input in the real GDELT 2.0 export format by resampling the lines of the staged real
15-minute file (each line gets a fresh GLOBALEVENTID so de-duplication keeps every row), written as
files of at most 250,000 rows under /tmp. Three contenders run in the same invocation, each in a fresh
process so its peak memory (VmHWM, the peak resident set) is its own; library imports are outside the clock:

- dyadic: ``ingest_gdelt`` into a new store (typed read, filters, actor rule, BLAKE3 checksum of every file,
  atomic write) plus the all-dyad monthly indicators (``dyad_periods(...).execute()``);
- pandas: ``read_csv`` of every file + ``groupby`` (how gdeltPyR works);
- bound: DuckDB ``read_csv`` with the same explicit types + one GROUP BY, in one pass (no store, no mapping).

Usage: ``.venv/bin/python bench/events.py [--rows 1000000]`` (needs DYADIC_DATA). The largest size is
``--rows``; peak memory is also shown at a quarter of it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

WORK = Path("/tmp/dyadic-bench-events")
PER_FILE = 250_000


def build(rows: int, out: Path) -> list[Path]:
    src = Path(os.environ["DYADIC_DATA"]) / "gdelt_raw_samples" / "20191024143000.export.CSV"
    lines = [ln.split(b"\t", 1)[1] for ln in src.read_bytes().splitlines()]
    rng = random.Random(7)
    out.mkdir(parents=True, exist_ok=True)
    files, next_id, stamp = [], 900_000_000, 20191024000000
    for k in range(0, rows, PER_FILE):
        n = min(PER_FILE, rows - k)
        f = out / f"{stamp + 1500 * len(files)}.export.CSV"
        with open(f, "wb") as fh:
            pick = rng.choices(lines, k=n)
            fh.write(b"".join(b"%d\t%s\n" % (next_id + i, ln) for i, ln in enumerate(pick)))
        next_id += n
        files.append(f)
    return files


def seed_store(work: Path) -> Path:
    """A store holding only the country registry under ``work`` (made once), after checking DYADIC_DATA."""
    if not os.environ.get("DYADIC_DATA"):
        raise SystemExit("set DYADIC_DATA to the folder holding gdelt_raw_samples/ and the country code files")
    work.mkdir(parents=True, exist_ok=True)
    seed = work / "seed.duckdb"
    if not seed.exists():
        from dyadic.config import Settings
        from dyadic.store import Store, ingest
        with Store.open(seed) as st:
            ingest(st, Settings.resolve(store=seed), ["country_codes"])
    return seed


CHILD = r"""
import json, re, sys, time, shutil
import duckdb, pandas


def peak_mb():
    # VmHWM is this process's own peak RSS; ru_maxrss would carry the parent's peak across exec.
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:")) / 1024


mode, folder, store_seed, store_path = sys.argv[1:5]
t0 = time.perf_counter()
if mode == "dyadic":
    shutil.copy(store_seed, store_path)
    from dyadic.store import Store
    from dyadic.events_api import ingest_gdelt
    from dyadic.indicators.events import dyad_periods
    import ibis, rich.progress
    ibis.duckdb  # library imports happen before the clock starts, as for pandas and duckdb
    t0 = time.perf_counter()
    with Store.open(store_path) as st:
        s = ingest_gdelt(st, folder + "/*.export.CSV", name="gdelt_bench")
        out = dyad_periods(st, "gdelt_bench", "month").execute()
    rows_in = int(re.search(r"([\d,]+) rows read", s.notes[0]).group(1).replace(",", ""))
    groups = len(out)
elif mode == "pandas":
    import glob, pandas as pd
    from dyadic.sources.gdelt import GDELT2_COLUMNS
    names = list(GDELT2_COLUMNS)
    t0 = time.perf_counter()
    frames = [pd.read_csv(f, sep="\t", header=None, names=names, dtype=str, quoting=3)
              for f in sorted(glob.glob(folder + "/*.export.CSV"))]
    df = pd.concat(frames, ignore_index=True)
    df["GoldsteinScale"] = df.GoldsteinScale.astype(float)
    out = df.groupby(["Actor1CountryCode", "Actor2CountryCode", "MonthYear", "QuadClass"]).GoldsteinScale.agg(["size", "sum"])
    rows_in, groups = len(df), len(out)
else:
    import duckdb
    from dyadic.sources.gdelt import GDELT2_COLUMNS
    t0 = time.perf_counter()
    con = duckdb.connect()
    # One pass: the rows read are the sum of the group counts.
    out = con.execute(f"SELECT Actor1CountryCode, Actor2CountryCode, MonthYear, QuadClass, count(*), "
                      f"sum(GoldsteinScale) FROM read_csv('{folder}/*.export.CSV', delim='\t', header=false, "
                      f"quote='', escape='', auto_detect=false, columns={GDELT2_COLUMNS!r}, dateformat='%Y%m%d') "
                      "GROUP BY ALL").fetchall()
    rows_in = sum(r[4] for r in out)
    groups = len(out)
secs = time.perf_counter() - t0
print(json.dumps({"secs": secs, "rows": rows_in, "groups": groups,
                  "peak_mb": peak_mb()}))
"""


def run(mode: str, folder: Path, seed: Path) -> dict:
    store = WORK / f"{mode}.duckdb"
    store.unlink(missing_ok=True)
    res = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder), str(seed), str(store)],
                         capture_output=True, text=True, check=False)
    if res.returncode:
        raise SystemExit(f"{mode} failed:\n{res.stderr[-3000:]}")
    store.unlink(missing_ok=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows at the largest size (default 1,000,000)")
    ap.add_argument("--skip-pandas", action="store_true", help="leave the slow pandas baseline out")
    args = ap.parse_args()
    seed = seed_store(WORK)

    sizes = [max(args.rows // 4, 1), args.rows]
    results = {}
    for rows in sizes:
        folder = WORK / f"in-{rows}"
        if folder.exists():
            shutil.rmtree(folder)
        t = time.perf_counter()
        files = build(rows, folder)
        mb = sum(f.stat().st_size for f in files) / 1e6
        print(f"built {rows:,} rows in {len(files)} files, {mb:,.0f} MB ({time.perf_counter() - t:.1f} s)")
        for mode in ("dyadic", "bound") + (() if args.skip_pandas else ("pandas",)):
            r = run(mode, folder, seed)
            results[(rows, mode)] = r
        shutil.rmtree(folder)

    print(f"\n{'rows':>10} {'contender':<8} {'seconds':>8} {'rows/s':>11} {'peak MB':>8} {'vs pandas':>9} {'vs bound':>8}")
    for (rows, mode), r in results.items():
        rate = r["rows"] / r["secs"]
        pd_r = results.get((rows, "pandas"))
        vs_pd = rate / (pd_r["rows"] / pd_r["secs"]) if pd_r else float("nan")
        b = results[(rows, "bound")]
        vs_b = rate / (b["rows"] / b["secs"])
        print(f"{rows:>10,} {mode:<8} {r['secs']:>8.2f} {rate:>11,.0f} {r['peak_mb']:>8.0f} {vs_pd:>9.1f} {vs_b:>8.2f}")
    big = args.rows
    d, b = results[(big, "dyadic")], results[(big, "bound")]
    p = results.get((big, "pandas"))
    peak = max(results[(s, "dyadic")]["peak_mb"] for s in sizes)
    print(f"events_ingest: dyadic_rows_s={d['rows'] / d['secs']:.0f} "
          f"pandas_rows_s={(p['rows'] / p['secs']) if p else float('nan'):.0f} "
          f"bound_rows_s={b['rows'] / b['secs']:.0f} peak_mb={peak:.0f}")


if __name__ == "__main__":
    main()
