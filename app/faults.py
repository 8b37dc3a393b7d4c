"""Failures of the database itself, as answers a person can act on; the start that waits for it.

PostgreSQL unreachable, a lock or statement timeout, SQLite's "database is locked" past its busy
timeout, a full disk: each is classified once, here. The error handler (app.main) answers it,
readiness (app.routers.health) reports it, the start (app.main's lifespan) waits for it to pass.
On a full disk SQLite cannot even open the database as usual: the app then serves reads from a
read-only engine, and goes back to the usual one by itself once there is space again.
"""

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app import database
from app.migrate import is_at_head

logger = logging.getLogger("app.faults")


@dataclass(frozen=True)
class Fault:
    status: int
    reason: str  # readiness's detail, and the log's
    detail: str  # what the person reads
    retry_after: int  # seconds


DISK_FULL = Fault(
    507,
    "disk full",
    "The server's disk is full, so this could not be saved; what is saved can still be read. "
    "Ask the server's administrator to free space, then try again.",
    60,
)
UNREACHABLE = Fault(
    503,
    "database unreachable",
    "The database is not answering. Try again in a few seconds; if this goes on, tell the "
    "server's administrator.",
    5,
)
BUSY = Fault(
    503,
    "database busy",
    "The database is busy with other changes and this could not wait longer. Try again in a few seconds.",
    5,
)
STORAGE = Fault(
    503,
    "database storage failing",
    "The database could not read or write its files. Tell the server's administrator.",
    30,
)

SQLITE_READONLY, SQLITE_IOERR = 8, 10
# SQLite's primary result codes; an extended code keeps its primary one in the low byte.
_SQLITE = {5: BUSY, 6: BUSY, SQLITE_READONLY: STORAGE, SQLITE_IOERR: STORAGE, 13: DISK_FULL, 14: UNREACHABLE}
# PostgreSQL's SQLSTATEs; a connection that failed or broke has none (or class 08).
_POSTGRES = {
    "53100": DISK_FULL,  # disk_full
    "53200": BUSY,  # out_of_memory
    "53300": BUSY,  # too_many_connections
    "55P03": BUSY,  # lock_not_available: lock_timeout
    "57014": BUSY,  # query_canceled: statement_timeout
    "40001": BUSY,  # serialization_failure
    "40P01": BUSY,  # deadlock_detected
    "57P01": UNREACHABLE,  # admin_shutdown
    "57P02": UNREACHABLE,  # crash_shutdown
    "57P03": UNREACHABLE,  # cannot_connect_now: starting up or shutting down
    "58030": STORAGE,  # io_error
}
# Less free space than this where SQLite keeps its file is a full disk: a write needs room in the
# WAL for its pages, a new connection 32 KiB for the WAL's index.
DISK_MARGIN = 1024 * 1024
SPACE_CHECK_SECONDS = 2


def classify(exc: SQLAlchemyError) -> Fault | None:
    """What this failure means to a person; None for one that is a bug (a 500)."""
    if isinstance(exc, PoolTimeout):  # every pooled connection was taken for pool_timeout
        return BUSY
    if not isinstance(exc, DBAPIError):
        return None
    if isinstance(exc.orig, sqlite3.Error):
        return _sqlite_fault(exc.orig)
    sqlstate = getattr(exc.orig, "sqlstate", None)
    broken = exc.connection_invalidated or (sqlstate is None and isinstance(exc, OperationalError))
    if broken or (sqlstate or "").startswith("08"):
        return UNREACHABLE
    return _POSTGRES.get(sqlstate or "")


def _sqlite_fault(error: sqlite3.Error) -> Fault | None:
    code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF  # none on one made by hand
    if code == SQLITE_READONLY and _read_only is not None:
        return DISK_FULL  # the read-only engine's refusal
    if code == SQLITE_IOERR and _disk_full(_sqlite_file(database.SessionLocal.kw.get("bind"))):
        return DISK_FULL  # making the WAL's index on a full disk fails as an "I/O error"
    return _SQLITE.get(code)


_disk_full_seen = -float("inf")  # when this worker last saw a write fail for want of space


