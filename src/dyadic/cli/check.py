"""``dyadic check``: find the quantitative statements in a text and test each against the data."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from dyadic.cli import StoreOpt, app, friendly, out
from dyadic.config import Settings
from dyadic.errors import DyadicError

STYLE = {"holds": "green", "off": "yellow", "contradicted": "bold red", "no data": "cyan", "not checkable": "dim"}


@app.command()
@friendly
def check(
    file: Annotated[Path, typer.Argument(help="Markdown, plain-text or HTML file to check.")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, json or html.")] = "table",
    embed: Annotated[bool, typer.Option("--embed", help="Also match statements by sentence embeddings "
                                                        "(needs the claims-embed extra).")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show how each verdict was reached: the parsed claim, "
                                                            "the measure, the rows used and the arithmetic.")] = False,
    store: StoreOpt = None,
) -> None:
    """Check every quantitative statement of a text: holds, off, contradicted, no data or not checkable."""
    from dyadic.framework.claims.document import read_document
    from dyadic.store import Store

    if fmt not in ("table", "json", "html"):
        raise DyadicError(f"--format must be table, json or html, not '{fmt}'")
    doc = read_document(file)  # a clear error before the store is touched
    path = Settings.resolve(store=store).store_path
    st = Store.open(path, read_only=True) if path.exists() else None
    try:
        from dyadic.framework.claims.check import check_document

        report = check_document(doc, st, embeddings=embed)
    finally:
        if st is not None:
            st.close()
    if st is None:
        report.notes.append(f"no store at {path}: run 'dyadic ingest ...' to measure statements against data")
    if fmt == "json":  # the JSON always carries the parsed claim, evidence rows and computations
        sys.stdout.write(json.dumps(report.to_dict(), indent=1, default=str) + "\n")
        return
    if fmt == "html":
        from dyadic.report.claims_section import report_html

        sys.stdout.write(report_html(report, standalone=True))
        if explain:  # the HTML section shows evidence; the explanation goes to stderr so the page stays valid
            from dyadic.framework.claims.check import explain as explain_text

            sys.stderr.write(explain_text(report) + "\n")
        return
    t = Table(title=f"claims in {file} ({len(report.verdicts)} statements)", show_lines=False)
    for col in ("#", "verdict", "kind", "statement", "period", "states", "measure", "reason"):
        t.add_column(col, overflow="fold")
    for v in report.verdicts:
        c = v.claim
        t.add_row(str(c.id), f"[{STYLE.get(v.verdict, '')}]{v.verdict}[/]", c.kind, escape(c.text),
                  str(c.period or ""), "-".join(c.states) + ("*" if c.states_inferred else ""), c.measure or "",
                  escape(v.reason))
    out.print(t)
    counts = ", ".join(f"{k} {n}" for k, n in sorted(report.counts().items()))
    out.print(escape(f"{counts or 'no quantitative statements'}. Matching: {report.matching}."))
    for n in report.notes:
        out.print(escape(f"note: {n}"))
    if explain:
        from dyadic.framework.claims.check import explain as explain_text

        sys.stdout.write("\n" + explain_text(report) + "\n")  # plain text: rows must not be re-wrapped
