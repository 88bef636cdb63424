"""Benchmark of the futures method: base rates over all dyads + 10,000 Monte Carlo paths for one pair, and
the back-test over all dyads with data.

``pair_s`` is what a user waits for on a fresh store: the all-dyad history (panel steps, percentiles, CINC
ratios) plus the pair's own computation. The history is then remembered by the store (``Store.cached``,
until it next writes), so a later pair in the same process costs only its own part (printed as "next pair").
Baseline in the same process: the history built afresh without the memo (``build_history``).

Run: DYADIC_DATA=/work/shared/data DYADIC_STORE=<store with UN votes, alliances_atop_cow, cow_nmc>
     .venv/bin/python bench/futures.py [A B]
"""

from __future__ import annotations

import sys
import time
import resource

from dyadic.config import Settings
from dyadic.framework.futures import backtest, build_history, futures, history
from dyadic.store import Store


def timed(fn):
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    return out, dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # process peak so far


def main() -> None:
    a, b = (sys.argv[1], sys.argv[2]) if len(sys.argv) > 2 else ("CHN", "RUS")
    st = Store.open(Settings.resolve().store_path, read_only=True)
    st.ibis()  # the Ibis backend import is paid once per process, not by a step
    r, t_pair, m_pair = timed(lambda: futures(st, a, b, horizons=(5, 10), n_paths=10_000))
    h = history(st)  # remembered by the store from the call above
    c, d = ("CHN", "USA") if (a, b) != ("CHN", "USA") else ("RUS", "USA")
    _, t_next, m_next = timed(lambda: futures(st, c, d, horizons=(5, 10), n_paths=10_000))
    _, t_hist, m_hist = timed(lambda: build_history(st))
    (fc, summ), t_bt, m_bt = timed(lambda: backtest(h))
    print(f"{'step':<40}{'seconds':>10}{'peak RSS MiB':>14}{'x history':>11}")
    for name, t, m in [("history afresh (baseline)", t_hist, m_hist),
                       (f"pair {a}-{b} cold (history included)", t_pair, m_pair),
                       (f"next pair {c}-{d} (history remembered)", t_next, m_next),
                       (f"back-test ({len(fc):,} forecasts)", t_bt, m_bt)]:
        print(f"{name:<40}{t:>10.2f}{m:>14.0f}{t / t_hist:>11.2f}")
    print(summ.round(4).to_string(index=False))
    allrow = summ[summ.horizon == "all"].iloc[0]
    # pair_s includes the history build (a fresh store); backtest_s reuses the history it shares
    print(f"futures: pair_s={t_pair:.2f} backtest_s={t_bt:.2f} brier={allrow.brier:.4f} "
          f"brier_base={allrow.brier_base:.4f}")


if __name__ == "__main__":
    main()
