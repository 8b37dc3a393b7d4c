"""Aggregates for the summary and the charts: summed in SQL, folded per bucket in Python."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.errors import AppError
from app.models import Budget, Expense, User
from app.schemas import Status

MAX_BUCKETS = 3700


@dataclass(frozen=True)
class CategoryLine:
    category: str
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
    categories: list[CategoryLine]


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def percent_of(spent: int, budget: int) -> Decimal:
    """spent / budget * 100, rounded half-up to one decimal, exactly."""
    return (Decimal(spent) * 100 / Decimal(budget)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def status_for(percent: Decimal) -> Status:
    if percent >= 100:
        return "over"
    return "warning" if percent >= 80 else "ok"


def _in_range(user: User, start: date, end: date) -> tuple[ColumnElement[bool], ...]:
    return (Expense.user_id == user.id, Expense.date >= start, Expense.date <= end)


def monthly_summary(session: Session, *, user: User, month: date) -> Summary:
    start, end = month, month_end(month)
    spent = {
        key: (name, cents)
        for key, name, cents in session.execute(
            select(Expense.category_key, func.min(Expense.category), func.sum(Expense.amount_cents))
            .where(*_in_range(user, start, end))
            .group_by(Expense.category_key)
        )
    }
    budgets = session.execute(
        select(Budget.category_key, Budget.category, Budget.amount_cents).where(Budget.user_id == user.id)
    ).all()
    lines = []
    for key, name, budget in budgets:
        cents = int(spent.pop(key, (name, 0))[1])
        percent = percent_of(cents, budget)
        lines.append(CategoryLine(name, budget, cents, budget - cents, percent, status_for(percent)))
    for name, cents in spent.values():
        lines.append(CategoryLine(name, None, int(cents), None, None, "unbudgeted"))
    lines.sort(key=lambda line: (-line.spent, line.category.casefold()))
    return Summary(
        start=start,
        end=end,
        total_budget=sum(b for _, _, b in budgets),
        total_spent=sum(line.spent for line in lines),
        categories=lines,
    )


@dataclass(frozen=True)
class Stats:
    total: int
    count: int
    by_category: list[tuple[str, int]]
    trend: list[tuple[date, int]]


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())  # ISO weeks start on Monday
    if granularity == "month":
        return day.replace(day=1)
    return day


def next_bucket(start: date, granularity: str) -> date:
    if granularity == "week":
        return start + timedelta(days=7)
    if granularity == "month":
        return (start + timedelta(days=32)).replace(day=1)
    return start + timedelta(days=1)


def bucket_count(start: date, end: date, granularity: str) -> int:
    first, last = bucket_start(start, granularity), bucket_start(end, granularity)
    if granularity == "week":
        return (last - first).days // 7 + 1
    if granularity == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return (last - first).days + 1


def spending_stats(session: Session, *, user: User, start: date, end: date, granularity: str) -> Stats:
    if bucket_count(start, end, granularity) > MAX_BUCKETS:
        too_many = f"That range spans more than {MAX_BUCKETS} {granularity}s"
        raise AppError(422, f"{too_many}: pick a shorter range or longer buckets.")
    in_range = _in_range(user, start, end)
    total, count = session.execute(
        select(func.coalesce(func.sum(Expense.amount_cents), 0), func.count()).where(*in_range)
    ).one()
    by_category = session.execute(
        select(func.min(Expense.category), func.sum(Expense.amount_cents).label("amount"))
        .where(*in_range)
        .group_by(Expense.category_key)
        .order_by(func.sum(Expense.amount_cents).desc(), func.min(Expense.category))
    ).all()
    per_bucket: dict[date, int] = {}
    for day, cents in session.execute(
        select(Expense.date, func.sum(Expense.amount_cents)).where(*in_range).group_by(Expense.date)
    ):
        key = bucket_start(day, granularity)
        per_bucket[key] = per_bucket.get(key, 0) + int(cents)
    trend = []
    bucket = bucket_start(start, granularity)
    while bucket <= end:
        trend.append((bucket, per_bucket.get(bucket, 0)))
        bucket = next_bucket(bucket, granularity)
    return Stats(
        total=int(total),
        count=count,
        by_category=[(name, int(cents)) for name, cents in by_category],
        trend=trend,
    )
