import math
import re
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

from fastapi import UploadFile
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

MAX_AMOUNT_CENTS = 1_000_000_000 * 100
MAX_DB_ID = 2**63 - 1
MAX_PASSWORD_LENGTH = 128
_AMOUNT_STRING = re.compile(r"^[0-9]+(\.[0-9]{1,2})?$")
# The amount rules as one pattern, for the schema: digits, at most two decimals, > 0 and <= 1,000,000,000.
AMOUNT_SCHEMA_PATTERN = r"^0*([1-9][0-9]{0,8}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9])|1000000000(\.00?)?)$"
_DATE_STRING = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


# Money: integer cents inside, a JSON number with at most two decimals outside.
def parse_amount(value: Any) -> int:
    """Turn a JSON number or numeric string into cents, exactly, or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError("must be a number such as 12.50")
    if isinstance(value, str):
        if not _AMOUNT_STRING.match(value):
            raise ValueError("must be a number such as 12.50, with no sign, spaces or exponent")
        amount = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        # repr() gives the shortest decimal that round-trips, so 0.1 becomes Decimal("0.1").
        amount = Decimal(repr(value))
    else:
        amount = Decimal(value)
    try:
        cents = amount * 100
        if cents != cents.to_integral_value():
            raise ValueError("must have at most two decimal places")
    except InvalidOperation:
        raise ValueError("must be a number such as 12.50") from None
    if cents <= 0:
        raise ValueError("must be greater than 0")
    if cents > MAX_AMOUNT_CENTS:
        raise ValueError("must be at most 1,000,000,000")
    return int(cents)


def cents_to_number(cents: int) -> int | float:
    """1250 -> 12.5, 1200 -> 12; exact for any total below 2**53 cents."""
    whole, rest = divmod(cents, 100)
    return whole if rest == 0 else float(Decimal(cents) / 100)


_MONEY_SCHEMA = WithJsonSchema({"type": "number", "multipleOf": 0.01, "examples": [12.5]})
AmountIn = Annotated[
    int,
    BeforeValidator(parse_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0, "maximum": 1_000_000_000, "multipleOf": 0.01},
                {"type": "string", "pattern": AMOUNT_SCHEMA_PATTERN},
            ],
            "examples": [12.5],
        }
    ),
]
MoneyOut = Annotated[int, PlainSerializer(cents_to_number, return_type=Any), _MONEY_SCHEMA]


# Text: reject what breaks storage (lone surrogates) or display (control characters).
# The OpenAPI schema states the same rules as patterns (ECMA regex), so clients and fuzzers see them.
_NO_CONTROL = r"^[^\u0000-\u001f\u007f-\u009f]*$"
_NO_CONTROL_BUT_LINES = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"
# ...and something besides white space, since it is trimmed.
_PRINTED = r"[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_VISIBLE_TEXT = rf"^[^\u0000-\u001f\u007f-\u009f]*{_PRINTED}[^\u0000-\u001f\u007f-\u009f]*$"


def _text_schema(pattern: str, max_length: int, min_length: int = 0) -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "maxLength": max_length, "pattern": pattern}
    return WithJsonSchema(schema | ({"minLength": min_length} if min_length else {}))


def _reject_bad_chars(value: str, allowed: str = "") -> str:
    for ch in value:
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs"):
            raise ValueError("must not contain control characters")
    return value


def _clean_description(value: str) -> str:
    return _reject_bad_chars(value, allowed="\n\r\t")


def category_key(category: str) -> str:
    """The form categories are matched by: `Food`, ` food ` and `FOOD` are one category."""
    return " ".join(category.split()).casefold()[:40]


Category = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_reject_bad_chars),
    _text_schema(_VISIBLE_TEXT, 40, min_length=1),
]
SearchText = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_reject_bad_chars), _text_schema(_NO_CONTROL, 200)
]
Description = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(_clean_description),
    _text_schema(_NO_CONTROL_BUT_LINES, 500),
]
DisplayName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=60),
    AfterValidator(_reject_bad_chars),
    _text_schema(_NO_CONTROL, 60),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True)]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=MAX_PASSWORD_LENGTH),
    AfterValidator(_reject_bad_chars),
    _text_schema(_NO_CONTROL, MAX_PASSWORD_LENGTH, min_length=8),
]


def _parse_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_STRING.match(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real calendar date") from None
    if not 1900 <= day.year <= 2999:
        raise ValueError("must be between the years 1900 and 2999")
    return day


Day = Annotated[
    date,
    BeforeValidator(_parse_day),
    WithJsonSchema(
        {"type": "string", "format": "date", "pattern": "^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"}
    ),
]


def parse_cursor(value: str) -> tuple[date, int]:
    """ "YYYY-MM-DD:id", where the previous page ended, as (date, id)."""
    day, _, expense_id = value.partition(":")
    if not expense_id.isdigit() or len(expense_id) > 19 or int(expense_id) > MAX_DB_ID:
        raise ValueError("must be a next_cursor from a previous page")
    return _parse_day(day), int(expense_id)


def _check_cursor(value: str) -> str:
    parse_cursor(value)
    return value


Cursor = Annotated[
    str,
    AfterValidator(_check_cursor),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}:[0-9]+$"}),
]


def _parse_month(value: Any) -> date:
    if isinstance(value, date):
        return value.replace(day=1)
    if not isinstance(value, str) or not re.match(r"^[0-9]{4}-[0-9]{2}$", value):
        raise ValueError("must be a month written YYYY-MM")
    return _parse_day(value + "-01")


# A calendar month, held as its first day.
Month = Annotated[
    date,
    BeforeValidator(_parse_month),
    WithJsonSchema({"type": "string", "pattern": "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$"}),
]


def as_utc(value: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_nullable(schema: dict[str, Any]) -> None:
    # The fields are `X | None = None` only so that "left out" can be told apart; null is refused.
    for prop in schema.get("properties", {}).values():
        options = [option for option in prop.pop("anyOf", []) if option.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        elif options:
            prop["anyOf"] = options
        prop.pop("default", None)


class PatchModel(StrictModel):
    """A missing field means "unchanged"; an explicit null is an error, not a way to clear it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_not_nullable)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


