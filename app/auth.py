import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import Depends, HTTPException, Query, status
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from passlib.context import CryptContext
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session

from app.config import settings
from app.database import SessionDep
from app.errors import NotFound
from app.models import Ledger, LedgerMember, RevokedToken, User
from app.types import MAX_DB_ID, MAX_PASSWORD_LENGTH

ALGORITHM = "HS256"
T = TypeVar("T")
U = TypeVar("U")

# bcrypt_sha256 pre-hashes with SHA-256, so passwords longer than bcrypt's 72 bytes are not truncated.
pwd_context = CryptContext(schemes=["bcrypt_sha256"], bcrypt_sha256__rounds=settings.bcrypt_rounds)
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)
# Hashing is slow on purpose. Running at most one hash per spare core keeps a burst of logins from
# taking every core away from the requests that do not hash.
_hashing = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))


def hash_password(password: str) -> str:
    with _hashing:
        return str(pwd_context.hash(password))


@cache
def _dummy_hash() -> str:
    return hash_password("not a password anybody has")


def verify_password(password: str, password_hash: str | None) -> bool:
    """Check a password; with no hash (unknown email) spend the same time and say no."""
    # A password no account could have (too long, lone surrogates) still pays for one hash.
    usable = len(password) <= MAX_PASSWORD_LENGTH and _encodes(password)
    stored = password_hash or _dummy_hash()
    with _hashing:
        matches = pwd_context.verify(password if usable else "-", stored)
    return matches and usable and password_hash is not None


def _encodes(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def create_access_token(user: User) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        # This session's id: log-out revokes it alone (log-out everywhere bumps `ver` instead).
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_expire_minutes),
    }
    return str(jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM))


def _unauthorized(detail: str = "Not authenticated") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


INVALID_SESSION = "Your session is invalid or has expired; please log in again."
# A token lacking any of these is refused even when correctly signed: without exp it never ends,
# and without jti it could not be logged out.
_REQUIRED_CLAIMS = {"require_exp": True, "require_iat": True, "require_jti": True, "require_sub": True}


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    version: int
    jti: str
    expires_at: datetime


def decode_token(token: str) -> TokenClaims:
    """The claims of a well-signed, unexpired token that has them all; 401 otherwise.

    No database: cheap enough to refuse a bad token before reading a request body (app.middleware).
    A request with a body decodes its token twice (that guard, then its dependency) and a session
    sends the same token with every request, so the signature and claims are checked once (33 µs
    each time) and only the expiry on every call. Revocation is not cached: the user row and the
    revoked list are read on every request (_LIVE_USER).
    """
    claims = _verified(token, settings.resolved_secret_key)
    # As jose decides it: a token is good up to and including the second its `exp` names.
    if claims.expires_at < _now().replace(microsecond=0):
        raise _unauthorized(INVALID_SESSION)
    return claims


def _now() -> datetime:
    return datetime.now(UTC)


