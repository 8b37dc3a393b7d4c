"""Sums over date ranges that stay fast however long the history and however many expenses a day:
whole months come from `monthly_totals`, the partial months at either end from
`daily_category_totals` (or `daily_totals` without a category); a trend by day or week from
`daily_totals`.

The writers of `expenses` (app.services.expenses) keep the three tables in step in the same
transaction (through `add` and `move_category` here), so they never drift; the rest of this module
reads them, or rebuilds them after a bulk load.
"""

import calendar
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.models import DailyCategoryTotal, DailyTotal, Expense, MonthlyTotal
from app.services import in_ledger, scoped


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


def rebuild(connection: Connection) -> None:
    """Recompute every monthly and daily total from the expenses, after a bulk load that bypassed
    the writers."""
    if connection.dialect.name == "sqlite":
        month: ColumnElement[date] = func.date(Expense.date, "start of month")
    else:
        month = cast(func.date_trunc("month", Expense.date), Date)
    columns = [Expense.ledger_id, month, Expense.category_key, func.min(Expense.category), func.count()]
    totals = select(*columns, func.sum(Expense.base_amount_minor)).group_by(
        Expense.ledger_id, month, Expense.category_key
    )
    connection.execute(delete(MonthlyTotal))
    names = ["ledger_id", "month", "category_key", "category", "count", "amount_minor"]
    connection.execute(insert(MonthlyTotal).from_select(names, totals))
    days = select(Expense.ledger_id, Expense.date, func.count(), func.sum(Expense.base_amount_minor))
    connection.execute(delete(DailyTotal))
    connection.execute(
        insert(DailyTotal).from_select(
            ["ledger_id", "day", "count", "amount_minor"], days.group_by(Expense.ledger_id, Expense.date)
        )
    )
    per_category = (Expense.ledger_id, Expense.date, Expense.category_key)
    day_categories = select(*per_category, func.count(), func.sum(Expense.base_amount_minor))
    connection.execute(delete(DailyCategoryTotal))
    connection.execute(
        insert(DailyCategoryTotal).from_select(
            ["ledger_id", "day", "category_key", "count", "amount_minor"],
            day_categories.group_by(*per_category),
        )
    )


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


# The conditions of the statements built once below: each value sent is a parameter of that name
# (a missing one fails the query); a bound left out is unbounded.
def _whole_months(first: bool, last: bool, key: bool) -> list[ColumnElement[bool]]:
    where = [MonthlyTotal.count > 0]
    if first:
        where.append(MonthlyTotal.month >= bindparam("first", type_=Date))
    if last:
        where.append(MonthlyTotal.month <= bindparam("last", type_=Date))
    if key:
        where.append(MonthlyTotal.category_key == bindparam("key", type_=String))
    return where


def _days(key: bool) -> list[ColumnElement[bool]]:
    day = DailyCategoryTotal.day
    where = [day >= bindparam("lower", type_=Date), day <= bindparam("upper", type_=Date)]
    if key:
        where.append(DailyCategoryTotal.category_key == bindparam("key", type_=String))
    return where


def monthly_cells(
    session: Session,
    *,
    access: LedgerAccess,
    start: date | None,
    end: date | None,
    category_key: str | None = None,
) -> list[Cell]:
    """Spending per month and category between start and end (inclusive; None = unbounded)."""
    whole, partial = _split(start, end)
    cells: list[Cell] = []
    params = in_ledger(access, key=category_key)
    # Reads of columns on the session's connection: none of the ORM's result machinery.
    db = session.connection()
    if whole is not None:
        first, last = whole
        stmt = _whole_cells(first is not None, last is not None, category_key is not None)
        cells.extend(Cell(*row) for row in db.execute(stmt, params | {"first": first, "last": last}).all())
    for lower, upper in partial:
        month = lower.replace(day=1)
        raw = _days_cells(category_key is not None)
        # Names from the month's totals, which hold every category spent in that month.
        names: dict[str, str] = dict(db.execute(_MONTH_NAMES, params | {"month": month}).all())
        rows = db.execute(raw, params | {"lower": lower, "upper": upper}).all()
        cells.extend(Cell(month, key, names[key], n, int(cents)) for key, n, cents in rows)
    return cells


def range_total(
    session: Session,
    *,
    access: LedgerAccess,
    start: date | None,
    end: date | None,
    category_key: str | None = None,
) -> tuple[int, int]:
    """How many expenses and how many cents between start and end, summed in SQL."""
    whole, partial = _split(start, end)
    count, cents = 0, 0
    params = in_ledger(access, key=category_key)
    db = session.connection()
    if whole is not None:
        first, last = whole
        stmt = _whole_sum(first is not None, last is not None, category_key is not None)
        n, total = db.execute(stmt, params | {"first": first, "last": last}).one()
        count, cents = count + (n or 0), cents + (total or 0)
    for lower, upper in partial:
        # Without a category, a day's totals: a row a day however many expenses a day holds.
        stmt = _DAILY_SUM if category_key is None else _days_sum(True)
        n, total = db.execute(stmt, params | {"lower": lower, "upper": upper}).one()
        count, cents = count + (n or 0), cents + (total or 0)
    return int(count), int(cents)


