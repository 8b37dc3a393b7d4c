"""Failures of the database itself (app.faults), as a client and a person meet them.

The full disk and the stopped PostgreSQL run the real server in its own process, so the connection
a client keeps open is uvicorn's own: the answer must be JSON a person can act on, with Retry-After
and the request id, and the next request on that same connection must be served.
"""

import http.client
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.orm import Session

from app.database import make_engine
from app.faults import BUSY, DISK_FULL, UNREACHABLE, Fault
from app.main import app
from app.models import User
from tests.conftest import ON_POSTGRES, app_on
from tests.disk import fill, free, small_disk
from tests.factories import PASSWORD, add_expense, expense_body, register
from tests.postgres import Cluster, postgres_server
from tests.server import server_env, start_server, stop_server


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: Any


class OneConnection:
    """Requests over one kept-alive connection: a request fails if the server closed it."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.http = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
        self.http.connect()
        self.local = self.http.sock.getsockname()

    def __call__(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Answer:
        sent = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        # http.client would open a new connection for a request after a `Connection: close`: refuse that.
        assert self.http.sock is not None, "the server closed the connection after the last answer"
        assert self.http.sock.getsockname() == self.local
        self.http.request(method, path, body=data, headers=sent)
        response = self.http.getresponse()
        payload = response.read()
        return Answer(response.status, response.headers, json.loads(payload) if payload else None)

    def __enter__(self) -> "OneConnection":
        return self

    def __exit__(self, *_: object) -> None:
        self.http.close()


def assert_fault(answer: Answer, fault: Fault) -> None:
    assert (answer.status, answer.body) == (fault.status, {"detail": fault.detail})
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Retry-After"] == str(fault.retry_after)
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])
    assert answer.headers.get("Connection", "keep-alive").lower() != "close"


def _register(url: str, email: str) -> dict[str, str]:
    response = httpx2.post(f"{url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _add(url: str, headers: dict[str, str], description: str) -> None:
    response = httpx2.post(f"{url}/api/expenses", json=expense_body(description=description), headers=headers)
    assert response.status_code == 201, response.text


def _descriptions(answer: Answer) -> list[str]:
    assert answer.status == 200, answer.body
    return sorted(item["description"] for item in answer.body["items"])


def _bearer(answer: Answer) -> dict[str, str]:
    assert answer.status == 200, answer.body
    return {"Authorization": f"Bearer {answer.body['access_token']}"}


def readiness(one: OneConnection) -> tuple[int, Any]:
    ready = one("GET", "/api/health/ready")
    return ready.status, ready.body


def _wait_until_ready(one: OneConnection, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while (ready := one("GET", "/api/health/ready")).status != 200:
        assert time.monotonic() < deadline, ready.body
        time.sleep(0.2)


CREDENTIALS = {"email": "full@example.com", "password": PASSWORD}


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk(tmp_path / "disk") as disk:
        yield disk


@pytest.fixture
def on_disk(tmp_path: Path, disk: Path) -> dict[str, str]:
    """The server's environment: its database on the small disk, its log and key elsewhere."""
    return server_env(tmp_path / "server", DATABASE_URL=f"sqlite:///{disk / 'expenses.db'}")


sqlite_only = pytest.mark.skipif(
    ON_POSTGRES,
    reason="SQLite's file on a full disk: runs in the SQLite pass (PostgreSQL's is stopped below)",
)


