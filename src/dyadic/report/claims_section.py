"""Claims in HTML: the report of ``dyadic check --format html``, and the brief's appendix that checks the
brief's own statements against the data.

The appendix renders the findings of every section to plain text and runs the claim checker over it, so
each number the brief states is matched to a measure and re-measured from the store.
"""

from __future__ import annotations

import html
import json
import re

from dyadic.framework.claims.check import Report, check_text
from dyadic.store import Store

CSS = """body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table.claims{border-collapse:collapse;width:100%;font-size:.9rem}table.claims td,table.claims th{border-bottom:1px solid #ddd;
padding:.3rem .4rem;vertical-align:top;text-align:left}.v-holds{color:#1a7f37}.v-off{color:#9a6700}
.v-contradicted{color:#cf222e;font-weight:bold}.v-no-data{color:#0969da}.v-not-checkable{color:#777}
details pre{white-space:pre-wrap;font-size:.8rem;background:#f6f8fa;padding:.4rem}"""


def _esc(x) -> str:
    return html.escape("" if x is None else str(x))


def report_table(report: Report, only_measured: bool = False) -> str:
    """The verdicts as an HTML table, each with its evidence in a collapsible block."""
    rows = []
    for v in report.verdicts:
        if only_measured and v.verdict == "not checkable":
            continue
        c = v.claim
        ev = "".join(
            f"<details><summary>{_esc(e.source)}: {_esc(e.view)}{' (quotes this text: not independent)' if e.circular else ''}"
            f"</summary><p>{_esc(e.computation)}</p><pre>{_esc(json.dumps(e.rows, indent=1, default=str))}</pre></details>"
            for e in v.evidence)
        cls = "v-" + v.verdict.replace(" ", "-")
        rows.append(
            f"<tr><td>{c.id}</td><td class='{cls}'>{_esc(v.verdict)}</td><td>{_esc(c.kind)}</td>"
            f"<td><strong>{_esc(c.text)}</strong><br><small>{_esc(c.sentence[:300])}</small></td>"
            f"<td>{_esc(c.period)}</td><td>{_esc('-'.join(c.states))}{' (inferred)' if c.states_inferred else ''}</td>"
            f"<td>{_esc(c.measure)}</td><td>{_esc(v.reason)}{ev}</td></tr>")
    head = "<tr><th>#</th><th>verdict</th><th>kind</th><th>statement</th><th>period</th><th>states</th>" \
           "<th>measure</th><th>reason and evidence</th></tr>"
    return f"<table class='claims'>{head}{''.join(rows)}</table>"


def report_html(report: Report, standalone: bool = False) -> str:
    counts = ", ".join(f"{k}: {n}" for k, n in sorted(report.counts().items())) or "no quantitative statements"
    body = (f"<h1>Claims in {_esc(report.title or report.document)}</h1><p>{_esc(report.document)} — {counts}.</p>"
            f"<p>Matching: {_esc(report.matching)}.</p><ul>{''.join(f'<li>{_esc(n)}</li>' for n in report.notes)}</ul>"
            + report_table(report))
    if not standalone:
        return body
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Claims: {_esc(report.title or report.document)}"
            f"</title><style>{CSS}</style></head><body>{body}</body></html>\n")


def sections_text(sections) -> str:
    """The brief's findings as plain text, one paragraph per finding (tags dropped)."""
    paras = []
    for sec in sections:
        for f in sec.findings:
            paras.append(html.unescape(re.sub(r"<[^>]+>", "", f)))
    return "\n\n".join(paras)


def brief_claims(store: Store, sections, pair: tuple[str, str] | None = None, year: int | None = None) -> Report:
    """Check the brief's own statements (its sections' findings) against the store.

    Args:
        store: the store the brief was built from.
        sections: the brief's sections.
        pair: the brief's pair (a statement naming no states is about it).
        year: the brief's date (statements saying 'now' refer to the year before); default: this year.
    """
    if year is None and store.has_table("roll_calls"):
        # 'the latest year' in the findings is the last year with votes: date the text the year after
        last = store.con.execute("SELECT max(year) FROM roll_calls WHERE body = 'GA'").fetchone()[0]
        year = None if last is None else int(last) + 1
    text = f"Brief, January {year}\n\n" if year else "Brief\n\n"
    return check_text(text + sections_text(sections), store, fmt="text", self_citations=[], pair=pair)


def claims_appendix(store: Store, sections, a: str | None = None, b: str | None = None):
    """The brief's appendix: each number its findings state, re-measured (a :class:`Section`, numbered 6)."""
    from dyadic.report.brief import Section

    report = brief_claims(store, sections, (a, b) if a and b else None)
    counts = report.counts()
    judged = [v for v in report.verdicts if v.verdict != "not checkable"]
    sec = Section(6, "Appendix: the brief's own numbers, checked",
                  "Does every figure this brief states hold against the data? (dyadic check on the findings above)")
    sec.findings = [
        f"The findings above state {len(report.verdicts)} quantities; {len(judged)} are tied to a measure and "
        f"re-measured: " + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "none") + ". "
        f"Matching: {html.escape(report.matching)}."]
    bad = [v for v in judged if v.verdict in ("off", "contradicted")]
    if bad:
        sec.findings.append("<strong>Not borne out:</strong> " + "; ".join(
            f"“{html.escape(v.claim.text)}” ({html.escape(v.reason)})" for v in bad))
    sec.tables.append(("Evidence: every statement of the findings, its verdict and the rows behind it",
                       report_table(report)))
    return sec
