"""Ledgers: creating and sharing them, members and roles, settlements and balances.

Balances are SQL aggregates over the split parts and settlements (indexed by ledger), never a loop
over a ledger's history in Python.
"""

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, delete, func, select, update
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.errors import AppError, Invalid, NotFound
from app.models import Expense, ExpenseSplit, Ledger, LedgerMember, Settlement, User
from app.money import MAX_LEDGER_UNITS, max_ledger_minor, to_number
from app.schemas.ledgers import (
    BalancesOut,
    InvitationOut,
    InvitationPreview,
    LedgerIn,
    LedgerOut,
    LedgerUpdate,
    MemberBalance,
    MemberOut,
    SettlementIn,
    Transfer,
)
from app.services import expenses, links, lock_ledger, locked_roles, recurring
from app.services.conversion import minor_amount
from app.services.splits import settle_transfers
from app.types import MAX_DB_ID

BAD_INVITATION = (
    "This invitation link does not work: it was used or withdrawn, or has expired. Ask for a new one."
)
NO_INVITATION = "No such open invitation to this ledger"
NO_MEMBER = "No such member of this ledger"
LAST_OWNER = "This is the ledger's last owner; make another member owner first."
PERSONAL_OWNER = "A personal ledger's owner stays its owner: they cannot be demoted, removed or leave."


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
    locked_roles(session, access.ledger_id, access.user_id, "owner")  # still an owner, as for a delete
    ledger = session.get_one(Ledger, access.ledger_id)
    if data.name is not None:
        ledger.name = data.name
    if data.currency is not None:
        expenses.change_ledger_currency(session, ledger=ledger, currency=data.currency)
    session.commit()
    return read_ledger(session, access=access)


def delete_ledger(session: Session, *, access: LedgerAccess) -> None:
    locked_roles(session, access.ledger_id, access.user_id, "owner")  # still an owner
    ledger = session.get_one(Ledger, access.ledger_id)
    if ledger.personal_of is not None:
        raise AppError(409, "Your personal ledger cannot be deleted; delete your account instead.")
    # Everything in it goes too (ON DELETE CASCADE).
    session.execute(delete(Ledger).where(Ledger.id == ledger.id))
    session.commit()


def _last_owner(roles: dict[int, str], user_id: int) -> bool:
    return roles.get(user_id) == "owner" and list(roles.values()).count("owner") == 1


def _personal_of(session: Session, ledger_id: int) -> int | None:
    return session.scalar(select(Ledger.personal_of).where(Ledger.id == ledger_id))


def invite(session: Session, *, access: LedgerAccess, role: str, valid_days: int) -> tuple[str, datetime]:
    """A one-time link to join this ledger with `role`, made by the caller (an owner, still, under
    the ledger's lock: a demotion revokes their links, and this one too): its token and expiry."""
    locked_roles(session, access.ledger_id, access.user_id, "owner")
    return links.issue(
        session,
        kind=links.LEDGER,
        valid_for=timedelta(days=valid_days),
        ledger_id=access.ledger_id,
        role=role,
        invited_by=access.user_id,
    )


def _inviter(user: User) -> str:
    # What lets a person recognise who invited them: the name they go by, else their address.
    return user.display_name or user.email


def list_invitations(session: Session, *, access: LedgerAccess) -> list[InvitationOut]:
    """The ledger's open invitations, oldest first; never their tokens (only hashes are stored)."""
    return [
        InvitationOut(
            id=link.id,
            role=link.role,
            invited_by=_inviter(inviter),
            created_at=link.created_at,
            expires_at=link.expires_at,
        )
        for link, inviter in links.open_ledger_links(session, ledger_id=access.ledger_id)
    ]


def revoke_invitation(session: Session, *, access: LedgerAccess, invitation_id: int) -> None:
    """Spend an open invitation to this ledger (owner); 404 for any other id."""
    if not 0 < invitation_id <= MAX_DB_ID:
        raise NotFound(NO_INVITATION)
    locked_roles(session, access.ledger_id, access.user_id, "owner")
    if not links.revoke_ledger_link(session, ledger_id=access.ledger_id, link_id=invitation_id):
        raise NotFound(NO_INVITATION)
    session.commit()


def preview_invitation(session: Session, *, token: str) -> InvitationPreview:
    """What a link invites to and who made it, without joining; 404 for a link that cannot be used."""
    link = links.find(session, kind=links.LEDGER, token=token)
    if link is None or link.ledger_id is None or link.invited_by is None:
        raise NotFound(BAD_INVITATION)
    ledger = session.get_one(Ledger, link.ledger_id)
    return InvitationPreview(
        ledger_id=ledger.id,
        ledger_name=ledger.name,
        invited_by=_inviter(session.get_one(User, link.invited_by)),
        role=link.role,
        expires_at=link.expires_at,
    )


