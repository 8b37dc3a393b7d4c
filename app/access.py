"""Who is asking and what they may do: passwords, tokens, the access query and the roles.

Plain Python and SQL, no FastAPI: app.auth makes the routes' dependencies of these, and services
use the roles (check_role) and LedgerAccess as plain values.
"""

import os
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol, TypeVar

from jose import JWTError, jwt
from passlib.context import CryptContext
from sqlalchemy import Connection, Select, and_, bindparam, select
from sqlalchemy.orm import Session

from app.config import settings
from app.errors import Forbidden, NotFound, Unauthorized
from app.models import Ledger, LedgerMember, RevokedToken, User
from app.types import MAX_DB_ID, MAX_PASSWORD_LENGTH

ALGORITHM = "HS256"

# bcrypt_sha256 pre-hashes with SHA-256, so passwords longer than bcrypt's 72 bytes are not truncated.
pwd_context = CryptContext(schemes=["bcrypt_sha256"], bcrypt_sha256__rounds=settings.bcrypt_rounds)
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


def _lifetime(remember: bool) -> timedelta:
    """How long a session lasts unused: each renewal starts this again."""
    return timedelta(days=settings.session_days_remembered if remember else settings.session_days)


def session_end(*, remember: bool, started_at: datetime, now: datetime) -> datetime:
    """The latest any token of a session can live when one is issued `now`: its idle lifetime from
    now, but never past its absolute lifetime from the log-in."""
    return min(now + _lifetime(remember), started_at + timedelta(days=settings.session_max_days))


def _sign(*, user: User, jti: str, remember: bool, started_at: datetime) -> tuple[str, datetime]:
    # Whole seconds, as the token holds them: a renewal's session end is exactly the token's exp.
    now = datetime.now(UTC).replace(microsecond=0)
    expires_at = session_end(remember=remember, started_at=started_at, now=now)
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        # The session's id, kept by its renewals: log-out revokes it alone, with every token it was
        # renewed into (log-out everywhere bumps `ver` instead).
        "jti": jti,
        "iat": now,
        "exp": expires_at,
        # When the session began (its absolute lifetime counts from here) and whether "Keep me signed
        # in" was chosen: signed, so the lifetimes stay the server's to decide.
        "auth_time": int(started_at.timestamp()),
        "rem": remember,
    }
    return str(jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM)), expires_at


def create_access_token(user: User, *, remember: bool = False) -> str:
    """A new session's token: it lasts `session_days` unused (`session_days_remembered` with remember)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return _sign(user=user, jti=secrets.token_urlsafe(16), remember=remember, started_at=now)[0]


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
    # When the session began and whether it is remembered; a token issued before renewal existed has
    # neither claim: a plain session begun at its `iat`.
    started_at: datetime
    remember: bool


def decode_token(token: str) -> TokenClaims:
    """The claims of a well-signed, unexpired token that has them all; 401 otherwise. No database:
    whether the session is still live is the access query's to say."""
    try:
        # The algorithm is pinned: a token claiming "none" or RS256 is refused.
        claims = jwt.decode(
            token, settings.resolved_secret_key, algorithms=[ALGORITHM], options=_REQUIRED_CLAIMS
        )
        decoded = TokenClaims(
            user_id=int(claims["sub"]),
            version=int(claims.get("ver", -1)),
            jti=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            remember=claims.get("rem") is True,
            started_at=datetime.fromtimestamp(int(claims.get("auth_time", claims["iat"])), UTC),
        )
    except (JWTError, KeyError, TypeError, ValueError, OverflowError, OSError):
        raise Unauthorized(INVALID_SESSION) from None
    if not 0 < decoded.user_id <= MAX_DB_ID:
        raise Unauthorized(INVALID_SESSION)
    return decoded


# Each role may do what the ones before it may.
ROLES = ("viewer", "editor", "owner")


def check_role(role: str | None, need: str) -> None:
    """The one check of a member's rights, wherever a role is read (the access query, an object's
    ledger, the roles app.services.lock_ledger returns): not a member (None) is 404, as if the
    ledger did not exist; a role below `need` is 403, the only 403 a member can get."""
    if role is None:
        raise NotFound("Ledger not found")
    if ROLES.index(role) < ROLES.index(need):
        needed = "an owner" if need == "owner" else "an editor or owner"
        raise Forbidden(f"You are a {role} of this ledger; this needs {needed}")


