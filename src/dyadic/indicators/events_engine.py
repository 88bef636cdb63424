"""GDELT files to dyad-period event indicators on DuckDB or Spark, without the store: the event job at scale.

The embedded ingest (:mod:`dyadic.sources.gdelt_scan`) streams files into the store; on a cluster the input
is the whole GDELT history, so this module expresses the same rules as Ibis expressions over the raw files
and runs them on either engine (a :class:`dyadic.engine.Engine`), writing the results as Parquet partitioned by year
and month. The rules are the ingest's own, kept as data in :mod:`dyadic.sources.gdelt` (``RAW_FIELDS``,
``DEDUP_ORDER``, ``Filters.row_rules``, ``ActorRule.expr``) from which both build their queries
(docs/sources/gdelt.md):

- actors map to states by the :class:`~dyadic.sources.gdelt.ActorRule` (its Ibis form, inside the query);
- de-duplication keeps, for each GLOBALEVENTID, the row published last (then the last file by name);
- the row filters (sources, articles, root events) apply after it;
- ``events`` keeps state-to-state rows; ``event_volume`` counts, per state and month of publication, kept
  rows with the state as either actor; ``event_coverage`` counts rows read per day of publication.

The tests check that both engines give exactly the dyad-month indicators of the embedded ingest.
Not here: the URL de-duplication rule (it needs DuckDB's URL hash) and the 57-field pre-2013 backfiles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import ibis

from dyadic.engine import Engine
from dyadic.errors import RequestError
from dyadic.indicators.events import period_indicators, period_start
from dyadic.sources.gdelt import (ADDED_TIMESTAMP, DEDUP_ORDER, GDELT1_COLUMNS, GDELT2_COLUMNS, RAW_FIELDS, ActorRule,
                                  Filters, expand, layout_of)
from dyadic.sources.registry import Registry


def read_raw(engine: Engine, paths: str | Path | Iterable[str | Path], rule: ActorRule = ActorRule(),
             dataset: str | None = None) -> ibis.Table:
    """GDELT export files (plain or .gz) as the canonical raw columns, on ``engine``.

    Args:
        engine: from :func:`dyadic.engine.engine_for`.
        paths: local files, a folder or a glob; or, on Spark, URIs (then ``dataset`` is required).
        rule: the actor rule (``country`` reads ActorCountryCode instead of the actor code).
        dataset: ``gdelt2`` (61 columns) or ``gdelt1`` (58); detected from the first local file if omitted.

    Returns:
        ``file``, ``dataset``, ``event_id``, ``date``, ``added`` (YYYYMMDD), ``a1``, ``a2`` and the event fields.
    """
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    remote = [str(p) for p in items if "://" in str(p)]
    files = remote if remote else expand(items)
    if dataset is None:
        if remote:
            raise RequestError("dataset must be given (gdelt1 or gdelt2) for files read from a URI")
        dataset = layout_of(Path(files[0]), Path(files[0]))[0]
    columns = {"gdelt2": GDELT2_COLUMNS, "gdelt1": GDELT1_COLUMNS}.get(dataset)
    if columns is None:
        raise RequestError(f"dataset must be gdelt1 or gdelt2, not '{dataset}'")
    t = engine.read_delimited(files, columns, name="gdelt_raw")
    a1, a2 = rule.columns
    added = ibis.ifelse(t.DATEADDED >= ADDED_TIMESTAMP, t.DATEADDED // 1_000_000, t.DATEADDED)
    return t.select(file=t.filename, dataset=ibis.literal(dataset), added=added.cast("int32"), a1=t[a1], a2=t[a2],
                    **{name: t[col] for name, col in RAW_FIELDS.items()})


def _kept(raw: ibis.Table, filters: Filters) -> ibis.Table:
    if filters.dedup == "url":
        raise RequestError("the URL de-duplication rule runs only in the embedded ingest (dyadic gdelt ingest)")
    t = raw
    if filters.dedup == "event_id":
        rank = ibis.row_number().over(group_by=t.event_id, order_by=[t[f].desc() for f in DEDUP_ORDER])
        t = t.mutate(_rank=rank).filter(ibis._._rank == 0).drop("_rank")
    for _, field, least in filters.row_rules():
        t = t.filter(t[field] if least is None else t[field] >= least)
    return t


def _mapped(raw: ibis.Table, registry: Registry, rule: ActorRule, filters: Filters) -> ibis.Table:
    """Rows kept by the filters, each actor mapped to its state (``c1``, ``c2``; NULL when not a state)."""
    kept = _kept(raw, filters)
    states = set(registry.states.code)
    return kept.mutate(c1=rule.expr(kept.a1, states), c2=rule.expr(kept.a2, states))


def _day(col):
    """A YYYYMMDD integer as a date."""
    return ibis.date(col // 10000, col // 100 % 100, col % 100)


#: the event fields :func:`~dyadic.indicators.events.period_indicators` reads
INDICATOR_FIELDS = ("cameo", "quad_class", "goldstein", "tone")
#: the event fields of the canonical ``events`` table, in its order
EVENT_FIELDS = ("cameo", "base", "root", "quad_class", "goldstein", "mentions", "sources", "articles", "tone",
                "is_root")


def _state_events(both: ibis.Table, fields: Iterable[str]) -> ibis.Table:
    """State-to-state rows (both actors states, not the same one) as ``src, tgt, added`` (the date of
    publication) plus ``fields``."""
    ev = both.filter(both.c1.notnull() & both.c2.notnull() & (both.c1 != both.c2))
    return ev.select(src=ev.c1, tgt=ev.c2, added=_day(ev.added), **{f: ev[f] for f in fields})


def _volume(both: ibis.Table) -> ibis.Table:
    """Kept rows per state (either actor, counted once per row) and month of publication."""
    month = period_start(_day(both.added), "month")
    sides = both.filter(both.c1.notnull()).select(month=month, code=both.c1).union(
        both.filter(both.c2.notnull() & (both.c1.isnull() | (both.c2 != both.c1))).select(month=month, code=both.c2),
        distinct=False)
    return sides.group_by(["month", "code"]).aggregate(events=ibis._.count())


def canonical(raw: ibis.Table, registry: Registry, rule: ActorRule = ActorRule(), source_name: str = "gdelt_events",
              filters: Filters = Filters()) -> dict[str, ibis.Table]:
    """The canonical ``events``, ``event_volume`` and ``event_coverage`` tables as expressions over ``raw``."""
    both = _mapped(raw, registry, rule, filters)
    ev = _state_events(both, ("dataset", "event_id", "date", "a1", "a2", *EVENT_FIELDS))
    events = ev.select(source=ibis.literal(source_name), dataset=ev.dataset, event_id=ev.event_id, date=ev.date,
                       added=ev.added, src=ev.src, tgt=ev.tgt, src_actor=ev.a1, tgt_actor=ev.a2,
                       **{f: ev[f] for f in EVENT_FIELDS})
    coverage = raw.group_by("added").aggregate(files=raw.file.nunique().cast("int32"), rows=raw.count()).select(
        source=ibis.literal(source_name), day=_day(ibis._.added), files="files", rows="rows")
    volume = _volume(both).mutate(source=ibis.literal(source_name))
    return {"events": events, "event_volume": volume, "event_coverage": coverage}


def event_periods(engine: Engine, paths, registry: Registry, freq: str = "month", rule: ActorRule = ActorRule(),
                  filters: Filters = Filters(), family: str | None = None, dataset: str | None = None) -> ibis.Table:
    """Directed dyad-period indicators straight from GDELT files: :func:`~dyadic.indicators.events.period_indicators`
    (the expression the store's ``events`` tables are aggregated by) over :func:`canonical`'s events and volume.

    Args:
        engine: from :func:`dyadic.engine.engine_for`.
        paths: the files (see :func:`read_raw`).
        registry: the country registry.
        freq: ``month`` or ``year``.
        rule, filters: as for the ingest.
        family: keep only one CAMEO family.
        dataset: ``gdelt1`` or ``gdelt2`` when the files are URIs.

    Returns:
        The indicators, with ``year`` and ``month`` columns to partition by.
    """
    raw = read_raw(engine, paths, rule, dataset)
    # Only the columns the indicators read, materialised once: the indicators and the volume both read these
    # rows, and without it Spark plans the file scan and the de-duplication's shuffle once per branch (five
    # times). DuckDB holds them as a temporary table, Spark caches them (memory, then disk).
    both = _mapped(raw, registry, rule, filters).select("added", "c1", "c2", *INDICATOR_FIELDS).cache()
    out = period_indicators(_state_events(both, INDICATOR_FIELDS), _volume(both), freq, family)
    return out.mutate(year=out.period.year(), month=out.period.month())


def write_event_periods(engine: Engine, paths, registry: Registry, out: str | Path, freq: str = "month",
                        **kw) -> Path:
    """:func:`event_periods` written as Parquet partitioned by year and month, all of it or nothing."""
    return engine.write_parquet(event_periods(engine, paths, registry, freq, **kw), out,
                                partition_by=("year", "month"))
