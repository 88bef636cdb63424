"""One protocol for dyadic's registries: connectors, panel verbs, shared products, live updaters, claim checks.

Each kind has one :class:`Catalog`, filled where its entries are defined (one registration beside the code),
and each entry says what it **needs** (the sources it reads) and what it **provides** (the tables, columns or
kept results it adds), so the CLI can say what to ingest first and the docs and tests can list and check
every entry the same way::

    ADDERS = Catalog("panel verb")

    @ADDERS.register("contiguity", needs=("cow_contiguity",), provides=("contig", "mindist_km"))
    def add_contiguity(panel, store): ...

``ADDERS["contiguity"]`` is the function; ``ADDERS.entry("contiguity")`` the whole :class:`Entry`. An unknown
name is a :class:`~dyadic.errors.RequestError` that lists the known ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from dyadic.errors import RequestError

T = TypeVar("T")


class UnknownEntry(RequestError, KeyError):
    """A name no entry of the catalog has (a ``KeyError`` too, so ``in`` and ``get`` work as for a dict)."""

    __str__ = RequestError.__str__  # KeyError would quote the message


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered thing, with what it reads and what it adds."""

    name: str
    value: T
    needs: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    #: anything else of the kind's protocol (e.g. how many states a claim check takes)
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def doc(self) -> str:
        """The first line of the entry's docstring."""
        text = (getattr(self.value, "__doc__", None) or "").strip()
        return text.splitlines()[0] if text else ""


class Catalog(Mapping[str, T]):
    """The entries of one kind, by name, in registration order.

    Args:
        kind: what an entry is, for messages ("panel verb", "source").
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def add(self, name: str, value: T, *, needs: Iterable[str] = (), provides: Iterable[str] = (),
            **meta: Any) -> T:
        """Register ``value`` as ``name`` (a name is registered once) and return it."""
        if name in self._entries:
            raise ValueError(f"{self.kind} '{name}' is registered twice")
        self._entries[name] = Entry(name, value, tuple(needs), tuple(provides), dict(meta))
        return value

    def register(self, name: str, *, needs: Iterable[str] = (), provides: Iterable[str] = (),
                 **meta: Any) -> Callable[[T], T]:
        """:meth:`add` as a decorator."""
        def deco(value: T) -> T:
            return self.add(name, value, needs=needs, provides=provides, **meta)

        return deco

    def entry(self, name: str) -> Entry[T]:
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownEntry(f"unknown {self.kind} '{name}'; known: {', '.join(self._entries)}") from None

    def entries(self) -> list[Entry[T]]:
        return list(self._entries.values())

    def __getitem__(self, name: str) -> T:
        return self.entry(name).value

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Catalog({self.kind!r}: {', '.join(self._entries)})"

    def copy(self) -> "Catalog[T]":
        """Another catalog with the same entries (adding to it leaves this one as it is)."""
        other: Catalog[T] = Catalog(self.kind)
        other._entries = dict(self._entries)
        return other

    def replace(self, name: str, value: T) -> T:
        """Put ``value`` in the place of entry ``name`` (its declarations kept) and return the old value: for
        a test's fake or a user's own implementation of a registered thing."""
        old = self.entry(name)
        self._entries[name] = Entry(name, value, old.needs, old.provides, old.meta)
        return old.value

    def missing(self, name: str, has_source: Callable[[str], bool]) -> list[str]:
        """The sources entry ``name`` needs that ``has_source`` says are absent."""
        return [s for s in self.entry(name).needs if not has_source(s)]
