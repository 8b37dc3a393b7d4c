"""Request and response models: expenses, their CSV import, and recurring expenses."""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.money import AnyCurrencyAmountIn, MoneyOut, RateIn, to_number
from app.types import (
    Category,
    Currency,
    DateFormat,
    Day,
    Description,
    PatchModel,
    StrictModel,
    UserId,
    UtcDatetime,
    as_utc,
)


# Expenses
class SplitIn(StrictModel):
    """One member's part: `shares` (a weight) or an exact `amount`, not both."""

    user_id: UserId
    shares: Annotated[int, Field(ge=1, le=1000)] | None = None
    amount: AnyCurrencyAmountIn | None = Field(default=None, description="In the expense's currency")

    @model_validator(mode="after")
    def _one_kind(self) -> "SplitIn":
        if (self.shares is None) == (self.amount is None):
            raise ValueError("give either shares or amount for each member")
        return self


def _one_kind_of_split(split: list[SplitIn] | None) -> list[SplitIn] | None:
    if split and len({part.shares is None for part in split}) > 1:
        raise ValueError("split by shares or by amounts, not both in one list")
    return split


Split = Annotated[list[SplitIn], Field(min_length=1, max_length=1000), AfterValidator(_one_kind_of_split)]


_CURRENCY = "ISO 4217; default the ledger's"
_REFUND = (
    "Money back (a returned parcel): `amount` and the split are given positive, and the expense "
    "counts negative in every total and balance"
)
RateSource = Literal["same", "ecb", "manual"]
# ExpenseOut has a field named `date`, which hides the type inside its class body.
OptionalDate: TypeAlias = date | None


class ExpenseIn(StrictModel):
    date: Day
    category: Category
    amount: AnyCurrencyAmountIn = Field(description="In `currency`, with at most its decimals (JPY none)")
    currency: Currency | None = Field(default=None, description=_CURRENCY)
    rate: RateIn | None = None
    description: Description = ""
    paid_by: UserId | None = None
    split: Split | None = None
    refund: bool = Field(default=False, description=_REFUND)


class ExpenseUpdate(PatchModel):
    """A new date or currency looks the rate up again unless `rate` is sent; a new amount alone
    keeps the rate. `refund` alone turns an expense into a refund of the same amount, or back."""

    date: Day | None = None
    category: Category | None = None
    amount: AnyCurrencyAmountIn | None = None
    currency: Currency | None = None
    rate: RateIn | None = None
    description: Description | None = None
    paid_by: UserId | None = None
    split: Split | None = None
    refund: bool | None = None


class SplitOut(BaseModel):
    user_id: int
    shares: int | None
    amount: MoneyOut = Field(description="In the expense's currency")
    base_amount: MoneyOut = Field(description="In the ledger's currency")


class ExpenseOut(BaseModel):
    id: int
    date: date
    category: str
    amount: MoneyOut = Field(description="In `currency`")
    currency: str
    rate: str = Field(description="Ledger-currency units per unit of `currency`, a decimal string")
    rate_source: RateSource
    rate_date: OptionalDate = Field(description="The ECB publication the rate is from")
    base_amount: MoneyOut = Field(description="amount x rate, in the ledger's currency")
    description: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    ledger_id: int
    paid_by: int
    split: list[SplitOut]
    refund: bool = Field(description=_REFUND)

    @classmethod
    def of(cls, expense: Any, ledger_currency: str) -> "ExpenseOut":
        """An Expense row's answer."""
        stored = {name: getattr(expense, column) for name, column in STORED.items()}
        parts = [(p.user_id, p.shares, p.amount_minor, p.base_amount_minor) for p in expense.splits]
        return cls.model_validate(expense_answer(stored, parts, ledger_currency))


# ExpenseOut's fields, in its order, and the Expense columns they are made of.
STORED = {
    "id": "id",
    "date": "date",
    "category": "category",
    "amount": "amount_minor",
    "currency": "currency",
    "rate": "rate",
    "rate_source": "rate_source",
    "rate_date": "rate_date",
    "base_amount": "base_amount_minor",
    "description": "description",
    "created_at": "created_at",
    "updated_at": "updated_at",
    "ledger_id": "ledger_id",
    "paid_by": "paid_by",
}


def expense_answer(
    stored: dict[str, Any], parts: Iterable[Sequence[Any]], ledger_currency: str
) -> dict[str, Any]:
    """The one shaper of an expense's answer: ExpenseOut's fields in its order, from the stored
    columns by the answer's names (STORED) and the split parts (user id, shares, amount and base
    amount). Amounts become units of their currency: an expense's own in its currency, base
    amounts in the ledger's. The list writes these as they are (app.revalidation), so they are
    ExpenseOut's JSON without validating every row again.

    A refund is stored negative (its amount, base amount and parts), so every sum counts it as it
    is; its answer shows the absolute values and `refund` true."""
    currency = stored["currency"]
    return stored | {
        "amount": to_number(abs(stored["amount"]), currency),
        "base_amount": to_number(abs(stored["base_amount"]), ledger_currency),
        "created_at": as_utc(stored["created_at"]),
        "updated_at": as_utc(stored["updated_at"]),
        "split": [
            {
                "user_id": user_id,
                "shares": shares,
                "amount": to_number(abs(amount), currency),
                "base_amount": to_number(abs(base), ledger_currency),
            }
            for user_id, shares, amount, base in parts
        ],
        "refund": stored["amount"] < 0,
    }


