"""What an instance's admin may do to accounts: list, create, disable, promote, delete, reset links.

An admin sees how many expenses an account has, never the expenses themselves.
"""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import hash_password
from app.errors import AppError
from app.models import Ledger, MonthlyTotal, User
from app.schemas.accounts import AdminUserCreate, AdminUserOut, AdminUserUpdate
from app.services import ledgers, links, one_by_id
from app.services.users import create_user, find_by_email, lock_accounts

LAST_ADMIN = "This is the last admin of this instance; make another account admin first."


def list_users(session: Session) -> list[AdminUserOut]:
    # An account's count is its personal ledger's, read from the monthly totals.
    counts = (
        select(Ledger.personal_of.label("user_id"), func.sum(MonthlyTotal.count).label("expenses"))
        .join(Ledger, Ledger.id == MonthlyTotal.ledger_id)
        .where(Ledger.personal_of.is_not(None))
        .group_by(Ledger.personal_of)
        .subquery()
    )
    rows = session.execute(
        select(User, func.coalesce(counts.c.expenses, 0))
        .outerjoin(counts, counts.c.user_id == User.id)
        .order_by(User.id)
    )
    return [_out(user, int(expenses)) for user, expenses in rows]


def _out(user: User, expense_count: int) -> AdminUserOut:
    return AdminUserOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        created_at=user.created_at,
        last_login_at=user.last_login_at,
        expense_count=expense_count,
        disabled=user.disabled,
        is_admin=user.is_admin,
    )


def _expense_count(session: Session, user_id: int) -> int:
    total = session.scalar(
        select(func.sum(MonthlyTotal.count))
        .join(Ledger, Ledger.id == MonthlyTotal.ledger_id)
        .where(Ledger.personal_of == user_id)
    )
    return int(total or 0)


def _get(session: Session, user_id: int) -> User:
    return one_by_id(session, select(User), User.id, user_id, "No such user")


def create(session: Session, *, data: AdminUserCreate) -> AdminUserOut:
    if find_by_email(session, data.email) is not None:
        raise AppError(409, "An account with this email already exists.")
    user = create_user(
        session,
        email=data.email,
        password_hash=hash_password(data.password),
        display_name=data.display_name,
        is_admin=data.is_admin,
    )
    return _out(user, 0)


def update(session: Session, *, user_id: int, data: AdminUserUpdate) -> AdminUserOut:
    lock_accounts(session)
    user = _get(session, user_id)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("disabled") and not user.disabled:
        user.token_version += 1  # its tokens stay dead even if the account is enabled again
        links.revoke_resets(session, user_id=user.id)  # and its reset links with them
    for field, value in changes.items():
        setattr(user, field, value)
    session.flush()
    _keep_an_admin(session)
    session.commit()
    return _out(user, _expense_count(session, user.id))


def delete(session: Session, *, user_id: int) -> None:
    lock_accounts(session)
    user = _get(session, user_id)
    # As when the account deletes itself: 409 while it has a balance, and no ledger left without
    # an owner. Its personal ledger, with everything in it, goes with it (ON DELETE CASCADE).
    ledgers.leave_all(session, user=user)
    session.delete(user)
    session.flush()
    _keep_an_admin(session)
    session.commit()


def _keep_an_admin(session: Session) -> None:
    """After the change (flushed, not committed): roll back with 409 if no enabled admin is left."""
    left = session.scalar(select(User.id).where(User.is_admin, ~User.disabled).limit(1))
    if left is None:
        session.rollback()
        raise AppError(409, LAST_ADMIN)


def issue_reset_link(session: Session, *, user_id: int) -> tuple[str, datetime]:
    return links.issue_reset(session, user_id=_get(session, user_id).id)


def issue_invitation(session: Session, *, valid_days: int) -> tuple[str, datetime]:
    return links.issue(session, kind=links.INVITATION, valid_for=timedelta(days=valid_days))
