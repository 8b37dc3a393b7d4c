import os
import threading
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Annotated

from fastapi import Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from passlib.context import CryptContext
from sqlalchemy import select

from app.config import settings
from app.database import SessionDep
from app.models import User
from app.types import MAX_DB_ID, MAX_PASSWORD_LENGTH

ALGORITHM = "HS256"

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
        "iat": now,
        "exp": now + timedelta(minutes=settings.access_token_expire_minutes),
    }
    return str(jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM))


def _unauthorized(detail: str = "Not authenticated") -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


INVALID_SESSION = "Your session is invalid or has expired; please log in again."


def decode_token(token: str) -> tuple[int, int]:
    """The user id and token version of a well-signed, unexpired token; 401 otherwise.

    No database: cheap enough to refuse a bad token before reading a request body (app.middleware).
    """
    try:
        # The algorithm is pinned: a token claiming "none" or RS256 is refused.
        claims = jwt.decode(token, settings.resolved_secret_key, algorithms=[ALGORITHM])
        return int(claims["sub"]), int(claims.get("ver", -1))
    except (JWTError, KeyError, TypeError, ValueError):
        raise _unauthorized(INVALID_SESSION) from None


def get_current_user(session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    if not token:
        raise _unauthorized()
    user_id, version = decode_token(token)
    user = session.scalar(select(User).where(User.id == user_id)) if 0 < user_id <= MAX_DB_ID else None
    # A disabled account's tokens stop working on its very next request.
    if user is None or user.token_version != version or user.disabled:
        raise _unauthorized(INVALID_SESSION)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_admin(user: CurrentUser) -> User:
    if not user.is_admin:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Only an admin can do this.")
    return user


CurrentAdmin = Annotated[User, Depends(get_current_admin)]