# Accounts
# Invitation and reset tokens are secrets.token_urlsafe(32): 43 URL-safe characters.
LinkToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]


class RegisterIn(StrictModel):
    email: EmailStr = Field(max_length=320)
    password: Password
    display_name: DisplayName = ""
    # The token from an invitation link; lets this registration through when registration is closed.
    invitation: LinkToken | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class LoginIn(StrictModel):
    # Deliberately loose: a password that breaks the registration rules is just a wrong password (401).
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class PasswordChange(StrictModel):
    # Only compared, like a log-in: a current password that breaks the rules is a wrong one (403).
    current_password: str = Field(max_length=1024)
    new_password: Password


class AccountDelete(StrictModel):
    password: str = Field(max_length=1024)


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
class ExpenseIn(StrictModel):
    date: Day
    category: Category
    amount: AmountIn
    description: Description = ""


class ExpenseUpdate(PatchModel):
    date: Day | None = None
    category: Category | None = None
    amount: AmountIn | None = None
    description: Description | None = None


class ExpenseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    date: date
    category: str
    amount: MoneyOut = Field(validation_alias="amount_cents")
    description: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


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
Status = Literal["ok", "warning", "over", "unbudgeted"]


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
    email: EmailStr = Field(max_length=320)


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
    email: EmailStr = Field(max_length=320)
    password: Password
    display_name: DisplayName = ""
    is_admin: StrictBool = False

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


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
DateFormat = Literal["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"]
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


_CLEARABLE = ("end_date", "day_of_month")


def _nullable_only_clearable(schema: dict[str, Any]) -> None:
    clearable = {name: schema["properties"].pop(name) for name in _CLEARABLE}
    _not_nullable(schema)
    schema["properties"].update(clearable)


class RecurringUpdate(StrictModel):
    """Like a PatchModel, except that null clears the two optional fields (no end; the start's day)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_nullable_only_clearable)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in _CLEARABLE:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value

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
