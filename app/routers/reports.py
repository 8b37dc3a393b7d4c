from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth import Reader, get_ledger_access
from app.errors import Invalid
from app.money import to_number
from app.revalidation import REVALIDATED, TAG_HEADERS, revalidated
from app.routers import IN_LEDGER, SessionDep, Today
from app.schemas.reports import (
    WEEKDAYS,
    CategoryOut,
    Granularity,
    StatsOut,
    SummaryCategory,
    SummaryOut,
    Weekday,
)
from app.services import categories, reports
from app.types import Day, Month

router = APIRouter(tags=["reports"], dependencies=[Depends(get_ledger_access)])


@router.get(
    "/summary",
    response_model=SummaryOut,
    responses={**IN_LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def read_summary(
    session: SessionDep,
    access: Reader,
    request: Request,
    today: Today,
    month: Annotated[Month | None, Query(description="YYYY-MM; default: the current month")] = None,
) -> Response:
    """Budget against spending, per category, for one month."""
    first = month or today.replace(day=1)

    def summary_out() -> SummaryOut:
        summary = reports.monthly_summary(session, access=access, month=first)
        currency = access.currency
        return SummaryOut(
            month=first.strftime("%Y-%m"),
            start=summary.start,
            end=summary.end,
            total_budget=to_number(summary.total_budget, currency),
            total_spent=to_number(summary.total_spent, currency),
            total_remaining=to_number(summary.total_budget - summary.total_spent, currency),
            budgeted_spent=to_number(summary.budgeted_spent, currency),
            unbudgeted_spent=to_number(summary.total_spent - summary.budgeted_spent, currency),
            budget_remaining=to_number(summary.total_budget - summary.budgeted_spent, currency),
            categories=[
                SummaryCategory(
                    category=line.category,
                    budget_id=line.budget_id,
                    budget=None if line.budget is None else to_number(line.budget, currency),
                    spent=to_number(line.spent, currency),
                    remaining=None if line.remaining is None else to_number(line.remaining, currency),
                    percent=None if line.percent is None else float(line.percent),
                    status=line.status,
                )
                for line in summary.categories
            ],
        )

    return await revalidated(request, access, summary_out, first)  # the month shown, when not asked


@router.get(
    "/stats",
    response_model=StatsOut,
    responses={**IN_LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def read_stats(
    session: SessionDep,
    access: Reader,
    request: Request,
    start: Annotated[Day, Query(description="First day, inclusive")],
    end: Annotated[Day, Query(description="Last day, inclusive")],
    granularity: Granularity = "day",
    week_start: Annotated[Weekday, Query(description="The day week buckets start on")] = "monday",
) -> Response:
    """Totals by category and a zero-filled trend in day, week or month buckets (at most 3,700)."""
    if start > end:
        raise Invalid(("query", "start"), "start must be on or before end")

    def stats_out() -> dict[str, Any]:  # StatsOut's fields, in its order: a year by day is 366 points
        first_day = WEEKDAYS.index(week_start)  # as date.weekday() counts: 0 is Monday
        stats = reports.spending_stats(
            session, access=access, start=start, end=end, granularity=granularity, week_start=first_day
        )
        currency = access.currency
        return {
            "start": start,
            "end": end,
            "granularity": granularity,
            "total": to_number(stats.total, currency),
            "count": stats.count,
            "by_category": [
                {"category": name, "amount": to_number(minor, currency)} for name, minor in stats.by_category
            ],
            "trend": [
                {"period_start": day, "amount": to_number(minor, currency)} for day, minor in stats.trend
            ],
        }

    return await revalidated(request, access, stats_out)


@router.get(
    "/categories",
    response_model=list[CategoryOut],
    responses={**IN_LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def list_categories(session: SessionDep, access: Reader, request: Request) -> Response:
    """Your categories from expenses and budgets, by name, for suggestions as you type."""

    def categories_out() -> list[CategoryOut]:
        return [
            CategoryOut(
                category=name,
                count=count,
                budget=None if budget is None else to_number(budget, access.currency),
            )
            for name, count, budget in categories.list_categories(session, access=access)
        ]

    return await revalidated(request, access, categories_out)
