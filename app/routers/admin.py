from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response, status

from app.auth import CurrentAdmin
from app.database import SessionDep
from app.idempotency import idempotent
from app.routers import UNAUTHORIZED, OneTripRoute
from app.schemas.accounts import AdminUserCreate, AdminUserOut, AdminUserUpdate, InvitationIn, LinkOut
from app.services import admin, links

router = APIRouter(prefix="/admin", tags=["admin"], route_class=OneTripRoute)

ADMIN_ONLY: dict[int | str, dict[str, Any]] = {**UNAUTHORIZED, 403: {"description": "You are not an admin"}}
ONE_USER: dict[int | str, dict[str, Any]] = {**ADMIN_ONLY, 404: {"description": "No such user"}}
LAST_ADMIN: dict[int | str, dict[str, Any]] = {
    409: {"description": "The change would leave the instance without an enabled admin"}
}


def _link_out(request: Request, kind: str, token: str, expires_at: datetime) -> LinkOut:
    return LinkOut(
        url=links.url(kind, token, request_base=str(request.base_url)), token=token, expires_at=expires_at
    )


@router.get("/users", response_model=list[AdminUserOut], responses=ADMIN_ONLY)
def list_users(session: SessionDep, _admin: CurrentAdmin) -> list[AdminUserOut]:
    """Every account with its expense count (never the expenses), oldest first."""
    return admin.list_users(session)


@router.post(
    "/users",
    response_model=AdminUserOut,
    status_code=status.HTTP_201_CREATED,
    responses={**ADMIN_ONLY, 409: {"description": "An account with this email already exists"}},
)
@idempotent
def create_user(session: SessionDep, _admin: CurrentAdmin, data: AdminUserCreate) -> AdminUserOut:
    """Create an account (works when registration is closed)."""
    return admin.create(session, data=data)


@router.patch("/users/{user_id}", response_model=AdminUserOut, responses={**ONE_USER, **LAST_ADMIN})
def update_user(
    session: SessionDep, _admin: CurrentAdmin, user_id: int, data: Annotated[AdminUserUpdate, Body()]
) -> AdminUserOut:
    """Disable or enable an account, or make it admin or not; disabling ends its sessions at once."""
    return admin.update(session, user_id=user_id, data=data)


@router.delete(
    "/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses={**ONE_USER, **LAST_ADMIN}
)
def delete_user(session: SessionDep, _admin: CurrentAdmin, user_id: int) -> Response:
    """Delete an account with all its expenses and budgets, for good."""
    admin.delete(session, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/reset-link",
    response_model=LinkOut,
    status_code=status.HTTP_201_CREATED,
    responses=ONE_USER,
)
@idempotent
def create_reset_link(session: SessionDep, _admin: CurrentAdmin, request: Request, user_id: int) -> LinkOut:
    """A single-use link, valid one hour, that lets this user set a new password. Shown only now."""
    return _link_out(request, links.RESET, *admin.issue_reset_link(session, user_id=user_id))


@router.post(
    "/invitations", response_model=LinkOut, status_code=status.HTTP_201_CREATED, responses=ADMIN_ONLY
)
@idempotent
def create_invitation(
    session: SessionDep, _admin: CurrentAdmin, request: Request, data: Annotated[InvitationIn, Body()]
) -> LinkOut:
    """A single-use link to register, even while registration is closed. Shown only now."""
    return _link_out(request, links.INVITATION, *admin.issue_invitation(session, valid_days=data.valid_days))
