"""The claim model's second pass over a sentence: relations, ratios in words, directed flows, clause-local
pairs, comparisons without a number, and figures that belong to no measure.

:func:`refine` runs on each claim once :mod:`extract` has found its figure, period and sentence states;
:func:`comparisons` finds statements that compare two states without a figure ("Russia spent more on
its military than China"). Both only read the sentence; nothing here touches data.
"""

from __future__ import annotations

import re

from dyadic.framework.claims.extract import Claim

Mention = tuple[str, int, bool]  # (code, document position, possessive)

#: relation words right before a figure -> bound (``>=``/``<=`` are the inclusive bounds)
RELATIONS = [
    (re.compile(r"\b(?:at least|no less than|not less than)\s*$", re.I), ">="),
    (re.compile(r"\b(?:at most|no more than|not more than|up to)\s*$", re.I), "<="),
]
BETWEEN = re.compile(r"\bbetween\s*$", re.I)

EXPORT = r"(?:export\w*|ship(?:ped|ments?|s)?|sold|sales|sell\w*|deliver\w*)"
IMPORT = r"(?:import\w*|bought|buy\w*|purchas\w*)"
#: arms move by transfers and deliveries as well as sales (SIPRI's words); only for figures in TIV
ARMS_EXPORT = r"(?:export\w*|transfer\w*|deliver\w*|suppl\w*|sold|sales|sell\w*|ship\w*)"
ARMS_IMPORT = r"(?:import\w*|receiv\w*|bought|buy\w*|purchas\w*|acqui\w*)"
TIV = re.compile(r"\bTIV\b|trend[- ]indicator value", re.I)

#: words that tie a percentage or count to something no measure covers (checked in the figure's clause)
NO_MEASURE = [
    (re.compile(r"\b(?:surveys?|survey(?:ed)?|polls?|polled|respondents|interviewees|favou?rabl[ey]|"
                r"unfavou?rabl[ey]|approv(?:al|e)|public opinion|opinion of|trust(?:ed)?)\b", re.I),
     "a survey or opinion figure"),
    (re.compile(r"\b(?:chance|probabilit(?:y|ies)|likelihood|odds|likely|forecast probability)\b", re.I),
     "a probability"),
    (re.compile(r"\b(?:base rate|forecasts?|predict\w*|scenarios?|outlook)\b", re.I), "a forecast probability"),
    (re.compile(r"\b(?:people|persons|citizens|residents|tourists|visitors|migrants|workers|attendees)\b", re.I),
     "a count or share of people"),
]

#: where one clause of a sentence ends and the next, about another figure, starts
CLAUSE_BREAK = re.compile(r";|,?\s+(?:against|versus|vs\.?|compared (?:with|to)|whereas|while|but)\s+|,\s+and\s+", re.I)

COMPARATIVE = re.compile(
    r"\b(?P<w>more|less|larger|smaller|greater|higher|lower|bigger|fewer)\b(?P<mid>[^.;]{0,60}?)\bthan\b"
    r"|\b(?P<v>outspen[dt]s?|outspending|exceed(?:s|ed)?|surpass(?:es|ed)?|trail(?:s|ed)?|lagg?(?:s|ed)? behind)\b", re.I)
UPWARD = {"more", "larger", "greater", "higher", "bigger", "outspend", "outspent", "outspends", "outspending",
          "exceed", "exceeds", "exceeded", "surpass", "surpasses", "surpassed"}


def clause_span(sent: str, s0: int, start: int, end: int) -> tuple[int, int]:
    """Document span of the clause holding [start, end)."""
    lo, hi = s0, s0 + len(sent)
    for m in CLAUSE_BREAK.finditer(sent):
        a, b = s0 + m.start(), s0 + m.end()
        if b <= start:
            lo = max(lo, b)
        elif a >= end:
            hi = min(hi, a)
    return lo, hi


def _distinct(ms: list[Mention]) -> list[str]:
    return [c for c in dict.fromkeys(c for c, _, _ in ms) if c != "EUU"]


