"""Checking a text end to end: extract the statements, match each to a measure, measure it, judge it."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dyadic.errors import DyadicError
from dyadic.framework.claims.document import Document, from_string, read_document
from dyadic.framework.claims.extract import Claim, extract
from dyadic.framework.claims.match import (CHECKS, Evidence, Measured, load_facts, load_reported, match_facts,
                                           match_reported, years_of)
from dyadic.framework.claims.verdict import Verdict, compare, judge_level, tolerance_text
from dyadic.framework.claims.vocabulary import Vocabulary
from dyadic.store import Store

CURRENCY_UNITS = {"USD", "EUR", "GBP", "CNY", "RUB"}


@dataclass
class Report:
    """The verdicts on one text.

    Attributes:
        document: path or label of the text.
        title: its title, if found.
        verdicts: one per statement, in text order.
        matching: how statements were tied to measures (vocabulary only, or with embeddings).
        notes: anything the reader should know (facts source, store, inferred states).
    """

    document: str
    title: str | None
    verdicts: list[Verdict]
    matching: str
    notes: list[str] = field(default_factory=list)
    pages: float = 0.0

    def counts(self) -> dict[str, int]:
        return dict(Counter(v.verdict for v in self.verdicts))

    def frame(self) -> pd.DataFrame:
        """One row per statement (evidence summarised as its sources)."""
        cols = ["id", "verdict", "kind", "text", "period", "states", "measure", "measured", "rel_error", "reason",
                "start", "sources"]
        rows = []
        for v in self.verdicts:
            d = v.to_dict()
            d["states"] = "-".join(d["states"]) + (" (inferred)" if d["states_inferred"] else "")
            d["sources"] = ", ".join(dict.fromkeys(e.source for e in v.evidence))
            rows.append({c: d[c] for c in cols})
        return pd.DataFrame(rows, columns=cols)

    def to_dict(self) -> dict:
        return {"document": self.document, "title": self.title, "matching": self.matching, "notes": self.notes,
                "counts": self.counts(), "statements": [v.to_dict() for v in self.verdicts]}


@dataclass
class _Context:
    doc: Document
    store: Store | None
    vocab: Vocabulary
    facts: pd.DataFrame
    focal: list[str]
    self_marks: list[str]
    present: set[str] = field(default_factory=set)
    cache: dict = field(default_factory=dict)
    reported: pd.DataFrame = field(default_factory=pd.DataFrame)


def _facts(ctx: "_Context", metrics: tuple[str, ...], states: list[str], period: str | None,
           reported: tuple[str, ...] = ()) -> list[Evidence]:
    """Curated facts and press-reported figures stating the quantity (evidence marked ``fact``)."""
    key = ("facts", metrics, reported, tuple(states[:2]), period)
    if key not in ctx.cache:
        ctx.cache[key] = match_facts(ctx.facts, metrics, states, period, ctx.self_marks) + \
            match_reported(ctx.reported, reported, states, period)
    return ctx.cache[key]


def _latest(ctx: _Context) -> str | None:
    return str(ctx.doc.year - 1) if ctx.doc.year else None


def _resolve_period(ctx: _Context, period: str | None) -> tuple[str | None, str]:
    if period == "latest" or period is None:
        latest = _latest(ctx)
        if latest is None:
            return None, "no period stated and the text has no date"
        why = "'now'" if period == "latest" else "no period stated"
        return latest, f"{why}: taken as {latest}, the last full year before the text's date ({ctx.doc.year})"
    return period, ""


def _measure(ctx: _Context, check: str, claim: Claim, states: list[str], years: list[int]) -> Measured:
    key = (check, claim.kind, tuple(states), tuple(years), claim.kind == "ratio",
           bool(re.search(r"\bgdp\b", claim.sentence, re.I)) if check == "milex" else False)
    if key not in ctx.cache:
        fn = CHECKS[check]
        try:
            ctx.cache[key] = fn(ctx.store, claim, states, years)
        except DyadicError as exc:
            ctx.cache[key] = Measured([], str(exc))
    return ctx.cache[key]


def judge(claim: Claim, ctx: _Context) -> Verdict:
    """The verdict on one statement."""
    if claim.no_measure:
        return Verdict(claim, "not checkable", f"{claim.no_measure}")
    m = ctx.vocab.by_id(claim.measure) if claim.measure else None
    if claim.span and m is not None and m.span == "sum" and (
            not claim.ambiguity or claim.ambiguity.startswith(("one figure for", "the sentence names several years"))):
        # 'N disputes between 1990 and 2010': a total over the span, which this measure counts
        claim.ambiguity, claim.period = "", f"{claim.span[0]}/{claim.span[1]}"
        claim.period_note = "a total over the stated span"
    if claim.ambiguity:
        return Verdict(claim, "not checkable", f"{m.label + ': ' if m else ''}{claim.ambiguity}")
    if m is not None and m.id == "directional_trade" and not claim.flow:
        return Verdict(claim, "not checkable", f"{m.label}: the statement names a flow but not which state ships "
                                               "to which (exporter and importer)")
    if m is None:
        what = {"date": "a date", "duration": "a duration", "count": f"a count of '{claim.noun or 'things'}'",
                "ranking": f"a ranking of '{claim.noun}'"}.get(claim.kind, f"a {claim.kind}")
        return Verdict(claim, "not checkable", f"{what} that no vocabulary entry ties to a measure the system has")
    fn_states = CHECKS.entry(m.check).meta["states"] if m.check in CHECKS else 1
    need = 2 if (claim.kind in ("ratio", "ranking") or fn_states == 2) else 1
    real = [s for s in claim.states if s != "EUU"]
    if len(real) < need and len(ctx.focal) >= need:
        fill = [s for s in ctx.focal if s not in real][: need - len(real)]
        claim.states = real + fill + [s for s in claim.states if s == "EUU"]
        claim.states_inferred = True
    period, note = _resolve_period(ctx, claim.period)
    if note and not claim.period_note.startswith("no period"):
        claim.period_note = (claim.period_note + "; " if claim.period_note else "") + note
    # a statement with no period (a border's length) is matched to facts of any period
    periods = [p for p in (claim.from_period, period) if p] if claim.kind == "growth" else \
        [period if claim.period is not None else None]
    facts = [f for p in periods for f in _facts(ctx, m.facts, claim.states, p, m.reported)]
    circular = [f for f in facts if f.circular]
    circ_note = (f" The curated fact{'s' if len(circular) > 1 else ''} {', '.join(f.view[5:] for f in circular)} "
                 "quote{} this text itself, so {} no independent data.".format(
                     "" if len(circular) > 1 else "s", "they are" if len(circular) > 1 else "it is")) if circular else ""
    settle = f"would be settled by {m.settle}" if m.settle else ""
    if claim.unit in CURRENCY_UNITS and claim.unit != "USD":
        return Verdict(claim, "not checkable", f"stated in {claim.unit}; the sources are in US$ and no exchange "
                                               "rates are ingested" + circ_note, evidence=facts)
    if claim.fiscal or (period or "").startswith("FY"):
        return Verdict(claim, "no data", f"a fiscal-year figure ({period}); the sources here are calendar years; "
                                         f"{settle}.{circ_note}", evidence=facts)
    if len([s for s in claim.states if s != "EUU"]) < need:
        return Verdict(claim, "not checkable", f"{m.label}: the statement names no state (or too few) and the text "
                                               "has no main pair to take them from", evidence=facts)
    indep = [f for f in facts if not f.circular and f.value is not None]
    v = judge_level(claim, indep, tolerance=m.tolerance) if indep and claim.kind != "growth" else None
    if not m.check:
        return v or Verdict(claim, "no data", f"no ingested dataset measures {m.label.lower()}; {settle}.{circ_note}",
                            evidence=facts)
    if ctx.store is None:
        if v is not None:
            return v
        return Verdict(claim, "no data", f"no store is open; run 'dyadic ingest {' '.join(m.sources)}' "
                                         f"({settle}).{circ_note}", evidence=facts)
    absent = [s for s in m.sources if s not in ctx.present]
    if len(absent) == len(m.sources):
        if v is not None:  # a quoted or reported figure, said as such; measuring it needs the sources
            v.reason += f"; to measure it, run 'dyadic ingest {' '.join(absent)}'"
            return v
        return Verdict(claim, "no data", f"{m.label}: run 'dyadic ingest {' '.join(absent)}' first "
                                         f"(else it {settle}).{circ_note}", evidence=facts)
    if claim.kind == "growth":
        return _judge_growth(claim, ctx, m, period, facts, circ_note, settle)
    years = years_of(period) if period else None
    if not years:
        return Verdict(claim, "not checkable", f"no period: {claim.period_note or 'none stated'}", evidence=facts)
    got = _measure(ctx, m.check, claim, claim.states, years)
    v = judge_level(claim, got.evidence + facts, tolerance=m.tolerance)
    if v is None:
        return Verdict(claim, "no data", f"{got.missing}; {settle}.{circ_note}", evidence=facts)
    v.evidence = got.evidence + facts
    v.reason += circ_note
    return v


def _judge_growth(claim: Claim, ctx: _Context, m, period: str | None, facts: list[Evidence], circ_note: str,
                  settle: str) -> Verdict:
    base_kind = {"amount": "amount", "share": "share", "rate": "amount", "multiple": "amount",
                 "change": "amount"}.get(claim.base_kind, "amount")
    y2 = years_of(period) if period else None
    y1 = years_of(claim.from_period) if claim.from_period else ([y2[0] - 1] if y2 else None)
    if not y1 or not y2:
        return Verdict(claim, "not checkable", "a change without two periods", evidence=facts)
    probe = dataclasses.replace(claim, kind=base_kind, bound="=")
    e1 = _measure(ctx, m.check, probe, claim.states, y1).evidence
    e2 = _measure(ctx, m.check, probe, claim.states, y2).evidence
    evidence = e1 + e2 + facts
    span1, span2 = claim.from_period or str(y1[0]), period
    if claim.from_value is not None:  # from Q1 to Q2: judge both ends, then the direction
        ends = []
        for label, stated, ev, span in (("start", claim.from_value, e1, span1), ("end", claim.value, e2, span2)):
            # an end no source measures may still be stated by a figure reported for that year (shown as such)
            ev = ev or [f for f in facts if f.period == span and not f.circular and f.value is not None]
            v = judge_level(dataclasses.replace(probe, value=stated), ev, tolerance=m.tolerance) if ev else None
            ends.append((label, span, v))
        known = [(lab, sp, v) for lab, sp, v in ends if v is not None]
        parts = [f"{sp}: {v.verdict} ({v.reason})" for _, sp, v in known]
        parts += [f"{sp}: no data" for _, sp, v in ends if v is None]
        if len(known) < 2:
            miss = _measure(ctx, m.check, probe, claim.states, y2 if ends[1][2] is None else y1).missing
            return Verdict(claim, "no data", "; ".join(parts) + f". {miss}; {settle}.{circ_note}",
                           evidence=evidence)
        same = _paired(e1, e2)
        wrong = [(a, b) for a, b in same if (b.value > a.value) != (claim.direction == "up")]
        if same and len(wrong) == len(same):
            a, b = wrong[0]
            return Verdict(claim, "contradicted", f"stated {claim.direction} but measured {_fmt(a.value, probe)} → "
                                                  f"{_fmt(b.value, probe)} ({a.source}, {a.view}). " + "; ".join(parts),
                           b.value, None, tolerance_text(base_kind), evidence)
        ok = all(v.verdict == "holds" for _, _, v in known)
        end = known[-1][2]
        return Verdict(claim, "holds" if ok else "off", "; ".join(parts) + circ_note, end.measured, end.rel_error,
                       tolerance_text(base_kind), evidence)
    pairs = _paired(e1, e2)
    if not pairs:
        miss = _measure(ctx, m.check, probe, claim.states, y2 if not e2 else y1).missing
        return Verdict(claim, "no data", f"the change {span1}→{span2} needs both years: {miss}; {settle}.{circ_note}",
                       evidence=evidence)
    results = []
    for a, b in pairs:
        if claim.base_kind == "multiple":
            measured, stated, kind = b.value / a.value, (claim.rate or 0) / 100 + 1, "ratio"
        elif claim.base_kind == "change":
            measured, stated, kind = b.value - a.value, claim.value, "amount"
        else:
            measured, stated, kind = 100 * (b.value / a.value - 1), claim.rate, "growth_rate"
        hit, rel = compare(stated, measured, kind, claim.bound)
        results.append((a, b, measured, stated, kind, hit, rel))
    best = min(results, key=lambda r: abs(r[2] - r[3]))
    a, b, measured, stated, kind, hit, rel = best
    how = (f"{_fmt(a.value, probe)} ({span1}) → {_fmt(b.value, probe)} ({span2}), {a.source} {a.view}: "
           + (f"ratio {measured:.2f}" if kind == "ratio" else f"change {_fmt(measured, probe)}" if kind == "amount"
              else f"{measured:+.1f}%"))
    agree = f"; {sum(r[5] for r in results)} of {len(results)} sources within tolerance" if len(results) > 1 else ""
    if (measured < (1 if kind == "ratio" else 0)) != (claim.direction == "down") and not hit:
        return Verdict(claim, "contradicted", f"stated {claim.direction}; measured {how}{agree}{circ_note}", measured,
                       rel, tolerance_text(kind), evidence)
    return Verdict(claim, "holds" if hit else "off", f"measured {how}{agree}{circ_note}", measured, rel,
                   tolerance_text(kind), evidence)


def _paired(e1: list[Evidence], e2: list[Evidence]) -> list[tuple[Evidence, Evidence]]:
    """Evidence of the two periods from the same source and view (a change is measured within one source)."""
    by = {(e.source, e.view): e for e in e1 if e.value is not None and not e.fact}
    return [(by[(e.source, e.view)], e) for e in e2 if (e.source, e.view) in by and e.value is not None]


def _fmt(v: float, claim: Claim) -> str:
    if claim.unit in CURRENCY_UNITS or claim.kind == "amount":
        return f"US$ {v / 1e9:,.1f} bn"
    if claim.unit == "percent" or claim.kind == "share":
        return f"{v:.1f}%"
    return f"{v:,.4g}"


def focal_pair(doc: Document, gaz) -> list[str]:
    """The two states the text names most often (its main pair), for statements that name none."""
    counts = Counter(c for c, _, _ in gaz.find(doc.text[:doc.references_at]) if c != "EUU")
    return [c for c, _ in counts.most_common(2)]


def check_document(doc: Document, store: Store | None = None, vocab: Vocabulary | None = None,
                   embeddings: bool = False, self_citations: list[str] | None = None,
                   pair: tuple[str, str] | None = None) -> Report:
    """Check every quantitative statement of a prepared document.

    Args:
        doc: from :func:`read_document` or :func:`from_string`.
        store: an open store (None: only curated facts, everything else 'no data').
        vocab: the vocabulary (default: the packaged one).
        embeddings: also match statements by sentence embeddings (needs the ``claims-embed`` extra).
        self_citations: strings whose presence in a fact's citation marks it as quoting this text
            (default: the text's title up to its first colon).
        pair: the text's main pair, for statements naming no states (default: the two states it names most).

    Returns:
        A :class:`Report`.
    """
    vocab = vocab or Vocabulary.load()
    matching = vocab.use_embeddings() if embeddings else (
        "vocabulary only (embedding matching not requested; install dyadic[claims-embed] and pass --embed)")
    registry = None
    if store is not None and store.has_source("country_codes"):
        registry = store.registry()
    gaz = vocab.gazetteer(registry)
    claims = extract(doc, gaz)
    vocab.assign(claims)
    facts, facts_from = load_facts(store)
    marks = [s.lower() for s in (self_citations or [])]
    if self_citations is None and doc.title:
        marks = [doc.title.split(":")[0].strip().lower()[:60]]
    present = set(store.sources()["name"]) if store is not None else set()
    ctx = _Context(doc, store, vocab, facts, list(pair) if pair else focal_pair(doc, gaz), [m for m in marks if len(m) >= 8], present,
                   reported=load_reported(store))
    verdicts = [judge(c, ctx) for c in claims]
    notes = [f"curated facts from the {facts_from}"]
    if ctx.focal:
        notes.append(f"main pair of the text (used where a statement names no states): {'-'.join(ctx.focal)}")
    if store is None:
        notes.append("no store: only curated facts were consulted")
    label = str(doc.path) if doc.path else "<text>"
    return Report(label, doc.title, verdicts, matching, notes, doc.pages)


def explain(report: Report, max_rows: int = 8) -> str:
    """How each verdict was reached, in plain text: the parsed claim, the measure and why, every piece of
    evidence with its rows and arithmetic, and the tolerance applied (``dyadic check --explain``)."""
    out = []
    for v in report.verdicts:
        c = v.claim
        out.append(f"#{c.id} {v.verdict.upper()}: {c.text!r}")
        out.append(f"  sentence: {c.sentence.strip()}")
        rel = {"=": "as stated", "~": "about", ">": "more than", "<": "less than", ">=": "at least", "<=": "at most",
               "between": f"between (upper end {c.value_hi:g})" if c.value_hi is not None else "between"}.get(c.bound, c.bound)
        parsed = [f"kind={c.kind}", f"value={c.value:g}" if c.value is not None else "value=-", f"unit={c.unit}",
                  f"relation={rel}", f"period={c.period or '-'}"]
        if c.from_value is not None or c.from_period:
            parsed.append(f"from={c.from_value if c.from_value is not None else '-'} ({c.from_period or '-'})")
        if c.direction:
            parsed.append(f"direction={c.direction}")
        if c.flow:
            parsed.append(f"flow={c.flow} {' -> '.join(c.states[:2])}")
        parsed.append("states=" + ("-".join(c.states) or "-") + (" (inferred from the text's main pair)" if c.states_inferred else ""))
        out.append("  parsed: " + ", ".join(parsed))
        if c.period_note:
            out.append(f"  period: {c.period_note}")
        out.append(f"  measure: {c.measure or 'none'}" + (f" ({c.matched_by})" if c.matched_by else ""))
        if c.no_measure or c.ambiguity:
            out.append(f"  not checkable because: {c.no_measure or c.ambiguity}")
        for e in v.evidence:
            shown = "-" if e.value is None else f"{e.value:,.6g}"
            tag = " [circular: quotes this text]" if e.circular else " [as reported, not measured]" if e.fact else ""
            out.append(f"  evidence: {e.source}, {e.view}, {e.period}: {shown}{tag}")
            if e.computation:
                out.append(f"    arithmetic: {e.computation}")
            for r in e.rows[:max_rows]:
                out.append("    row: " + ", ".join(f"{k}={r[k]}" for k in r))
            if len(e.rows) > max_rows:
                out.append(f"    ... {len(e.rows) - max_rows} more rows")
        if v.tolerance:
            out.append(f"  tolerance: {v.tolerance}")
        out.append(f"  verdict: {v.verdict} - {v.reason}")
        out.append("")
    return "\n".join(out)


def check_text(text: str, store: Store | None = None, fmt: str = "markdown", **kw) -> Report:
    """:func:`check_document` on a string (Markdown, plain text or HTML)."""
    return check_document(from_string(text, fmt), store, **kw)


def check_file(path: str | Path, store: Store | None = None, **kw) -> Report:
    """:func:`check_document` on a file; raises :class:`ClaimsInputError` when it cannot be read."""
    return check_document(read_document(path), store, **kw)
