from typing import Annotated

from fastapi import APIRouter, Body, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from app.auth import CurrentUser, create_access_token
from app.database import SessionDep
from app.models import User
from app.routers import UNAUTHORIZED
from app.schemas import AuthOut, LoginIn, RegisterIn, Token, UserOut, UserUpdate
from app.services import users

router = APIRouter(tags=["auth"])


def _auth_out(user: User) -> AuthOut:
    return AuthOut(access_token=create_access_token(user), user=UserOut.model_validate(user))


@router.post(
    "/auth/register",
    response_model=AuthOut,
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "An account with this email already exists"}},
)
def register(session: SessionDep, data: RegisterIn) -> AuthOut:
    """Create an account and return a token for it."""
    return _auth_out(users.register_user(session, data=data))


@router.post(
    "/auth/login", response_model=AuthOut, responses={401: {"description": "Invalid email or password"}}
)
def login(session: SessionDep, data: LoginIn) -> AuthOut:
    """Exchange email and password for a token."""
    return _auth_out(users.authenticate(session, email=data.email, password=data.password))


@router.post(
    "/auth/token", response_model=Token, responses={401: {"description": "Invalid email or password"}}
)
def login_for_token(session: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """OAuth2 password flow (the docs' Authorize button); `username` is the email."""
    user = users.authenticate(session, email=form.username, password=form.password)
    return Token(access_token=create_access_token(user))


@router.get("/me", response_model=UserOut, responses=UNAUTHORIZED)
def read_me(user: CurrentUser) -> UserOut:
    """The logged-in user's account."""
    return UserOut.model_validate(user)


@router.patch("/me", response_model=UserOut, responses=UNAUTHORIZED)
def update_me(session: SessionDep, user: CurrentUser, data: Annotated[UserUpdate, Body()]) -> UserOut:
    """Change display name or currency."""
    return UserOut.model_validate(users.update_user(session, user=user, data=data))
