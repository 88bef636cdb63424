"""``dyadic power``: the balance of power in a pair by year: CINC, GDP and military-spending ratios and trends."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, emit, friendly
from dyadic.cli.trade import screen
from dyadic.config import Settings


@app.command()
@friendly
def power(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    from_: Annotated[Optional[int], typer.Option("--from", help="First year.")] = None,
    to: Annotated[Optional[int], typer.Option("--to", help="Last year.")] = None,
    window: Annotated[int, typer.Option(help="Years in the trailing window of each trend.")] = 5,
    summary: Annotated[bool, typer.Option(help="One row per measure: ratio then and now, annual change, gap.")] = False,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """CINC (COW NMC), GDP (World Bank, current US$) and military spending (SIPRI, constant US$) of a pair by
    year; each ratio is A/B, and its trend the average annual change over the trailing window."""
    from dyadic.indicators.power import power_pair, ratio_trends
    from dyadic.store import Store

    args.years(from_, to)
    args.count(window, "--window", "years")
    st = Store.open(Settings.resolve(store=store).store_path, read_only=True)
    try:
        reg = st.registry()
        ca, cb = reg.dyad(a, b)
        df = power_pair(st, ca, cb, from_, to, window=window)
    finally:
        st.close()
    if summary:
        t = ratio_trends(df)
        emit(screen(t, []) if fmt == "table" else t, fmt, title=f"Power ratios {ca}/{cb}: trend")
        return
    if fmt == "table":  # a narrow view on screen; csv and json keep levels, shares and every trend
        keep = ["year", "cinc_a", "cinc_b", "cinc_ratio", "gdp_ratio", "milex_ratio", "cinc_ratio_trend",
                "gdp_ratio_trend", "milex_ratio_trend"]
        df = screen(df[keep], [])
    emit(df, fmt, title=f"Power {ca}/{cb} (ratio = {ca}/{cb}; trend = annual change over {window} years)")
