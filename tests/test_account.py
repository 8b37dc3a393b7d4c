"""Account lifecycle: changing the password and deleting the account."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import Engine, func, select

from app.models import Budget, Expense, Ledger, LedgerMember, MonthlyTotal, User
from tests.factories import PASSWORD, add_budget, add_expense, expense_body, raw_json, register
from tests.test_ledgers import Headers, invite, join, me, new_ledger

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


# Deleting an account, by itself or by an admin: the same rules (app.services.ledgers.leave_all).


@pytest.fixture(params=["themselves", "by-admin"])
def delete_account(request: pytest.FixtureRequest, client: TestClient) -> Callable[[Headers], Response]:
    """Delete the account these headers log in: by itself (with its password) or by the admin."""
    admin = register(client, "admin@x.io")  # the first account: the instance's admin

    def delete(headers: Headers) -> Response:
        if request.param == "themselves":
            return client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=headers)
        return client.delete(f"/api/admin/users/{me(client, headers)}", headers=admin)

    return delete


@pytest.mark.parametrize("where", ["own personal", "another's personal", "shared, owing", "shared, owed"])
def test_a_balance_in_any_ledger_is_409_naming_it(
    client: TestClient, delete_account: Callable[[Headers], Response], where: str
) -> None:
    ann, bob = register(client, display_name="Ann"), register(client, display_name="Bob")
    ann_id, bob_id = me(client, ann), me(client, bob)
    if where == "own personal":
        ledger = client.get("/api/ledgers", headers=ann).json()[0]
        join(client, bob, invite(client, ann, ledger["id"]))
    elif where == "another's personal":
        ledger = client.get("/api/ledgers", headers=bob).json()[0]
        join(client, ann, invite(client, bob, ledger["id"]))
    else:
        ledger = new_ledger(client, bob, name="Flat")
        join(client, ann, invite(client, bob, ledger["id"]))
    payer = ann if where in ("another's personal", "shared, owed") else bob
    client.post(f"/api/expenses?ledger={ledger['id']}", json=expense_body(amount=10), headers=payer)
    refused_delete = delete_account(ann)
    assert refused_delete.status_code == 409
    assert f"the ledger {ledger['name']!r}" in refused_delete.json()["detail"]
    assert client.get("/api/me", headers=ann).status_code == 200
    owes, owed = (bob_id, ann_id) if payer is ann else (ann_id, bob_id)
    settle = {"from_user_id": owes, "to_user_id": owed, "amount": 5, "date": "2026-11-12"}
    assert (
        client.post(f"/api/ledgers/{ledger['id']}/settlements", json=settle, headers=bob).status_code == 201
    )
    assert delete_account(ann).status_code == 204
    assert client.get("/api/me", headers=ann).status_code == 401


def test_a_personal_ledger_with_debts_between_others_is_not_deleted_with_its_account(
    client: TestClient, delete_account: Callable[[Headers], Response]
) -> None:
    """The personal ledger goes with the account: not while it still records what others owe."""
    ann, bob, carl = register(client), register(client), register(client)
    personal = client.get("/api/ledgers", headers=ann).json()[0]["id"]
    for headers in (bob, carl):
        join(client, headers, invite(client, ann, personal))
    split = [{"user_id": me(client, carl), "shares": 1}]
    client.post(f"/api/expenses?ledger={personal}", json=expense_body(amount=8, split=split), headers=bob)
    refused_delete = delete_account(ann)
    assert refused_delete.status_code == 409
    assert "the ledger 'Personal'" in refused_delete.json()["detail"]
    settle = {
        "from_user_id": me(client, carl),
        "to_user_id": me(client, bob),
        "amount": 8,
        "date": "2026-11-12",
    }
    assert client.post(f"/api/ledgers/{personal}/settlements", json=settle, headers=carl).status_code == 201
    assert delete_account(ann).status_code == 204
    assert client.get(f"/api/ledgers/{personal}", headers=bob).status_code == 404  # gone with Ann


def test_the_ledgers_an_account_leaves_keep_an_owner(
    client: TestClient, engine: Engine, delete_account: Callable[[Headers], Response]
) -> None:
    ann, bob, carl, dan = (register(client, display_name=name) for name in ("Ann", "Bob", "Carl", "Dan"))
    flat = new_ledger(client, ann, name="Flat")["id"]
    join(client, carl, invite(client, ann, flat, "viewer"))  # the longest-standing after Ann
    join(client, bob, invite(client, ann, flat, "editor"))
    solo = new_ledger(client, ann, name="Solo")["id"]  # nobody else in it
    pair = new_ledger(client, ann, name="Pair")["id"]
    join(client, bob, invite(client, ann, pair))
    client.patch(f"/api/ledgers/{pair}/members/{me(client, bob)}", json={"role": "owner"}, headers=ann)
    club = new_ledger(client, dan, name="Club")["id"]
    join(client, ann, invite(client, dan, club))
    dans_own = client.get("/api/ledgers", headers=dan).json()[0]["id"]
    join(client, ann, invite(client, dan, dans_own))

    assert delete_account(ann).status_code == 204

    def roles(headers: Headers, ledger_id: int) -> list[tuple[str, str]]:
        members = client.get(f"/api/ledgers/{ledger_id}", headers=headers).json()["members"]
        return [(m["display_name"], m["role"]) for m in members]

    assert roles(carl, flat) == [("Carl", "owner"), ("Bob", "editor")]
    assert roles(bob, pair) == [("Bob", "owner")]
    assert roles(dan, club) == [("Dan", "owner")]
    assert roles(dan, dans_own) == [("Dan", "owner")]
    with engine.connect() as conn:
        names = set(conn.scalars(select(Ledger.name)))
        owned = set(conn.scalars(select(LedgerMember.ledger_id).where(LedgerMember.role == "owner")))
        ledger_ids = set(conn.scalars(select(Ledger.id)))
    assert "Solo" not in names  # nobody left who could reach it
    assert solo not in ledger_ids
    assert owned == ledger_ids  # every ledger left has an owner
