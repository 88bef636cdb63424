"""What the web server computes, and what it remembers.

One read-only store is shared by every request; the store gives each thread its own DuckDB cursor, so no
request can use another's connection and no request waits for a lock to read. Results are kept in small
in-memory caches (bounded, least recently used dropped first), so a repeated request never reaches the store.
The data cannot change while the store is open read-only, so nothing expires.

A pair's sections take seconds to build. They are built by :class:`Jobs`: once per unordered pair and third
party, on a small pool of their own, so concurrent requests for the same pair share one computation, cheap
requests never queue behind them, and a full queue answers "busy" at once instead of timing out.
"""

from __future__ import annotations

import copy
import difflib
import io
import json
import math
import re
import tempfile
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import cachetools
import numpy as np
import pandas as pd

from dyadic.dyad import pair_key as dyad_key
from dyadic.errors import DyadicError, NotIngestedError, RequestError, UnknownStateError
from dyadic.indicators.unga import UNDL, VOETEN, VoteSelection, ranked_dyad_years
from dyadic.report.brief import NEEDS, build_sections, provenance, write_brief
from dyadic.sources import SOURCES
from dyadic.store import Store

MAX_TOKEN = 60  # longest state code or name accepted
CHART_ID = re.compile(r"^(\d{1,2})-(\d{1,2})$")
# Style attributes (pandas' to_html writes some) are inline styles, which the pages' policy refuses.
STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*("[^"]*"|'[^']*')""", re.IGNORECASE)


log = logging.getLogger("dyadic.web")


class Cache:
    """A bounded, thread-safe mapping that drops the least recently used entry (``cachetools.LRUCache``
    under a lock: its reads reorder entries, so they are writes too)."""

    def __init__(self, size: int):
        self.data = cachetools.LRUCache(size)
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            return self.data.get(key)

    def put(self, key, value) -> None:
        with self.lock:
            self.data[key] = value


class Busy(DyadicError):
    """Every slot for new computations is taken: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Pending(Exception):
    """A computation is still running: the answer is a progress view, ready in about ``retry_after`` s."""

    def __init__(self, what: str, started: float, retry_after: int):
        super().__init__(what)
        self.what = what
        self.started = started
        self.retry_after = retry_after

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started


class Jobs:
    """Long computations, each run once per key on a pool of their own.

    ``submit`` hands back the running job's future when one for the key exists, so concurrent requests wait on
    one computation; a finished job leaves the running set (its result lives in the caller's cache, a failure
    is raised to every waiter and computed afresh next time). More than ``limit`` jobs at once is refused with
    :class:`Busy` and a retry estimate from the jobs finished so far.

    Args:
        workers: computations run at the same time.
        limit: computations running or queued at most.
    """

    def __init__(self, workers: int = 2, limit: int = 6):
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="dyadic-job")
        self.workers = workers
        self.limit = limit
        self.running: dict[Any, tuple[Future, float]] = {}
        self.lock = threading.Lock()
        self.durations: list[float] = []  # seconds of recent finished jobs, for estimates

    def typical(self) -> float:
        """Median duration of recent jobs (10 s before any has finished)."""
        d = sorted(self.durations)  # replaced whole, never changed in place: no lock needed to read it
        return d[len(d) // 2] if d else 10.0

    def submit(self, key, fn: Callable[[], Any]) -> tuple[Future, float]:
        """The future of the job computing ``key`` (started now unless running) and when it started."""
        with self.lock:
            hit = self.running.get(key)
            if hit is not None:
                return hit
            if len(self.running) >= self.limit:
                wait = self.typical() * len(self.running) / self.workers
                retry = int(min(120, max(2, math.ceil(wait))))
                raise Busy(f"the server is computing {len(self.running)} other pairs: retry in {retry} s",
                           retry)
            started = time.monotonic()
            fut = self.pool.submit(fn)
            self.running[key] = (fut, started)
        fut.add_done_callback(lambda f: self._finished(key, started, f))
        return fut, started

    def _finished(self, key, started: float, fut: Future) -> None:
        with self.lock:
            self.running.pop(key, None)
            if not fut.cancelled() and fut.exception() is None:
                self.durations = [*self.durations[-19:], time.monotonic() - started]

    def retry_after(self) -> int:
        """Seconds a client should wait before asking again for a running job."""
        return int(min(10, max(1, math.ceil(self.typical() / 4))))

    def shutdown(self, grace: float = 5.0) -> bool:
        """Drop queued jobs and wait up to ``grace`` seconds for running ones; True when none still runs."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        with self.lock:
            futures = [f for f, _ in self.running.values()]
        return not wait(futures, timeout=grace).not_done


