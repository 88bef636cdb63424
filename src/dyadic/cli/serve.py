"""``dyadic serve``: the web dashboard and JSON API over the store, opened read-only."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from dyadic.cli import StoreOpt, app, console, friendly
from dyadic.config import Settings
from dyadic.errors import DyadicError


def url_host(host: str) -> str:
    """The host as it is written in a URL (an IPv6 address in brackets)."""
    h = host.strip("[]")
    try:
        return f"[{h}]" if ipaddress.ip_address(h).version == 6 else h
    except ValueError:
        return host


def allowed_hosts(host: str) -> list[str] | None:
    """Host header values a server bound to ``host`` accepts: the loopback names and the bound address itself
    (so 127.0.0.2 serves requests addressed to it); None (any) when bound beyond loopback."""
    if not is_loopback(host):
        return None
    return list(dict.fromkeys(["127.0.0.1", "localhost", "::1", "[::1]", host.strip("[]"), url_host(host)]))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@app.command()
@friendly
def serve(
    store: StoreOpt = None,
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default; others expose the server).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the dashboard (pair pages with interactive charts) and the JSON API at /api/v1."""
    try:
        import uvicorn

        from dyadic.web import create_app
    except ImportError as exc:
        raise DyadicError(f"the web server needs the 'web' extra: pip install 'dyadic[web]' ({exc.name} missing)") from exc
    path = Settings.resolve(store=store).store_path
    hosts = allowed_hosts(host)
    if hosts is None:
        console.print(f"[yellow]warning:[/] binding {host}: the server is reachable from other machines.", highlight=False)
    web = create_app(path, allowed_hosts=hosts)
    console.print(f"dyadic: serving {path} (read-only) at http://{url_host(host)}:{port}/", highlight=False)
    uvicorn.run(web, host=host.strip("[]"), port=port, log_level="warning", access_log=False)
