"""Two users at once: the server over loopback under concurrent page and API requests, on the real UN vote data.

The live server runs either as ``dyadic serve`` in its own process (so a crash inside DuckDB shows as a dead
server, not a dead test run) or as uvicorn in a thread of this process (so a test can see how often a pair
was computed). Every loop here is bounded in count and time, and only 127.0.0.1 is addressed.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from web_support import free_port, served, wait_until_up, web_store

from dyadic.cli.serve import allowed_hosts, url_host
from dyadic.web import create_app
from dyadic.web import service as service_module


@pytest.fixture(scope="module")
def server():
    with served(web_store("unga")) as running:
        yield running


class Live:
    """uvicorn serving an application in a thread of this process, on a free loopback port."""

    def __init__(self, app):
        self.app = app
        self.base = f"http://127.0.0.1:{free_port()}"
        port = int(self.base.rsplit(":", 1)[1])
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Live":
        self.thread.start()
        wait_until_up(self.base, alive=self.thread.is_alive)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def poll_ready(url: str, seconds: float = 180) -> httpx.Response:
    """Ask again, as the progress view's refresh does, until the answer is no longer 202."""
    deadline = time.monotonic() + seconds
    while True:
        r = httpx.get(url, timeout=30, follow_redirects=True)
        if r.status_code != 202 or time.monotonic() > deadline:
            return r
        time.sleep(min(float(r.headers.get("retry-after", 1)), 2.0))


def test_start_page_answers_while_a_pair_is_computed(server):
    """The reported crash: one tab opens a new pair, another reloads the start page 200 times."""
    base, proc = server
    with ThreadPoolExecutor(1) as pool:
        pair = pool.submit(poll_ready, f"{base}/pair/ESP/PRT?third=FRA")
        codes = []
        for _ in range(200):
            codes.append(httpx.get(f"{base}/", timeout=30).status_code)
            time.sleep(0.05)
        page = pair.result(timeout=240)
    assert proc.poll() is None, "the server died"
    assert codes == [200] * 200
    assert "Traceback" not in proc.log.read_text()
    assert page.status_code == 200 and "Spain – Portugal" in page.text


def test_concurrent_pages_and_api_calls_give_no_server_error(server):
    """Eight clients at once on pages, searches, series, year slices and a pair not computed before."""
    base, proc = server
    urls = ["/", "/api/v1/states?q=ru", "/api/v1/unga/pairs/CHN/RUS?start=2000", "/api/v1/sources",
            "/api/v1/unga/dyads?year=2015&state=IND&per_page=50", "/pair/ARG/CHL?third=BRA",
            "/api/v1/pairs/ARG/CHL/sections?third=BRA", "/pair?a=japan&b=KOR", "/api/v1/health"]

    def hammer(k: int) -> list[int]:
        out = []
        with httpx.Client(base_url=base, timeout=60) as c:
            for i in range(30):
                out.append(c.get(urls[(k + i) % len(urls)]).status_code)
        return out

    with ThreadPoolExecutor(8) as pool:
        codes = [c for part in pool.map(hammer, range(8)) for c in part]
    assert proc.poll() is None, "the server died"
    assert len(codes) == 240 and max(codes) < 500, sorted(set(codes))
    assert set(codes) <= {200, 202, 303}


def test_a_new_pair_shows_progress_at_once_then_the_page(server):
    base, _ = server
    t0 = time.monotonic()
    first = httpx.get(f"{base}/pair/NOR/SWE?third=FIN", timeout=30)
    took = time.monotonic() - t0
    if first.status_code == 202:  # computing: a progress view that reloads itself
        assert took < 1.5
        assert '<meta http-equiv="refresh"' in first.text and "Computing" in first.text
        assert int(first.headers["retry-after"]) >= 1
    assert poll_ready(f"{base}/pair/NOR/SWE?third=FIN").status_code == 200


