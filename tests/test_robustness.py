"""No input, however malformed, produces a 5xx; and a failed request writes nothing."""

import pytest
from fastapi.testclient import TestClient

from tests.factories import register

BAD_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"{",
    b"\xff\xfe\xfa",
    b'{"date": "2026-11-01", "category": "\xff", "amount": 1}',
    b'{"date": "2026-11-01", "category": "Food", "amount": NaN}',
    b'{"date": "2026-11-01", "category": "Food", "amount": -Infinity}',
    b'{"date": "2026-11-01", "category": "Food", "amount": 1e400}',
    b'{"date": "2026-11-01", "category": "Food", "amount": 1' + b"0" * 5000 + b"}",
    b'{"date": "2026-11-01", "category": "\\udc00", "amount": 1}',
    b'{"\\ud800": 1}',
    b'{"date": {"y": 2026}, "category": ["Food"], "amount": {"v": 1}}',
    b"[" * 10000 + b"]" * 10000,
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_malformed_bodies_are_422(client: TestClient, body: bytes) -> None:
    headers = {**register(client), "Content-Type": "application/json"}
    for method, url in (
        ("POST", "/api/expenses"),
        ("POST", "/api/auth/register"),
        ("POST", "/api/auth/login"),
    ):
        response = client.request(method, url, content=body, headers=headers)
        assert response.status_code == 422, (url, response.text)
        assert isinstance(response.json()["detail"], list)
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_validation_errors_never_echo_input(client: TestClient) -> None:
    response = client.post("/api/auth/register", json={"email": "a@x.io", "password": "tiny"})
    assert response.status_code == 422
    assert "tiny" not in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "password"]


@pytest.mark.parametrize(
    "query",
    [
        "limit=" + "9" * 400,
        "offset=" + "9" * 400,
        "offset=1e999",
        "limit=NaN",
        "start=%ff%fe",
        "q=%ff%fe",
        "category=%00",
        "start=9999999-01-01",
        "start=2026-11-01&start=2026-11-02",
    ],
)
def test_hostile_query_strings(client: TestClient, query: str) -> None:
    headers = register(client)
    for url in ("/api/expenses", "/api/expenses/export.csv"):
        assert client.get(f"{url}?{query}", headers=headers).status_code in (200, 422)


def test_hostile_forms_on_token_endpoint(client: TestClient) -> None:
    bodies = [
        b"username=%ff&password=%fe%fe%fe%fe%fe%fe%fe%fe",
        b"username=a&password=" + b"x" * 5000,
        b"username=a%00@x.io&password=12345678",
        b"&&&=",
    ]
    for body in bodies:
        response = client.post(
            "/api/auth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert response.status_code in (401, 422), response.text


def test_control_characters_in_login_email(client: TestClient) -> None:
    register(client, "a@x.io")
    response = client.post("/api/auth/login", json={"email": "a\x00@x.io", "password": "12345678"})
    assert response.status_code == 401


def test_unknown_api_path_is_404(client: TestClient) -> None:
    assert client.get("/api/nothing-here").status_code == 404
