"""``dyadic panel``: build a dyad-year panel and export it (Parquet, CSV or Stata) with its coverage record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, emit, friendly, out
from dyadic.config import Settings
from dyadic.errors import RequestError


@app.command()
@friendly
def panel(
    out_file: Annotated[Optional[Path], typer.Option("--out", help="Output file: .parquet, .csv or .dta; a name "
                                                      "without suffix is a folder of Parquet files partitioned "
                                                      "by year.")] = None,
    pairs: Annotated[Optional[str], typer.Option("--pairs", help="Comma-separated pairs, e.g. CHN-RUS,CHN-USA; "
                                                 "default all dyads.")] = None,
    from_: Annotated[int, typer.Option("--from", help="First year.")] = 1946,
    to: Annotated[int, typer.Option("--to", help="Last year.")] = 2024,
    add: Annotated[str, typer.Option("--add", help="Comma-separated panel verbs (unga, trade, power, alliances, "
                                     "mids, ...); '--add list' shows each with the sources it needs and the "
                                     "columns it adds.")] = "",
    directed: Annotated[bool, typer.Option("--directed/--nondirected", help="Both orders of each dyad.")] = False,
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded, fastest on one machine) or spark "
                                        "(dyad-years, trade, power and alliances as one Spark query; master "
                                        "from $DYADIC_SPARK_MASTER, default local[2]).")] = "duckdb",
    store: StoreOpt = None,
) -> None:
    """Dyad-years of the COW state system plus the named sources, written with a <stem>.coverage.csv record."""
    from dyadic import engine as eng
    from dyadic.indicators.panel import ADDERS, create_dyadyears
    from dyadic.indicators.panel import RELATIONAL, build_panel
    from dyadic.store import Store

    if add.strip() == "list":
        import pandas as pd

        emit(pd.DataFrame([{"verb": e.name, "needs": " ".join(e.needs) or "(by year: see its help)",
                            "adds": ", ".join(e.provides), "what": e.doc} for e in ADDERS.entries()]),
             "table", title="panel verbs")
        return
    if out_file is None:
        raise RequestError("--out is needed: the file (.parquet, .csv, .dta) or folder to write the panel to")
    steps = [s.strip() for s in add.split(",") if s.strip()]
    unknown = [s for s in steps if s not in ADDERS]
    if unknown:
        raise RequestError(f"--add: unknown step(s) {', '.join(unknown)}; choose from {', '.join(ADDERS)}")
    kind = eng.ENGINES[eng.check_engine(engine)]
    chosen = [p.strip() for p in pairs.split(",") if p.strip()] if pairs else None
    with Store.open(Settings.resolve(store=store).store_path, read_only=True) as st:
        # The engine is started only when it runs something: the relational steps (Spark) or the dataset write.
        e = kind(st.con) if kind.panel_in_query or not out_file.suffix else None
        try:
            if kind.panel_in_query:  # the relational steps in one query; the others (UNGA, exercises) after it
                p = build_panel(st, from_, to, [s for s in steps if s in RELATIONAL], directed, chosen, e)
                steps = [s for s in steps if s not in RELATIONAL]
            else:
                p = create_dyadyears(st, from_, to, directed=directed, pairs=chosen)
            for s in steps:
                p = ADDERS[s](p, st)
            path = p.write(out_file) if out_file.suffix else p.write_dataset(e, out_file)
        finally:
            if e is not None:
                e.close()
    cov = p.coverage[["column", "first_year", "last_year", "source"]].astype("string").fillna("")
    emit(cov, "table", title=f"coverage of {path.name}")
    out.print(f"{len(p):,} dyad-years written to [bold]{path}[/] (coverage: {path.stem}.coverage.csv)")


@app.command()
@friendly
def coverage(
    a: Annotated[str, typer.Argument(help="First state.")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    third: Annotated[Optional[str], typer.Option("--third", help="Third party: its pairs with each are shown too.")] = None,
    from_: Annotated[Optional[int], typer.Option("--from", help="First year.")] = 1946,
    to: Annotated[Optional[int], typer.Option("--to", help="Last year (default: this year).")] = None,
    store: StoreOpt = None,
    fmt: FormatOpt = "table",
) -> None:
    """Which input reaches which year for a pair: for every panel step the store can add, the first and last
    year in which it holds a value for the pair, and its source. A year past the last is unknown, not none."""
    import pandas as pd

    from dyadic.dyad import Dyad, Triad
    from dyadic.errors import NotIngestedError
    from dyadic.indicators.panel import ADDERS, create_dyadyears
    from dyadic.store import Store

    start, end = args.years(from_, to if to is not None else args.last_year(), first=1816)
    rows = []
    with Store.open(Settings.resolve(store=store).store_path, read_only=True) as st:
        ca, cb, cc = st.registry().request(a, b, third)
        for x, y in (Triad(ca, cb, cc).pairs if cc else [Dyad(ca, cb)]):
            p = create_dyadyears(st, start, end, pairs=[(x, y)])
            lacking = []
            for step, add in ADDERS.items():
                try:
                    p = add(p, st)
                except NotIngestedError:
                    lacking.append(step)
            cov = p.coverage[~p.coverage.column.isin(["year", "a", "b"])]
            for source, g in cov.groupby("source", sort=False):
                rows.append({"pair": f"{x}-{y}", "source": source, "columns": len(g),
                             "first_year": g.first_year.min(), "last_year": g.last_year.max()})
            if lacking:
                rows.append({"pair": f"{x}-{y}", "source": "not ingested: " + ", ".join(lacking), "columns": 0,
                             "first_year": None, "last_year": None})
    df = pd.DataFrame(rows).astype({"first_year": "Int32", "last_year": "Int32"})
    emit(df.astype({"first_year": "string", "last_year": "string"}).fillna("no data") if fmt == "table" else df,
         fmt, title=f"coverage {start}-{end}: the last year each input holds a value for the pair")
