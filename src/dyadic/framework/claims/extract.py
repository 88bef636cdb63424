"""Rule-based extraction of quantitative statements: amounts, percentages and shares, counts, ratios,
growth between two periods, rankings, distances and areas, durations and dates.

Each statement comes with its value in base units (US$ not billions, percent as a number of percent),
its unit, a bound (``=`` as stated, ``>`` more than, ``<`` less than, ``~`` approximately), its period,
the states it names, the sentence, and its character span in the document. Which *measure* a statement
is about is decided afterwards from the vocabulary (:mod:`dyadic.framework.claims.vocabulary`).

The rules, in order (a later rule never takes text an earlier one took):

1. dates and periods: ``16 May 2024``, ``October 2004``, ``fiscal year 2023/24``/``FY2023``, ``2018-21``,
   ``1990s``, ``2020``;
2. money: a currency (USD, US$, $, €, £, RMB, yuan, roubles) before or after a number with a scale
   (thousand, million/mn/m, billion/bn, trillion/tn);
3. percentages (``37 per cent``, ``21.5%``) and percentage points; distances and areas (km, miles,
   square kilometres); multiples (``twice``, ``three times``, ``more than double``, ``doubled``);
   word fractions (``a third of``, ``half of``); durations (``three decades``);
4. rankings (``largest trading partner``, ``sixth longest``);
5. counts: any other number (digits or words two to ninety-nine, hundreds, thousands) before a noun.

Growth is then read off pairs: ``from Q1 [in P1] to Q2 [in P2]`` after a verb of change, or a
percentage after ``grew by``/``fell by`` (negative for verbs of decline), or ``doubled``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dyadic.framework.claims.document import MONTH_RE, MONTHS, Document

SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "mln": 1e6, "m": 1e6, "billion": 1e9,
          "bn": 1e9, "bln": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12}
CURRENCIES = {"usd": "USD", "us$": "USD", "$": "USD", "dollars": "USD", "dollar": "USD", "us dollars": "USD",
              "eur": "EUR", "€": "EUR", "euros": "EUR", "euro": "EUR", "£": "GBP", "gbp": "GBP",
              "pounds": "GBP", "rmb": "CNY", "cny": "CNY", "yuan": "CNY", "renminbi": "CNY", "rub": "RUB",
              "roubles": "RUB", "rubles": "RUB", "rouble": "RUB", "ruble": "RUB"}
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
         "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
         "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
         "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "a hundred": 100,
         "one hundred": 100, "a thousand": 1000, "one thousand": 1000, "dozen": 12, "a dozen": 12,
         "one-and-half": 1.5, "one-and-a-half": 1.5, "one and a half": 1.5}
FRACTIONS = {"half": 50.0, "a half": 50.0, "one half": 50.0, "a third": 100 / 3, "one-third": 100 / 3,
             "one third": 100 / 3, "two-thirds": 200 / 3, "two thirds": 200 / 3, "a quarter": 25.0,
             "one-quarter": 25.0, "one quarter": 25.0, "three-quarters": 75.0, "three quarters": 75.0,
             "a fifth": 20.0, "one-fifth": 20.0, "a tenth": 10.0}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10}
MULTIPLES = {"double": 2, "twice": 2, "triple": 3, "treble": 3, "quadruple": 4}
UP = r"(?:grow|grew|grown|growing|rise|rose|risen|rising|increas\w*|rocket\w*|soar\w*|jump\w*|surg\w*|climb\w*|expand\w*|doubl\w*|tripl\w*|went up|gone up|up)"
DOWN = r"(?:fell|fall\w*|declin\w*|dropp?\w*|decreas\w*|shr[ai]nk\w*|shrunk|contract\w*|plung\w*|slump\w*|halv\w*|went down|gone down|down)"

WORDNUM = "|".join(sorted((re.escape(w) for w in WORDS), key=len, reverse=True))
NUM = r"(?<![\w.,])-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d])"
SCALE_RE = r"(?:\s?(?P<scale>trillion|billion|million|thousand|trn|tn|bn|bln|mn|mln|m|b|k)\b)?"
CUR_PRE = r"(?P<cur>US\$|USD|EUR|GBP|RMB|CNY|RUB|\$|€|£)"
CUR_POST = r"(?P<cur2>US dollars|dollars|USD|euros?|EUR|yuan|renminbi|RMB|roubles?|rubles?|RUB|pounds)"
NUM_BARE = NUM.replace(r"(?<![\w.,])", "")
YEAR = r"(?:1[6-9]\d\d|20\d\d)"
BOUND_BEFORE = [
    (re.compile(r"(more than|over|above|at least|in excess of|upwards of|exceed\w*)\s*$", re.I), ">"),
    (re.compile(r"(less than|under|below|fewer than|at most|up to|no more than)\s*$", re.I), "<"),
    (re.compile(r"(about|around|some|roughly|approximately|an estimated|estimated|circa|c\.|nearly|almost|~|close to)\s*$", re.I), "~"),
]
SKIP_BEFORE = re.compile(r"(?:[A-Za-z]-|[A-Za-z.]|\bArticle\s|\bpara\.?\s?|\bno\.\s?|\bvol\.\s?|\bpp?\.\s?)$")


@dataclass
class Atom:
    kind: str  # date, period, money, percent, pp, distance, area, multiple, fraction, duration, ranking, count
    start: int
    end: int
    value: float | None = None
    unit: str = ""
    bound: str = "="
    text: str = ""
    period: str | None = None  # for dates/periods: normalised period
    fiscal: bool = False
    noun: str = ""
    used: bool = False  # a date already serving as another quantity's period


@dataclass
class Claim:
    """One quantitative statement.

    Attributes:
        id: running number in the document.
        kind: amount, percentage, share, count, ratio, growth, ranking, distance, area, duration, date.
        value: the figure in base units (US$, percent, km, a count, a ratio, a rank; for growth the end value,
            or the rate in percent for ``by N per cent``; for a date its year).
        unit: ``USD`` (or another currency code), ``percent``, ``pp``, ``km``, ``km2``, ``count``, ``ratio``,
            ``rank``, ``years``, ``date``.
        bound: ``=``, ``>``, ``<``, ``>=``, ``<=``, ``~`` or ``between`` (with ``value_hi``).
        text: the words stating the quantity.
        start, end: its span in the document.
        period: ``2024``, ``2018/2021`` (a range: an average), ``FY2023/24`` (fiscal), ``2004-10`` (a month),
            ``latest`` (``now``, ``today``), or None.
        period_note: how the period was read when it is not stated next to the figure.
        from_value, from_period: for growth, the starting figure and its period.
        direction: for growth, ``up`` or ``down`` (from the verb, else from the figures).
        rate: for growth stated as a rate, the rate in percent (negative for a fall).
        states: the states named, in the measure's reading order (the whole before the part for shares).
        states_inferred: the states were taken from the document's main pair, the sentence naming none.
        noun: for counts, the counted thing; for rankings, the ranked thing.
        sentence, sentence_start: the sentence (as written) and where it starts.
        quoted: the figure is inside quotation marks.
        in_references: the figure is in the endnotes or references.
        measure, matched_by: filled by the vocabulary.
    """

    id: int
    kind: str
    value: float | None
    unit: str
    bound: str
    text: str
    start: int
    end: int
    period: str | None
    sentence: str
    sentence_start: int
    period_note: str = ""
    from_value: float | None = None
    from_period: str | None = None
    direction: str | None = None
    rate: float | None = None
    states: list[str] = field(default_factory=list)
    states_inferred: bool = False
    noun: str = ""
    quoted: bool = False
    in_references: bool = False
    fiscal: bool = False
    measure: str | None = None
    matched_by: str = ""
    base_kind: str = ""  # for growth: the kind of its two figures (amount, share, ...)
    flow: str | None = None  # 'exports' / 'imports' for a directed flow; states are then [exporter, importer]
    value_hi: float | None = None  # upper end for bound 'between'
    ambiguity: str = ""  # what the sentence leaves open (which pair, which year): the claim is not checkable
    no_measure: str = ""  # the figure belongs to no measure (a survey, a probability): why
    span: tuple[str, str] | None = None  # 'between 1990 and 2010' with one figure: a total over the span, if the measure sums

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


# --------------------------------------------------------------------------------------------- sentences

ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Ms|Dr|Prof|St|no|vol|para|pp|p|Jan|Feb|Mar|Apr|Jun|Jul|Aug|"
                    r"Sep|Sept|Oct|Nov|Dec|approx|cf|al|Inc|Ltd|Co|Corp|U\.S|U\.K|D\.C)\.|\b[A-Z]\.)$")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at blank lines, list items, headings and sentence stops."""
    spans = []
    for block in re.finditer(r"(?:[^\n]|\n(?![ \t]*\n)(?![ \t]*(?:[-*+]|\d+\.)[ \t])(?![ \t]*#))+", text):
        b0 = block.start()
        chunk = block.group(0)
        start = 0
        for m in re.finditer(r"[.!?](?:[\"')\]]*)\s+(?=[\"'(\[]?[A-Z0-9])", chunk):
            if ABBREV.search(chunk[max(0, m.start() - 6): m.start() + 1]):
                continue
            spans.append((b0 + start, b0 + m.end()))
            start = m.end()
        spans.append((b0 + start, b0 + len(chunk)))
    out = []
    for s, e in spans:
        seg = text[s:e]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            out.append((s + lead, s + len(seg.rstrip())))
    return out


