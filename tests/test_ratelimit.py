"""Throttling: failed log-ins per email and per address, registrations per address."""

import contextlib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from limits import parse

from app import ratelimit
from app.main import app
from app.services import users
from tests.factories import PASSWORD, register

WRONG = "not the password"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[float], None]:
    """Freeze time.time() (which the limiter reads) and return a function that moves it forward."""
    now = [1_796_040_000.0]  # 2026-11-30 12:00 UTC
    monkeypatch.setattr(time, "time", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


def _login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def _token(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/token", data={"username": email, "password": password}).status_code


def test_five_failures_lock_the_email_even_for_the_right_password(
    client: TestClient, clock: Callable[[float], None]
) -> None:
    register(client, "b@x.io")
    assert [_login(client, "b@x.io", WRONG) for _ in range(5)] == [401] * 5
    response = client.post("/api/auth/login", json={"email": "b@x.io", "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"
    assert response.json() == {"detail": "Too many failed log-ins. Try again in 15 minutes."}
    # Retry-After counts down to the moment the oldest failure leaves the window.
    clock(10 * 60)
    response = client.post("/api/auth/login", json={"email": "b@x.io", "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "300"
    assert response.json()["detail"] == "Too many failed log-ins. Try again in 5 minutes."
    clock(299.5)
    assert client.post("/api/auth/login", json={"email": "b@x.io", "password": PASSWORD}).json() == {
        "detail": "Too many failed log-ins. Try again in 1 minute."
    }
    clock(1)
    assert _login(client, "b@x.io", PASSWORD) == 200


def test_parallel_wrong_passwords_get_exactly_five_tries(client: TestClient) -> None:
    """Twenty guesses at once: counting before the check lets exactly five reach the password."""
    register(client, "race@x.io")
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def guess() -> None:
        barrier.wait()
        statuses.append(_login(client, "race@x.io", WRONG))

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_other_emails_are_not_affected(client: TestClient) -> None:
    register(client, "b@x.io")
    register(client, "c@x.io")
    for _ in range(6):
        _login(client, "b@x.io", WRONG)
    assert _login(client, "b@x.io", PASSWORD) == 429
    assert _login(client, "c@x.io", PASSWORD) == 200


def test_token_endpoint_counts_like_login_and_email_case_does_not_matter(client: TestClient) -> None:
    register(client, "b@x.io")
    assert [_login(client, " B@X.io ", WRONG) for _ in range(3)] == [401] * 3
    assert [_token(client, "b@x.io", WRONG) for _ in range(2)] == [401] * 2
    assert _token(client, "b@x.io", PASSWORD) == 429
    assert _login(client, "b@X.IO", PASSWORD) == 429


def test_unknown_emails_are_throttled_the_same_way(client: TestClient) -> None:
    assert [_login(client, "nobody@x.io", WRONG) for _ in range(6)] == [401] * 5 + [429]


def test_success_clears_the_count(client: TestClient) -> None:
    register(client, "b@x.io")
    for _ in range(4):
        assert _login(client, "b@x.io", WRONG) == 401
    assert _login(client, "b@x.io", PASSWORD) == 200
    for _ in range(4):
        assert _login(client, "b@x.io", WRONG) == 401
    assert _token(client, "b@x.io", PASSWORD) == 200


def test_failed_logins_per_address_have_a_ceiling(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LOGIN_IP", parse("3/15 minutes"))
    register(client, "b@x.io")
    # A password sprayed over many accounts: each email stays under its own limit.
    assert [_login(client, f"user{i}@x.io", WRONG) for i in range(3)] == [401] * 3
    response = client.post("/api/auth/login", json={"email": "b@x.io", "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "900"
    elsewhere = TestClient(app, client=("203.0.113.9", 50000))
    assert _login(elsewhere, "b@x.io", PASSWORD) == 200


def test_parallel_failed_logins_stop_exactly_at_the_address_limit(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LOGIN_IP", parse("5/15 minutes"))
    attempts = 20
    # Every password check waits until all requests have reached theirs (or a moment has passed):
    # a limit checked before the hash and counted after it would let all of them through.
    all_checking = threading.Barrier(attempts)

    def slow_wrong_password(password: str, password_hash: str | None) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):
            all_checking.wait(timeout=2)
        return False

    monkeypatch.setattr(users, "verify_password", slow_wrong_password)
    with ThreadPoolExecutor(attempts) as pool:
        statuses = list(pool.map(lambda i: _login(TestClient(app), f"user{i}@x.io", WRONG), range(attempts)))
    assert sorted(statuses) == [401] * 5 + [429] * 15


def test_ipv6_clients_are_counted_by_their_64(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "LOGIN_IP", parse("2/15 minutes"))
    first = TestClient(app, client=("2001:db8:1:2::1", 50000))
    same_64 = TestClient(app, client=("2001:db8:1:2:ffff:ffff:ffff:9", 50000))
    next_64 = TestClient(app, client=("2001:db8:1:3::1", 50000))
    assert [_login(first, f"user{i}@x.io", WRONG) for i in range(2)] == [401, 401]
    assert _login(same_64, "other@x.io", WRONG) == 429
    assert _login(next_64, "other@x.io", WRONG) == 401


def test_ipv4_mapped_ipv6_is_its_ipv4_address(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "LOGIN_IP", parse("1/15 minutes"))
    assert _login(TestClient(app, client=("::ffff:203.0.113.9", 50000)), "a@x.io", WRONG) == 401
    assert _login(TestClient(app, client=("203.0.113.9", 50000)), "a@x.io", WRONG) == 429
    assert _login(TestClient(app, client=("::ffff:203.0.113.10", 50000)), "a@x.io", WRONG) == 401


def test_successful_logins_do_not_count_against_the_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ratelimit, "LOGIN_IP", parse("3/15 minutes"))
    register(client, "b@x.io")
    assert [_login(client, "b@x.io", PASSWORD) for _ in range(5)] == [200] * 5


def test_registrations_per_address_are_limited(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ratelimit, "REGISTER_IP", parse("2/hour"))
    register(client, "a@x.io")
    register(client, "b@x.io")
    response = client.post("/api/auth/register", json={"email": "c@x.io", "password": PASSWORD})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3600"
    assert response.json() == {"detail": "Too many new accounts from your address. Try again in 60 minutes."}
    elsewhere = TestClient(app, client=("203.0.113.9", 50000))
    assert (
        elsewhere.post("/api/auth/register", json={"email": "c@x.io", "password": PASSWORD}).status_code
        == 201
    )


def test_default_registration_limit_is_twenty_an_hour(client: TestClient) -> None:
    for i in range(20):
        register(client, f"u{i}@x.io")
    response = client.post("/api/auth/register", json={"email": "late@x.io", "password": PASSWORD})
    assert response.status_code == 429


def test_wrong_current_password_counts_as_a_failed_login(client: TestClient) -> None:
    headers = register(client, "b@x.io")
    for _ in range(3):
        response = client.post(
            "/api/me/password",
            json={"current_password": WRONG, "new_password": "whatever123"},
            headers=headers,
        )
        assert response.status_code == 403
    for _ in range(2):
        assert (
            client.request("DELETE", "/api/me", json={"password": WRONG}, headers=headers).status_code == 403
        )
    response = client.post(
        "/api/me/password",
        json={"current_password": PASSWORD, "new_password": "whatever123"},
        headers=headers,
    )
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert _login(client, "b@x.io", PASSWORD) == 429
    assert client.get("/api/me", headers=headers).status_code == 200  # nothing changed


def test_429_is_documented_with_retry_after(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (
        ("/api/auth/login", "post"),
        ("/api/auth/token", "post"),
        ("/api/auth/register", "post"),
        ("/api/me/password", "post"),
        ("/api/me", "delete"),
    ):
        assert "Retry-After" in paths[path][method]["responses"]["429"]["headers"]
