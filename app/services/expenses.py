"""Expenses: the API's reads and writes, and the one writer every other path (import, recurring) uses.

`add_expenses`, `update_expense` and `delete_expense` are the only code that changes the table, and
they keep `monthly_totals` and the split parts (`expense_splits`) in step in the same transaction,
so they never drift.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.access import LedgerAccess, ObjectScope
from app.errors import AppError, Invalid, NotFound
from app.models import Expense, ExpenseSplit, Ledger, LedgerMember, RecurringRule, Settlement, utcnow
from app.money import to_decimal
from app.schemas.expenses import ExpenseIn, ExpenseUpdate, SplitIn
from app.services import budgets, member_object, splits, totals
from app.services.categories import canonical_category, spelling
from app.services.conversion import base_minor, ledger_currency, minor_amount, price
from app.services.splits import (
    Part,
    by_weights,
    check_paid_by,
    default_weights,
    part_rows,
    part_values,
)
from app.types import category_key


def get_expense(
    session: Session, *, scope: ObjectScope, expense_id: int, write: bool = False
) -> tuple[Expense, LedgerAccess]:
    """The expense in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, Expense, scope, expense_id, "Expense not found", write=write)


# The tables, not the mapped classes: a Core statement skips the ORM's bulk path, which costs about
# 0.1-0.4 ms more per statement for the one or two rows a request writes.
EXPENSES = cast(Table, Expense.__table__)
SPLITS = cast(Table, ExpenseSplit.__table__)


def _insert_if_absent(dialect_insert: Callable[..., Any]) -> Any:
    # RETURNING names the rows this statement inserted (rowcount is not reliable on every driver).
    return (
        dialect_insert(EXPENSES)
        .on_conflict_do_nothing(index_elements=[EXPENSES.c.recurring_id, EXPENSES.c.occurrence_date])
        .returning(EXPENSES.c.id, EXPENSES.c.recurring_id, EXPENSES.c.occurrence_date)
    )


# Built once: the statements are the same for every write, only their parameters change.
_INSERT_OCCURRENCE = {
    "postgresql": _insert_if_absent(postgresql.insert),
    "sqlite": _insert_if_absent(sqlite.insert),
}
_COLUMNS = (
    "ledger_id",
    "user_id",
    "paid_by",
    "date",
    "category",
    "category_key",
    "amount_cents",
    "currency",
    "rate",
    "rate_source",
    "rate_date",
    "base_amount_cents",
    "description",
    "recurring_id",
    "occurrence_date",
)
_STAMPED = (*_COLUMNS, "created_at", "updated_at")


def _insert_for_member() -> Any:
    """One expense, inserted only while the request's user is a member of its ledger in the role the
    request was resolved with; RETURNING its id, or no row.

    The check is in the insert itself: SQLite takes its write lock as the statement starts, and
    PostgreSQL share-locks the member's row until the commit, so a removal either came first (no
    row: 404, nothing written) or waits for this commit. One statement, not an insert and a check.
    """
    values = [bindparam(name, type_=EXPENSES.c[name].type) for name in _STAMPED]
    member = (
        select(*values)
        .where(
            LedgerMember.ledger_id == bindparam("ledger_id"),
            LedgerMember.user_id == bindparam("user_id"),
            LedgerMember.role == bindparam("role"),
        )
        .with_for_update(read=True)
    )
    return insert(EXPENSES).from_select(_STAMPED, member).returning(EXPENSES.c.id)


_INSERT_FOR_MEMBER = _insert_for_member()


