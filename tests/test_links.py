"""Registration control, invitation links and password reset links."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app import models
from app.config import settings
from app.models import OneTimeLink, User
from app.services import links, users
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


def test_closed_registration_does_not_tell_which_emails_have_accounts(
    client: TestClient, closed: None
) -> None:
    known = client.post("/api/auth/register", json={"email": "admin@example.com", "password": PASSWORD})
    unknown = client.post("/api/auth/register", json={"email": "nobody@example.com", "password": PASSWORD})
    assert known.status_code == unknown.status_code == 403
    assert known.json() == unknown.json()


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


def test_link_url_prefers_public_url_then_the_request_then_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "public_url", "")
    monkeypatch.setattr(settings, "host", "10.0.0.5")
    monkeypatch.setattr(settings, "port", 9000)
    assert links.url(links.RESET, "tok") == "http://10.0.0.5:9000/#/reset/tok"
    assert links.url(links.INVITATION, "tok", request_base="http://box/") == "http://box/#/invite/tok"
    monkeypatch.setattr(settings, "public_url", "https://money.example.org/")
    assert (
        links.url(links.RESET, "tok", request_base="http://box/") == "https://money.example.org/#/reset/tok"
    )


def test_find_by_email_ignores_case_and_spaces_and_refuses_control_characters(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(User(email="ann@example.com", password_hash="x"))
        session.commit()
        found = users.find_by_email(session, "  Ann@Example.COM ")
        assert found is not None
        assert found.email == "ann@example.com"
        assert users.find_by_email(session, "bob@example.com") is None
        assert users.find_by_email(session, "ann@example.com\x00") is None


def _resets(client: TestClient, token: str) -> int:
    return client.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD}).status_code


def test_a_password_change_spends_outstanding_reset_links(client: TestClient, admin: Headers) -> None:
    user = register(client)
    token = reset_link(client, admin, client.get("/api/me", headers=user).json()["id"])
    body = {"current_password": PASSWORD, "new_password": "changed it myself"}
    assert client.post("/api/me/password", json=body, headers=user).status_code == 204
    assert _resets(client, token) == 403


def test_disabling_an_account_spends_its_reset_links(client: TestClient, admin: Headers) -> None:
    user_id = client.get("/api/me", headers=register(client)).json()["id"]
    token = reset_link(client, admin, user_id)
    for disabled in (True, False):  # enabling the account again does not bring the link back
        response = client.patch(f"/api/admin/users/{user_id}", json={"disabled": disabled}, headers=admin)
        assert response.status_code == 200
    assert _resets(client, token) == 403
    assert _resets(client, reset_link(client, admin, user_id)) == 204  # a new link works


def test_deleting_your_account_removes_its_reset_links(
    client: TestClient, admin: Headers, engine: Engine
) -> None:
    user = register(client)
    token = reset_link(client, admin, client.get("/api/me", headers=user).json()["id"])
    assert client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=user).status_code == 204
    assert _resets(client, token) == 403
    with engine.connect() as conn:
        assert conn.scalar(select(OneTimeLink.id).where(OneTimeLink.kind == "reset")) is None
