"""``dyadic watch``: re-run the findings for the pairs a user follows and say what changed since the last run.

A watch list is a small TOML file::

    name = "east-asia"                 # optional: the history key (default: the file's name)
    [[pair]]
    a = "CHN"
    b = "RUS"
    third = ["USA"]                    # third parties, for the futures signposts on B-C / A-C
    [thresholds]
    unga_pct = 45.0                    # a signpost indicator -> its threshold (else the scenario file's)
    break_beta = 2.0                   # change-point penalty (2 = BIC)
    indicators = ["unga_agree"]        # series searched for shocks

Each run evaluates, per pair: the nature label of the latest year (:func:`dyadic.framework.nature.classify`),
every futures signpost (:func:`dyadic.framework.futures.signposts`) and the change points and spikes of the
pair's series (:func:`dyadic.framework.shocks.breaks`). The findings are kept in the store's ``watch_runs``
table, one row per finding and run, so a change is shown with the value before and after.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from dyadic.errors import DyadicError, RequestError
from dyadic.report.cache import memo_store
from dyadic.store import Store

HISTORY_TABLE = "watch_runs"
HISTORY_DDL = (f"CREATE TABLE IF NOT EXISTS {HISTORY_TABLE} (watchlist VARCHAR, run INTEGER, run_at TIMESTAMP, "
               "pair VARCHAR, kind VARCHAR, item VARCHAR, value VARCHAR, detail VARCHAR)")
#: what a change of each kind is called in the report.
CHANGE = {"label": "label changed", "signpost": "signpost", "shock": "shock detected"}
DEFAULT_INDICATORS = ("unga_agree", "events_month")


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    third: tuple[str, ...] = ()


@dataclass
class Watchlist:
    """A parsed watch file."""

    name: str
    pairs: list[Pair]
    thresholds: dict[str, float] = field(default_factory=dict)
    beta: float = 2.0
    indicators: tuple[str, ...] = DEFAULT_INDICATORS
    scenarios: Path | None = None


def load_watchlist(path: str | Path) -> Watchlist:
    """Read and check a watch file; errors name the file and the entry."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RequestError(f"{path}: no such watch file (see docs/watch.md for its layout).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RequestError(f"{path}: not valid TOML ({exc}).") from exc
    pairs = []
    for i, p in enumerate(raw.get("pair", []), 1):
        if not isinstance(p, dict) or not isinstance(p.get("a"), str) or not isinstance(p.get("b"), str):
            raise RequestError(f"{path}: [[pair]] number {i} needs a = \"<state>\" and b = \"<state>\".")
        third = p.get("third", [])
        third = [third] if isinstance(third, str) else third
        if not isinstance(third, list) or not all(isinstance(t, str) for t in third):
            raise RequestError(f"{path}: [[pair]] number {i}: third must be a state or a list of states.")
        pairs.append(Pair(p["a"], p["b"], tuple(third)))
    if not pairs:
        raise RequestError(f"{path}: no [[pair]] entries; add at least one (a = \"CHN\", b = \"RUS\").")
    th = dict(raw.get("thresholds", {}))
    beta = th.pop("break_beta", 2.0)
    indicators = th.pop("indicators", list(DEFAULT_INDICATORS))
    bad = {k: v for k, v in th.items() if not isinstance(v, (int, float)) or isinstance(v, bool)}
    if bad or not isinstance(beta, (int, float)) or beta <= 0:
        what = ", ".join(bad) if bad else "break_beta"
        raise RequestError(f"{path}: [thresholds] {what} must be a positive number (break_beta) or a number.")
    if not isinstance(indicators, list) or not all(isinstance(x, str) for x in indicators):
        raise RequestError(f"{path}: [thresholds] indicators must be a list of indicator names.")
    scen = raw.get("scenarios")
    return Watchlist(str(raw.get("name") or path.stem), pairs, {k: float(v) for k, v in th.items()}, float(beta),
                     tuple(indicators), (path.parent / scen) if scen else None)


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def evaluate(store: Store, wl: Watchlist) -> pd.DataFrame:
    """The findings of every pair now: ``pair, kind, item, value, detail``. A part that cannot be measured
    is a finding too (``value`` 'not measured'), so it shows up when it becomes measurable."""
    from dyadic.framework.futures import history, load_scenarios, signposts
    from dyadic.framework.shocks import INDICATORS, breaks

    unknown = [i for i in wl.indicators if i not in INDICATORS]
    if unknown:
        raise RequestError(f"watch list {wl.name}: unknown indicator(s) {', '.join(unknown)} (known: "
                           f"{', '.join(INDICATORS)}).")
    store = memo_store(store)  # the all-dyad products every pair shares: prepared, or kept for the next run
    reg = store.registry()
    cfg = load_scenarios(wl.scenarios)
    for sp in cfg.get("signposts", []):  # the watch list's thresholds win over the scenario file's
        if sp["indicator"] in wl.thresholds:
            sp["threshold"] = wl.thresholds[sp["indicator"]]
    rows: list[dict[str, str]] = []
    scores = None
    try:
        hist = history(store, cfg["reference"]["rising_years"])
    except DyadicError as exc:
        hist, hist_error = None, str(exc)
    for p in wl.pairs:
        a, b, *third = reg.resolve_distinct(p.a, p.b, *p.third)
        name = f"{a}–{b}"
        add = lambda kind, item, value, detail="": rows.append(  # noqa: E731
            {"pair": name, "kind": kind, "item": item, "value": value, "detail": detail})
        try:
            if scores is None:  # once for every pair: the drivers are computed over all dyads
                scores = _scores(store)
            year = int(scores.rows(a, b).year.max())
            c = _classify(store, scores, a, b, year)
            add("label", "nature", c.label, f"{year}{' provisional' if c.provisional else ''}: {c.basis}")
        except (DyadicError, ValueError, KeyError, duckdb.Error) as exc:  # inputs the store lacks
            add("label", "nature", "not measured", f"{type(exc).__name__}: {exc}" if not isinstance(
                exc, DyadicError) else str(exc))
        for c in third or [None]:
            if hist is None:
                add("signpost", f"signposts{' with ' + c if c else ''}", "not measured", hist_error)
                continue
            for s in signposts(store, hist, cfg, a, b, c).itertuples():
                state = "not measured" if s.crossed is None else "crossed" if s.crossed else "not crossed"
                add("signpost", f"{s.signpost} [{s.pair}]", state,
                    f"{_fmt(s.current)} ({_fmt(s.year)}) {s.direction} {s.threshold:g}; signals {s.signals}"
                    + (f"; {s.note}" if s.note else ""))
        found, missing = breaks(store, a, b, list(wl.indicators), beta=wl.beta)
        for r in found.itertuples():
            event = f"; near {r.event} ({r.event_date})" if isinstance(r.event, str) and r.event else ""
            add("shock", f"{r.indicator} {r.kind} {r.date}", r.kind,
                f"{_fmt(r.before)} -> {_fmt(r.after)} (size {_fmt(r.size)}){event}")
        for m in missing:
            add("shock", m.split(":", 1)[0].split(" ", 1)[-1], "not measured", m.split(":", 1)[-1].strip())
    return pd.DataFrame(rows, columns=["pair", "kind", "item", "value", "detail"])


