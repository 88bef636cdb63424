"""The brief: a self-contained HTML page on a pair (and a third party), laid out by the five questions.

It opens with the bottom line (each answer, its confidence and the year its evidence stands on, and the
caveats), then the five sections, then the evidence tables, then one line per source; file lists and checksums
go to a manifest beside it. A paper's statements are graded only for the pair the paper is about
(:mod:`dyadic.report.papers`). Every number comes from a table printed in it or from a rule stated next to it.
"""

from __future__ import annotations

import copy
import html as htmlmod
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import numpy as np
import pandas as pd

from dyadic.errors import DyadicError
from dyadic.indicators.unga import SPLICE_YEAR, UNDL, VOETEN, VoteSelection, pair_series
from dyadic.report import cache, trace
from dyadic.report.bottom_line import Answer, caveats, missing_answer
from dyadic.report.cache import memo_store
from dyadic.report.papers import PaperProfile, check_paper, profile_for
from dyadic.report.trace import FORMATS, num
from dyadic.sources.registry import packaged_csv
from dyadic.store import Store

if TYPE_CHECKING:
    from dyadic.framework.alignment import AlignmentFinding

# The sections (and Altair, scipy through them) are imported where the sections are built: a brief read
# from the cache (:func:`rendered_sections`) renders without them, in a fraction of the time.

#: sources the brief reads, ingested on demand by ``dyadic brief``; the UN votes are required, the rest fill
#: their sections when they can be had (a section whose data are missing says so).
REQUIRED = ("country_codes", VOETEN, UNDL)
NEEDS = REQUIRED + ("cow_trade", "imf_dots_multiatsm", "imf_dots_all_reporters_1960_2020",
                    "imf_dots_russia_world_2011_2023", "cow_nmc", "sipri_milex", "wb_gdp", "alliances_atop_cow",
                    "alliances_atop_levels", "treaties_after_sources", "strategic_rivalries_td", "mids_cow_gml",
                    "cow_contiguity_distance", "mme_military_exercises", "curated_facts", "gdelt_daily_country_graph",
                    "unga_ideal_points_voeten")


@dataclass
class Section:
    number: int
    title: str
    question: str
    findings: list[str] = field(default_factory=list)
    charts: list = field(default_factory=list)  # Altair charts: SVG in the brief, Vega-Lite on the web
    tables: list[tuple[str, str]] = field(default_factory=list)  # (caption, html)
    paper: list[dict] = field(default_factory=list)  # claim, section, verdict, reason
    not_measured: list[str] = field(default_factory=list)
    disagreements: int | None = None  # the appendix only: what its self-check found

    def extend(self, findings=(), charts=(), tables=(), paper=(), not_measured=()) -> None:
        """Append one topic's contribution to this section."""
        self.findings += findings
        self.charts += charts
        self.tables += tables
        self.paper += paper
        self.not_measured += not_measured


def rank_text(p: float, traced: tuple[str, int, str] | None = None) -> str:
    """A percentile in words: 'the 56th percentile', 'the bottom 1%'; recorded as a figure when ``traced``
    gives (source, year, rows)."""
    if p is None or np.isnan(p):
        return "an unknown rank"
    if p < 1:
        return "the bottom 1%"
    if p > 99:
        return "the top 1%"
    if traced is None:
        return f"the {FORMATS['ord'](p)} percentile"
    return f"the {num(p, 'ord', 'unga_agreement_percentile', *traced)} percentile"


def partial_note(store: Store, year: int) -> str:
    """' (data to 29 October, a partial year)' when ``year``'s votes stop before December."""
    from dyadic.indicators.unga import partial_until

    last = partial_until(store, year)
    return "" if last is None else f" (data to {last.day} {last.strftime('%B')}, a partial year)"


def evidence_table(df: pd.DataFrame) -> str:
    cols = ["year", "dyad", "n", "agree_n", "agree", "s", "pi", "agree_pct", "source"]
    show = df[cols].copy()
    for c in ("agree", "s", "pi"):
        show[c] = show[c].map(lambda v: "" if pd.isna(v) else f"{v:.4f}")
    show["agree_pct"] = show["agree_pct"].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    return show.to_html(index=False, classes="evidence", border=0)