# --------------------------------------------------------------------------------------------- atoms

def _num(s: str) -> float:
    s = s.replace(",", "").strip()
    return float(WORDS.get(s.lower(), s)) if s.lower() in WORDS else float(s)


def _two_digit_end(y1: int, y2: str) -> int:
    return int(y2) if len(y2) == 4 else (y1 // 100) * 100 + int(y2) + (100 if int(y2) < y1 % 100 else 0)


class _Atoms:
    """Collects non-overlapping atoms over one sentence (positions relative to the document)."""

    def __init__(self, text: str, offset: int):
        self.text, self.offset = text, offset
        self.taken = [False] * len(text)
        self.atoms: list[Atom] = []

    def free(self, s: int, e: int) -> bool:
        return not any(self.taken[s:e])

    def add(self, m: re.Match, kind: str, group: int | str = 0, **kw) -> Atom | None:
        s, e = m.span(group)
        if not self.free(s, e):
            return None
        for i in range(s, e):
            self.taken[i] = True
        a = Atom(kind, s + self.offset, e + self.offset, text=self.text[s:e], **kw)
        before = self.text[max(0, s - 25): s]
        if "bound" not in kw:
            for rx, b in BOUND_BEFORE:
                if rx.search(before):
                    a.bound = b
                    break
        self.atoms.append(a)
        return a


def find_atoms(sent: str, offset: int) -> list[Atom]:
    A = _Atoms(sent, offset)
    f = re.finditer
    # 1. dates and periods
    for m in f(rf"\b(\d{{1,2}})\s+({MONTH_RE})\s+({YEAR})\b", sent):
        A.add(m, "date", period=f"{m.group(3)}-{MONTHS.index(m.group(2)) + 1:02d}-{int(m.group(1)):02d}",
              value=float(m.group(3)), unit="date")
    for m in f(rf"\b({MONTH_RE})\s+(\d{{1,2}}),\s+({YEAR})\b", sent):
        A.add(m, "date", period=f"{m.group(3)}-{MONTHS.index(m.group(1)) + 1:02d}-{int(m.group(2)):02d}",
              value=float(m.group(3)), unit="date")
    for m in f(rf"\b({MONTH_RE})\s+({YEAR})\b", sent):
        A.add(m, "date", period=f"{m.group(2)}-{MONTHS.index(m.group(1)) + 1:02d}", value=float(m.group(2)),
              unit="date")
    for m in f(rf"\b(?:fiscal(?:\s+year)?|FY)\s?'?({YEAR}|\d\d)(?:\s?[/-]\s?(\d{{2,4}}))?\b", sent, re.I):
        y1 = int(m.group(1)) if len(m.group(1)) == 4 else 2000 + int(m.group(1))
        p = f"FY{y1}" + (f"/{str(_two_digit_end(y1, m.group(2)))[2:]}" if m.group(2) else "")
        A.add(m, "period", period=p, fiscal=True, value=float(y1), unit="date")
    for m in f(rf"\b({YEAR})\s?/\s?(\d\d)\b(?!\d)", sent):  # 2023/24: a fiscal or academic year
        y1 = int(m.group(1))
        A.add(m, "period", period=f"FY{y1}/{m.group(2)}", fiscal=True, value=float(y1), unit="date")
    for m in f(rf"\b({YEAR})\s?[-/]\s?(\d{{2}}|{YEAR})\b(?![\d%])", sent):
        y1, y2 = int(m.group(1)), _two_digit_end(int(m.group(1)), m.group(2))
        if y2 > y1:
            A.add(m, "period", period=f"{y1}/{y2}", value=float(y1), unit="date")
    for m in f(r"\b((?:1[6-9]|20)\d0)s\b", sent):
        y = int(m.group(1))
        A.add(m, "period", period=f"{y}/{y + 9}", value=float(y), unit="date")
    for m in f(rf"(?<![\w.,$€£-])({YEAR})\b(?![.,]\d)(?!\s?(?:%|per ?cent|km|kilomet|miles|troops|people|tons|tonnes|students|divisions))", sent):
        A.add(m, "date", 1, period=m.group(1), value=float(m.group(1)), unit="date")
    # 2. money
    for m in f(rf"{CUR_PRE}\s?(?P<n>{NUM_BARE}){SCALE_RE}", sent):
        cur = CURRENCIES[m.group("cur").lower()]
        scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
        A.add(m, "money", value=_num(m.group("n")) * scale, unit=cur)
    for m in f(rf"(?P<n>{NUM}){SCALE_RE}\s?(?:of\s+)?{CUR_POST}\b", sent, re.I):
        cur = CURRENCIES[m.group("cur2").lower()]
        scale = SCALES.get((m.group("scale") or "").lower(), 1.0)
        A.add(m, "money", value=_num(m.group("n")) * scale, unit=cur)
    # 3. percentages, distances, multiples, fractions, durations
    for m in f(rf"(?P<n>{NUM})\s?(?:-\s?)?(?:percentage points?|pp\b|points?\b(?= of))", sent, re.I):
        A.add(m, "pp", value=_num(m.group("n")), unit="pp")
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))\s?(?:-\s?)?(?:per\s?cent\b|percent\b|%|pct\b)", sent, re.I):
        A.add(m, "percent", value=_num(m.group("n")), unit="percent")
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))(?P<scale>\s(?:million|thousand|billion))?[\s-]?(?:square kilomet(?:re|er)s?|sq\.? ?km|km2|km²|square miles)", sent, re.I):
        sc = SCALES[m.group("scale").strip().lower()] if m.group("scale") else 1.0
        miles = "mile" in m.group(0).lower()
        A.add(m, "area", value=_num(m.group("n")) * sc * (2.589988 if miles else 1), unit="km2")
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))(?P<scale>\s(?:million|thousand))?[\s-]?(?P<u>kilomet(?:re|er)s?|km|miles?)\b", sent, re.I):
        sc = SCALES[m.group("scale").strip().lower()] if m.group("scale") else 1.0
        miles = m.group("u").lower().startswith("mile")
        A.add(m, "distance", value=_num(m.group("n")) * sc * (1.609344 if miles else 1), unit="km")
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))[\s-]?(?:times|fold)\b", sent, re.I):
        A.add(m, "multiple", value=_num(m.group("n")), unit="ratio")
    for m in f(r"\b(?P<w>double[sd]?|doubling|twice|triple[sd]?|tripling|treble[sd]?|quadruple[sd]?|halved|halving)\b"
               r"(?![\s-](?:standards?|down|edged|agents?|as|check|digits?|taxation|game|dealing|bind|helix)\b)", sent, re.I):
        w = m.group("w").lower()
        v = 0.5 if w.startswith("halv") else MULTIPLES[next(k for k in MULTIPLES if w.startswith(k[:5]))]
        verb = w.endswith(("d", "ing")) and w != "doubled" or w in ("doubled", "tripled", "trebled", "quadrupled")
        A.add(m, "multiple", value=float(v), unit="ratio", noun="verb" if verb else "")
    frac = "|".join(re.escape(k) for k in sorted(FRACTIONS, key=len, reverse=True))
    for m in f(rf"\b(?P<w>{frac})\s+(?:of\s+)?(?:a\s+)?(?P<u>century|centuries|decade|decades|year|years)\b", sent, re.I):
        per = {"centur": 100, "decade": 10, "year": 1}[next(k for k in ("centur", "decade", "year") if m.group("u").lower().startswith(k))]
        A.add(m, "duration", value=FRACTIONS[m.group("w").lower()] / 100 * per, unit="years")
    for m in f(rf"\b(?P<w>{frac})\s+of\b", sent, re.I):
        A.add(m, "fraction", "w", value=FRACTIONS[m.group("w").lower()], unit="percent")
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))[\s-](?P<u>years?|decades?|centuries|century|months?|weeks?|days?)\b(?!\s+(?:old|ago)\b)", sent, re.I):
        u = m.group("u").lower()
        per = 100 if u.startswith("centur") else 10 if u.startswith("decade") else 1 / 12 if u.startswith("month") \
            else 1 / 52 if u.startswith("week") else 1 / 365 if u.startswith("day") else 1
        A.add(m, "duration", value=_num(m.group("n")) * per, unit="years", noun=u)
    # 4. rankings
    ordn = "|".join(ORDINALS)
    for m in f(rf"\b(?:(?P<o>{ordn}|\d+(?:st|nd|rd|th))[\s-])?(?P<sup>largest|biggest|longest|greatest|highest|leading|top|main|most important|smallest|lowest)\s+(?P<noun>(?:[a-z-]+\s+){{0,2}}?(?:partners?|borders?|economy|economies|exporters?|importers?|spenders?|suppliers?|buyers?|markets?|producers?|consumers?|investors?|creditors?|army|armies|militar(?:y|ies)|power))\b", sent, re.I):
        o = (m.group("o") or "").lower()
        rank = ORDINALS.get(o) or (int(re.sub(r"\D", "", o)) if o else 1)
        A.add(m, "ranking", value=float(rank), unit="rank", noun=m.group("noun").lower(), bound="=")
    for m in f(rf"\b(?P<o>{ordn}|\d+(?:st|nd|rd|th))[\s-](?P<sup>largest|biggest|longest|greatest|highest|smallest|lowest)\b", sent, re.I):
        o = m.group("o").lower()
        A.add(m, "ranking", value=float(ORDINALS.get(o) or int(re.sub(r"\D", "", o))), unit="rank",
              noun=m.group("sup").lower(), bound="=")
    # 5. counts (digits with a scale word, digits, then number words)
    for m in f(rf"(?P<n>{NUM}|\b(?:{WORDNUM}))(?P<scale>\s(?:million|billion|thousand|trillion))?(?P<pt>-point)?(?P<noun>(?:\s+[A-Za-z][\w-]*){{1,3}})?", sent, re.I):
        s = m.start("n")
        if SKIP_BEFORE.search(sent[max(0, s - 10):s]):
            continue
        word = not m.group("n")[0].isdigit() and m.group("n")[0] != "-"
        prev = sent[max(0, s - 12):s].lower()
        if word and (re.search(r"\b(the|these|those|its|their|both|all|of|our|his|her|my|your)\s+$", prev)
                     or m.group("n").lower() in ("one",)):
            continue
        if re.match(r"\d+(st|nd|rd|th)\b", sent[s:s + 6]) or re.match(r"\s*\.\d", sent[m.end("n"):m.end("n") + 2]):
            continue
        if re.match(r"^\d\.0$", m.group("n")) and re.search(r"[A-Z]\w*\s$", sent[max(0, s - 12):s]):
            continue  # version numbers such as 'Trump 2.0'
        sc = SCALES[m.group("scale").strip().lower()] if m.group("scale") else 1.0
        noun = (m.group("noun") or "").strip()
        end = m.end("scale") if m.group("scale") else m.end("pt") if m.group("pt") else m.end("n")
        A.add(_Span(m.start("n"), end, sent), "count", value=_num(m.group("n")) * sc, unit="count",
              noun=noun.lower())
    return sorted(A.atoms, key=lambda a: a.start)


