import logging
import smtplib

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from app import mail
from app.auth import hash_password, verify_password
from app.config import settings
from app.errors import AppError
from app.models import Ledger, LedgerMember, User, utcnow
from app.schemas.accounts import RegisterIn, UserUpdate
from app.services import expenses, ledgers, links

INVALID_LOGIN = "Invalid email or password"
REGISTRATION_CLOSED = "Registration is closed on this instance. Ask its admin for an invitation link."
BAD_INVITATION = "This invitation link is not valid: it was used already or has expired. Ask for a new one."
BAD_RESET_LINK = "This reset link is not valid: it was used already or has expired. Ask for a new one."
# Any fixed number: the key of the PostgreSQL advisory lock that serializes admin-role decisions.
_ACCOUNTS_LOCK = 0x45_78_70_41


def lock_accounts(session: Session) -> None:
    """Serialize decisions that count accounts (the first admin, the last admin) across transactions.

    SQLite already runs one writer at a time, and each caller writes before it counts, so the count
    sees every committed change. PostgreSQL needs this transaction-scoped lock for the same effect.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ACCOUNTS_LOCK})


def find_by_email(session: Session, email: str) -> User | None:
    """The account with this email, in any case and with spaces around it, or None."""
    email = email.strip().lower()
    # No stored email holds control characters (and PostgreSQL refuses NUL in a query): skip the lookup.
    return session.scalar(select(User).where(User.email == email)) if email.isprintable() else None


def register_user(session: Session, *, data: RegisterIn) -> User:
    invitation = data.invitation
    # Before the email is looked up: otherwise "already exists" would tell who has an account.
    if invitation is None and not settings.allow_registration:
        raise AppError(403, REGISTRATION_CLOSED)
    if find_by_email(session, data.email) is not None:
        raise _email_taken()
    if invitation is not None and links.find(session, kind=links.INVITATION, token=invitation) is None:
        raise AppError(403, BAD_INVITATION)
    password_hash = hash_password(data.password)
    if invitation is not None and links.claim(session, kind=links.INVITATION, token=invitation) is None:
        session.rollback()
        raise AppError(403, BAD_INVITATION)  # spent by a concurrent registration meanwhile
    return create_user(session, email=data.email, password_hash=password_hash, display_name=data.display_name)


def create_user(
    session: Session, *, email: str, password_hash: str, display_name: str = "", is_admin: bool = False
) -> User:
    """Insert an account and commit; the first account on an empty instance becomes its admin."""
    lock_accounts(session)
    user = User(email=email, password_hash=password_hash, display_name=display_name, is_admin=is_admin)
    session.add(user)
    try:
        session.flush()  # the insert comes first: on SQLite it takes the write lock before the count
        create_personal_ledger(session, user)
        if not is_admin:
            others = session.scalar(select(User.id).where(User.id != user.id).limit(1))
            user.is_admin = others is None
        session.commit()
    except IntegrityError:  # registered by a concurrent request between the check and the insert
        session.rollback()
        raise _email_taken() from None
    return user


def create_personal_ledger(session: Session, user: User) -> int:
    """The account's own ledger, in the caller's transaction: every account has exactly one."""
    ledger = Ledger(name="Personal", currency=user.currency or "USD", personal_of=user.id)
    session.add(ledger)
    session.flush()
    session.add(LedgerMember(ledger_id=ledger.id, user_id=user.id, role="owner"))
    return ledger.id


def _email_taken() -> AppError:
    return AppError(409, "An account with this email already exists. Log in instead.")


def authenticate(session: Session, *, email: str, password: str) -> User:
    user = find_by_email(session, email)
    # Unknown emails pay for a hash too, so timing does not tell which accounts exist.
    if not verify_password(password, user.password_hash if user else None) or user is None:
        raise AppError(401, INVALID_LOGIN)
    # A disabled account answers like a wrong password: the log-in form does not reveal its state.
    if user.disabled:
        raise AppError(401, INVALID_LOGIN)
    user_id, user.last_login_at = user.id, utcnow()
    try:
        session.commit()
    except DBAPIError as exc:
        # A record, not a condition: a full disk, a lock or a read-only database must not keep anyone
        # from reading what is saved. The caller reads the account again (the rollback expired it).
        session.rollback()
        reason = str(exc.orig).split("\n", 1)[0]
        logging.getLogger("app.auth").warning("Log-in of account %s not recorded: %s", user_id, reason)
    return user


def change_password(session: Session, *, user: User, current_password: str, new_password: str) -> None:
    _confirm_password(user, current_password)
    user.password_hash = hash_password(new_password)
    user.token_version += 1  # every token issued before this moment stops working
    links.revoke_resets(session, user_id=user.id)  # a link made for the old password dies with it
    session.commit()


def reset_password(session: Session, *, token: str, new_password: str) -> None:
    """Set a password from a reset link; the link is spent and every earlier token stops working."""
    # A cheap look first, so a made-up token does not cost a password hash.
    if links.find(session, kind=links.RESET, token=token) is None:
        raise AppError(403, BAD_RESET_LINK)
    password_hash = hash_password(new_password)
    link = links.claim(session, kind=links.RESET, token=token)
    user = session.scalar(select(User).where(User.id == link.user_id)) if link else None
    if user is None:
        session.rollback()
        raise AppError(403, BAD_RESET_LINK)
    user.password_hash = password_hash
    user.token_version += 1
    links.revoke_resets(session, user_id=user.id)
    session.commit()


def email_reset_link(bind: Engine | Connection, *, email: str) -> None:
    """Mail a reset link if an enabled account has this email; otherwise do nothing, silently.

    Runs after the 202 has gone out, so the answer takes as long whether or not the account exists.
    """
    with Session(bind=bind, expire_on_commit=False) as session:
        user = find_by_email(session, email)
        if user is None or user.disabled:
            return
        token, expires_at = links.issue_reset(session, user_id=user.id)
    try:
        mail.send_reset_link(to=user.email, url=links.url(links.RESET, token), expires_at=expires_at)
    except (OSError, smtplib.SMTPException) as exc:
        logging.getLogger("app.mail").warning("could not send a password reset email: %s", type(exc).__name__)


def delete_user(session: Session, *, user: User, password: str) -> None:
    _confirm_password(user, password)
    ledgers.leave_all(session, user=user)  # 409 while it has a balance in any ledger
    # The personal ledger goes with the user (ON DELETE CASCADE), in this one transaction; what the
    # user added to shared ledgers stays there.
    session.delete(user)
    session.commit()


def _confirm_password(user: User, password: str) -> None:
    if not verify_password(password, user.password_hash):
        raise AppError(403, "That password is not correct.")


def update_user(session: Session, *, user: User, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    if "currency" in changes:  # the personal ledger's currency is the account's
        personal = session.scalars(select(Ledger).where(Ledger.personal_of == user.id)).one()
        expenses.change_ledger_currency(session, ledger=personal, currency=changes["currency"])
    for field, value in changes.items():
        setattr(user, field, value)
    session.commit()
    return user
