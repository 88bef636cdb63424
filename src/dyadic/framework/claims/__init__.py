"""Claim checking: find the quantitative statements in a text and test each against the data.

>>> from dyadic.framework.claims import check_file
>>> report = check_file("draft.md", store)          # store: an open dyadic.store.Store, or None
>>> report.frame()                                  # one row per statement, with its verdict

Pipeline: :mod:`.document` (read and mask markup) → :mod:`.extract` (statements, rule-based) →
:mod:`.vocabulary` (which measure) → :mod:`.match` (evidence from the store and curated facts) →
:mod:`.verdict` (holds / off / contradicted / no data / not checkable). See docs/methods/claims.md.
"""

from __future__ import annotations

from dyadic.framework.claims.check import Report, check_document, check_file, check_text
from dyadic.framework.claims.verdict import TOLERANCES, VERDICTS, Verdict

__all__ = ["Report", "Verdict", "VERDICTS", "TOLERANCES", "check_document", "check_file", "check_text"]
