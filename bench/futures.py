"""Benchmark of the futures method: base rates over all dyads + 10,000 Monte Carlo paths for one pair, and
the back-test over all dyads with data. Baseline in the same process: the history (panel) build they share;
the last line's times exclude it (it is built once per process and reused).

Run: DYADIC_DATA=/work/shared/data DYADIC_STORE=<store with UN votes, alliances_atop_cow, cow_nmc>
     .venv/bin/python bench/futures.py [A B]
"""

from __future__ import annotations

import sys
import time
import resource

from dyadic.config import Settings
from dyadic.framework.futures import backtest, futures, history
from dyadic.store import Store


def timed(fn):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    return out, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak so far


def main() -> None:
    a, b = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("CHN", "RUS")
    st = Store.open(Settings.resolve().store_path, read_only=True)
    h, t_hist, m_hist = timed(lambda: history(st))
    r, t_pair, m_pair = timed(lambda: futures(st, a, b, horizons=(5, 10), n_paths=10_000, hist=h))
    (fc, summ), t_bt, m_bt = timed(lambda: backtest(h))
    print(f"{'step':<34}{'seconds':>10}{'peak RSS MiB':>14}{'x history':>11}")
    for name, t, m in [("history (all dyad-years)", t_hist, m_hist), (f"pair {a}-{b} (10,000 paths, 5+10 y)", t_pair, m_pair),
                       (f"back-test ({len(fc):,} forecasts)", t_bt, m_bt)]:
        print(f"{name:<34}{t:>10.2f}{m:>14.0f}{t / t_hist:>11.2f}")
    print(summ.round(4).to_string(index=False))
    allrow = summ[summ.horizon == "all"].iloc[0]
    # pair_s and backtest_s exclude the shared history build (printed above), as a long-running process reuses it
    print(f"futures: pair_s={t_pair:.2f} backtest_s={t_bt:.2f} brier={allrow.brier:.4f} "
          f"brier_base={allrow.brier_base:.4f}")


if __name__ == "__main__":
    main()