def vote_source(first: int, last: int) -> str:
    """The UN vote source(s) of a span of years (Voeten before the splice, the UN Digital Library after)."""
    return ", ".join(([VOETEN] if first < SPLICE_YEAR else []) + ([UNDL] if last >= SPLICE_YEAR else []))


def alignment_text(f: AlignmentFinding, names: dict[str, str], a: str, b: str, c: str | None,
                   partial: str = "") -> list[str]:
    """The UN-voting findings of question 2, each number traced to its roll calls (:mod:`dyadic.report.trace`).

    Differences of two shares are percentage points, not per cent."""
    dy = f"roll_calls GA, {a}–{b}"
    yr = f"{f.years_recent[0]}–{f.years_recent[1]}"
    source = vote_source(f.years_recent[0], f.latest_year)
    out = [
        f"In {f.latest_year}{partial}, {names[a]} and {names[b]} voted alike on "
        f"{num(f.pair_latest, 'pct1', 'unga_agreement', source, f.latest_year, dy)} of the "
        f"{num(f.pair_n_latest, 'int', 'unga_shared_roll_calls', source, f.latest_year, dy)} General Assembly roll "
        f"calls both voted on: {rank_text(f.pair_pct_latest, (source, f.latest_year, dy))} of all dyads that year "
        "(most states vote yes on most resolutions, so the rank matters more than the level).",
    ]
    if f.pair_before is not None:
        yb = f"{f.years_before[0]}–{f.years_before[1]}"
        out.append(
            f"Mean agreement {yr}: {num(f.pair_recent, 'pct1', 'unga_agreement_mean', source, yr, dy)}, against "
            f"{num(f.pair_before, 'pct1', 'unga_agreement_mean', vote_source(*f.years_before), yb, dy)} in {yb}: by the rule below the "
            f"pair is <strong>{f.direction}</strong> in the Assembly."
        )
    if c and f.third_recent:
        parts = ", ".join(f"{names[k]}–{names[c]} "
                          f"{num(v, 'pct1', 'unga_agreement_mean', source, yr, f'roll_calls GA, {k}–{c}')}"
                          for k, v in f.third_recent.items())
        verdict = "aligned against" if f.against_third else "not clearly aligned against"
        out.append(
            f"Over the same years each partner's agreement with {names[c]} was {parts}; the pair's own agreement "
            f"exceeds the higher of these by "
            f"{num(f.gap, 'pp1', 'unga_agreement_gap', source, yr, f'roll_calls GA, {a}–{b} minus {a}/{b}–{c}')}, so "
            f"by the rule the pair is <strong>{verdict}</strong> {names[c]} in UN voting."
        )
    return out


def paper_verdicts(f: AlignmentFinding | None) -> list[dict]:
    claims = packaged_csv("paper_claims.csv")
    out = []
    for row in claims.itertuples():
        if row.measure != "unga_alignment":
            continue
        if f is None or f.against_third is None:
            verdict, reason = "cannot tell", "no UN voting data for the three states"
        elif f.against_third and f.direction == "diverging":
            verdict, reason = "agrees", ("the pair votes together far more than either votes with the third party "
                                         "(shared opposition), and its agreement has fallen (divergence)")
        elif f.against_third:
            verdict, reason = "partly agrees", ("shared opposition to the third party holds in UN voting, but the "
                                                f"pair's agreement is {f.direction}, not diverging")
        else:
            verdict, reason = "disagrees", "the pair does not vote together more than with the third party"
        out.append({"quote": row.quote, "section": row.section, "verdict": verdict, "reason": reason})
    return out