@sqlite_only
def test_a_full_disk_refuses_writes_with_507_while_reads_and_log_in_go_on(
    tmp_path: Path, disk: Path, on_disk: dict[str, str]
) -> None:
    server = start_server(tmp_path / "server", on_disk)
    try:
        headers = _register(server.url, CREDENTIALS["email"])
        _add(server.url, headers, "saved")
        fill(disk)
        with OneConnection(server.url) as one:
            assert_fault(
                one("POST", "/api/expenses", expense_body(description="no room"), headers), DISK_FULL
            )
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["saved"]
            logged_in = _bearer(one("POST", "/api/auth/login", CREDENTIALS))
            assert one("GET", "/api/me", headers=logged_in).body["email"] == CREDENTIALS["email"]
            assert readiness(one) == (503, {"status": "unavailable", "detail": "disk full"})

            free(disk)
            assert one("GET", "/api/health/ready").status == 200
            assert one("POST", "/api/expenses", expense_body(description="room again"), headers).status == 201
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["room again", "saved"]
    finally:
        stop_server(server)
    assert "Traceback" not in server.log.read_text()


@sqlite_only
def test_a_start_on_a_full_disk_serves_reads_until_there_is_space(
    tmp_path: Path, disk: Path, on_disk: dict[str, str]
) -> None:
    server = start_server(tmp_path / "server", on_disk)
    try:
        headers = _register(server.url, CREDENTIALS["email"])
        _add(server.url, headers, "saved")
    finally:
        stop_server(server)
    # As after the last connection's close in a clean stop: no WAL, and no index of it (-shm) to reuse.
    with closing(sqlite3.connect(disk / "expenses.db")) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert sorted(path.name for path in disk.iterdir()) == ["expenses.db"]
    fill(disk)
    server = start_server(tmp_path / "server", on_disk)
    try:
        with OneConnection(server.url) as one:
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["saved"]
            logged_in = _bearer(one("POST", "/api/auth/login", CREDENTIALS))
            assert _descriptions(one("GET", "/api/expenses", headers=logged_in)) == ["saved"]
            exported = httpx2.get(f"{server.url}/api/expenses/export.csv", headers=logged_in)
            assert (exported.status_code, exported.text.count("saved")) == (200, 1)
            searched = one("GET", "/api/expenses?q=saved", headers=headers)
            assert _descriptions(searched) == ["saved"]
            keyed = {**headers, "Idempotency-Key": "full-disk-1"}
            assert_fault(one("POST", "/api/expenses", expense_body(), keyed), DISK_FULL)
            assert_fault(
                one("POST", "/api/expenses", expense_body(description="no room"), headers), DISK_FULL
            )
            assert readiness(one) == (503, {"status": "unavailable", "detail": "disk full: reads only"})

            free(disk)  # and nobody restarts anything
            _wait_until_ready(one)
            assert one("POST", "/api/expenses", expense_body(description="room again"), headers).status == 201
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["room again", "saved"]
    finally:
        stop_server(server)
    log = server.log.read_text()
    assert "is full: serving reads only" in log
    assert "has space again: saving again" in log


