"""The JSON API under ``/api/v1``: states, UNGA pair series and year slices, the brief's sections and the
data behind each chart, and the provenance of every source.

Every parameter is validated before use (state codes against the registry, years and sizes bounded, options
from fixed lists). None reaches a file path or an SQL string: the store is read through the indicator
functions, whose queries are built by Ibis or bound as parameters.
"""

from __future__ import annotations

import asyncio
import math
from concurrent.futures import Future
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from dyadic.indicators.unga import UNDL, VOETEN, VoteSelection
from dyadic.web.service import Pending, Service, filter_years, records, to_json_bytes, to_parquet_bytes

YEAR_MIN, YEAR_MAX = 1816, 2100  # COW's first year; any later bound would be a guess
MAX_PER_PAGE = 1000


class ErrorBody(BaseModel):
    error: str
    detail: str


class PendingBody(BaseModel):
    status: Literal["computing"]
    detail: str
    elapsed_s: float
    retry_after: int


# What any request can get back from the server's own guard, whatever the route.
GUARD = {
    405: {"model": ErrorBody, "description": "A method other than GET or HEAD (the server is read-only); the "
                                             "Allow header lists GET, HEAD."},
    414: {"model": ErrorBody, "description": "The URL's path or query is longer than the server accepts."},
}
ERRORS = {
    404: {"model": ErrorBody, "description": "Unknown state (with the nearest names), chart or route."},
    409: {"model": ErrorBody, "description": "The store lacks the data: the message says what to ingest."},
    422: {"model": ErrorBody, "description": "A malformed or out-of-range parameter, or an ambiguous name."},
}
# A pair's sections are computed once, in the background: a request may come back before they are ready.
COMPUTED = {
    202: {"model": PendingBody, "description": "Still computing: ask again after Retry-After seconds."},
    503: {"model": ErrorBody, "description": "Busy computing other pairs: ask again after Retry-After seconds."},
}

router = APIRouter(prefix="/api/v1", responses=GUARD)

State = Annotated[str, Path(min_length=1, max_length=60, description="ISO3 or COW code, or a name.")]
Third = Annotated[str | None, Query(max_length=60, description="Optional third party (code or name).")]
Year = Annotated[int | None, Query(ge=YEAR_MIN, le=YEAR_MAX)]
Issue = Literal["me", "nu", "di", "hr", "co", "ec"]


def service(request: Request) -> Service:
    return request.app.state.service


def json_response(body: bytes, status: int = 200) -> Response:
    return Response(content=body, status_code=status, media_type="application/json")


def selection(source: Literal["auto", "voeten", "undl"] = "auto", body: Literal["GA", "SC"] = "GA",
              issue: list[Issue] | None = None, important: bool = False, final_only: bool = False,
              absent: Literal["exclude", "abstain"] = "exclude") -> VoteSelection:
    """The roll calls that count (years are applied afterwards, as a filter on rows)."""
    return VoteSelection(source=source, body=body, issues=tuple(sorted(set(issue or ()))), important=important,
                         final_only=final_only, absent=absent)


def selection_doc(sel: VoteSelection) -> dict:
    return {"source": sel.source, "body": sel.body, "issues": list(sel.issues), "important": sel.important,
            "final_only": sel.final_only, "absent": sel.absent}


def sel_sources(sel: VoteSelection) -> list[str]:
    return sorted({s for s, _, _ in sel.sources()}, key=[VOETEN, UNDL].index)


def check_years(start: int | None, end: int | None) -> None:
    from dyadic.errors import RequestError

    if start is not None and end is not None and start > end:
        raise RequestError(f"start year {start} is after end year {end}")


def pair_codes(svc: Service, a: str, b: str, third: str | None) -> tuple[str, str, str | None]:
    """The codes of a pair and optional third party, all different (the registry's one rule for that)."""
    tokens = [a, b] + ([third] if third and third.strip() else [])
    for t in tokens:
        svc.resolve(t)  # the server's own limits on a token, then the registry's rule on the set
    ca, cb, *rest = svc.registry.resolve_distinct(*(t.strip() for t in tokens))
    return ca, cb, (rest[0] if rest else None)


# ---------------------------------------------------------------------- states


@router.get("/states", responses=ERRORS, summary="Search states by name or code")
async def states(request: Request,
                 q: Annotated[str, Query(max_length=60, description="Part of a name or a code.")] = "",
                 limit: Annotated[int, Query(ge=1, le=300)] = 20) -> Response:
    """States whose code (ISO3, ISO2, COW) or name contains ``q``; the nearest names when none does."""
    svc = service(request)
    key = ("states", q, limit)

    def compute() -> bytes:
        hits = svc.search_states(q, limit)
        return to_json_bytes({"query": q, "count": len(hits), "states": hits})

    body_ = svc.responses.get(key) or await run_in_threadpool(svc.cached, key, compute)
    return json_response(body_)


