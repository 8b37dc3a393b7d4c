from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Request, Response, status
from fastapi.responses import StreamingResponse
from fastapi.security import OAuth2PasswordRequestForm

from app import mail, ratelimit
from app.auth import CurrentUser, create_access_token
from app.config import settings
from app.database import SessionDep
from app.errors import AppError
from app.models import User, utcnow
from app.routers import UNAUTHORIZED
from app.schemas import (
    AccountDelete,
    AccountExport,
    AuthOptions,
    AuthOut,
    ForgotPassword,
    LoginIn,
    PasswordChange,
    PasswordReset,
    RegisterIn,
    Token,
    UserOut,
    UserUpdate,
)
from app.services import export, users

router = APIRouter(tags=["auth"])

THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many attempts; wait and try again",
        "headers": {
            "Retry-After": {"description": "Seconds until a try is allowed", "schema": {"type": "integer"}}
        },
    }
}
BAD_LOGIN: dict[int | str, dict[str, Any]] = {401: {"description": "Invalid email or password"}, **THROTTLED}
WRONG_PASSWORD: dict[int | str, dict[str, Any]] = {
    **UNAUTHORIZED,
    403: {"description": "The password given to confirm is wrong"},
    **THROTTLED,
}


def client_ip(request: Request) -> str:
    # Behind a reverse proxy, uvicorn's --forwarded-allow-ips makes this the real client's address.
    return request.client.host if request.client else "unknown"


ClientIP = Annotated[str, Depends(client_ip)]


def _auth_out(user: User) -> AuthOut:
    return AuthOut(access_token=create_access_token(user), user=UserOut.model_validate(user))


@router.post(
    "/auth/register",
    response_model=AuthOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Registration is closed and no valid invitation was given"},
        409: {"description": "An account with this email already exists"},
        **THROTTLED,
    },
)
def register(session: SessionDep, ip: ClientIP, data: RegisterIn) -> AuthOut:
    """Create an account and return a token for it. The first account of an instance is its admin."""
    ratelimit.registration(client_ip=ip)
    return _auth_out(users.register_user(session, data=data))


@router.post("/auth/login", response_model=AuthOut, responses=BAD_LOGIN)
def login(session: SessionDep, ip: ClientIP, data: LoginIn) -> AuthOut:
    """Exchange email and password for a token. Repeated failures for one email are throttled (429)."""
    with ratelimit.login_attempt(email=data.email, client_ip=ip):
        user = users.authenticate(session, email=data.email, password=data.password)
    return _auth_out(user)


@router.post("/auth/token", response_model=Token, responses=BAD_LOGIN)
def login_for_token(
    session: SessionDep, ip: ClientIP, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> Token:
    """OAuth2 password flow (the docs' Authorize button); `username` is the email. Throttled like log-in."""
    with ratelimit.login_attempt(email=form.username, client_ip=ip):
        user = users.authenticate(session, email=form.username, password=form.password)
    return Token(access_token=create_access_token(user))


@router.post(
    "/auth/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {"description": "The reset link is unknown, used or expired"}},
)
def reset_password(session: SessionDep, data: PasswordReset) -> Response:
    """Set a new password with a reset link's token; every token issued before stops working."""
    # No throttle needed: a token holds 256 random bits, and a wrong one costs no password hash.
    users.reset_password(session, token=data.token, new_password=data.new_password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/auth/options", response_model=AuthOptions)
def read_auth_options() -> AuthOptions:
    """Whether this instance lets people register on their own, and mails reset links."""
    return AuthOptions(registration_open=settings.allow_registration, password_reset_by_email=mail.enabled())


@router.post(
    "/auth/forgot",
    status_code=status.HTTP_202_ACCEPTED,
    response_class=Response,  # the 202 has no body; without this OpenAPI promised JSON
    responses={404: {"description": "This instance does not send email (no SMTP_HOST)"}, **THROTTLED},
)
def forgot_password(
    session: SessionDep, ip: ClientIP, data: ForgotPassword, background: BackgroundTasks
) -> Response:
    """Email a reset link, valid one hour, if an account has this email. The answer is the same either way."""
    if not mail.enabled():
        raise AppError(404, "This instance does not send email. Ask its admin for a reset link.")
    ratelimit.reset_email(email=data.email, client_ip=ip)
    background.add_task(users.email_reset_link, session.get_bind(), email=data.email)
    return Response(status_code=status.HTTP_202_ACCEPTED)


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


@router.patch("/me", response_model=UserOut, responses=UNAUTHORIZED)
def update_me(session: SessionDep, user: CurrentUser, data: Annotated[UserUpdate, Body()]) -> UserOut:
    """Change display name or currency."""
    return UserOut.model_validate(users.update_user(session, user=user, data=data))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT, responses=WRONG_PASSWORD)
def change_password(session: SessionDep, user: CurrentUser, ip: ClientIP, data: PasswordChange) -> Response:
    """Change your password. Every token issued before, this one included, stops working: log in again."""
    # A wrong current password is a failed log-in: a stolen token must not allow unlimited guesses.
    with ratelimit.login_attempt(email=user.email, client_ip=ip):
        users.change_password(
            session, user=user, current_password=data.current_password, new_password=data.new_password
        )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/me", status_code=status.HTTP_204_NO_CONTENT, responses=WRONG_PASSWORD)
def delete_me(
    session: SessionDep, user: CurrentUser, ip: ClientIP, data: Annotated[AccountDelete, Body()]
) -> Response:
    """Delete your account with all its expenses and budgets, for good; confirm with your password."""
    with ratelimit.login_attempt(email=user.email, client_ip=ip):
        users.delete_user(session, user=user, password=data.password)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
