"""``dyadic validate``: the framework's answers scored against cases of known truth (issue 16)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from dyadic.cli import StoreOpt, app, friendly, out
from dyadic.config import Settings
from dyadic.errors import RequestError


@app.command()
@friendly
def validate(
    question: Annotated[str | None, typer.Option("--question", help="nature, triangle, shocks, drivers or futures (default: all).")] = None,
    cases: Annotated[Path | None, typer.Option("--cases", help="A case table (CSV laid out like data/known_cases.csv).")] = None,
    split: Annotated[str, typer.Option("--split", help="tune, test or all.")] = "all",
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or csv (one row per case).")] = "text",
    store: StoreOpt = None,
) -> None:
    """Accuracy per question on cases of known truth, a confusion table, and each miss with its evidence."""
    from dyadic.framework.validate import QUESTIONS, SPLITS, load_cases
    from dyadic.framework.validate import validate as run
    from dyadic.store import Store

    # Every argument is checked before the (long) run starts.
    if question is not None and question not in QUESTIONS:
        raise RequestError(f"--question must be one of {', '.join(QUESTIONS)}, not '{question}'")
    if split not in (*SPLITS, "all"):
        raise RequestError(f"--split must be tune, test or all, not '{split}'")
    if fmt not in ("text", "csv"):
        raise RequestError(f"--format must be text or csv, not '{fmt}'")
    table = load_cases(cases)
    with Store.open(Settings.resolve(store=store).store_path, read_only=True) as st:
        res = run(st, question=question, cases=table, split=split)
    if fmt == "csv":
        sys.stdout.write(res.cases.to_csv(index=False))
    else:
        out.print(res.summary(), highlight=False, soft_wrap=True, markup=False)
