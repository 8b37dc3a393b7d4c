"""Request and response models of the API; the types they are built from are in app.types."""

from datetime import date
from typing import Annotated, Literal

from fastapi import UploadFile
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from app.types import (
    MAX_DB_ID,
    AmountIn,
    AnyString,
    Category,
    Currency,
    DateFormat,
    Day,
    Description,
    DisplayName,
    Email,
    LinkToken,
    MoneyOut,
    Password,
    PatchModel,
    Status,
    StrictModel,
    UtcDatetime,
)

# An account's id, as a body gives it: an id no BIGINT can hold is a 422, not a database error.
UserId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]

# Accounts


class RegisterIn(StrictModel):
    email: Email
    password: Password
    display_name: DisplayName = ""
    # The token from an invitation link; lets this registration through when registration is closed.
    invitation: LinkToken | None = None


class LoginIn(StrictModel):
    # Deliberately loose: a password that breaks the registration rules is just a wrong password (401).
    email: AnyString
    password: AnyString


class PasswordChange(StrictModel):
    # Only compared, like a log-in: a current password that breaks the rules is a wrong one (403).
    current_password: AnyString
    new_password: Password


class AccountDelete(StrictModel):
    password: AnyString


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    currency: str
    created_at: UtcDatetime
    is_admin: bool


class UserUpdate(PatchModel):
    display_name: DisplayName | None = None
    currency: Currency | None = None


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (the OAuth2 token type, not a secret)


class AuthOut(Token):
    user: UserOut


class TokenForm(BaseModel):
    """The OAuth2 password form (the docs' Authorize button); `username` is the email."""

    grant_type: Annotated[str, StringConstraints(pattern="^password$")] | None = None
    username: str
    password: str = Field(json_schema_extra={"format": "password"})


# Expenses
class SplitIn(StrictModel):
    """One member's part: `shares` (a weight) or an exact `amount`, not both."""

    user_id: UserId
    shares: Annotated[int, Field(ge=1, le=1000)] | None = None
    amount: AmountIn | None = None

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


class ExpenseIn(StrictModel):
    date: Day
    category: Category
    amount: AmountIn
    description: Description = ""
    paid_by: UserId | None = None
    split: Split | None = None


class ExpenseUpdate(PatchModel):
    date: Day | None = None
    category: Category | None = None
    amount: AmountIn | None = None
    description: Description | None = None
    paid_by: UserId | None = None
    split: Split | None = None


class SplitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    shares: int | None
    amount: MoneyOut = Field(validation_alias="amount_cents")
    base_amount: MoneyOut = Field(validation_alias="base_amount_cents")


class ExpenseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: date
    category: str
    amount: MoneyOut = Field(validation_alias="amount_cents")
    description: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    ledger_id: int
    paid_by: int | None
    split: list[SplitOut] = Field(validation_alias="splits")


class ExpensePage(BaseModel):
    items: list[ExpenseOut]
    total: int
    total_amount: MoneyOut
    limit: int
    offset: int
    # Pass as `cursor` for the next page: unlike a large offset, it costs the same at any depth.
    next_cursor: str | None = None


# Budgets
class BudgetIn(StrictModel):
    category: Category
    amount: AmountIn


class BudgetUpdate(PatchModel):
    category: Category | None = None
    amount: AmountIn | None = None


class BudgetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str
    amount: MoneyOut = Field(validation_alias="amount_cents")


class CategoryOut(BaseModel):
    category: str
    count: int
    budget: MoneyOut | None


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


# Running an instance
class PasswordReset(StrictModel):
    token: LinkToken
    new_password: Password


class ForgotPassword(StrictModel):
    email: Email


class AuthOptions(BaseModel):
    """What the log-in screen offers on this instance."""

    registration_open: bool
    password_reset_by_email: bool