class _Span:
    """A match-like span (for atoms cut out of a larger match)."""

    def __init__(self, s: int, e: int, text: str):
        self._s, self._e, self._t = s, e, text

    def span(self, group=0):
        return self._s, self._e

    def group(self, group=0):
        return self._t[self._s:self._e]


# --------------------------------------------------------------------------------------------- states

class Gazetteer:
    """Finds the states a sentence names: names, demonyms and capitals from the vocabulary (and registry)."""

    def __init__(self, names: dict[str, str]):
        self.names = {k: v for k, v in names.items() if k}
        keys = sorted(self.names, key=len, reverse=True)
        case_sensitive = [k for k in keys if k.isupper() and len(k) <= 4]  # US, EU, PRC: never 'us'
        other = [k for k in keys if k not in case_sensitive]
        # 'US$ 5 bn' is a currency, not a mention of the United States
        self.rx_cs = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, case_sensitive)) + r")(?![\w$])") if case_sensitive else None
        self.rx = re.compile(r"(?<![\w])(" + "|".join(map(re.escape, other)) + r")(?:'s|s'|-(?=[A-Z]))?(?![\w])", re.I)
        self.lower = {k.lower(): v for k, v in self.names.items()}

    def find(self, text: str) -> list[tuple[str, int, bool]]:
        """(code, position, possessive) for each mention, in order."""
        hits = []
        for m in self.rx.finditer(text):
            code = self.lower.get(m.group(1).lower())
            if code:
                hits.append((code, m.start(), m.group(0).endswith(("'s", "s'"))))
        if self.rx_cs:
            for m in self.rx_cs.finditer(text):
                poss = text[m.end():m.end() + 2] == "'s"
                hits.append((self.names[m.group(1)], m.start(), poss))
        # 'Sino-Russian' names both: the prefix maps to China
        return sorted(hits, key=lambda h: h[1])