# Only good tokens are kept: a refused one raises, and lru_cache keeps no exceptions. The key is part
# of the cache key, so a token signed with another key is never taken from it.
@lru_cache(maxsize=1024)
def _verified(token: str, key: str) -> TokenClaims:
    try:
        # The algorithm is pinned: a token claiming "none" or RS256 is refused.
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], options=_REQUIRED_CLAIMS)
        decoded = TokenClaims(
            user_id=int(claims["sub"]),
            version=int(claims.get("ver", -1)),
            jti=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (JWTError, KeyError, TypeError, ValueError, OverflowError, OSError):
        raise _unauthorized(INVALID_SESSION) from None
    if not 0 < decoded.user_id <= MAX_DB_ID:
        raise _unauthorized(INVALID_SESSION)
    return decoded


@dataclass(frozen=True)
class TokenSession:
    """The user a token speaks for, and what log-out needs to end that one token."""

    user: User
    jti: str
    expires_at: datetime


class Deferred(Generic[T]):
    """A dependency's answer that needs the database, worked out in the route's own thread.

    FastAPI sends every sync dependency on a trip of its own to the threadpool. The dependencies
    below are async instead: at once, on the event loop, they refuse what needs no database (a
    missing, tampered or expired token is 401 before anything else), and they leave the rest here.
    app.routers.OneTripRoute resolves it in the one trip the route makes, so the route itself
    receives the answer (a `User`, a `LedgerAccess`), never this. Revocation, a disabled account
    and a password change still take effect at once: the user row is read on every request. What
    only the database can tell (a logged-out token, not a member, a missing role) now comes after
    the request's own validation: such a request with a bad body is 422, not 401, 404 or 403.
    Only sync routes resolve these, so an `async def` route must not take them.
    """

    def __init__(self, session: Session, work: Callable[[Session], T]) -> None:
        self.session = session  # the request's: the route's thread closes it (app.routers)
        self._work = work
        self._answer: tuple[T] | None = None

    def resolve(self) -> T:
        """The answer, worked out once per request however many parameters ask for it."""
        if self._answer is None:
            self._answer = (self._work(self.session),)
        return self._answer[0]

    def then(self, step: Callable[[T], U]) -> "Deferred[U]":
        return Deferred(self.session, lambda _session: step(self.resolve()))


def _claims(token: str | None) -> TokenClaims:
    if not token:
        raise _unauthorized()
    return decode_token(token)


# The token's user, if the token was not logged out: one primary-key probe in the same query.
# Statements here are built once with bound parameters: building one and working out its cache key
# cost SQLAlchemy more than SQLite's answer (0.29 against 0.07 ms for the access query).
_LIVE_USER = and_(
    User.id == bindparam("user_id"),
    ~select(RevokedToken.jti).where(RevokedToken.jti == bindparam("jti")).exists(),
)
_TOKEN_USER = select(User).where(_LIVE_USER)


def _token_params(claims: TokenClaims) -> dict[str, Any]:
    return {"user_id": claims.user_id, "jti": claims.jti}


class _Account(Protocol):
    token_version: int
    disabled: bool


A = TypeVar("A", bound=_Account)


def _check_user(user: A | None, claims: TokenClaims) -> A:
    """The token's account (a User, or the access query's row), if the token still speaks for it."""
    # A disabled account's tokens stop working on its very next request.
    if user is None or user.token_version != claims.version or user.disabled:
        raise _unauthorized(INVALID_SESSION)
    return user


def _token_session(session: Session, claims: TokenClaims) -> TokenSession:
    user = _check_user(session.scalar(_TOKEN_USER, _token_params(claims)), claims)
    return TokenSession(user=user, jti=claims.jti, expires_at=claims.expires_at)


Token = Annotated[str | None, Depends(oauth2_scheme)]


async def get_token_session(session: SessionDep, token: Token) -> Deferred[TokenSession]:
    claims = _claims(token)
    return Deferred(session, lambda db: _token_session(db, claims))


# Routes name the answer; the dependencies that build on it name the Deferred they are given.
CurrentSession = Annotated[TokenSession, Depends(get_token_session)]
_Session = Annotated[Deferred[TokenSession], Depends(get_token_session)]


async def get_current_user(token_session: _Session) -> Deferred[User]:
    return token_session.then(lambda found: found.user)


CurrentUser = Annotated[User, Depends(get_current_user)]
_User = Annotated[Deferred[User], Depends(get_current_user)]


def _admin(user: User) -> User:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Only an admin can do this.")
    return user


async def get_current_admin(user: _User) -> Deferred[User]:
    return user.then(_admin)


CurrentAdmin = Annotated[User, Depends(get_current_admin)]

# Each role may do what the ones before it may.
ROLES = ("viewer", "editor", "owner")
LedgerParam = Annotated[
    int | None,
    Query(ge=1, le=MAX_DB_ID, description="The ledger to work in; without it, your personal ledger"),
]


@dataclass(frozen=True)
class LedgerAccess:
    """Who is asking, in which ledger, with which role; the ledger's currency, in which its money is."""

    user_id: int
    ledger_id: int
    role: str
    currency: str
    # The ledger's count of writes (Ledger.revision) as resolve_access read it: what app.answers
    # keeps a ledger's answers under. None where an access is made without reading it.
    revision: int | None = None

    def require(self, role: str) -> "LedgerAccess":
        """This access, if its role is at least `role`; 403 otherwise (a member may know it exists)."""
        if ROLES.index(self.role) < ROLES.index(role):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"You are a {self.role} of this ledger; this needs an {role}"
                if role == "owner"
                else f"You are a {self.role} of this ledger; this needs an editor or owner",
            )
        return self


