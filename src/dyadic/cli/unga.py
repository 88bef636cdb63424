"""``dyadic unga``: UN General Assembly voting similarity of a pair."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from dyadic.cli import FormatOpt, StoreOpt, app, args, emit, friendly
from dyadic.config import Settings


@app.command()
@friendly
def unga(
    a: Annotated[str, typer.Argument(help="First state (code or name).")],
    b: Annotated[str, typer.Argument(help="Second state.")],
    from_: Annotated[Optional[int], typer.Option("--from", help="First year.")] = None,
    to: Annotated[Optional[int], typer.Option("--to", help="Last year.")] = None,
    source: Annotated[str, typer.Option(help="auto, voeten, undl or export (your UN Digital Library export).")] = "auto",
    body: Annotated[str, typer.Option(help="GA or SC.")] = "GA",
    issue: Annotated[Optional[list[str]], typer.Option(help="Voeten issue code (me, nu, di, hr, co, ec); repeatable.")] = None,
    important: Annotated[bool, typer.Option(help="Only important votes (Voeten).")] = False,
    final_only: Annotated[bool, typer.Option(help="Drop amendment and paragraph votes.")] = False,
    absent: Annotated[str, typer.Option(help="exclude or abstain.")] = "exclude",
    fmt: FormatOpt = "table",
    store: StoreOpt = None,
) -> None:
    """UNGA voting similarity of a pair by year: agreement, S-score, Scott's pi, shared votes."""
    from dyadic.api import unga as api_unga

    args.years(from_, to, first=args.UN_FIRST_YEAR)
    df = api_unga(a, b, from_, to, source=source, body=body, issues=tuple(issue or ()), important=important,
                  final_only=final_only, absent=absent, store=Settings.resolve(store=store).store_path)
    emit(df, fmt, title=f"UNGA similarity {a}-{b}")
