"""Expenses: the API's reads and writes, and the one writer every other path (import, recurring) uses.

`add_expenses`, `update_expense` and `delete_expense` are the only code that changes the table. Each
takes the ledger's lock first (app.services.lock_ledger) and checks the ledger's rules against its
members as they are then: the caller may still write; the payer is a member; the parts name members
and add up to the amount; a former member's balance never moves; the ledger holds no more than
app.money.MAX_LEDGER_UNITS. The defaults are filled here too (payer: the caller; split: equal
shares among the owners and editors). They keep `monthly_totals`, `daily_totals`,
`daily_category_totals` and the split parts (`expense_splits`) in step in the same transaction, so
they never drift.
"""

import datetime as dt
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.access import LedgerAccess, ObjectScope
from app.database import BULK_CACHE_KIB, CACHE_KIB, refresh_statistics
from app.errors import AppError, Invalid, NotFound
from app.models import (
    REFUNDS,
    SEARCH_FILL,
    Expense,
    ExpenseSplit,
    Ledger,
    MonthlyTotal,
    RecurringRule,
    Settlement,
    StampedLedger,
    utcnow,
)
from app.money import MAX_LEDGER_UNITS, max_ledger_minor, to_decimal
from app.schemas.expenses import ExpenseIn, ExpenseUpdate, SplitIn
from app.services import budgets, lock_ledger, locked_roles, member_object, totals
from app.services.categories import canonical_category
from app.services.conversion import minor_amount, price, quote, reprice
from app.services.splits import (
    Part,
    by_weights,
    check_paid_by,
    check_split,
    default_weights,
    part_rows,
    split_parts,
)
from app.services.trigram import MERGE_AFTER_ROWS, merge_pending


