"""The summary and the charts: sums from SQL (app.services.totals), folded per bucket in Python."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Date, String, bindparam, type_coerce
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.errors import Invalid
from app.models import Budget, DailyTotal
from app.services import in_ledger, scoped
from app.services.totals import Cell, month_end, monthly_cells
from app.types import Status

MAX_BUCKETS = 3700
# The day as the driver hands it over (text on SQLite, read by date.fromisoformat below): the
# type's own parsing of 366 days cost a tenth of a year's stats.
_DAYS = scoped(DailyTotal, type_coerce(DailyTotal.day, String), DailyTotal.amount_minor).where(
    DailyTotal.day >= bindparam("start", type_=Date),
    DailyTotal.day <= bindparam("end", type_=Date),
    DailyTotal.count > 0,
)


@dataclass(frozen=True)
class CategoryLine:
    category: str
    budget_id: int | None
    budget: int | None
    spent: int
    remaining: int | None
    percent: Decimal | None
    status: Status


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    total_budget: int
    total_spent: int
    budgeted_spent: int  # in budgeted categories only: what uses up the budgets
    categories: list[CategoryLine]


def percent_of(spent: int, budget: int) -> Decimal:
    """spent / budget * 100, rounded half-up to one decimal, exactly."""
    return (Decimal(spent) * 100 / Decimal(budget)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def status_for(percent: Decimal) -> Status:
    if percent >= 100:
        return "over"
    return "warning" if percent >= 80 else "ok"


def by_category(cells: list[Cell]) -> dict[str, tuple[str, int]]:
    """Category key -> (name as first written, cents), over every month of the cells."""
    found: dict[str, tuple[str, int]] = {}
    for cell in cells:
        name, cents = found.get(cell.category_key, (cell.category, 0))
        found[cell.category_key] = (name, cents + cell.cents)
    return found


_BUDGETS = scoped(Budget, Budget.id, Budget.category_key, Budget.category, Budget.amount_minor)


def monthly_summary(session: Session, *, access: LedgerAccess, month: date) -> Summary:
    start, end = month, month_end(month)
    spent = by_category(monthly_cells(session, access=access, start=start, end=end))
    budgets = session.connection().execute(_BUDGETS, in_ledger(access)).all()
    lines = []
    for budget_id, key, name, budget in budgets:
        cents = spent.pop(key, (name, 0))[1]
        percent = percent_of(cents, budget)
        lines.append(
            CategoryLine(name, budget_id, budget, cents, budget - cents, percent, status_for(percent))
        )
    for name, cents in spent.values():
        lines.append(CategoryLine(name, None, None, cents, None, None, "unbudgeted"))
    lines.sort(key=lambda line: (-line.spent, line.category.casefold()))
    return Summary(
        start=start,
        end=end,
        total_budget=sum(b for _, _, _, b in budgets),
        total_spent=sum(line.spent for line in lines),
        budgeted_spent=sum(line.spent for line in lines if line.budget is not None),
        categories=lines,
    )


@dataclass(frozen=True)
class Stats:
    total: int
    count: int
    by_category: list[tuple[str, int]]
    trend: list[tuple[date, int]]


def bucket_start(day: date, granularity: str, week_start: int = 0) -> date:
    """`week_start`: the weekday weeks start on, as date.weekday() counts (0 Monday, as ISO weeks)."""
    if granularity == "week":
        return day - timedelta(days=(day.weekday() - week_start) % 7)
    if granularity == "month":
        return day.replace(day=1)
    return day


def _buckets(start: date, end: date, granularity: str, week_start: int) -> list[date]:
    """The first day of every bucket from start's to end's."""
    first = bucket_start(start, granularity, week_start)
    count = bucket_count(start, end, granularity, week_start)
    if granularity == "month":
        months = first.year * 12 + first.month - 1
        return [date((months + n) // 12, (months + n) % 12 + 1, 1) for n in range(count)]
    step = timedelta(days=7 if granularity == "week" else 1)
    return [first + step * n for n in range(count)]


def bucket_count(start: date, end: date, granularity: str, week_start: int = 0) -> int:
    first, last = bucket_start(start, granularity, week_start), bucket_start(end, granularity, week_start)
    if granularity == "week":
        return (last - first).days // 7 + 1
    if granularity == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def spending_stats(
    session: Session, *, access: LedgerAccess, start: date, end: date, granularity: str, week_start: int = 0
) -> Stats:
    if bucket_count(start, end, granularity, week_start) > MAX_BUCKETS:
        too_many = f"That range spans more than {MAX_BUCKETS} {granularity}s"
        raise Invalid(("query", "end"), f"{too_many}: pick a shorter range or longer buckets.")
    cells = monthly_cells(session, access=access, start=start, end=end)
    per_bucket: dict[date, int] = {}
    if granularity == "month":
        for cell in cells:
            per_bucket[cell.month] = per_bucket.get(cell.month, 0) + cell.cents
    else:
        # A row a day from daily_totals, on the session's connection: rows, not ORM results.
        days = session.connection().execute(_DAYS, in_ledger(access, start=start, end=end)).all()
        for day, cents in days:
            when = day if isinstance(day, date) else date.fromisoformat(day)  # SQLite's rows hold text
            key = bucket_start(when, granularity, week_start)
            per_bucket[key] = per_bucket.get(key, 0) + cents
    trend = [(bucket, per_bucket.get(bucket, 0)) for bucket in _buckets(start, end, granularity, week_start)]
    categories = sorted(by_category(cells).values(), key=lambda item: (-item[1], item[0].casefold()))
    return Stats(
        total=sum(cell.cents for cell in cells),
        count=sum(cell.count for cell in cells),
        by_category=categories,
        trend=trend,
    )
