"""What the routes share: the request's session, the caller's address, today, answers and the
OpenAPI descriptions of their refusals."""

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from app import database
from app.database import reading_only


def reads_only(request: Request) -> bool:
    """A GET or HEAD, unless its answer is streamed: a stream reads through a server-side cursor,
    which PostgreSQL opens only inside a transaction."""
    streamed = getattr(request.scope.get("route"), "response_class", None) is StreamingResponse
    return request.method in ("GET", "HEAD") and not streamed


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session, opened on the event loop: that takes no connection, the first query does.

    Closed as soon as the route's answer is made, before it is sent: on the loop when that sends
    nothing to the database (a read's session never holds a transaction there: SQLite begins none
    to read, PostgreSQL reads in autocommit; a write's has committed), else on a thread.
    """
    session = database.SessionLocal()
    if reads_only(request):
        reading_only(session)
    try:
        yield session
    finally:
        if session.in_transaction() and not session.info.get("read_only"):
            await run_in_threadpool(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# What every authenticated route can answer besides success, for the OpenAPI schema.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Missing, invalid or expired token"}}


# What a route in a ledger can answer besides: not a member (404), or a member without the right (403).
FORBIDDEN: dict[int | str, dict[str, Any]] = {
    403: {"description": "Your role in this ledger does not allow this"}
}
IN_LEDGER: dict[int | str, dict[str, Any]] = {
    **UNAUTHORIZED,
    **FORBIDDEN,
    404: {"description": "No such ledger of yours (the `ledger` parameter)"},
}


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts; wait and try again",
        "headers": {
            "Retry-After": {"description": "Seconds until a try is allowed", "schema": {"type": "integer"}}
        },
    }
}


async def client_ip(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --forwarded-allow-ips makes this the real client's address.
    return request.client.host if request.client else "unknown"


ClientIP = Annotated[str, Depends(client_ip)]


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {**UNAUTHORIZED, **FORBIDDEN, 404: {"description": f"No such {what} in your ledgers"}}


def server_date() -> date:
    """The server's local date: a request's today, and the day the schedule runs for (app.main)."""
    return date.today()


async def current_date() -> date:
    """The server's date; a dependency, so tests can set the calendar through dependency_overrides."""
    return server_date()


Today = Annotated[date, Depends(current_date)]


T = TypeVar("T")
HASHING_THREADS = 2
_hashing_threads: RunVar[CapacityLimiter] = RunVar("hashing_threads")


def hashing_threads() -> CapacityLimiter:
    """The threads of the routes that hash a password (log-in, registration, a password change),
    apart from the THREADS every other route runs on: a burst of log-ins, each waiting its turn for
    the hash (app.access), holds none of those."""
    try:
        return _hashing_threads.get()
    except LookupError:
        limiter = CapacityLimiter(HASHING_THREADS)
        _hashing_threads.set(limiter)
        return limiter


async def hashing(work: Callable[[], T]) -> T:
    """Run a route's work that hashes a password on hashing_threads, off the event loop."""
    return await to_thread.run_sync(work, limiter=hashing_threads())


async def in_thread(work: Callable[[], T]) -> T:
    """Run an async route's database work on the routes' threads. FastAPI sends a sync route on a
    thread, then checks its answer on another trip; an async route that does this makes the one."""
    return await to_thread.run_sync(work)
