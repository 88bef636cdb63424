"""``dyadic drivers``, ``dyadic nature``, ``dyadic triangle``: the paper's framework questions 1, 2 and 5."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import pandas as pd
import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, emit, friendly, out
from dyadic.config import Settings

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="A drivers TOML file (default: the packaged one).")]
FromOpt = Annotated[Optional[int], typer.Option("--from", help="First year.")]
ToOpt = Annotated[Optional[int], typer.Option("--to", help="Last year.")]


def _open(store):
    from dyadic.store import Store

    return Store.open(Settings.resolve(store=store).store_path, read_only=True)


def _scores(st, config, from_, to):
    from dyadic.framework.drivers import compute_drivers, load_config

    return compute_drivers(st, from_, to, load_config(config))


@app.command()
@friendly
def drivers(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    from_: FromOpt = None, to: ToOpt = None,
    explain: Annotated[Optional[int], typer.Option("--explain", help="Expand every score of this year into its inputs.")] = None,
    monthly: Annotated[bool, typer.Option("--monthly", help="Event-based components by month (GDELT daily graph).")] = False,
    config: ConfigOpt = None, fmt: FormatOpt = "table", store: StoreOpt = None,
) -> None:
    """Scores of the six drivers of cooperation by year: percentiles among the politically relevant dyads, with
    the year each input of the latest scores stands on."""
    from dyadic.framework.drivers import driver_months

    args.years(from_, to)
    args.year(explain, "--explain")
    with _open(store) as st:
        a, b = st.registry().dyad(a, b)
        if monthly:
            emit(driver_months(st, a, b), fmt, title=f"event-based driver components {a}-{b} by month")
            return
        ds = _scores(st, config, from_, to)
        if explain is not None:
            emit(ds.explain(a, b, explain), fmt, title=f"drivers {a}-{b} {explain}: inputs behind each score")
        else:
            emit(ds.pair(a, b), fmt, title=f"drivers of cooperation {a}-{b} (percentile among {ds.reference})")
            latest = ds.year_of_latest(a, b)
            if fmt == "table" and latest is not None:
                for sentence in ds.evidence(a, b, latest).sentence:
                    out.print(f"evidence: {sentence}")
        if ds.missing and fmt == "table":
            out.print("not measured: " + "; ".join(ds.missing))


@app.command()
@friendly
def nature(
    a: Annotated[str, typer.Argument(help="First state.")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    year: Annotated[Optional[int], typer.Option("--year", help="Show every criterion of this year.")] = None,
    from_: FromOpt = None, to: ToOpt = None,
    config: ConfigOpt = None, fmt: FormatOpt = "table", store: StoreOpt = None,
) -> None:
    """The label of the relationship by year (alliance, rivalry, entente, client, strategic partnership,
    ordinary, or undetermined when inputs are not measured) with what it rests on, and the asymmetry index."""
    from dyadic.framework.nature import (
        asymmetry,
        classify,
        classify_years,
        missing_inputs,
        widening,
    )

    args.years(from_, to)
    args.year(year, "--year")
    with _open(store) as st:
        a, b = st.registry().dyad(a, b)
        ds = _scores(st, config, from_, to)
        if year is not None:
            c = classify(st, ds, a, b, year)
            emit(c.table(), fmt, title=f"{a}-{b} {year}: {c.label}" + (" (provisional: " + ", ".join(
                c.undetermined_by) + " unknown)" if c.provisional else ""))
            if fmt == "table":
                out.print(f"rests on: {c.basis}")
                for note in c.notes:
                    out.print(f"note: {note}")
            return
        labels = classify_years(st, ds, a, b)
        asy = asymmetry(ds, a, b)
        emit(labels.merge(asy, on="year", how="left"), fmt, title=f"nature of the relationship {a}-{b}")
        if fmt == "table":
            for note in missing_inputs(st):
                out.print(f"note: {note}")
            w = widening(asy, ds.config.nature["asym_window"], ds.config.nature["asym_slope"])
            out.print(f"asymmetry index: {w['verdict']} (slope {w['slope']:+.4f} a year over {w['years']})")


@app.command()
@friendly
def triangle(
    a: Annotated[str, typer.Argument(help="First state (e.g. the third party).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    c: Annotated[str, typer.Argument(help="Third state.")],
    what_if: Annotated[Optional[str], typer.Option("--what-if", help='Shift one tie, in tie units, e.g. "USA-RUS:+0.3".')] = None,
    year: Annotated[Optional[int], typer.Option("--year", help="Year of the what-if (default: latest).")] = None,
    from_: FromOpt = None, to: ToOpt = None,
    config: ConfigOpt = None, fmt: FormatOpt = "table", store: StoreOpt = None,
) -> None:
    """Dittmer configuration of a triad by year, on signed ties (amity minus enmity) with intervals; a
    configuration is named only when all three ties are clear of the neutral band, else indeterminate with the
    tie that is not. With --what-if, what moves when one tie shifts, and how far the courting state could
    substitute for the courted state's partner."""
    from dyadic.framework import triangle as tri
    from dyadic.framework.drivers import load_config

    args.years(from_, to)
    args.year(year, "--year")
    parsed = tri.parse_what_if(what_if) if what_if is not None else None
    cfg = load_config(config)
    with _open(store) as st:
        reg = st.registry()
        a, b, c = reg.triad(a, b, c)
        t = tri.triangle(st, a, b, c, from_ if from_ is not None else cfg.start, to if to is not None else cfg.end,
                         config=cfg.triangle)
        if what_if is None:
            emit(t.table() if fmt == "table" else t.years, fmt, title=f"strategic triangle {a}-{b}-{c} "
                 f"(each tie: estimate and interval; signed only beyond ±{t.settings.band:g})")
            if fmt == "table":
                notes = sorted({n for r in t.ties.not_measured for n in str(r).split("; ") if n})
                for n in notes:
                    out.print(f"not measured or carried: {n}")
            return
        x, y, delta = parsed
        x, y = reg.dyad(x, y)
        yr = year if year is not None else int(t.years.year.max())
        res = tri.what_if(t.states, t.ties_in(yr), x, y, delta, t.settings.band)
        rows = pd.DataFrame({"what": ["configuration", *[f"position {s}" for s in t.states], "balanced"],
                             "before": [res["before"].name, *[res["before"].positions[s] for s in t.states],
                                        str(res["before"].balanced)],
                             "after": [res["after"].name, *[res["after"].positions[s] for s in t.states],
                                       str(res["after"].balanced)]})
        emit(rows, fmt, title=f"what-if {x}-{y} {delta:+} in {yr} (tie and its interval shifted)")
        partner = next(s for s in t.states if s not in (x, y))
        ds = _scores(st, config, from_, to)
        emit(tri.substitution(ds, y, partner, x, yr), fmt,
             title=f"could {x} substitute for {partner} as {y}'s partner?")
        if fmt == "table":
            out.print("changed: " + "; ".join(res["changed"]))
            out.print("assumptions: " + "; ".join(tri.ASSUMPTIONS))
