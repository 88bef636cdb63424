"""Connectors: one module per family of public datasets. ``SOURCES`` lists every connector by name."""

from dyadic.sources.base import IngestResult, RemoteFile, Source
from dyadic.sources.registry import CountryCodes, Registry
from dyadic.sources.unga import UNDigitalLibraryVotes, VoetenVotes
from dyadic.sources.trade import CensusUsaChinaMonthly, CowTrade, ImfDots
from dyadic.sources.power import CowNmc, SipriMilex, WorldBankGdp
from dyadic.sources.alliances import Alliances
from dyadic.sources.exercises import MilitaryExercises
from dyadic.sources.facts import CuratedFacts

SOURCES: dict[str, type[Source]] = {
    cls.name: cls for cls in (CountryCodes, VoetenVotes, UNDigitalLibraryVotes)
}
SOURCES.update({cls.name: cls for cls in (CowTrade, ImfDots, CensusUsaChinaMonthly, CowNmc, SipriMilex,
                                          WorldBankGdp)})
SOURCES.update({cls.name: cls for cls in (Alliances, MilitaryExercises, CuratedFacts)})
from dyadic.sources.gdelt import GdeltRawSamples  # noqa: E402
from dyadic.sources.gdelt_graph import GdeltDailyCountryGraph  # noqa: E402

SOURCES.update({cls.name: cls for cls in (GdeltRawSamples, GdeltDailyCountryGraph)})
from dyadic.sources.ideal_points_published import PublishedIdealPoints  # noqa: E402

SOURCES[PublishedIdealPoints.name] = PublishedIdealPoints
from dyadic.sources.conflict import SOURCES as _CONFLICT  # noqa: E402

SOURCES.update({cls.name: cls for cls in _CONFLICT})

from dyadic.sources.politics import SOURCES as _POLITICS  # noqa: E402  (democracy, IGOs, SIPRI arms)
SOURCES.update({cls.name: cls for cls in _POLITICS})

from dyadic.sources.atop_levels import AtopLevels, CuratedTreaties  # noqa: E402  (ATOP levels, curated treaties)
SOURCES.update({cls.name: cls for cls in (AtopLevels, CuratedTreaties)})

from dyadic.sources import icews as _icews, reported as _reported, vetoes as _vetoes, visits as _visits  # noqa: E402
SOURCES.update({cls.name: cls for cls in (_vetoes.UnscVetoes, _visits.CeiasLeaderVisits, _icews.IcewsNetify,
                                          _reported.PressReportedFigures)})  # vetoes, visits, ICEWS, press figures
from dyadic.sources.dots import ImfDotsAllReporters, ImfDotsRussiaWorld  # noqa: E402  (IMF DOTS to 2020 / 2023)
SOURCES.update({cls.name: cls for cls in (ImfDotsAllReporters, ImfDotsRussiaWorld)})

__all__ = ["SOURCES", "IngestResult", "RemoteFile", "Source", "Registry"]