def join(session: Session, *, user: User, token: str) -> LedgerOut:
    """Join with an invitation, checked under the ledger's lock: of two joins with one link one
    wins and the other is 403, and a link revoked meanwhile (its maker demoted, say) is 403."""
    link = links.find(session, kind=links.LEDGER, token=token)
    if link is None or link.ledger_id is None or link.role is None:
        raise AppError(403, BAD_INVITATION)
    ledger_id, role = link.ledger_id, link.role
    if user.id in lock_ledger(session, ledger_id):
        raise AppError(409, "You are already a member of this ledger.")  # and the link stays open
    if links.claim(session, kind=links.LEDGER, token=token) is None:
        raise AppError(403, BAD_INVITATION)
    session.add(LedgerMember(ledger_id=ledger_id, user_id=user.id, role=role))
    session.commit()
    currency = session.get_one(Ledger, ledger_id).currency
    return read_ledger(
        session, access=LedgerAccess(user_id=user.id, ledger_id=ledger_id, role=role, currency=currency)
    )


# Membership changes take the ledger's lock first and check their rules against the roles it
# returns, so the rules hold however requests interleave: a ledger keeps an owner, nobody leaves
# with a balance, and whoever acts as an owner still is one.


def update_member(session: Session, *, access: LedgerAccess, user_id: int, role: str) -> MemberOut:
    roles = locked_roles(session, access.ledger_id, access.user_id, "owner")
    if user_id not in roles:
        raise NotFound(NO_MEMBER)
    if role != "owner" and _personal_of(session, access.ledger_id) == user_id:
        raise AppError(409, PERSONAL_OWNER)
    if role != "owner" and roles[user_id] == "owner":
        if _last_owner(roles, user_id):
            raise AppError(409, LAST_OWNER)
        links.revoke_ledger_links(session, ledger_id=access.ledger_id, invited_by=user_id)
    session.execute(
        update(LedgerMember)
        .where(LedgerMember.ledger_id == access.ledger_id, LedgerMember.user_id == user_id)
        .values(role=role)
    )
    session.commit()
    return next(m for m in _members(session, [access.ledger_id])[access.ledger_id] if m.user_id == user_id)


def remove_member(session: Session, *, access: LedgerAccess, user_id: int) -> None:
    """The owner removes anyone; anyone removes themselves (leaves)."""
    roles = locked_roles(
        session, access.ledger_id, access.user_id, "viewer" if user_id == access.user_id else "owner"
    )
    if user_id not in roles:
        raise NotFound(NO_MEMBER)
    if _personal_of(session, access.ledger_id) == user_id:
        raise AppError(409, PERSONAL_OWNER)
    if _last_owner(roles, user_id):
        raise AppError(409, LAST_OWNER)
    if balance_of(session, access.ledger_id, user_id) != 0:
        raise AppError(409, "This member's balance is not zero: settle up first.")
    _leave(session, access.ledger_id, user_id)
    session.commit()


def _leave(session: Session, ledger_id: int, user_id: int) -> None:
    """A member goes, with the invitations they made; the rules they pay stop."""
    session.execute(
        delete(LedgerMember).where(LedgerMember.ledger_id == ledger_id, LedgerMember.user_id == user_id)
    )
    links.revoke_ledger_links(session, ledger_id=ledger_id, invited_by=user_id)
    _pause_rules(session, ledger_id, user_id)


def _pause_rules(session: Session, ledger_id: int, user_id: int) -> None:
    recurring.pause_rules_naming(session, ledger_id=ledger_id, user_id=user_id)


