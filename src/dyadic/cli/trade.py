"""``dyadic trade``: bilateral trade of a pair by year: volume, dependence both ways, mirror flows."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, emit, friendly
from dyadic.config import Settings
from dyadic.errors import RequestError

SOURCES = {"cow": "cow_trade", "imf": "imf_dots_multiatsm"}
VIEWS = ("indicators", "mirror", "monthly")


@app.command()
@friendly
def trade(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    from_: Annotated[Optional[int], typer.Option("--from", help="First year.")] = None,
    to: Annotated[Optional[int], typer.Option("--to", help="Last year.")] = None,
    source: Annotated[str, typer.Option(help="cow (COW Trade 4.0, 1870-2014) or imf (IMF DOTS extract, to 2020).")] = "cow",
    view: Annotated[str, typer.Option(help="indicators, mirror (each flow as exporter and importer report it; imf) "
                                           "or monthly (US Census, USA-China).")] = "indicators",
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Trade of a pair by year: imports each way, total (importers' figures), each side's dependence
    (share of its total trade), asymmetry, trade/GDP and growth; US$ million in the table view."""
    from dyadic.indicators.trade import mirror_pair, monthly_pair, trade_pair
    from dyadic.store import Store

    args.years(from_, to)
    if source not in SOURCES:
        raise RequestError(f"--source must be one of {', '.join(SOURCES)}, not '{source}'")
    if view not in VIEWS:
        raise RequestError(f"--view must be one of {', '.join(VIEWS)}, not '{view}'")
    st = Store.open(Settings.resolve(store=store).store_path, read_only=True)
    try:
        reg = st.registry()
        ca, cb = reg.dyad(a, b)
        if view == "mirror":
            df = mirror_pair(st, ca, cb, from_, to)
            money = ["exporter_reports", "importer_reports"]
        elif view == "monthly":
            df = monthly_pair(st, ca, cb, from_, to)
            money = ["exports_a", "imports_a"]
        else:
            df = trade_pair(st, ca, cb, from_, to, source=SOURCES[source])
            money = ["imports_a", "imports_b", "trade", "total_trade_a", "total_trade_b"]
    finally:
        st.close()
    title = f"Trade {ca}-{cb} ({SOURCES[source] if view == 'indicators' else view}; a = {ca}, b = {cb})"
    if fmt == "table":  # a narrow, readable view on screen; csv and json keep every column in US$
        keep = {"indicators": ["year", "imports_a", "imports_b", "trade", "dep_a", "dep_b", "dep_asym",
                               "trade_gdp_a", "trade_gdp_b", "growth"],
                "mirror": ["year", "exporter", "importer", "exporter_reports", "importer_reports", "gap", "used"],
                "monthly": ["month", "exports_a", "imports_a", "reporter"]}[view]
        df = screen(df[keep], money)
        title += ", US$ m"
    emit(df, fmt, title=title)


def screen(df, money: list[str]):
    """Strings for the terminal: money in US$ million with separators, shares to 4 places, NA for missing."""
    out = df.copy()
    for c in out.columns:
        if c in money:
            out[c] = [f"{v / 1e6:,.0f}" if v == v and v is not None else "NA" for v in out[c]]
        elif out[c].dtype.kind == "f":
            out[c] = [f"{v:.4f}" if v == v and v is not None else "NA" for v in out[c]]
        elif c == "month":
            out[c] = out[c].dt.strftime("%Y-%m")
    return out.astype(str)