def add_expenses(
    session: Session,
    expenses: list[Expense],
    parts: list[list[Part]] | None = None,
    *,
    currencies: dict[int, str] | None = None,
    member: LedgerAccess | None = None,
) -> list[Expense]:
    """Insert new expenses with their split parts and count them in their months' totals, in the
    caller's transaction.

    The only way rows enter the table. `parts` gives each expense's split; without it, each gets
    its ledger's default (equal shares among its owners and editors). An occurrence of a recurring
    rule that is already there (unique recurring_id and occurrence_date: two workers or requests at
    once) is skipped, and so not counted twice. `currencies` gives ledgers' currencies the caller
    already read. With `member` (one plain expense: the API's), it is written only while that access
    still holds; 404 and nothing written otherwise. Returns the expenses inserted.
    """
    currencies = _ledger_currencies(session, expenses, currencies)
    for expense in expenses:
        if expense.base_amount_cents is None:  # an occurrence: priced at the rate of its own date
            expense.currency = expense.currency or currencies[expense.ledger_id]
            price(expense, ledger_currency=currencies[expense.ledger_id], rate=None)
    if parts is None:
        defaults: dict[int, dict[int, int]] = {}
        for expense in expenses:
            if expense.ledger_id not in defaults:
                defaults[expense.ledger_id] = default_weights(_roles(session, expense.ledger_id))
        parts = [by_weights(e.amount_cents, defaults[e.ledger_id]) for e in expenses]
    part_of = {id(expense): split for expense, split in zip(expenses, parts, strict=True)}
    plain = [expense for expense in expenses if expense.recurring_id is None]
    if member is not None:
        (expense,) = plain
        # Stamped here, as the columns' defaults would: the answer shows them without a read back.
        expense.created_at = expense.updated_at = utcnow()
        params = {name: getattr(expense, name) for name in _STAMPED} | {"role": member.role}
        expense_id = session.scalar(_INSERT_FOR_MEMBER, params)
        if expense_id is None:  # removed from the ledger, or given another role, meanwhile
            session.rollback()
            raise NotFound("Ledger not found")
        expense.id = expense_id
    elif plain:
        # One executemany: an import of 50,000 rows would spend most of its time in the ORM.
        ids = session.scalars(
            insert(EXPENSES).returning(EXPENSES.c.id, sort_by_parameter_order=True),
            [_values(expense) for expense in plain],
        ).all()
        for expense, expense_id in zip(plain, ids, strict=True):
            expense.id = expense_id
    occurrences = [expense for expense in expenses if expense.recurring_id is not None]
    if occurrences:
        # One multi-row statement: a rule started years ago back-fills thousands of occurrences.
        insert_occurrences = _INSERT_OCCURRENCE[session.get_bind().dialect.name]
        rows = session.execute(insert_occurrences, [_values(expense) for expense in occurrences])
        new = {(row.recurring_id, row.occurrence_date): row.id for row in rows}
        occurrences = [e for e in occurrences if (e.recurring_id, e.occurrence_date) in new]
        for expense in occurrences:
            expense.id = new[(expense.recurring_id, expense.occurrence_date)]
    inserted = plain + occurrences
    _write_parts(session, [(expense, part_of[id(expense)]) for expense in inserted])
    totals.add(session, inserted, +1)
    return inserted


def _ledger_currencies(
    session: Session, expenses: list[Expense], known: dict[int, str] | None
) -> dict[int, str]:
    """The currency of each expense's ledger: known to the caller, that of an expense in its ledger's
    own currency, or else read, once per ledger."""
    currencies = dict(known or {})
    currencies.update((e.ledger_id, e.currency) for e in expenses if e.rate_source == "same")
    for expense in expenses:
        if expense.ledger_id not in currencies:
            currencies[expense.ledger_id] = ledger_currency(session, expense.ledger_id)
    return currencies


def _write_parts(session: Session, rows: list[tuple[Expense, list[Part]]]) -> None:
    parts = [part for expense, split in rows for part in part_rows(expense, split)]
    if parts:
        session.execute(insert(SPLITS), [part_values(part) for part in parts])
    by_expense: dict[int, list[ExpenseSplit]] = {}
    for part in parts:
        by_expense.setdefault(part.expense_id, []).append(part)
    for expense, _ in rows:
        # The answer shows the parts just written: no query to read them back.
        set_committed_value(expense, "splits", by_expense.get(expense.id, []))


