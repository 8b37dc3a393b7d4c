"""The "Forgot password?" flow, against a real SMTP server on loopback (aiosmtpd)."""

import re

import pytest
from fastapi.testclient import TestClient

from app.config import settings
from tests.factories import PASSWORD, register
from tests.server import free_port
from tests.smtp import Inbox


def forgot(client: TestClient, email: str, **headers: str) -> int:
    return client.post("/api/auth/forgot", json={"email": email}, headers=headers).status_code


def test_off_without_smtp(client: TestClient) -> None:
    assert client.get("/api/auth/options").json() == {
        "registration_open": True,
        "password_reset_by_email": False,
    }
    assert forgot(client, "someone@example.com") == 404


def test_options_say_it_is_on(client: TestClient, inbox: Inbox) -> None:
    assert client.get("/api/auth/options").json()["password_reset_by_email"] is True


def test_emails_a_working_link_to_an_existing_account(client: TestClient, inbox: Inbox) -> None:
    register(client, "lost@example.com")
    # Host header spoofing must not steer the link elsewhere: emailed links use PUBLIC_URL.
    assert forgot(client, "LOST@example.com", host="evil.example.net") == 202
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "lost@example.com"
    body = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"https://money\.example\.org/#/reset/([A-Za-z0-9_-]+)", body)
    assert match, body
    assert "evil" not in body

    reset = client.post("/api/auth/reset", json={"token": match[1], "new_password": "found it again"})
    assert reset.status_code == 204
    login = client.post("/api/auth/login", json={"email": "lost@example.com", "password": "found it again"})
    assert login.status_code == 200


def test_the_202_has_no_body_and_the_schema_says_so(client: TestClient, inbox: Inbox) -> None:
    response = client.post("/api/auth/forgot", json={"email": "a@example.com"})
    assert (response.status_code, response.content, response.headers.get("content-type")) == (202, b"", None)
    documented = client.get("/openapi.json").json()["paths"]["/api/auth/forgot"]["post"]["responses"]
    assert documented["202"] == {"description": "Successful Response"}


def test_unknown_and_disabled_accounts_get_the_same_answer_and_no_mail(
    client: TestClient, inbox: Inbox
) -> None:
    admin = register(client, "admin@example.com")
    register(client, "off@example.com")
    users = client.get("/api/admin/users", headers=admin).json()
    client.patch(f"/api/admin/users/{users[1]['id']}", json={"disabled": True}, headers=admin)
    assert forgot(client, "nobody@example.com") == 202
    assert forgot(client, "off@example.com") == 202
    assert inbox.messages == []


def test_throttled_per_email(client: TestClient, inbox: Inbox) -> None:
    register(client, "spam@example.com")
    assert [forgot(client, "spam@example.com") for _ in range(4)] == [202, 202, 202, 429]
    assert len(inbox.messages) == 3
    response = client.post("/api/auth/forgot", json={"email": "spam@example.com"})
    assert int(response.headers["Retry-After"]) > 0
    assert forgot(client, "another@example.com") == 202  # other emails are not held up


def test_validation(client: TestClient, inbox: Inbox) -> None:
    for body in ({}, {"email": "not an email"}, {"email": "a@example.com", "extra": 1}):
        assert client.post("/api/auth/forgot", json=body).status_code == 422


def test_an_unreachable_mail_server_still_answers_202(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    register(client, "x@example.com", password=PASSWORD)
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", free_port())  # nothing listens there
    monkeypatch.setattr(settings, "smtp_security", "none")
    assert forgot(client, "x@example.com") == 202
    assert "could not send a password reset email" in caplog.text