def test_one_computation_per_unordered_pair(monkeypatch):
    """Simultaneous requests for one pair in both orders and by name share one computation; a cheap request
    made meanwhile does not wait for it."""
    calls = []
    gate = threading.Event()
    real = service_module.build_sections

    def slow(store, a, b, c, names):
        calls.append((a, b, c))
        gate.wait(timeout=60)
        return real(store, a, b, c, names)

    monkeypatch.setattr(service_module, "build_sections", slow)
    app = create_app(web_store("unga"), warm=False, page_wait=0.3, api_wait=0.3)
    with Live(app) as live, ThreadPoolExecutor(6) as pool:
        urls = ["/api/v1/pairs/CHN/RUS/sections?third=USA", "/api/v1/pairs/RUS/CHN/sections?third=USA",
                "/api/v1/pairs/Russia/China/charts?third=USA", "/pair/RUS/CHN?third=USA"]
        first = list(pool.map(lambda u: httpx.get(live.base + u, timeout=30, follow_redirects=True), urls))
        assert [r.status_code for r in first] == [202] * 4
        assert first[0].json()["status"] == "computing" and "Retry-After" in first[0].headers
        t0 = time.monotonic()
        assert httpx.get(live.base + "/api/v1/states?q=chi", timeout=30).status_code == 200
        assert time.monotonic() - t0 < 2
        gate.set()
        done = list(pool.map(lambda u: poll_ready(live.base + u), urls))
    assert [r.status_code for r in done] == [200] * 4
    assert calls == [("CHN", "RUS", "USA")]
    assert done[0].json()["a"] == done[1].json()["a"] == "CHN"


def test_a_full_queue_says_busy_with_retry_after(monkeypatch):
    gate = threading.Event()
    real = service_module.build_sections

    def slow(*args):
        gate.wait(timeout=60)
        return real(*args)

    monkeypatch.setattr(service_module, "build_sections", slow)
    app = create_app(web_store("unga"), warm=False, page_wait=0.2, api_wait=0.2, workers=1, queue=1)
    with Live(app) as live:
        assert httpx.get(live.base + "/pair/CHN/RUS", timeout=30).status_code == 202
        busy = httpx.get(live.base + "/pair/DEU/FRA", timeout=30)
        api = httpx.get(live.base + "/api/v1/pairs/FRA/DEU/charts", timeout=30)
        assert busy.status_code == api.status_code == 503
        assert "retry in" in busy.text and int(busy.headers["retry-after"]) >= 2
        assert api.json()["error"] == "busy"
        gate.set()
        assert poll_ready(live.base + "/pair/CHN/RUS").status_code == 200
        assert poll_ready(live.base + "/pair/DEU/FRA").status_code == 200


def test_a_failed_computation_is_an_answer_for_every_waiter_and_is_retried(monkeypatch):
    from dyadic.errors import NotIngestedError

    attempts = []

    def broken(*args):
        attempts.append(args[1:4])
        time.sleep(0.5)
        raise NotIngestedError("run 'dyadic ingest cow_nmc' first")

    monkeypatch.setattr(service_module, "build_sections", broken)
    app = create_app(web_store("unga"), warm=False, page_wait=5, api_wait=5)
    with Live(app) as live, ThreadPoolExecutor(3) as pool:
        rs = list(pool.map(lambda _: httpx.get(live.base + "/api/v1/pairs/CHN/IND/sections", timeout=30), range(3)))
        assert [r.status_code for r in rs] == [409] * 3 and "dyadic ingest cow_nmc" in rs[0].json()["detail"]
        assert len(attempts) == 1
        assert httpx.get(live.base + "/pair/CHN/IND", timeout=30).status_code == 409
        assert len(attempts) == 2  # a failure is not remembered: the next request tries again


def test_head_is_get_without_a_body_and_405_says_what_is_allowed(server):
    base, _ = server
    for url in ("/", "/api/v1/states?q=ch", "/static/pair.js", "/api/v1/openapi.json"):
        get, head = httpx.get(base + url, timeout=30), httpx.head(base + url, timeout=30)
        assert head.status_code == get.status_code == 200, url
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    post = httpx.post(base + "/api/v1/states", content=b"x", timeout=30)
    assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
    doc = httpx.get(base + "/api/v1/openapi.json", timeout=30).json()
    for op in (m for p in doc["paths"].values() for m in p.values()):
        assert {"405", "414"} <= set(op["responses"]), op.get("summary")
    sections = doc["paths"]["/api/v1/pairs/{a}/{b}/sections"]["get"]["responses"]
    assert {"202", "503"} <= set(sections)


def test_host_binding_and_urls():
    assert url_host("::1") == "[::1]" and url_host("[::1]") == "[::1]" and url_host("127.0.0.2") == "127.0.0.2"
    assert "127.0.0.2" in allowed_hosts("127.0.0.2") and "[::1]" in allowed_hosts("::1")
    assert allowed_hosts("0.0.0.0") is None


def test_serve_on_another_loopback_address_answers_it():
    """``--host 127.0.0.2`` used to refuse every request: its own address was not an allowed Host."""
    with served(web_store("registry"), host="127.0.0.2") as (base, proc):
        assert httpx.get(f"{base}/", timeout=10).status_code == 200
    assert "http://127.0.0.2:" in proc.log.read_text()