def _checksum(entry: dict) -> dict:
    """A file's recorded checksum and its algorithm (event files carry BLAKE3, others SHA-256; size if none)."""
    for algorithm in ("sha256", "blake3"):
        if entry.get(algorithm):
            return {"algorithm": algorithm, "checksum": entry[algorithm]}
    return {"algorithm": "bytes", "checksum": str(entry.get("bytes", ""))}


def source_years(store: Store, name: str, tables: str) -> tuple[int | None, int | None]:
    """First and last year a source's rows cover in the store (None for tables without a year or date)."""
    lo = hi = None
    for t in [x for x in (tables or "").split(",") if x]:
        if not store.has_table(t):
            continue
        cols = {r[0] for r in store.con.execute(f'DESCRIBE "{t}"').fetchall()}
        expr = "year" if "year" in cols else "year(date)" if "date" in cols else None
        if expr is None or "source" not in cols:
            continue
        a, b = store.con.execute(f'SELECT min({expr}), max({expr}) FROM "{t}" WHERE source = ?', [name]).fetchone()
        if a is not None:
            lo, hi = min(lo or int(a), int(a)), max(hi or int(b), int(b))
    return lo, hi


def provenance(store: Store, used: list[str]) -> list[dict]:
    """One entry per source the store holds among ``used``: title, version, years, rows, citation, licence,
    and its files with checksums (for the manifest, not the printed table)."""
    src = store.sources()
    rows = []
    for name in used:
        hit = src[src.name == name]
        if hit.empty:
            continue
        r = hit.iloc[0]
        files = json.loads(r["files"])
        years = source_years(store, name, r.get("tables", ""))
        rows.append({"years": years,
            "name": name, "title": r["title"], "version": r["version"], "rows": int(r["rows"]),
            "citation": r["citation"], "licence": r["licence"], "homepage": r["homepage"],
            "files": [{"file": k, **_checksum(v)} for k, v in files.items()], "ingested_at": str(r["ingested_at"])[:19],
            "unmapped": json.loads(r["unmapped"] or "{}"),
        })
    return rows


def build_sections(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                   profile: PaperProfile | None | str = "auto") -> tuple[list[Section], dict]:
    """The five sections and the coverage dict (which holds the bottom line under ``"bottom_line"`` and every
    number the sections state, with what produced it, under ``"figures"``: :mod:`dyadic.report.trace`).

    Args:
        profile: the paper whose statements are graded; ``"auto"`` picks the built-in profile of the pair
            (Lo 2025 for China–Russia, with or without the USA as third), None grades no paper.
    """
    if profile == "auto":
        profile = profile_for(a, b, c)
    store = memo_store(store)  # all-dyad computations shared by every pair are kept on disk between runs
    with trace.recording() as ledger:
        sections, coverage = _build(store, a, b, c, names, profile)
    coverage["figures"] = ledger.as_records()
    return sections, coverage


