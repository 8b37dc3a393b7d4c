"""Ledgers: creating and sharing them, members and roles, settlements and balances.

Balances are SQL aggregates over the split parts and settlements (indexed by ledger), never a loop
over a ledger's history in Python.
"""

from datetime import datetime, timedelta

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import LedgerAccess
from app.errors import AppError, Invalid, NotFound
from app.models import Expense, ExpenseSplit, Ledger, LedgerMember, Settlement, User
from app.money import to_number
from app.schemas.ledgers import (
    BalancesOut,
    LedgerIn,
    LedgerOut,
    LedgerUpdate,
    MemberBalance,
    MemberOut,
    SettlementIn,
    Transfer,
)
from app.services import confirm_access, expenses, links, lock_ledger, recurring
from app.services.conversion import minor_amount
from app.services.splits import settle_transfers
from app.types import MAX_DB_ID

BAD_INVITATION = "This invitation link is not valid: it was used already, has expired, or never existed."


def _members(session: Session, ledger_ids: list[int]) -> dict[int, list[MemberOut]]:
    rows = session.execute(
        select(LedgerMember.ledger_id, LedgerMember.role, LedgerMember.joined_at, User)
        .join(User, User.id == LedgerMember.user_id)
        .where(LedgerMember.ledger_id.in_(ledger_ids))
        .order_by(LedgerMember.joined_at, LedgerMember.user_id)
    )
    found: dict[int, list[MemberOut]] = {ledger_id: [] for ledger_id in ledger_ids}
    for ledger_id, role, joined_at, user in rows:
        found[ledger_id].append(
            MemberOut(
                user_id=user.id,
                email=user.email,
                display_name=user.display_name,
                role=role,
                joined_at=joined_at,
            )
        )
    return found


def _out(ledger: Ledger, role: str, members: list[MemberOut]) -> LedgerOut:
    return LedgerOut(
        id=ledger.id,
        name=ledger.name,
        currency=ledger.currency,
        personal=ledger.personal_of is not None,
        role=role,
        members=members,
    )


def list_ledgers(session: Session, *, user: User) -> list[LedgerOut]:
    """The caller's ledgers: the personal one first, then by name."""
    rows = session.execute(
        select(Ledger, LedgerMember.role)
        .join(LedgerMember, LedgerMember.ledger_id == Ledger.id)
        .where(LedgerMember.user_id == user.id)
        .order_by(Ledger.personal_of.is_(None), Ledger.name, Ledger.id)
    ).all()
    members = _members(session, [ledger.id for ledger, _ in rows])
    return [_out(ledger, role, members[ledger.id]) for ledger, role in rows]


def read_ledger(session: Session, *, access: LedgerAccess) -> LedgerOut:
    ledger = session.get_one(Ledger, access.ledger_id)
    return _out(ledger, access.role, _members(session, [ledger.id])[ledger.id])


def _personal(session: Session, user: User) -> Ledger:
    return session.scalars(select(Ledger).where(Ledger.personal_of == user.id)).one()


def create_ledger(session: Session, *, user: User, data: LedgerIn) -> LedgerOut:
    currency = data.currency or _personal(session, user).currency
    ledger = Ledger(name=data.name, currency=currency)
    session.add(ledger)
    session.flush()
    session.add(LedgerMember(ledger_id=ledger.id, user_id=user.id, role="owner"))
    session.commit()
    access = LedgerAccess(user_id=user.id, ledger_id=ledger.id, role="owner", currency=currency)
    return read_ledger(session, access=access)


def update_ledger(session: Session, *, access: LedgerAccess, data: LedgerUpdate) -> LedgerOut:
    ledger = session.get_one(Ledger, access.ledger_id)
    if data.name is not None:
        ledger.name = data.name
    if data.currency is not None:
        expenses.change_ledger_currency(session, ledger=ledger, currency=data.currency)
    session.commit()
    return read_ledger(session, access=access)


def delete_ledger(session: Session, *, access: LedgerAccess) -> None:
    ledger = session.get_one(Ledger, access.ledger_id)
    if ledger.personal_of is not None:
        raise AppError(409, "Your personal ledger cannot be deleted; delete your account instead.")
    # Everything in it goes too (ON DELETE CASCADE).
    session.execute(delete(Ledger).where(Ledger.id == ledger.id))
    session.commit()


def invite(session: Session, *, access: LedgerAccess, role: str, valid_days: int) -> tuple[str, datetime]:
    """A one-time link to join this ledger with `role`: its token (shown once) and expiry."""
    return links.issue(
        session,
        kind=links.LEDGER,
        valid_for=timedelta(days=valid_days),
        ledger_id=access.ledger_id,
        role=role,
    )


