"""Shared by the framework tests: the staged sources the drivers, classifier and triangle read."""

from __future__ import annotations

from conftest import UNGA_SOURCES, staged_store

FRAMEWORK_SOURCES = ["alliances_atop_cow", "mme_military_exercises", "cow_trade", "wb_gdp", "cow_nmc",
                     "sipri_milex", "gdelt_daily_country_graph"]


def framework_store(tmp_path_factory, label: str):
    """A new store with the UN vote sources and every source the framework reads (the caller closes it)."""
    return staged_store(tmp_path_factory, label, [*UNGA_SOURCES, *FRAMEWORK_SOURCES])
