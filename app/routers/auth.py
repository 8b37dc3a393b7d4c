from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Response, status

from app import mail, ratelimit
from app.access import create_access_token
from app.auth import CurrentSession, CurrentUser, get_current_user
from app.config import settings
from app.errors import AppError
from app.models import User
from app.routers import THROTTLED, UNAUTHORIZED, ClientIP, SessionDep, hashing
from app.schemas.accounts import (
    AuthOptions,
    AuthOut,
    ForgotPassword,
    LoginIn,
    PasswordReset,
    RegisterIn,
    RenewedToken,
    Token,
    TokenForm,
    UserOut,
)
from app.services import sessions, users

# Log-in, registration and password reset: what a visitor calls to get a session (app.auth.PUBLIC).
public = APIRouter(tags=["auth"])
router = APIRouter(tags=["auth"], dependencies=[Depends(get_current_user)])

BAD_LOGIN: dict[int | str, dict[str, Any]] = {401: {"description": "Invalid email or password"}, **THROTTLED}


def _auth_out(user: User, *, remember: bool = False) -> AuthOut:
    token = create_access_token(user, remember=remember)
    return AuthOut(access_token=token, user=UserOut.model_validate(user))


@public.post(
    "/auth/register",
    response_model=AuthOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "Registration is closed and no valid invitation was given"},
        409: {"description": "An account with this email already exists"},
        **THROTTLED,
    },
)
async def register(session: SessionDep, ip: ClientIP, data: RegisterIn) -> AuthOut:
    """Create an account and return a token for it. The first account of an instance is its admin."""
    ratelimit.registration(client_ip=ip)
    return await hashing(lambda: _auth_out(users.register_user(session, data=data), remember=data.remember))


def _authenticate(session: SessionDep, ip: str, email: str, password: str) -> User:
    with ratelimit.login_attempt(email=email, client_ip=ip):
        return users.authenticate(session, email=email, password=password)


@public.post("/auth/login", response_model=AuthOut, responses=BAD_LOGIN)
async def login(session: SessionDep, ip: ClientIP, data: LoginIn) -> AuthOut:
    """Exchange email and password for a token. Repeated failures for one email are throttled (429).
    The session lasts 30 days unused (90 with `remember`, "Keep me signed in"); POST /api/auth/renew
    keeps it going while it is used."""

    def log_in() -> AuthOut:
        return _auth_out(_authenticate(session, ip, data.email, data.password), remember=data.remember)

    return await hashing(log_in)


@public.post("/auth/token", response_model=Token, responses=BAD_LOGIN)
async def login_for_token(session: SessionDep, ip: ClientIP, form: Annotated[TokenForm, Form()]) -> Token:
    """OAuth2 password flow (the docs' Authorize button); `username` is the email. Throttled like log-in."""
    user = await hashing(lambda: _authenticate(session, ip, form.username, form.password))
    return Token(access_token=create_access_token(user))


@router.post("/auth/renew", response_model=RenewedToken, responses=UNAUTHORIZED)
def renew_session(token: CurrentSession) -> RenewedToken:
    """A new token for this session, good for its full idle lifetime again (30 days, 90 if "Keep me
    signed in"), never past a year from its log-in. The old token keeps working until it expires;
    log-out, log-out everywhere, a password change or a disabled account end both at once."""
    access_token, expires_at = token.renewed()
    return RenewedToken(access_token=access_token, expires_at=expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
def log_out(session: SessionDep, token: CurrentSession) -> Response:
    """End this session: the token sent, and any it was renewed into, stop working. Your other devices
    stay logged in."""
    sessions.log_out(session, token=token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/auth/logout-everywhere", status_code=status.HTTP_204_NO_CONTENT, responses=UNAUTHORIZED)
def log_out_everywhere(session: SessionDep, user: CurrentUser) -> Response:
    """End every session of your account, on every device, this one included."""
    sessions.log_out_everywhere(session, user=user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@public.post(
    "/auth/reset",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={403: {"description": "The reset link is unknown, used or expired"}},
)
async def reset_password(session: SessionDep, data: PasswordReset) -> Response:
    """Set a new password with a reset link's token; every token issued before stops working."""
    # No throttle needed: a token holds 256 random bits, and a wrong one costs no password hash.
    await hashing(lambda: users.reset_password(session, token=data.token, new_password=data.new_password))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@public.get("/auth/options", response_model=AuthOptions)
def read_auth_options() -> AuthOptions:
    """Whether this instance lets people register on their own, and mails reset links."""
    return AuthOptions(registration_open=settings.allow_registration, password_reset_by_email=mail.enabled())


@public.post(
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
