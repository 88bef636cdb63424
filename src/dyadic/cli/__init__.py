"""The ``dyadic`` command line.

``app`` and the helpers shared by every command live here; each topic registers its commands in its own
module (``dyadic.cli.<topic>``), imported at the bottom of this file."""

from __future__ import annotations

import sys
from functools import wraps
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from dyadic.errors import DyadicError

app = typer.Typer(help="Measure, explain and project the relationship between two states.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
console = Console(stderr=True)
out = Console()

DataOpt = Annotated[Optional[Path], typer.Option("--data", help="Folder of source files (else $DYADIC_DATA, else download).")]
StoreOpt = Annotated[Optional[Path], typer.Option("--store", help="DuckDB store file (else $DYADIC_STORE).")]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")]
FORMATS = ("table", "csv", "json")


def friendly(fn):
    """Show a user's error as one clear line (exit 2) instead of a traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except DyadicError as exc:
            console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(2)

    return wrapper


def check_format(fmt: str) -> str:
    """The --format value, checked (a command with a long job checks it before starting)."""
    if fmt not in FORMATS:
        raise DyadicError(f"--format must be {', '.join(FORMATS[:-1])} or {FORMATS[-1]}, not '{fmt}'")
    return fmt


def emit(df, fmt: str, title: str = "") -> None:
    check_format(fmt)
    if fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif fmt == "json":
        sys.stdout.write(df.to_json(orient="records", date_format="iso", indent=1) + "\n")
    elif fmt == "table":
        t = Table(title=title or None)
        for c in df.columns:
            t.add_column(str(c), justify="right" if df[c].dtype.kind in "fiu" else "left")
        for row in df.itertuples(index=False):
            t.add_row(*[f"{v:.4f}" if isinstance(v, float) else str(v) for v in row])
        out.print(t)


def progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console, transient=False)




def main() -> None:  # pragma: no cover
    app()


# Command modules register themselves on ``app`` when imported.
from dyadic.cli import (  # noqa: E402,F401
    check, core, events, framework, ideal, panel, power, serve, shocks, trade, unga, update, validate, watch)
