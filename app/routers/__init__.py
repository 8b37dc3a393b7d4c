from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Request

from app.auth import CurrentUser
from app.database import SessionDep
from app.services.recurring import materialise_due

# What every authenticated route can answer besides success, for the OpenAPI schema.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Missing, invalid or expired token"}}


THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts; wait and try again",
        "headers": {
            "Retry-After": {"description": "Seconds until a try is allowed", "schema": {"type": "integer"}}
        },
    }
}


def client_ip(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --forwarded-allow-ips makes this the real client's address.
    return request.client.host if request.client else "unknown"


ClientIP = Annotated[str, Depends(client_ip)]


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {**UNAUTHORIZED, 404: {"description": f"No such {what} of yours"}}


def current_date() -> date:
    """The server's date; a dependency, so tests can set the calendar through dependency_overrides."""
    return date.today()


Today = Annotated[date, Depends(current_date)]


def materialise_due_occurrences(session: SessionDep, user: CurrentUser, today: Today) -> None:
    """Before a request reads expenses: create this user's recurring occurrences that fell due."""
    materialise_due(session, user=user, today=today)


# On the routes that read expenses, so what fell due shows with no scheduler.
DUE_OCCURRENCES = [Depends(materialise_due_occurrences)]
