"""dyadic: measure, explain and project the relationship between two states from public data.

The pipeline runs one way: ``sources`` (connectors) -> ``store`` (DuckDB) -> ``indicators`` ->
``framework`` -> ``report`` / ``cli``. The most used entry points are re-exported here.
"""

from dyadic.errors import DyadicError

__version__ = "0.1.0"

__all__ = ["DyadicError", "__version__", "unga", "open_store"]


def unga(*args, **kwargs):
    """UNGA agreement indicators for one pair; see :func:`dyadic.api.unga`."""
    from dyadic.api import unga as _unga

    return _unga(*args, **kwargs)


def open_store(*args, **kwargs):
    """Open the dyadic store; see :class:`dyadic.store.Store`."""
    from dyadic.store import Store

    return Store.open(*args, **kwargs)
