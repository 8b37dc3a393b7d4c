"""The logged-in user's own account: read, change, export, delete."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Response, status
from fastapi.responses import StreamingResponse

from app import ratelimit
from app.auth import CurrentUser, get_current_user
from app.models import utcnow
from app.routers import THROTTLED, UNAUTHORIZED, ClientIP, SessionDep, hashing
from app.schemas.accounts import AccountDelete, PasswordChange, UserOut, UserUpdate
from app.schemas.reports import AccountExport
from app.services import export, users

router = APIRouter(tags=["auth"], dependencies=[Depends(get_current_user)])

WRONG_PASSWORD: dict[int | str, dict[str, Any]] = {
    **UNAUTHORIZED,
    403: {"description": "The password given to confirm is wrong"},
    **THROTTLED,
}


@router.get("/me", response_model=UserOut, responses=UNAUTHORIZED)
def read_me(user: CurrentUser) -> UserOut:
    """The logged-in user's account."""
    return UserOut.model_validate(user)


@router.get(
    "/me/export",
    response_class=StreamingResponse,
    responses={
        **UNAUTHORIZED,
        200: {"model": AccountExport, "description": "Your account, budgets and expenses as one JSON file"},
    },
)
def export_me(session: SessionDep, user: CurrentUser) -> StreamingResponse:
    """Download all your own data (account, budgets, every expense) as one JSON file, streamed."""
    filename = f"expense-tracker-{utcnow():%Y-%m-%d}.json"
    return StreamingResponse(
        export.export_account(session, user=user),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


CURRENCY_CONFLICT: dict[int | str, dict[str, Any]] = {
    **UNAUTHORIZED,
    409: {"description": "The personal ledger holds money in another currency: it cannot change"},
}


@router.patch("/me", response_model=UserOut, responses=CURRENCY_CONFLICT)
def update_me(session: SessionDep, user: CurrentUser, data: Annotated[UserUpdate, Body()]) -> UserOut:
    """Change display name or currency."""
    return UserOut.model_validate(users.update_user(session, user=user, data=data))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=WRONG_PASSWORD)
async def change_password(
    session: SessionDep, user: CurrentUser, ip: ClientIP, data: PasswordChange
) -> Response:
    """Change your password. Every token issued before, this one included, stops working: log in again."""

    def change() -> None:
        # A wrong current password is a failed log-in: a stolen token must not allow unlimited guesses.
        with ratelimit.login_attempt(email=user.email, client_ip=ip):
            users.change_password(
                session, user=user, current_password=data.current_password, new_password=data.new_password
            )

    await hashing(change)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=WRONG_PASSWORD)
async def delete_me(
    session: SessionDep, user: CurrentUser, ip: ClientIP, data: Annotated[AccountDelete, Body()]
) -> Response:
    """Delete your account with all its expenses and budgets, for good; confirm with your password."""

    def delete() -> None:
        with ratelimit.login_attempt(email=user.email, client_ip=ip):
            users.delete_user(session, user=user, password=data.password)

    await hashing(delete)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
