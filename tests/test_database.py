"""app/database.py: the engine's pooled connections."""

import time

import pytest
from sqlalchemy import Engine, create_engine, func, insert, select, text
from sqlalchemy.orm import Session

from app.database import make_engine, reading_only
from app.models import Ledger
from tests.conftest import ON_POSTGRES


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
