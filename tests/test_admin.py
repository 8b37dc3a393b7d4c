"""The admin role: who gets it, what an admin may do to accounts, and the last-admin rule."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, add_expense, register

Headers = dict[str, str]


def me(client: TestClient, headers: Headers) -> dict[str, Any]:
    response = client.get("/api/me", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def users(client: TestClient, headers: Headers) -> list[dict[str, Any]]:
    response = client.get("/api/admin/users", headers=headers)
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()
    return body


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return register(client, "admin@example.com")


def test_first_account_is_admin_and_later_ones_are_not(client: TestClient) -> None:
    first = register(client, "first@example.com")
    second = register(client, "second@example.com")
    assert me(client, first)["is_admin"] is True
    assert me(client, second)["is_admin"] is False


def test_concurrent_first_registrations_make_one_admin(client: TestClient) -> None:
    def sign_up(n: int) -> bool:
        response = client.post(
            "/api/auth/register", json={"email": f"racer{n}@example.com", "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        return bool(response.json()["user"]["is_admin"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        admins = list(pool.map(sign_up, range(6)))
    assert admins.count(True) == 1


def test_list_users_shows_counts_not_expenses(client: TestClient, admin: Headers) -> None:
    other = register(client, "other@example.com", display_name="Other")
    for month in ("2026-10-02", "2026-11-03", "2026-11-04"):
        add_expense(client, other, date=month, description="secret dinner")
    client.post("/api/auth/login", json={"email": "other@example.com", "password": PASSWORD})

    listed = users(client, admin)
    assert [u["email"] for u in listed] == ["admin@example.com", "other@example.com"]
    row = listed[1]
    assert set(row) == {
        "id", "email", "display_name", "created_at", "last_login_at", "expense_count", "disabled", "is_admin",
    }  # fmt: skip
    assert row["expense_count"] == 3
    assert row["display_name"] == "Other"
    assert row["disabled"] is False
    assert row["is_admin"] is False
    assert row["last_login_at"] is not None
    assert listed[0]["last_login_at"] is None  # registered, never logged in
    assert listed[0]["expense_count"] == 0
    assert "secret dinner" not in client.get("/api/admin/users", headers=admin).text


def test_non_admin_gets_403_and_anonymous_401(client: TestClient, admin: Headers) -> None:
    user = register(client)
    user_id = me(client, user)["id"]
    calls = [
        ("GET", "/api/admin/users", None),
        ("POST", "/api/admin/users", {"email": "n@example.com", "password": PASSWORD}),
        ("PATCH", f"/api/admin/users/{user_id}", {"is_admin": True}),
        ("DELETE", f"/api/admin/users/{user_id}", None),
        ("POST", f"/api/admin/users/{user_id}/reset-link", None),
        ("POST", "/api/admin/invitations", {}),
    ]
    for method, path, body in calls:
        assert client.request(method, path, json=body, headers=user).status_code == 403, path
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, path
        assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert me(client, user)["is_admin"] is False


def test_admin_makes_another_admin_who_can_then_act(client: TestClient, admin: Headers) -> None:
    other = register(client)
    other_id = me(client, other)["id"]
    response = client.patch(f"/api/admin/users/{other_id}", json={"is_admin": True}, headers=admin)
    assert response.status_code == 200
    assert response.json()["is_admin"] is True
    assert len(users(client, other)) == 2


def test_disable_ends_sessions_and_blocks_login(client: TestClient, admin: Headers) -> None:
    user = register(client, "victim@example.com")
    user_id = me(client, user)["id"]
    response = client.patch(f"/api/admin/users/{user_id}", json={"disabled": True}, headers=admin)
    assert response.status_code == 200
    assert response.json()["disabled"] is True
    assert client.get("/api/me", headers=user).status_code == 401
    login = client.post("/api/auth/login", json={"email": "victim@example.com", "password": PASSWORD})
    assert login.status_code == 401
    assert login.json() == {"detail": "Invalid email or password"}  # as for a wrong password
    token = client.post("/api/auth/token", data={"username": "victim@example.com", "password": PASSWORD})
    assert token.status_code == 401

    assert (
        client.patch(f"/api/admin/users/{user_id}", json={"disabled": False}, headers=admin).status_code
        == 200
    )
    assert client.get("/api/me", headers=user).status_code == 401  # old tokens stay dead
    login = client.post("/api/auth/login", json={"email": "victim@example.com", "password": PASSWORD})
    assert login.status_code == 200


def test_last_admin_cannot_be_demoted_disabled_or_deleted(client: TestClient, admin: Headers) -> None:
    admin_id = me(client, admin)["id"]
    for change in ({"is_admin": False}, {"disabled": True}):
        response = client.patch(f"/api/admin/users/{admin_id}", json=change, headers=admin)
        assert response.status_code == 409
        assert "last admin" in response.json()["detail"]
    assert client.delete(f"/api/admin/users/{admin_id}", headers=admin).status_code == 409
    assert me(client, admin)["is_admin"] is True

    # A disabled admin does not count: the only enabled one is still the last.
    second = register(client)
    second_id = me(client, second)["id"]
    client.patch(f"/api/admin/users/{second_id}", json={"is_admin": True, "disabled": True}, headers=admin)
    assert (
        client.patch(f"/api/admin/users/{admin_id}", json={"is_admin": False}, headers=admin).status_code
        == 409
    )

    client.patch(f"/api/admin/users/{second_id}", json={"disabled": False}, headers=admin)
    response = client.patch(f"/api/admin/users/{admin_id}", json={"is_admin": False}, headers=admin)
    assert response.status_code == 200
    assert response.json()["is_admin"] is False
    assert client.get("/api/admin/users", headers=admin).status_code == 403


def test_delete_user_removes_their_data(client: TestClient, admin: Headers) -> None:
    user = register(client, "gone@example.com")
    add_expense(client, user)
    user_id = me(client, user)["id"]
    assert client.delete(f"/api/admin/users/{user_id}", headers=admin).status_code == 204
    assert client.get("/api/me", headers=user).status_code == 401
    assert [u["email"] for u in users(client, admin)] == ["admin@example.com"]
    assert client.delete(f"/api/admin/users/{user_id}", headers=admin).status_code == 404


def test_unknown_and_bad_ids(client: TestClient, admin: Headers) -> None:
    for user_id in ("999", str(2**63), str(2**70), "0", "-1"):
        assert (
            client.patch(f"/api/admin/users/{user_id}", json={"disabled": True}, headers=admin).status_code
            == 404
        )
        assert client.delete(f"/api/admin/users/{user_id}", headers=admin).status_code == 404
        assert client.post(f"/api/admin/users/{user_id}/reset-link", headers=admin).status_code == 404
    assert client.patch("/api/admin/users/abc", json={"disabled": True}, headers=admin).status_code == 422
    assert client.delete("/api/admin/users/abc", headers=admin).status_code == 422


def test_validation_errors(client: TestClient, admin: Headers) -> None:
    admin_id = me(client, admin)["id"]
    bad_patches = [{"disabled": None}, {"is_admin": "maybe"}, {"is_admin": 1}, {"email": "x@example.com"}]
    for body in bad_patches:
        response = client.patch(f"/api/admin/users/{admin_id}", json=body, headers=admin)
        assert response.status_code == 422, body
    bad_creates = [
        {"email": "nope", "password": PASSWORD},
        {"email": "a@example.com", "password": "short"},
        {},
    ]
    for body in bad_creates:
        assert client.post("/api/admin/users", json=body, headers=admin).status_code == 422, body
    for body in ({"valid_days": 0}, {"valid_days": 31}, {"valid_days": "x"}):
        assert client.post("/api/admin/invitations", json=body, headers=admin).status_code == 422, body


def test_admin_creates_accounts(client: TestClient, admin: Headers) -> None:
    body = {"email": "New@Example.com", "password": PASSWORD, "display_name": "New"}
    response = client.post("/api/admin/users", json=body, headers=admin)
    assert response.status_code == 201
    created = response.json()
    assert created["email"] == "new@example.com"
    assert created["is_admin"] is False
    assert created["expense_count"] == 0
    assert client.post("/api/admin/users", json=body, headers=admin).status_code == 409
    login = client.post("/api/auth/login", json={"email": "new@example.com", "password": PASSWORD})
    assert login.status_code == 200

    promoted = {"email": "boss@example.com", "password": PASSWORD, "is_admin": True}
    assert client.post("/api/admin/users", json=promoted, headers=admin).json()["is_admin"] is True
