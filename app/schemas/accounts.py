"""Request and response models: accounts, log-in and running an instance (admin, invitations, reset links)."""

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
)

from app.types import (
    AnyString,
    Currency,
    DisplayName,
    Email,
    LinkToken,
    Password,
    PatchModel,
    StrictModel,
    UtcDatetime,
)

# Accounts

# The page's languages (app/static/i18n); a new one is added here too.
Language = Literal["en", "de", "fr", "es"]
_LANGUAGE = "The page's language; null: Automatic (the browser's languages decide)"


class RegisterIn(StrictModel):
    email: Email
    password: Password
    display_name: DisplayName = ""
    # The token from an invitation link; lets this registration through when registration is closed.
    invitation: LinkToken | None = None
    # "Keep me signed in", as at log-in.
    remember: StrictBool = False


class LoginIn(StrictModel):
    # Deliberately loose: a password that breaks the registration rules is just a wrong password (401).
    email: AnyString
    password: AnyString
    # "Keep me signed in": the session lasts SESSION_DAYS_REMEMBERED unused instead of SESSION_DAYS.
    remember: StrictBool = False


class PasswordChange(StrictModel):
    # Only compared, like a log-in: a current password that breaks the rules is a wrong one (403).
    current_password: AnyString
    new_password: Password


class AccountDelete(StrictModel):
    password: AnyString


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    currency: str
    created_at: UtcDatetime
    is_admin: bool
    language: Language | None = Field(default=None, description=_LANGUAGE)


class UserUpdate(PatchModel):
    clearable = frozenset({"language"})

    display_name: DisplayName | None = None
    currency: Currency | None = None
    language: Language | None = Field(default=None, description=_LANGUAGE)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)


class RenewedToken(Token):
    # When this token stops working unless the session is renewed again before.
    expires_at: UtcDatetime


class AuthOut(Token):
    user: UserOut


class TokenForm(BaseModel):
    """The OAuth2 password form (the docs' Authorize button); `username` is the email."""

    grant_type: Annotated[str, StringConstraints(pattern="^password$")] | None = None
    username: str
    password: str = Field(json_schema_extra={"format": "password"})


# Running an instance
class PasswordReset(StrictModel):
    token: LinkToken
    new_password: Password


class ForgotPassword(StrictModel):
    email: Email


class AuthOptions(BaseModel):
    """What the log-in screen offers on this instance."""

    registration_open: bool
    password_reset_by_email: bool


class AdminUserOut(BaseModel):
    """An account as the admin sees it: no expenses, only how many there are."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None
    expense_count: int
    disabled: bool
    is_admin: bool


class AdminUserCreate(StrictModel):
    email: Email
    password: Password
    display_name: DisplayName = ""
    is_admin: StrictBool = False


class AdminUserUpdate(PatchModel):
    # Strict: 0, 1 or "yes" are not a yes or no to the admin role.
    disabled: StrictBool | None = None
    is_admin: StrictBool | None = None


class InvitationIn(StrictModel):
    valid_days: int = Field(default=7, ge=1, le=30)


class LinkOut(BaseModel):
    """A link shown once: only its hash is stored."""

    url: str
    token: str
    expires_at: UtcDatetime