def _build(store, a: str, b: str, c: str | None, names: dict[str, str], profile: PaperProfile | None
           ) -> tuple[list[Section], dict]:
    from dyadic.framework.alignment import global_order_alignment
    from dyadic.report.charts import yearly_lines
    from dyadic.report.events_section import events_section
    from dyadic.report.framework_section import framework_sections
    from dyadic.report.futures_section import futures_section
    from dyadic.report.nature_section import nature_section
    from dyadic.report.shocks_section import shocks_section

    summary: dict[int, Answer] = {}
    sel = VoteSelection()
    pair = pair_series(store, a, b, sel)
    pair["dyad"] = f"{a}–{b}"
    third = {}
    if c:
        for x in (a, b):
            s = pair_series(store, x, c, sel)
            s["dyad"] = f"{x}–{c}"
            third[x] = s
    finding = global_order_alignment(pair, third)
    coverage = {
        "unga_years": (int(pair.year.min()), int(pair.year.max())) if len(pair) else None,
    }

    s1 = Section(1, "Drivers of cooperation",
                 "What drives cooperation (security reassurance, power projection, geopolitical balancing, political "
                 "convergence, economic self-interest, defence cooperation), and how strongly?")
    fw = framework_sections(store, a, b, c, names, summary) if store.has_source("country_codes") else {}
    if 1 in fw:
        s1.findings, s1.charts, s1.tables, s1.paper, s1.not_measured = fw[1]
    s2 = Section(2, "The nature of the relationship",
                 "Alliance, flexible strategic partnership, client or vassal, rivalry? How unequal? How aligned on "
                 "global order?")
    long = pd.concat([pair, *third.values()], ignore_index=True)
    with trace.question(2):
        if finding:
            s2.findings = alignment_text(finding, names, a, b, c, partial_note(store, finding.latest_year))
            s2.paper = paper_verdicts(finding)
        if len(long):
            s2.charts.append(yearly_lines(
                long, "agree", "dyad", "UN General Assembly: share of identical votes", "agreement",
                marks=[(SPLICE_YEAR, "source: Voeten → UN Digital Library")], domain=(0, 1)))
            s2.tables.append(("Evidence: UNGA similarity by year (n = roll calls where both voted; agree_pct = "
                              "percentile among all dyads that year)", evidence_table(long)))
        from dyadic.report.structure_section import structure_section

        s2.extend(*nature_section(store, a, b, c, names))
        st_findings, st_charts, st_tables, st_missing = structure_section(store, a, b, names)
        s2.extend(st_findings, st_charts, st_tables, not_measured=st_missing)
        from dyadic.report.ideal_section import ideal_section

        s2.extend(*ideal_section(store, a, b, c, names))  # empty without estimates or the published release
    if 2 in fw:
        s2.extend(*fw[2][:4])

    s3 = Section(3, "Shocks", "Did a dated event (the pair's own key dates, or its detected change points) bring "
                 "the pair closer or push it apart?")
    with trace.question(3):
        if store.has_source(UNDL) or store.has_source("gdelt_daily_country_graph"):
            s3.findings, s3.tables, s3.paper, s3.not_measured = shocks_section(store, a, b, c, names, profile,
                                                                               summary)
        s3.extend(*events_section(store, a, b, c, names))  # empty without the daily graph
    s4 = Section(4, "Futures", "Continuity, alliance or degradation, with what probabilities, and what to watch?")
    with trace.question(4):
        if store.has_source("alliances_atop_cow"):
            s4.findings, s4.tables, s4.paper, s4.not_measured = futures_section(store, a, b, c, names, profile,
                                                                                summary)
        else:
            s4.not_measured = ["Base rates and projections need ATOP alliances: run "
                               "'dyadic ingest alliances_atop_cow'."]
    s5 = Section(5, "Third parties", "The strategic triangle, and what-ifs such as the third party's attempt to pull "
                 "one partner away from the other.")
    if c and finding and finding.third_recent:
        year = int(long.year.max())
        latest = long[long.year == year][["dyad", "agree", "n", "agree_pct"]]
        with trace.question(5):
            src = vote_source(year, year)
            s5.findings = [
                f"UN voting agreement within the triangle in {year} (not the triangle's ties): " + "; ".join(
                    f"{r.dyad} {num(r.agree, 'pct1', 'unga_agreement', src, year, f'roll_calls GA, {r.dyad}')} of "
                    f"{num(r.n, 'int', 'unga_shared_roll_calls', src, year, f'roll_calls GA, {r.dyad}')} votes "
                    f"({rank_text(r.agree_pct, (src, year, f'roll_calls GA, {r.dyad}'))} of dyads)"
                    for r in latest.itertuples()) + "."
            ]
    if 5 in fw:
        s5.extend(*fw[5][:4])
        s5.not_measured = fw[5][4]
    sections = [s1, s2, s3, s4, s5]
    if profile is None:  # a paper's statements are about its own pair: none is graded for another
        for sec in sections:
            sec.paper = []
    if finding and 2 in summary and finding.pair_before is not None:
        summary[2].text += htmlmod.escape(
            f" In UN voting the pair is {finding.direction} (mean {finding.years_recent[0]}–{finding.years_recent[1]} "
            f"against the five years before).")
    coverage["paper"] = profile.citation if profile else None
    coverage["bottom_line"] = [_answer_dict(summary.get(n) or missing_answer(n, t, why)) for n, t, why in (
        (1, "Drivers", "No year has enough drivers measured."),
        (2, "Nature", "The classifier has no firm label for the pair."),
        (3, "Shocks", "No date could be tested (no UN votes after the pair's dates)."),
        (4, "Futures", "No projection: it needs ATOP alliances and the pair's UN voting history."),
        (5, "Third parties", "No third party given, or the triangle has no measured year."))]
    for sec in sections:  # one short list per question: the same gap named twice is one item
        sec.not_measured = list(dict.fromkeys(m for m in sec.not_measured if m))
    return sections, coverage


