"""Validity benchmark: accuracy of each framework question on the known cases (data/known_cases.csv) and the
Brier score of the futures back-test.

Prints the validation summary, then as its last line
``validity: nature=… triangle=… shocks=… drivers=… futures_brier=… wrong=…`` where each question's value is
its accuracy (right / determined cases), ``futures_brier`` is the multi-class Brier score of
:func:`dyadic.framework.futures.backtest` over all origins and horizons (lower is better), and ``wrong`` the
number of determined cases that were missed (wrong or opposite).

Run: DYADIC_DATA=/work/shared/data DYADIC_STORE=<store with every source> .venv/bin/python bench/validity.py
     [--split tune|test|all]
"""

from __future__ import annotations

import argparse
import time

from dyadic.config import Settings
from dyadic.errors import DyadicError
from dyadic.framework.validate import QUESTIONS, validate
from dyadic.store import Store


def futures_brier(st: Store) -> str:
    """The back-test's overall Brier score, or 'n/a' with the reason it cannot be computed."""
    from dyadic.framework.futures import backtest, history

    try:
        _, summ = backtest(history(st))
    except DyadicError as exc:
        return f"n/a({str(exc).splitlines()[0]})"
    return f"{float(summ[summ.horizon == 'all'].brier.iloc[0]):.4f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("tune", "test", "all"), default="all")
    ns = ap.parse_args()
    st = Store.open(Settings.resolve().store_path, read_only=True)
    t = time.perf_counter()
    res = validate(st, split=ns.split)
    dt = time.perf_counter() - t
    print(res.summary())
    print(f"\n{len(res.cases)} cases scored in {dt:.1f} s")
    acc = res.accuracy
    parts = [f"{q}={acc[q]:.3f}" if q in acc and acc[q] == acc[q] else f"{q}=n/a"
             for q in QUESTIONS if q != "futures"]
    wrong = int(res.cases.outcome.isin(["wrong", "opposite"]).sum())
    print(f"validity: {' '.join(parts)} futures_brier={futures_brier(st)} wrong={wrong}")


if __name__ == "__main__":
    main()