class AdminUserOut(BaseModel):
    """An account as the admin sees it: no expenses, only how many there are."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    created_at: UtcDatetime
    last_login_at: UtcDatetime | None
    expense_count: int
    disabled: bool
    is_admin: bool


class AdminUserCreate(StrictModel):
    email: Email
    password: Password
    display_name: DisplayName = ""
    is_admin: StrictBool = False


class AdminUserUpdate(PatchModel):
    # Strict: 0, 1 or "yes" are not a yes or no to the admin role.
    disabled: StrictBool | None = None
    is_admin: StrictBool | None = None


class InvitationIn(StrictModel):
    valid_days: int = Field(default=7, ge=1, le=30)


class LinkOut(BaseModel):
    """A link shown once: only its hash is stored."""

    url: str
    token: str
    expires_at: UtcDatetime


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
    date_format: DateFormat = "YYYY-MM-DD"
    decimal_comma: bool = Field(default=False, description="12,50 rather than 12.50")
    negative_is_expense: bool = Field(
        default=False,
        description="Signed amounts: negative rows are expenses, positive ones income (skipped)",
    )

    @model_validator(mode="after")
    def _one_amount_column(self) -> "ImportMapping":
        if (self.amount is None) == (self.debit is None):
            raise ValueError("map exactly one of amount and debit")
        return self


class ImportForm(BaseModel):
    """The import's multipart form: named, so generated clients get a readable class for it."""

    # `format: binary` is what generators read as "a file" (FastAPI writes only contentMediaType).
    file: UploadFile = Field(
        description="CSV, at most 5 MB and 50,000 rows", json_schema_extra={"format": "binary"}
    )
    mapping: str | None = Field(
        default=None,
        max_length=10_000,
        description="JSON: the file's column for date, amount (or debit), category, description, and "
        "date_format, decimal_comma, negative_is_expense. Leave out for our own export; a dry run "
        "without it guesses one (returned as `mapping`).",
    )
    dry_run: bool = Field(default=False, description="Parse and preview only; write nothing")
    default_category: Category = Field(default="Uncategorised", description="For rows with no category")
    keep_duplicates: bool = Field(default=False, description="Import rows equal to an existing expense")
    encoding: Literal["auto", "utf-8", "latin-1"] = "auto"


class ImportRowOut(BaseModel):
    line: int
    status: Literal["ok", "duplicate", "income", "error"]
    date: date | None
    category: str | None
    amount: MoneyOut | None
    description: str | None
    message: str | None


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
    amount: AmountIn
    description: Description = ""
    frequency: Frequency
    interval: Interval = 1
    start_date: Day
    end_date: Day | None = None
    day_of_month: DayOfMonth | None = Field(
        default=None, description="Monthly only; default: start_date's day"
    )
    paused: bool = False


class RecurringUpdate(PatchModel):
    """Null clears the two optional fields: no end, and the start's day of the month."""

    clearable = frozenset({"end_date", "day_of_month"})

    category: Category | None = None
    amount: AmountIn | None = None
    description: Description | None = None
    frequency: Frequency | None = None
    interval: Interval | None = None
    start_date: Day | None = None
    end_date: Day | None = None
    day_of_month: DayOfMonth | None = None
    paused: bool | None = None


class RecurringOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    category: str
    amount: MoneyOut = Field(validation_alias="amount_cents")
    description: str
    frequency: Frequency
    interval: int
    start_date: date
    end_date: date | None
    day_of_month: int | None
    paused: bool
    next_date: date | None


# Ledgers
LedgerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Role = Literal["owner", "editor", "viewer"]


class LedgerIn(StrictModel):
    name: LedgerName
    currency: Currency | None = None


class LedgerUpdate(PatchModel):
    name: LedgerName | None = None
    currency: Currency | None = None


class MemberOut(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: Role
    joined_at: UtcDatetime


class LedgerOut(BaseModel):
    id: int
    name: str
    currency: str
    personal: bool
    role: Role
    members: list[MemberOut]


class LedgerInvitationIn(StrictModel):
    role: Literal["editor", "viewer"]
    valid_days: int = Field(default=7, ge=1, le=30)


class JoinIn(StrictModel):
    token: LinkToken


class MemberUpdate(StrictModel):
    role: Role


class SettlementIn(StrictModel):
    from_user_id: UserId
    to_user_id: UserId
    amount: AmountIn
    date: Day
    note: Description = ""


class SettlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ledger_id: int
    from_user_id: int
    to_user_id: int
    amount: MoneyOut = Field(validation_alias="amount_cents")
    date: date
    note: str
    created_by: int | None
    created_at: UtcDatetime


class MemberBalance(BaseModel):
    user_id: int
    display_name: str
    paid: MoneyOut
    share: MoneyOut
    sent: MoneyOut
    received: MoneyOut
    balance: MoneyOut


class Transfer(BaseModel):
    from_user_id: int
    to_user_id: int
    amount: MoneyOut


class BalancesOut(BaseModel):
    currency: str
    members: list[MemberBalance]
    transfers: list[Transfer]
