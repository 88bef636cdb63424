"""``dyadic watch``: what changed for the pairs a user follows since the last run (see docs/watch.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dyadic.cli import (
    FormatOpt,
    StoreOpt,
    app,
    check_format,
    console,
    emit,
    friendly,
    out,
)
from dyadic.config import Settings
from dyadic.errors import DyadicError

#: exit status: nothing changed, something changed (errors exit 2 through ``friendly``).
UNCHANGED, CHANGED = 0, 1


@app.command()
@friendly
def watch(
    watchlist: Annotated[Path, typer.Argument(help="Watch file (TOML: pairs, third parties, thresholds; see docs/watch.md).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Compare, but do not keep this run in the store.")] = False,
    all_findings: Annotated[bool, typer.Option("--all", help="Show every finding, not only the changes.")] = False,
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """Re-run the nature label, futures signposts and change points for the pairs in WATCHLIST and report
    what changed since the last run (a label that changed, a signpost crossed, a shock detected).

    Exit status: 0 nothing changed (or the first run), 1 something changed, 2 an error. Run it after
    'dyadic update' from cron or a systemd timer."""
    from dyadic.report.watch import load_watchlist
    from dyadic.report.watch import watch as run
    from dyadic.store import Store

    check_format(fmt)
    wl = load_watchlist(watchlist)
    settings = Settings.resolve(store=store)
    try:
        with Store.open(settings.store_path, read_only=dry_run) as st:
            res = run(st, wl, record=not dry_run)
    except DyadicError:
        raise  # shown by `friendly`, exit 2
    except Exception as exc:  # noqa: BLE001 -- exit 1 means "changed": no other failure may end with it
        console.print(f"[bold red]error:[/] watch {wl.name} failed ({type(exc).__name__}: {exc}); nothing was "
                      "kept.", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc
    if fmt == "json":
        sys.stdout.write(res.to_json() + "\n")
    else:
        title = (f"watch {wl.name}: run {res.run}" + (f", changes since run {res.previous}" if res.previous
                 else " (first run: the findings are the baseline)"))
        emit(res.changes, fmt, title=title)
        if all_findings or (res.previous is None and fmt == "table"):
            emit(res.findings, fmt, title=f"findings of run {res.run}")
        if fmt == "table":
            out.print(f"{len(res.changes)} change(s)" if res.changed else "nothing changed")
    if dry_run and fmt == "table":
        console.print("dry run: this run was not kept in the store", highlight=False)
    raise typer.Exit(CHANGED if res.changed else UNCHANGED)