@sqlite_only
def test_a_start_on_a_full_disk_refuses_a_wal_it_cannot_read(
    tmp_path: Path, disk: Path, on_disk: dict[str, str]
) -> None:
    """Read-only, SQLite reads the database file alone: changes still in the WAL would be missed."""
    server = start_server(tmp_path / "server", on_disk)
    try:
        headers = _register(server.url, CREDENTIALS["email"])
    finally:
        stop_server(server)
    # A process killed after a write leaves it in the WAL; here the WAL's index is lost as well.
    killed = (
        "import os, sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
        "db.execute('PRAGMA wal_autocheckpoint=0');"
        "db.execute(\"UPDATE users SET display_name = 'in the WAL'\"); db.commit(); os._exit(0)"
    )
    subprocess.run([sys.executable, "-c", killed, str(disk / "expenses.db")], check=True)
    (disk / "expenses.db-shm").unlink()
    fill(disk)
    try:
        started = start_server(tmp_path / "server", on_disk)
    except RuntimeError as failed:
        failure = str(failed)
    else:
        stop_server(started)
        pytest.fail("the app started, reading the database file without the changes in its WAL")
    assert "exited with 3" in failure
    assert "expenses.db-wal holds changes SQLite cannot read" in failure

    free(disk)
    server = start_server(tmp_path / "server", on_disk)
    try:
        assert httpx2.get(f"{server.url}/api/me", headers=headers).json()["display_name"] == "in the WAL"
    finally:
        stop_server(server)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster of the test's own, to stop and start (the suite's other tests share one)."""
    with postgres_server() as cluster:
        yield cluster


@pytest.fixture
def postgres_disk() -> Iterator[Path]:
    """A small disk the postgres user reaches (pytest's folders are root's alone)."""
    reachable = Path(tempfile.mkdtemp(prefix="expense-tracker-disk-"))
    reachable.chmod(0o755)
    try:
        with small_disk(reachable / "disk") as disk:
            shutil.chown(disk, "postgres")
            yield disk
    finally:
        shutil.rmtree(reachable, ignore_errors=True)


postgres_only = pytest.mark.skipif(
    not ON_POSTGRES, reason="PostgreSQL stopped under the app: runs in the PostgreSQL pass"
)


@postgres_only
def test_a_stopped_postgresql_is_a_503_to_retry_on_the_same_connection(
    tmp_path: Path, cluster: Cluster
) -> None:
    server = start_server(tmp_path, server_env(tmp_path, DATABASE_URL=cluster.url))
    try:
        headers = _register(server.url, CREDENTIALS["email"])
        _add(server.url, headers, "saved")
        with OneConnection(server.url) as one:
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["saved"]

            cluster.stop()
            assert_fault(one("POST", "/api/expenses", expense_body(), headers), UNREACHABLE)
            assert_fault(one("GET", "/api/expenses", headers=headers), UNREACHABLE)
            # Log-in reads the account, and cannot.
            assert_fault(one("POST", "/api/auth/login", CREDENTIALS), UNREACHABLE)
            assert readiness(one) == (503, {"status": "unavailable", "detail": "database unreachable"})

            cluster.start()
            assert one("POST", "/api/expenses", expense_body(description="back"), headers).status == 201
            assert _descriptions(one("GET", "/api/expenses", headers=headers)) == ["back", "saved"]
            assert one("GET", "/api/health/ready").status == 200
    finally:
        stop_server(server)


@postgres_only
def test_a_full_disk_under_postgresql_refuses_writes_with_507(
    tmp_path: Path, postgres_disk: Path, cluster: Cluster
) -> None:
    """PostgreSQL's `disk_full`: here the expenses live in a tablespace on the small disk."""
    disk = postgres_disk
    server = start_server(tmp_path / "server", server_env(tmp_path / "server", DATABASE_URL=cluster.url))
    admin = create_engine(cluster.url, isolation_level="AUTOCOMMIT")
    try:
        headers = _register(server.url, CREDENTIALS["email"])
        _add(server.url, headers, "saved")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE TABLESPACE small LOCATION '{disk}'"))
            connection.execute(text("ALTER TABLE expenses SET TABLESPACE small"))
        fill(disk)
        with OneConnection(server.url) as one:
            # The table's last page takes rows until it is full; the next page finds no room.
            for _ in range(200):
                refused = one("POST", "/api/expenses", expense_body(description="x" * 200), headers)
                if refused.status != 201:
                    break
            assert_fault(refused, DISK_FULL)
            assert one("GET", "/api/expenses?limit=1", headers=headers).status == 200
            assert _bearer(one("POST", "/api/auth/login", CREDENTIALS))
            assert readiness(one) == (503, {"status": "unavailable", "detail": "disk full"})

            free(disk)
            assert one("POST", "/api/expenses", expense_body(description="room again"), headers).status == 201
    finally:
        stop_server(server)
        admin.dispose()


