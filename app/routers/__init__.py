from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request

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
