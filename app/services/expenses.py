"""Expenses: the API's reads and writes, and the one writer every other path (import, recurring) uses.

`add_expenses`, `update_expense` and `delete_expense` are the only code that changes the table, and
they keep `monthly_totals` and the split parts (`expense_splits`) in step in the same transaction,
so they never drift.
"""

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    or_,
    select,
    table,
    tuple_,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.auth import LedgerAccess, MemberScope
from app.database import UNICODE_LOWER
from app.errors import Invalid
from app.models import Expense, ExpenseSplit, LedgerMember, MonthlyTotal
from app.schemas.expenses import ExpenseIn, ExpenseUpdate, SplitIn
from app.services import confirm_access, member_object, owned_expenses, totals
from app.services.categories import canonical_category
from app.services.splits import split_by_weights
from app.types import category_key


@dataclass(frozen=True)
class ExpenseFilter:
    start: date | None = None
    end: date | None = None
    category: str | None = None
    q: str | None = None


# (user_id, shares, amount): one member's part of an expense; shares None for an exact amount.
Part = tuple[int, int | None, int]


def filtered(access: LedgerAccess, f: ExpenseFilter, *columns: Any, dialect: str) -> Select[Any]:
    """The ledger's expenses that match the filter (the list, its totals and the CSV export)."""
    stmt = owned_expenses(access, *columns)
    if f.start is not None:
        stmt = stmt.where(Expense.date >= f.start)
    if f.end is not None:
        stmt = stmt.where(Expense.date <= f.end)
    if f.category:
        stmt = stmt.where(Expense.category_key == category_key(f.category))
    if f.q:
        stmt = stmt.where(_matches(f.q, dialect))
    return stmt


def _matches(q: str, dialect: str) -> ColumnElement[bool]:
    """Description or category contains q, case-insensitively (for non-ASCII letters too)."""
    exact = _contains(q, dialect)
    # PostgreSQL's pg_trgm indexes serve ILIKE as it is; SQLite's LIKE needs the FTS5 table.
    if dialect != "sqlite" or not _trigrams_find_all(q):
        return exact
    # The trigram index names every row that contains q; `exact` then keeps LIKE's meaning on
    # those few, so the answer is the scan's, row for row.
    phrase = '"' + q.lower().replace('"', '""') + '"'  # a quoted FTS5 string: no operators in q
    return and_(Expense.id.in_(select(_FTS.c.rowid).where(_FTS.c.expenses_fts.match(phrase))), exact)


def _contains(q: str, dialect: str) -> ColumnElement[bool]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect == "sqlite" and not q.isascii():
        # SQLite's LIKE folds ASCII only: for other letters lower both sides in Python (app.database).
        # Alone, a Python call per row makes a search about 6 times slower (280 ms for 200k rows).
        lower = getattr(func, UNICODE_LOWER)
        return or_(
            lower(Expense.description).like(pattern.lower(), escape="\\"),
            lower(Expense.category).like(pattern.lower(), escape="\\"),
        )
    return or_(Expense.description.ilike(pattern, escape="\\"), Expense.category.ilike(pattern, escape="\\"))


_FTS = table("expenses_fts", column("rowid"), column("expenses_fts"))  # app.models.SEARCH_DDL


def _trigrams_find_all(q: str) -> bool:
    """Whether the FTS5 trigram index finds every row the LIKE scan finds for q.

    Trigrams need 3 letters. FTS5 folds case by its own per-letter table, not Python's str.lower
    (SQLite 3.40 leaves Cherokee, some Greek and Cyrillic additions and "İ" unfolded), so a
    non-ASCII q that holds such a letter's lower case, or part of one, is left to the scan.
    An ASCII q is compared as LIKE does, ASCII letters folded only, which FTS5 does the same.
    """
    lowered = q.lower()
    if len(lowered) < 3:
        return False
    if q.isascii():
        return True
    letters, prefixes, suffixes = _unfolded_by_fts()
    return letters.isdisjoint(lowered) and not lowered.endswith(prefixes) and not lowered.startswith(suffixes)


