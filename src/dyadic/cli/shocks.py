"""``dyadic shock``, ``dyadic breaks`` and ``dyadic futures``: questions 3 and 4 of the framework."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, console, emit, friendly
from dyadic.config import Settings
from dyadic.errors import RequestError


def _window(text: str | None) -> tuple[int | None, str | None]:
    """'24m' -> (24, 'month'), '8y' -> (8, 'year'), '90d' -> (90, 'day')."""
    if not text:
        return None, None
    m = re.fullmatch(r"(\d+)([ymd])", text.strip())
    if not m:
        raise RequestError(f"--window '{text}' is not a length such as 8y, 24m or 90d")
    return int(m.group(1)), {"y": "year", "m": "month", "d": "day"}[m.group(2)]


def _open(store):
    from dyadic.store import Store

    st = Store.open(Settings.resolve(store=store).store_path, read_only=True)
    return st, st.registry()


@app.command()
@friendly
def shock(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    at: Annotated[str, typer.Option("--at", help="Date of the event, YYYY-MM-DD.")],
    indicators: Annotated[Optional[list[str]], typer.Option("--indicators", help="unga_agree, unga_s, bsv_distance, trade, events_month, events_day; repeatable.")] = None,
    window: Annotated[Optional[str], typer.Option(help="Length of both windows for indicators of that resolution, e.g. 3y, 24m, 90d (default 3y, 12m, 30d); the verdict also needs the same sign at 1-3y, 12-36m or 30-90d.")] = None,
    seed: Annotated[int, typer.Option(help="Unused (kept for scripts): the method is deterministic.")] = 0,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Event study: did the pair's level change more than its partners' other relationships did, beyond the
    placebo dates of its own history and with the same sign at every window?"""
    from dyadic.framework.shocks import INDICATORS, event_study

    at = args.day(at, "--at")
    chosen = args.choices(indicators, INDICATORS, "--indicators") or ["unga_agree", "bsv_distance", "events_month"]
    n, unit = _window(window)
    st, reg = _open(store)
    x, y = reg.dyad(a, b)
    rows, missing = [], []
    for ind in chosen:
        w = n if unit and INDICATORS.get(ind, ("",))[0] == unit else None
        df, miss = event_study(st, x, y, at, [ind], before=w, after=w, seed=seed)
        rows.append(df)
        missing += miss
    import pandas as pd

    kept = [r for r in rows if len(r)]
    df = pd.concat(kept, ignore_index=True) if kept else rows[0]
    if fmt != "table":
        _emit_measured(df, fmt, f"Event study {x}-{y} at {at}", missing)
        return
    # The table keeps what a reader compares; the reason and the periods follow, one line each.
    _emit_measured(_compact(df), fmt, f"Event study {x}-{y} at {at}: change vs partners' other dyads", [])
    for r in df.itertuples():
        console.print(f"{r.indicator}: {r.verdict}: {r.reason}. Evidence: {r.evidence}.", highlight=False,
                      soft_wrap=True)
    for m in missing:
        console.print(f"not measured: {m}", highlight=False)


def _compact(df):
    """Narrow table: level before -> after, the DiD effect with its 90% placebo interval, the verdict."""
    import pandas as pd

    def g(v: float) -> str:
        return f"{v:+.3g}" if pd.notna(v) else "-"

    return pd.DataFrame({
        "indicator": df.indicator, "window": df.window,
        "level": [f"{b:.3g}→{a:.3g}" if pd.notna(b) and pd.notna(a) else "-" for b, a in zip(df.before_mean, df.after_mean)],
        "effect": [g(v) for v in df.effect],
        "90% interval": [f"{g(lo)}, {g(hi)}" for lo, hi in zip(df.lo, df.hi)],
        "dyads/placebos": [f"{k}/{n}" for k, n in zip(df.n_comparison, df.n_placebo)],
        "verdict": df.verdict})


def _emit_measured(df, fmt: str, title: str, missing) -> None:
    """The result, then each indicator that could not be measured (an unknown is said, not dropped)."""
    emit(df, fmt, title=title)
    for m in missing:
        console.print(f"not measured: {m}", highlight=False)


@app.command()
@friendly
def breaks(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    indicators: Annotated[Optional[list[str]], typer.Option("--indicators", help="Indicators; repeatable.")] = None,
    beta: Annotated[float, typer.Option(help="Penalty multiplier (2 = BIC).")] = 2.0,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Change points (and daily spikes) in the pair's series, matched to the nearest curated date."""
    from dyadic.framework.shocks import INDICATORS, breaks as find

    chosen = args.choices(indicators, INDICATORS, "--indicators")
    args.positive(beta, "--beta")
    st, reg = _open(store)
    df, missing = find(st, *reg.dyad(a, b), chosen, beta=beta)
    _emit_measured(df, fmt, f"Breaks {a}-{b}", missing)


@app.command()
@friendly
def futures(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    third: Annotated[Optional[str], typer.Option("--third", help="Third party, for signposts (e.g. USA).")] = None,
    horizon: Annotated[list[int], typer.Option(help="Horizon in years; repeatable.")] = [5, 10],
    scenarios: Annotated[Optional[Path], typer.Option(help="Scenario file (TOML); default the shipped one.")] = None,
    whatif: Annotated[Optional[list[str]], typer.Option(help="What-if from the scenario file; repeatable.")] = None,
    paths: Annotated[int, typer.Option(help="Monte Carlo paths.")] = 10_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Scenario probabilities (continuity, alliance, degradation, militarised conflict) with intervals,
    reference classes and signposts."""
    from dyadic.framework.futures import futures as run

    # The reference class needs outcomes observed `horizon` years on, so no horizon can exceed the UN vote
    # history; the path matrix is paths x horizon floats (a million paths of 80 years is 640 MB).
    for h in horizon:
        args.count(h, "--horizon", "years", high=args.last_year() - args.UN_FIRST_YEAR)
    args.count(paths, "--paths", "paths", high=1_000_000)
    st, reg = _open(store)
    x, y, z = reg.request(a, b, third)
    hz = tuple(sorted(set(horizon)))
    r = run(st, x, y, z, horizons=hz, scenarios=scenarios, whatif=whatif, n_paths=paths,
            seed=seed)
    p = r.probabilities
    # the table shows the headline and both candidates; csv/json carry every column
    emit(p[["horizon", "scenario", "p", "lo", "hi", "headline", "model", "base", "class_n"]] if fmt == "table"
         else p, fmt, title=f"Futures {a}-{b}")
    emit(r.signposts, fmt, title="Signposts")
    for line in r.trail:
        console.print(line, highlight=False, soft_wrap=True)