def get_expense(
    session: Session, *, scope: ObjectScope, expense_id: int, write: bool = False
) -> tuple[Expense, LedgerAccess]:
    """The expense in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, Expense, scope, expense_id, "Expense not found", write=write)


# The tables, not the mapped classes: a Core statement skips the ORM's bulk path, which costs about
# 0.1-0.4 ms more per statement for the one or two rows a request writes.
EXPENSES = cast(Table, Expense.__table__)
SPLITS = cast(Table, ExpenseSplit.__table__)
STAMPED = cast(Table, StampedLedger.__table__)


@dataclass(slots=True)  # an import writes up to 50,000 of them: plain values, no ORM object each
class NewExpense:
    """An expense to add (add_expense_rows), as plain values; `id` and the parts once written."""

    user_id: int | None
    date: dt.date
    category: str
    category_key: str
    amount_minor: int  # a refund's negative
    currency: str
    description: str = ""
    # Unpriced (None) only for a rule's occurrences, priced in the writer at their own date's rate.
    rate: str | None = None
    rate_source: str | None = None
    rate_date: dt.date | None = None
    base_amount_minor: int | None = None
    recurring_id: int | None = None
    occurrence_date: dt.date | None = None
    id: int | None = None
    ledger_id: int = 0  # set by the writer, as is:
    created_at: dt.datetime | None = None
    parts: list[dict[str, object]] = field(default_factory=list)


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
# One row (a request's expense) gets its id by RETURNING. Many (_insert_plain): SQLite's ids are given
# before (_NEXT_ID; SQLAlchemy cannot keep RETURNING's order there and would send one statement a
# row), PostgreSQL's come from its sequence (_NEXT_IDS) and the rows go in by COPY (_copy_in).
_INSERT = insert(EXPENSES).returning(EXPENSES.c.id, sort_by_parameter_order=True)
_INSERT_WITH_IDS = insert(EXPENSES)
# The next id SQLite would give (an INTEGER PRIMARY KEY without AUTOINCREMENT: the largest plus one).
_NEXT_ID = select(func.coalesce(func.max(EXPENSES.c.id), 0) + 1)
# PostgreSQL: `n` new ids from the table's sequence (never given twice, whatever else inserts).
_NEXT_IDS = text("SELECT nextval(pg_get_serial_sequence('expenses', 'id')) FROM generate_series(1, :n)")
BATCH = 5_000  # rows a bulk insert hands over at once (SQLAlchemy sends them 1,000 a statement)
# RETURNING makes SQLAlchemy send a list of parts as multi-row INSERTs ("insertmanyvalues", 1,000
# rows a statement); psycopg 3 would run a plain executemany as one statement per row.
_INSERT_PARTS = insert(SPLITS).returning(SPLITS.c.expense_id)
# lock_ledger stamped the ledger's new version: while the rows go in, the version triggers pass it by.
_HOLD_STAMP = insert(STAMPED).values(ledger_id=bindparam("ledger_id"))
_RELEASE_STAMP = delete(STAMPED).where(STAMPED.c.ledger_id == bindparam("ledger_id"))
_COLUMNS = (
    "user_id",
    "date",
    "category",
    "category_key",
    "amount_minor",
    "currency",
    "rate",
    "rate_source",
    "rate_date",
    "base_amount_minor",
    "description",
    "recurring_id",
    "occurrence_date",
)
# The ledger's currency, the sum of its money (its monthly totals hold every expense once) and of
# its refunds' (negative; a few rows of their own index, ix_expenses_ledger_refunds).
_LEDGER_STATE = select(
    Ledger.currency,
    select(func.sum(MonthlyTotal.amount_minor)).where(MonthlyTotal.ledger_id == Ledger.id).scalar_subquery(),
    select(func.sum(Expense.base_amount_minor))
    .where(Expense.ledger_id == Ledger.id, REFUNDS)
    .scalar_subquery(),
).where(Ledger.id == bindparam("ledger_id"))


def add_expenses(
    session: Session,
    ledger_id: int,
    expenses: list[Expense],
    *,
    by: int | None,
    paid_by: int | None = None,
    split: list[SplitIn] | None = None,
    priced_in: str | None = None,
    loc: tuple[str, ...] = ("body", "amount"),
) -> list[Expense]:
    """add_expense_rows for expenses as ORM objects (a request's one, a rule's occurrences): each
    inserted one gets its id, price, payer, stamps and parts, as the answer shows them. Returns the
    expenses inserted."""
    rows = [NewExpense(**{column: getattr(expense, column) for column in _COLUMNS}) for expense in expenses]
    add_expense_rows(
        session, ledger_id, rows, by=by, paid_by=paid_by, split=split, priced_in=priced_in, loc=loc
    )
    inserted = []
    payer = by if paid_by is None else paid_by
    for expense, row in zip(expenses, rows, strict=True):
        if row.id is None:  # an occurrence already there
            continue
        for column in ("id", "rate", "rate_source", "rate_date", "base_amount_minor"):
            setattr(expense, column, getattr(row, column))
        expense.ledger_id, expense.paid_by = ledger_id, cast(int, payer)
        # Stamped here, as the columns' defaults would: the answer shows them without a read back.
        expense.created_at = expense.updated_at = cast(dt.datetime, row.created_at)
        # The answer shows the parts just written: no query to read them back.
        set_committed_value(expense, "splits", [ExpenseSplit(**part) for part in row.parts])
        inserted.append(expense)
    return inserted


def add_expense_rows(
    session: Session,
    ledger_id: int,
    rows: list[NewExpense],
    *,
    by: int | None,
    paid_by: int | None = None,
    split: list[SplitIn] | None = None,
    priced_in: str | None = None,
    loc: tuple[str, ...] = ("body", "amount"),
) -> list[NewExpense]:
    """Insert new expenses of one ledger with their split parts and count them in their totals, in
    the caller's transaction. The only way rows enter the table (add_expenses too comes here).

    `by`: who records them, who must be an owner or editor of the ledger now (404 once no longer a
    member, 403 for a viewer); None for a rule's occurrences written by the daily run. `paid_by`:
    who paid them all, a current member; default `by`. `split`: how each is split, naming current
    members (exact amounts must add up to each expense's amount); default equal shares among the
    ledger's owners and editors now. Expenses not yet priced (a rule's occurrences) are priced at
    the rate of their own dates; `priced_in` is the ledger currency the others were priced in. A
    refusal is a 422 naming the field (`loc` for a ledger that would hold too much), raised before
    anything is written.

    An occurrence of a recurring rule that is already there (unique recurring_id and
    occurrence_date: two workers or requests at once) is skipped, and so not counted twice: its
    `id` stays None. Each row inserted gets its `id` and `parts`; returns them, in order.
    """
    roles = locked_roles(session, ledger_id, by)
    payer = by if paid_by is None else paid_by
    if payer is None:
        raise ValueError("an expense needs a payer: give by or paid_by")
    check_paid_by(roles, payer)
    currency, net, refunded = session.execute(_LEDGER_STATE, {"ledger_id": ledger_id}).one()
    if priced_in is not None and priced_in != currency:
        raise AppError(409, f"This ledger's currency changed to {currency} meanwhile: try again.")
    for row in rows:
        if row.base_amount_minor is None:  # an occurrence: priced at the rate of its own date
            row.currency = row.currency or currency
            row.rate, row.rate_source, row.rate_date, row.base_amount_minor = quote(
                row.amount_minor, row.currency, row.date, ledger_currency=currency
            )
    if split is None:
        weights = default_weights(roles)
        divide: Callable[[NewExpense], list[Part]] = lambda row: by_weights(row.amount_minor, weights)  # noqa: E731
    else:
        check_split(roles, split)
        divide = lambda row: split_parts(row.amount_minor, split, row.currency)  # noqa: E731
    # Every row's parts first, so that a split that does not add up refuses the whole before a write;
    # kept as plain values (an import's 50,000 rows, each with a part per member).
    row_parts = [divide(row) for row in rows]
    _check_room(_held(net, refunded), [cast(int, row.base_amount_minor) for row in rows], currency, loc)
    # Its version stamped once by the lock, not once per row (app.models.StampedLedger): until the
    # release below (an error in between leaves a transaction its caller rolls back, row and all).
    session.execute(_HOLD_STAMP, {"ledger_id": ledger_id})
    now = utcnow()
    fixed = {"ledger_id": ledger_id, "paid_by": payer, "created_at": now, "updated_at": now}
    for row in rows:
        row.ledger_id, row.created_at = ledger_id, now
    plain = [row for row in rows if row.recurring_id is None]
    _insert_plain(session, plain, fixed)
    occurrences = [row for row in rows if row.recurring_id is not None]
    if occurrences:
        # One multi-row statement: a rule started years ago back-fills thousands of occurrences.
        insert_occurrences = _INSERT_OCCURRENCE[session.get_bind().dialect.name]
        found = session.execute(insert_occurrences, [_values(row, fixed) for row in occurrences])
        new = {(row.recurring_id, row.occurrence_date): row.id for row in found}
        for row in occurrences:
            row.id = new.get((row.recurring_id, row.occurrence_date))
    inserted = []
    for row, parts in zip(rows, row_parts, strict=True):
        if row.id is not None:
            row.parts = part_rows(row.id, ledger_id, cast(int, row.base_amount_minor), parts)
            inserted.append(row)
    _insert_parts(session, inserted)
    _index_for_search(session, inserted)  # which the search index's trigger passed by
    session.execute(_RELEASE_STAMP, {"ledger_id": ledger_id})
    totals.add(session, inserted, +1)
    if len(inserted) >= MERGE_AFTER_ROWS:
        merge_pending(session)  # PostgreSQL's trigram indexes
        refresh_statistics(session, EXPENSES.name)  # SQLite's planner
    return inserted


def _insert_plain(session: Session, rows: list[NewExpense], fixed: dict[str, object]) -> None:
    """Insert the rows (none a rule's occurrence) and give each its id. A batch at a time, so that
    only one batch's parameters are held in memory at once."""
    if len(rows) > 1 and session.get_bind().dialect.name == "sqlite":  # (one row: its RETURNING id)
        # The ledger's lock is SQLite's write lock (lock_ledger): no other transaction inserts
        # before this one commits, so the ids from here on are these rows', in their order.
        first = int(session.scalar(_NEXT_ID) or 1)
        for n, row in enumerate(rows):
            row.id = first + n
        # Rows of random dates touch pages all over the indexes: with the usual 1 MB of cache,
        # SQLite writes changed pages out and reads them back again and again (measured: 1.5x slower).
        session.execute(text(f"PRAGMA cache_size={BULK_CACHE_KIB}"))
        try:
            for start in range(0, len(rows), BATCH):
                batch = rows[start : start + BATCH]
                session.execute(_INSERT_WITH_IDS, [{**_values(row, fixed), "id": row.id} for row in batch])
        finally:
            session.execute(text(f"PRAGMA cache_size={CACHE_KIB}"))
        return
    if len(rows) > 1:  # PostgreSQL
        # Ids from the table's sequence first, then one COPY (_copy_in).
        ids = sorted(session.scalars(_NEXT_IDS, {"n": len(rows)}))  # in the rows' order, as RETURNING's
        for row, expense_id in zip(rows, ids, strict=True):
            row.id = expense_id
        _copy_in(session, EXPENSES, ({**_values(row, fixed), "id": row.id} for row in rows))
        return
    for row in rows:  # (one row, or none)
        row.id = session.scalars(_INSERT, [_values(row, fixed)]).one()


def _insert_parts(session: Session, inserted: list[NewExpense]) -> None:
    """The rows' split parts: many on PostgreSQL by one COPY, else a batch of rows at a time."""
    if len(inserted) > 1 and session.get_bind().dialect.name == "postgresql":
        _copy_in(session, SPLITS, (part for row in inserted for part in row.parts))
        return
    for start in range(0, len(inserted), BATCH):
        batch = [part for row in inserted[start : start + BATCH] for part in row.parts]
        session.execute(_INSERT_PARTS, batch)


def _copy_in(session: Session, table: Table, rows: Iterator[dict[str, object]]) -> None:
    """PostgreSQL: the rows (dicts by column key, every one with the same keys) into the table by one
    COPY, in the session's transaction, streamed as they are made. A plain executemany (one INSERT a
    row, pipelined) or RETURNING's multi-row INSERTs (a query text psycopg parses in Python each
    1,000 rows) took twice the app's CPU, and an import of 50,000 rows 1.4-2x the time
    (bench/RESULTS.md, session 10). The table's statement triggers fire once, over every row."""
    first = next(rows, None)
    if first is None:
        return
    quote = session.get_bind().dialect.identifier_preparer.quote
    keys = list(first)
    columns = ", ".join(quote(table.c[key].name) for key in keys)
    driver: Any = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {quote(table.name)} ({columns}) FROM STDIN") as copy:
        for row in itertools.chain([first], rows):
            copy.write_row([row[key] for key in keys])


def _index_for_search(session: Session, inserted: list[NewExpense]) -> None:
    """Put the rows just inserted into SQLite's search index, in one statement: its insert trigger
    passed them by, their ledger held in stamped_ledgers (app.models.SEARCH_FILL). Their ids are a
    range no other row is in: a new row's id is above every id before it (SQLite gives the largest
    plus one, as _insert_plain does), and no other transaction inserts meanwhile (the ledger's lock
    is SQLite's write lock)."""
    fill = SEARCH_FILL.get(session.get_bind().dialect.name)
    if fill is not None and inserted:
        ids = [cast(int, row.id) for row in inserted]
        session.execute(fill, {"first": min(ids), "last": max(ids)})


def check_room(session: Session, ledger_id: int, added: list[int], *, loc: tuple[str, ...]) -> None:
    """The ledger's bound as add_expense_rows checks it, without writing: for an import's dry run,
    so that it refuses what the import would."""
    currency, net, refunded = session.execute(_LEDGER_STATE, {"ledger_id": ledger_id}).one()
    _check_room(_held(net, refunded), added, currency, loc)


def _held(net: int | None, refunded: int | None) -> tuple[int, int]:
    """What a ledger holds (_LEDGER_STATE's sums): its expenses' total and its refunds' (positive)."""
    return int(net or 0) - int(refunded or 0), -int(refunded or 0)


def _check_room(held: tuple[int, int], added: list[int], currency: str, loc: tuple[str, ...]) -> None:
    """422 if the ledger's expenses, or its refunds, would add up to more than it may hold
    (app.money.MAX_LEDGER_UNITS, which keeps every sum of its money within a BIGINT: any sum lies
    between minus the refunds and the expenses): nothing is written. `added`: base amounts, a
    refund's negative."""
    spent = held[0] + sum(base for base in added if base > 0)
    refunded = held[1] - sum(base for base in added if base < 0)
    if max(spent, refunded) > max_ledger_minor(currency):
        what = "expenses" if spent > refunded else "refunds"
        raise Invalid(
            loc,
            f"This ledger's {what} would add up to more than {MAX_LEDGER_UNITS:,} {currency}, the "
            "most one ledger can hold: check the amounts, or start another ledger",
        )


def _write_parts(session: Session, expense: Expense, parts: list[Part]) -> None:
    """Write one expense's parts (a change) and show them on it without a read back."""
    rows = part_rows(expense.id, expense.ledger_id, expense.base_amount_minor, parts)
    session.execute(_INSERT_PARTS, rows)
    set_committed_value(expense, "splits", [ExpenseSplit(**part) for part in rows])


def _values(row: NewExpense, fixed: dict[str, object]) -> dict[str, object]:
    return {**fixed, **{column: getattr(row, column) for column in _COLUMNS}}


def create_expense(session: Session, *, access: LedgerAccess, data: ExpenseIn) -> Expense:
    category, key = canonical_category(session, access=access, category=data.category)
    currency = data.currency or access.currency
    expense = Expense(
        user_id=access.user_id,
        date=data.date,
        category=category,
        category_key=key,
        # A refund is stored negative (app.schemas.expenses.expense_answer): every sum counts it so.
        amount_minor=(-1 if data.refund else 1) * minor_amount(data.amount, currency),
        currency=currency,
        description=data.description,
    )
    price(expense, ledger_currency=access.currency, rate=data.rate)
    add_expenses(
        session,
        access.ledger_id,
        [expense],
        by=access.user_id,
        paid_by=data.paid_by,
        split=data.split,
        priced_in=access.currency,
    )
    session.commit()
    return expense


def _locked_expense(
    session: Session, scope: ObjectScope, expense_id: int
) -> tuple[Expense, LedgerAccess, dict[int, str]]:
    """The expense to change, its ledger locked, the caller's right checked against the members'
    roles as they are now, and those roles."""
    expense, access = get_expense(session, scope=scope, expense_id=expense_id, write=True)
    roles = locked_roles(session, access.ledger_id, access.user_id)
    # Read again under the lock: a change or delete that committed meanwhile is seen.
    again = session.scalars(
        select(Expense).where(Expense.id == expense.id).execution_options(populate_existing=True)
    ).first()
    if again is None:
        raise NotFound("Expense not found")
    return again, access, roles


def _moves(expense: Expense) -> dict[int, int]:
    """What the expense adds to each member's balance: its payer's base amount, less each part."""
    moves = {part.user_id: -part.base_amount_minor for part in expense.splits}
    moves[expense.paid_by] = moves.get(expense.paid_by, 0) + expense.base_amount_minor
    return moves


def _keep_former_members_even(roles: dict[int, str], before: dict[int, int], after: dict[int, int]) -> None:
    """409 if the change would move the balance of someone no longer in the ledger: they left (or
    were removed) with a zero balance, and cannot settle up any more."""
    for user_id in sorted(before.keys() | after.keys()):
        if user_id not in roles and before.get(user_id, 0) != after.get(user_id, 0):
            raise AppError(
                409,
                f"This expense is paid by or split with user {user_id}, who has left this ledger: "
                "its amount, payer and split can no longer change, nor can it be deleted, as that "
                "would change their balance.",
            )


def update_expense(
    session: Session, *, scope: ObjectScope, expense_id: int, data: ExpenseUpdate
) -> tuple[Expense, LedgerAccess]:
    """The expense changed, and the caller's access to its ledger."""
    expense, access, roles = _locked_expense(session, scope, expense_id)
    before = _moves(expense)
    changes = data.model_dump(exclude_unset=True)
    changes.pop("split", None)
    split = data.split  # as models, not the dump's dicts
    rate = changes.pop("rate", None)
    currency = changes.pop("currency", expense.currency)
    amount = changes.pop("amount", None)
    # A refund's amounts are stored negative: the body's amount and split are their absolute values.
    sign = -1 if changes.pop("refund", expense.amount_minor < 0) else 1
    if changes.get("paid_by", expense.paid_by) != expense.paid_by:  # (sent as it was: unchanged)
        check_paid_by(roles, changes["paid_by"])
    if split is not None:
        check_split(roles, split)
    old_amount, old_base = expense.amount_minor, expense.base_amount_minor
    if amount is None and currency != expense.currency:  # the same number, in the new currency
        amount = to_decimal(abs(old_amount), expense.currency)
    new_amount = sign * (abs(old_amount) if amount is None else minor_amount(amount, currency))
    # A new date or currency (or a rate given) prices it again; a new amount alone keeps the rate.
    repriced = (
        rate is not None or currency != expense.currency or changes.get("date", expense.date) != expense.date
    )
    moved = repriced or new_amount != old_amount
    # Date, category and the base amount move the monthly totals; a new description leaves them be.
    counted = moved or bool(changes.keys() & {"date", "category"})
    if counted:
        totals.add(session, [expense], -1)
    if "category" in changes:
        expense.category, expense.category_key = canonical_category(
            session, access=access, category=changes.pop("category")
        )
    for name, value in changes.items():
        setattr(expense, name, value)
    # The parts are divided again when the amount is another, not when only its sign turns.
    amount_changed = abs(new_amount) != abs(old_amount) or currency != expense.currency
    if moved or split is not None:  # (not moved: the amount and currency are as they were)
        expense.amount_minor, expense.currency = new_amount, currency
        if repriced:
            price(expense, ledger_currency=access.currency, rate=rate)
        elif amount_changed:
            reprice(expense, ledger_currency=access.currency)
        elif moved:  # only turned into a refund or back: the same base amount, exactly, negated
            expense.base_amount_minor = -old_base
        _resplit(session, expense, split, amount_changed=amount_changed)
    if _grows(old_base, expense.base_amount_minor):
        session.flush()  # the refunds' sum reads the expense as it now is
        _, net, refunded = session.execute(_LEDGER_STATE, {"ledger_id": access.ledger_id}).one()
        # The monthly totals no longer count it (counted: its base amount moved); add it back, new.
        held = _held(int(net or 0) + expense.base_amount_minor, refunded)
        _check_room(held, [], access.currency, ("body", "amount"))
    _keep_former_members_even(roles, before, _moves(expense))
    if counted:
        totals.add(session, [expense], +1)
    session.commit()
    return expense, access


def _grows(old: int, new: int) -> bool:
    """Whether a new base amount adds to the ledger's expenses or to its refunds."""
    return max(new, 0) > max(old, 0) or min(new, 0) < min(old, 0)


def _resplit(
    session: Session, expense: Expense, split: list[SplitIn] | None, *, amount_changed: bool
) -> None:
    """Write the parts again for a new amount, base amount or split: the shares (or, for the same
    amount, the exact amounts, negated with it when it turned into a refund or back) it had, unless
    a new split (checked: check_split) is given."""
    if split is None:
        current = [(part.user_id, part.shares, part.amount_minor) for part in expense.splits]
        if any(shares is None for _, shares, _ in current):
            if amount_changed:
                raise Invalid(
                    ("body", "split"), "This expense is split by exact amounts: send the new split too"
                )
            sign = -1 if expense.amount_minor < 0 else 1
            parts: list[Part] = sorted((user_id, None, sign * abs(cents)) for user_id, _, cents in current)
        else:
            parts = by_weights(expense.amount_minor, {user_id: shares or 0 for user_id, shares, _ in current})
    else:
        parts = split_parts(expense.amount_minor, split, expense.currency)
    session.execute(delete(ExpenseSplit).where(ExpenseSplit.expense_id == expense.id))
    _write_parts(session, expense, parts)


def delete_expense(session: Session, *, scope: ObjectScope, expense_id: int) -> None:
    expense, _, roles = _locked_expense(session, scope, expense_id)
    _keep_former_members_even(roles, _moves(expense), {})
    totals.add(session, [expense], -1)
    session.delete(expense)  # its split parts go with it (ON DELETE CASCADE)
    session.commit()


def change_ledger_currency(session: Session, *, ledger: Ledger, currency: str) -> None:
    """Give the ledger another currency, in the caller's transaction: 409 while it holds money in
    any other (expenses, or settlements in the old one). Expenses already in the new currency
    become plain ones: rate 1, base amount = amount, and their parts and totals follow; 409 if that
    would move a former member's balance, 422 if the ledger would hold too much."""
    if currency == ledger.currency:
        return
    roles = lock_ledger(session, ledger.id)
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
        before = _moves(expense)
        price(expense, ledger_currency=currency, rate=None)
        _resplit(session, expense, None, amount_changed=False)
        _keep_former_members_even(roles, before, _moves(expense))
    _check_room((0, 0), [e.base_amount_minor for e in converted], currency, ("body", "currency"))
    totals.add(session, converted, +1)


def move_category(session: Session, *, ledger_id: int, old_key: str, new_key: str, name: str) -> None:
    """File every expense of the category `old_key` under `new_key`, spelled `name` (a rename, or a
    merge into another category), their monthly totals with them, in the caller's transaction. The
    caller holds the ledger's lock (lock_ledger); amounts, parts and balances do not change."""
    session.execute(
        update(EXPENSES)
        .where(EXPENSES.c.ledger_id == ledger_id, EXPENSES.c.category_key == old_key)
        .values(category=name, category_key=new_key)
    )
    totals.move_category(session, ledger_id=ledger_id, old_key=old_key, new_key=new_key, name=name)
