"""Liveness and readiness, request ids, and a request log that never holds a secret."""

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.database import get_session, make_engine
from app.main import app
from tests.conftest import app_on
from tests.factories import PASSWORD, register


def test_liveness_does_not_touch_the_database(client: TestClient) -> None:
    def broken() -> Iterator[Session]:
        raise AssertionError("liveness must not open a session")
        yield  # pragma: no cover

    app.dependency_overrides[get_session] = broken
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_when_the_database_answers(client: TestClient) -> None:
    response = client.get("/api/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_not_ready_when_the_database_is_unreachable(client: TestClient, tmp_path: Path) -> None:
    # A database file in a folder that does not exist: every connection attempt fails.
    unreachable = make_engine(f"sqlite:///{tmp_path / 'missing' / 'db.sqlite'}")

    with app_on(unreachable):
        response = client.get("/api/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "database unreachable"}
    unreachable.dispose()


def test_request_id_is_made_or_passed_through(client: TestClient) -> None:
    made = client.get("/api/health").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert client.get("/api/health").headers["X-Request-ID"] != made
    given = client.get("/api/health", headers={"X-Request-ID": "lb-1234.abc"})
    assert given.headers["X-Request-ID"] == "lb-1234.abc"
    for bad in ("has space", "x" * 129, "<script>", "a;b"):
        replaced = client.get("/api/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", replaced), bad
    assert "X-Request-ID" in client.get("/api/nope").headers  # errors carry one too


def test_requests_are_logged_without_passwords_or_tokens(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = register(client, "admin@example.com")
    login = client.post(
        "/api/auth/login",
        json={"email": "admin@example.com", "password": PASSWORD},
        headers={"X-Request-ID": "login-42"},
    )
    token = login.json()["access_token"]
    client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    client.post("/api/auth/login", json={"email": "admin@example.com", "password": "wrong password!"})
    client.post("/api/auth/token", data={"username": "admin@example.com", "password": PASSWORD})
    user_id = client.get("/api/me", headers=admin).json()["id"]
    reset = client.post(f"/api/admin/users/{user_id}/reset-link", headers=admin).json()["token"]
    client.post("/api/auth/reset", json={"token": reset, "new_password": "the new secret passphrase"})

    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    for secret in (PASSWORD, "wrong password!", "the new secret passphrase", token, reset):
        assert secret not in logged
    assert admin["Authorization"].split()[1] not in logged
    lines = [r.getMessage() for r in caplog.records if r.name == "app.access"]
    assert any(re.fullmatch(r"POST /api/auth/login 200 [0-9.]+ms id=login-42", line) for line in lines), lines
    assert any(line.startswith("POST /api/auth/login 401 ") for line in lines)
    assert any(line.startswith("POST /api/auth/reset 204 ") for line in lines)
