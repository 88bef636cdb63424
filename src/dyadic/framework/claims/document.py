"""Reading a text to check: Markdown, plain text or HTML, with markup masked out so positions stay true.

Markup is replaced by spaces of the same length rather than removed, so every character position the
checker reports is a position in the file as written. Footnote markers (``<sup>10</sup>``), URLs and the
numbers of numbered list items would otherwise be read as quantities.
"""

from __future__ import annotations

import html
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from dyadic.errors import DyadicError

#: characters normalised one-for-one (lengths never change)
FOLD = str.maketrans({"\u2011": "-", "\u2010": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
                      "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2018": "'", "\u2019": "'",
                      "\u201c": '"', "\u201d": '"', "\u00ad": " "})
MONTHS = ("January February March April May June July August September October November December").split()
MONTH_RE = "|".join(MONTHS)
REFERENCE_HEADINGS = re.compile(r"^\s*(?:#+\s*)?(?:\*\*)?\s*(end\s*notes|endnotes|notes|references|bibliography|"
                                r"sources|footnotes)\s*(?:\*\*)?\s*$", re.I | re.M)


#: the largest text 'dyadic check' reads (a long report is well under 1 MB; more is likely not a text at all)
MAX_BYTES = 5 * 2**20


class ClaimsInputError(DyadicError):
    """The text to check cannot be read."""


@dataclass
class Document:
    """A text prepared for extraction.

    Args:
        path: where it came from (None for a string).
        raw: the text as written.
        text: the same text with markup masked by spaces (same length as ``raw``).
        fmt: ``markdown``, ``text`` or ``html``.
        title: the first heading (or HTML title), if any.
        year: the text's own date (year), found near its top, if any.
        month: its month, if found.
        references_at: position where an endnotes/references section starts (len(text) if none).
    """

    path: Path | None
    raw: str
    text: str
    fmt: str
    title: str | None
    year: int | None
    month: int | None
    references_at: int

    @property
    def pages(self) -> float:
        """Length in pages of 3,000 characters (about 500 words)."""
        return len(self.raw) / 3000


def _blank(m: re.Match) -> str:
    return re.sub(r"[^\n]", " ", m.group(0))


IDENTIFIER = re.compile(r".*(?:_.*\d|\d.*_)|.+\.(?:s?html?|pdf|aspx?|php)\b|.+/.+/|.*\d{5,}/")


def _identifier(m: re.Match) -> str:
    return " " * len(m.group(0)) if IDENTIFIER.match(m.group(0)) else m.group(0)


def mask_markdown(raw: str) -> str:
    t = raw.translate(FOLD)
    t = re.sub(r"<sup>.*?</sup>", _blank, t, flags=re.S | re.I)
    t = re.sub(r"<[^>\n]{1,200}>", _blank, t)
    t = re.sub(r"\]\([^)\s]*\)", _blank, t)  # link targets
    t = re.sub(r"https?://\S+|www\.\S+|\S+@\S+\.\w+", _blank, t)
    # identifiers and broken URLs in endnotes (t20240517\_11306326.html, fnapr\_7007)
    t = re.sub(r"\S*[_/]\S*|\S+\.(?:s?html?|pdf|aspx?|php)\b\S*", _identifier, t)
    t = re.sub(r"\\(?=[_*\[\]()#])", " ", t)
    t = re.sub(r"\*\*|__|(?<!\w)[*_](?=\S)|(?<=\S)[*_](?!\w)", _blank, t)
    t = re.sub(r"^[ \t]*#{1,6}[ \t]", _blank, t, flags=re.M)
    # numbers of numbered list items and of contents lines ("- 12. ...", "- 4 Introduction")
    t = re.sub(r"^([ \t]*(?:[-*+][ \t]+)?)(\d{1,3}\.)(?=[ \t])", lambda m: m.group(1) + " " * len(m.group(2)), t, flags=re.M)
    t = re.sub(r"^([ \t]*[-*+][ \t]+)(\d{1,3})(?=[ \t]+[A-Z])", lambda m: m.group(1) + " " * len(m.group(2)), t, flags=re.M)
    return t


