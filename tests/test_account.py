"""Account lifecycle: changing the password and deleting the account."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.models import Budget, Expense, MonthlyTotal, User
from tests.factories import PASSWORD, add_budget, add_expense, raw_json, register

NEW_PASSWORD = "a brand new passphrase"


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def _count(engine: Engine, model: type[User | Expense | Budget | MonthlyTotal]) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model)) or 0


def test_change_password_revokes_old_tokens_and_new_login_works(client: TestClient) -> None:
    headers = register(client, "pat@x.io")
    other_session = {
        "Authorization": "Bearer "
        + client.post("/api/auth/login", json={"email": "pat@x.io", "password": PASSWORD}).json()[
            "access_token"
        ]
    }
    response = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers=headers,
    )
    assert response.status_code == 204
    assert response.content == b""
    # Every token from before the change, this one and the other session's, is refused.
    for old in (headers, other_session):
        assert client.get("/api/me", headers=old).status_code == 401
    assert _login(client, "pat@x.io", PASSWORD) == 401
    login = client.post("/api/auth/login", json={"email": "pat@x.io", "password": NEW_PASSWORD})
    assert login.status_code == 200
    fresh = {"Authorization": f"Bearer {login.json()['access_token']}"}
    assert client.get("/api/me", headers=fresh).json()["email"] == "pat@x.io"


def test_change_password_with_wrong_current_password_is_403(client: TestClient) -> None:
    headers = register(client, "pat@x.io")
    # A current password no account could have is a wrong one too, not a malformed body.
    for wrong in ("not my password", "short", "x" * 2000, "\ud800" * 9):
        body = {"current_password": wrong, "new_password": NEW_PASSWORD}
        response = client.post("/api/me/password", **raw_json(body, headers))
        assert response.status_code == 403
        assert response.json() == {"detail": "That password is not correct."}
    # Nothing changed: the token still works and the old password still logs in.
    assert client.get("/api/me", headers=headers).status_code == 200
    assert _login(client, "pat@x.io", PASSWORD) == 200
    assert _login(client, "pat@x.io", NEW_PASSWORD) == 401


@pytest.mark.parametrize(
    "body",
    [
        {"current_password": PASSWORD, "new_password": "short"},
        {"current_password": PASSWORD, "new_password": "x" * 129},
        {"current_password": PASSWORD, "new_password": "abc\ud800defgh"},
        {"current_password": PASSWORD, "new_password": "tab\there1"},
        {"current_password": PASSWORD},
        {"new_password": NEW_PASSWORD},
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "email": "b@x.io"},
        {"current_password": None, "new_password": NEW_PASSWORD},
        [],
    ],
)
def test_change_password_validation(client: TestClient, body: object) -> None:
    headers = register(client, "pat@x.io")
    assert client.post("/api/me/password", **raw_json(body, headers)).status_code == 422
    assert client.get("/api/me", headers=headers).status_code == 200
    assert _login(client, "pat@x.io", PASSWORD) == 200


def test_change_password_needs_a_token(client: TestClient) -> None:
    register(client, "pat@x.io")
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    response = client.post("/api/me/password", json=body)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _login(client, "pat@x.io", PASSWORD) == 200


def test_delete_account_removes_user_and_their_data_only(client: TestClient, engine: Engine) -> None:
    alice, bob = register(client, "alice@x.io"), register(client, "bob@x.io")
    for _ in range(3):
        add_expense(client, alice)
    add_expense(client, bob)
    for headers, category in ((alice, "Food"), (alice, "Rent"), (bob, "Food")):
        add_budget(client, headers, category, 100)
    response = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=alice)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/me", headers=alice).status_code == 401
    assert _login(client, "alice@x.io", PASSWORD) == 401
    assert _count(engine, User) == 1
    assert _count(engine, Expense) == 1  # bob's
    assert _count(engine, Budget) == 1  # bob's
    assert _count(engine, MonthlyTotal) == 1  # bob's one month and category
    assert client.get("/api/expenses", headers=bob).json()["total"] == 1
    # The address is free again; the new account starts empty.
    again = register(client, "alice@x.io")
    assert client.get("/api/expenses", headers=again).json()["total"] == 0


def test_delete_account_with_wrong_password_is_403(client: TestClient, engine: Engine) -> None:
    headers = register(client, "alice@x.io")
    add_expense(client, headers)
    for wrong in ("not my password", "x" * 2000, "\udfff" * 9):
        response = client.request("DELETE", "/api/me", **raw_json({"password": wrong}, headers))
        assert response.status_code == 403
        assert response.json() == {"detail": "That password is not correct."}
    assert client.get("/api/me", headers=headers).status_code == 200
    assert _count(engine, Expense) == 1


@pytest.mark.parametrize(
    "body", [None, {}, {"password": None}, {"password": 12345678}, {"password": PASSWORD, "extra": 1}, []]
)
def test_delete_account_validation(client: TestClient, body: object) -> None:
    headers = register(client, "alice@x.io")
    kwargs = {"headers": headers} if body is None else raw_json(body, headers)
    assert client.request("DELETE", "/api/me", **kwargs).status_code == 422
    assert client.get("/api/me", headers=headers).status_code == 200


def test_delete_account_needs_a_token(client: TestClient, engine: Engine) -> None:
    register(client, "alice@x.io")
    response = client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert _count(engine, User) == 1


def test_deleted_users_id_is_never_handed_out_again(client: TestClient) -> None:
    # Left to itself SQLite reuses the highest rowid once it is free, and a deleted user's token
    # would then fit the next account; AUTOINCREMENT (a sequence on PostgreSQL) prevents that.
    old = register(client, "gone@x.io")
    old_id = client.get("/api/me", headers=old).json()["id"]
    client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=old)
    new = register(client, "new@x.io")
    assert client.get("/api/me", headers=new).json()["id"] != old_id
    assert client.get("/api/me", headers=old).status_code == 401
    assert client.get("/api/me", headers=new).status_code == 200
