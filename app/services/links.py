"""One-time links: invitations to register or to join a ledger, and password resets. Single use,
expiring, stored hashed; the one writer of their table."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.orm import Session

from app.config import settings
from app.models import OneTimeLink, User, utcnow
from app.types import as_utc

INVITATION = "invitation"
RESET = "reset"
LEDGER = "ledger"  # an invitation to join a ledger, with a role
RESET_VALID_FOR = timedelta(hours=1)
# The SPA's page for each kind of link.
_PAGES = {INVITATION: "invite", RESET: "reset", LEDGER: "join"}


def _hash(token: str) -> str:
    # The token carries 256 random bits: a fast hash is enough, no salt or stretching needed.
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session,
    *,
    kind: str,
    valid_for: timedelta,
    user_id: int | None = None,
    ledger_id: int | None = None,
    role: str | None = None,
    invited_by: int | None = None,
) -> tuple[str, datetime]:
    """Store a new link's hash and return its token (shown once, never stored) and expiry."""
    token = secrets.token_urlsafe(32)
    link = OneTimeLink(
        kind=kind,
        token_hash=_hash(token),
        user_id=user_id,
        ledger_id=ledger_id,
        role=role,
        invited_by=invited_by,
        expires_at=utcnow() + valid_for,
    )
    session.add(link)
    session.commit()
    return token, link.expires_at


def issue_reset(session: Session, *, user_id: int) -> tuple[str, datetime]:
    """A new one-hour password reset link for this user: its token and expiry."""
    return issue(session, kind=RESET, user_id=user_id, valid_for=RESET_VALID_FOR)


def url(kind: str, token: str, *, request_base: str | None = None) -> str:
    """The link to hand out: under PUBLIC_URL if set, else where the request came from, else HOST:PORT."""
    base = settings.public_url or request_base or settings.base_url
    # In the fragment, so the token never reaches server logs or a Referer header.
    return f"{base.rstrip('/')}/#/{_PAGES[kind]}/{token}"


def find(session: Session, *, kind: str, token: str) -> OneTimeLink | None:
    """The unused, unexpired link with this token, or None."""
    link = session.scalar(
        select(OneTimeLink).where(OneTimeLink.token_hash == _hash(token), OneTimeLink.kind == kind)
    )
    if link is None or link.used_at is not None or as_utc(link.expires_at) <= utcnow():
        return None
    return link


def claim(session: Session, *, kind: str, token: str) -> OneTimeLink | None:
    """Mark the link used in the caller's transaction; None if it is not usable (or another request won)."""
    link = find(session, kind=kind, token=token)
    if link is None:
        return None
    # Conditional on still being unused, so of two requests racing with one token only one wins.
    result = session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.id == link.id, OneTimeLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return link if result.rowcount == 1 else None  # type: ignore[attr-defined]


def revoke_resets(session: Session, *, user_id: int) -> None:
    """Spend every outstanding reset link of this user (the password has just been set)."""
    session.execute(
        update(OneTimeLink)
        .where(OneTimeLink.user_id == user_id, OneTimeLink.kind == RESET, OneTimeLink.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def _open_ledger_links(ledger_id: int) -> ColumnElement[bool]:
    return and_(
        OneTimeLink.kind == LEDGER,
        OneTimeLink.ledger_id == ledger_id,
        OneTimeLink.used_at.is_(None),
        OneTimeLink.expires_at > utcnow(),
    )


def open_ledger_links(session: Session, *, ledger_id: int) -> list[tuple[OneTimeLink, User]]:
    """The ledger's usable invitations with the accounts that made them, oldest first."""
    rows = session.execute(
        select(OneTimeLink, User)
        .join(User, User.id == OneTimeLink.invited_by)
        .where(_open_ledger_links(ledger_id))
        .order_by(OneTimeLink.created_at, OneTimeLink.id)
    )
    return [(link, user) for link, user in rows]


def revoke_ledger_link(session: Session, *, ledger_id: int, link_id: int) -> bool:
    """Spend one open invitation to this ledger, in the caller's transaction; False if there is none."""
    result = session.execute(
        update(OneTimeLink)
        .where(_open_ledger_links(ledger_id), OneTimeLink.id == link_id)
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def revoke_ledger_links(session: Session, *, ledger_id: int, invited_by: int) -> None:
    """Spend every open invitation to this ledger that this account made (it stops being an owner)."""
    session.execute(
        update(OneTimeLink)
        .where(_open_ledger_links(ledger_id), OneTimeLink.invited_by == invited_by)
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