def _role_of(session: Session, ledger_id: int, user_id: int) -> str | None:
    return session.scalar(
        select(LedgerMember.role).where(LedgerMember.ledger_id == ledger_id, LedgerMember.user_id == user_id)
    )


def join(session: Session, *, user: User, token: str) -> LedgerOut:
    """Join with an invitation: single use, so of two joins at once one wins and the other is 403."""
    link = links.find(session, kind=links.LEDGER, token=token)
    if link is None or link.ledger_id is None or link.role is None:
        raise AppError(403, BAD_INVITATION)
    ledger_id, role = link.ledger_id, link.role
    if _role_of(session, ledger_id, user.id) is not None:
        raise AppError(409, "You are already a member of this ledger.")
    if links.claim(session, kind=links.LEDGER, token=token) is None:
        session.rollback()
        raise AppError(403, BAD_INVITATION)
    session.add(LedgerMember(ledger_id=ledger_id, user_id=user.id, role=role))
    try:
        session.commit()
    except IntegrityError:  # joined with another link at the same moment
        session.rollback()
        raise AppError(409, "You are already a member of this ledger.") from None
    currency = session.get_one(Ledger, ledger_id).currency
    return read_ledger(
        session, access=LedgerAccess(user_id=user.id, ledger_id=ledger_id, role=role, currency=currency)
    )


def _member(session: Session, access: LedgerAccess, user_id: int) -> LedgerMember:
    member = session.get(LedgerMember, (access.ledger_id, user_id)) if 0 < user_id <= MAX_DB_ID else None
    if member is None:
        raise NotFound("No such member of this ledger")
    return member


def _owners(session: Session, ledger_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(LedgerMember.ledger_id == ledger_id, LedgerMember.role == "owner")
        )
        or 0
    )


def update_member(session: Session, *, access: LedgerAccess, user_id: int, role: str) -> MemberOut:
    member = _member(session, access, user_id)
    if member.role == "owner" and role != "owner" and _owners(session, access.ledger_id) == 1:
        raise AppError(409, "This is the ledger's last owner; make another member owner first.")
    member.role = role
    session.commit()
    return next(m for m in _members(session, [access.ledger_id])[access.ledger_id] if m.user_id == user_id)


def remove_member(session: Session, *, access: LedgerAccess, user_id: int) -> None:
    """The owner removes anyone; anyone removes themselves (leaves)."""
    if user_id != access.user_id:
        access.require("owner")
    lock_ledger(session, access.ledger_id)  # (writer branch: stands in for the members branch's lock)
    member = _member(session, access, user_id)
    ledger = session.get_one(Ledger, access.ledger_id)
    if ledger.personal_of == user_id:
        raise AppError(409, "The owner of a personal ledger cannot leave it.")
    if member.role == "owner" and _owners(session, access.ledger_id) == 1:
        raise AppError(409, "This is the ledger's last owner; make another member owner first.")
    if balance_of(session, access.ledger_id, user_id) != 0:
        raise AppError(409, "This member's balance is not zero: settle up first.")
    session.delete(member)
    _pause_rules(session, access.ledger_id, user_id)
    session.commit()


def _pause_rules(session: Session, ledger_id: int, user_id: int) -> None:
    recurring.pause_rules_naming(session, ledger_id=ledger_id, user_id=user_id)


def _sums(session: Session, ledger_id: int) -> dict[int, list[int]]:
    """user id -> [paid, share, sent, received], each one indexed aggregate."""
    queries = (
        select(Expense.paid_by, func.sum(Expense.base_amount_cents))
        .where(Expense.ledger_id == ledger_id, Expense.paid_by.is_not(None))
        .group_by(Expense.paid_by),
        select(ExpenseSplit.user_id, func.sum(ExpenseSplit.base_amount_cents))
        .where(ExpenseSplit.ledger_id == ledger_id)
        .group_by(ExpenseSplit.user_id),
        select(Settlement.from_user_id, func.sum(Settlement.amount_cents))
        .where(Settlement.ledger_id == ledger_id)
        .group_by(Settlement.from_user_id),
        select(Settlement.to_user_id, func.sum(Settlement.amount_cents))
        .where(Settlement.ledger_id == ledger_id)
        .group_by(Settlement.to_user_id),
    )
    sums: dict[int, list[int]] = {}
    for n, stmt in enumerate(queries):
        for user_id, cents in session.execute(stmt):
            sums.setdefault(int(user_id or 0), [0, 0, 0, 0])[n] = int(cents)
    return sums


def _balance(paid: int, share: int, sent: int, received: int) -> int:
    return paid - share + sent - received


def balance_of(session: Session, ledger_id: int, user_id: int) -> int:
    return _balance(*_sums(session, ledger_id).get(user_id, [0, 0, 0, 0]))


