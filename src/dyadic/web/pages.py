"""HTML pages: the start page (choose a pair and a third party) and the pair page (the brief's sections with
interactive charts). Pages are rendered on the server; the only script is ``static/pair.js``, which draws
the charts from ``/api/v1/pairs/.../charts`` with the vendored vega-embed."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Annotated
from urllib.parse import urlencode, quote

import jinja2
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dyadic.errors import AmbiguousStateError, DyadicError, UnknownStateError
from dyadic.web.api import YEAR_MAX, YEAR_MIN, Third, Year, check_years, pair_codes, pair_view, ready, service

router = APIRouter(include_in_schema=False)
State = Annotated[str, Path(min_length=1, max_length=60)]

BRIEF_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@lru_cache(maxsize=1)
def env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("dyadic.web", "templates"),
                              autoescape=jinja2.select_autoescape(["html", "j2"]))


def render(template: str, **ctx) -> str:
    return env().get_template(template).render(**ctx)


def pair_url(a: str, b: str, c: str | None, start: int | None = None, end: int | None = None) -> str:
    q = {k: v for k, v in (("third", c), ("start", start), ("end", end)) if v}
    return f"/pair/{quote(a)}/{quote(b)}" + (f"?{urlencode(q)}" if q else "")


def states_or_none(request: Request) -> list[dict]:
    try:
        return service(request).states()
    except DyadicError:
        return []


@router.get("/", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    svc = service(request)
    return HTMLResponse(render("start.html.j2", states=states_or_none(request), form={}, error=None,
                               missing=svc.missing_sources()))


@router.get("/pair", response_class=HTMLResponse)
async def choose(request: Request,
                 a: Annotated[str, Query(max_length=60)] = "", b: Annotated[str, Query(max_length=60)] = "",
                 third: Third = None) -> Response:
    """The start page's form lands here: resolve the names and go to the pair's page."""
    svc = service(request)
    try:
        if not a.strip() or not b.strip():
            raise UnknownStateError("choose two states (a code such as CHN or a name such as Russia)")
        ca, cb, cc = pair_codes(svc, a, b, third)
    except DyadicError as exc:
        status = 404 if isinstance(exc, UnknownStateError) and not isinstance(exc, AmbiguousStateError) else 422
        return HTMLResponse(render("start.html.j2", states=states_or_none(request), error=str(exc),
                                   form={"a": a, "b": b, "third": third or ""}, missing=svc.missing_sources()),
                            status_code=status)
    return RedirectResponse(pair_url(ca, cb, cc), status_code=303)


@router.get("/pair/{a}/{b}", response_class=HTMLResponse)
async def pair(request: Request, a: State, b: State, third: Third = None, start: Year = None,
               end: Year = None) -> Response:
    svc = service(request)
    check_years(start, end)
    ca, cb, cc = svc.pair_key(*pair_codes(svc, a, b, third))  # one page per unordered pair
    if (ca, cb, cc or None) != (a, b, third or None):
        return RedirectResponse(pair_url(ca, cb, cc, start, end), status_code=307)
    key = ("page", ca, cb, cc, start, end)
    hit = svc.responses.get(key)
    if hit is None:
        view = await pair_view(request, ca, cb, cc, wait=request.app.state.page_wait)
        years = [y for ch in view.charts for y in (years_of(ch) or [])]
        q = urlencode({"third": cc}) if cc else ""
        hit = render(
            "pair.html.j2", v=view, states=states_or_none(request), start=start, end=end,
            year_lo=min(years) if years else YEAR_MIN, year_hi=max(years) if years else YEAR_MAX,
            charts_url=f"/api/v1/pairs/{ca}/{cb}/charts" + (f"?{q}" if q else ""),
            data_url=f"/api/v1/pairs/{ca}/{cb}/charts", third_q=q,
            brief_url=f"/pair/{ca}/{cb}/brief.html" + (f"?{q}" if q else ""),
            provenance=svc.provenance(view.used_sources), today=date.today().isoformat(),
        )
        svc.responses.put(key, hit)
    return HTMLResponse(hit)


def years_of(ch) -> list[int] | None:
    from dyadic.web.service import years_of as yo

    return yo(ch.data)


@router.get("/pair/{a}/{b}/brief.html")
async def brief(request: Request, a: State, b: State, third: Third = None) -> Response:
    """The HTML brief as ``dyadic brief`` writes it, as a download."""
    svc = service(request)
    ca, cb, cc = svc.pair_key(*pair_codes(svc, a, b, third))
    html = svc.briefs.get((ca, cb, cc))
    if html is None:
        await pair_view(request, ca, cb, cc, wait=request.app.state.page_wait)  # the brief is built from it
        what = f"the brief on {svc.name(ca)} – {svc.name(cb)}"
        html = await ready(svc.brief_job(ca, cb, cc), what, request.app.state.page_wait, svc)
    name = f"brief-{ca}-{cb}{'-' + cc if cc else ''}.html"
    # The brief is self-contained with inline styles and SVG; it has no script, and its policy allows none.
    return Response(html, media_type="text/html; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Security-Policy": BRIEF_CSP})
