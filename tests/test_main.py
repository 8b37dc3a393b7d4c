import re
from pathlib import Path

import httpx2
import pytest
from anyio import to_thread
from fastapi.testclient import TestClient

from app import main
from app.config import settings
from app.main import app
from app.money import AMOUNT_SCHEMA_PATTERN, parse_decimal_amount, to_minor
from app.schemas.accounts import AdminUserUpdate, UserUpdate
from app.schemas.expenses import ExpenseUpdate, RecurringUpdate
from app.schemas.ledgers import LedgerUpdate
from app.schemas.reports import BudgetUpdate
from tests.factories import register
from tests.server import server_env, start_server, stop_server


def _script_policy(csp: str) -> str:
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    return directives.get("script-src", directives.get("default-src", ""))


def test_security_headers_on_every_kind_of_response(client: TestClient) -> None:
    for response in (
        client.get("/"),
        client.get("/api/me"),
        client.get("/openapi.json"),
        client.get("/css/app.css"),
        client.post("/api/auth/login", json={}),
        client.get("/docs"),
    ):
        csp = response.headers["content-security-policy"]
        assert "'self'" in _script_policy(csp)
        assert "unsafe-inline" not in _script_policy(csp)
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_index_is_served(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>" not in response.text


def test_docs_are_served_from_our_own_files(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN
    for asset in (
        "/vendor/swagger-ui/swagger-ui-bundle.js",
        "/vendor/swagger-ui/swagger-ui.css",
        "/js/docs-init.js",
    ):
        assert asset in page.text
        assert client.get(asset).status_code == 200


def test_openapi_documents_auth_and_error_statuses(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"][
        "tokenUrl"
    ] == ("/api/auth/token")
    item = schema["paths"]["/api/expenses/{expense_id}"]
    for method in ("get", "patch", "delete"):
        assert {"401", "404", "422"} <= set(item[method]["responses"])
    assert "409" in schema["paths"]["/api/auth/register"]["post"]["responses"]


def test_security_headers_in_full(client: TestClient) -> None:
    headers = client.get("/api/me").headers
    directives = {
        d.strip().split(" ", 1)[0]: d.strip() for d in headers["content-security-policy"].split(";")
    }
    assert directives["default-src"] == "default-src 'self'"
    assert directives["script-src"] == "script-src 'self'"
    assert directives["object-src"] == "object-src 'none'"
    assert directives["base-uri"] == "base-uri 'none'"
    assert directives["frame-ancestors"] == "frame-ancestors 'none'"
    assert headers["x-frame-options"] == "DENY"
    for feature in ("camera=()", "microphone=()", "geolocation=()"):
        assert feature in headers["permissions-policy"]


def test_cors_is_off_by_default(client: TestClient) -> None:
    origin = {"Origin": "https://evil.example"}
    assert "access-control-allow-origin" not in client.get("/api/me", headers=origin).headers
    preflight = client.options("/api/expenses", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code == 405


def test_cors_allows_exactly_the_configured_origins(tmp_path: Path) -> None:
    env = server_env(tmp_path, CORS_ORIGINS="https://budget.example, https://other.example")
    server = start_server(tmp_path, env)
    try:
        ask = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
        allowed = httpx2.options(
            f"{server.url}/api/expenses", headers={"Origin": "https://other.example", **ask}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://other.example"
        assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
        assert allowed.headers["x-content-type-options"] == "nosniff"
        simple = httpx2.get(f"{server.url}/api/me", headers={"Origin": "https://budget.example"})
        assert simple.status_code == 401
        assert simple.headers["access-control-allow-origin"] == "https://budget.example"

        refused = httpx2.options(
            f"{server.url}/api/expenses", headers={"Origin": "https://evil.example", **ask}
        )
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        other = httpx2.get(f"{server.url}/api/me", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
    finally:
        stop_server(server)


def test_wrong_method_is_405_naming_every_allowed_method(client: TestClient) -> None:
    headers = register(client)
    for method, url, allow in (
        ("OPTIONS", "/api/me", "DELETE, GET, PATCH"),
        ("PUT", "/api/expenses/1", "DELETE, GET, PATCH"),
        ("PATCH", "/api/expenses/export.csv", "GET"),
        ("DELETE", "/api/expenses/export.csv", "GET"),
        ("PUT", "/api/expenses/export.csv?ledger=999", "GET"),  # whichever ledger it names
        ("PATCH", "/api/expenses/import?ledger=999", "POST"),
        ("GET", "/api/auth/login", "POST"),
        ("POST", "/", "GET, HEAD"),
    ):
        response = client.request(method, url, headers=headers)
        assert response.status_code == 405, (method, url)
        assert response.headers["allow"] == allow
        assert response.json() == {"detail": "Method Not Allowed"}
    assert client.post("/api/nothing-here").status_code == 404


def test_openapi_states_the_rules_fuzzers_and_clients_rely_on(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    # PATCH fields may be left out, never null, but for the few where null means "none" (clearable).
    for model in (ExpenseUpdate, UserUpdate, AdminUserUpdate, BudgetUpdate, RecurringUpdate, LedgerUpdate):
        for field, prop in schemas[model.__name__]["properties"].items():
            assert ("null" in str(prop)) is (field in model.clearable), (model.__name__, field, prop)
    assert schemas["PasswordChange"]["properties"]["new_password"]["minLength"] == 8
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/api/me/password", "post"), ("/api/me", "delete")):
        assert {"401", "403", "422", "429"} <= set(paths[path][method]["responses"])


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "0.00",
        "0.5",
        "0.05",
        "00012.5",
        "12.50",
        "999999999.99",
        "1000000000",
        "1000000000.0",
        "1000000000.01",
        "1000000001",
        ".5",
        "5.",
        "1.234",
        "-1",
        "1e3",
        " 1",
        "01",
    ],
)
def test_amount_string_pattern_in_the_schema_matches_the_server(text: str) -> None:
    """The schema states the rules for the usual two decimals (USD)."""
    try:
        to_minor(parse_decimal_amount(text), "USD")
        accepted = True
    except ValueError:
        accepted = False
    assert bool(re.fullmatch(AMOUNT_SCHEMA_PATTERN, text)) == accepted


def test_route_work_runs_on_at_most_threads_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """THREADS caps the threadpool the routes run on (app.main's lifespan), not anyio's 40."""
    monkeypatch.setattr(settings, "threads", 3)
    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(main, "_start_of_day", lambda: None)  # the start-up's database work
    with TestClient(app) as client:
        assert client.portal is not None
        assert client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens) == 3
