"""Request and response models: budgets, categories, summary, stats and the account's data download."""

from datetime import date
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
)

from app.money import AnyCurrencyAmountIn, MoneyOut, to_number
from app.schemas.accounts import UserOut
from app.schemas.expenses import ExpenseOut
from app.types import (
    Category,
    PatchModel,
    Status,
    StrictModel,
    UtcDatetime,
)

# Budgets
_IN_LEDGER_CURRENCY = "In the ledger's currency, with at most its decimals"


class BudgetIn(StrictModel):
    category: Category
    amount: AnyCurrencyAmountIn = Field(description=_IN_LEDGER_CURRENCY)


class BudgetUpdate(PatchModel):
    category: Category | None = None
    amount: AnyCurrencyAmountIn | None = Field(default=None, description=_IN_LEDGER_CURRENCY)


class BudgetOut(BaseModel):
    id: int
    category: str
    amount: MoneyOut = Field(description="In the ledger's currency")

    @classmethod
    def of(cls, budget: Any, currency: str) -> "BudgetOut":
        """A Budget row's answer, its amount in units of the ledger's currency."""
        return cls(id=budget.id, category=budget.category, amount=to_number(budget.amount_minor, currency))


class CategoryOut(BaseModel):
    category: str
    count: int
    budget: MoneyOut | None


class CategoryRename(StrictModel):
    category: Category = Field(description="The category to rename, in any case")
    to: Category = Field(
        description="Its new name; a category the ledger already has (in any case) merges the two"
    )


class CategoryRenamed(CategoryOut):
    merged: bool = Field(description="It joined a category the ledger already had")


# Reports


class SummaryCategory(BaseModel):
    category: str
    budget_id: int | None = Field(description="The budget's id (for PATCH and DELETE); null when unbudgeted")
    budget: MoneyOut | None
    spent: MoneyOut
    remaining: MoneyOut | None
    percent: float | None
    status: Status


class SummaryOut(BaseModel):
    month: str
    start: date
    end: date
    total_budget: MoneyOut
    total_spent: MoneyOut
    total_remaining: MoneyOut
    budgeted_spent: MoneyOut = Field(description="Spending in budgeted categories only")
    unbudgeted_spent: MoneyOut = Field(description="Spending in categories without a budget")
    budget_remaining: MoneyOut = Field(
        description='total_budget - budgeted_spent: the "Budget left" (unbudgeted spending uses up no budget)'
    )
    categories: list[SummaryCategory]


Granularity = Literal["day", "week", "month"]
# The day week buckets start on: Monday (ISO weeks) unless the reader's locale starts them on another.
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[Weekday, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class CategoryAmount(BaseModel):
    category: str
    amount: MoneyOut


class TrendPoint(BaseModel):
    period_start: date
    amount: MoneyOut


class StatsOut(BaseModel):
    start: date
    end: date
    granularity: Granularity
    total: MoneyOut
    count: int
    by_category: list[CategoryAmount]
    trend: list[TrendPoint]


class AccountExport(BaseModel):
    """GET /api/me/export: everything the account holds."""

    exported_at: UtcDatetime
    account: UserOut
    budgets: list[BudgetOut]
    expenses: list[ExpenseOut]