def _roles(session: Session, ledger_id: int) -> dict[int, str]:
    return _members(session, ledger_id)[0]


# Built once (see categories.spelling): only its parameters change.
_LEDGER = (
    select(
        Ledger.currency,
        LedgerMember.user_id,
        LedgerMember.role,
        spelling(bindparam("ledger_id"), bindparam("key")).label("category"),
    )
    .outerjoin(LedgerMember, LedgerMember.ledger_id == Ledger.id)
    .where(Ledger.id == bindparam("ledger_id"))
)


def _members(
    session: Session, ledger_id: int, key: str | None = None
) -> tuple[dict[int, str], str, str | None]:
    """The ledger's members with their roles, its currency and its spelling of a category key (none
    without one): one query serves the paid-by check, the split check, the default split, the rate
    and the category's name."""
    # On the session's connection: columns need none of the ORM's result machinery, which costs a
    # POST 33 µs here (60 -> 27 µs; SQLite's own part is 6 µs).
    rows = session.connection().execute(_LEDGER, {"ledger_id": ledger_id, "key": key}).all()
    roles = {row.user_id: row.role for row in rows if row.user_id is not None}
    return roles, rows[0].currency, rows[0].category


def _values(expense: Expense) -> dict[str, object]:
    return {column: getattr(expense, column) for column in _COLUMNS}


def create_expense(session: Session, *, access: LedgerAccess, data: ExpenseIn) -> Expense:
    key = category_key(data.category)
    roles, base_currency, category = _members(session, access.ledger_id, key)
    paid_by = access.user_id if data.paid_by is None else data.paid_by
    if data.paid_by is not None:
        check_paid_by(roles, data.paid_by)
    currency = data.currency or base_currency
    amount = minor_amount(data.amount, currency)
    parts = splits.resolve_split(roles, amount, data.split, currency)
    expense = Expense(
        ledger_id=access.ledger_id,
        user_id=access.user_id,
        paid_by=paid_by,
        date=data.date,
        category=category or data.category,
        category_key=key,
        amount_cents=amount,
        currency=currency,
        description=data.description,
    )
    price(expense, ledger_currency=base_currency, rate=data.rate)
    add_expenses(session, [expense], [parts], currencies={access.ledger_id: base_currency}, member=access)
    session.commit()
    return expense


def update_expense(
    session: Session, *, scope: ObjectScope, expense_id: int, data: ExpenseUpdate
) -> tuple[Expense, LedgerAccess]:
    """The expense changed, and the caller's access to its ledger."""
    expense, access = get_expense(session, scope=scope, expense_id=expense_id, write=True)
    changes = data.model_dump(exclude_unset=True)
    changes.pop("split", None)
    split = data.split  # as models, not the dump's dicts
    rate = changes.pop("rate", None)
    currency = changes.pop("currency", expense.currency)
    amount = changes.pop("amount", None)
    # Only a new payer or split needs the members (a new amount keeps the shares it had).
    roles = _roles(session, access.ledger_id) if "paid_by" in changes or split is not None else {}
    if "paid_by" in changes:
        if changes["paid_by"] is None:
            raise Invalid(("body", "paid_by"), "paid_by must be a member's user id")
        check_paid_by(roles, changes["paid_by"])
    if amount is None and currency != expense.currency:  # the same number, in the new currency
        amount = to_decimal(expense.amount_cents, expense.currency)
    new_amount = expense.amount_cents if amount is None else minor_amount(amount, currency)
    # A new date or currency (or a rate given) prices it again; a new amount alone keeps the rate.
    repriced = (
        rate is not None or currency != expense.currency or changes.get("date", expense.date) != expense.date
    )
    moved = repriced or new_amount != expense.amount_cents
    # Date, category and the base amount move the monthly totals; a new description leaves them be.
    counted = moved or bool(changes.keys() & {"date", "category"})
    if counted:
        totals.add(session, [expense], -1)
    if "category" in changes:
        expense.category, expense.category_key = canonical_category(
            session, access=access, category=changes.pop("category")
        )
    for field, value in changes.items():
        setattr(expense, field, value)
    amount_changed = new_amount != expense.amount_cents or currency != expense.currency
    if moved or split is not None:  # (not moved: the amount and currency are as they were)
        base_currency = access.currency
        expense.amount_cents, expense.currency = new_amount, currency
        if repriced:
            price(expense, ledger_currency=base_currency, rate=rate)
        elif moved:
            expense.base_amount_cents = base_minor(new_amount, currency, Decimal(expense.rate), base_currency)
        _resplit(session, roles, expense, split, amount_changed=amount_changed)
    if counted:
        totals.add(session, [expense], +1)
    session.commit()
    return expense, access