# --------------------------------------------------------------------------------------------- claims

def _period_near(atoms: list[Atom], a: Atom, sent: str, base: int, after_only: bool = False,
                 limit: Atom | None = None) -> Atom | None:
    """The date or period this quantity refers to: 'in 2024' right after it, else the nearest before."""
    dates = [d for d in atoms if d.kind in ("date", "period") and not d.used]
    after = [d for d in dates if d.start >= a.end and (limit is None or d.end <= limit.start)
             and re.fullmatch(r"[\s,]*(?:(?:in|during|for|by|as of|of|at|over|between|the|end of|year|calendar year|average)\s*)*[\s,(]*",
                              sent[a.end - base:d.start - base], re.I)]
    if after:
        return after[0]
    if after_only:
        return None
    before = [d for d in dates if d.end <= a.start and re.search(
        r"^[\s,]*(?:[^.;]{0,120})$", sent[d.end - base:a.start - base]) and not any(
        o.kind not in ("date", "period") and d.end <= o.start < a.start for o in atoms)]
    if before:
        return before[-1]
    # 'China's score was six times Russia's in 2022': a year later in the clause, no other figure between
    later = [d for d in dates if d.start >= a.end and d.start - a.end <= 80 and ";" not in sent[a.end - base:d.start - base]
             and not any(o.kind not in ("date", "period") and a.end <= o.start < d.start for o in atoms)]
    return later[0] if later else None