class ExpensePage(BaseModel):
    items: list[ExpenseOut]
    total: int
    total_amount: MoneyOut
    limit: int
    offset: int
    # Pass as `cursor` for the next page: unlike a large offset, it costs the same at any depth.
    next_cursor: str | None = None


# CSV import
ColumnName = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class ImportMapping(StrictModel):
    """Which of the file's columns (by header name) hold what, and how they are written."""

    date: ColumnName
    amount: ColumnName | None = Field(default=None, description="Amounts; see negative_is_expense")
    debit: ColumnName | None = Field(
        default=None, description="Instead of amount: money out; a row with this cell empty is income"
    )
    category: ColumnName | None = None
    description: ColumnName | None = None
    currency: ColumnName | None = Field(
        default=None, description="ISO 4217 codes; empty cells: fixed_currency"
    )
    fixed_currency: Currency | None = Field(
        default=None, description="The currency of rows without one; default the ledger's"
    )
    base_amount: ColumnName | None = Field(
        default=None, description="Amounts in the ledger's currency (our export's): kept as they are"
    )
    date_format: DateFormat = "YYYY-MM-DD"
    decimal_comma: bool = Field(default=False, description="12,50 rather than 12.50")
    negative_is_expense: bool = Field(
        default=False,
        description="Signed amounts: negative rows are expenses, positive ones income (skipped)",
    )
    credits_as_refunds: bool = Field(
        default=False,
        description="Signed amounts: credits (negative rows; with negative_is_expense, positive ones) "
        "are imported as refunds, instead of refused (or skipped as income). Our own header sets it",
    )

    @model_validator(mode="after")
    def _one_amount_column(self) -> "ImportMapping":
        if (self.amount is None) == (self.debit is None):
            raise ValueError("map exactly one of amount and debit")
        if self.credits_as_refunds and self.debit is not None:
            raise ValueError("credits_as_refunds needs a signed amount column, not debit")
        return self


class ImportRowOut(BaseModel):
    line: int
    status: Literal["ok", "duplicate", "income", "error"]
    date: date | None
    category: str | None
    amount: MoneyOut | None = Field(description="In `currency`")
    currency: str | None
    base_amount: MoneyOut | None = Field(description="In the ledger's currency")
    description: str | None
    message: str | None
    refund: bool = Field(default=False, description="A refund: the amounts are its absolute values")


class ImportErrorOut(BaseModel):
    line: int
    column: str | None
    message: str


class ImportOut(BaseModel):
    dry_run: bool
    columns: list[str] = Field(description="The file's header")
    mapping: ImportMapping = Field(
        description="The mapping the rows were read with: as sent, our own header's, or (a dry run "
        "without one) guessed from the header and the first row, for a person to check"
    )
    count: int = Field(description="Rows to import (a dry run) or imported")
    imported: int
    skipped_duplicates: int
    skipped_income: int
    errors: list[ImportErrorOut]
    rows: list[ImportRowOut] = Field(description="A dry run's first 50 rows; empty after an import")


# Recurring expenses
Frequency = Literal["weekly", "monthly", "yearly"]
Interval = Annotated[int, Field(ge=1, le=100)]
DayOfMonth = Annotated[int, Field(ge=1, le=31)]


class RecurringIn(StrictModel):
    category: Category
    amount: AnyCurrencyAmountIn = Field(description="In `currency`, with at most its decimals (JPY none)")
    currency: Currency | None = Field(default=None, description=_CURRENCY)
    description: Description = ""
    frequency: Frequency
    interval: Interval = 1
    start_date: Day
    end_date: Day | None = None
    day_of_month: DayOfMonth | None = Field(
        default=None, description="Monthly only; default: start_date's day"
    )
    paused: bool = False
    paid_by: UserId | None = Field(default=None, description="Who pays each occurrence; default you")
    split: Split | None = Field(
        default=None,
        description="How each occurrence is split, as an expense's; default equal shares among the "
        "owners and editors on the day it is written",
    )


class RecurringUpdate(PatchModel):
    """Null clears the optional fields: no end, the start's day of the month, the default split."""

    clearable = frozenset({"end_date", "day_of_month", "split"})

    category: Category | None = None
    amount: AnyCurrencyAmountIn | None = None
    currency: Currency | None = None
    description: Description | None = None
    frequency: Frequency | None = None
    interval: Interval | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    day_of_month: DayOfMonth | None = None
    paused: bool | None = None
    paid_by: UserId | None = None
    split: Split | None = None


class RecurringSplitOut(BaseModel):
    user_id: int
    shares: int | None
    amount: MoneyOut = Field(description="Of each occurrence, in the rule's currency")


class RecurringOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str
    amount: MoneyOut = Field(description="In `currency`")
    currency: str
    description: str
    frequency: Frequency
    interval: int
    start_date: date
    end_date: date | None
    day_of_month: int | None
    paused: bool
    next_date: date | None
    paid_by: int
    split: list[RecurringSplitOut] | None = Field(
        description="Null: equal shares among the owners and editors on the day each is written"
    )

    @model_validator(mode="before")
    @classmethod
    def _from_rule(cls, value: Any) -> Any:
        """From a RecurringRule row: the amounts in its currency's units, each part's of one occurrence."""
        if isinstance(value, dict):
            return value
        fields = [name for name in cls.model_fields if name not in ("amount", "split")]
        currency = value.currency
        return {name: getattr(value, name) for name in fields} | {
            "amount": to_number(value.amount_minor, currency),
            "split": [
                {"user_id": p.user_id, "shares": p.shares, "amount": to_number(p.amount_minor, currency)}
                for p in value.splits
            ]
            if value.splits
            else None,
        }
