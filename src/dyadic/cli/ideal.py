"""``dyadic ideal``: dynamic UNGA ideal points of states, with bootstrap intervals and pair distances."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, check_format, console, emit, friendly
from dyadic.config import Settings


@app.command()
@friendly
def ideal(
    states: Annotated[list[str], typer.Argument(help="States (codes or names).")],
    from_: Annotated[Optional[int], typer.Option("--from", help="First year shown.")] = None,
    to: Annotated[Optional[int], typer.Option("--to", help="Last year shown.")] = None,
    distances: Annotated[bool, typer.Option("--distances", help="Show pair distances instead of positions.")] = False,
    n_boot: Annotated[int, typer.Option(help="Bootstrap replicates when estimating.")] = 100,
    force: Annotated[bool, typer.Option(help="Re-estimate even if the stored estimates are current.")] = False,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """State-year ideal points (BSV-style dynamic ordinal IRT), estimated once and kept in the store."""
    from dyadic.api import ideal_points

    # Estimating takes minutes: every value is checked first (the states by ideal_points, before it starts).
    args.years(from_, to, first=args.UN_FIRST_YEAR)
    args.count(n_boot, "--n-boot", "replicates")
    check_format(fmt)
    with console.status("ideal points (estimated once, then read from the store)"):
        df = ideal_points(states, from_, to, distances=distances, n_boot=n_boot, force=force,
                          store=Settings.resolve(store=store).store_path)
    emit(df, fmt, title="UNGA ideal-point distances" if distances else "UNGA ideal points (USA positive)")
