"""Commands on the store itself: ingest, sources, state look-up, and the brief."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dyadic.cli import DataOpt, StoreOpt, app, args, console, emit, friendly, out, progress
from dyadic.config import Settings
from dyadic.errors import DyadicError


@app.command()
@friendly
def ingest(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Source names (see 'dyadic sources').")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Ingest every known source.")] = False,
    force: Annotated[bool, typer.Option(help="Re-ingest even if the files are unchanged.")] = False,
    prepare_: Annotated[bool, typer.Option("--prepare/--no-prepare", help="Then compute what every pair's brief "
                                           "shares (as 'dyadic prepare'), when something was ingested.")] = True,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Read public source files into the store (atomic per source, idempotent)."""
    from dyadic.sources import SOURCES
    from dyadic.store import Store, ingest as run

    names = list(SOURCES) if all_ else (sources or [])
    if not names:
        raise DyadicError("name the sources to ingest, or use --all (see 'dyadic sources').")
    args.choices(names, SOURCES, "sources")  # before the store is opened, which would create its file
    settings = Settings.resolve(data=data, store=store)
    with Store.open(settings.store_path) as st, progress() as bar:
        summaries = run(st, settings, names, force=force, progress=bar)
    t = Table(title=f"ingest into {settings.store_path}")
    for col in ("source", "status", "rows", "unmapped codes (rows)"):
        t.add_column(col)
    for s in summaries:
        unm = ", ".join(f"{k} ({v})" for k, v in sorted(s.unmapped.items(), key=lambda kv: -kv[1])) or "-"
        t.add_row(s.source, s.status, f"{s.rows:,}", unm)
    out.print(t)
    if prepare_ and any(s.status == "ingested" for s in summaries):
        _prepare(settings.store_path)


def _prepare(path: Path) -> None:
    """Run :func:`dyadic.report.prepare.prepare` on the store at ``path`` and print what it did."""
    from dyadic.report.prepare import prepare as run
    from dyadic.store import Store

    with Store.open(path, read_only=True) as st, console.status("preparing what every brief shares"):
        done = run(st)
    t = Table(title="shared products (dyadic prepare)")
    for col in ("question", "status", "results", "seconds", "note"):
        t.add_column(col)
    for d in done:
        t.add_row(d.name, d.status, str(d.computed), f"{d.seconds:.1f}", d.note)
    out.print(t)


@app.command("prepare")
@friendly
def prepare(store: StoreOpt = None) -> None:
    """Compute the all-dyad products every brief shares (driver scores, reference histories, back-tests)
    once, so a brief for any pair only reads them. 'dyadic ingest' runs it after ingesting."""
    settings = Settings.resolve(store=store)
    if not settings.store_path.exists():
        raise DyadicError(f"no store at {settings.store_path}: run 'dyadic ingest --all' first")
    _prepare(settings.store_path)


@app.command("sources")
@friendly
def list_sources(
    files: Annotated[bool, typer.Option("--files", help="List every ingested file with its checksum.")] = False,
    store: StoreOpt = None,
) -> None:
    """List the connectors, and what the store holds from each (version, rows, checksum)."""
    from dyadic.sources import SOURCES
    from dyadic.store import Store

    settings = Settings.resolve(store=store)
    held = {}
    if settings.store_path.exists():
        with Store.open(settings.store_path, read_only=True) as st:
            held = {r["name"]: r for _, r in st.sources().iterrows()}
    t = Table(title="sources")
    for col in ("name", "title", "ingested", "release", "as of", "age", "rows", "sha256"):
        t.add_column(col)
    # the connectors first, then what the store holds from readers outside the registry (a user's IMTS
    # export, GDELT event files), so every ingested source is listed
    titles = {name: cls.title for name, cls in SOURCES.items()} | {n: "" for n in held if n not in SOURCES}
    for name, title in titles.items():
        r = held.get(name)
        release, as_of, age = release_age(r)
        t.add_row(name, r["title"] if r is not None else title,
                  str(r["ingested_at"])[:19] if r is not None else "no", release, as_of, age,
                  f"{r['rows']:,}" if r is not None else "", (r["sha256"][:12] + "…") if r is not None else "")
    out.print(t)
    if files:
        import json

        ft = Table(title="files")
        for col in ("source", "file", "algorithm", "checksum"):
            ft.add_column(col)
        for name, r in held.items():
            for fname, entry in json.loads(r["files"] or "{}").items():
                algo = next((k for k in ("sha256", "blake3") if entry.get(k)), "bytes")
                ft.add_row(name, fname, algo, str(entry.get(algo, entry.get("bytes", ""))))
        out.print(ft)