CITATION_LIKE = re.compile(r"©|\bcopyright\b|^\s*[A-Z][\w-]+,\s+(?:[A-Z]\.\s?)+\(\d{4}\)", re.I)
LATEST = re.compile(r"\b(now|today|currently|at present|presently|this year|these days|nowadays)\b", re.I)


def _kind_of_percent(sent: str, rel: int) -> str:
    ctx = sent[max(0, rel - 80): rel + 80].lower()
    return "share" if re.search(r"share|accounts? for|account(ed|ing) for|of (its|their|the|all)? ?total|"
                                r"proportion|of (the )?[a-z]+'s|\bof\b [^.]{0,40}(market|imports|exports|trade|sales)", ctx) else "percentage"


def _states_for(kind: str, sent: str, base: int, quantity_at: int, mentions: list[tuple[str, int, bool]]) -> list[str]:
    """States in the measure's reading order: for shares the whole (base) first, then the part.

    ``quantity_at`` and the mention positions are document positions; ``base`` is where ``sent`` starts.
    """
    codes = list(dict.fromkeys(c for c, _, _ in mentions))
    whole = None
    if kind == "ranking":
        # "Russia's largest trading partner": the possessive before the superlative is the whole
        pos = [h for h in mentions if h[2] and h[1] <= quantity_at]
        whole = pos[-1][0] if pos else None
    elif kind in ("share", "percentage"):
        rel = quantity_at - base
        lo = max(0, rel - 60)
        m = re.search(r"\bof\s+(?:the\s+)?(its|their|[A-Z][\w'-]+(?:\s[A-Z][\w'-]+)?)", sent[lo:])
        if m:
            at = base + lo + m.start(1)
            if m.group(1).lower() in ("its", "their"):
                prior = [h for h in mentions if h[1] < at]
                poss = [h for h in prior if h[2]]
                whole = (poss[-1] if poss else prior[-1])[0] if prior else None
            else:
                hit = [h for h in mentions if h[1] == at]
                whole = hit[0][0] if hit else None
    if whole:
        rest = [c for c in codes if c != whole and c != "EUU"] + [c for c in codes if c == "EUU" and c != whole]
        return [whole] + rest
    return codes


