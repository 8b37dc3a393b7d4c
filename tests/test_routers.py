"""A request costs one trip to the threadpool (app.routers.OneTripRoute), whatever it depends on."""

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from app import auth, database, main
from app.answers import KEPT_PATHS
from app.config import settings
from app.database import get_session
from app.main import app
from app.routers import HASHING_THREADS, hashing_threads
from tests.factories import register


@pytest.fixture
def trips(client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to the threadpool, with the app's own session dependency.

    conftest's override is a sync generator, which would cost trips of its own: here the real
    app.database.get_session runs, its sessions bound to the test's engine.
    """
    app.dependency_overrides.pop(get_session)
    monkeypatch.setattr(database, "SessionLocal", sessionmaker(bind=engine, expire_on_commit=False))
    sent: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(func, "func", func).__name__)  # run_in_threadpool sends a partial
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return sent


def test_every_kind_of_request_makes_one_trip(client: TestClient, trips: list[str]) -> None:
    headers = register(client)
    expense = {"date": "2026-11-30", "category": "Food", "amount": "12.50"}
    calls: list[tuple[str, str, dict[str, Any] | None, int]] = [
        ("POST", "/api/expenses", expense, 201),
        ("GET", "/api/expenses", None, 200),
        ("GET", "/api/summary?month=2026-11", None, 200),
        ("GET", "/api/stats?start=2026-11-01&end=2026-11-30", None, 200),
        ("GET", "/api/budgets", None, 200),
        ("GET", "/api/me", None, 200),
        ("GET", "/api/ledgers", None, 200),
        ("GET", "/api/recurring", None, 200),
        ("GET", "/api/expenses/99999", None, 404),  # not found: still one trip
    ]
    for method, path, body, status in calls:
        trips.clear()
        response = client.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (path, response.text)
        # A path whose answers are kept (app.answers) looks for one first: the access, one trip.
        kept = method == "GET" and path.split("?")[0] in KEPT_PATHS
        assert trips == (["_access", "_run"] if kept else ["_run"]), path
        if kept:  # asked again: the kept answer, after the access's trip alone
            trips.clear()
            assert client.request(method, path, headers=headers).content == response.content
            assert trips == ["_access"], path


def test_a_refused_token_costs_no_trip_and_a_revoked_one_is_still_refused(
    client: TestClient, trips: list[str]
) -> None:
    headers = register(client)
    trips.clear()
    assert client.get("/api/expenses", headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert client.get("/api/expenses").status_code == 401
    assert trips == []  # refused on the event loop: no database needed
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    trips.clear()
    # Well signed, but logged out: only the database knows, read in the route's one trip (and, the
    # list being a path whose answers are kept, in the trip that looks for a kept answer first).
    assert client.get("/api/expenses", headers=headers).status_code == 401
    assert trips == ["_access", "_run"]
    trips.clear()
    assert client.get("/api/budgets", headers=headers).status_code == 401
    assert trips == ["_run"]


def test_a_streamed_export_reads_after_the_route_and_then_releases_its_connection(
    client: TestClient, engine: Engine, trips: list[str]
) -> None:
    headers = register(client)
    expense = {"date": "2026-11-30", "category": "Food", "amount": "12.50", "description": "lunch"}
    assert client.post("/api/expenses", json=expense, headers=headers).status_code == 201
    trips.clear()
    response = client.get("/api/expenses/export.csv", headers=headers)
    assert response.status_code == 200
    assert "lunch" in response.text
    # The route's trip, the body's rows (read in the threadpool), then the session closed off the loop.
    assert trips[0] == "_run"
    assert trips[-1] == "close"
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_log_ins_waiting_for_the_hash_hold_no_route_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes that hash run on threads of their own (app.routers.hashing_threads): three log-ins
    stuck in the hash leave every thread the other routes run on free, and a read still answers."""
    headers = register(client, email="sam@example.com")
    release = threading.Event()
    real_verify = auth.pwd_context.verify

    def slow_verify(*args: Any) -> bool:
        release.wait(timeout=30)
        return bool(real_verify(*args))

    monkeypatch.setattr(auth.pwd_context, "verify", slow_verify)
    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(main, "_materialise_today", lambda: None)  # the start-up's database work
    body = {"email": "sam@example.com", "password": "wrong password"}
    # One event loop for every request (the started client's), as in a served app.
    with TestClient(app) as served, ThreadPoolExecutor(3) as pool:
        assert served.portal is not None
        route_threads = anyio.to_thread.current_default_thread_limiter
        log_ins = [pool.submit(served.post, "/api/auth/login", json=body) for _ in range(3)]
        try:
            deadline = time.monotonic() + 10
            while served.portal.call(lambda: hashing_threads().borrowed_tokens) < HASHING_THREADS:
                assert time.monotonic() < deadline, "the log-ins never reached the hash"
                time.sleep(0.01)
            assert served.portal.call(lambda: route_threads().borrowed_tokens) == 0
            assert served.get("/api/expenses", headers=headers).status_code == 200
        finally:
            release.set()
        assert [f.result().status_code for f in log_ins] == [401, 401, 401]
