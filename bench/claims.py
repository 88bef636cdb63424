"""Benchmark of the claim checker: the seed paper, and a 100-page synthetic document built from its
paragraphs, against a baseline that only reads and masks the same text (the floor any checker pays).

Run: DYADIC_DATA=/work/shared/data .venv/bin/python bench/claims.py  (builds a temporary store first).
The last line's right/wrong_verdict/false_off/not_checkable_right are the held-out test split's (the tune
split's are printed the line before); seed_checkable counts the seed paper's statements not "not checkable".
Embeddings are not used (the target is for the vocabulary matcher).
"""

from __future__ import annotations

import os
import tempfile
import time
import tracemalloc
from pathlib import Path

from dyadic.config import Settings
from dyadic.framework.claims.check import check_document
from dyadic.framework.claims.document import from_string, read_document
from dyadic.framework.claims.testset import TESTSET_SOURCES, load, score
from dyadic.store import Store, ingest

SEED = Path(os.environ.get("DYADIC_DATA", "/work/shared/data")).parent / "seed" / "lo-2025-convergence-and-divergence.md"
SOURCES = list(dict.fromkeys(["country_codes", "unvotes_voeten_2019", "cow_trade", "imf_dots_multiatsm",
                              "imf_dots_all_reporters_1960_2020", "cow_nmc", "sipri_milex", "wb_gdp", "curated_facts",
                              "press_reported_figures_china_russia", *TESTSET_SOURCES]))
PAGE = 3000  # characters per page (about 500 words)


def timed(fn):
    """Result, seconds (plain run) and peak traced memory (a second run: tracing slows the code it watches)."""
    t = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, dt, peak


def synthetic(raw: str, pages: int = 100) -> str:
    paras = [p for p in raw.split("\n\n") if p.strip()]
    out, n, i = [], 0, 0
    while n < pages * PAGE:
        p = paras[i % len(paras)]
        out.append(p)
        n += len(p) + 2
        i += 1
    return "\n\n".join(out)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="claims-bench-"))
    settings = Settings.resolve(store=tmp / "bench.duckdb", cache=tmp / "cache")
    with Store.open(settings.store_path) as st:
        ingest(st, settings, SOURCES)
    store = Store.open(settings.store_path, read_only=True)
    seed_doc = read_document(SEED)
    check_document(seed_doc, store)  # warm-up: registry, vocabulary, DuckDB caches
    (_, base_s, base_mem) = timed(lambda: read_document(SEED))
    (rep, seed_s, seed_mem) = timed(lambda: check_document(read_document(SEED), store))
    big = synthetic(seed_doc.raw)
    pages = len(big) / PAGE
    (_, bbase_s, _) = timed(lambda: from_string(big, "markdown"))
    (brep, big_s, big_mem) = timed(lambda: check_document(from_string(big, "markdown"), store))
    print(f"{'case':<28}{'pages':>8}{'seconds':>10}{'peak MB':>10}{'statements':>12}{'x baseline':>12}")
    print(f"{'seed: read+mask (baseline)':<28}{seed_doc.pages:>8.1f}{base_s:>10.3f}{base_mem / 1e6:>10.1f}{'':>12}{1:>12.1f}")
    print(f"{'seed: check':<28}{seed_doc.pages:>8.1f}{seed_s:>10.3f}{seed_mem / 1e6:>10.1f}{len(rep.verdicts):>12}"
          f"{seed_s / base_s:>12.1f}")
    print(f"{'synthetic: read+mask':<28}{pages:>8.1f}{bbase_s:>10.3f}{'':>10}{'':>12}{1:>12.1f}")
    print(f"{'synthetic: check':<28}{pages:>8.1f}{big_s:>10.3f}{big_mem / 1e6:>10.1f}{len(brep.verdicts):>12}"
          f"{big_s / bbase_s:>12.1f}")
    judged = sum(1 for v in rep.verdicts if v.verdict != "not checkable")
    tune = score(store, load("tune"))  # the statements the matcher was developed against
    print(f"tune split: right={tune.right}/{tune.checkable_total} false_off={tune.false_off} "
          f"not_checkable_right={tune.not_checkable_right}/{tune.not_checkable_total}")
    sc = score(store, load("test"))  # the held-out split: the figure reported below
    for statement, truth, got in tune.misses + sc.misses:
        print(f"miss: {statement!r} (truth {truth}) -> {got}")
    print(f"claims: right={sc.right}/{sc.checkable_total} wrong_verdict={sc.wrong_verdict} false_off={sc.false_off} "
          f"not_checkable_right={sc.not_checkable_right}/{sc.not_checkable_total} seed_checkable={judged}/{len(rep.verdicts)} "
          f"pages_per_s={pages / big_s:.1f}")
    store.close()


if __name__ == "__main__":
    main()
