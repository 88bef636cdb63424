"""How long the brief takes: fresh (ingest on an empty store, then the brief), warm (the same brief again) and a
pair not built before, each as the user runs it (``dyadic brief … --pdf`` in a new process).

    .venv/bin/python bench/brief.py [--data DIR] [--workdir DIR] [--snapshot]

Uses a new store and a new, empty brief cache (``DYADIC_BRIEF_CACHE``) in a temporary folder (or --workdir),
reading the staged files from --data or $DYADIC_DATA. Fresh is ``dyadic ingest --all`` plus the China–Russia
(USA) brief; warm is that brief again; new pair is India–Pakistan (China). Prints each run's seconds and, as
its last line, ``brief: fresh_s=… warm_s=… new_pair_s=… pages=…`` (pages of the China–Russia PDF). Targets on
a 2-core machine: warm <= 5 s, new pair <= 15 s, fresh <= 90 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds ``cmd`` took; raises with its output when it fails."""
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=os.environ.get("DYADIC_DATA"), help="folder of the staged source files")
    ap.add_argument("--workdir", type=Path, default=None, help="folder for the store, cache and briefs")
    ap.add_argument("--snapshot", action="store_true",
                    help="run a copy of src/ taken at the start: edits to the tree during the runs (which change "
                         "the code digest and so empty the cache) do not reach them")
    args = ap.parse_args()
    if not args.data:
        raise SystemExit("set --data or DYADIC_DATA to the staged source files")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="dyadic-bench-brief-"))
    work.mkdir(parents=True, exist_ok=True)
    store, out = work / "bench.duckdb", work / "out"
    if store.exists():
        raise SystemExit(f"{store} exists: fresh needs an empty store (give another --workdir)")
    env = {**os.environ, "DYADIC_DATA": str(args.data), "DYADIC_BRIEF_CACHE": str(work / "brief-cache")}
    if args.snapshot:
        shutil.copytree(ROOT / "src", work / "src", ignore=shutil.ignore_patterns("__pycache__"))
        env["PYTHONPATH"] = os.pathsep.join([str(work / "src"), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    dyadic = [sys.executable, "-m", "dyadic"]
    brief = [*dyadic, "brief", "CHN", "RUS", "--third", "USA", "--pdf", "--no-ingest", "--store", str(store),
             "--out", str(out)]
    ingest_s = run([*dyadic, "ingest", "--all", "--store", str(store)], env)
    first_s = run(brief, env)
    print(f"ingest --all: {ingest_s:.1f} s; first brief: {first_s:.1f} s")
    warm_s = run(brief, env)
    print(f"same brief again: {warm_s:.1f} s")
    new_s = run([*dyadic, "brief", "IND", "PAK", "--third", "CHN", "--pdf", "--no-ingest", "--store", str(store),
                 "--out", str(out)], env)
    print(f"new pair (IND PAK --third CHN): {new_s:.1f} s")
    sys.path.insert(0, str(ROOT / "src"))
    from dyadic.report.brief import pdf_pages

    pages = pdf_pages(out / "brief-CHN-RUS-USA.pdf")
    print(f"IND-PAK-CHN pages: {pdf_pages(out / 'brief-IND-PAK-CHN.pdf')}; files in {work}")
    print(f"brief: fresh_s={ingest_s + first_s:.1f} warm_s={warm_s:.1f} new_pair_s={new_s:.1f} pages={pages}")


if __name__ == "__main__":
    main()
