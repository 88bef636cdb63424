"""Benchmark: full 1946-2024 dynamic ideal-point estimation and a bootstrap, against plain EM as baseline.

Run: DYADIC_DATA=/work/shared/data DYADIC_STORE=/tmp/bench_ideal.duckdb .venv/bin/python bench/ideal.py [n_boot]
"""

from __future__ import annotations

import resource
import sys
import time

import numpy as np

from dyadic.config import Settings
from dyadic.indicators.ideal_points import BootstrapIdealPoints, DynamicIdealPoints, VotePanel
from dyadic.indicators.unga import VoteSelection, load_votes
from dyadic.sources.ideal_points_published import PublishedIdealPoints
from dyadic.store import Store, ingest


def peak_mb() -> float:
    """Peak resident memory of this process (bootstrap workers are separate processes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n_boot: int = 100) -> None:
    settings = Settings.resolve()
    st = Store.open(settings.store_path)
    ingest(st, settings, ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape",
                          "unga_ideal_points_voeten"])
    pub = st.con.execute("SELECT code, year, idealpointall, idealpointfp FROM ideal_points_published").df()
    t0 = time.perf_counter()
    panel = VotePanel.from_votes(load_votes(st, VoteSelection(end=2024)))
    t_load = time.perf_counter() - t0
    rows = []
    fits = {}
    for label, kw in [("EM + SQUAREM", {}), ("plain EM (baseline, same iterations cap)", {"accelerate": False})]:
        t = time.perf_counter()
        est = DynamicIdealPoints(**kw).fit(panel)
        secs = time.perf_counter() - t
        m = est.transform().merge(pub, on=["code", "year"])
        ref = m.idealpointall.fillna(m.idealpointfp)
        ok = ref.notna() & m.theta.notna()  # a few state-years have no published estimate
        corr = float(np.corrcoef(m.theta[ok], ref[ok])[0, 1])
        fits[label] = (secs, est, corr)
        rows.append((label, secs, est.n_iter_, est.converged_, est.state_.max_change, corr))
    print(f"votes={len(panel.vote):,} roll_calls={panel.n_items:,} state_years={len(panel.cy_state):,} "
          f"load_s={t_load:.1f}")
    print(f"{'method':42s} {'seconds':>8s} {'iters':>6s} {'conv':>5s} {'max_change':>10s} {'corr_pub':>8s}")
    for r in rows:
        print(f"{r[0]:42s} {r[1]:8.1f} {r[2]:6d} {str(r[3]):>5s} {r[4]:10.2e} {r[5]:8.4f}")
    secs, est, corr = fits["EM + SQUAREM"]
    print(f"ratio baseline/accelerated corr gap: {fits['plain EM (baseline, same iterations cap)'][2] - corr:+.4f}")
    m = est.transform().merge(pub, on=["code", "year"])
    m["ref"] = m.idealpointall.fillna(m.idealpointfp)
    m = m.dropna(subset=["theta", "ref"])
    for dec in range(1940, 2030, 10):
        d = m[(m.year >= dec) & (m.year < dec + 10)]
        print(f"  decade {dec}s corr={np.corrcoef(d.theta, d.ref)[0, 1]:.4f} n={len(d)}")
    y = m[(m.year == 2022) & m.code.isin(["USA", "CHN", "RUS"])][["code", "theta", "idealpointall"]]
    print(y.to_string(index=False))
    if n_boot:
        b = BootstrapIdealPoints(n_boot=n_boot, n_jobs=2, seconds=600).fit(est)
        print(f"bootstrap: {b.n_done_}/{n_boot} replicates in {b.seconds_:.1f} s (2 processes, "
              f"{b.max_iter} iterations cap each); median 90% width {np.median(b.intervals_.hi - b.intervals_.lo):.3f}")
    st.close()
    print(f"ideal_points: seconds={secs:.1f} corr_published={corr:.4f} peak_mb={peak_mb():.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