@router.get("/states/{token}", responses=ERRORS, summary="Resolve one code or name")
async def state(request: Request, token: State) -> Response:
    """The registry's entry for a code or name (404 with the nearest names when unknown)."""
    svc = service(request)
    code = svc.resolve(token)
    row = next(r for r in svc.states() if r["code"] == code)
    return json_response(to_json_bytes(row))


# ---------------------------------------------------------------------- UNGA


@router.get("/unga/pairs/{a}/{b}", responses=ERRORS, summary="UNGA voting similarity of a pair by year")
async def unga_pair(request: Request, a: State, b: State, start: Year = None, end: Year = None,
                    source: Literal["auto", "voeten", "undl"] = "auto", body: Literal["GA", "SC"] = "GA",
                    issue: Annotated[list[Issue] | None, Query(max_length=6)] = None, important: bool = False,
                    final_only: bool = False, absent: Literal["exclude", "abstain"] = "exclude") -> Response:
    """The rows ``dyadic unga A B`` prints (agreement, S, Scott's pi, shared votes, percentile among all dyads,
    source of each row), with the provenance of the sources read."""
    svc = service(request)
    check_years(start, end)
    sel = selection(source, body, issue, important, final_only, absent)
    ca, cb, _ = pair_codes(svc, a, b, None)
    key = ("unga_pair", ca, cb, sel, start, end)

    def compute() -> bytes:
        df = filter_years(svc.unga_pair(ca, cb, sel), start, end)
        used = sorted(set(df["source"])) if len(df) else sel_sources(sel)
        doc = {"a": ca, "b": cb, "names": {ca: svc.name(ca), cb: svc.name(cb)}, "selection": selection_doc(sel),
               "start": start, "end": end, "count": len(df), "rows": records(df),
               "provenance": svc.provenance(used)}
        if not len(df):
            doc["note"] = (f"no roll call in this selection and these years on which both {svc.name(ca)} and "
                           f"{svc.name(cb)} voted (sources read: {', '.join(used)})")
        return to_json_bytes(doc)

    body_ = svc.responses.get(key) or await run_in_threadpool(svc.cached, key, compute)
    return json_response(body_)


@router.get("/unga/dyads", responses=ERRORS, summary="All dyads of one year, paginated")
async def unga_dyads(request: Request,
                     year: Annotated[int, Query(ge=YEAR_MIN, le=YEAR_MAX, description="The year.")],
                     state: Annotated[str | None, Query(max_length=60, description="Only dyads with this state.")] = None,
                     order: Literal["dyad", "agree", "-agree", "n"] = "dyad",
                     page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                     per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 100,
                     source: Literal["auto", "voeten", "undl"] = "auto", body: Literal["GA", "SC"] = "GA",
                     issue: Annotated[list[Issue] | None, Query(max_length=6)] = None, important: bool = False,
                     final_only: bool = False, absent: Literal["exclude", "abstain"] = "exclude") -> Response:
    """UNGA similarity of every dyad with a shared vote in ``year`` (one row per non-directed dyad, ``a < b``),
    a page at a time; ``next`` is the URL of the following page."""
    svc = service(request)
    sel = selection(source, body, issue, important, final_only, absent)
    code = svc.resolve(state) if state and state.strip() else None
    key = ("unga_dyads", sel, year, code, order, page, per_page)

    def compute() -> bytes:
        df = svc.year_slice(sel, year)
        if code is not None:
            df = df[(df["a"] == code) | (df["b"] == code)]
        if order == "agree":
            df = df.sort_values(["agree", "a", "b"], kind="stable")
        elif order == "-agree":
            df = df.sort_values(["agree", "a", "b"], ascending=[False, True, True], kind="stable")
        elif order == "n":
            df = df.sort_values(["n", "a", "b"], ascending=[False, True, True], kind="stable")
        total = len(df)
        pages = max(1, math.ceil(total / per_page))
        rows = df.iloc[(page - 1) * per_page: page * per_page]
        doc = {"year": year, "selection": selection_doc(sel), "state": code, "order": order, "total": total,
               "page": page, "per_page": per_page, "pages": pages, "count": len(rows), "rows": records(rows),
               "next": None, "prev": None,
               "provenance": svc.provenance(sorted(set(df["source"].dropna())) if total else sel_sources(sel))}
        url = request.url
        if page < pages:
            doc["next"] = str(url.include_query_params(page=page + 1))
        if 1 < page <= pages:
            doc["prev"] = str(url.include_query_params(page=page - 1))
        if not total:
            doc["note"] = f"no dyad shares a vote in {year} under this selection"
        return to_json_bytes(doc)

    body_ = svc.responses.get(key) or await run_in_threadpool(svc.cached, key, compute)
    return json_response(body_)


