"""``dyadic events``: monthly or yearly event indicators of a pair; ``dyadic gdelt``: ingest and download GDELT files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, console, emit, friendly, out, progress
from dyadic.config import Settings

gdelt_app = typer.Typer(help="GDELT event files: download a date range, ingest files, aggregate at scale.", no_args_is_help=True)
app.add_typer(gdelt_app, name="gdelt")

SHOW = {
    "graph": ["direction", "period", "days", "score", "score_day", "coop", "conflict", "days_negative",
              "score_per_k_src"],
    "events": ["direction", "period", "events", "q1", "q2", "q3", "q4", "net_coop", "tone_mean",
               "events_per_k_src", "net_coop_per_k_src"],
}


@app.command()
@friendly
def events(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    from_: Annotated[Optional[str], typer.Option("--from", help="First period (YYYY-MM or YYYY).")] = None,
    to: Annotated[Optional[str], typer.Option("--to", help="Last period.")] = None,
    freq: Annotated[str, typer.Option(help="month or year.")] = "month",
    family: Annotated[Optional[str], typer.Option(help="CAMEO family (visits, agreements, military, ...).")] = None,
    source: Annotated[str, typer.Option(help="auto, graph, or an events source name.")] = "auto",
    all_columns: Annotated[bool, typer.Option("--all-columns", help="Every indicator (table format shows a few).")] = False,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Event indicators of a pair by month or year, both directions; uncovered periods are empty."""
    from dyadic.events_api import events as api_events
    from dyadic.indicators.events import GRAPH

    from_, to = args.periods(from_, to)
    df = api_events(a, b, from_, to, freq=freq, family=family, source=source,
                    store=Settings.resolve(store=store).store_path)
    if fmt == "table" and not all_columns:
        df = df[SHOW["graph" if (df.source == GRAPH).all() else "events"]]
    emit(df, fmt, title=f"events {a}-{b}" + (f" ({family})" if family else ""))


@gdelt_app.command("ingest")
@friendly
def gdelt_ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or globs of GDELT event exports.")],
    name: Annotated[str, typer.Option(help="Source name to keep the rows under.")] = "gdelt_events",
    actors: Annotated[str, typer.Option(help="Actor rule: state_roles, bare or country.")] = "state_roles",
    roles: Annotated[str, typer.Option(help="Role codes kept under state_roles, comma-separated.")] = "GOV,MIL,LEG,JUD,COP,SPY",
    dedup: Annotated[str, typer.Option(help="event_id, url or none.")] = "event_id",
    min_sources: Annotated[int, typer.Option(help="Minimum NumSources.")] = 1,
    min_articles: Annotated[int, typer.Option(help="Minimum NumArticles.")] = 1,
    root_only: Annotated[bool, typer.Option(help="Only root events.")] = False,
    skip_bad_lines: Annotated[bool, typer.Option(help="Skip unparseable lines (counted) instead of failing.")] = False,
    store: StoreOpt = None,
) -> None:
    """Ingest GDELT 1.0/2.0 event files (plain, .gz or .zip) in one atomic step."""
    from dyadic.events_api import ingest_gdelt
    from dyadic.sources.gdelt import ActorRule, Filters
    from dyadic.store import Store

    rule = ActorRule(actors, tuple(r.strip().upper() for r in roles.split(",") if r.strip()))
    filters = Filters(dedup, min_sources, min_articles, root_only, skip_bad_lines)
    with Store.open(Settings.resolve(store=store).store_path) as st, progress() as bar:
        s = ingest_gdelt(st, paths, rule=rule, filters=filters, name=name, progress=bar)
    out.print(f"{s.source}: {s.rows:,} rows written")
    for n in s.notes:
        out.print(f"  {n}", highlight=False)


@gdelt_app.command("aggregate")
@friendly
def gdelt_aggregate(
    paths: Annotated[list[str], typer.Argument(help="Files, a directory or globs (on Spark also URIs) of GDELT exports.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder: Parquet partitioned by year and month.")],
    engine_name: Annotated[str, typer.Option("--engine", help="duckdb or spark.")] = "duckdb",
    freq: Annotated[str, typer.Option(help="month or year.")] = "month",
    dataset: Annotated[Optional[str], typer.Option(help="gdelt2 or gdelt1 (required for URIs).")] = None,
    actors: Annotated[str, typer.Option(help="Actor rule: state_roles, bare or country.")] = "state_roles",
    min_sources: Annotated[int, typer.Option(help="Minimum NumSources.")] = 1,
    root_only: Annotated[bool, typer.Option(help="Only root events.")] = False,
    store: StoreOpt = None,
) -> None:
    """Directed dyad-period event indicators straight from GDELT files, on DuckDB or Spark, without ingesting.

    For inputs too large for one machine: run it under spark-submit (docs/engines.md). The store only
    provides the country registry.
    """
    from dyadic import engine
    from dyadic.indicators.events_engine import write_event_periods
    from dyadic.sources.gdelt import ActorRule, Filters
    from dyadic.store import Store

    with Store.open(Settings.resolve(store=store).store_path, read_only=True) as st, \
            engine.engine_for(engine_name, st) as eng:
        eng.limit_memory()
        write_event_periods(eng, paths if len(paths) > 1 else paths[0], st.registry(), out_dir, freq,
                            rule=ActorRule(actors), filters=Filters(min_sources=min_sources, root_only=root_only),
                            dataset=dataset)
    out.print(f"wrote {out_dir} (Parquet, partitioned by year and month)")


@gdelt_app.command("download")
@friendly
def gdelt_download(
    from_: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD or YYYY-MM).")],
    to: Annotated[str, typer.Option("--to", help="Last day.")],
    index: Annotated[str, typer.Option(help="File index URL or path (masterfilelist.txt format).")] =
        "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt",
    dest: Annotated[Optional[Path], typer.Option(help="Cache folder (default: <cache>/sources/gdelt_events).")] = None,
) -> None:
    """Download GDELT 2.0 event exports for a date range (checked against the index's size and MD5)."""
    from dyadic.sources.gdelt import download_range

    folder = dest or Settings.resolve().cache_dir / "sources" / "gdelt_events"
    got = download_range(from_, to, folder, index_url=index)
    console.print(f"{len(got)} file(s) in {folder}; ingest them with 'dyadic gdelt ingest {folder}'")