def _scores(store: Store):
    from dyadic.framework.drivers import compute_drivers, load_config

    return compute_drivers(store, None, None, load_config(None))


def _classify(store: Store, scores, a: str, b: str, year: int):
    from dyadic.framework.nature import classify

    return classify(store, scores, a, b, year)


def previous_run(store: Store, watchlist: str) -> tuple[int | None, pd.DataFrame]:
    """The last run of ``watchlist`` kept in the store (None and an empty frame when there is none)."""
    if not store.has_table(HISTORY_TABLE):
        return None, pd.DataFrame(columns=["pair", "kind", "item", "value", "detail"])
    run = store.con.execute(f"SELECT max(run) FROM {HISTORY_TABLE} WHERE watchlist = ?", [watchlist]).fetchone()[0]
    df = store.con.execute(f"SELECT pair, kind, item, value, detail FROM {HISTORY_TABLE} WHERE watchlist = ? "
                           "AND run = ?", [watchlist, run]).df()
    return run, df


def changes(before: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """What differs between two runs: a label or signpost whose value changed, a shock that is new.

    Returns: ``pair, change, item, before, after, detail`` (``change``: label changed, signpost crossed /
    signpost no longer crossed / signpost ..., shock detected, new finding).
    """
    key = ["pair", "kind", "item"]
    m = now.merge(before, on=key, how="outer", suffixes=("", "_before"), indicator="side")
    out = []
    for r in m.itertuples():
        if r.side == "left_only":  # new in this run
            if r.kind == "shock" and r.value != "not measured":
                out.append((r.pair, CHANGE["shock"], r.item, "", r.value, r.detail))
            elif r.kind != "shock":
                out.append((r.pair, "new finding", r.item, "", r.value, r.detail))
        elif r.side == "both" and r.value != r.value_before:
            what = CHANGE[r.kind]
            if r.kind == "signpost":
                what = {"crossed": "signpost crossed", "not crossed": "signpost no longer crossed"}.get(
                    r.value, "signpost now " + str(r.value))
            out.append((r.pair, what, r.item, r.value_before, r.value, r.detail))
    return pd.DataFrame(out, columns=["pair", "change", "item", "before", "after", "detail"])


@dataclass
class WatchResult:
    """One run: its number, the findings, what changed since ``previous`` (None: the first run)."""

    watchlist: str
    run: int
    previous: int | None
    findings: pd.DataFrame
    changes: pd.DataFrame

    @property
    def changed(self) -> bool:
        return bool(len(self.changes))

    def to_json(self) -> str:
        return json.dumps({"watchlist": self.watchlist, "run": self.run, "previous_run": self.previous,
                           "changed": self.changed, "changes": self.changes.to_dict("records"),
                           "findings": self.findings.to_dict("records")}, indent=2, default=str)


def watch(store: Store, wl: Watchlist, record: bool = True) -> WatchResult:
    """Evaluate the watch list, compare with its last run and (``record``) keep this run in the store, in
    one transaction: an evaluation that fails writes nothing."""
    prev, before = previous_run(store, wl.name)
    now = evaluate(store, wl)
    diff = changes(before, now) if prev is not None else changes(now.iloc[0:0], now.iloc[0:0])
    run = (prev or 0) + 1
    if record:
        at = datetime.now(timezone.utc).replace(tzinfo=None)
        rows = now.assign(watchlist=wl.name, run=run, run_at=at)
        with store.transaction() as con:
            con.execute(HISTORY_DDL)
            con.register("watch_rows", rows)
            try:
                con.execute(f"INSERT INTO {HISTORY_TABLE} BY NAME SELECT * FROM watch_rows")
            finally:
                con.unregister("watch_rows")
    return WatchResult(wl.name, run, prev, now, diff)
