import base64
import json

import pytest
from fastapi.testclient import TestClient
from jose import jwt

from app.config import settings
from tests.factories import PASSWORD, raw_json, register


def _b64(part: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def test_register_returns_token_and_user_without_hash(client: TestClient) -> None:
    response = client.post(
        "/api/auth/register", json={"email": "Ann@Example.COM", "password": PASSWORD, "display_name": " Ann "}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["token_type"] == "bearer"
    user_fields = {"id", "email", "display_name", "currency", "created_at", "is_admin", "language"}
    assert set(body["user"]) == user_fields
    assert body["user"]["language"] is None  # Automatic until the account chooses
    assert body["user"]["email"] == "ann@example.com"
    assert body["user"]["display_name"] == "Ann"
    assert body["user"]["currency"] == "USD"
    me = client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == body["user"]


def test_email_is_unique_case_insensitively(client: TestClient) -> None:
    register(client, "a@x.io")
    response = client.post("/api/auth/register", json={"email": "A@X.io", "password": PASSWORD})
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email", "password": PASSWORD},
        {"email": "a@x.io", "password": "short"},
        {"email": "a@x.io", "password": "x" * 129},
        {"email": "a@x.io", "password": PASSWORD, "display_name": "x" * 61},
        {"email": "a@x.io"},
        {"email": "a@x.io", "password": 12345678},
        {"email": "a@x.io", "password": "abc\ud800defgh"},
    ],
)
def test_register_validation(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/auth/register", **raw_json(body)).status_code == 422


def test_login_with_json(client: TestClient) -> None:
    register(client, "b@x.io")
    response = client.post("/api/auth/login", json={"email": " B@x.IO ", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "b@x.io"
    token = response.json()["access_token"]
    assert client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("b@x.io", "wrong password"),
        ("nobody@x.io", PASSWORD),
        ("b@x.io", "short"),
        ("b@x.io", "x" * 200),
        # Break every registration rule, yet are well-formed JSON strings: wrong, not malformed.
        ("b@x.io", "x" * 2000),
        ("b@x.io", "\ud800" * 9),
        ("a" * 400 + "@x.io", PASSWORD),
        ("b\udfff@x.io", PASSWORD),
    ],
)
def test_login_failures_all_look_the_same(client: TestClient, email: str, password: str) -> None:
    register(client, "b@x.io")
    response = client.post("/api/auth/login", **raw_json({"email": email, "password": password}))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid email or password"}


def test_login_malformed_body_is_422(client: TestClient) -> None:
    assert client.post("/api/auth/login", json={"email": "b@x.io"}).status_code == 422
    assert client.post("/api/auth/login", content=b"not json").status_code == 422
    assert client.post("/api/auth/login", json={"email": "b@x.io", "password": 12345678}).status_code == 422
    assert client.post("/api/auth/login", json={"email": None, "password": PASSWORD}).status_code == 422


def test_passwords_differing_after_72_bytes_are_different(client: TestClient) -> None:
    long_password = "p" * 72
    register(client, "long@x.io", password=long_password + "A")
    wrong = client.post("/api/auth/login", json={"email": "long@x.io", "password": long_password + "B"})
    assert wrong.status_code == 401
    right = client.post("/api/auth/login", json={"email": "long@x.io", "password": long_password + "A"})
    assert right.status_code == 200


def test_oauth2_token_form(client: TestClient) -> None:
    register(client, "c@x.io")
    response = client.post("/api/auth/token", data={"username": "c@x.io", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    assert (
        client.post("/api/auth/token", data={"username": "c@x.io", "password": "nope-nope"}).status_code
        == 401
    )
    assert client.post("/api/auth/token", data={"username": "c@x.io"}).status_code == 422
    # The OAuth2 form's optional grant_type, when sent, must be "password" (Swagger UI sends it).
    with_grant = {"username": "c@x.io", "password": PASSWORD, "grant_type": "password"}
    assert client.post("/api/auth/token", data=with_grant).status_code == 200
    other_grant = client.post("/api/auth/token", data={**with_grant, "grant_type": "client_credentials"})
    assert [error["loc"] for error in other_grant.json()["detail"]] == [["body", "grant_type"]]


def test_token_claims_and_pinned_algorithm(client: TestClient) -> None:
    headers = register(client)
    token = headers["Authorization"].removeprefix("Bearer ")
    claims = jwt.decode(token, settings.resolved_secret_key, algorithms=["HS256"])
    me = client.get("/api/me", headers=headers).json()
    assert claims["sub"] == str(me["id"])
    assert claims["exp"] - claims["iat"] == settings.session_days * 86400
    # The same claims unsigned ("alg": "none"), with another algorithm or another key are refused.
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    for bad in (
        jwt.encode(claims, "another secret that is long enough!!", algorithm="HS256"),
        jwt.encode(claims, settings.resolved_secret_key, algorithm="HS512"),
        unsigned,
        "not.a.token",
    ):
        response = client.get("/api/me", headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


def test_expired_token_is_401(client: TestClient) -> None:
    headers = register(client)
    claims = jwt.decode(headers["Authorization"][7:], settings.resolved_secret_key, algorithms=["HS256"])
    # A second before it was issued: in the past whatever the clock says.
    expired = jwt.encode({**claims, "exp": claims["iat"] - 1}, settings.resolved_secret_key, "HS256")
    response = client.get("/api/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401


def test_a_token_checked_under_one_key_is_refused_under_another(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = register(client)
    assert client.get("/api/me", headers=headers).status_code == 200
    monkeypatch.setitem(vars(settings), "resolved_secret_key", "another secret that is long enough!!")
    assert client.get("/api/me", headers=headers).status_code == 401


@pytest.mark.parametrize("claim", ["exp", "iat", "jti", "sub"])
def test_correctly_signed_token_lacking_a_claim_is_401(client: TestClient, claim: str) -> None:
    headers = register(client)
    claims = jwt.decode(headers["Authorization"][7:], settings.resolved_secret_key, algorithms=["HS256"])
    assert client.get("/api/me", headers=headers).status_code == 200
    del claims[claim]
    forged = jwt.encode(claims, settings.resolved_secret_key, "HS256")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_me_requires_token(client: TestClient) -> None:
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert client.patch("/api/me", json={"currency": "EUR"}).status_code == 401


def test_token_for_user_id_beyond_64_bits_is_401(client: TestClient) -> None:
    forged = jwt.encode({"sub": str(2**70), "ver": 0}, settings.resolved_secret_key, algorithm="HS256")
    assert client.get("/api/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_update_me(client: TestClient) -> None:
    headers = register(client, display_name="Old")
    response = client.patch("/api/me", json={"currency": "eur"}, headers=headers)
    assert response.status_code == 200
    assert response.json()["currency"] == "EUR"
    assert response.json()["display_name"] == "Old"  # untouched: not sent
    response = client.patch("/api/me", json={"display_name": "New"}, headers=headers)
    assert response.json() == {**response.json(), "display_name": "New", "currency": "EUR"}


def test_language_follows_the_account(client: TestClient) -> None:
    headers = register(client)
    assert client.get("/api/me", headers=headers).json()["language"] is None  # Automatic
    response = client.patch("/api/me", json={"language": "de"}, headers=headers)
    assert (response.status_code, response.json()["language"]) == (200, "de")
    client.patch("/api/me", json={"display_name": "Ana"}, headers=headers)
    assert client.get("/api/me", headers=headers).json()["language"] == "de"  # untouched: not sent
    assert client.patch("/api/me", json={"language": None}, headers=headers).json()["language"] is None
    # A new device reads it back from the log-in's /api/me.
    assert client.patch("/api/me", json={"language": "es"}, headers=headers).json()["language"] == "es"
    assert client.get("/api/me", headers=headers).json()["language"] == "es"


@pytest.mark.parametrize(
    "body",
    [
        {"language": "it"},
        {"language": "DE"},
        {"language": "de-DE"},
        {"language": 1},
        {"currency": "EURO"},
        {"currency": "E1R"},
        {"currency": None},
        {"display_name": "x" * 61},
        {"email": "a@b.io"},
    ],
)
def test_update_me_validation(client: TestClient, body: dict[str, object]) -> None:
    headers = register(client)
    assert client.patch("/api/me", json=body, headers=headers).status_code == 422
    assert client.get("/api/me", headers=headers).json()["currency"] == "USD"


def test_users_only_see_themselves(client: TestClient) -> None:
    alice, bob = register(client, "alice@x.io"), register(client, "bob@x.io")
    client.patch("/api/me", json={"display_name": "Alice"}, headers=alice)
    assert client.get("/api/me", headers=bob).json()["email"] == "bob@x.io"
    assert client.get("/api/me", headers=bob).json()["display_name"] == ""
