"""Bounded load on `dyadic serve` over loopback: 20 clients for 30 s against the pair page's API calls, then
the mixed scenario: the same 20 clients on warm pages while one more client opens pairs never computed before.

    .venv/bin/python bench/web.py [--store FILE] [--clients 20] [--seconds 30] [--new-pairs 4]

Starts the server in its own process on a free 127.0.0.1 port (on --store, else $DYADIC_STORE when it holds
the UN vote sources, else a temporary store ingested from $DYADIC_DATA), then runs keep-alive HTTP/1.1
clients written on asyncio streams (light enough not to starve the server on a 2-core machine). The
baseline, measured in the same run, is the uncached cost of one request: a UNGA selection the server has
not computed yet, which runs the all-dyad computation. Prints per-endpoint latency, the server's peak
memory, and as its last line ``web: rps=… p95_ms=… p95_cold_ms=… ready_s=… errors=… crashes=…``: requests/s
and p95 of the warm clients while new pairs compute, p95 of a new pair's first answer (the progress view),
median seconds until a new pair's page is ready, responses of 500 or more plus failed connections, and
whether the server died (targets: 0 errors, 0 crashes, warm p95 < 100 ms, first answer < 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
UNGA = ["country_codes", "unvotes_voeten_2019", "unga_unsc_votes_undl_scrape"]
# What the China–Russia page asks for: the page, its charts and sections, the series behind them, a chart's
# CSV, a year slice of all dyads and a state search (the chooser).
URLS = [
    "/pair/CHN/RUS?third=USA",
    "/api/v1/pairs/CHN/RUS/charts?third=USA",
    "/api/v1/pairs/CHN/RUS/sections?third=USA",
    "/api/v1/unga/pairs/CHN/RUS?start=2000&end=2025",
    "/api/v1/pairs/CHN/RUS/charts/2-0/data?third=USA&format=csv&start=2000&end=2025",
    "/api/v1/unga/dyads?year=2020&state=CHN&order=-agree&per_page=100",
    "/api/v1/states?q=rus",
]
# Pairs the mixed scenario opens for the first time (with a third party), one after another.
NEW_PAIRS = ["ESP/PRT?third=FRA", "NOR/SWE?third=FIN", "ARG/CHL?third=BRA", "IND/PAK?third=CHN",
             "JPN/KOR?third=USA", "EGY/ISR?third=USA", "DEU/POL?third=RUS", "AUS/NZL?third=USA"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def store_path(arg: str | None) -> Path:
    from dyadic.config import Settings
    from dyadic.store import Store, ingest

    candidates = [arg, os.environ.get("DYADIC_STORE")]
    for c in candidates:
        if c and Path(c).exists():
            with Store.open(c, read_only=True) as st:
                if all(st.has_source(n) for n in UNGA):
                    return Path(c)
            if c == arg:
                sys.exit(f"{c} lacks {UNGA}: run 'dyadic ingest {' '.join(UNGA)} --store {c}'")
    tmp = Path(tempfile.mkdtemp(prefix="dyadic-bench-web-")) / "bench.duckdb"
    settings = Settings.resolve(store=tmp)
    with Store.open(tmp) as st:
        ingest(st, settings, UNGA)
    return tmp


async def request(reader, writer, path: str) -> tuple[int, int]:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next((int(l.split(":", 1)[1]) for l in lines if l.lower().startswith("content-length:")), None)
    if length is None:
        raise RuntimeError(f"no content-length for {path}")
    body = await reader.readexactly(length)
    return status, len(body)


async def client(port: int, until: float, offset: int, out: list) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    i = offset
    while time.perf_counter() < until:
        path = URLS[i % len(URLS)]
        i += 1
        t0 = time.perf_counter()
        try:
            status, _ = await request(reader, writer, path)
            ok = status == 200
        except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError):
            ok = False
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        out.append((path, (time.perf_counter() - t0) * 1000, ok))
    writer.close()


async def load(port: int, clients: int, seconds: float) -> tuple[list, float]:
    out: list = []
    start = time.perf_counter()
    await asyncio.gather(*(client(port, start + seconds, k, out) for k in range(clients)))
    return out, time.perf_counter() - start


async def newcomer(port: int, pairs: list[str], limit: float, out: list) -> None:
    """Open each pair as a browser does: the first answer (progress view or page), then ask again every
    second (the progress view's refresh) until the page is ready. Records (first_ms, ready_s, ok)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for pair in pairs:
        path = f"/pair/{pair}"
        t0 = time.perf_counter()
        first_ms, ok = None, True
        while time.perf_counter() - t0 < limit:
            try:
                status, _ = await request(reader, writer, path)
            except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                break
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            if status == 200:
                break
            if status not in (202, 503):
                ok = False
                break
            await asyncio.sleep(1.0)
        out.append((first_ms, time.perf_counter() - t0, ok))
    writer.close()


async def mixed(port: int, clients: int, pairs: list[str]) -> tuple[list, list, float]:
    """Warm clients until the newcomer has opened every pair (at most 10 minutes)."""
    warm: list = []
    cold: list = []
    start = time.perf_counter()
    task = asyncio.ensure_future(newcomer(port, pairs, 300.0, cold))
    await asyncio.sleep(0)
    until = start + 600
    runners = [asyncio.ensure_future(client(port, until, k, warm)) for k in range(clients)]
    await task
    for r in runners:
        r.cancel()
    await asyncio.gather(*runners, return_exceptions=True)
    return warm, cold, time.perf_counter() - start


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--new-pairs", type=int, default=4, help=f"pairs opened in the mixed scenario (at most {len(NEW_PAIRS)})")
    args = ap.parse_args()
    import httpx

    path = store_path(args.store)
    port = free_port()
    exe = Path(sys.executable).parent / "dyadic"
    server = subprocess.Popen([str(exe), "serve", "--store", str(path), "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            sys.exit("server did not start: " + server.stderr.read().decode(errors="replace"))
        # Baseline: a request whose selection is not cached runs the all-dyad computation.
        t0 = time.perf_counter()
        r = httpx.get(base + "/api/v1/unga/pairs/CHN/RUS?absent=abstain", timeout=120)
        cold_ms = (time.perf_counter() - t0) * 1000
        assert r.status_code == 200, r.text
        first = {}
        for u in URLS:  # first (uncached) request of each URL, asking again while it computes (202)
            t0 = time.perf_counter()
            while (status := httpx.get(base + u, timeout=120).status_code) == 202:
                time.sleep(0.5)
            assert status == 200, u
            first[u] = (time.perf_counter() - t0) * 1000
        out, elapsed = asyncio.run(load(port, args.clients, args.seconds))
        warm, cold, mixed_s = asyncio.run(mixed(port, args.clients, NEW_PAIRS[: args.new_pairs]))
        crashes = int(server.poll() is not None)
        rss = peak_rss_mb(server.pid) if not crashes else float("nan")
    finally:
        server.terminate()
        server.wait(timeout=10)

    lat = np.array([ms for _, ms, _ in out])
    errors = sum(1 for *_, ok in out if not ok)
    print(f"dyadic serve on loopback: {args.clients} clients, {elapsed:.1f} s, keep-alive HTTP/1.1, store {path.name}")
    print(f"{'endpoint':<82} {'n':>6} {'first_ms':>9} {'p50_ms':>7} {'p95_ms':>7} {'p99_ms':>7} {'errors':>6}")
    for u in URLS:
        x = np.array([ms for p, ms, _ in out if p == u])
        e = sum(1 for p, _, ok in out if p == u and not ok)
        print(f"{u:<82} {len(x):>6} {first[u]:>9.1f} {np.percentile(x, 50):>7.1f} {np.percentile(x, 95):>7.1f} "
              f"{np.percentile(x, 99):>7.1f} {e:>6}")
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    rps = len(out) / elapsed
    print(f"{'all':<82} {len(out):>6} {'':>9} {p50:>7.1f} {p95:>7.1f} {p99:>7.1f} {errors:>6}")
    print(f"baseline (uncached: new UNGA selection, all-dyad computation): {cold_ms:.0f} ms; "
          f"cached p50 is {cold_ms / p50:.0f}x faster")
    print(f"server peak memory (VmHWM): {rss:.0f} MB; requests/s: {rps:.0f}")
    wl = np.array([ms for _, ms, _ in warm])
    werr = sum(1 for *_, ok in warm if not ok)
    first = np.array([f for f, _, _ in cold if f is not None])
    ready = np.array([r for _, r, _ in cold])
    cerr = sum(1 for *_, ok in cold if not ok)
    mrps = len(warm) / mixed_s
    mp50, mp95 = np.percentile(wl, [50, 95])
    print(f"mixed: {args.clients} warm clients for {mixed_s:.1f} s while one client opened {len(cold)} new pairs "
          f"({', '.join(NEW_PAIRS[: args.new_pairs])})")
    print(f"  warm: {len(warm)} requests, p50 {mp50:.1f} ms, p95 {mp95:.1f} ms, errors {werr}; "
          f"p95 {mp95 / p95:.2f}x the warm-only run")
    print("  new pairs: first answer " + ", ".join(f"{f:.0f}" for f in first) + " ms; page ready after "
          + ", ".join(f"{r:.1f}" for r in ready) + " s")
    print(f"web: rps={mrps:.0f} p95_ms={mp95:.1f} p95_cold_ms={np.percentile(first, 95):.1f} "
          f"ready_s={np.median(ready):.1f} errors={errors + werr + cerr} crashes={crashes}")


if __name__ == "__main__":
    main()
