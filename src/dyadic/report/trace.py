"""Every number the brief states, carried with what produced it.

A section formats a number through :func:`num` instead of an f-string: the text it prints is recorded with
the value, the measure, the source, the year and the rows behind it, in the :class:`Ledger` of the brief
being built (:func:`recording`). The appendix is then a trace table of these figures rather than a re-parse
of the prose, and the self-check compares the brief with itself: each figure must be printed in the findings
or the bottom line as recorded, and the same measure of the same rows must read the same everywhere.
"""

from __future__ import annotations

import contextvars
import html
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

#: formats: name -> function of the value giving the printed text.
FORMATS = {
    "pct0": lambda v: f"{100 * v:.0f}%",
    "pct1": lambda v: f"{100 * v:.1f}%",
    "pp1": lambda v: f"{100 * v:.1f} points",
    "int": lambda v: f"{round(v):,}",
    "f0": lambda v: f"{v:.0f}",
    "f1": lambda v: f"{v:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "sf2": lambda v: f"{v:+.2f}",
    "f3": lambda v: f"{v:.3f}",
    "sf3": lambda v: f"{v:+.3f}",
    "sf4": lambda v: f"{v:+.4f}",
    "usd_bn": lambda v: f"US$ {v / 1e9:.1f} bn",
    "ord": lambda v: _ordinal(v),
    # probabilities to the nearest 5 points (what the futures back-test resolves; docs/methods/futures.md)
    "p5": lambda v: "under 5%" if v < 0.025 else f"{5 * round(20 * v)}%",
    "p5lo": lambda v: f"{5 * math.floor(20 * v + 1e-9)}%",
    "p5hi": lambda v: f"{5 * math.ceil(20 * v - 1e-9)}%",
}


def prob(p: float, lo: float | None, hi: float | None, measure: str, source: str, year, rows: str,
         word: str = "") -> str:
    """A probability to the nearest 5 points with its interval widened outward to 5-point steps; the interval
    is left out when it rounds to one value (never '1%–1%')."""
    text = num(p, "p5", measure, source, year, rows)
    if lo is None or hi is None or FORMATS["p5lo"](lo) == FORMATS["p5hi"](hi) or hi < 0.025:
        return text
    return (f"{text} ({word}{num(lo, 'p5lo', measure + '_lo', source, year, rows)}–"
            f"{num(hi, 'p5hi', measure + '_hi', source, year, rows)})")


def _ordinal(x: float) -> str:
    n = round(x)
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


@dataclass
class Figure:
    """One stated number: ``text`` is what the brief prints, made from ``value`` by ``fmt``."""

    text: str
    value: float
    fmt: str
    measure: str
    source: str
    year: int | str | None
    rows: str
    question: int | None = None

    def key(self) -> tuple:
        """What the figure is a measurement of: two figures with the same key must print the same."""
        return (self.measure, self.rows, str(self.year), self.fmt)


@dataclass
class Ledger:
    """The figures of one brief, in the order they were formatted."""

    figures: list[Figure] = field(default_factory=list)
    question: int | None = None

    def as_records(self) -> list[dict]:
        return [asdict(f) for f in self.figures]


_current: contextvars.ContextVar[Ledger | None] = contextvars.ContextVar("dyadic_brief_ledger", default=None)


@contextmanager
def recording(ledger: Ledger | None = None) -> Iterator[Ledger]:
    """Collect the figures formatted with :func:`num` inside the block."""
    ledger = ledger or Ledger()
    token = _current.set(ledger)
    try:
        yield ledger
    finally:
        _current.reset(token)


@contextmanager
def question(n: int) -> Iterator[None]:
    """Figures formatted inside the block belong to question ``n``."""
    led = _current.get()
    prev = led.question if led else None
    if led:
        led.question = n
    try:
        yield
    finally:
        if led:
            led.question = prev


def num(value: float | None, fmt: str, measure: str, source: str, year: int | str | None, rows: str) -> str:
    """``value`` printed by format ``fmt`` (see :data:`FORMATS`), recorded in the current ledger.

    Args:
        measure: what the number measures (e.g. ``unga_agreement``).
        source: the dataset(s) it comes from (source names of the store).
        year: the year (or span) it stands on.
        rows: the rows that produced it, in words a reader can look up (table, dyad, filter, n).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    text = FORMATS[fmt](value)
    led = _current.get()
    if led is not None:
        led.figures.append(Figure(text, float(value), fmt, measure, source, year, rows, led.question))
    return text


def plain(fragment: str) -> str:
    """A finding as plain text (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


@dataclass
class Disagreement:
    figure: Figure
    why: str


def printed(text: str, prose: str) -> bool:
    """Whether ``text`` stands in ``prose`` as a number of its own ('99' is not printed by '99th' or '99.9%')."""
    return re.search(r"(?<![\w.])" + re.escape(text) + r"(?![\w%]|\.\d)", prose) is not None


def self_check(figures: list[Figure], prose: dict[int | None, str]) -> list[Disagreement]:
    """Where the brief disagrees with itself.

    A figure disagrees when its text is not what its format gives for its value, when it is not printed
    in its question's prose (the findings and bottom line of that question), or when another figure of the
    same measure, rows, year and format prints a different text.

    Args:
        figures: the ledger's figures.
        prose: question number -> the plain text printed for it (None: the whole brief).
    """
    out: list[Disagreement] = []
    seen: dict[tuple, Figure] = {}
    every = " ".join(prose.values())
    for f in figures:
        if FORMATS[f.fmt](f.value) != f.text:
            out.append(Disagreement(f, f"printed {f.text!r} but its value {f.value!r} formats as "
                                       f"{FORMATS[f.fmt](f.value)!r}"))
        where = prose.get(f.question, every)
        if not printed(f.text, where):
            out.append(Disagreement(f, f"recorded for question {f.question} but not printed there"))
        first = seen.setdefault(f.key(), f)
        if first.text != f.text:
            out.append(Disagreement(f, f"the same measure of the same rows is printed as {first.text!r} elsewhere"))
    return out


_NUMBER = re.compile(r"(?<![\w.])[+\-−]?\d[\d,]*(?:\.\d+)?%?")
_YEARLIKE = re.compile(r"^(1[89]\d\d|20\d\d)$")


def untraced(prose: str, figures: list[Figure]) -> list[str]:
    """Numbers in the prose that no figure accounts for (years and dates excluded: they are labels)."""
    texts = " ".join(f.text for f in figures)
    prose = re.sub(r"\d{4}-\d{2}(-\d{2})?", " ", prose)  # ISO dates and months
    prose = re.sub(r"\b(1[89]|20)\d\d[–-](1[89]|20)?\d\d\b", " ", prose)  # year spans
    out = []
    for m in _NUMBER.finditer(prose):
        tok = m.group(0).lstrip("+-−")
        if _YEARLIKE.match(tok) or tok in texts:
            continue
        out.append(m.group(0))
    return out
