"""Ending sessions: one session (log out) or all of a user's sessions (log out everywhere)."""

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import TokenSession
from app.models import RevokedToken, User, utcnow


def log_out(session: Session, *, token: TokenSession) -> None:
    """Refuse this session from now on, in every token it was renewed into; the user's other
    sessions go on."""
    # Tokens past their expiry are refused anyway: their rows can go (indexed, so this stays cheap).
    session.execute(delete(RevokedToken).where(RevokedToken.expires_at < utcnow()))
    session.add(RevokedToken(jti=token.jti, user_id=token.user.id, expires_at=token.end()))
    try:
        session.commit()
    except IntegrityError:  # the same token logged out twice at once: revoked either way
        session.rollback()


def log_out_everywhere(session: Session, *, user: User) -> None:
    """Refuse every token issued to this user so far, on every device."""
    user.token_version += 1
    session.commit()