# ---------------------------------------------------------------------- the brief's sections


async def ready(job: tuple[Future, float], what: str, wait: float, svc: Service) -> Any:
    """The result of a background job, waiting at most ``wait`` seconds; else :class:`Pending` (the app
    answers 202 with a progress view). Waiting holds no thread: other requests are served meanwhile."""
    fut, started = job
    if not fut.done():
        waiter = asyncio.wrap_future(fut)
        waiter.add_done_callback(lambda f: f.cancelled() or f.exception())  # mark a failure as seen
        await asyncio.wait({waiter}, timeout=wait)
        if not fut.done():
            raise Pending(what, started, svc.jobs.retry_after())
    return fut.result()


async def pair_view(request: Request, a: str, b: str, third: str | None, wait: float | None = None):
    """The pair's view: from the cache, else from its (shared) background job."""
    svc = service(request)
    ca, cb, cc = pair_codes(svc, a, b, third)
    hit = svc.pairs.get(svc.pair_key(ca, cb, cc))
    if hit is not None:
        return hit
    wait = request.app.state.api_wait if wait is None else wait
    names = " – ".join(svc.name(x) for x in sorted((ca, cb)))
    what = f"the sections for {names}" + (f" with {svc.name(cc)} as third party" if cc else "")
    return await ready(svc.pair_job(ca, cb, cc), what, wait, svc)


@router.get("/pairs/{a}/{b}/sections", responses={**ERRORS, **COMPUTED}, summary="The brief's five sections for a pair")
async def sections(request: Request, a: State, b: State, third: Third = None) -> Response:
    """Findings (HTML), chart ids, evidence tables (HTML), the paper's claims with verdicts and what is not
    yet measured, per question; plus the sources the store lacks and the provenance of those it holds."""
    view = await pair_view(request, a, b, third)
    return json_response(view.sections_json)


@router.get("/pairs/{a}/{b}/charts", responses={**ERRORS, **COMPUTED}, summary="Vega-Lite specifications of the pair's charts")
async def charts(request: Request, a: State, b: State, third: Third = None) -> Response:
    """Every chart of the sections as a Vega-Lite specification with its data inline and a tooltip on each
    value naming its source row."""
    view = await pair_view(request, a, b, third)
    return json_response(view.charts_json)


@router.get("/pairs/{a}/{b}/charts/{chart_id}/data", responses={
    **ERRORS, **COMPUTED, 200: {"content": {"text/csv": {}, "application/vnd.apache.parquet": {}, "application/json": {}},
                    "description": "The chart's data."}}, summary="The data behind one chart")
async def chart_data(request: Request, a: State, b: State,
                     chart_id: Annotated[str, Path(max_length=5, description="Section-number-dash-index, e.g. 2-0.")],
                     third: Third = None, start: Year = None, end: Year = None,
                     format: Literal["csv", "parquet", "json"] = "csv") -> Response:
    """The main dataset of one chart (rows within ``start``-``end`` when the data have years)."""
    check_years(start, end)
    svc = service(request)
    view = await pair_view(request, a, b, third)
    ch = svc.chart(view, chart_id)
    stem = f"{view.a}-{view.b}{'-' + view.c if view.c else ''}-chart-{ch.id}"
    if start is not None or end is not None:
        stem += f"-{start or ''}-{end or ''}"
    media = {"json": "application/json", "parquet": "application/vnd.apache.parquet",
             "csv": "text/csv; charset=utf-8"}[format]
    key = ("chart_data", view.a, view.b, view.c, ch.id, start, end, format)

    def compute() -> bytes:
        df = filter_years(ch.data, start, end)
        if format == "json":
            return to_json_bytes({"chart": ch.id, "title": ch.title, "rows": records(df)})
        if format == "parquet":
            return to_parquet_bytes(df)
        return df.to_csv(index=False).encode("utf-8")

    content = svc.responses.get(key) or await run_in_threadpool(svc.cached, key, compute)
    if format == "json":
        return json_response(content)
    return Response(content=content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"'})


# ---------------------------------------------------------------------- provenance


@router.get("/sources", responses=ERRORS, summary="What the store holds, and what it lacks")
async def sources(request: Request) -> Response:
    """Provenance of every ingested source (title, version, rows, citation, licence, files with checksums, when
    ingested, unmapped codes) and the known sources not ingested, with the command that adds each."""
    svc = service(request)

    def compute() -> bytes:
        return to_json_bytes({"sources": svc.provenance(), "missing": svc.missing_sources()})

    body_ = svc.responses.get(("sources",)) or await run_in_threadpool(svc.cached, ("sources",), compute)
    return json_response(body_)


@router.get("/health", summary="Liveness")
async def health() -> dict:
    return {"status": "ok"}
