"""Checks of command-line values, made before a store is opened or a job is started.

Each check raises :class:`RequestError` naming the option and saying what to give instead, so a bad value is
one clear line (exit 2) and never a traceback from deep inside an estimator.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date

from dyadic.errors import RequestError

FIRST_YEAR = 1816  # the COW state system begins in 1816: no source holds an earlier year
UN_FIRST_YEAR = 1946  # the first UN General Assembly session
FORMS = {1: "YYYY", 2: "YYYY-MM", 3: "YYYY-MM-DD"}


def last_year() -> int:
    """The current year: no source holds a later one."""
    return date.today().year


def year(value: int | None, option: str, first: int = FIRST_YEAR) -> int | None:
    """A year within the data's span (``None`` passes: the option was not given)."""
    if value is not None and not first <= value <= last_year():
        raise RequestError(f"{option} {value} is not a year between {first} and {last_year()}: "
                           "give one in that range")
    return value


def years(start: int | None, end: int | None, first: int = FIRST_YEAR) -> tuple[int | None, int | None]:
    """``--from`` and ``--to``: each within the data's span, the first not after the last."""
    year(start, "--from", first)
    year(end, "--to", first)
    if start is not None and end is not None and start > end:
        raise RequestError(f"--from {start} is after --to {end}: give the earlier year first")
    return start, end


def _first_day(text: str, option: str, what: str, parts: tuple[int, ...], example: str) -> date:
    """The first day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (the forms allowed by ``parts``)."""
    fields = text.strip().split("-")
    try:
        if len(fields) not in parts or not all(re.fullmatch("[0-9]{4}" if i == 0 else "[0-9]{2}", f)
                                               for i, f in enumerate(fields)):
            raise ValueError(text)
        first = date(*(int(f) for f in fields), *[1] * (3 - len(fields)))
    except ValueError:
        forms = ", ".join(FORMS[n] for n in parts[:-1]) + (" or " if len(parts) > 1 else "") + FORMS[parts[-1]]
        raise RequestError(f"{option} '{text}' is not a valid {what} ({forms}, e.g. {example})") from None
    if not FIRST_YEAR <= first.year <= last_year():
        raise RequestError(f"{option} '{text}' is not between {FIRST_YEAR} and {last_year()}: give a {what} "
                           "in that range")
    return first


def day(text: str, option: str) -> str:
    """A calendar date written YYYY-MM-DD, returned as written."""
    _first_day(text, option, "date", (3,), "2022-02-24")
    return text.strip()


def periods(start: str | None, end: str | None) -> tuple[str | None, str | None]:
    """``--from`` and ``--to`` as periods (YYYY, YYYY-MM or YYYY-MM-DD), the first not after the last."""
    lo = _first_day(start, "--from", "period", (1, 2, 3), "2022-03") if start is not None else None
    hi = _first_day(end, "--to", "period", (1, 2, 3), "2022-03") if end is not None else None
    if lo and hi and lo > hi:
        raise RequestError(f"--from {start} is after --to {end}: give the earlier period first")
    return (start.strip() if start is not None else None), (end.strip() if end is not None else None)


def count(value: int, option: str, unit: str, low: int = 1, high: int | None = None) -> int:
    """A whole number between ``low`` and ``high`` (a count of paths, a horizon in years)."""
    if value < low or (high is not None and value > high):
        span = f"between {low:,} and {high:,}" if high is not None else f"at least {low:,}"
        raise RequestError(f"{option} {value}: give {span} {unit}")
    return value


def positive(value: float, option: str) -> float:
    """A finite number above zero (a penalty multiplier)."""
    if not (math.isfinite(value) and value > 0):
        raise RequestError(f"{option} {value}: give a number above 0")
    return value


def choices(values: Iterable[str] | None, allowed: Iterable[str], option: str) -> list[str] | None:
    """Values that must each be one of ``allowed`` (``None`` passes: the default applies)."""
    if values is None:
        return None
    known = list(allowed)
    unknown = [v for v in values if v not in known]
    if unknown:
        raise RequestError(f"{option}: unknown value(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    return list(values)
