"""Defects found in other self-hosted trackers, each pinned down here so it cannot creep in.

Covered elsewhere, not repeated: a NaN or infinite amount is 422 and stores nothing
(tests/test_expenses.py, tests/test_robustness.py); CSV cells starting with = + - @ are
neutralised (tests/test_expenses.py); "alg": "none" and foreign keys are refused
(tests/test_auth.py::test_token_claims_and_pinned_algorithm).
"""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jose import jwt

from app import access
from app.config import PROJECT_ROOT, settings
from tests.factories import PASSWORD, register

GUESSABLE_SECRETS = [
    "secret",
    "changeme",
    "your-secret-key",
    "secret-key",
    "supersecret",
    "SECRET_KEY",
    "your-secret-key-change-in-production",
    "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7",  # FastAPI's tutorial key
]


@pytest.mark.parametrize("guess", GUESSABLE_SECRETS)
def test_token_signed_with_a_guessable_secret_is_rejected(client: TestClient, guess: str) -> None:
    headers = register(client)
    claims = jwt.decode(headers["Authorization"][7:], settings.resolved_secret_key, algorithms=["HS256"])
    forged = jwt.encode(claims, guess, algorithm="HS256")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_email_still_pays_for_a_password_hash(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(client, "known@x.io")
    calls: list[str] = []
    real_verify = access.pwd_context.verify

    def counting_verify(secret: str, hashed: str, **kwargs: Any) -> bool:
        calls.append(hashed)
        return bool(real_verify(secret, hashed, **kwargs))

    monkeypatch.setattr(access.pwd_context, "verify", counting_verify)
    answers = []
    for email, password in (
        ("nobody@x.io", PASSWORD),
        ("known@x.io", "wrong password"),
        ("nobody@x.io", "x"),
    ):
        calls.clear()
        response = client.post("/api/auth/login", json={"email": email, "password": password})
        answers.append((response.status_code, response.json()))
        assert len(calls) == 1, email  # one bcrypt check whether or not the account exists
        assert calls[0].startswith("$bcrypt-sha256$")
    assert answers == [(401, {"detail": "Invalid email or password"})] * 3


def test_register_reveals_existing_emails_only_through_the_documented_409(client: TestClient) -> None:
    register(client, "taken@x.io")
    taken = client.post("/api/auth/register", json={"email": "TAKEN@x.io", "password": "x"})
    free = client.post("/api/auth/register", json={"email": "free@x.io", "password": "x"})
    # A body that breaks the rules is 422 before the address is looked at.
    assert taken.status_code == free.status_code == 422
    assert taken.json() == free.json()
    again = client.post("/api/auth/register", json={"email": "TAKEN@x.io", "password": PASSWORD})
    assert again.status_code == 409


def test_no_html_sinks_in_our_javascript() -> None:
    sinks = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write(ln)?)\b")
    js_dir = PROJECT_ROOT / "app" / "static" / "js"
    offenders = [
        f"{path.relative_to(js_dir)}:{number}: {line.strip()}"
        for path in sorted(js_dir.rglob("*.js"))
        if "vendor" not in path.relative_to(js_dir).parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if sinks.search(line)
    ]
    assert list(js_dir.rglob("*.js")), "no JavaScript found: the test would prove nothing"
    assert offenders == [], "user text must reach the DOM as textContent or .value only"