def balances(session: Session, *, access: LedgerAccess) -> BalancesOut:
    """Every member's balance (and former members' that are not zero), and the transfers that even them."""
    sums = _sums(session, access.ledger_id)
    current = set(
        session.scalars(select(LedgerMember.user_id).where(LedgerMember.ledger_id == access.ledger_id))
    )
    shown = sorted(current | {user_id for user_id, s in sums.items() if _balance(*s) != 0})
    names: dict[int, str] = dict(
        session.execute(select(User.id, User.display_name).where(User.id.in_(shown))).all()
    )
    currency = access.currency
    members = []
    owes: dict[int, int] = {}
    for user_id in shown:
        paid, share, sent, received = sums.get(user_id, [0, 0, 0, 0])
        owes[user_id] = _balance(paid, share, sent, received)
        members.append(
            MemberBalance(
                user_id=user_id,
                display_name=names.get(user_id, ""),
                paid=to_number(paid, currency),
                share=to_number(share, currency),
                sent=to_number(sent, currency),
                received=to_number(received, currency),
                balance=to_number(owes[user_id], currency),
            )
        )
    return BalancesOut(
        currency=currency,
        members=members,
        transfers=[
            Transfer(from_user_id=a, to_user_id=b, amount=to_number(minor, currency))
            for a, b, minor in settle_transfers(owes)
        ],
    )


def create_settlement(session: Session, *, access: LedgerAccess, data: SettlementIn) -> Settlement:
    if data.from_user_id == data.to_user_id:
        raise Invalid(("body", "to_user_id"), "A settlement is between two different members")
    parties = (data.from_user_id, data.to_user_id)
    members = set(
        session.scalars(
            select(LedgerMember.user_id).where(
                LedgerMember.ledger_id == access.ledger_id, LedgerMember.user_id.in_(parties)
            )
        )
    )
    for field, user_id in zip(("from_user_id", "to_user_id"), parties, strict=True):
        if user_id not in members:
            raise Invalid(("body", field), f"User {user_id} is not a member of this ledger")
    settlement = Settlement(
        ledger_id=access.ledger_id,
        from_user_id=data.from_user_id,
        to_user_id=data.to_user_id,
        amount_cents=minor_amount(data.amount, access.currency),
        date=data.date,
        note=data.note,
        created_by=access.user_id,
    )
    session.add(settlement)
    session.flush()
    confirm_access(session, access)  # removed from the ledger meanwhile: 404, nothing written
    session.commit()
    return settlement


def _settlements(access: LedgerAccess) -> Select[Settlement]:
    return select(Settlement).where(Settlement.ledger_id == access.ledger_id)


def list_settlements(session: Session, *, access: LedgerAccess) -> list[Settlement]:
    return list(session.scalars(_settlements(access).order_by(Settlement.date.desc(), Settlement.id.desc())))


def delete_settlement(session: Session, *, access: LedgerAccess, settlement_id: int) -> None:
    found = (
        session.scalar(_settlements(access).where(Settlement.id == settlement_id))
        if 0 < settlement_id <= MAX_DB_ID
        else None
    )
    if found is None:
        raise NotFound("Settlement not found")
    session.delete(found)
    session.commit()


def leave_all(session: Session, *, user: User) -> None:
    """Before an account is deleted: 409 while it has a balance in a shared ledger; else leave each,
    handing ownership to the longest-standing remaining member where it was the last owner.
    Runs in the caller's transaction.
    """
    shared = session.execute(
        select(Ledger, LedgerMember.role)
        .join(LedgerMember, LedgerMember.ledger_id == Ledger.id)
        .where(LedgerMember.user_id == user.id, Ledger.personal_of.is_(None))
        .order_by(Ledger.name)
    ).all()
    for ledger, _ in shared:
        if balance_of(session, ledger.id, user.id) != 0:
            raise AppError(409, f"You have a balance in the ledger {ledger.name!r}: settle up there first.")
    for ledger, role in shared:
        session.execute(
            delete(LedgerMember).where(LedgerMember.ledger_id == ledger.id, LedgerMember.user_id == user.id)
        )
        _pause_rules(session, ledger.id, user.id)
        if role != "owner" or _owners(session, ledger.id) > 0:
            continue
        heir = session.scalar(
            select(LedgerMember.user_id)
            .where(LedgerMember.ledger_id == ledger.id)
            .order_by(LedgerMember.joined_at, LedgerMember.user_id)
            .limit(1)
        )
        if heir is None:  # nobody left who could reach it
            session.execute(delete(Ledger).where(Ledger.id == ledger.id))
        else:
            session.execute(
                update(LedgerMember)
                .where(LedgerMember.ledger_id == ledger.id, LedgerMember.user_id == heir)
                .values(role="owner")
            )
