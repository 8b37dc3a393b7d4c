"""Sums over date ranges that stay fast however long the history: whole months come from
`monthly_totals`, the partial months at either end from `expenses` itself.

Every write to `expenses` goes through `record` in the same transaction, so the two never drift.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import Expense, MonthlyTotal, User


@dataclass(frozen=True)
class Cell:
    """Spending of one category in one month (within the range asked for)."""

    month: date
    category_key: str
    category: str
    count: int
    cents: int


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def record(session: Session, *, expense: Expense, sign: int) -> None:
    """Add (+1) or take away (-1) one expense from its month's totals."""
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = dialect_insert(MonthlyTotal).values(
        user_id=expense.user_id,
        month=expense.date.replace(day=1),
        category_key=expense.category_key,
        category=expense.category,
        count=sign,
        amount_cents=sign * expense.amount_cents,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[MonthlyTotal.user_id, MonthlyTotal.month, MonthlyTotal.category_key],
        set_={
            "count": MonthlyTotal.count + stmt.excluded.count,
            "amount_cents": MonthlyTotal.amount_cents + stmt.excluded.amount_cents,
        },
    )
    session.execute(stmt)


def _split(
    start: date | None, end: date | None
) -> tuple[tuple[date | None, date | None] | None, list[tuple[date, date]]]:
    """[start, end] as whole months (first days; None = unbounded), if any, and partial months."""
    partial = []
    first, last = start, end
    if start is not None and start.day != 1:
        partial.append((start, min(month_end(start), end) if end is not None else month_end(start)))
        first = month_end(start) + timedelta(days=1)
    if end is not None and end != month_end(end):
        lower = end.replace(day=1) if start is None else max(end.replace(day=1), start)
        if (lower, end) not in partial:
            partial.append((lower, end))
        last = end.replace(day=1) - timedelta(days=1)
    if first is not None and last is not None and first > last:
        return None, partial
    return (first, None if last is None else last.replace(day=1)), partial


def monthly_cells(
    session: Session, *, user: User, start: date | None, end: date | None, category_key: str | None = None
) -> list[Cell]:
    """Spending per month and category between start and end (inclusive; None = unbounded)."""
    whole, partial = _split(start, end)
    cells: list[Cell] = []
    if whole is not None:
        stmt = select(
            MonthlyTotal.month,
            MonthlyTotal.category_key,
            MonthlyTotal.category,
            MonthlyTotal.count,
            MonthlyTotal.amount_cents,
        ).where(MonthlyTotal.user_id == user.id, MonthlyTotal.count > 0)
        if whole[0] is not None:
            stmt = stmt.where(MonthlyTotal.month >= whole[0])
        if whole[1] is not None:
            stmt = stmt.where(MonthlyTotal.month <= whole[1])
        if category_key is not None:
            stmt = stmt.where(MonthlyTotal.category_key == category_key)
        cells.extend(Cell(*row) for row in session.execute(stmt))
    for lower, upper in partial:
        raw = (
            select(
                Expense.category_key, func.min(Expense.category), func.count(), func.sum(Expense.amount_cents)
            )
            .where(Expense.user_id == user.id, Expense.date >= lower, Expense.date <= upper)
            .group_by(Expense.category_key)
        )
        if category_key is not None:
            raw = raw.where(Expense.category_key == category_key)
        month = lower.replace(day=1)
        cells.extend(Cell(month, key, name, n, int(cents)) for key, name, n, cents in session.execute(raw))
    return cells
