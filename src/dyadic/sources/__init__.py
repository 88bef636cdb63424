"""Connectors: one module per family of public datasets. ``SOURCES`` lists every connector by name."""

from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import CountryCodes, Registry
from dyadic.sources.unga import UNDigitalLibraryVotes, VoetenVotes

SOURCES: dict[str, type[Source]] = {
    cls.name: cls for cls in (CountryCodes, VoetenVotes, UNDigitalLibraryVotes)
}

__all__ = ["SOURCES", "IngestResult", "RemoteFile", "Source", "Registry"]