def release_age(r, today: date | None = None) -> tuple[str, str, str]:
    """Release label, as-of date and its age in days for a ``sources`` row: the publisher's release after
    ``dyadic update``, else the pinned version with no as-of date (the snapshot states none)."""
    import pandas as pd

    if r is None:
        return "", "", ""
    release = r.get("release")
    if pd.isna(release):  # NULL (or a store from before live updates): the pinned snapshot or DYADIC_DATA
        return str(r["version"]), "", ""
    as_of = r.get("as_of")
    if pd.isna(as_of):
        return str(release), "", ""
    as_of = pd.Timestamp(as_of).date()
    return str(release), as_of.isoformat(), f"{((today or date.today()) - as_of).days} d"


@app.command()
@friendly
def state(query: Annotated[str, typer.Argument(help="A code or name.")], store: StoreOpt = None) -> None:
    """Resolve a country code or name through the registry."""
    from dyadic.store import Store

    with Store.open(Settings.resolve(store=store).store_path, read_only=True) as st:
        reg = st.registry()
        code = reg.resolve(query)
        row = reg.states[reg.states.code == code].drop(columns=["regex", "source"])
        emit(row, "table", title=query)


@app.command()
@friendly
def brief(
    a: Annotated[str, typer.Argument(help="First state.")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    third: Annotated[Optional[str], typer.Option("--third", help="Third party for the triangle.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the brief.")] = Path("out"),
    ingest_missing: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Ingest missing sources first.")] = True,
    paper: Annotated[Optional[Path], typer.Option("--paper", help="A paper (Markdown, text or HTML) whose checkable "
                                                  "statements are checked for this pair.")] = None,
    pdf: Annotated[bool, typer.Option("--pdf", help="Also print the brief to PDF (needs Chromium).")] = False,
    data: DataOpt = None,
    store: StoreOpt = None,
) -> None:
    """Write the HTML brief on a pair (and a third party) answering the five questions, with its manifest."""
    from dyadic.report.brief import NEEDS, chromium_path, pdf_pages, write_brief
    from dyadic.report.cache import memo_store
    from dyadic.report.prepare import prepare as prepare_shared, unprepared
    from dyadic.store import Store, ingest as run

    if paper is not None and not paper.is_file():
        raise DyadicError(f"--paper: no file {paper}")
    if pdf:
        chromium_path()  # before minutes of ingesting

    settings = Settings.resolve(data=data, store=store)
    unavailable: dict[str, str] = {}
    with Store.open(settings.store_path) as st:
        # The states are checked before minutes of ingesting; that needs the registry, which is quick to read.
        if ingest_missing and not st.has_source("country_codes"):
            run(st, settings, ["country_codes"])
        if st.has_source("country_codes"):
            st.registry().request(a, b, third)
        missing = [n for n in NEEDS if not st.has_source(n)]
        if missing and ingest_missing:
            with progress() as bar:
                for name in missing:
                    # A section whose data cannot be had says so in the brief; the rest still gets written.
                    try:
                        run(st, settings, [name], progress=bar)
                    except DyadicError as exc:
                        unavailable[name] = str(exc)
                        console.print(f"[yellow]warning:[/] {exc}", highlight=False)
            with console.status("preparing what every brief shares"):
                prepare_shared(st)  # at ingest, not inside the rendering
        memo = memo_store(st)
        path = write_brief(memo, a, b, third, out_dir, unavailable=unavailable, paper=paper, pdf=pdf)
    left = unprepared(memo)
    if left:
        console.print(f"[yellow]note:[/] this brief computed {len(left)} shared product(s) itself "
                      f"({', '.join(sorted(set(left)))}); 'dyadic prepare' computes them once for every pair",
                      highlight=False)
    out.print(f"brief written to [bold]{path}[/]")
    if pdf:
        out.print(f"PDF written to [bold]{path.with_suffix('.pdf')}[/] ({pdf_pages(path.with_suffix('.pdf'))} pages)")
