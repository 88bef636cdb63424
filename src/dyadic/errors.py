"""Errors a user can act on. Each message says what went wrong, where, and what to do next."""

from __future__ import annotations


class DyadicError(Exception):
    """Base class: an error whose message is meant for the user, shown without a traceback."""


class SourceMissingError(DyadicError):
    """A source file is not in the data folder, the cache, and could not be downloaded."""


class SourceFormatError(DyadicError):
    """A source file is truncated, corrupt, lacks a column or holds a value that cannot be parsed."""


class UnknownStateError(DyadicError):
    """A country code or name that the registry cannot resolve."""


class AmbiguousStateError(UnknownStateError):
    """A name that fits more than one state ("Korea", "Congo"); the message lists the codes to use instead."""


class NotIngestedError(DyadicError):
    """An analysis needs a source that has not been ingested into the store yet."""


class RequestError(DyadicError):
    """A malformed request: bad year range, unknown option value, and the like."""
