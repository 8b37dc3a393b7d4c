"""Expenses: the API's reads and writes, and the one writer every other path (import, recurring) uses.

`add_expenses`, `update_expense` and `delete_expense` are the only code that changes the table, and
they keep `monthly_totals` in step in the same transaction, so the two never drift.
"""

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, String, bindparam, case, func, insert, or_, tuple_, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.database import UNICODE_LOWER
from app.models import Expense, MonthlyTotal, User
from app.schemas import ExpenseIn, ExpenseUpdate
from app.services import one_by_id, owned_expenses, totals
from app.services.categories import canonical_category
from app.types import category_key

EXPORT_BATCH = 1000
# A cell starting with one of these is run as a formula by spreadsheets: export prefixes it with '.
FORMULA_START = frozenset("=+-@\t\r")


@dataclass(frozen=True)
class ExpenseFilter:
    start: date | None = None
    end: date | None = None
    category: str | None = None
    q: str | None = None


def _filtered(user: User, f: ExpenseFilter, *columns: Any, dialect: str) -> Select[Any]:
    stmt = owned_expenses(user, *columns)
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
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect == "sqlite" and not q.isascii():
        # SQLite's LIKE folds ASCII only: for other letters lower both sides in Python (app.database).
        # Only then: a Python call per row makes a search about 6 times slower (280 ms for 200k rows).
        lower = getattr(func, UNICODE_LOWER)
        return or_(
            lower(Expense.description).like(pattern.lower(), escape="\\"),
            lower(Expense.category).like(pattern.lower(), escape="\\"),
        )
    return or_(Expense.description.ilike(pattern, escape="\\"), Expense.category.ilike(pattern, escape="\\"))


def get_expense(session: Session, *, user: User, expense_id: int) -> Expense:
    return one_by_id(session, owned_expenses(user), Expense.id, expense_id, "Expense not found")


def list_expenses(
    session: Session,
    *,
    user: User,
    filters: ExpenseFilter,
    limit: int,
    offset: int = 0,
    cursor: tuple[date, int] | None = None,
) -> tuple[list[Expense], int, int]:
    """One page, newest first, plus the count and sum of every match."""
    dialect = session.get_bind().dialect.name
    if filters.q:  # text matches cannot be pre-summed
        total, total_cents = session.execute(
            _filtered(
                user, filters, func.count(), func.coalesce(func.sum(Expense.amount_cents), 0), dialect=dialect
            )
        ).one()
    else:
        key = category_key(filters.category) if filters.category else None
        total, total_cents = totals.range_total(
            session, user=user, start=filters.start, end=filters.end, category_key=key
        )
    page = _filtered(user, filters, dialect=dialect)
    if cursor is not None:
        page = page.where(tuple_(Expense.date, Expense.id) < cursor)
    items = session.scalars(
        page.order_by(Expense.date.desc(), Expense.id.desc()).limit(limit).offset(offset)
    ).all()
    return list(items), total, int(total_cents)


def _upsert(dialect_insert: Callable[..., Any]) -> Any:
    """Add a delta to a month's row, creating it if needed: one statement, atomic on both backends."""
    columns = ("user_id", "month", "category_key", "category", "count", "amount_cents")
    stmt = dialect_insert(MonthlyTotal).values({c: bindparam(c) for c in columns})
    return stmt.on_conflict_do_update(
        index_elements=[MonthlyTotal.user_id, MonthlyTotal.month, MonthlyTotal.category_key],
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
        .returning(Expense.recurring_id, Expense.occurrence_date)
    )


