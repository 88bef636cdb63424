"""Kept for callers written against it (``dyadic panel``): the panel's engine steps now live, once, in
:mod:`dyadic.indicators.panel`, where :func:`build_panel` composes them into one query and the ``add_*``
functions run them one at a time. Both run the same Ibis expressions on whichever engine is picked.
"""

from dyadic.indicators.panel import ALLIANCE_DATASETS as DATASETS, RELATIONAL, build_panel

__all__ = ["DATASETS", "RELATIONAL", "build_panel"]
