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
    ("query", "listed", "exported"),
    [
        # The export takes no paging: it ignores limit and offset and sends everything.
        ("limit=" + "9" * 400, 422, 200),
        ("offset=" + "9" * 400, 422, 200),
        ("offset=1e999", 422, 200),
        ("limit=NaN", 422, 200),
        ("start=%ff%fe", 422, 422),
        ("q=%ff%fe", 200, 200),
        ("category=%00", 422, 422),
        ("start=9999999-01-01", 422, 422),
        ("start=2026-11-01&start=2026-11-02", 200, 200),
    ],
)
def test_hostile_query_strings(client: TestClient, query: str, listed: int, exported: int) -> None:
    headers = register(client)
    assert client.get(f"/api/expenses?{query}", headers=headers).status_code == listed
    assert client.get(f"/api/expenses/export.csv?{query}", headers=headers).status_code == exported


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"username=%ff&password=%fe%fe%fe%fe%fe%fe%fe%fe", 401),
        (b"username=a&password=" + b"x" * 5000, 401),
        (b"username=a%00@x.io&password=12345678", 401),
        (b"&&&=", 422),
    ],
)
def test_hostile_forms_on_token_endpoint(client: TestClient, body: bytes, status: int) -> None:
    response = client.post(
        "/api/auth/token", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == status, response.text


def test_control_characters_in_login_email(client: TestClient) -> None:
    register(client, "a@x.io")
    response = client.post("/api/auth/login", json={"email": "a\x00@x.io", "password": "12345678"})
    assert response.status_code == 401


def test_unknown_api_path_is_404(client: TestClient) -> None:
    assert client.get("/api/nothing-here").status_code == 404
