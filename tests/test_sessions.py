"""Sessions: renewal while used, log out (this session) and log out everywhere (every session)."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.access import ALGORITHM
from app.config import settings
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


# Sessions that renew themselves while used (POST /api/auth/renew).

DAY = 86400


def _token(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _claims(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, settings.resolved_secret_key, algorithms=[ALGORITHM]))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _about_to_expire(headers: dict[str, str], *, seconds: int, **changes: Any) -> dict[str, str]:
    """The same session's token, as if issued long ago: it expires `seconds` from now."""
    claims = _claims(_token(headers))
    now = int(time.time())
    claims.update({"iat": now - 30 * DAY + seconds, "exp": now + seconds, **changes})
    return _bearer(jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM))


def _renew(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    response = client.post("/api/auth/renew", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert datetime.fromisoformat(body["expires_at"]).timestamp() == _claims(body["access_token"])["exp"]
    return _bearer(body["access_token"])


def test_a_renewed_session_outlives_the_token_it_was_renewed_from(client: TestClient) -> None:
    # Seconds enough to renew it on a loaded machine, short enough to wait past.
    old = _about_to_expire(register(client, "a@x.io"), seconds=6)
    new = _renew(client, old)
    claims = _claims(_token(new))
    assert claims["exp"] - claims["iat"] == 30 * DAY  # the full idle lifetime again
    assert claims["jti"] == _claims(_token(old))["jti"]  # the same session
    # Past the old token's expiry: it is refused, the renewed one goes on.
    time.sleep(max(0.0, _claims(_token(old))["exp"] + 1.1 - time.time()))
    assert client.get("/api/me", headers=old).status_code == 401
    assert client.post("/api/auth/renew", headers=old).status_code == 401
    assert client.get("/api/me", headers=new).status_code == 200
    assert client.get("/api/expenses", headers=new).status_code == 200


def test_sessions_last_30_days_or_90_when_kept(client: TestClient) -> None:
    register(client, "a@x.io")
    for remember, days in ((False, 30), (True, 90)):
        body = {"email": "a@x.io", "password": PASSWORD, "remember": remember}
        response = client.post("/api/auth/login", json=body)
        assert response.status_code == 200, response.text
        claims = _claims(response.json()["access_token"])
        assert claims["exp"] - claims["iat"] == days * DAY
        # Renewal keeps the choice, whatever the client says.
        renewed = _claims(_token(_renew(client, _bearer(response.json()["access_token"]))))
        assert renewed["exp"] - renewed["iat"] == days * DAY
        assert renewed["rem"] is remember


def test_registration_can_keep_the_session_too(client: TestClient) -> None:
    body = {"email": "a@x.io", "password": PASSWORD, "remember": True}
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 201, response.text
    claims = _claims(response.json()["access_token"])
    assert claims["exp"] - claims["iat"] == 90 * DAY
    assert _claims(_token(register(client, "b@x.io")))["rem"] is False


def test_remember_must_be_a_boolean(client: TestClient) -> None:
    register(client, "a@x.io")
    for bad in ("yes", 1, None):
        response = client.post(
            "/api/auth/login", json={"email": "a@x.io", "password": PASSWORD, "remember": bad}
        )
        assert response.status_code == 422
        assert [error["loc"] for error in response.json()["detail"]] == [["body", "remember"]]


def test_kept_log_in_is_throttled_like_any_other(client: TestClient) -> None:
    register(client, "a@x.io")
    wrong = {"email": "a@x.io", "password": "not the password", "remember": True}
    for _ in range(5):
        assert client.post("/api/auth/login", json=wrong).status_code == 401
    right = client.post("/api/auth/login", json={**wrong, "password": PASSWORD})
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) > 0


def test_renewal_never_passes_the_absolute_lifetime(client: TestClient) -> None:
    headers = register(client, "a@x.io")
    began = int(time.time()) - settings.session_max_days * DAY + 3600  # logged in almost a year ago
    old = _about_to_expire(headers, seconds=600, auth_time=began)
    claims = _claims(_token(_renew(client, old)))
    assert claims["exp"] == began + settings.session_max_days * DAY
    assert claims["auth_time"] == began


def test_a_token_from_before_renewal_existed_renews(client: TestClient) -> None:
    # No auth_time or rem claim: a plain 30-day session begun at its iat.
    claims = _claims(_token(register(client, "a@x.io")))
    del claims["auth_time"], claims["rem"]
    old = _bearer(jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM))
    renewed = _claims(_token(_renew(client, old)))
    assert renewed["auth_time"] == claims["iat"]
    assert renewed["rem"] is False


