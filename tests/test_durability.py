"""SQLite under load and under a crash: the real server in its own process, over HTTP.

These test SQLite's own behaviour (WAL, busy timeout, recovery after kill -9), so the PostgreSQL
pass skips them; the server always runs on a temp SQLite file here.
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2
import pytest

from tests.conftest import ON_POSTGRES
from tests.factories import PASSWORD, expense_body
from tests.server import Server, server_env, start_server, stop_server

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="tests SQLite's durability (WAL, locking, crash recovery); runs in the SQLite pass"
)

WRITERS = 20
INSERTS = 100


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    server = start_server(tmp_path)
    yield server
    stop_server(server)


def _token(url: str, email: str) -> dict[str, str]:
    response = httpx2.post(f"{url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _count_rows(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        count: int = conn.execute(sql).fetchone()[0]
    return count


def test_concurrent_writers_all_succeed_and_every_row_is_there(server: Server, tmp_path: Path) -> None:
    tokens = [_token(server.url, f"writer{i}@x.io") for i in range(WRITERS)]

    def write(headers: dict[str, str]) -> list[int]:
        with httpx2.Client(base_url=server.url, headers=headers, timeout=60) as http:
            return [
                http.post("/api/expenses", json=expense_body(description=f"#{n}")).status_code
                for n in range(INSERTS)
            ]

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        statuses = [status for result in pool.map(write, tokens) for status in result]

    assert statuses == [201] * (WRITERS * INSERTS)
    for headers in tokens:
        page = httpx2.get(f"{server.url}/api/expenses", params={"limit": 1}, headers=headers).json()
        assert page["total"] == INSERTS
        assert page["total_amount"] == INSERTS * 12.5
    db = tmp_path / "expenses.db"
    assert _count_rows(db, "SELECT count(*) FROM expenses") == WRITERS * INSERTS
    assert _count_rows(db, "SELECT count(DISTINCT description) FROM expenses") == INSERTS


def test_kill_9_mid_burst_loses_no_acknowledged_expense(tmp_path: Path) -> None:
    env = server_env(tmp_path)
    server = start_server(tmp_path, env)
    try:
        headers = _token(server.url, "crash@x.io")
        acknowledged: set[int] = set()
        refused: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def write(worker: int) -> None:
            with httpx2.Client(base_url=server.url, headers=headers, timeout=10) as http:
                n = 0
                while not stop.is_set():
                    n += 1
                    try:
                        response = http.post("/api/expenses", json=expense_body(description=f"{worker}-{n}"))
                    except httpx2.TransportError:
                        return  # the server is gone
                    with lock:
                        if response.status_code == 201:
                            acknowledged.add(response.json()["id"])
                        else:
                            refused.append(response.text)

        threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.kill()  # SIGKILL while the writers are still sending
        server.process.wait()
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        assert refused == []
        assert len(acknowledged) >= 300

        db = tmp_path / "expenses.db"
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            stored = {row[0] for row in conn.execute("SELECT id FROM expenses")}
        assert acknowledged <= stored

        server = start_server(tmp_path, env)  # same key, so the old token still works
        page = httpx2.get(f"{server.url}/api/expenses", params={"limit": 1}, headers=headers).json()
        assert page["total"] == len(stored)
        after = httpx2.post(f"{server.url}/api/expenses", json=expense_body(), headers=headers)
        assert after.status_code == 201
    finally:
        stop_server(server)
