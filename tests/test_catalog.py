"""The one registry protocol: entries by name, what each needs and provides, clear errors; and the shipped
catalogs declare what their entries do."""

from __future__ import annotations

import pytest

from dyadic.catalog import Catalog, UnknownEntry
from dyadic.errors import RequestError


def test_register_look_up_and_declarations():
    c: Catalog = Catalog("panel verb")

    @c.register("x", needs=("src",), provides=("col_a", "col_b"), states=2)
    def add_x(panel, store):
        """Add x. More text."""
        return panel

    assert c["x"] is add_x and list(c) == ["x"] and len(c) == 1 and "x" in c and "y" not in c
    e = c.entry("x")
    assert (e.needs, e.provides, e.meta["states"], e.doc) == (("src",), ("col_a", "col_b"), 2, "Add x. More text.")
    assert c.missing("x", lambda s: False) == ["src"] and c.missing("x", lambda s: True) == []


def test_unknown_name_is_a_request_error_listing_the_known_ones():
    c: Catalog = Catalog("source")
    c.add("cow_trade", object())
    with pytest.raises(RequestError, match=r"unknown source 'cow_trde'; known: cow_trade"):
        c["cow_trde"]
    with pytest.raises(UnknownEntry):
        c.entry("nope")
    assert c.get("nope") is None  # a Mapping: get and `in` work as for a dict


def test_a_name_is_registered_once_copies_and_replacements_are_separate():
    c: Catalog = Catalog("claim check")
    c.add("a", 1, needs=("s",))
    with pytest.raises(ValueError, match="registered twice"):
        c.add("a", 2)
    other = c.copy()
    other.add("b", 3)
    assert "b" not in c
    assert c.replace("a", 9) == 1 and c["a"] == 9 and c.entry("a").needs == ("s",)


def test_shipped_catalogs_name_their_entries_and_declare_them():
    from dyadic.framework import load_all, prepare_order
    from dyadic.framework.claims.match import CHECKS
    from dyadic.indicators.panel import ADDERS
    from dyadic.sources import SOURCES
    from dyadic.sources.updaters import UPDATERS

    for cat in (SOURCES, ADDERS, load_all(), UPDATERS, CHECKS):
        for e in cat.entries():
            if cat is not CHECKS:  # a check's vocabulary entry (claims_vocabulary.toml) says what it measures
                assert e.provides, (cat.kind, e.name)
                assert e.doc, f"{cat.kind} {e.name} has no docstring"
    assert all(SOURCES.entry(n).provides == tuple(SOURCES[n].schema) for n in SOURCES)
    assert all(n in SOURCES for e in ADDERS.entries() for n in e.needs)  # a verb needs real sources
    assert all(e.provides == (e.name,) for e in UPDATERS.entries())  # an updater renews its own source
    order = prepare_order()
    assert all(order.index(d) < order.index(n) for n in order for d in load_all().entry(n).needs)


def test_a_verb_without_its_sources_says_what_to_ingest(tmp_path):
    from dyadic.errors import NotIngestedError
    from dyadic.indicators.panel import ADDERS
    from dyadic.store import Store

    with Store.open(tmp_path / "s.duckdb") as st:  # empty: the verb stops before it reads the panel
        with pytest.raises(NotIngestedError, match=r"add_mids needs the MID data: run 'dyadic ingest mids_cow_gml' "
                                                    r"first"):
            ADDERS["mids"](None, st)
        with pytest.raises(NotIngestedError, match=r"run 'dyadic ingest alliances_atop_levels "
                                                    r"treaties_after_sources' first"):
            ADDERS["obligations"](None, st)