def test_renewal_needs_a_live_session(client: TestClient) -> None:
    assert client.post("/api/auth/renew").status_code == 401
    response = client.post("/api/auth/renew", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    expired = _about_to_expire(register(client, "a@x.io"), seconds=-1)
    assert client.post("/api/auth/renew", headers=expired).status_code == 401


def test_renewal_takes_no_body_and_ignores_one(client: TestClient) -> None:
    headers = register(client)
    stray = {**headers, "Content-Type": "application/json"}
    response = client.post("/api/auth/renew", content=b'{"remember": true', headers=stray)
    assert response.status_code == 200
    assert _claims(response.json()["access_token"])["rem"] is False


def _end_by_log_out(client: TestClient, old: dict[str, str], new: dict[str, str]) -> None:
    # The token renewed from logs out: the renewed one, the same session, ends with it.
    assert client.post("/api/auth/logout", headers=old).status_code == 204


def _end_everywhere(client: TestClient, old: dict[str, str], new: dict[str, str]) -> None:
    assert client.post("/api/auth/logout-everywhere", headers=new).status_code == 204


def _end_by_password_change(client: TestClient, old: dict[str, str], new: dict[str, str]) -> None:
    body = {"current_password": PASSWORD, "new_password": "another good password"}
    assert client.post("/api/me/password", json=body, headers=new).status_code == 204


def _end_by_disabling(client: TestClient, old: dict[str, str], new: dict[str, str]) -> None:
    admin = _log_in(client, "admin@x.io")
    user_id = client.get("/api/me", headers=new).json()["id"]
    response = client.patch(f"/api/admin/users/{user_id}", json={"disabled": True}, headers=admin)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "end", [_end_by_log_out, _end_everywhere, _end_by_password_change, _end_by_disabling]
)
def test_revocation_ends_a_renewed_session_at_once(client: TestClient, end: Callable[..., None]) -> None:
    register(client, "admin@x.io")  # the first account is the admin
    old = register(client, "a@x.io")
    other = _log_in(client, "a@x.io")
    new = _renew(client, _renew(client, old))
    end(client, old, new)
    for headers in (old, new):
        assert client.get("/api/me", headers=headers).status_code == 401
        assert client.post("/api/auth/renew", headers=headers).status_code == 401
    # Log-out ends one session; the others end every session of the account.
    assert client.get("/api/me", headers=other).status_code == (200 if end is _end_by_log_out else 401)


def test_log_out_is_remembered_as_long_as_a_renewed_token_could_live(
    client: TestClient, engine: Engine
) -> None:
    # Had the revocation been dropped when the token logging out expired, a token renewed from it
    # later would have come back to life then.
    old = _about_to_expire(register(client, "a@x.io"), seconds=60, rem=True)
    _renew(client, old)
    assert client.post("/api/auth/logout", headers=old).status_code == 204
    with Session(engine) as session:
        revoked = session.scalars(select(RevokedToken)).one()
    ends = revoked.expires_at if revoked.expires_at.tzinfo else revoked.expires_at.replace(tzinfo=UTC)
    left = ends.timestamp() - time.time()
    assert 90 * DAY - 60 < left <= 90 * DAY