@cache
def _unfolded_by_fts() -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """Asked once of the SQLite library in use: the letters whose case FTS5 folds unlike Python.

    Returns the non-ASCII letters of their lower case, and the starts and ends of a lower case
    longer than one letter ("İ" lowers to "i" and a combining dot), which a q may cut through.
    """
    # Unicode 15 has no cased letter past U+1E943 (Adlam): the 10x shorter range takes 20 ms, not 500.
    pairs = [(chr(c), chr(c).lower()) for c in range(0x20000) if chr(c).lower() != chr(c)]
    pairs.append(("Σ", "ς"))  # Python lowers a word's final sigma to ς
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram case_sensitive 0')")
        db.executemany(
            "INSERT INTO probe(rowid, text) VALUES (?, ?)", [(i, f"<{c}>") for i, (c, _) in enumerate(pairs)]
        )
        unfolded = [
            lower
            for i, (_, lower) in enumerate(pairs)
            if db.execute(
                "SELECT 1 FROM probe WHERE probe MATCH ? AND rowid = ?", (f'"<{lower}>"', i)
            ).fetchone()
            is None
        ]
    letters = frozenset(ch for lower in unfolded for ch in lower if not ch.isascii())
    long = [lower for lower in unfolded if len(lower) > 1]
    prefixes = tuple(lower[:n] for lower in long for n in range(1, len(lower)))
    suffixes = tuple(lower[n:] for lower in long for n in range(1, len(lower)))
    return letters, prefixes, suffixes


def get_expense(
    session: Session, *, scope: MemberScope, expense_id: int, write: bool = False
) -> tuple[Expense, LedgerAccess]:
    """The expense in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, Expense, scope, expense_id, "Expense not found", write=write)


def list_expenses(
    session: Session,
    *,
    access: LedgerAccess,
    filters: ExpenseFilter,
    limit: int,
    offset: int = 0,
    cursor: tuple[date, int] | None = None,
) -> tuple[list[Expense], int, int]:
    """One page, newest first, plus the count and sum of every match."""
    dialect = session.get_bind().dialect.name
    if filters.q:  # text matches cannot be pre-summed
        total, total_cents = session.execute(
            filtered(
                access,
                filters,
                func.count(),
                func.coalesce(func.sum(Expense.amount_cents), 0),
                dialect=dialect,
            )
        ).one()
    else:
        key = category_key(filters.category) if filters.category else None
        total, total_cents = totals.range_total(
            session, access=access, start=filters.start, end=filters.end, category_key=key
        )
    page = filtered(access, filters, dialect=dialect)
    if cursor is not None:
        page = page.where(tuple_(Expense.date, Expense.id) < cursor)
    items = session.scalars(
        page.order_by(Expense.date.desc(), Expense.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), total, int(total_cents)


def _upsert(dialect_insert: Callable[..., Any]) -> Any:
    """Add a delta to a month's row, creating it if needed: one statement, atomic on both backends."""
    columns = ("ledger_id", "month", "category_key", "category", "count", "amount_cents")
    stmt = dialect_insert(MonthlyTotal).values({c: bindparam(c) for c in columns})
    return stmt.on_conflict_do_update(
        index_elements=[MonthlyTotal.ledger_id, MonthlyTotal.month, MonthlyTotal.category_key],
        set_={
            # A row left at count 0 by deletes keeps its old spelling; the next expense renames it,
            # so "Food" deleted and "FOOD" added reads "FOOD", as the list does.
            "category": case((MonthlyTotal.count == 0, stmt.excluded.category), else_=MonthlyTotal.category),
            "count": MonthlyTotal.count + stmt.excluded.count,
            "amount_cents": MonthlyTotal.amount_cents + stmt.excluded.amount_cents,
        },
    )


def _insert_if_absent(dialect_insert: Callable[..., Any]) -> Any:
    # RETURNING names the rows this statement inserted (rowcount is not reliable on every driver).
    return (
        dialect_insert(Expense)
        .on_conflict_do_nothing(index_elements=[Expense.recurring_id, Expense.occurrence_date])
        .returning(Expense.id, Expense.recurring_id, Expense.occurrence_date)
    )


# Built once: the statements are the same for every write, only their parameters change.
_UPSERT_TOTAL = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_INSERT_OCCURRENCE = {
    "postgresql": _insert_if_absent(postgresql.insert),
    "sqlite": _insert_if_absent(sqlite.insert),
}
_PART_COLUMNS = ("expense_id", "user_id", "ledger_id", "shares", "amount_cents", "base_amount_cents")
_COLUMNS = (
    "ledger_id",
    "user_id",
    "paid_by",
    "date",
    "category",
    "category_key",
    "amount_cents",
    "description",
    "recurring_id",
    "occurrence_date",
)


