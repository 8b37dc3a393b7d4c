"""app/database.py: the engine's pooled connections."""

import time

import pytest
from sqlalchemy import Engine, create_engine, text

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