def to_json_bytes(obj: Any) -> bytes:
    """JSON with NaN and infinities as null (JSON has no NaN) and numpy scalars as numbers."""

    def clean(x):
        if isinstance(x, float):
            return x if math.isfinite(x) else None
        if isinstance(x, dict):
            return {str(k): clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        if isinstance(x, np.generic):
            return clean(x.item())
        if isinstance(x, pd.Timestamp):
            return x.isoformat()
        if x is pd.NA or x is pd.NaT:
            return None
        return x

    return json.dumps(clean(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts with missing values as None and categoricals as strings."""
    out = df.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(str)
    return out.astype(object).where(out.notna(), None).to_dict(orient="records")


@dataclass
class ChartView:
    """One chart of a section: its Vega-Lite spec (with tooltips added) and its data."""

    id: str
    section: int
    title: str
    spec: dict
    data: pd.DataFrame  # the chart's main dataset (the one with the most rows)


@dataclass
class PairView:
    """Everything the pair page shows, computed once per (a, b, third)."""

    a: str
    b: str
    c: str | None
    names: dict[str, str]
    sections: list
    coverage: dict
    charts: list[ChartView]
    missing_sources: list[dict]
    used_sources: list[str]
    sections_json: bytes = b""
    charts_json: bytes = b""
    extra: dict = field(default_factory=dict)


def chart_title(spec: dict) -> str:
    t = spec.get("title", "")
    if isinstance(t, dict):
        t = t.get("text", "")
    if isinstance(t, list):
        t = " ".join(map(str, t))
    return str(t)


def add_tooltips(spec: dict) -> dict:
    """Give every data-bearing mark a tooltip listing its row's fields, so hovering a value shows its source
    row (year, counts, the ``source`` dataset name...). Marks with their own tooltip are left alone."""
    datasets = spec.get("datasets", {})

    def fields_of(unit: dict, inherited: str | None) -> list[str]:
        data = unit.get("data", {})
        name = data.get("name", inherited) if isinstance(data, dict) else inherited
        rows = datasets.get(name) or []
        return list(rows[0].keys()) if rows else []

    def walk(unit: dict, inherited: str | None) -> None:
        data = unit.get("data")
        name = data.get("name", inherited) if isinstance(data, dict) else inherited
        for key in ("layer", "concat", "hconcat", "vconcat"):
            for child in unit.get(key, []) or []:
                walk(child, name)
        if "spec" in unit and isinstance(unit["spec"], dict):
            walk(unit["spec"], name)
        mark = unit.get("mark")
        if mark is None:
            return
        mtype = mark if isinstance(mark, str) else mark.get("type")
        if mtype in ("rule", "text"):  # annotations, not values
            return
        enc = unit.setdefault("encoding", {})
        if "tooltip" in enc:
            return
        cols = fields_of(unit, inherited)
        if not cols:
            return
        rows = datasets.get(name) or []
        tips = []
        for col in cols:
            sample = next((r[col] for r in rows if r.get(col) is not None), None)
            if isinstance(sample, (int, float)) and not isinstance(sample, bool):
                fmt = "d" if col == "year" or isinstance(sample, int) else ".4~f"
                tips.append({"field": col, "type": "quantitative", "format": fmt})
            else:
                tips.append({"field": col, "type": "nominal"})
        enc["tooltip"] = tips

    walk(spec, None)
    return spec


class Service:
    """The read-only store behind the server, with its caches.

    Args:
        store_path: the DuckDB store file (opened read-only).
    """

    def __init__(self, store_path: str | Path, workers: int = 2, queue: int = 6):
        self.store = Store.open(store_path, read_only=True)
        self._registry = None
        self._registry_lock = threading.Lock()
        self.pairs = Cache(64)       # (a, b, c) with a < b -> PairView
        self.responses = Cache(512)  # request key -> encoded body
        self.slices = Cache(128)     # (selection, year) -> DataFrame
        self.briefs = Cache(16)      # (a, b, c) with a < b -> HTML
        self.jobs = Jobs(workers, queue)

    def close(self) -> None:
        # A computation still running past the grace period keeps its cursor: closing the database under it
        # could crash the process, which is exiting anyway.
        if self.jobs.shutdown():
            self.store.close()
        else:
            log.warning("a computation was still running at shutdown; the store is left to the process exit")

    # ------------------------------------------------------------------ states

    @property
    def registry(self):
        if self._registry is None:
            with self._registry_lock:
                if self._registry is None:
                    self._registry = self.store.registry()
        return self._registry

    def resolve(self, token: str) -> str:
        """A state code from a code or name, or UnknownStateError naming the nearest states."""
        token = (token or "").strip()
        if len(token) > MAX_TOKEN:
            raise RequestError(f"a country code or name has at most {MAX_TOKEN} characters")
        if any(ord(ch) < 32 for ch in token):
            raise UnknownStateError("a country code or name cannot contain control characters")
        return self.registry.resolve(token)

    def name(self, code: str) -> str:
        return self.registry.name(code)

    def states(self) -> list[dict]:
        """Every state of the registry (code, name, ISO2, COW number and abbreviation), by name."""
        hit = self.responses.get(("states",))
        if hit is None:
            s = self.registry.states
            s = s[["code", "name", "iso2", "cow", "cowc"]].sort_values("name")
            hit = records(s)
            self.responses.put(("states",), hit)
        return hit

    def search_states(self, q: str, limit: int) -> list[dict]:
        """States whose code, ISO2, COW abbreviation, COW number or name contains ``q``, best matches first;
        when nothing contains it, the nearest names."""
        q = q.strip().upper()
        rows = self.states()
        if not q:
            return rows[:limit]
        scored = []
        for r in rows:
            keys = [str(r[k]).upper() for k in ("code", "iso2", "cowc") if r[k]] + ([str(int(r["cow"]))] if r["cow"] is not None else [])
            name = str(r["name"]).upper()
            if q in keys:
                scored.append((0, r["name"], r))
            elif name.startswith(q):
                scored.append((1, r["name"], r))
            elif q in name:
                scored.append((2, r["name"], r))
        if not scored:
            names = {str(r["name"]).upper(): r for r in rows}
            near = difflib.get_close_matches(q, list(names), n=limit, cutoff=0.5)
            return [names[n] for n in near]
        return [r for _, _, r in sorted(scored, key=lambda t: (t[0], t[1]))][:limit]

    # ------------------------------------------------------------------ data

    def missing_sources(self) -> list[dict]:
        """Known sources the store does not hold, with the command that adds each."""
        held = set(self.store.sources()["name"]) if self.store.has_table("sources") else set()
        return [{"name": n, "title": cls.title, "ingest": f"dyadic ingest {n}"}
                for n, cls in SOURCES.items() if n not in held]

    def provenance(self, names: list[str] | None = None) -> list[dict]:
        """Provenance of the named sources (default: all the store holds), as the brief and CLI report it."""
        key = ("provenance", tuple(names) if names else None)
        hit = self.responses.get(key)
        if hit is None:
            src = self.store.sources()
            hit = provenance(self.store, list(names) if names else list(src["name"]))
            self.responses.put(key, hit)
        return hit

    def ranked(self, sel: VoteSelection) -> pd.DataFrame:
        """All dyad-years of a selection, with ranks (computed once per selection)."""
        return ranked_dyad_years(self.store, sel)

    def unga_pair(self, a: str, b: str, sel: VoteSelection) -> pd.DataFrame:
        """One pair's yearly UNGA similarity, as ``dyadic unga`` prints it."""
        from dyadic.indicators.unga import pair_series

        return pair_series(self.store, a, b, sel)

    def year_slice(self, sel: VoteSelection, year: int) -> pd.DataFrame:
        """Every dyad of one year under a selection, with the source of each row."""
        key = (sel, year)
        hit = self.slices.get(key)
        if hit is None:
            full = self.ranked(sel)
            years = full["year"].to_numpy()
            lo, hi = np.searchsorted(years, year, "left"), np.searchsorted(years, year, "right")
            hit = full.iloc[lo:hi].copy()
            hit["a"] = hit["a"].astype(str)
            hit["b"] = hit["b"].astype(str)
            src = [s for s, l, h in sel.sources() if (l is None or year >= l) and (h is None or year <= h)]
            hit["source"] = src[0] if src else None
            hit = hit.reset_index(drop=True)
            self.slices.put(key, hit)
        return hit

    def cached(self, key, compute: Callable[[], Any]) -> Any:
        """An encoded response body, computed once per key."""
        hit = self.responses.get(key)
        if hit is None:
            hit = compute()
            self.responses.put(key, hit)
        return hit

    # ------------------------------------------------------------------ the pair page

    def pair_key(self, a: str, b: str, c: str | None) -> tuple[str, str, str | None]:
        """The key of a pair's computations: the pair unordered (alphabetical codes), then the third party."""
        a, b, c = self.registry.request(a, b, c)
        return (*dyad_key(a, b), c)

    def pair_job(self, a: str, b: str, c: str | None) -> tuple[Future, float]:
        """The job building a pair's view (shared with any request already waiting for it) and its start."""
        key = self.pair_key(a, b, c)
        return self.jobs.submit(("pair", key), lambda: self.pair(*key))

    def brief_job(self, a: str, b: str, c: str | None) -> tuple[Future, float]:
        """The job writing a pair's HTML brief, as :meth:`pair_job` does for the view."""
        key = self.pair_key(a, b, c)
        return self.jobs.submit(("brief", key), lambda: self.brief_html(*key))

    def pair(self, a: str, b: str, c: str | None) -> PairView:
        """The brief's sections for a pair (and third party), with charts ready for vega-embed.

        Blocks while it computes: requests go through :meth:`pair_job`, which runs this once per pair."""
        key = self.pair_key(a, b, c)
        hit = self.pairs.get(key)
        if hit is not None:
            return hit
        a, b, c = key
        names = {x: self.name(x) for x in (a, b, c) if x}
        sections, coverage = build_sections(self.store, a, b, c, names)
        missing = self.missing_sources()
        used = [n for n in NEEDS if self.store.has_source(n)]
        held = set(self.store.sources()["name"])
        used += [n for n in SOURCES if n in held and n not in used]
        built = ([copy.copy(sec) for sec in sections], coverage)  # as built, for the HTML brief
        for sec in sections:
            sec.findings = [STYLE_ATTR.sub("", f) for f in sec.findings]
            sec.tables = [(cap, STYLE_ATTR.sub("", html)) for cap, html in sec.tables]
        charts: list[ChartView] = []
        for sec in sections:
            for i, ch in enumerate(sec.charts):
                spec = add_tooltips(ch.to_dict())
                datasets = spec.get("datasets", {})
                main = max(datasets.values(), key=len) if datasets else []
                charts.append(ChartView(f"{sec.number}-{i}", sec.number, chart_title(spec), spec,
                                        pd.DataFrame(main)))
        view = PairView(a, b, c, names, sections, coverage, charts, missing, used, extra={"built": built})
        view.charts_json = to_json_bytes({
            "a": a, "b": b, "third": c, "names": names,
            "charts": [{"id": ch.id, "section": ch.section, "title": ch.title, "spec": ch.spec,
                        "years": years_of(ch.data)} for ch in charts],
        })
        view.sections_json = to_json_bytes({
            "a": a, "b": b, "third": c, "names": names, "coverage": coverage,
            "sections": [{
                "number": s.number, "title": s.title, "question": s.question, "findings": s.findings,
                "charts": [ch.id for ch in charts if ch.section == s.number],
                "tables": [{"caption": cap, "html": html} for cap, html in s.tables],
                "paper": s.paper, "not_measured": s.not_measured,
            } for s in sections],
            "missing_sources": missing,
            "provenance": self.provenance(used),
        })
        self.pairs.put(key, view)
        return view

    def chart(self, view: PairView, chart_id: str) -> ChartView:
        if not CHART_ID.match(chart_id or ""):
            raise RequestError("a chart id looks like 2-0 (section number, dash, chart number)")
        for ch in view.charts:
            if ch.id == chart_id:
                return ch
        known = ", ".join(ch.id for ch in view.charts) or "none"
        raise ChartNotFound(f"no chart {chart_id} for this pair; its charts are: {known}")

    def brief_html(self, a: str, b: str, c: str | None) -> str:
        """The HTML brief, exactly as ``dyadic brief`` writes it, from the pair's sections (computed first when
        not cached). Blocks: requests use :meth:`brief_job` once the pair's view is ready."""
        key = self.pair_key(a, b, c)
        hit = self.briefs.get(key)
        if hit is None:
            view = self.pair(*key)
            with tempfile.TemporaryDirectory(prefix="dyadic-brief-") as tmp:
                # Only registry codes reach the file name (write_brief derives it from them).
                path = write_brief(self.store, *key, Path(tmp), built=view.extra["built"])
                hit = path.read_text(encoding="utf-8")
            self.briefs.put(key, hit)
        return hit

    def warm(self) -> None:
        """Compute the default UNGA selection in advance, so the first pair page is fast. Never raises: a
        failure here is logged and the selection is computed by the first request that needs it."""
        try:
            if self.store.has_source(VOETEN) and self.store.has_source(UNDL):
                self.ranked(VoteSelection())
        except Exception:  # noqa: BLE001 - a background thread has no caller to tell
            log.exception("warming the default UNGA selection failed")


class ChartNotFound(DyadicError):
    """A chart id that the pair's sections do not have."""


def years_of(df: pd.DataFrame) -> list[int] | None:
    if "year" not in df or not len(df):
        return None
    y = pd.to_numeric(df["year"], errors="coerce").dropna()
    return [int(y.min()), int(y.max())] if len(y) else None


def filter_years(df: pd.DataFrame, start: int | None, end: int | None) -> pd.DataFrame:
    if "year" not in df:
        return df
    keep = pd.Series(True, index=df.index)
    if start is not None:
        keep &= df["year"] >= start
    if end is not None:
        keep &= df["year"] <= end
    return df[keep].reset_index(drop=True)


def to_parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


__all__ = ["Service", "PairView", "ChartView", "NotIngestedError", "filter_years", "to_json_bytes", "records"]
