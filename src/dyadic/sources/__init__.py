"""Connectors: one module per family of public datasets. ``SOURCES`` lists every connector by name, in the
order ``dyadic ingest --all`` reads them (the country registry first: the others map their codes through it).

A new connector is a module with a :class:`Source` subclass and one entry in ``CONNECTORS`` (the order of
``ingest --all``); :data:`SOURCES` is the :class:`~dyadic.catalog.Catalog` made from it.
"""

from dyadic.catalog import Catalog
from dyadic.sources.alliances import Alliances
from dyadic.sources.arms import SipriArmsTransfers
from dyadic.sources.atop_levels import AtopLevels, CuratedTreaties
from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.conflict import CowContiguity, Mids, Rivalries
from dyadic.sources.dots import ImfDotsAllReporters, ImfDotsRussiaWorld
from dyadic.sources.exercises import MilitaryExercises
from dyadic.sources.facts import CuratedFacts
from dyadic.sources.gdelt import GdeltRawSamples
from dyadic.sources.gdelt_graph import GdeltDailyCountryGraph
from dyadic.sources.icews import IcewsNetify
from dyadic.sources.ideal_points_published import PublishedIdealPoints
from dyadic.sources.politics import CowIgo, Democracy
from dyadic.sources.power import CowNmc, SipriMilex, WorldBankGdp
from dyadic.sources.registry import CountryCodes, Registry
from dyadic.sources.reported import PressReportedFigures
from dyadic.sources.trade import CensusUsaChinaMonthly, CowTrade, ImfDots
from dyadic.sources.unga import UNDigitalLibraryVotes, VoetenVotes
from dyadic.sources.vetoes import UnscVetoes
from dyadic.sources.visits import CeiasLeaderVisits

CONNECTORS: tuple[type[Source], ...] = (
    CountryCodes,
    # UN votes and ideal points
    VoetenVotes, UNDigitalLibraryVotes, PublishedIdealPoints, UnscVetoes,
    # trade
    CowTrade, ImfDots, CensusUsaChinaMonthly, ImfDotsAllReporters, ImfDotsRussiaWorld,
    # capabilities
    CowNmc, SipriMilex, WorldBankGdp,
    # obligations, exercises, arms
    Alliances, AtopLevels, CuratedTreaties, MilitaryExercises, SipriArmsTransfers,
    # conflict, borders, regimes, IGOs
    CowContiguity, Mids, Rivalries, Democracy, CowIgo,
    # events and contacts
    GdeltRawSamples, GdeltDailyCountryGraph, IcewsNetify, CeiasLeaderVisits,
    # curated and reported facts (never model inputs)
    CuratedFacts, PressReportedFigures,
)
#: every connector by name: it needs the country registry (unless it is the registry) and provides its tables
SOURCES: Catalog[type[Source]] = Catalog("source")


def add_connector(cls: type[Source]) -> type[Source]:
    """Register a connector in :data:`SOURCES` (once: a name already there is kept)."""
    if cls.name not in SOURCES:
        SOURCES.add(cls.name, cls, needs=(CountryCodes.name,) if cls.needs_registry and cls is not CountryCodes
                    else (), provides=tuple(cls.schema))
    return cls


for _cls in CONNECTORS:
    add_connector(_cls)

__all__ = ["SOURCES", "CONNECTORS", "add_connector", "IngestResult", "RemoteFile", "Source", "Registry"]