# range_total's and monthly_cells' statements are built once per shape: building them per request
# cost SQLAlchemy more than the answer.
@cache
def _whole_sum(first: bool, last: bool, key: bool) -> Select[int, int]:
    sums = scoped(MonthlyTotal, func.sum(MonthlyTotal.count), func.sum(MonthlyTotal.amount_minor))
    return sums.where(*_whole_months(first, last, key))


@cache
def _days_sum(key: bool) -> Select[int, int]:
    sums = (func.sum(DailyCategoryTotal.count), func.sum(DailyCategoryTotal.amount_minor))
    return scoped(DailyCategoryTotal, *sums).where(*_days(key))


_DAILY_SUM = scoped(DailyTotal, func.sum(DailyTotal.count), func.sum(DailyTotal.amount_minor)).where(
    DailyTotal.day >= bindparam("lower", type_=Date), DailyTotal.day <= bindparam("upper", type_=Date)
)


@cache
def _whole_cells(first: bool, last: bool, key: bool) -> Select[date, str, str, int, int]:
    columns = (MonthlyTotal.month, MonthlyTotal.category_key, MonthlyTotal.category, MonthlyTotal.count)
    return scoped(MonthlyTotal, *columns, MonthlyTotal.amount_minor).where(*_whole_months(first, last, key))


@cache
def _days_cells(key: bool) -> Select[str, int, int]:
    count = func.sum(DailyCategoryTotal.count)
    sums = scoped(
        DailyCategoryTotal, DailyCategoryTotal.category_key, count, func.sum(DailyCategoryTotal.amount_minor)
    )
    # A category whose expenses of those days were all deleted keeps rows at 0: not spent in them.
    return sums.where(*_days(key)).group_by(DailyCategoryTotal.category_key).having(count > 0)


_MONTH_NAMES = scoped(MonthlyTotal, MonthlyTotal.category_key, MonthlyTotal.category).where(
    MonthlyTotal.month == bindparam("month", type_=Date)
)