def noted(fault: Fault | None) -> Fault | None:
    """Remember a full disk for readiness: PostgreSQL's disk is its server's, out of this one's sight."""
    global _disk_full_seen  # noqa: PLW0603 (one worker's memory of one fact)
    if fault is DISK_FULL:
        _disk_full_seen = time.monotonic()
    return fault


def diagnose(session: Session) -> str | None:
    """What keeps the app from serving in full, in a few words; None when nothing does."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        fault = classify(exc)
        return fault.reason if fault else UNREACHABLE.reason
    if _read_only is not None:
        return f"{DISK_FULL.reason}: reads only"
    path = _sqlite_file(session.get_bind())
    if path is not None:
        full = _disk_full(path)
    else:  # seen within the time a client is told to wait
        full = time.monotonic() - _disk_full_seen < DISK_FULL.retry_after
    return DISK_FULL.reason if full else None


class DatabaseUnavailable(Exception):
    """The database did not answer at start: the app does not start (uvicorn exits with 3)."""


def wait_for_database(seconds: float) -> None:
    """At start: wait up to `seconds` for the database, which may be starting beside the app.

    On a full disk SQLite cannot make the WAL's index and so cannot open the database at all:
    the app then opens it read-only (open_read_only) and starts, serving reads.
    """
    engine = database.engine
    deadline = time.monotonic() + seconds
    while True:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except SQLAlchemyError as exc:
            fault = classify(exc)
            where = engine.url.render_as_string(hide_password=True)
            if fault is DISK_FULL and engine.dialect.name == "sqlite":
                open_read_only(engine)
                return
            if fault is None or time.monotonic() >= deadline:
                raise DatabaseUnavailable(
                    f"The database at {where} did not answer within {seconds:g} s "
                    f"(DATABASE_WAIT_SECONDS): {first_line(exc)}"
                ) from exc
            logger.warning("Waiting for the database at %s (%s): %s", where, fault.reason, first_line(exc))
            time.sleep(1)


_read_only: Engine | None = None  # the engine the sessions use while the disk is full


def read_only() -> bool:
    return _read_only is not None


def open_read_only(engine: Engine) -> None:
    """Serve reads from a read-only engine until the disk holding SQLite's file has space again."""
    global _read_only  # noqa: PLW0603 (the process's one switch, set at start)
    path = _sqlite_file(engine)
    assert path is not None
    wal = path.with_name(f"{path.name}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise DatabaseUnavailable(
            f"The disk holding {path} is full, and {wal.name} holds changes SQLite cannot read without "
            "room for its index: free space, then start again."
        )
    read_only = database.make_read_only_sqlite_engine(path)
    # Reads with the code's schema only: a migration this version needs cannot be written now.
    if not is_at_head(read_only):
        raise DatabaseUnavailable(
            f"The disk holding {path} is full and the database needs migrating for this version: "
            "free space, then start again."
        )
    _read_only = read_only
    database.SessionLocal.configure(bind=read_only)
    logger.error("The disk holding %s is full: serving reads only until it has space again", path)
    threading.Thread(target=_writable_with_space, args=(engine, path), name="space", daemon=True).start()


def _writable_with_space(engine: Engine, path: Path) -> None:
    global _read_only  # noqa: PLW0603
    while _disk_full(path):
        time.sleep(SPACE_CHECK_SECONDS)
    database.SessionLocal.configure(bind=engine)
    _read_only = None
    logger.warning("The disk holding %s has space again: saving again", path)


def _sqlite_file(bind: object) -> Path | None:
    if not isinstance(bind, Engine) or bind.dialect.name != "sqlite":
        return None
    name = bind.url.database
    return Path(name) if name and name != ":memory:" else None


def _disk_full(path: Path | None) -> bool:
    if path is None:
        return False
    try:
        disk = os.statvfs(path.parent)
    except OSError:
        return False
    # root may also write the blocks a file system keeps back for it.
    free = disk.f_bfree if os.geteuid() == 0 else disk.f_bavail
    return free * disk.f_frsize < DISK_MARGIN


def first_line(exc: BaseException) -> str:
    """The driver's message, without SQLAlchemy's statement and parameters."""
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(error).strip().split("\n", 1)[0]