def refine(claim: Claim, sent: str, s0: int, mentions: list[Mention], years: list[str]) -> None:
    """Relation, ratio-in-words, flow direction, clause pair, the sentence's year and no-measure reason."""
    rel = claim.start - s0
    head = sent[:rel]
    for rx, b in RELATIONS:
        if rx.search(head):
            claim.bound = b
    m = re.match(r"\s*(?:and|to|-|–)\s*(?:US\$|USD|\$)?\s?(?P<n>\d+(?:\.\d+)?)\s?(?P<sc>billion|bn|million|mn|trillion)?"
                 r"(?:\s?(?:%|per ?cent))?", sent[claim.end - s0:], re.I)
    first = re.search(r"\d+(?:\.\d+)?", claim.text.replace(",", ""))
    if BETWEEN.search(head) and m and first and claim.value is not None:
        factor = claim.value / float(first.group(0)) if float(first.group(0)) else 1.0
        scale = {"billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6, "trillion": 1e12}.get((m.group("sc") or "").lower(), 1.0)
        if factor == 1.0 and scale != 1.0:
            claim.value *= scale  # 'between USD 50 and 60 billion': the scale is stated once, after both
            factor = scale
        claim.bound, claim.value_hi = "between", float(m.group("n")) * factor
        claim.end += m.end()
        claim.text = claim.text + sent[claim.end - m.end() - s0:claim.end - s0]
    lo, hi = clause_span(sent, s0, claim.start, claim.end)
    local = [h for h in mentions if lo <= h[1] < hi]
    clause_text = sent[lo - s0:hi - s0]
    # a fraction or percentage "of China's" (a possessive naming another state) is a ratio of two levels
    after = sent[claim.end - s0:]
    of_state = re.match(r"\s*(?:of\s+)?(?:that of\s+)?(?P<s>[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*)?)(?:'s|s')(?=\s*(?:[.,;)]|$)|\s+(?:in|at|during|and|while|whereas|than|level|figure|score|spending|budget)\b)", after)
    if claim.kind in ("share", "percentage") and of_state and re.match(r"\s*(?:of\s+)", after):
        base = [h for h in local if h[1] == claim.end + of_state.start("s")]
        subj = [h for h in local if h[1] < claim.start and base and h[0] != base[0][0]]
        if base and subj:
            claim.kind, claim.unit = "ratio", "ratio"
            claim.value = (claim.value or 0) / 100
            claim.value_hi = claim.value_hi / 100 if claim.value_hi else None
            claim.states = [subj[-1][0], base[0][0]]
            claim.noun = "ratio in words"
    flow = _flow(clause_text, lo, local) if claim.kind in ("amount", "growth") else None
    if claim.kind == "count" and TIV.search(clause_text):
        flow = _flow(clause_text, lo, local, ARMS_EXPORT, ARMS_IMPORT)  # supplier -> recipient
        claim.unit = "TIV"
    if flow:
        claim.flow, claim.states = flow[0], flow[1]
    elif len(_distinct(mentions)) > 2 and claim.kind not in ("date",) and claim.noun != "ratio in words":
        names = _distinct(local)
        if len(names) == 2:
            order = [c for c in claim.states if c in names]
            claim.states = order if len(order) == 2 else names
        elif len(names) < 2 or len(names) > 2:
            claim.ambiguity = (f"the sentence names {len(_distinct(mentions))} states "
                               f"({', '.join(_distinct(mentions))}) and does not say which pair this figure is about")
    joined = re.search(r"\b(?:1[6-9]|20)\d\d\s+and\s+(?:in\s+)?(?:1[6-9]|20)\d\d\b", sent)
    span = re.search(r"\b(?:between|from)\s+((?:1[6-9]|20)\d\d)\s+(?:and|to|until|through)\s+((?:1[6-9]|20)\d\d)\b", sent, re.I)
    if span and claim.kind == "count" and int(span.group(2)) > int(span.group(1)):
        # a count over a span (disputes 1990-2010) is a total when the measure sums its years (judged there)
        claim.span = (span.group(1), span.group(2))
    if joined and claim.kind not in ("growth", "date"):
        # 'in 2012 and 2016', 'between 2010 and 2015' with one figure: which year (or a mean?) is not said
        claim.ambiguity = f"one figure for '{joined.group(0)}': the statement does not say which year (or whether a mean)"
    if claim.period is None and claim.kind != "date":
        distinct = list(dict.fromkeys(years))
        if len(distinct) == 1:
            claim.period, claim.period_note = distinct[0], "the sentence's only year"
        elif len(distinct) > 1:
            claim.ambiguity = claim.ambiguity or (f"the sentence names several years ({', '.join(distinct)}) and "
                                                  "does not say which this figure is for")
    rng = re.fullmatch(r"(\d{4})/(\d{4})", claim.period or "")
    if claim.kind == "growth" and claim.from_value is not None and claim.from_period is None and rng:
        # 'went from 6.9% to 12.0%' over '1992-2014': the two ends are the range's first and last years
        claim.from_period, claim.period = rng.group(1), rng.group(2)
        claim.period_note = "the two ends of the stated range"
    mark_no_measure(claim, clause_text)


def mark_no_measure(claim: Claim, clause_text: str) -> None:
    """Set ``no_measure`` when the figure's clause speaks of a survey, a probability or people."""
    if claim.kind in ("percentage", "share", "count", "amount"):
        for rx, what in NO_MEASURE:
            hit = rx.search(clause_text)
            if hit:
                claim.no_measure = f"{what} ('{hit.group(0)}'), which no measure of the system covers"
                break


def _flow(clause: str, lo: int, local: list[Mention], export: str = EXPORT,
          import_: str = IMPORT) -> tuple[str, list[str]] | None:
    """('exports'/'imports' as stated, [exporter, importer]) when the clause names a directed flow."""
    m = re.search(rf"\b(?P<e>{export})|\b(?P<i>{import_})", clause, re.I)
    if not m:
        return None
    word_at = lo + m.start()
    exporting = bool(m.group("e"))
    def at(prep: str) -> str | None:
        p = re.search(rf"\b(?:{prep})\s+(?:the\s+)?", clause[m.end():], re.I)
        if not p:
            return None
        pos = lo + m.end() + p.end()
        hit = [h for h in local if h[1] == pos]
        return hit[0][0] if hit else None
    to, frm, by = at("to|into|for"), at("from"), at("by")
    if by and exporting:  # 'goods exported by A to B' (passive): A is the exporter
        frm = frm or by
    before = [h for h in local if h[1] < word_at]
    subj = before[-1][0] if before else None
    if frm and to and frm != to:
        return ("exports" if exporting else "imports"), [frm, to]
    if exporting and to and subj and subj != to:
        return "exports", [subj, to]
    if not exporting and frm and subj and subj != frm:
        return "imports", [frm, subj]
    return None


def comparisons(sent: str, s0: int, mentions: list[Mention], figures: list[tuple[int, int]]) -> list[tuple[int, int, str, list[str]]]:
    """(start, end, bound, [subject, other]) for each comparison of two states without a figure."""
    out = []
    for m in COMPARATIVE.finditer(sent):
        a, b = s0 + m.start(), s0 + m.end()
        tail = sent[m.end():m.end() + 25]
        if re.match(r"\s*(?:US\$|USD|\$|€|£)?\s?\d", tail) or any(a <= fs < b + 25 for fs, _ in figures):
            continue  # 'more than USD 50 billion': a bound on a figure, handled with the figure
        before = [h for h in mentions if h[1] < a]
        after = [h for h in mentions if h[1] >= b and h[1] - b <= 40]
        if not before or not after or before[-1][0] == after[0][0]:
            continue
        word = (m.group("w") or m.group("v") or "").lower()
        up = word in UPWARD
        out.append((a, b, ">" if up else "<", [before[-1][0], after[0][0]]))
    return out