@dataclass(frozen=True)
class _Upsert:
    """Add rows of deltas to a totals table, creating the rows it lacks: one statement per dialect.

    SQLite takes the rows as an executemany. PostgreSQL takes them as one array per column, in one
    statement over `unnest`: an import's tens of thousands of day-and-category deltas as one
    statement, not as many pipelined (bench/RESULTS.md, session 11)."""

    columns: tuple[str, ...]
    statements: dict[str, Any]

    def __call__(self, session: Session, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            session.execute(self.statements[dialect], {c: [row[c] for row in rows] for c in self.columns})
        else:
            session.execute(self.statements[dialect], rows)


def _upsert(table: Any, conflict: list[Any], set_: Callable[[Any], dict[str, Any]]) -> _Upsert:
    """The upsert of rows into `table` (its columns by key), adding to the row of the same `conflict`
    columns what `set_(excluded)` says."""
    columns = tuple(c.key for c in table.columns)
    rows = sqlite.insert(table).values({c: bindparam(c) for c in columns})
    arrays = [bindparam(c.key, type_=postgresql.ARRAY(c.type)) for c in table.columns]
    unnested = postgresql.insert(table).from_select(
        list(columns), select(func.unnest(*arrays).table_valued(*columns).render_derived())
    )
    return _Upsert(
        columns,
        {
            dialect: stmt.on_conflict_do_update(index_elements=conflict, set_=set_(stmt.excluded))
            for dialect, stmt in (("sqlite", rows), ("postgresql", unnested))
        },
    )


# Built once: the statements are the same for every write, only their parameters change.
# (The tables, not the classes: the ORM's bulk path costs more than the upsert itself.)
_UPSERT_TOTAL = _upsert(
    MonthlyTotal.__table__,
    [MonthlyTotal.ledger_id, MonthlyTotal.month, MonthlyTotal.category_key],
    lambda excluded: {
        # A row left at count 0 by deletes keeps its old spelling; the next expense renames it,
        # so "Food" deleted and "FOOD" added reads "FOOD", as the list does.
        "category": case((MonthlyTotal.count == 0, excluded.category), else_=MonthlyTotal.category),
        "count": MonthlyTotal.count + excluded.count,
        "amount_minor": MonthlyTotal.amount_minor + excluded.amount_minor,
    },
)
_UPSERT_DAY = _upsert(
    DailyTotal.__table__,
    [DailyTotal.ledger_id, DailyTotal.day],
    lambda excluded: {
        "count": DailyTotal.count + excluded.count,
        "amount_minor": DailyTotal.amount_minor + excluded.amount_minor,
    },
)
_UPSERT_DAY_CATEGORY = _upsert(
    DailyCategoryTotal.__table__,
    [DailyCategoryTotal.ledger_id, DailyCategoryTotal.day, DailyCategoryTotal.category_key],
    lambda excluded: {
        "count": DailyCategoryTotal.count + excluded.count,
        "amount_minor": DailyCategoryTotal.amount_minor + excluded.amount_minor,
    },
)


class Counted(Protocol):
    """What the totals count of an expense (an Expense, or the writer's plain rows)."""

    @property
    def ledger_id(self) -> int: ...
    @property
    def date(self) -> date: ...
    @property
    def category(self) -> str: ...
    @property
    def category_key(self) -> str: ...
    @property
    def base_amount_minor(self) -> int | None: ...


def add(session: Session, expenses: Sequence[Counted], sign: int) -> None:
    """Add (sign +1) or take away (-1) expenses to their totals: one upsert per month and category,
    one per day, and one per day and category."""
    deltas: dict[tuple[int, date, str], list[Any]] = {}
    days: dict[tuple[int, date], list[int]] = {}
    day_categories: dict[tuple[int, date, str], list[int]] = {}
    for expense in expenses:
        key = (expense.ledger_id, expense.date.replace(day=1), expense.category_key)
        delta = deltas.setdefault(key, [expense.category, 0, 0])
        delta[1] += sign
        delta[2] += sign * (expense.base_amount_minor or 0)  # (priced by then: never None)
        for sums in (
            days.setdefault((expense.ledger_id, expense.date), [0, 0]),
            day_categories.setdefault((expense.ledger_id, expense.date, expense.category_key), [0, 0]),
        ):
            sums[0] += sign
            sums[1] += sign * (expense.base_amount_minor or 0)
    params = [
        {
            "ledger_id": ledger_id,
            "month": month,
            "category_key": key,
            "category": category,
            "count": n,
            "amount_minor": cents,
        }
        for (ledger_id, month, key), (category, n, cents) in deltas.items()
    ]
    _UPSERT_TOTAL(session, params)
    daily = [
        {"ledger_id": ledger_id, "day": day, "count": n, "amount_minor": cents}
        for (ledger_id, day), (n, cents) in days.items()
    ]
    _UPSERT_DAY(session, daily)
    by_category = [
        {"ledger_id": ledger_id, "day": day, "category_key": key, "count": n, "amount_minor": cents}
        for (ledger_id, day, key), (n, cents) in day_categories.items()
    ]
    _UPSERT_DAY_CATEGORY(session, by_category)


def move_category(session: Session, *, ledger_id: int, old_key: str, new_key: str, name: str) -> None:
    """Move a category's monthly and daily totals to `new_key`, added to that category's where it
    has some, and spell its monthly rows `name`: the part of a rename or merge
    (app.services.expenses.move_category) that keeps the totals in step. `daily_totals` knows no
    category, so it stays as it is."""
    mine = (MonthlyTotal.ledger_id == ledger_id,)
    if old_key != new_key:
        _move_days(session, ledger_id=ledger_id, old_key=old_key, new_key=new_key)
        moved = session.execute(
            delete(MonthlyTotal)
            .where(*mine, MonthlyTotal.category_key == old_key)
            .returning(MonthlyTotal.month, MonthlyTotal.count, MonthlyTotal.amount_minor)
            .execution_options(synchronize_session=False)
        ).all()
        if moved:
            rows = [
                {
                    "ledger_id": ledger_id,
                    "month": month,
                    "category_key": new_key,
                    "category": name,
                    "count": n,
                    "amount_minor": cents,
                }
                for month, n, cents in moved
            ]
            _UPSERT_TOTAL(session, rows)
    session.execute(
        update(MonthlyTotal)
        .where(*mine, MonthlyTotal.category_key == new_key)
        .values(category=name)
        .execution_options(synchronize_session=False)
    )


def _move_days(session: Session, *, ledger_id: int, old_key: str, new_key: str) -> None:
    table = DailyCategoryTotal
    moved = session.execute(
        delete(table)
        .where(table.ledger_id == ledger_id, table.category_key == old_key)
        .returning(table.day, table.count, table.amount_minor)
        .execution_options(synchronize_session=False)
    ).all()
    if moved:
        rows = [
            {"ledger_id": ledger_id, "day": day, "category_key": new_key, "count": n, "amount_minor": cents}
            for day, n, cents in moved
        ]
        _UPSERT_DAY_CATEGORY(session, rows)