async def get_ledger_access(
    session: SessionDep, token: Token, ledger: LedgerParam = None
) -> Deferred[LedgerAccess]:
    """Token, user, the request's ledger (the `ledger` parameter, else the personal one) and the
    caller's role there: one query. Not a member, or no such ledger: 404, as if it did not exist.
    """
    claims = _claims(token)
    return Deferred(session, lambda db: resolve_access(db, claims, ledger))


async def get_path_ledger_access(session: SessionDep, token: Token, ledger_id: int) -> Deferred[LedgerAccess]:
    """The same for /api/ledgers/{ledger_id}/...: an id no BIGINT can hold is simply not found."""
    claims = _claims(token)
    ledger = ledger_id if 0 < ledger_id <= MAX_DB_ID else 0
    return Deferred(session, lambda db: resolve_access(db, claims, ledger))


def _access_statement(ledger: Any) -> Select[int, int, bool, int, str, str, int]:
    membership = and_(LedgerMember.user_id == User.id, LedgerMember.ledger_id == ledger)
    # Columns, not a User: loading the object cost more than the query (the ledger routes need
    # only who asks).
    account = (User.id, User.token_version, User.disabled)
    return (
        select(*account, LedgerMember.ledger_id, LedgerMember.role, Ledger.currency, Ledger.revision)
        .select_from(User)
        .outerjoin(LedgerMember, membership)
        .outerjoin(Ledger, Ledger.id == LedgerMember.ledger_id)
        .where(_LIVE_USER)
    )


# Without a `ledger` parameter, the caller's personal ledger.
_PERSONAL_ACCESS = _access_statement(
    select(Ledger.id).where(Ledger.personal_of == User.id).correlate(User).scalar_subquery()
)
_LEDGER_ACCESS = _access_statement(bindparam("ledger"))


def resolve_access(session: Session, claims: TokenClaims, ledger: int | None) -> LedgerAccess:
    # On the session's connection: the columns need none of the ORM's result machinery.
    if ledger is None:
        row = session.connection().execute(_PERSONAL_ACCESS, _token_params(claims)).first()
    else:
        params = {**_token_params(claims), "ledger": ledger}
        row = session.connection().execute(_LEDGER_ACCESS, params).first()
    found = _check_user(row, claims)
    if found.ledger_id is None:
        raise NotFound("Ledger not found")
    return LedgerAccess(
        user_id=found.id,
        ledger_id=found.ledger_id,
        role=found.role,
        currency=found.currency,
        revision=found.revision,
    )


Reader = Annotated[LedgerAccess, Depends(get_ledger_access)]
_Reader = Annotated[Deferred[LedgerAccess], Depends(get_ledger_access)]


async def get_editor_access(access: _Reader) -> Deferred[LedgerAccess]:
    return access.then(lambda found: found.require("editor"))


async def get_owner_access(access: _Reader) -> Deferred[LedgerAccess]:
    return access.then(lambda found: found.require("owner"))


Editor = Annotated[LedgerAccess, Depends(get_editor_access)]
Owner = Annotated[LedgerAccess, Depends(get_owner_access)]
PathReader = Annotated[LedgerAccess, Depends(get_path_ledger_access)]
_PathReader = Annotated[Deferred[LedgerAccess], Depends(get_path_ledger_access)]


async def get_path_editor_access(access: _PathReader) -> Deferred[LedgerAccess]:
    return access.then(lambda found: found.require("editor"))


async def get_path_owner_access(access: _PathReader) -> Deferred[LedgerAccess]:
    return access.then(lambda found: found.require("owner"))


PathEditor = Annotated[LedgerAccess, Depends(get_path_editor_access)]
PathOwner = Annotated[LedgerAccess, Depends(get_path_owner_access)]


@dataclass(frozen=True)
class MemberScope:
    """For routes with an object id: any ledger the caller is a member of, or only `ledger_id`."""

    user: User
    ledger_id: int | None


async def get_member_scope(user: _User, ledger: LedgerParam = None) -> Deferred[MemberScope]:
    return user.then(lambda found: MemberScope(user=found, ledger_id=ledger))


Member = Annotated[MemberScope, Depends(get_member_scope)]