def extract(doc: Document, gazetteer: Gazetteer) -> list[Claim]:
    """Every quantitative statement of a document, in order.

    Args:
        doc: the prepared document.
        gazetteer: the state names to look for.

    Returns:
        Claims without measures (see :func:`dyadic.framework.claims.vocabulary.Vocabulary.assign`).
    """
    claims: list[Claim] = []
    text = doc.text
    last_range: str | None = None
    for s0, s1 in sentences(text):
        sent = text[s0:s1]
        if not re.search(r"\d|\b(?:" + WORDNUM + r"|half|third|quarter|double|twice|triple|largest|biggest|longest|top|leading|main)\b", sent, re.I):
            continue
        atoms = find_atoms(sent, s0)
        if not atoms:
            continue
        mentions = [(c, s0 + p, poss) for c, p, poss in gazetteer.find(sent)]
        raw_sent = doc.raw[s0:s1]
        in_refs = s0 >= doc.references_at
        made: list[tuple[str, Atom, dict]] = []
        quantities = [a for a in atoms if a.kind not in ("date", "period")]
        consumed: set[int] = set()
        new: list[Claim] = []
        years = [a.period for a in atoms if a.kind in ("date", "period") and a.period and not a.fiscal]
        # growth: from Q1 [in P1] to Q2 [in P2]
        for i, q1 in enumerate(quantities):
            if i in consumed or i + 1 >= len(quantities):
                continue
            q2 = quantities[i + 1]
            same = {q1.kind, q2.kind} <= {"money"} or {q1.kind, q2.kind} <= {"percent", "fraction"} or q1.kind == q2.kind
            before = sent[max(0, q1.start - s0 - 40):q1.start - s0]
            between = sent[q1.end - s0:q2.start - s0]
            if same and re.search(r"\bfrom\s+(?:an average of\s+|about\s+|some\s+|around\s+|roughly\s+)?$", before, re.I) \
                    and re.fullmatch(r"[^.;]{0,40}?\bto\s+(?:an average of\s+|about\s+|some\s+|around\s+|roughly\s+|almost\s+|nearly\s+)?", between, re.I):
                p1 = _period_near(atoms, q1, sent, s0, after_only=True, limit=q2)
                if p1:
                    p1.used = True
                p2 = _period_near(atoms, q2, sent, s0, after_only=True)
                if p2:
                    p2.used = True
                head = sent[:q1.start - s0]
                down = re.search(rf"\b{DOWN}\b[^.;]*$", head, re.I)
                up = re.search(rf"\b{UP}\b[^.;]*$", head, re.I)
                direction = ("down" if down and (not up or down.start() > up.start()) else "up" if up else
                             ("up" if (q2.value or 0) > (q1.value or 0) else "down"))
                made.append(("growth", q2, dict(from_atom=q1, p1=p1, p2=p2, direction=direction,
                                               base_kind=_base_kind(q1, sent, s0), text_start=q1.start)))
                consumed |= {i, i + 1}
        for i, q in enumerate(quantities):
            if i in consumed:
                continue
            head = sent[max(0, q.start - s0 - 60):q.start - s0]
            verb = re.search(rf"\b(?P<up>{UP})?(?P<down>{DOWN})?\s+(?:by\s+)?(?:(?:about|around|some|roughly|nearly|almost|more than|less than|over)\s+)?$", head, re.I)
            if q.kind in ("percent", "money") and verb and (verb.group("up") or verb.group("down")) and \
                    re.search(r"\bby\s+(?:(?:about|around|some|roughly|nearly|almost|more than|less than|over)\s+)?$", head, re.I):
                sign = -1 if verb.group("down") else 1
                made.append(("growth_rate", q, dict(sign=sign)))
            elif q.kind == "multiple" and q.noun == "verb":
                made.append(("growth_multiple", q, {}))
            elif q.kind == "multiple":
                made.append(("ratio", q, {}))
            elif q.kind == "money":
                made.append(("amount", q, {}))
            elif q.kind == "percent" and re.match(r"\s*(?:(?:confidence|credible|prediction|bootstrap|posterior|residual-bootstrap)\s+)*"
                                                  r"(?:intervals?|confidence|CI\b)",
                                                  sent[q.end - s0:q.end - s0 + 30], re.I):
                made.append(("confidence level", q, {}))  # '90% interval': a level of confidence, not a share
            elif q.kind == "percent" and re.search(r"\b(?:top|bottom)\s*$", head, re.I):
                made.append(("percentile", q, {}))  # 'the bottom 1%': a rank, not a level
            elif q.kind == "percent" and re.search(r"\bby\s+(?:(?:about|around|some|nearly|almost|more than|over)\s+)?$", head, re.I):
                made.append(("difference", q, {}))  # 'exceeds ... by 57%': a gap between two levels
            elif q.kind in ("percent", "fraction"):
                made.append((_kind_of_percent(sent, q.start - s0) if q.kind == "percent" else "share", q, {}))
            elif q.kind == "pp":
                made.append(("percentage", q, {}))
            elif q.kind in ("distance", "area", "duration", "ranking", "count"):
                made.append((q.kind, q, {}))
        for kind, q, extra in made:
            claim = Claim(0, kind, q.value, q.unit, q.bound, doc.raw[q.start:q.end], q.start, q.end, None,
                          raw_sent, s0, noun=q.noun, in_references=in_refs)
            quote_before = sent[:q.start - s0]
            claim.quoted = (quote_before.count('"') % 2 == 1) or bool(re.search(r"(?:^|\s)'[^']*$", quote_before))
            if kind == "growth":
                q1 = extra["from_atom"]
                claim.from_value, claim.direction = q1.value, extra["direction"]
                claim.base_kind = extra["base_kind"]
                claim.start = q1.start
                claim.text = doc.raw[q1.start:q.end]
                if extra["p2"] is not None:
                    claim.period, claim.fiscal = extra["p2"].period, extra["p2"].fiscal
                if extra["p1"] is not None:
                    claim.from_period = extra["p1"].period
                if claim.bound == "=" and q1.bound != "=":
                    claim.bound = q1.bound
            elif kind == "growth_rate":
                claim.kind, claim.rate, claim.unit = "growth", extra["sign"] * (q.value or 0), "percent"
                claim.value, claim.direction, claim.base_kind = claim.rate, "down" if extra["sign"] < 0 else "up", "rate"
                if q.kind == "money":
                    claim.kind, claim.value, claim.rate, claim.unit, claim.base_kind = "growth", extra["sign"] * q.value, None, q.unit, "change"
                _growth_period(claim, atoms, sent, s0, q)
            elif kind == "growth_multiple":
                claim.kind, claim.rate, claim.base_kind = "growth", ((q.value or 1) - 1) * 100, "multiple"
                claim.direction = "up" if (q.value or 1) >= 1 else "down"
                _growth_period(claim, atoms, sent, s0, q)
            else:
                p = _period_near(atoms, q, sent, s0)
                if p is not None:
                    p.used = True
                    claim.period, claim.fiscal = p.period, p.fiscal
            if claim.period is None and last_range and re.search(r"\bthe same (?:years|period)\b", sent, re.I):
                claim.period, claim.period_note = last_range, "'the same years' as the sentence before"
            if claim.period is None and claim.kind not in ("date",) and LATEST.search(sent):
                claim.period = "latest"
                claim.period_note = f"'{LATEST.search(sent).group(1)}'"
            if kind == "growth" and claim.unit == "percent":
                claim.base_kind = "share"
            claim.states = _states_for(claim.kind if kind != "growth" else claim.base_kind or "growth", sent, s0,
                                       claim.start, mentions)
            pair = _dyad_label(sent, s0, claim.start, mentions, atoms)
            if pair:
                claim.states = pair
                lo, hi = grammar.clause_span(sent, s0, claim.start, claim.end)
                grammar.mark_no_measure(claim, sent[lo - s0:hi - s0])  # 'a Mexico-US trade war at 20 per cent'
            if not pair and kind != "date":
                grammar.refine(claim, sent, s0, mentions, years)
            new.append(claim)
        # 'between 10 and 12 per cent': the upper end is part of the first claim, not a claim of its own
        new = [c for c in new if not any(o is not c and o.start <= c.start < o.end for o in new)]
        for a, b, bound, pair in grammar.comparisons(sent, s0, mentions, [(q.start, q.end) for q in quantities]):
            claim = Claim(0, "ratio", 1.0, "ratio", bound, doc.raw[a:b], a, b, None, raw_sent, s0,
                          noun="comparison", states=pair, in_references=in_refs)
            p = next((d for d in atoms if d.kind in ("date", "period") and not d.fiscal), None)
            if p is not None:
                p.used = True
                claim.period = p.period
            if len(set(years)) > 1:
                claim.ambiguity = f"the sentence names several years ({', '.join(dict.fromkeys(years))})"
            new.append(claim)
        claims.extend(new)
        ranges = [a.period for a in atoms if a.kind == "period" and a.period and "/" in a.period and not a.fiscal]
        if ranges:
            last_range = ranges[0]
        # dates no other quantity uses are statements of their own (outside the references)
        if not in_refs and not CITATION_LIKE.search(sent) and len(sent.split()) >= 5:
            for d in atoms:
                if d.kind in ("date", "period") and not d.used:
                    claim = Claim(0, "date", d.value, "date", d.bound, doc.raw[d.start:d.end], d.start, d.end,
                                  d.period, raw_sent, s0, fiscal=d.fiscal)
                    claim.states = [c for c in dict.fromkeys(c for c, _, _ in mentions)]
                    claims.append(claim)
    claims.sort(key=lambda c: c.start)
    for i, c in enumerate(claims, 1):
        c.id = i
    return claims


