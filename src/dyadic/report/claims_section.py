"""Claims in HTML: the report of ``dyadic check --format html``, and the brief's appendix.

The appendix is a trace table: each number the brief states comes with the measure, source, year and rows
that produced it (recorded while the sections were built, :mod:`dyadic.report.trace`), and the self-check
compares the brief with itself rather than re-parsing its prose. Sections built without a ledger fall back to
the claim checker, which re-parses the findings and re-measures each number from the store.
"""

from __future__ import annotations

import html
import json

from dyadic.framework.claims.check import Report, check_text
from dyadic.report.trace import Disagreement, Figure, plain, self_check, untraced
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
    return "\n\n".join(plain(f) for sec in sections for f in sec.findings)


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


def question_prose(sections, coverage: dict) -> dict[int, str]:
    """Question number -> the plain text the brief prints for it: its bottom-line answer and its findings."""
    out = {sec.number: " ".join(plain(f) for f in sec.findings) for sec in sections}
    for ans in coverage.get("bottom_line", []):
        out[ans["number"]] = out.get(ans["number"], "") + " " + plain(ans["text"])
    return out


def trace_table(figures: list[Figure], bad: list[Disagreement]) -> str:
    """The figures as an HTML table: value, measure, source, year, rows, question and the self-check."""
    wrong = {id(d.figure): d.why for d in bad}
    rows = "".join(
        f"<tr><td>{i}</td><td>{_esc(f.text)}</td><td>{_esc(f.measure)}</td><td>{_esc(f.source)}</td>"
        f"<td>{_esc(f.year)}</td><td>{_esc(f.rows)}</td><td>{_esc(f.question)}</td>"
        f"<td>{'holds' if id(f) not in wrong else 'disagrees: ' + _esc(wrong[id(f)])}</td></tr>"
        for i, f in enumerate(figures, 1))
    cols = "".join(f"<col style='width:{w}%'>" for w in (3, 8, 18, 25, 8, 27, 3, 8))
    return (f"<table class='evidence trace'><colgroup>{cols}</colgroup><thead><tr><th>#</th><th>value</th><th>measure</th><th>source</th>"
            "<th>year</th><th>rows</th><th>q</th><th>check</th></tr></thead><tbody>" + rows + "</tbody></table>")


def claims_appendix(store: Store, sections, a: str | None = None, b: str | None = None,
                    coverage: dict | None = None):
    """The brief's appendix (a :class:`Section` numbered 6): every number the findings state, with the measure
    and rows that produced it, checked against the brief itself.

    With ``coverage`` holding the sections' figures (:func:`dyadic.report.brief.build_sections` records them),
    the check is by construction: each figure must print as its value formats, appear in its question's text,
    and read the same wherever the same measure of the same rows is stated. Without it (sections built by
    hand), the findings' prose is re-parsed and re-measured by the claim checker instead.
    """
    from dyadic.report.brief import Section

    sec = Section(6, "Appendix: the brief's numbers, traced",
                  "Which measure, source, year and rows produced each number above, and does the brief agree "
                  "with itself?")
    if coverage is None or "figures" not in coverage:
        return _reparsed(store, sections, a, b, sec)
    figures = [Figure(**f) for f in coverage["figures"]]
    prose = question_prose(sections, coverage)
    bad = self_check(figures, prose)
    loose = untraced(" ".join(prose.values()), figures)
    sec.findings = [
        f"The brief states {len(figures)} traced figures; the self-check finds "
        f"<strong>{len(bad)} disagreement{'s' if len(bad) != 1 else ''}</strong> "
        "(each figure printed as its value formats, in its own question, and the same wherever the same rows "
        f"are stated). Other numbers in the text ({len(loose)}) are counts of items, thresholds of the rules or "
        "the framework's own wording; the full table with rows is in the HTML and the manifest."]
    if bad:
        sec.findings.append("<strong>Disagreements:</strong> " + "; ".join(
            f"“{html.escape(d.figure.text)}” ({html.escape(d.figure.measure)}: {html.escape(d.why)})" for d in bad))
    sec.tables.append(("Trace: every stated figure, the measure, source, year and rows behind it, and the check",
                       trace_table(figures, bad)))
    sec.disagreements = len(bad)
    return sec


def _reparsed(store: Store, sections, a: str | None, b: str | None, sec):
    """The appendix by the claim checker: the findings' prose re-parsed and each number re-measured."""
    report = brief_claims(store, sections, (a, b) if a and b else None)
    counts = report.counts()
    judged = [v for v in report.verdicts if v.verdict != "not checkable"]
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
    sec.disagreements = len(bad)
    return sec