def _count(session: Session, expenses: list[Expense], sign: int) -> None:
    """Add (+1) or take away (-1) expenses from their months' totals: one upsert per month and category."""
    deltas: dict[tuple[int, date, str], list[Any]] = {}
    for expense in expenses:
        key = (expense.ledger_id, expense.date.replace(day=1), expense.category_key)
        delta = deltas.setdefault(key, [expense.category, 0, 0])
        delta[1] += sign
        delta[2] += sign * expense.amount_cents
    params = [
        {
            "ledger_id": ledger_id,
            "month": month,
            "category_key": key,
            "category": category,
            "count": count,
            "amount_cents": cents,
        }
        for (ledger_id, month, key), (category, count, cents) in deltas.items()
    ]
    if params:
        session.execute(_UPSERT_TOTAL[session.get_bind().dialect.name], params)


def add_expenses(
    session: Session, expenses: list[Expense], parts: list[list[Part]] | None = None
) -> list[Expense]:
    """Insert new expenses with their split parts and count them in their months' totals, in the
    caller's transaction.

    The only way rows enter the table. `parts` gives each expense's split; without it, each gets
    its ledger's default (equal shares among its owners and editors). An occurrence of a recurring
    rule that is already there (unique recurring_id and occurrence_date: two workers or requests at
    once) is skipped, and so not counted twice. Returns the expenses inserted.
    """
    if parts is None:
        defaults: dict[int, dict[int, int]] = {}
        for expense in expenses:
            if expense.ledger_id not in defaults:
                defaults[expense.ledger_id] = default_weights(_roles(session, expense.ledger_id))
        parts = [_by_weights(e.amount_cents, defaults[e.ledger_id]) for e in expenses]
    part_of = {id(expense): split for expense, split in zip(expenses, parts, strict=True)}
    plain = [expense for expense in expenses if expense.recurring_id is None]
    if len(plain) == 1:
        session.add(plain[0])  # through the ORM, so the caller's object gets its id and timestamps
        session.flush()
    elif plain:
        # One executemany: an import of 50,000 rows would spend most of its time in the ORM.
        ids = session.scalars(
            insert(Expense).returning(Expense.id, sort_by_parameter_order=True),
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
    _count(session, inserted, +1)
    return inserted


def _write_parts(session: Session, rows: list[tuple[Expense, list[Part]]]) -> None:
    # base_amount equals amount until expenses have currencies of their own.
    parts = [
        ExpenseSplit(
            expense_id=expense.id,
            user_id=user_id,
            ledger_id=expense.ledger_id,
            shares=shares,
            amount_cents=cents,
            base_amount_cents=cents,
        )
        for expense, split in rows
        for user_id, shares, cents in split
    ]
    if parts:
        session.execute(insert(ExpenseSplit), [_part_values(part) for part in parts])
    by_expense: dict[int, list[ExpenseSplit]] = {}
    for part in parts:
        by_expense.setdefault(part.expense_id, []).append(part)
    for expense, _ in rows:
        # The answer shows the parts just written: no query to read them back.
        set_committed_value(expense, "splits", by_expense.get(expense.id, []))


def _part_values(part: ExpenseSplit) -> dict[str, object]:
    return {column: getattr(part, column) for column in _PART_COLUMNS}


def _roles(session: Session, ledger_id: int) -> dict[int, str]:
    """The ledger's members and their roles: one query serves the paid-by check, the split check
    and the default split."""
    rows = session.execute(
        select(LedgerMember.user_id, LedgerMember.role).where(LedgerMember.ledger_id == ledger_id)
    )
    return {row.user_id: row.role for row in rows}


def default_weights(roles: dict[int, str]) -> dict[int, int]:
    """Equal shares among the ledger's owners and editors: who bears an expense nobody split."""
    return {user_id: 1 for user_id, role in roles.items() if role in ("owner", "editor")}


def _by_weights(amount: int, weights: dict[int, int]) -> list[Part]:
    if not weights:  # a ledger left with viewers only: nobody bears it but a named member
        raise Invalid(("body", "split"), "This ledger has no owner or editor to bear it: give a split")
    return [
        (user_id, weights[user_id], cents)
        for user_id, cents in sorted(split_by_weights(amount, weights).items())
    ]


def _check_paid_by(roles: dict[int, str], paid_by: int) -> None:
    if paid_by not in roles:
        raise Invalid(("body", "paid_by"), f"User {paid_by} is not a member of this ledger")


def resolve_split(roles: dict[int, str], amount: int, split: list[SplitIn] | None) -> list[Part]:
    """The parts of `amount` as the body asks (shares or exact amounts), or the ledger's default."""
    if split is None:
        return _by_weights(amount, default_weights(roles))
    seen: set[int] = set()
    for n, part in enumerate(split):
        if part.user_id not in roles:
            raise Invalid(
                ("body", "split", str(n), "user_id"), f"User {part.user_id} is not a member of this ledger"
            )
        if part.user_id in seen:
            raise Invalid(("body", "split", str(n), "user_id"), f"User {part.user_id} is in the split twice")
        seen.add(part.user_id)
    if split[0].shares is not None:
        return _by_weights(amount, {part.user_id: int(part.shares or 0) for part in split})
    exact: list[Part] = sorted((part.user_id, None, int(part.amount or 0)) for part in split)
    given = sum(cents for _, _, cents in exact)
    if given != amount:
        raise Invalid(
            ("body", "split"),
            f"The split amounts add up to {_money(given)}, not the expense's {_money(amount)}: "
            "make them add up, or split by shares",
        )
    return exact


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"  # exact: no float between the cents and the message


def _values(expense: Expense) -> dict[str, object]:
    return {column: getattr(expense, column) for column in _COLUMNS}


def create_expense(session: Session, *, access: LedgerAccess, data: ExpenseIn) -> Expense:
    category, key = canonical_category(session, access=access, category=data.category)
    paid_by = access.user.id if data.paid_by is None else data.paid_by
    roles = _roles(session, access.ledger_id)
    if data.paid_by is not None:
        _check_paid_by(roles, data.paid_by)
    parts = resolve_split(roles, data.amount, data.split)
    expense = Expense(
        ledger_id=access.ledger_id,
        user_id=access.user.id,
        paid_by=paid_by,
        date=data.date,
        category=category,
        category_key=key,
        amount_cents=data.amount,
        description=data.description,
    )
    add_expenses(session, [expense], [parts])
    confirm_access(session, access)  # removed from the ledger meanwhile: 404, nothing written
    session.commit()
    return expense


def update_expense(session: Session, *, scope: MemberScope, expense_id: int, data: ExpenseUpdate) -> Expense:
    expense, access = get_expense(session, scope=scope, expense_id=expense_id, write=True)
    changes = data.model_dump(exclude_unset=True)
    split = changes.pop("split", None)
    # Only a new payer or split needs the members (a new amount keeps the shares it had).
    roles = _roles(session, access.ledger_id) if "paid_by" in changes or split is not None else {}
    if "paid_by" in changes:
        if changes["paid_by"] is None:
            raise Invalid(("body", "paid_by"), "paid_by must be a member's user id")
        _check_paid_by(roles, changes["paid_by"])
    if "amount" in changes or split is not None:
        _resplit(session, roles, expense, changes.get("amount", expense.amount_cents), data.split)
    # Only date, category and amount move the monthly totals; a new description leaves them be.
    counted = bool(changes.keys() & {"date", "category", "amount"})
    if counted:
        _count(session, [expense], -1)
    if "category" in changes:
        expense.category, expense.category_key = canonical_category(
            session, access=access, category=changes.pop("category")
        )
    if "amount" in changes:
        expense.amount_cents = changes.pop("amount")
    for field, value in changes.items():
        setattr(expense, field, value)
    if counted:
        _count(session, [expense], +1)
    session.commit()
    return expense


def _resplit(
    session: Session, roles: dict[int, str], expense: Expense, amount: int, split: list[SplitIn] | None
) -> None:
    """Recompute the parts for a new amount or split: a new amount keeps the shares it had."""
    if split is None:
        current = session.execute(
            select(ExpenseSplit.user_id, ExpenseSplit.shares).where(ExpenseSplit.expense_id == expense.id)
        ).all()
        if any(shares is None for _, shares in current):
            raise Invalid(("body", "split"), "This expense is split by exact amounts: send the new split too")
        parts = _by_weights(amount, {user_id: shares or 0 for user_id, shares in current})
    else:
        parts = resolve_split(roles, amount, split)
    session.execute(delete(ExpenseSplit).where(ExpenseSplit.expense_id == expense.id))
    _write_parts(session, [(expense, parts)])
    session.expire(expense, ["splits"])


def delete_expense(session: Session, *, scope: MemberScope, expense_id: int) -> None:
    expense, _ = get_expense(session, scope=scope, expense_id=expense_id, write=True)
    _count(session, [expense], -1)
    session.delete(expense)  # its split parts go with it (ON DELETE CASCADE)
    session.commit()