def _resplit(
    session: Session,
    roles: dict[int, str],
    expense: Expense,
    split: list[SplitIn] | None,
    *,
    amount_changed: bool,
) -> None:
    """Write the parts again for a new amount, base amount or split: the shares (or, for the same
    amount, the exact amounts) it had, unless a new split is given."""
    if split is None:
        current = session.execute(
            select(ExpenseSplit.user_id, ExpenseSplit.shares, ExpenseSplit.amount_cents).where(
                ExpenseSplit.expense_id == expense.id
            )
        ).all()
        if any(shares is None for _, shares, _ in current):
            if amount_changed:
                raise Invalid(
                    ("body", "split"), "This expense is split by exact amounts: send the new split too"
                )
            parts: list[Part] = sorted((user_id, None, cents) for user_id, _, cents in current)
        else:
            parts = by_weights(expense.amount_cents, {user_id: shares or 0 for user_id, shares, _ in current})
    else:
        parts = splits.resolve_split(roles, expense.amount_cents, split, expense.currency)
    session.execute(delete(ExpenseSplit).where(ExpenseSplit.expense_id == expense.id))
    _write_parts(session, [(expense, parts)])
    session.expire(expense, ["splits"])


def delete_expense(session: Session, *, scope: ObjectScope, expense_id: int) -> None:
    expense, _ = get_expense(session, scope=scope, expense_id=expense_id, write=True)
    totals.add(session, [expense], -1)
    session.delete(expense)  # its split parts go with it (ON DELETE CASCADE)
    session.commit()


def change_ledger_currency(session: Session, *, ledger: Ledger, currency: str) -> None:
    """Give the ledger another currency, in the caller's transaction: 409 while it holds money in
    any other (expenses, or settlements in the old one). Expenses already in the new currency
    become plain ones: rate 1, base amount = amount, and their parts and totals follow."""
    if currency == ledger.currency:
        return
    other = session.scalar(
        select(Expense.currency).where(Expense.ledger_id == ledger.id, Expense.currency != currency).limit(1)
    )
    if other is not None:
        raise AppError(
            409,
            f"This ledger has expenses in {other}: its currency can become {currency} only when every "
            f"expense is in {currency}. Change or delete those expenses first.",
        )
    rule = session.scalar(
        select(RecurringRule.currency)
        .where(RecurringRule.ledger_id == ledger.id, RecurringRule.currency != currency)
        .limit(1)
    )
    if rule is not None:
        raise AppError(409, f"This ledger has recurring expenses in {rule}: change or delete them first.")
    if session.scalar(select(Settlement.id).where(Settlement.ledger_id == ledger.id).limit(1)) is not None:
        raise AppError(
            409, f"This ledger has settlements in {ledger.currency}: its currency cannot change any more."
        )
    budgets.change_currency(session, ledger_id=ledger.id, old=ledger.currency, new=currency)
    ledger.currency = currency
    converted = list(session.scalars(select(Expense).where(Expense.ledger_id == ledger.id)))
    totals.add(session, converted, -1)
    for expense in converted:
        price(expense, ledger_currency=currency, rate=None)
        _resplit(session, {}, expense, None, amount_changed=False)
    totals.add(session, converted, +1)
