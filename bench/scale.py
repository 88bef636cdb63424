"""Benchmark: the event job (GDELT files -> dyad-month indicators as Parquet) at 1x, 4x and 16x on both engines.

The input is resampled from the lines of the staged real GDELT 2.0 file, as in bench/events.py. For each
engine and size a fresh process runs :func:`dyadic.indicators.events_engine.write_event_periods` (read,
actor map, de-duplication, filters, volume, indicators, partitioned Parquet write, all of it or nothing).
Outside the clock: library imports, the Spark session start, and one warm-up job on a small input (20,000
rows) on both engines, as a cluster's long-running JVMs are warm; the warm-up's own time is printed
(``first job``), since in a fresh JVM the first job pays for class loading and JIT compilation.

Memory: DuckDB is held to 256 MB and spills beyond it (``Engine.limit_memory``); the Spark driver JVM
(which runs the executors in local mode) gets a 1 GB heap (``DYADIC_SPARK_DRIVER_MEMORY``), so neither grows with the input. Peak
memory is VmHWM (peak resident set) of the driver: the Python process, plus the JVM for Spark.

The growth exponent is the slope of log(time) on log(rows) over the three sizes (1.0 = linear).

Usage: ``.venv/bin/python bench/scale.py [--rows 500000]`` (needs DYADIC_DATA and Java for Spark). Last line:
``scale: duckdb_exp=... spark_exp=... spark_over_duckdb=...``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from events import build, seed_store  # noqa: E402  (the same input and seed as the ingest benchmark)

WORK = Path("/tmp/dyadic-bench-scale")

CHILD = r"""
import json, os, sys, time, shutil
from pathlib import Path


def vmhwm(pid="self"):
    try:
        with open(f"/proc/{pid}/status") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def children():
    out = []
    for task in Path("/proc/self/task").iterdir():
        out += (task / "children").read_text().split()
    return out


eng, folder, store, out, warm = sys.argv[1:6]
import duckdb
from dyadic import engine
from dyadic.store import Store
from dyadic.indicators.events_engine import write_event_periods
st = Store.open(store, read_only=True)
reg = st.registry()
be = engine.engine_for(eng, st)  # Spark's session starts here, before the clock: a cluster keeps its session
be.limit_memory("256MB")  # as `dyadic gdelt aggregate`: DuckDB spills instead of growing
t0 = time.perf_counter()
write_event_periods(be, Path(warm), reg, out + "-warm")
first = time.perf_counter() - t0
shutil.rmtree(out + "-warm", ignore_errors=True)
t0 = time.perf_counter()
write_event_periods(be, Path(folder), reg, out)
secs = time.perf_counter() - t0
py = vmhwm()
jvm = sum(vmhwm(p) for p in children())
print(json.dumps({"secs": secs, "first": first, "py_mb": py, "jvm_mb": jvm}))
"""


def run(eng: str, folder: Path, seed: Path, warm: Path) -> dict:
    out = WORK / f"out-{eng}"
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, "DYADIC_SPARK_DRIVER_MEMORY": os.environ.get("DYADIC_SPARK_DRIVER_MEMORY", "1g")}
    res = subprocess.run([sys.executable, "-c", CHILD, eng, str(folder), str(seed), str(out), str(warm)],
                         capture_output=True, text=True, check=False, env=env)
    if res.returncode:
        raise SystemExit(f"{eng} failed:\n{res.stderr[-3000:]}")
    shutil.rmtree(out, ignore_errors=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000, help="rows at 1x (default 500,000; 16x is 8 million)")
    args = ap.parse_args()
    seed = seed_store(WORK)

    factors = (1, 4, 16)
    results: dict[tuple[str, int], dict] = {}
    warm = WORK / "warm-up"
    shutil.rmtree(warm, ignore_errors=True)
    build(20_000, warm)
    for f in factors:
        rows = args.rows * f
        folder = WORK / f"in-{f}x"
        shutil.rmtree(folder, ignore_errors=True)
        files = build(rows, folder)
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"built {rows:,} rows ({f}x) in {len(files)} files, {mb:,.0f} MB", flush=True)
        for eng in ("duckdb", "spark"):
            results[(eng, f)] = r = run(eng, folder, seed, warm)
            print(f"  {eng:<6} {r['secs']:7.2f} s  (first job {r['first']:5.2f} s)  python {r['py_mb']:6.0f} MB  "
                  f"jvm {r['jvm_mb']:6.0f} MB", flush=True)
        shutil.rmtree(folder)

    print(f"\n{'engine':<7} {'x':>3} {'rows':>10} {'seconds':>8} {'rows/s':>10} {'driver MB':>9} {'vs duckdb':>9}")
    exps = {}
    for eng in ("duckdb", "spark"):
        for f in factors:
            r = results[(eng, f)]
            rows = args.rows * f
            vs = r["secs"] / results[("duckdb", f)]["secs"]
            print(f"{eng:<7} {f:>3} {rows:>10,} {r['secs']:>8.2f} {rows / r['secs']:>10,.0f} "
                  f"{r['py_mb'] + r['jvm_mb']:>9.0f} {vs:>9.2f}")
        x = np.log([args.rows * f for f in factors])
        y = np.log([results[(eng, f)]["secs"] for f in factors])
        exps[eng] = float(np.polyfit(x, y, 1)[0])
    ratio = results[("spark", factors[-1])]["secs"] / results[("duckdb", factors[-1])]["secs"]
    print(f"scale: duckdb_exp={exps['duckdb']:.2f} spark_exp={exps['spark']:.2f} spark_over_duckdb={ratio:.2f}")


if __name__ == "__main__":
    main()