def mask_html(raw: str) -> str:
    t = raw.translate(FOLD)
    t = re.sub(r"<(script|style|head)\b.*?</\1\s*>", _blank, t, flags=re.S | re.I)
    t = re.sub(r"<!--.*?-->", _blank, t, flags=re.S)
    t = re.sub(r"<sup\b.*?</sup\s*>", _blank, t, flags=re.S | re.I)

    def tag(m: re.Match) -> str:
        # block-level tags end a sentence: leave a line break in their place
        block = re.match(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|section|article|blockquote|title|hr)\b",
                         m.group(0), re.I)
        s = _blank(m)
        return ("\n\n" + s[2:]) if block and len(s) >= 2 else s

    t = re.sub(r"<[^>]*>", tag, t)

    def entity(m: re.Match) -> str:
        ch = html.unescape(m.group(0)).translate(FOLD)
        return (ch if len(ch) == 1 else " ") + " " * (len(m.group(0)) - 1)

    t = re.sub(r"&(#\d+|#x[0-9a-f]+|\w+);", entity, t, flags=re.I)
    t = re.sub(r"https?://\S+", _blank, t)
    return t


def sniff_format(path: Path | None, raw: str) -> str:
    suffix = path.suffix.lower() if path else ""
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".txt", ".text"):
        return "text"
    head = raw[:2000].lower()
    if "<html" in head or "<!doctype html" in head or "<body" in head:
        return "html"
    return "markdown"


def find_title(raw: str, text: str, fmt: str) -> str | None:
    if fmt == "html":
        m = re.search(r"<title[^>]*>(.*?)</title>", raw, re.S | re.I) or re.search(r"<h1[^>]*>(.*?)</h1>", raw, re.S | re.I)
        return re.sub(r"<[^>]+>|\s+", " ", html.unescape(m.group(1))).strip() if m else None
    m = re.search(r"^#[ \t]+(.+)$", raw, re.M)
    if m:
        return re.sub(r"[*_]", "", m.group(1)).strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), None)
    return first[:200] if first else None


def find_date(text: str) -> tuple[int | None, int | None]:
    """The text's own date: the first 'Month YYYY' (else a copyright year) in its opening 3,000 characters."""
    head = text[:3000]
    m = re.search(rf"\b({MONTH_RE})\s+(\d{{4}})\b", head)
    if m:
        return int(m.group(2)), MONTHS.index(m.group(1)) + 1
    m = re.search(r"(?:©|copyright)\s*(?:[^\d\n]{0,60})?(\d{4})", head, re.I)
    return (int(m.group(1)), None) if m else (None, None)


def from_string(raw: str, fmt: str = "markdown", path: Path | None = None) -> Document:
    """Prepare a string for extraction.

    Args:
        raw: the text.
        fmt: ``markdown``, ``text`` or ``html``.
        path: the file it came from, if any.
    """
    if fmt not in ("markdown", "text", "html"):
        raise ClaimsInputError(f"unknown input format '{fmt}': use markdown, text or html")
    if fmt == "html":
        text = mask_html(raw)
    elif fmt == "markdown":
        text = mask_markdown(raw)
    else:
        text = re.sub(r"https?://\S+", _blank, raw.translate(FOLD))
    assert len(text) == len(raw)
    m = REFERENCE_HEADINGS.search(text)
    year, month = find_date(text)
    return Document(path, raw, text, fmt, find_title(raw, text, fmt), year, month, m.start() if m else len(text))


def read_document(path: str | Path) -> Document:
    """Read a Markdown, plain-text or HTML file of at most MAX_BYTES, in UTF-8 (or UTF-16 with a BOM).

    Raises:
        ClaimsInputError: the file is missing, a folder, not a regular file (a device or pipe), too large,
        unreadable, binary (a PDF, say) or not UTF-8 text.
    """
    path = Path(path)
    if not path.exists():
        raise ClaimsInputError(f"{path}: no such file")
    if path.is_dir():
        raise ClaimsInputError(f"{path}: is a folder, not a text file")
    try:
        # Non-blocking, so a named pipe without a writer cannot hang the open; the type is checked on the open
        # descriptor (not the name) so the file cannot be swapped in between.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise ClaimsInputError(f"{path}: is not a regular file (a device, pipe or socket): give a "
                                       "Markdown, plain-text or HTML file")
            data = fh.read(MAX_BYTES + 1)  # one byte more than allowed tells a file at the cap from a larger one
    except OSError as exc:
        raise ClaimsInputError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise ClaimsInputError(f"{path}: is larger than {MAX_BYTES // 2**20} MB, the most 'dyadic check' reads: "
                               "split the text into smaller files")
    if data.startswith(b"%PDF"):
        raise ClaimsInputError(f"{path}: is a PDF; convert it to text or HTML first (for example with pdftotext)")
    if b"\x00" in data[:8192] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ClaimsInputError(f"{path}: is a binary file, not Markdown, plain text or HTML")
    try:
        raw = data.decode("utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClaimsInputError(f"{path}: is not UTF-8 text ({exc}); save it as UTF-8") from exc
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return from_string(raw, sniff_format(path, raw), path)
