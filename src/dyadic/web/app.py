"""The FastAPI application: pages, the JSON API, static files, and the rules every response follows.

Every response carries a Content-Security-Policy that allows only this server's own scripts, styles and
data (no inline script, no CDN), and no response shows a stack trace: a user's error is one sentence saying
what to do, anything else is "internal error" (the traceback goes to the server's log only).
"""

from __future__ import annotations

import logging
import math
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Iterable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.staticfiles import StaticFiles

from dyadic import __version__
from dyadic.errors import AmbiguousStateError, DyadicError, NotIngestedError, RequestError, UnknownStateError
from dyadic.web import api, pages
from dyadic.web.service import Busy, ChartNotFound, Pending, Service

log = logging.getLogger("dyadic.web")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
MAX_QUERY = 2048  # bytes of query string
MAX_PATH = 1024   # bytes of path
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
ALLOW = b"GET, HEAD"
PAGE_WAIT = 0.5  # seconds a page waits for a pair before showing the progress view
API_WAIT = 10.0  # seconds an API call waits before answering 202 "computing"


class Guard:
    """ASGI middleware: refuses oversize URLs and methods other than GET/HEAD, answers HEAD as GET without
    the body, adds the security headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if len(scope.get("query_string", b"")) > MAX_QUERY or len(scope.get("raw_path") or b"") > MAX_PATH:
            return await plain_error(send, 414, "uri_too_long",
                                     f"the URL is too long (at most {MAX_PATH} bytes of path and {MAX_QUERY} of query)")
        if scope["method"] not in ("GET", "HEAD"):
            return await plain_error(send, 405, "method_not_allowed", "this server is read-only: use GET or HEAD",
                                     [(b"allow", ALLOW)])
        head = scope["method"] == "HEAD"
        if head:  # the routes are GET routes; HEAD is the same response without its body (RFC 9110, 9.3.2)
            scope = {**scope, "method": "GET"}

        async def with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [h for h in SECURITY_HEADERS if h[0] not in names]
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, with_headers)


async def plain_error(send, status: int, error: str, detail: str, extra: list | None = None) -> None:
    from dyadic.web.service import to_json_bytes

    body = to_json_bytes({"error": error, "detail": detail})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"content-security-policy", CSP.encode()), *SECURITY_HEADERS, *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status: int, error: str, detail: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": error, "detail": detail}, status_code=status)
    return HTMLResponse(pages.render("error.html.j2", status=status, error=error, detail=detail),
                        status_code=status)


STATUS = [(AmbiguousStateError, 422, "ambiguous_state"), (UnknownStateError, 404, "unknown_state"), (ChartNotFound, 404, "unknown_chart"),
          (NotIngestedError, 409, "not_ingested"), (RequestError, 422, "invalid_request")]


def create_app(store_path: str | Path, allowed_hosts: Iterable[str] | None = None, warm: bool = True,
               page_wait: float = PAGE_WAIT, api_wait: float = API_WAIT, workers: int = 2,
               queue: int = 6) -> FastAPI:
    """The dyadic web application over the store at ``store_path``, opened read-only.

    Args:
        store_path: the DuckDB store file.
        allowed_hosts: Host header values accepted (guards a loopback server against DNS rebinding);
            None accepts any.
        warm: compute the default UNGA selection in the background at start.
        page_wait: seconds a page waits for a pair being computed before it shows a progress view.
        api_wait: seconds an API call waits for it before answering 202 with Retry-After.
        workers: pairs computed at the same time.
        queue: pairs computed or waiting at most; beyond it, 503 "busy" with Retry-After.

    Returns:
        The FastAPI (ASGI) application.
    """
    svc = Service(store_path, workers=workers, queue=queue)
    try:
        svc.registry  # noqa: B018 - load once now, not inside a request
    except DyadicError:
        pass  # pages and API say which source to ingest
    @asynccontextmanager
    async def lifespan(_app):
        yield
        svc.close()

    app = FastAPI(title="dyadic", version=__version__, lifespan=lifespan, openapi_url="/api/v1/openapi.json", docs_url=None,
                  redoc_url=None, description="Measure, explain and project the relationship between two states. "
                  "Read-only; every value carries its source.")
    app.state.service = svc
    app.state.page_wait, app.state.api_wait = page_wait, api_wait
    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=str(resources.files("dyadic.web") / "static")), name="static")
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(Guard)

    @app.exception_handler(DyadicError)
    async def user_error(request: Request, exc: DyadicError):
        status, error = next(((s, e) for cls, s, e in STATUS if isinstance(exc, cls)), (400, "error"))
        return error_response(request, status, error, str(exc))

    @app.exception_handler(Pending)
    async def pending(request: Request, exc: Pending):
        headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        detail = f"computing {exc.what}"
        if wants_json(request):
            return JSONResponse({"status": "computing", "detail": detail, "elapsed_s": round(exc.elapsed, 1),
                                 "retry_after": exc.retry_after}, status_code=202, headers=headers)
        html = pages.render("progress.html.j2", busy=False, detail=detail.capitalize() + ".",
                            elapsed=math.floor(exc.elapsed), typical=math.ceil(svc.jobs.typical()),
                            retry_after=exc.retry_after)
        return HTMLResponse(html, status_code=202, headers=headers)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        if wants_json(request):
            return JSONResponse({"error": "busy", "detail": str(exc)}, status_code=503, headers=headers)
        html = pages.render("progress.html.j2", busy=True, detail=str(exc).capitalize() + ".",
                            retry_after=exc.retry_after)
        return HTMLResponse(html, status_code=503, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return error_response(request, 422, "invalid_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            detail = "no such page; the start page is /, the API is described at /api/v1/openapi.json"
        return error_response(request, exc.status_code, "http_error", detail)

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("internal error on %s", request.url.path)
        return error_response(request, 500, "internal_error", "internal error: the server log has the details")

    if warm:
        svc.jobs.submit(("warm",), svc.warm)
    return app