def _answer_dict(x: Answer) -> dict:
    """An answer as plain data (the web server serialises the coverage dict)."""
    return {"number": x.number, "title": x.title, "text": x.text, "confidence": x.confidence, "year": x.year,
            "html": x.html()}


def write_brief(store: Store, a: str, b: str, c: str | None, out_dir: Path,
                unavailable: dict[str, str] | None = None,
                built: tuple[list[Section], dict] | None = None,
                paper: Path | None = None, pdf: bool = False) -> Path:
    """Write ``brief-<A>-<B>[-<C>].html`` and its ``.manifest.json`` into ``out_dir`` and return the HTML path.

    Args:
        store: the store (the UN vote sources are required; others fill their sections when present).
        a, b, c: the pair and the optional third party (codes or names).
        out_dir: destination folder.
        unavailable: source name -> why it could not be ingested, listed in the brief.
        built: what :func:`build_sections` returned for this pair, when the caller has it already (the web
            server's pair page): the sections are not computed twice. The list is not modified.
        paper: a text whose checkable statements are extracted and checked for this pair (``--paper``).
        pdf: also print the brief to ``.pdf`` with headless Chromium (raises when it is missing).
    """
    reg = store.registry()
    a, b, c = reg.request(a, b, c)
    names = {x: reg.name(x) for x in (a, b, c) if x}
    if pdf:
        chromium_path()  # fail before minutes of computing
    sections, coverage, appendix = rendered_sections(store, a, b, c, names, built)
    user_paper = check_paper(store, Path(paper), a, b) if paper else None
    sources = provenance(store, list(NEEDS))
    titles = {x["name"]: x["title"] for x in sources}
    cav = caveats({x["name"]: x["years"] for x in sources}, titles, list(NEEDS), date.today().year)
    if coverage.get("unga_years"):
        cav.append(htmlmod.escape(f"UN voting for the pair runs {coverage['unga_years'][0]}–"
                                  f"{coverage['unga_years'][1]}; the latest year may be partial."))
    cav = cav[:3]
    stem = f"brief-{a}-{b}{'-' + c if c else ''}"
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(resources.files("dyadic.report") / "templates")),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    html = env.get_template("brief.html.j2").render(
        a=a, b=b, c=c, names=names, sections=sections, appendix=appendix, coverage=coverage,
        today=date.today().isoformat(), sources=sources, splice_year=SPLICE_YEAR, caveats=cav,
        bottom=coverage.get("bottom_line", []), paper=coverage.get("paper"), user_paper=user_paper,
        known_sources=known_sources(), unavailable=unavailable or {},
        manifest=f"{stem}.manifest.json", n_tables=sum(len(s.tables) for s in sections),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{stem}.html"
    _atomic(path, html)
    _atomic(out_dir / f"{stem}.manifest.json", json.dumps(manifest(sources, path, coverage, appendix), indent=1, default=str))
    if pdf:
        print_pdf(path, path.with_suffix(".pdf"))
    return path


def rendered_sections(store: Store, a: str, b: str, c: str | None, names: dict[str, str],
                      built: tuple[list[Section], dict] | None = None) -> tuple[list[Section], dict, Section]:
    """The sections with their charts as SVG, the coverage dict and the self-check appendix.

    Without ``built``, the result is kept in the brief cache (:mod:`dyadic.report.cache`) under the store's
    fingerprint, the pair and today's date (the caveats depend on the year): the same brief again only
    renders the template.
    """
    from dyadic.report.claims_section import claims_appendix  # imports Section from here

    key = ("brief", a, b, c, date.today().isoformat(), cache.code_digest(renderers=True))
    base = cache.folder(store) if built is None else None
    hit = cache.load(base, key) if base else None
    if hit is not None:
        return hit
    from dyadic.report.charts import to_svg

    if built is None:
        sections, coverage = build_sections(store, a, b, c, names)
    else:  # copies: the rendering below replaces each section's charts with their SVG
        sections, coverage = [copy.copy(s) for s in built[0]], built[1]
    appendix = claims_appendix(store, sections, a, b, coverage)
    for sec in [*sections, appendix]:
        sec.charts = [to_svg(ch) for ch in sec.charts]
    if base:
        cache.save(base, key, (sections, coverage, appendix))
    return sections, coverage, appendix


def known_sources() -> dict[str, str]:
    """Source name -> title of every connector (for the 'not available' list)."""
    from dyadic.sources import SOURCES

    return {k: v.title for k, v in SOURCES.items()}


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def manifest(sources: list[dict], brief: Path, coverage: dict, appendix: Section | None = None) -> dict:
    """What the brief stands on: each source's files with their checksums, and every figure the brief states
    with its measure, source, year and rows (the trace the appendix checks)."""
    return {"brief": brief.name, "generated": date.today().isoformat(), "paper": coverage.get("paper"),
            "bottom_line": [{k: v for k, v in x.items() if k != "html"} for x in coverage.get("bottom_line", [])],
            "self_check": {"figures": len(coverage.get("figures", [])),
                           "disagreements": appendix.disagreements if appendix else None},
            "figures": coverage.get("figures", []),
            "sources": [{k: v for k, v in x.items()} for x in sources]}


def chromium_path() -> str:
    """The headless browser that prints the PDF (Debian's ``chromium``), or a clear error."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise DyadicError("--pdf needs Chromium to print the brief: install it (Debian: apt-get install chromium) "
                      "or open the HTML brief and print it from a browser.")


def print_pdf(html_path: Path, pdf_path: Path, timeout: int = 180) -> int:
    """Print the HTML brief to A4 PDF with headless Chromium; returns the page count.

    The same HTML prints the same PDF: a print of identical bytes is kept in the brief cache
    (:func:`dyadic.report.cache.cache_root`) and copied instead of starting Chromium again."""
    import hashlib

    kept = cache.cache_root() / "pdf" / (hashlib.sha256(html_path.read_bytes()).hexdigest()[:32] + ".pdf")
    if kept.exists():
        shutil.copyfile(kept, pdf_path)
        return pdf_pages(pdf_path)
    cmd = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
           f"--print-to-pdf={pdf_path}", html_path.resolve().as_uri()]
    try:
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DyadicError(f"Chromium did not print the brief within {timeout} s") from exc
    if run.returncode != 0 or not pdf_path.exists():
        raise DyadicError(f"Chromium could not print the brief: {run.stderr.strip()[-400:]}")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        for old in sorted(kept.parent.glob("*.pdf"), key=lambda f: f.stat().st_mtime)[:-20]:
            old.unlink(missing_ok=True)  # the last twenty prints are enough
        tmp = kept.with_name(kept.name + ".part")
        shutil.copyfile(pdf_path, tmp)
        tmp.replace(kept)
    except OSError:
        pass  # an unwritable cache only costs the next print's time
    return pdf_pages(pdf_path)


def pdf_pages(path: Path) -> int:
    """Page count of a PDF: pdfinfo when installed, else the number of ``/Type /Page`` objects."""
    tool = shutil.which("pdfinfo")
    if tool:
        out = subprocess.run([tool, str(path)], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Pages:"):
                return int(line.split()[1])
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", path.read_bytes()))
