"""The non-directed all-dyad-year panel 1816-2024, built step by step: COW dyad-years, UNGA agreement, trade,
NMC capabilities, ATOP alliances (each step runs only when its indicator and source exist). The frame, trade,
power and alliances are Ibis expressions run on the DuckDB engine; UNGA is NumPy (matrix products) joined by
``panel.join``.

For each step: wall time and this process's peak resident memory after it. Baselines run in the same
process for the join of in-memory values (``panel.join``): the straightforward pandas ``merge`` of the ATOP
dyad-years onto the frame, and the same join as an Ibis expression on DuckDB.

    DYADIC_DATA=../shared/data python bench/panel.py [--store FILE]

Sources missing from the store are ingested first (not timed). Last line:
``panel_all_dyads: total=…s peak_mb=… rows=…``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

STEPS = [("unga", ["unvotes_voeten_2019", "unga_unsc_votes_undl_scrape"]),
         ("trade", ["cow_trade", "wb_gdp"]),
         ("power", ["cow_nmc", "sipri_milex", "wb_gdp"]),
         ("alliances", ["alliances_atop_cow"])]


def peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default=os.environ.get("DYADIC_STORE") or "/tmp/dyadic-bench-panel.duckdb")
    ap.add_argument("--start", type=int, default=1816)
    ap.add_argument("--end", type=int, default=2024)
    args = ap.parse_args()

    from dyadic.config import Settings
    from dyadic.errors import DyadicError
    from dyadic.sources import SOURCES
    from dyadic.store import Store, ingest

    settings = Settings.resolve(store=args.store)
    with Store.open(settings.store_path) as st:
        wanted = [s for _, names in STEPS for s in names if s in SOURCES and not st.has_source(s)]
        if wanted:
            ingest(st, settings, wanted)

    import ibis  # noqa: F401  (import cost is paid once per session, not by a step)
    import pandas as pd

    from dyadic.indicators import panel as P

    st = Store.open(settings.store_path, read_only=True)
    rows = []
    t0 = time.perf_counter()
    t = time.perf_counter()
    p = P.create_dyadyears(st, args.start, args.end)
    rows.append(("create_dyadyears", time.perf_counter() - t, peak_mb(), len(p), ""))
    for name, _ in STEPS:
        fn = {"unga": lambda q: P.add_unga(q, st, indicators=("agree",)), "trade": lambda q: P.add_trade(q, st),
              "power": lambda q: P.add_power(q, st),
              "alliances": lambda q: P.add_alliances(q, st, datasets=("atop",))}[name]
        t = time.perf_counter()
        try:
            p = fn(p)
            rows.append((f"add_{name}", time.perf_counter() - t, peak_mb(), len(p), ""))
        except DyadicError as exc:
            rows.append((f"add_{name}", float("nan"), peak_mb(), len(p), f"skipped: {exc}"[:90]))
    total = time.perf_counter() - t0
    peak = peak_mb()

    # Baseline for the join itself: pandas merge of the same ATOP dyad-years on (year, a, b).
    from dyadic.indicators.commitments import alliance_dyad_years

    atop = alliance_dyad_years(st, "atop", args.start, args.end, directed=False)
    frame = p.data[["year", "a", "b"]]
    t = time.perf_counter()
    P.join(p, atop, ["defense", "offense", "neutral", "nonagg", "consult"], within=(1815, 2018),
           fill={c: 0 for c in ("defense", "offense", "neutral", "nonagg", "consult")})
    ours = time.perf_counter() - t
    t = time.perf_counter()
    left = frame.assign(a=frame.a.astype(str), b=frame.b.astype(str), year=frame.year.astype("int32"))
    pd.merge(left, atop, on=["year", "a", "b"], how="left")
    base = time.perf_counter() - t
    # The same join of in-memory frames as an Ibis expression on DuckDB (join_alliance, the rule the alliance
    # step runs on store tables): why in-memory values keep P.join.
    from dyadic import engine

    with engine.engine_for("duckdb", st) as e:
        t = time.perf_counter()
        e.to_pandas(P.join_alliance(ibis.memtable(left), ibis.memtable(atop), "atop", (1815, 2018)))
        on_ibis = time.perf_counter() - t

    print(f"{'step':<18} {'seconds':>8} {'peak_mb':>8} {'rows':>10}  note")
    for step, sec, mb, n, note in rows:
        print(f"{step:<18} {sec:8.2f} {mb:8.0f} {n:10,}  {note}")
    print(f"{'join: ours':<18} {ours:8.3f}  vs pandas merge {base:.3f} s (ratio {base / ours:.1f}x), "
          f"vs Ibis on DuckDB {on_ibis:.3f} s (ratio {on_ibis / ours:.1f}x)")
    print(f"columns: {', '.join(p.data.columns)}")
    print(f"panel_all_dyads: total={total:.2f}s peak_mb={peak:.0f} rows={len(p)}")


if __name__ == "__main__":
    main()
