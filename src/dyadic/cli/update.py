"""``dyadic update``: replace sources with their publishers' current releases (see docs/update.md)."""

from __future__ import annotations

import inspect
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from dyadic.cli import StoreOpt, app, args, console, friendly, out, progress
from dyadic.config import Settings
from dyadic.errors import DyadicError


@app.command()
@friendly
def update(
    sources: Annotated[Optional[list[str]], typer.Argument(help="Sources to update (default: every source "
                                                                  "with a live updater).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report whether a newer release exists.")] = False,
    force: Annotated[bool, typer.Option(help="Fetch and re-ingest even if the store holds this release.")] = False,
    since: Annotated[Optional[str], typer.Option("--since", help="YYYY-MM-DD: skip releases dated before it; "
                                                 "for gdelt_events, the first day to fetch when the store has "
                                                 "none.")] = None,
    file: Annotated[Optional[Path], typer.Option("--file", help="For undl_export: the voting records you "
                                                 "exported from the UN Digital Library (MARCXML or its "
                                                 "voting-data CSV).")] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for a server.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Retries on a timeout, 429 or 5xx answer.")] = 4,
    store: StoreOpt = None,
) -> None:
    """Fetch each source's newest release from its publisher and replace it in the store when it changed.

    Needs the internet. Each source is replaced in one transaction or not at all; a failure is named and the
    other sources go on. Exit status 2 when any source failed."""
    from dyadic.sources.live import LiveClient
    from dyadic.update import update_source
    from dyadic.sources.updaters import UPDATERS
    from dyadic.store import Store

    args.choices(sources or [], UPDATERS, "sources with a live updater")  # before the store is opened
    # --file goes to the one updater that reads a user's file; naming it is what asks for that file.
    takes_file = [n for n in sources or [] if "file" in inspect.signature(UPDATERS[n]).parameters]
    if file is not None and not takes_file:
        raise DyadicError("--file is for a source read from your own export: dyadic update undl_export --file PATH")
    try:
        start = date.fromisoformat(since) if since else None
    except ValueError:
        raise DyadicError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    settings = Settings.resolve(store=store)
    t = Table(title=f"update {settings.store_path}" + (" (check only)" if check else ""))
    for col in ("source", "status", "release", "as of", "store had", "rows", "notes"):
        t.add_column(col)
    failed = []
    read_only = check and settings.store_path.exists()  # a check writes nothing
    with Store.open(settings.store_path, read_only=read_only) as st, LiveClient(timeout=timeout, retries=retries) as client, \
            progress() as bar:
        # Without names: every updater, but GDELT only for a store that already holds it (a first GDELT
        # update is a choice of start date: 'dyadic update gdelt_events --since DATE').
        # Sources that need the user's file or key (undl_export, un_comtrade_export) only when named.
        names = sources or [n for n in UPDATERS if not getattr(UPDATERS[n], "on_request", False)
                            and (not getattr(UPDATERS[n], "incremental", False) or st.has_source(n))]
        task = bar.add_task("update", total=len(names))

        def on_bytes(url: str, got: int, total: int | None) -> None:
            size = f"{got / 1e6:.1f}" + (f"/{total / 1e6:.1f}" if total else "") + " MB"
            bar.update(task, description=f"update {name}: {size}")

        client.on_bytes = on_bytes
        for name in names:
            bar.update(task, description=f"update {name}: asking the publisher")
            updater = UPDATERS[name](file=file) if name in takes_file else None
            try:
                s = update_source(st, name, client, settings.cache_dir, force=force, check=check, since=start,
                                  updater=updater)
            except DyadicError as exc:  # name it, leave that source as it was, go on with the rest
                failed.append(name)
                t.add_row(name, "[red]failed[/]", "", "", "", "", str(exc))
            else:
                t.add_row(s.source, s.status, s.release, str(s.as_of or ""), s.recorded or "-",
                          f"{s.rows:,}" if s.status == "replaced" else "", "; ".join(s.notes))
            bar.advance(task)
        bar.update(task, description="update: done")
    out.print(t)
    if failed:
        console.print(f"[bold red]error:[/] {', '.join(failed)} failed; the store keeps what it held for "
                      f"{'them' if len(failed) > 1 else 'it'}.", highlight=False)
        raise typer.Exit(2)
