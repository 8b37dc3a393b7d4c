"""Registration control, invitation links and password reset links."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update

from app import models
from app.config import settings
from app.models import OneTimeLink
from tests.factories import PASSWORD, register

Headers = dict[str, str]
NEW_PASSWORD = "a whole new passphrase"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Links are issued and checked by the models' clock: stop it, so expiry is exact."""
    monkeypatch.setattr(models, "datetime", SimpleNamespace(now=lambda tz: NOW))


@pytest.fixture
def admin(client: TestClient) -> Headers:
    return register(client, "admin@example.com")


@pytest.fixture
def closed(admin: Headers) -> Iterator[None]:
    """Registration closed, after the admin's account exists."""
    settings.allow_registration = False
    yield
    settings.allow_registration = True


def invite(client: TestClient, admin: Headers, **body: object) -> str:
    response = client.post("/api/admin/invitations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["url"] == f"http://testserver/#/invite/{link['token']}"
    token: str = link["token"]
    return token


def reset_link(client: TestClient, admin: Headers, user_id: int) -> str:
    response = client.post(f"/api/admin/users/{user_id}/reset-link", headers=admin)
    assert response.status_code == 201, response.text
    link = response.json()
    assert link["url"] == f"http://testserver/#/reset/{link['token']}"
    expires = datetime.fromisoformat(link["expires_at"])
    assert expires == NOW + timedelta(hours=1)
    token: str = link["token"]
    return token


def sign_up(client: TestClient, email: str, **extra: object) -> int:
    body = {"email": email, "password": PASSWORD, **extra}
    return client.post("/api/auth/register", json=body).status_code


def expire_all(engine: Engine) -> None:
    """Every link's last moment is now: a link is good until, not at, its expiry."""
    with engine.begin() as conn:
        conn.execute(update(OneTimeLink).values(expires_at=NOW))


def test_closed_registration_is_403_for_everyone(client: TestClient, closed: None) -> None:
    response = client.post("/api/auth/register", json={"email": "x@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert "closed" in response.json()["detail"]


def test_closed_on_an_empty_instance_too(client: TestClient) -> None:
    settings.allow_registration = False
    try:
        assert sign_up(client, "first@example.com") == 403
    finally:
        settings.allow_registration = True


def test_admin_creates_accounts_while_closed(client: TestClient, admin: Headers, closed: None) -> None:
    body = {"email": "made@example.com", "password": PASSWORD}
    assert client.post("/api/admin/users", json=body, headers=admin).status_code == 201


def test_invitation_registers_once_while_closed(
    client: TestClient, admin: Headers, closed: None, engine: Engine
) -> None:
    token = invite(client, admin)
    response = client.post(
        "/api/auth/register", json={"email": "guest@example.com", "password": PASSWORD, "invitation": token}
    )
    assert response.status_code == 201
    assert response.json()["user"]["is_admin"] is False
    assert sign_up(client, "second@example.com", invitation=token) == 403
    with engine.connect() as conn:
        stored = conn.scalars(select(OneTimeLink.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]  # the hash, never the token


def test_invitation_not_spent_by_a_taken_email(client: TestClient, admin: Headers, closed: None) -> None:
    token = invite(client, admin)
    assert sign_up(client, "admin@example.com", invitation=token) == 409
    assert sign_up(client, "fresh@example.com", invitation=token) == 201


def test_expired_unknown_and_malformed_invitations(
    client: TestClient, admin: Headers, closed: None, engine: Engine
) -> None:
    invite(client, admin, valid_days=1)
    token = invite(client, admin)
    expire_all(engine)
    assert sign_up(client, "late@example.com", invitation=token) == 403
    assert sign_up(client, "made-up@example.com", invitation="A" * 43) == 403
    assert sign_up(client, "bad@example.com", invitation="not a token!") == 422
    assert sign_up(client, "bad@example.com", invitation="") == 422


def test_invitation_works_while_open_too(client: TestClient, admin: Headers) -> None:
    token = invite(client, admin, valid_days=30)
    assert sign_up(client, "open@example.com", invitation=token) == 201
    assert sign_up(client, "open2@example.com", invitation=token) == 403


def test_reset_link_sets_password_once_and_ends_sessions(
    client: TestClient, admin: Headers, engine: Engine
) -> None:
    user = register(client, "forgetful@example.com")
    user_id = client.get("/api/me", headers=user).json()["id"]
    token = reset_link(client, admin, user_id)
    with engine.connect() as conn:
        assert conn.scalar(select(OneTimeLink.token_hash)) == hashlib.sha256(token.encode()).hexdigest()

    response = client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert client.get("/api/me", headers=user).status_code == 401
    old = client.post("/api/auth/login", json={"email": "forgetful@example.com", "password": PASSWORD})
    assert old.status_code == 401
    new = client.post("/api/auth/login", json={"email": "forgetful@example.com", "password": NEW_PASSWORD})
    assert new.status_code == 200

    again = client.post("/api/auth/reset", json={"token": token, "new_password": "yet another one"})
    assert again.status_code == 403
    assert "not valid" in again.json()["detail"]


def test_a_reset_spends_the_users_other_reset_links(client: TestClient, admin: Headers) -> None:
    user_id = client.get("/api/me", headers=register(client)).json()["id"]
    first, second = reset_link(client, admin, user_id), reset_link(client, admin, user_id)
    assert (
        client.post("/api/auth/reset", json={"token": second, "new_password": NEW_PASSWORD}).status_code
        == 204
    )
    assert (
        client.post("/api/auth/reset", json={"token": first, "new_password": NEW_PASSWORD}).status_code == 403
    )


def test_expired_unknown_and_invitation_tokens_do_not_reset(
    client: TestClient, admin: Headers, engine: Engine
) -> None:
    user_id = client.get("/api/me", headers=register(client)).json()["id"]
    invitation = invite(client, admin)
    assert (
        client.post("/api/auth/reset", json={"token": invitation, "new_password": NEW_PASSWORD}).status_code
        == 403
    )
    assert (
        client.post("/api/auth/reset", json={"token": "B" * 43, "new_password": NEW_PASSWORD}).status_code
        == 403
    )
    token = reset_link(client, admin, user_id)
    expire_all(engine)
    assert (
        client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD}).status_code == 403
    )


@pytest.mark.parametrize(
    "body",
    [
        {"token": "abc", "new_password": "short"},
        {"token": "a b", "new_password": NEW_PASSWORD},
        {"token": "abc"},
        {"new_password": NEW_PASSWORD},
        {"token": "abc", "new_password": NEW_PASSWORD, "extra": 1},
    ],
)
def test_reset_validation(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/auth/reset", json=body).status_code == 422


def test_reset_link_for_a_deleted_user_is_gone(client: TestClient, admin: Headers) -> None:
    user_id = client.get("/api/me", headers=register(client)).json()["id"]
    token = reset_link(client, admin, user_id)
    assert client.delete(f"/api/admin/users/{user_id}", headers=admin).status_code == 204
    assert (
        client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD}).status_code == 403
    )
