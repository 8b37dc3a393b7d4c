import select
import sqlite3
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, make_url, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.pool import NullPool

from app.config import settings

# Stable constraint names, so Alembic can diff and drop them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str) -> Engine:
    # A request may hold its connection while it waits for a thread (FastAPI checks a route's model
    # on a thread trip of its own, after the route). So the pool has room for a connection per request
    # a worker takes at once: no thread ever waits for a connection that a request waiting for that
    # thread holds. It keeps one per thread; the others close when they come back.
    pool = {"pool_size": settings.threads, "max_overflow": settings.limit_concurrency}
    if url.startswith("sqlite"):
        in_memory = make_url(url).database in (None, "", ":memory:")
        engine = create_engine(url, connect_args={"check_same_thread": False}, **({} if in_memory else pool))
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # psycopg prepares a statement the fifth time a connection runs it, and PostgreSQL then may plan
    # it once for any parameters: a search page's plan made for an unknown LIMIT sorted every match
    # from the seventh page on. Planned for each request's values, it walks the date index.
    # Added to any `options` the URL gives, which connect_args would otherwise replace.
    options = f"{make_url(url).query.get('options', '')} -c plan_cache_mode=force_custom_plan".strip()
    engine = create_engine(url, connect_args={"options": options}, **pool)
    event.listen(engine, "checkout", _still_connected)
    return engine


def _still_connected(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Refuse a pooled connection the server has closed (a restart, a terminated backend): the pool
    drops it and hands out another, so no request fails on it.

    An idle connection's socket has nothing to read unless the server closed it (it sends an error,
    then end of file), so looking costs no round trip; pool_pre_ping spent one on every request.
    """
    if dbapi_connection.closed or select.select([dbapi_connection.fileno()], [], [], 0)[0]:
        raise DisconnectionError("The database closed this connection")


CACHE_KIB = -1024  # a SQLite connection's page cache (negative: KiB), and while it writes many rows:
BULK_CACHE_KIB = -65536


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; the busy timeout makes writers queue instead of
    # failing with "database is locked"; SQLite leaves foreign keys off unless asked.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Every pooled connection keeps a page cache of its own; the OS caches the file for all of them,
    # so 1 MB each (instead of 2) keeps the server small under load at little cost.
    cursor.execute(f"PRAGMA cache_size={CACHE_KIB}")
    cursor.close()
    # SQLite's LIKE folds ASCII letters only: searches lower both sides with Python's str.lower,
    # which PostgreSQL's ILIKE follows for accented letters too ("CAFÉ" finds "café").
    dbapi_connection.create_function(UNICODE_LOWER, 1, _lower, deterministic=True)


def make_read_only_sqlite_engine(path: Path) -> Engine:
    """The SQLite file read as it is, for a full disk (app.faults): no locks, and no WAL index (the
    -shm file), which a full disk has no room for and which every usual connection needs, even to
    read. Right only while nothing writes the file and its WAL is empty, as app.faults makes sure.
    Writes fail: "attempt to write a readonly database"."""
    uri = f"{path.resolve().as_uri()}?immutable=1"  # as_uri() escapes what a URI would misread
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False),
        poolclass=NullPool,  # nothing kept once the disk has space and the usual engine is back
    )
    event.listen(engine, "connect", _sqlite_functions)
    return engine


def _sqlite_functions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function(UNICODE_LOWER, 1, _lower, deterministic=True)


UNICODE_LOWER = "unicode_lower"


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


engine = make_engine(settings.resolved_database_url)
SessionLocal = sessionmaker(bind=engine, expire_on_commit=False)


def reading_only(session: Session) -> Session:
    """Make a new session a read request's (GET): it refuses to write, and on PostgreSQL its
    statements run in autocommit mode, without the BEGIN and ROLLBACK round trips (two of a list
    page's six). For reads that changes nothing: under READ COMMITTED each statement of a
    transaction sees what was committed when it started, and so does each autocommitted one.
    """
    session.info["read_only"] = True
    if isinstance(session.bind, Engine) and session.bind.dialect.name == "postgresql":
        session.bind = _autocommit(session.bind)
    return session


@cache
def _autocommit(engine: Engine) -> Engine:
    # The same pool: switching a psycopg connection to autocommit and back sends nothing.
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@event.listens_for(Session, "do_orm_execute")
def _no_write_statement(state: ORMExecuteState) -> None:
    if state.session.info.get("read_only") and (state.is_insert or state.is_update or state.is_delete):
        raise RuntimeError("A read request (GET) must not write: its statements are not in one transaction")


@event.listens_for(Session, "before_flush")
def _no_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get("read_only"):
        raise RuntimeError("A read request (GET) must not write: its statements are not in one transaction")


def refresh_statistics(session: Session, *tables: str) -> None:
    """SQLite: the statistics its planner reads, of these tables (else of all), sampled (ANALYZE
    within an analysis limit: 1-7 ms for the expenses at 1,000,000 rows, 80-130 ms for all, most
    of it the search index's own tables). Without them SQLite takes a ledger for about ten rows and
    counts a search's matches by walking the ledger's whole index: 244 ms for a rare word at
    1,000,000 rows, 0.4 ms with them (bench/RESULTS.md, sessions 10 and 11). Run by the one writer
    after a large write and at each start and day (app.main); PostgreSQL's autovacuum keeps its own."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("PRAGMA analysis_limit=400"))
        for statement in [f"ANALYZE {table}" for table in tables] or ["ANALYZE"]:
            session.execute(text(statement))