def _dyad_label(sent: str, s0: int, at: int, mentions: list[tuple[str, int, bool]], atoms: list[Atom]) -> list[str] | None:
    """'China-United States 13.9%', 'CHN-USA 2.9%': a dyad label right before the figure names its pair."""
    prev = max([a.end for a in atoms if a.end <= at and a.kind not in ("date", "period")], default=s0)
    local = [h for h in mentions if prev <= h[1] < at]
    if len(local) < 2:
        return None
    (a, pa, _), (b, pb, _) = local[-2], local[-1]
    if a != b and re.fullmatch(r"[\w.' ]+?\s*-\s*", sent[pa - s0:pb - s0]) and \
            re.fullmatch(r"[\w.' ]*?\s*(?:'s)?\s*:?\s*", sent[pb - s0:at - s0]):
        return [a, b]
    return None


def _base_kind(q: Atom, sent: str, s0: int) -> str:
    return {"money": "amount", "percent": "share", "fraction": "share"}.get(q.kind, q.kind)


def _growth_period(claim: Claim, atoms: list[Atom], sent: str, s0: int, q: Atom) -> None:
    rng = re.search(rf"(?:between|from)\s+(?:(?:{MONTH_RE})\s+)?({YEAR})\s+(?:and|to)\s+(?:(?:{MONTH_RE})\s+)?({YEAR})", sent)
    since = re.search(rf"\bsince\s+(?:(?:{MONTH_RE})\s+)?({YEAR})", sent)
    if rng:
        claim.from_period, claim.period = rng.group(1), rng.group(2)
    elif since:
        claim.from_period, claim.period = since.group(1), "latest"
    else:
        p = _period_near(atoms, q, sent, s0)
        if p is not None:
            claim.period = p.period
            claim.period_note = "change over the year before (no starting period stated)"
    for d in atoms:
        if d.kind in ("date", "period") and (d.period in (claim.period, claim.from_period)):
            d.used = True


from dyadic.framework.claims import grammar  # noqa: E402  (grammar imports Claim from this module)