# Built once: the statements are the same for every write, only their parameters change.
_UPSERT_TOTAL = {"postgresql": _upsert(postgresql.insert), "sqlite": _upsert(sqlite.insert)}
_INSERT_OCCURRENCE = {
    "postgresql": _insert_if_absent(postgresql.insert),
    "sqlite": _insert_if_absent(sqlite.insert),
}
_COLUMNS = (
    "user_id",
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
        key = (expense.user_id, expense.date.replace(day=1), expense.category_key)
        delta = deltas.setdefault(key, [expense.category, 0, 0])
        delta[1] += sign
        delta[2] += sign * expense.amount_cents
    params = [
        {
            "user_id": user_id,
            "month": month,
            "category_key": key,
            "category": category,
            "count": count,
            "amount_cents": cents,
        }
        for (user_id, month, key), (category, count, cents) in deltas.items()
    ]
    if params:
        session.execute(_UPSERT_TOTAL[session.get_bind().dialect.name], params)


def add_expenses(session: Session, expenses: list[Expense]) -> list[Expense]:
    """Insert new expenses and count them in their months' totals, in the caller's transaction.

    The only way rows enter the table. An occurrence of a recurring rule that is already there
    (unique recurring_id and occurrence_date: two workers or requests at once) is skipped, and so
    not counted twice. Returns the expenses inserted.
    """
    plain = [expense for expense in expenses if expense.recurring_id is None]
    if len(plain) == 1:
        session.add(plain[0])  # through the ORM, so the caller's object gets its id and timestamps
    elif plain:
        # One executemany: an import of 50,000 rows would spend most of its time in the ORM.
        session.execute(insert(Expense), [_values(expense) for expense in plain])
    occurrences = [expense for expense in expenses if expense.recurring_id is not None]
    if occurrences:
        # One multi-row statement: a rule started years ago back-fills thousands of occurrences.
        insert_occurrences = _INSERT_OCCURRENCE[session.get_bind().dialect.name]
        rows = session.execute(insert_occurrences, [_values(expense) for expense in occurrences])
        new = {(row.recurring_id, row.occurrence_date) for row in rows}
        occurrences = [e for e in occurrences if (e.recurring_id, e.occurrence_date) in new]
    inserted = plain + occurrences
    _count(session, inserted, +1)
    return inserted


def _values(expense: Expense) -> dict[str, object]:
    return {column: getattr(expense, column) for column in _COLUMNS}


def create_expense(session: Session, *, user: User, data: ExpenseIn) -> Expense:
    category, key = canonical_category(session, user=user, category=data.category)
    expense = Expense(
        user_id=user.id,
        date=data.date,
        category=category,
        category_key=key,
        amount_cents=data.amount,
        description=data.description,
    )
    add_expenses(session, [expense])
    session.commit()
    return expense


def update_expense(session: Session, *, user: User, expense_id: int, data: ExpenseUpdate) -> Expense:
    expense = get_expense(session, user=user, expense_id=expense_id)
    changes = data.model_dump(exclude_unset=True)
    # Only date, category and amount move the monthly totals; a new description leaves them be.
    counted = bool(changes.keys() & {"date", "category", "amount"})
    if counted:
        _count(session, [expense], -1)
    if "category" in changes:
        expense.category, expense.category_key = canonical_category(
            session, user=user, category=changes.pop("category")
        )
    if "amount" in changes:
        expense.amount_cents = changes.pop("amount")
    for field, value in changes.items():
        setattr(expense, field, value)
    if counted:
        _count(session, [expense], +1)
    session.commit()
    return expense


def delete_expense(session: Session, *, user: User, expense_id: int) -> None:
    expense = get_expense(session, user=user, expense_id=expense_id)
    _count(session, [expense], -1)
    session.delete(expense)
    session.commit()


def export_csv(session: Session, *, user: User, filters: ExpenseFilter) -> Iterator[str]:
    """CSV text in chunks, read in batches, so memory stays flat however many rows there are."""
    # The date as the driver hands it over (text on SQLite): parsing 100k dates only to print them
    # again would double the time of an export.
    columns = (type_coerce(Expense.date, String), Expense.category, Expense.amount_cents, Expense.description)
    stmt = _filtered(user, filters, *columns, dialect=session.get_bind().dialect.name).order_by(
        Expense.date.desc(), Expense.id.desc()
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["date", "category", "amount", "description"])
    # A connection of its own: the request's session is closed before the body finishes streaming.
    with session.get_bind().engine.connect() as connection:
        for partition in connection.execution_options(yield_per=EXPORT_BATCH).execute(stmt).partitions():
            # Written inline rather than through helper calls: this loop runs once per exported row.
            writer.writerows(
                [
                    (
                        str(day),
                        "'" + category if category[:1] in FORMULA_START else category,
                        f"{cents // 100}.{cents % 100:02d}",
                        "'" + description if description[:1] in FORMULA_START else description,
                    )
                    for day, category, cents, description in partition
                ]
            )
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_filename(filters: ExpenseFilter) -> str:
    if filters.start and filters.end:
        span = f"{filters.start.isoformat()}-to-{filters.end.isoformat()}"
    elif filters.start:
        span = f"from-{filters.start.isoformat()}"
    elif filters.end:
        span = f"until-{filters.end.isoformat()}"
    else:
        span = "all"
    return f"expenses-{span}.csv"
