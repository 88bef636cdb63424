"""The web dashboard and JSON API over a store opened read-only (``dyadic serve``)."""

from dyadic.web.app import create_app

__all__ = ["create_app"]