def _sums(session: Session, ledger_id: int) -> dict[int, list[int]]:
    """user id -> [paid, share, sent, received], each one indexed aggregate."""
    queries = (
        select(Expense.paid_by, func.sum(Expense.base_amount_minor))
        .where(Expense.ledger_id == ledger_id, Expense.paid_by.is_not(None))
        .group_by(Expense.paid_by),
        select(ExpenseSplit.user_id, func.sum(ExpenseSplit.base_amount_minor))
        .where(ExpenseSplit.ledger_id == ledger_id)
        .group_by(ExpenseSplit.user_id),
        select(Settlement.from_user_id, func.sum(Settlement.amount_minor))
        .where(Settlement.ledger_id == ledger_id)
        .group_by(Settlement.from_user_id),
        select(Settlement.to_user_id, func.sum(Settlement.amount_minor))
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
    # Under the lock, both are members until the commit: neither leaves (nor is removed) with a
    # balance this settlement gives them.
    roles = locked_roles(session, access.ledger_id, access.user_id, "editor")
    for field, user_id in (("from_user_id", data.from_user_id), ("to_user_id", data.to_user_id)):
        if user_id not in roles:
            raise Invalid(("body", field), f"User {user_id} is not a member of this ledger")
    amount = minor_amount(data.amount, access.currency)
    # As for its expenses (app.services.expenses): every sum of a ledger's money stays within a BIGINT.
    settled = session.scalar(select(func.sum(Settlement.amount_minor)).where(_in(access)))
    if (settled or 0) + amount > max_ledger_minor(access.currency):
        raise Invalid(
            ("body", "amount"),
            f"This ledger's settlements would add up to more than {MAX_LEDGER_UNITS:,} {access.currency}, "
            "the most one ledger can hold: check the amount, or start another ledger",
        )
    settlement = Settlement(
        ledger_id=access.ledger_id,
        from_user_id=data.from_user_id,
        to_user_id=data.to_user_id,
        amount_minor=amount,
        date=data.date,
        note=data.note,
        created_by=access.user_id,
    )
    session.add(settlement)
    session.commit()
    return settlement


def _in(access: LedgerAccess) -> ColumnElement[bool]:
    return Settlement.ledger_id == access.ledger_id


def _settlements(access: LedgerAccess) -> Select[Settlement]:
    return select(Settlement).where(_in(access))


def list_settlements(session: Session, *, access: LedgerAccess) -> list[Settlement]:
    return list(session.scalars(_settlements(access).order_by(Settlement.date.desc(), Settlement.id.desc())))


def delete_settlement(session: Session, *, access: LedgerAccess, settlement_id: int) -> None:
    """Delete a settlement of this ledger (one of another ledger is 404, like one that never was);
    409 once either party has left the ledger, as an expense naming them (app.services.expenses)."""
    roles = locked_roles(session, access.ledger_id, access.user_id, "editor")
    found = (
        session.scalar(_settlements(access).where(Settlement.id == settlement_id))
        if 0 < settlement_id <= MAX_DB_ID
        else None
    )
    if found is None:
        raise NotFound("Settlement not found")
    # They left (or were removed, or deleted their account) with the balance this settlement gave
    # them, zero; without it they would owe or be owed again, and could no longer settle up.
    gone = [user_id for user_id in (found.from_user_id, found.to_user_id) if user_id not in roles]
    if gone:
        raise AppError(
            409,
            f"This settlement is from or to user {gone[0]}, who has left this ledger: it can no "
            "longer be deleted, as that would change their balance.",
        )
    session.delete(found)
    session.commit()


def leave_all(session: Session, *, user: User) -> None:
    """Before an account is deleted, by itself or by an admin, in the caller's transaction: 409
    naming the ledger while its balance in any ledger (its personal one too) is not zero. Else it
    leaves every ledger but its personal one (which goes with the account); a ledger it was the
    last owner of passes to the longest-standing remaining member, or is deleted if none is left.

    Every ledger it is in is locked first, in ascending id order, so two deletions at once (each
    the other's heir, say) take turns instead of deadlocking.
    """
    mine = select(LedgerMember.ledger_id).where(LedgerMember.user_id == user.id)
    roles = {ledger_id: lock_ledger(session, ledger_id) for ledger_id in sorted(session.scalars(mine))}
    # Then the account's row (PostgreSQL; SQLite's write lock is held already): a membership being
    # added for it now waits for this transaction and then finds the account gone, so what is read
    # next is every ledger the account is in.
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    for ledger_id in sorted(set(session.scalars(mine)) - roles.keys()):  # joined since the first look
        roles[ledger_id] = lock_ledger(session, ledger_id)
    ledgers = session.execute(
        select(Ledger.id, Ledger.name, Ledger.personal_of).where(Ledger.id.in_(roles)).order_by(Ledger.id)
    ).all()
    joined = [
        (ledger_id, name, personal_of)
        for ledger_id, name, personal_of in ledgers
        if user.id in roles[ledger_id]
    ]
    for ledger_id, name, personal_of in joined:
        owed = {user_id: _balance(*sums) for user_id, sums in _sums(session, ledger_id).items()}
        if personal_of == user.id:
            # Deleted with the account: refused while anyone's balance there is not zero, the
            # account's own debts showing as the others' balances. (0 is no one: a row with no
            # payer, which app.services.expenses no longer writes.)
            if any(balance for user_id, balance in owed.items() if user_id not in (0, user.id)):
                raise AppError(409, f"Balances in the ledger {name!r} are not zero: settle up there first.")
        elif owed.get(user.id, 0) != 0:
            raise AppError(
                409, f"This account's balance in the ledger {name!r} is not zero: settle up there first."
            )
    for ledger_id, _, personal_of in joined:
        if personal_of == user.id:
            continue  # deleted with the account (ON DELETE CASCADE)
        _leave(session, ledger_id, user.id)
        if _last_owner(roles[ledger_id], user.id):
            _pass_on(session, ledger_id)


def _pass_on(session: Session, ledger_id: int) -> None:
    """A ledger whose last owner has gone: the longest-standing remaining member owns it; nobody
    left who could reach it, it is deleted."""
    heir = session.scalar(
        select(LedgerMember.user_id)
        .where(LedgerMember.ledger_id == ledger_id)
        .order_by(LedgerMember.joined_at, LedgerMember.user_id)
        .limit(1)
    )
    if heir is None:
        session.execute(delete(Ledger).where(Ledger.id == ledger_id))
        return
    session.execute(
        update(LedgerMember)
        .where(LedgerMember.ledger_id == ledger_id, LedgerMember.user_id == heir)
        .values(role="owner")
    )
