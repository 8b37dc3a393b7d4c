from collections.abc import Callable
from datetime import date
from functools import wraps
from inspect import iscoroutinefunction
from typing import Annotated, Any, TypeVar

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter
from sqlalchemy.orm import Session
from starlette.responses import StreamingResponse

from app.auth import Deferred

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


_ANY_JSON = TypeAdapter(dict[str, Any])


def as_json(answer: dict[str, Any]) -> Response:
    """An answer the route built from database rows in its response model's shape and field order,
    written as it is: validating hundreds of rows again (a Python call per timestamp or point)
    would cost more than reading them. tests/test_answers.py holds it equal to the model's JSON."""
    return Response(_ANY_JSON.dump_json(answer), media_type="application/json")


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {**UNAUTHORIZED, **FORBIDDEN, 404: {"description": f"No such {what} in your ledgers"}}


def server_date() -> date:
    """The server's local date: a request's today, and the day the schedule runs for (app.main)."""
    return date.today()


async def current_date() -> date:
    """The server's date; a dependency, so tests can set the calendar through dependency_overrides."""
    return server_date()


Today = Annotated[date, Depends(current_date)]


F = TypeVar("F", bound=Callable[..., Any])
HASHING_THREADS = 2
_hashing_threads: RunVar[CapacityLimiter] = RunVar("hashing_threads")


def hashes_password(endpoint: F) -> F:
    """Mark a route that hashes a password (log-in, registration, a password change): it runs on
    threads of its own (hashing_threads)."""
    endpoint.hashes_password = True  # type: ignore[attr-defined]
    return endpoint


def hashing_threads() -> CapacityLimiter:
    """The threads of the routes that hash, apart from the THREADS every other route runs on: a
    burst of log-ins, each waiting its turn for the hash (app.auth), holds none of those."""
    try:
        return _hashing_threads.get()
    except LookupError:
        limiter = CapacityLimiter(HASHING_THREADS)
        _hashing_threads.set(limiter)
        return limiter


class OneTripRoute(APIRoute):
    """A sync route whose request costs one trip to the threadpool, not one per step.

    FastAPI sends a sync route, each sync dependency and the response's validation on trips of
    their own. The app's dependencies are async and do no blocking work (app.auth.Deferred), so
    here the route runs as an async function that makes exactly one trip: the caller's access is
    resolved, the route runs and the session is closed, all in that thread.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not iscoroutinefunction(endpoint):
            endpoint = _in_one_trip(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _in_one_trip(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    hashing = getattr(endpoint, "hashes_password", False)

    @wraps(endpoint)  # FastAPI reads the parameters, name and docstring through this
    async def route(**values: Any) -> Any:
        limiter = hashing_threads() if hashing else None  # None: THREADS' (app.main)
        return await to_thread.run_sync(_run, endpoint, values, limiter=limiter)

    return route


def _run(endpoint: Callable[..., Any], values: dict[str, Any]) -> Any:
    sessions = {
        v.session if isinstance(v, Deferred) else v
        for v in values.values()
        if isinstance(v, Deferred | Session)
    }
    streamed = False
    try:
        resolved = {name: v.resolve() if isinstance(v, Deferred) else v for name, v in values.items()}
        answer = endpoint(**resolved)
        streamed = isinstance(answer, StreamingResponse)
        return answer
    finally:
        # A streamed body reads the database later: its session is closed after it (app.database).
        if not streamed:
            for session in sessions:
                session.close()
