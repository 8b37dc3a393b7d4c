import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

# Settings are read when the app is imported: point them at throwaway places first.
_scratch = tempfile.mkdtemp(prefix="expense-tracker-tests-")
os.environ.update(
    DATA_DIR=_scratch,
    DATABASE_URL=f"sqlite:///{_scratch}/unused.db",
    SECRET_KEY=secrets.token_urlsafe(48),
    AUTO_MIGRATE="false",
    BCRYPT_ROUNDS="4",
)

import pytest  # noqa: E402
import uvicorn  # noqa: E402
from fastapi import Request  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import database, ratelimit  # noqa: E402
from app.database import Base, make_engine, reading_only  # noqa: E402
from app.main import app  # noqa: E402
from app.routers import current_date, get_session, reads_only  # noqa: E402
from tests.postgres import postgres_cluster  # noqa: E402

ON_POSTGRES = os.environ.get("TEST_DATABASE") == "postgresql"
# The `inbox` fixture: a real SMTP server on loopback.
pytest_plugins = ["tests.smtp"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    if not ON_POSTGRES:
        yield None
        return
    # No silent skip: asked for PostgreSQL and could not get it, the run fails.
    with postgres_cluster() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_engine(postgres_url: str | None) -> Iterator[Engine | None]:
    if postgres_url is None:
        yield None
        return
    engine = make_engine(postgres_url)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(postgres_engine: Engine | None, tmp_path: Path) -> Iterator[Engine]:
    """A database with the current schema and no rows, for this test alone."""
    if postgres_engine is None:
        sqlite_engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        Base.metadata.create_all(sqlite_engine)
        yield sqlite_engine
        sqlite_engine.dispose()
        return
    yield postgres_engine
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with postgres_engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every test starts with no failed log-ins or registrations counted."""
    ratelimit.reset()
    yield
    ratelimit.reset()


@pytest.fixture
def empty_database_url(postgres_url: str | None, tmp_path: Path) -> Iterator[str]:
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS migration_test"))
        conn.execute(text("CREATE DATABASE migration_test"))
    yield postgres_url.rsplit("/", 1)[0] + "/migration_test"
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE migration_test WITH (FORCE)"))
    admin.dispose()


@contextmanager
def app_on(engine: Engine) -> Iterator[None]:
    """The real app, with every request's session bound to this engine."""

    def session_override(request: Request) -> Iterator[Session]:
        with Session(bind=engine, expire_on_commit=False) as session:
            yield reading_only(session) if reads_only(request) else session

    app.dependency_overrides[get_session] = session_override
    database.SessionLocal.configure(bind=engine)  # the sessions the app opens itself (its schedule)
    try:
        yield
    finally:
        app.dependency_overrides.clear()
        database.SessionLocal.configure(bind=database.engine)


# The days a calendar bug shows on: month ends of 30 and 31 days, a leap day, the end of a year.
TODAYS = [date(2026, 11, 30), date(2028, 2, 29), date(2028, 3, 31), date(2026, 12, 31)]


@pytest.fixture(params=TODAYS, ids=str)
def today(request: pytest.FixtureRequest) -> Iterator[date]:
    """Set the app's calendar: a test that asks for `today` runs once on each of TODAYS."""
    day: date = request.param
    app.dependency_overrides[current_date] = lambda: day
    yield day
    app.dependency_overrides.pop(current_date, None)


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with app_on(engine):
        yield TestClient(app)


@pytest.fixture
def live_server(engine: Engine) -> Iterator[str]:
    """The app on a free loopback port, using this test's database."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    with app_on(engine):
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(timeout=10)


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL (throwaway cluster)' if ON_POSTGRES else 'SQLite (a file per test)'}"
