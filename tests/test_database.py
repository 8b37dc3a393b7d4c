"""app/database.py: the engine's pooled connections."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from app import database, main
from app.config import settings
from app.database import make_engine, reading_only
from app.main import app
from app.models import Ledger
from app.routers import get_session
from tests.conftest import ON_POSTGRES
from tests.factories import add_expense, expense_body, register


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's pooled connections; SQLite opens a file")
def test_a_connection_the_server_closed_is_replaced_before_a_request_uses_it(engine: Engine) -> None:
    with engine.connect() as conn:  # back in the pool when done
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        for _ in range(100):  # the backend ends a moment after being told to
            if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                break
            time.sleep(0.05)
    admin.dispose()
    # No ping: the pool sees the closed socket at checkout and connects again.
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT pg_backend_pid()")) != pid


def test_a_read_requests_session_refuses_to_write(engine: Engine) -> None:
    with Session(bind=engine) as session:
        reading_only(session)
        with pytest.raises(RuntimeError, match="must not write"):
            session.execute(insert(Ledger).values(name="Flat", currency="EUR"))
        session.add(Ledger(name="Flat", currency="EUR"))
        with pytest.raises(RuntimeError, match="must not write"):
            session.flush()
    with Session(bind=engine) as session:
        assert session.scalar(select(func.count()).select_from(Ledger)) == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's transactions; SQLite begins none to read")
def test_a_read_on_postgresql_sends_no_begin_and_a_write_still_does(engine: Engine) -> None:
    for read, autocommit in ((True, True), (False, False), (True, True)):  # the pool's connection is reset
        with Session(bind=engine) as session:
            if read:
                reading_only(session)
            assert session.scalar(select(func.count()).select_from(Ledger)) == 0
            assert session.connection().connection.dbapi_connection.autocommit is autocommit  # type: ignore[union-attr]


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's plan cache for prepared statements")
def test_a_prepared_statement_is_planned_for_each_requests_values(engine: Engine) -> None:
    """PostgreSQL plans a statement prepared and run more than five times once for any parameters
    ("generic"), unless told not to: the app's connections plan each run for its own values."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PREPARE named(text) AS SELECT id FROM ledgers WHERE name = $1")
        for _ in range(6):
            conn.exec_driver_sql("EXECUTE named('Flat')").all()
        plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN EXECUTE named('Flat')"))
        conn.exec_driver_sql("DEALLOCATE named")
    assert "'Flat'" in plan
    assert "$1" not in plan


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's connection options")
def test_options_in_the_database_url_are_kept_beside_the_apps(engine: Engine) -> None:
    url = engine.url.update_query_dict({"options": "-c statement_timeout=12345"})
    own = make_engine(url.render_as_string(hide_password=False))
    with own.connect() as conn:
        assert conn.scalar(text("SHOW statement_timeout")) == "12345ms"
        assert conn.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    own.dispose()


def test_no_request_holds_a_connection_while_it_waits_for_a_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One thread, and eight requests at once of each kind: a request may keep its connection while it
    waits for the thread (the route's, then FastAPI's check of its model), so were the pool smaller
    than the requests, the thread could wait for a connection such a request holds, and neither
    would go on (with max_overflow=0: a QueuePool timeout on the first read of a model)."""
    monkeypatch.setattr(settings, "threads", 1)
    monkeypatch.setattr(settings, "limit_concurrency", 8)  # uvicorn's: requests a worker takes at once
    small = make_engine(engine.url.render_as_string(hide_password=False))
    small.pool._timeout = 5  # type: ignore[attr-defined]  # fail in seconds, not in 30
    monkeypatch.setattr(database, "SessionLocal", sessionmaker(bind=small, expire_on_commit=False))
    monkeypatch.setattr(settings, "auto_migrate", False)
    monkeypatch.setattr(main, "_start_of_day", lambda: None)  # the start-up's database work
    app.dependency_overrides.pop(get_session, None)  # the app's own sessions, from SessionLocal
    with TestClient(app) as client:
        owner = register(client)
        expense = add_expense(client, owner)
        ledger = client.post("/api/ledgers", json={"name": "Home"}, headers=owner).json()["id"]
        budget = client.post("/api/budgets", json={"category": "Food", "amount": 10}, headers=owner).json()
        calls = [
            ("GET", "/api/me", None),
            ("GET", "/api/expenses", None),
            ("GET", f"/api/expenses/{expense['id']}", None),
            ("GET", "/api/summary", None),
            ("GET", "/api/stats?start=2026-11-01&end=2026-11-30", None),
            ("GET", "/api/categories", None),
            ("GET", "/api/budgets", None),
            ("GET", "/api/recurring", None),
            ("GET", "/api/ledgers", None),
            ("GET", f"/api/ledgers/{ledger}", None),
            ("GET", f"/api/ledgers/{ledger}/balances", None),
            ("GET", f"/api/ledgers/{ledger}/settlements", None),
            ("GET", "/api/rates?from=JPY&to=EUR&date=2026-03-02", None),
            ("GET", "/api/admin/users", None),
            ("POST", "/api/expenses", expense_body()),
            ("PATCH", f"/api/expenses/{expense['id']}", {"amount": 3}),
            ("PATCH", f"/api/budgets/{budget['id']}", {"amount": 11}),
            ("PATCH", f"/api/ledgers/{ledger}", {"name": "Flat"}),
            ("POST", "/api/ledgers", {"name": "Trip"}),
        ]
        with ThreadPoolExecutor(8) as pool:
            for method, path, body in calls:
                sent = [pool.submit(client.request, method, path, json=body, headers=owner) for _ in range(8)]
                assert {f.result().status_code for f in sent} <= {200, 201}, (method, path)
    small.dispose()
