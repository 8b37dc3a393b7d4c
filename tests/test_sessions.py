"""Log out (this token) and log out everywhere (every token of the account)."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.models import RevokedToken, User, utcnow
from tests.factories import PASSWORD, register


def _log_in(client: TestClient, email: str) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_log_out_ends_this_token_only(client: TestClient) -> None:
    phone = register(client, "a@x.io")
    laptop = _log_in(client, "a@x.io")
    assert client.post("/api/auth/logout", headers=phone).status_code == 204
    response = client.get("/api/me", headers=phone)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.get("/api/me", headers=laptop).status_code == 200
    # The ended token cannot log out again, and a fresh log-in works as before.
    assert client.post("/api/auth/logout", headers=phone).status_code == 401
    assert client.get("/api/me", headers=_log_in(client, "a@x.io")).status_code == 200


def test_log_out_everywhere_ends_every_token(client: TestClient) -> None:
    phone = register(client, "a@x.io")
    laptop = _log_in(client, "a@x.io")
    other_user = register(client, "b@x.io")
    assert client.post("/api/auth/logout-everywhere", headers=laptop).status_code == 204
    assert client.get("/api/me", headers=phone).status_code == 401
    assert client.get("/api/me", headers=laptop).status_code == 401
    assert client.get("/api/me", headers=other_user).status_code == 200
    assert client.get("/api/me", headers=_log_in(client, "a@x.io")).status_code == 200


@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/logout-everywhere"])
def test_log_out_needs_a_valid_token(client: TestClient, path: str) -> None:
    assert client.post(path).status_code == 401
    response = client.post(path, headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/logout-everywhere"])
def test_log_out_takes_no_body_and_ignores_one(client: TestClient, path: str) -> None:
    # Nothing to validate, so no 422: a stray body (even malformed JSON) changes nothing.
    headers = register(client)
    stray = {**headers, "Content-Type": "application/json"}
    response = client.post(path, content=b"{not json", headers=stray)
    assert response.status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_log_out_forgets_revocations_of_expired_tokens(client: TestClient, engine: Engine) -> None:
    headers = register(client, "a@x.io")
    with Session(engine) as session:
        user_id = session.scalar(select(User.id))
        assert user_id is not None
        session.add(RevokedToken(jti="old", user_id=user_id, expires_at=utcnow() - timedelta(seconds=1)))
        session.add(RevokedToken(jti="live", user_id=user_id, expires_at=utcnow() + timedelta(hours=1)))
        session.commit()
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    with Session(engine) as session:
        left = set(session.scalars(select(RevokedToken.jti)))
    assert "old" not in left
    assert "live" in left
    assert len(left) == 2  # "live" and the token just logged out