@postgres_only
def test_the_start_waits_for_a_postgresql_that_starts_after_the_app(tmp_path: Path, cluster: Cluster) -> None:
    cluster.stop()

    def start_when_the_app_waits() -> None:
        deadline = time.monotonic() + 60
        while not any("Waiting for the database" in log.read_text() for log in tmp_path.glob("*.log")):
            if time.monotonic() > deadline:
                return
            time.sleep(0.1)
        cluster.start()

    late = threading.Thread(target=start_when_the_app_waits)
    late.start()
    try:
        server = start_server(tmp_path, server_env(tmp_path, DATABASE_URL=cluster.url), timeout=60)
    finally:
        late.join()
    try:
        assert httpx2.get(f"{server.url}/api/health/ready").status_code == 200
    finally:
        stop_server(server)
    log = server.log.read_text()
    assert "Waiting for the database" in log
    assert "Recurring expenses due by today are created" in log  # the start went on once it answered


@pytest.fixture
def impatient(engine: Engine) -> Iterator[Engine]:
    """The test's database, where a write waits 200 ms for a lock: not SQLite's 10 s, nor forever."""
    url = engine.url
    if engine.dialect.name == "sqlite":
        impatient = make_engine(url.render_as_string(hide_password=False))
        # After the app's own pragmas, which set 10 s.
        event.listen(
            impatient, "connect", lambda connection, _: connection.execute("PRAGMA busy_timeout=200")
        )
    else:
        options = url.update_query_dict({"options": "-c lock_timeout=200"})
        impatient = make_engine(options.render_as_string(hide_password=False))
    yield impatient
    impatient.dispose()


@contextmanager
def lock_held(engine: Engine) -> Iterator[None]:
    """Another connection holds what a write needs: SQLite's one write lock, PostgreSQL's rows."""
    if engine.dialect.name == "sqlite":
        holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.close()
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT 1 FROM users FOR UPDATE"))
        connection.execute(text("SELECT 1 FROM ledgers FOR UPDATE"))
        yield
        connection.rollback()


def test_a_held_lock_is_a_503_to_retry_and_log_in_goes_on(engine: Engine, impatient: Engine) -> None:
    with app_on(impatient):
        client = TestClient(app)
        headers = register(client, CREDENTIALS["email"])
        add_expense(client, headers, description="saved")
        with lock_held(engine):
            refused = client.post("/api/expenses", json=expense_body(description="waits"), headers=headers)
            assert (refused.status_code, refused.json()) == (BUSY.status, {"detail": BUSY.detail})
            assert refused.headers["Retry-After"] == str(BUSY.retry_after)
            assert "X-Request-ID" in refused.headers
            login = client.post("/api/auth/login", json=CREDENTIALS)
            assert login.status_code == 200, login.text
            token = {"Authorization": f"Bearer {login.json()['access_token']}"}
            assert client.get("/api/expenses", headers=token).json()["total"] == 1
            assert client.get("/api/health/ready").status_code == 200  # a lock passes: not an outage
        with Session(engine) as session:  # the log-in went on without its record
            assert session.scalar(select(User.last_login_at)) is None
        assert client.post("/api/expenses", json=expense_body(), headers=headers).status_code == 201
        assert client.post("/api/auth/login", json=CREDENTIALS).status_code == 200
        with Session(engine) as session:
            assert session.scalar(select(User.last_login_at)) is not None


def test_a_failure_that_is_a_bug_stays_a_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the database's own failures are 503 or 507: an SQL error is the code's, not a reason to wait."""
    headers = register(client)
    client.get("/api/expenses", headers=headers)
    failing = TestClient(app, raise_server_exceptions=False)
    monkeypatch.setattr(Session, "commit", _no_such_table)
    answer = failing.post("/api/expenses", json=expense_body(), headers=headers)
    assert answer.status_code == 500
    assert "Retry-After" not in answer.headers


def _no_such_table(_session: Session) -> None:
    from sqlalchemy.exc import OperationalError  # noqa: PLC0415

    raise OperationalError("SELECT * FROM nowhere", {}, sqlite3.OperationalError("no such table: nowhere"))
