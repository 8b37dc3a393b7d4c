"""The routes' dependencies: who is asking, and their role in the request's ledger.

Every API router names one of these in its own `dependencies` (app.routers), so each route it holds
checks its caller without the route asking: a new route is protected by being added to a router.
The only routes without one are PUBLIC, those a visitor needs to get a session (tests/test_routers.py
walks every other route with dead sessions). Routes name the same dependency again (Reader, Editor,
CurrentUser, ...) to receive its answer: FastAPI works it out once per request.

Each answer is one query (app.access): token, revocation, account and, in a ledger, the caller's
role there. The async dependencies here do no blocking work; the sync ones, which query, run on
FastAPI's threadpool.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from app.access import (
    LedgerAccess,
    ObjectScope,
    TokenClaims,
    TokenSession,
    decode_token,
    resolve_access,
    resolve_session,
)
from app.errors import Forbidden, Unauthorized
from app.models import User
from app.routers import SessionDep
from app.types import MAX_DB_ID

# The routes (by function name) that answer without a session: log-in, registration, password
# reset, the log-in page's options and the health checks. Every other route needs one.
PUBLIC = frozenset(
    {
        "register",
        "login",
        "login_for_token",
        "read_auth_options",
        "forgot_password",
        "reset_password",
        "health",
        "ready",
    }
)


class BearerClaims(OAuth2PasswordBearer):
    """The request's bearer token, decoded; 401 without exactly one well-formed one. No database.
    OAuth2's scheme, so the OpenAPI schema offers the docs' Authorize button."""

    async def __call__(self, request: Request) -> TokenClaims:  # type: ignore[override]
        token = await super().__call__(request)
        # Two Authorization headers could be read as two callers by two readers: neither is taken.
        if not token or len(request.headers.getlist("authorization")) != 1:
            raise Unauthorized()
        return decode_token(token)


get_claims = BearerClaims(tokenUrl="/api/auth/token", auto_error=False, scheme_name="OAuth2PasswordBearer")
Claims = Annotated[TokenClaims, Depends(get_claims)]


T = TypeVar("T")


def _released(session: Session, answer: T) -> T:
    """The answer of an access query, its connection back in the pool (the objects it loaded stay
    usable): the request then waits for the route's thread holding no connection. Requests that
    held one while waiting could take every connection, and the threads would wait for them."""
    session.commit()
    return answer


def get_token_session(session: SessionDep, claims: Claims) -> TokenSession:
    return _released(session, resolve_session(session, claims))


CurrentSession = Annotated[TokenSession, Depends(get_token_session)]


async def get_current_user(found: CurrentSession) -> User:
    return found.user


CurrentUser = Annotated[User, Depends(get_current_user)]


async def get_current_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise Forbidden("Only an admin can do this.")
    return user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]

LedgerParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_DB_ID, description="The ledger to work in; without it, your personal ledger"),
]


def get_ledger_access(session: SessionDep, claims: Claims, ledger: LedgerParam = None) -> LedgerAccess:
    """The request's ledger (the `ledger` parameter, else the personal one) and the caller's role
    there. Not a member, or no such ledger: 404, as if it did not exist."""
    return _released(session, resolve_access(session, claims, ledger))


Reader = Annotated[LedgerAccess, Depends(get_ledger_access)]


def get_path_ledger_access(session: SessionDep, claims: Claims, ledger_id: int) -> LedgerAccess:
    """The same for /api/ledgers/{ledger_id}/...: an id no BIGINT can hold is simply not found."""
    return _released(session, resolve_access(session, claims, ledger_id))


PathReader = Annotated[LedgerAccess, Depends(get_path_ledger_access)]


def needing(role: str, found: Callable[..., LedgerAccess]) -> Callable[..., Awaitable[LedgerAccess]]:
    """A dependency: the access `found` resolves, if its role is at least `role` (403 otherwise)."""

    async def get_access(access: Annotated[LedgerAccess, Depends(found)]) -> LedgerAccess:
        return access.require(role)

    return get_access


Editor = Annotated[LedgerAccess, Depends(needing("editor", get_ledger_access))]
Owner = Annotated[LedgerAccess, Depends(needing("owner", get_ledger_access))]
PathEditor = Annotated[LedgerAccess, Depends(needing("editor", get_path_ledger_access))]
PathOwner = Annotated[LedgerAccess, Depends(needing("owner", get_path_ledger_access))]


async def get_object_scope(access: Reader, ledger: LedgerParam = None) -> ObjectScope:
    """For routes with an object id: any ledger the caller is a member of, or only the one named."""
    return ObjectScope(user_id=access.user_id, ledger_id=ledger)


CallersLedgers = Annotated[ObjectScope, Depends(get_object_scope)]
