"""The constrained types every layer shares: text, dates, cursors, e-mail, Strict/Patch models.

Request and response models live in the app.schemas modules; services and auth import their types from here.
Money (minor units per currency, amounts in and out, rates) is in app.money.
"""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from app.money import currency_exponent

MAX_DB_ID = 2**63 - 1
MAX_PASSWORD_LENGTH = 128
# Used with fullmatch: `$` would also match before a final newline ("2026-03-02\n").
_DATE_STRING = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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


# Unicode's control characters (category Cc) and lone surrogates (Cs), as one character class each:
# the same as asking unicodedata.category of each character (tests/test_types.py), at 1/20 of the
# time (an import checks two texts a row).
_BAD_CHARS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_BAD_CHARS_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # \t \n \r


def _reject_bad_chars(value: str, bad: re.Pattern[str] = _BAD_CHARS) -> str:
    if bad.search(value):
        raise ValueError("must not contain control characters")
    return value


def _clean_description(value: str) -> str:
    return _reject_bad_chars(value, _BAD_CHARS_BUT_LINES)


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


def _known_currency(value: str) -> str:
    currency_exponent(value)
    return value


# An ISO 4217 code with a minor unit (not XAU or XDR); any case in, upper case stored.
Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z]{3}$", to_upper=True),
    AfterValidator(_known_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z]{3}$", "examples": ["EUR"]}),
]
Password = Annotated[
    str,
    StringConstraints(min_length=8, max_length=MAX_PASSWORD_LENGTH),
    AfterValidator(_reject_bad_chars),
    _text_schema(_NO_CONTROL, MAX_PASSWORD_LENGTH, min_length=8),
]


def _any_string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


# A log-in email or a password given to confirm: only compared, never stored, so any string is a
# candidate (too long, lone surrogates included) and one that breaks the rules is simply wrong
# (401/403, not 422). Plain, because pydantic's own str check refuses lone surrogates; the body
# limit caps the size, and verify_password pays one hash for a password no account can have.
AnyString = Annotated[str, PlainValidator(_any_string), WithJsonSchema({"type": "string"})]


def _parse_day(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _DATE_STRING.fullmatch(value):
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
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", value):
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


def _not_nullable(schema: dict[str, Any], model: type[BaseModel]) -> None:
    # The fields are `X | None = None` only so that "left out" can be told apart; null is refused
    # except where the model says null clears the field.
    clearable: frozenset[str] = getattr(model, "clearable", frozenset())
    for name, prop in schema.get("properties", {}).items():
        if name in clearable:
            continue
        options = [option for option in prop.pop("anyOf", []) if option.get("type") != "null"]
        if len(options) == 1:
            prop.update(options[0])
        elif options:
            prop["anyOf"] = options
        prop.pop("default", None)


class PatchModel(StrictModel):
    """A missing field means "unchanged"; an explicit null is an error, not a way to clear it,
    except for the fields named in `clearable` (optional ones, where null means "none")."""

    clearable: ClassVar[frozenset[str]] = frozenset()
    model_config = ConfigDict(extra="forbid", json_schema_extra=_not_nullable)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("cannot be null; leave the field out to keep its value")
        return value


# Invitation and reset tokens are secrets.token_urlsafe(32): 43 URL-safe characters.
LinkToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
# Stored lower-cased: `A@x.io` and `a@x.io` are one account.
Email = Annotated[EmailStr, Field(max_length=320), AfterValidator(str.lower)]

# Where spending stands against a budget.
Status = Literal["ok", "warning", "over", "unbudgeted"]


# The date layouts a CSV import understands.
DateFormat = Literal["YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"]


# An account's id, as a body gives it: an id no BIGINT can hold is a 422, not a database error.
UserId = Annotated[int, Field(ge=1, le=MAX_DB_ID)]
