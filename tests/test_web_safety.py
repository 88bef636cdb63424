"""The server's safety rules: read-only, every input validated, nothing reaches a path or SQL, strict CSP, no
stack traces, and a schemathesis run over the OpenAPI document without a single server error."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings, strategies as st
from schemathesis.checks import not_a_server_error
from web_support import blocking_app, web_store

from dyadic.store import Store

TABLES = ("states", "state_spells", "roll_calls", "votes", "sources")
INJECTIONS = ["CHN'; DROP TABLE votes; --", "' OR 1=1 --", 'RUS" OR "1"="1', "CHN); DELETE FROM sources; --",
              "1; ATTACH '/tmp/x.duckdb' AS x", "%27%20OR%201=1", "CHN\x00RUS", "${jndi:ldap://x}", "<script>alert(1)</script>"]
TRAVERSALS = ["/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/%2e%2e/pyproject.toml", "/static/..%2f..%2fstore.py",
              "/static/%2e%2e/service.py", "/static/vendor/%2e%2e/%2e%2e/app.py", "/static//etc/passwd",
              "/static/%2fetc%2fpasswd", "/static/..\\..\\app.py", "/api/v1/states/..%2f..%2fetc%2fpasswd",
              "/pair/..%2f..%2f/etc", "/api/v1/pairs/CHN/RUS/charts/..%2f..%2fx/data"]


@pytest.fixture(scope="module")
def app():
    return blocking_app(web_store("unga"))


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture(scope="module")
def checksums(app):
    svc = app.state.service
    return {t: svc.store.checksum(t) for t in TABLES}


def assert_user_error(r, allowed=(404, 414, 422)):
    assert r.status_code in allowed, (r.status_code, r.text[:300])
    assert "Traceback" not in r.text and 'File "' not in r.text


@pytest.mark.parametrize("url", TRAVERSALS)
def test_path_traversal_reaches_no_file(client, url):
    r = client.get(url)
    assert_user_error(r, (400, 404, 422))
    assert "[build-system]" not in r.text and "import " not in r.text and "root:" not in r.text


def test_static_files_and_vendored_scripts_are_served(client):
    for name in ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js", "VERSIONS.md", "vega.LICENSE"):
        assert client.get(f"/static/vendor/{name}").status_code == 200, name
    assert client.get("/static/pair.js").headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("evil", INJECTIONS)
def test_injection_strings_are_only_unknown_states(client, checksums, evil):
    svc = client.app.state.service
    seg = quote(evil, safe="")  # in a path, as a browser would send it
    for url, params in [(f"/api/v1/states/{seg}", None), ("/api/v1/states", {"q": evil}),
                        (f"/api/v1/unga/pairs/{seg}/RUS", None), ("/api/v1/unga/dyads", {"year": 2000, "state": evil}),
                        (f"/api/v1/pairs/CHN/{seg}/sections", None), ("/api/v1/pairs/CHN/RUS/charts", {"third": evil}),
                        ("/pair", {"a": evil, "b": "RUS"}), (f"/pair/{seg}/RUS", None),
                        ("/api/v1/pairs/CHN/RUS/charts/2-0/data", {"format": evil}),
                        ("/api/v1/unga/pairs/CHN/RUS", {"source": evil}), ("/api/v1/unga/dyads", {"year": evil})]:
        r = client.get(url, params=params)
        if url == "/api/v1/states":
            assert r.status_code == 200  # a search that finds nothing or near names
        else:
            assert_user_error(r, (400, 404, 422))
        if r.headers["content-type"].startswith("text/html"):
            assert "<script>alert" not in r.text  # echoed input is escaped
    assert {t: svc.store.checksum(t) for t in TABLES} == checksums


@pytest.mark.parametrize("url, params, status", [
    ("/api/v1/states", {"q": "x" * 61}, 422),
    ("/api/v1/states", {"limit": 100000}, 422),
    ("/api/v1/states/" + "A" * 61, None, 422),
    ("/api/v1/unga/dyads", {"year": 2000, "per_page": 100000}, 422),
    ("/api/v1/unga/dyads", {"year": 2000, "page": 0}, 422),
    ("/api/v1/unga/dyads", {"year": 99999}, 422),
    ("/api/v1/unga/dyads", {"year": -5}, 422),
    ("/api/v1/unga/dyads", {"year": "abc"}, 422),
    ("/api/v1/unga/dyads", {}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"start": 2010, "end": 2000}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"start": "1e9"}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"important": "maybe"}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"issue": ["me"] * 7}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"issue": "me", "source": "undl"}, 422),
    ("/api/v1/unga/pairs/CHN/RUS", {"body": "SC", "source": "voeten"}, 422),
    ("/api/v1/unga/pairs/CHN/CHN", None, 422),
    ("/api/v1/pairs/CHN/RUS/charts", {"third": "RUS"}, 422),
    ("/api/v1/pairs/CHN/RUS/charts/99-9/data", None, 404),
    ("/api/v1/pairs/CHN/RUS/charts/abc/data", None, 422),
    ("/api/v1/pairs/CHN/RUS/charts/2-0/data", {"format": "xlsx"}, 422),
    ("/api/v1/states", {"q": "x" * 5000}, 414),
    ("/pair/CHN/" + "R" * 2000, None, 414),
    ("/pair/CHN/RUS", {"start": 3000}, 422),
])
def test_oversize_and_malformed_parameters(client, url, params, status):
    r = client.get(url, params=params)
    assert_user_error(r, (status,))
    if url.startswith("/api/"):
        body = r.json()
        assert set(body) == {"error", "detail"} and body["detail"]


def test_only_get_is_accepted(client, checksums):
    for method in ("post", "put", "delete", "patch"):
        r = client.request(method.upper(), "/api/v1/states", content=b"x" * 100)
        assert r.status_code == 405
    assert {t: client.app.state.service.store.checksum(t) for t in TABLES} == checksums


def test_every_response_carries_a_strict_policy(client):
    for url in ("/", "/pair/CHN/RUS?third=USA", "/api/v1/states?q=ch", "/static/pair.js", "/nope", "/api/v1/nope",
                "/api/v1/states/Narnia", "/api/v1/openapi.json"):
        h = client.get(url).headers
        csp = h["content-security-policy"]
        assert "script-src 'self';" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert h["x-content-type-options"] == "nosniff" and h["x-frame-options"] == "DENY"
    brief = client.get("/pair/CHN/RUS/brief.html").headers["content-security-policy"]
    assert "script-src" not in brief and "default-src 'none'" in brief  # no script may run in the brief


def test_pages_have_no_inline_script_style_or_remote_code(client):
    for url in ("/", "/pair/CHN/RUS?third=USA", "/pair/CHN/Narnia"):
        html = client.get(url).text
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
        assert all(re.search(r'src="/static/', attrs) and not body.strip() for attrs, body in scripts), url
        assert not re.search(r"\son[a-z]+\s*=", html), url
        assert not re.search(r"\sstyle\s*=", html, re.I) and "<style" not in html, url
        assert "http://" not in " ".join(a for a, _ in scripts) and "https://" not in " ".join(a for a, _ in scripts)


def test_internal_errors_show_no_trace(monkeypatch):
    app = blocking_app(web_store("unga"))
    svc = app.state.service

    def broken(*a, **k):
        raise ValueError("secret internal detail /home/someone/store.duckdb")

    monkeypatch.setattr(svc, "search_states", broken)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/api/v1/states", params={"q": "x"})
    assert r.status_code == 500
    assert r.json() == {"error": "internal_error", "detail": "internal error: the server log has the details"}
    assert "secret" not in r.text and "Traceback" not in r.text


def test_foreign_host_header_is_refused():
    app = blocking_app(web_store("unga"), allowed_hosts=["127.0.0.1", "localhost"])
    with TestClient(app, base_url="http://127.0.0.1") as c:
        assert c.get("/api/v1/health").status_code == 200
        assert c.get("/api/v1/health", headers={"host": "attacker.example"}).status_code == 400


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(min_size=1, max_size=80))
def test_any_state_text_is_a_user_error_never_a_crash(client, token):
    for url, params in [("/api/v1/states", {"q": token}), ("/pair", {"a": token, "b": "RUS"}),
                        ("/api/v1/pairs/CHN/RUS/charts", {"third": token})]:
        r = client.get(url, params=params, follow_redirects=False)
        assert r.status_code < 500, (token, r.text[:200])


def test_store_is_unchanged_after_all_requests(client, checksums):
    assert {t: client.app.state.service.store.checksum(t) for t in TABLES} == checksums


def test_schemathesis_no_server_errors():
    """Every operation of the OpenAPI document, with generated valid and invalid parameters: no 5xx."""
    app = blocking_app(web_store("unga"))
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 8
    calls = []
    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call()
            case.validate_response(response, checks=[not_a_server_error])
            assert "Traceback" not in response.text
            calls.append(response.status_code)

        run()
    assert len(calls) >= len(operations) and max(calls) < 500
