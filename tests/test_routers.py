"""Every route checks its caller (app.auth): a walk over app.routes, so a route added next year is
covered without a new test."""

import re
from collections.abc import Iterator

from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from jose import jwt

from app.auth import PUBLIC
from app.config import settings
from app.main import app
from tests.factories import PASSWORD, register


def api_routes() -> Iterator[tuple[str, str, set[str]]]:
    """(name, path, methods) of every route of the API, as served (routers' prefixes included)."""
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and str(route.path).startswith("/api/"):
            yield str(route.name), str(route.path), set(route.methods or ())


def guarded_calls() -> Iterator[tuple[str, str]]:
    """(method, path) of every API route not on the allow-list, path parameters filled in."""
    for name, path, methods in api_routes():
        if name not in PUBLIC:
            for method in sorted(methods - {"HEAD"}):
                yield method, re.sub(r"\{[^}]+\}", "1", path)


def test_the_allow_list_names_only_routes_that_exist_and_every_other_route_is_walked() -> None:
    names = {name for name, _, _ in api_routes()}
    assert names >= PUBLIC
    assert {
        "register",
        "login",
        "login_for_token",
        "read_auth_options",
        "forgot_password",
        "reset_password",
        "health",
        "ready",
    } == PUBLIC
    assert len(list(guarded_calls())) > 40


def test_every_route_not_on_the_allow_list_refuses_a_caller_without_a_live_session(
    client: TestClient,
) -> None:
    admin = register(client, email="admin@example.com")  # the first account is the instance's admin
    logged_out = register(client, email="out@example.com")
    assert client.post("/api/auth/logout", headers=logged_out).status_code == 204
    disabled = register(client, email="off@example.com")
    disabled_id = client.get("/api/me", headers=disabled).json()["id"]
    assert (
        client.patch(f"/api/admin/users/{disabled_id}", json={"disabled": True}, headers=admin).status_code
        == 200
    )
    deleted = register(client, email="gone@example.com")
    assert (
        client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=deleted).status_code == 204
    )
    live = register(client, email="live@example.com")
    claims = jwt.decode(live["Authorization"][7:], settings.resolved_secret_key, algorithms=["HS256"])
    other_key = jwt.encode(claims, "another secret that is long enough to sign!", algorithm="HS256")
    callers = {
        "no token": {},
        "a logged-out token": logged_out,
        "a disabled account's token": disabled,
        "a deleted account's token": deleted,
        "a token signed with another key": {"Authorization": f"Bearer {other_key}"},
    }
    let_in = []
    for method, path in guarded_calls():
        for who, headers in callers.items():
            response = client.request(method, path, headers=headers, json={})
            if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
                let_in.append(f"{method} {path} with {who}: {response.status_code}")
    for who, headers in callers.items():  # a well-formed query too: this one once answered 200 to them
        response = client.get("/api/rates?from=JPY&to=EUR&date=2026-03-02", headers=headers)
        if response.status_code != 401:
            let_in.append(f"GET /api/rates?... with {who}: {response.status_code}")
    assert let_in == [], "\n".join(let_in)


def test_two_authorization_headers_are_refused(client: TestClient) -> None:
    one, two = register(client), register(client)
    both = [("Authorization", one["Authorization"]), ("Authorization", two["Authorization"])]
    for path in ("/api/me", "/api/expenses", "/api/summary?month=2026-11", "/api/ledgers"):
        response = client.get(path, headers=both)
        assert response.status_code == 401, path
