"""Shared by the framework tests: the staged sources the drivers, classifier and triangle read."""

from __future__ import annotations

from conftest import source_dir

from dyadic.store import ingest

FRAMEWORK_SOURCES = ["alliances_atop_cow", "mme_military_exercises", "cow_trade", "wb_gdp", "cow_nmc",
                     "sipri_milex", "gdelt_daily_country_graph"]


def framework_store(unga_store, settings):
    """The session UNGA store plus every source the framework reads (ingest is idempotent)."""
    for name in FRAMEWORK_SOURCES:
        source_dir(name)
    ingest(unga_store, settings, FRAMEWORK_SOURCES)
    return unga_store