@dataclass(frozen=True)
class LedgerAccess:
    """Who is asking, in which ledger, with which role; the ledger's currency, in which its money is."""

    user_id: int
    ledger_id: int
    role: str
    currency: str
    # The ledger's version as the access query read it (Ledger.version: no two states of any ledger
    # share one): what the reads' ETags are made of (app.routers.revalidate).
    version: int = 0

    def require(self, role: str) -> "LedgerAccess":
        """This access, if its role is at least `role`; 403 otherwise."""
        check_role(self.role, role)
        return self


@dataclass(frozen=True)
class ObjectScope:
    """Where a route with an object id looks for it: in any ledger the caller is a member of, or
    only in `ledger_id` when the request names one (app.services.member_object)."""

    user_id: int
    ledger_id: int | None


@dataclass(frozen=True)
class TokenSession:
    """The user a token speaks for, and what log-out and renewal need to know of its session."""

    user: User
    jti: str
    expires_at: datetime
    remember: bool
    started_at: datetime

    def renewed(self) -> tuple[str, datetime]:
        """A new token for this same session (same id, so log-out still ends it), and when it expires."""
        return _sign(user=self.user, jti=self.jti, remember=self.remember, started_at=self.started_at)

    def end(self) -> datetime:
        """The latest any token of this session, renewed up to now, can expire: until then a log-out
        must be remembered."""
        now = datetime.now(UTC)
        return session_end(remember=self.remember, started_at=self.started_at, now=now)


# The token's user, if the token was not logged out: one primary-key probe in the same query.
# Built once with bound parameters: building a statement and its cache key cost SQLAlchemy more than
# SQLite's answer.
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


def _check_account(account: A | None, claims: TokenClaims) -> A:
    """The token's account (a User, or the access query's row), if the token still speaks for it."""
    # A disabled account's tokens stop working on its very next request; a deleted one's row is gone.
    if account is None or account.token_version != claims.version or account.disabled:
        raise Unauthorized(INVALID_SESSION)
    return account


def _connection(session: Session) -> Connection:
    """The session's connection for the access query. One SELECT needs no transaction: on
    PostgreSQL, autocommit spares a write request's access query a BEGIN and a COMMIT round trip
    (a read's session is in autocommit already: app.database.reading_only)."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        return session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    return session.connection()


def resolve_session(session: Session, claims: TokenClaims) -> TokenSession:
    """Token, revocation and user: one query."""
    _connection(session)
    user = _check_account(session.scalar(_TOKEN_USER, _token_params(claims)), claims)
    return TokenSession(
        user=user,
        jti=claims.jti,
        expires_at=claims.expires_at,
        remember=claims.remember,
        started_at=claims.started_at,
    )


def _access_statement(ledger: Any) -> Select[int, int, bool, int, str, str, int]:
    membership = and_(LedgerMember.user_id == User.id, LedgerMember.ledger_id == ledger)
    # Columns, not a User: loading the object cost more than the query (the ledger routes need only
    # who asks).
    account = (User.id, User.token_version, User.disabled)
    return (
        select(*account, LedgerMember.ledger_id, LedgerMember.role, Ledger.currency, Ledger.version)
        .select_from(User)
        .outerjoin(LedgerMember, membership)
        .outerjoin(Ledger, Ledger.id == LedgerMember.ledger_id)
        .where(_LIVE_USER)
    )


# Without a ledger named, the caller's personal ledger.
_PERSONAL_ACCESS = _access_statement(
    select(Ledger.id).where(Ledger.personal_of == User.id).correlate(User).scalar_subquery()
)
_LEDGER_ACCESS = _access_statement(bindparam("ledger"))


def resolve_access(session: Session, claims: TokenClaims, ledger: int | None) -> LedgerAccess:
    """Token, revocation, user, and the caller's role in `ledger` (None: the personal one) with the
    ledger's currency and version: one query. Not a member, or no such ledger: 404."""
    # On the session's connection: the columns need none of the ORM's result machinery.
    if ledger is None:
        row = _connection(session).execute(_PERSONAL_ACCESS, _token_params(claims)).first()
    else:
        params = {**_token_params(claims), "ledger": ledger if 0 < ledger <= MAX_DB_ID else 0}
        row = _connection(session).execute(_LEDGER_ACCESS, params).first()
    found = _check_account(row, claims)
    check_role(found.role, "viewer")
    return LedgerAccess(
        user_id=found.id,
        ledger_id=found.ledger_id,
        role=found.role,
        currency=found.currency,
        version=found.version,
    )
