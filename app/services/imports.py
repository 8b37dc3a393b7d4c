"""CSV import: our own export as it is, other files (banks, spreadsheets) through a column mapping.

A file is parsed whole before anything is written: a dry run returns what would happen, a real
import writes every row in one transaction or, if any row is wrong, nothing at all.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from app import rates
from app.access import LedgerAccess
from app.config import settings
from app.errors import AppError, Invalid
from app.models import Expense, LedgerMember
from app.money import currency_exponent, parse_decimal_amount, rate_text, to_decimal, to_minor
from app.schemas.expenses import ImportMapping, SplitIn
from app.services import in_ledger, scoped
from app.services.categories import canonical_category
from app.services.conversion import base_minor, quote
from app.services.expenses import NewExpense, add_expense_rows, check_room
from app.services.export import FORMULA_START
from app.services.import_guess import first_row, guess_mapping
from app.services.splits import check_paid_by, check_split
from app.types import Category, Description, category_key

MAX_ROWS = 50_000
PREVIEW_ROWS = 50
OWN_HEADER = ["date", "category", "amount", "description", "currency", "base_amount"]
PART_1_HEADER = OWN_HEADER[:4]
DATE_FORMATS = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "DD/MM/YYYY": "%d/%m/%Y",
    "MM/DD/YYYY": "%m/%d/%Y",
    "DD.MM.YYYY": "%d.%m.%Y",
}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # all the digits (strptime's %m also takes "1")
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")
_CATEGORY: TypeAdapter[str] = TypeAdapter(Category)
_DESCRIPTION: TypeAdapter[str] = TypeAdapter(Description)


RowStatus = Literal["ok", "duplicate", "income", "error"]


@dataclass(slots=True)  # a file holds up to 50,000 of them
class Row:
    line: int
    status: RowStatus
    day: date | None = None
    category: str | None = None
    cents: int | None = None  # in minor units of `currency`; a refund's negative
    description: str | None = None
    message: str | None = None
    currency: str | None = None
    base: int | None = None  # minor units of the ledger's currency, when the file gives it
    # Set when priced: rate, source, publication date and base amount.
    price: tuple[str, str, date | None, int] | None = None


@dataclass
class RowError:
    line: int
    column: str | None
    message: str


@dataclass
class Outcome:
    columns: list[str]
    mapping: ImportMapping
    rows: list[Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    imported: int = 0

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)


class _CellError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


def decode(data: bytes, encoding: str) -> str:
    """The file's text: UTF-8 (with or without a BOM), or Latin-1 when it is not UTF-8."""
    if not data.strip():
        raise Invalid(("body", "file"), "The file is empty")
    if b"\x00" in data:
        raise Invalid(("body", "file"), "This is not a CSV text file (it holds binary data or is UTF-16)")
    if encoding in ("auto", "utf-8"):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if encoding == "utf-8":
                line = data[: exc.start].count(b"\n") + 1
                raise Invalid(("body", "file"), f"Line {line} is not valid UTF-8: choose Latin-1") from None
    return data.decode("latin-1")


def _text_cell(value: str) -> str:
    # Our export writes `'` before a cell that a spreadsheet would run as a formula; take it off.
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA_START else value


def _parse_money(raw: str, *, decimal_comma: bool, column: str = "amount") -> tuple[Decimal, bool]:
    """(amount, negative) from `1,234.50`, `-12.5`, `(12.50)`, `12,50 €` and the like."""
    value = "".join(ch for ch in raw if not ch.isspace()).strip("$€£")
    negative = value.startswith("-") or value.endswith("-") or (value.startswith("(") and value.endswith(")"))
    value = value.strip("-()+")
    thousands, point = (".", ",") if decimal_comma else (",", ".")
    value = value.replace(thousands, "").replace(point, ".")
    if not _PLAIN_NUMBER.fullmatch(value):
        raise _CellError(column, f"{raw.strip()!r} is not an amount")
    try:
        return parse_decimal_amount(Decimal(value)), negative
    except ValueError as exc:
        raise _CellError(column, f"{column} {raw.strip()!r} {exc}") from None


def _stored(amount: Decimal, currency: str, raw: str) -> int:
    try:
        return to_minor(amount, currency)
    except ValueError as exc:
        raise _CellError("amount", f"amount {raw.strip()!r}: {exc}") from None


def _currency(raw: str, fallback: str) -> str:
    if not raw.strip():
        return fallback
    try:
        currency_exponent(raw.strip())
    except ValueError as exc:
        raise _CellError("currency", str(exc)) from None
    return raw.strip().upper()


def _parse_date(raw: str, date_format: str) -> date:
    text = raw.strip()
    try:
        if date_format == "YYYY-MM-DD" and _ISO_DATE.fullmatch(text):
            # What strptime would read, at 1/30 of its time: an import reads a date a row.
            day = date.fromisoformat(text)
        else:
            day = datetime.strptime(text, DATE_FORMATS[date_format]).date()
    except ValueError:
        raise _CellError("date", f"{raw.strip()!r} is not a date written {date_format}") from None
    if not 1900 <= day.year <= 2999:
        raise _CellError("date", f"{raw.strip()!r} is not between the years 1900 and 2999")
    return day


def _column_indexes(header: list[str], mapping: ImportMapping) -> dict[str, int]:
    names = [name.strip().casefold() for name in header]
    indexes = {}
    for target in ("date", "amount", "debit", "category", "description", "currency", "base_amount"):
        column = getattr(mapping, target)
        if column is None:
            continue
        if column.strip().casefold() not in names:
            raise Invalid(("body", "mapping", target), f"The file has no column {column!r}")
        indexes[target] = names.index(column.strip().casefold())
    return indexes


def _parse_row(
    cells: list[str], line: int, where: dict[str, int], mapping: ImportMapping, default: str, ledger: str
) -> Row:
    def cell(target: str) -> str:
        index = where.get(target)
        return cells[index] if index is not None and index < len(cells) else ""

    day = _parse_date(cell("date"), mapping.date_format)
    currency = _currency(cell("currency"), mapping.fixed_currency or ledger)
    refund = False
    if "debit" in where:
        if not cell("debit").strip():
            return Row(line, "income", day=day, description=_text_cell(cell("description")))
        amount, _ = _parse_money(cell("debit"), decimal_comma=mapping.decimal_comma)
        cents = _stored(amount, currency, cell("debit"))
    else:
        amount, negative = _parse_money(cell("amount"), decimal_comma=mapping.decimal_comma)
        cents = _stored(amount, currency, cell("amount"))
        # A credit: money in, positive in a bank's signed amounts, negative in an expense list's.
        refund = negative != mapping.negative_is_expense
        if refund and not mapping.credits_as_refunds:
            if negative:
                raise _CellError(
                    "amount",
                    "is negative: tick 'negative amounts are expenses' for a bank file, or 'credits are "
                    "refunds' for refunds",
                )
            return Row(
                line,
                "income",
                day=day,
                cents=cents,
                description=_text_cell(cell("description")),
                currency=currency,
            )
    # A refund is stored negative (app.services.expenses): its amount and base amount, whatever
    # sign the base amount's cell has.
    sign = -1 if refund else 1
    base = None
    if cell("base_amount").strip():
        base_amount, _ = _parse_money(
            cell("base_amount"), decimal_comma=mapping.decimal_comma, column="base_amount"
        )
        try:
            base = sign * to_minor(base_amount, ledger)
        except ValueError as exc:
            raise _CellError("base_amount", f"base_amount {cell('base_amount').strip()!r}: {exc}") from None
    raw_category = _text_cell(cell("category")).strip() or default
    try:
        category = _CATEGORY.validate_python(raw_category)
    except ValidationError as exc:
        raise _CellError(
            "category", f"category {exc.errors()[0]['msg'].removeprefix('Value error, ')}"
        ) from None
    try:
        description = _DESCRIPTION.validate_python(_text_cell(cell("description")))
    except ValidationError as exc:
        message = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise _CellError("description", f"description {message}") from None
    return Row(
        line,
        "ok",
        day=day,
        category=category,
        cents=sign * cents,
        description=description,
        currency=currency,
        base=base,
    )


def parse(
    text: str,
    mapping: ImportMapping | None,
    default_category: str,
    *,
    guess: bool = False,
    ledger: str = "USD",
) -> Outcome:
    """Every row of the file, each ok, income or an error; no database access.

    Without a mapping, our own header maps itself; any other is refused, or with `guess` (a dry
    run, for the page's column choices) read through a guessed mapping.
    """
    delimiter = max((";", ",", "\t"), key=text.split("\n", 1)[0].count)  # the header's
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise Invalid(("body", "file"), "The file has no header line") from None
    names = [name.strip().casefold() for name in header]
    if mapping is None and names in (OWN_HEADER, PART_1_HEADER):
        # Named as the file writes them, so that a client can show them as the file's columns. Our
        # export writes a refund as a negative amount: it comes back a refund.
        mapping = ImportMapping(
            **dict(zip(OWN_HEADER, (name.strip() for name in header), strict=False)), credits_as_refunds=True
        )
    elif mapping is None and guess:
        mapping = guess_mapping(header, first_row(text, delimiter))
    if mapping is None:
        raise Invalid(
            ("body", "mapping"),
            "Map the file's columns: its header is not date,category,amount,description",
        )
    where = _column_indexes(header, mapping)
    outcome = Outcome(columns=header, mapping=mapping)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            outcome.errors.append(RowError(line, None, f"cannot be read: {exc}"))
            break
        if not any(cell.strip() for cell in cells):
            continue
        if len(outcome.rows) >= MAX_ROWS:
            raise Invalid(("body", "file"), f"The file has more than {MAX_ROWS:,} rows: split it")
        try:
            row = _parse_row(cells, line, where, mapping, default_category, ledger)
        except _CellError as exc:
            row = Row(line, "error", message=str(exc))
            outcome.errors.append(RowError(line, exc.column, str(exc)))
        outcome.rows.append(row)
    if not outcome.rows:
        raise Invalid(("body", "file"), "The file has a header but no rows")
    return outcome


# What makes a row a duplicate: an expense of the ledger with the same date, amount, category in any
# case, description and currency. Asked for a few days of the file at a time, with their amounts:
# the index on (ledger, date, amount) finds the candidates, whatever the ledger's size, and a
# candidate of one day with another day's amount is simply not among the rows wanted.
_SAME = (Expense.date, Expense.amount_minor, Expense.category_key, Expense.description, Expense.currency)
_SAME_DAYS = scoped(Expense, *_SAME).where(
    Expense.date.in_(bindparam("days", expanding=True)),
    Expense.amount_minor.in_(bindparam("amounts", expanding=True)),
)
DAYS_A_QUERY = 16  # fewer round trips; each (day, amount) pair is one probe of the index
AMOUNTS_A_QUERY = 500  # well below any database's limit on parameters


def _mark_duplicates(session: Session, access: LedgerAccess, rows: list[Row]) -> None:
    """Rows equal to an expense already in the ledger (never to one of another ledger, nor to
    another row of the file). Judged by the database through its index, a few days of the file at
    a time: neither time nor memory grows with the ledger, only the file's rows and the expenses
    they may match are read."""
    wanted: dict[tuple[object, ...], list[Row]] = {}
    amounts: dict[date, set[int]] = {}
    for row in rows:
        if row.status == "ok" and row.day is not None and row.cents is not None:
            key = (row.day, row.cents, category_key(row.category or ""), row.description, row.currency)
            wanted.setdefault(key, []).append(row)
            amounts.setdefault(row.day, set()).add(row.cents)
    days = sorted(amounts)
    for first in range(0, len(days), DAYS_A_QUERY):
        group = days[first : first + DAYS_A_QUERY]
        listed = sorted(set().union(*(amounts[day] for day in group)))
        for start in range(0, len(listed), AMOUNTS_A_QUERY):
            params = in_ledger(access, days=group, amounts=listed[start : start + AMOUNTS_A_QUERY])
            for found in session.execute(_SAME_DAYS, params):
                for row in wanted.get(tuple(found), ()):
                    row.status = "duplicate"


def _price(row: Row, ledger: str, outcome: Outcome) -> None:
    """The row's rate and base amount: a base amount the file gives is kept (with the ECB rate if
    that gives the same, else base / amount as a manual rate); without one, the ECB rate."""
    if row.day is None or row.cents is None or row.currency is None:
        return  # not an ok row
    try:
        if row.base is not None and row.currency != ledger:
            found = rates.lookup(row.currency, ledger, row.day)
            if found is None or base_minor(row.cents, row.currency, found.rate, ledger) != row.base:
                amount = to_decimal(row.cents, row.currency)
                manual = rates.CROSS.divide(to_decimal(row.base, ledger), amount)
                row.price = (rate_text(manual), "manual", None, row.base)
                return
        row.price = quote(row.cents, row.currency, row.day, ledger_currency=ledger)
    except Invalid as exc:
        row.status, row.message = "error", exc.detail
        outcome.errors.append(RowError(row.line, "currency", exc.detail))


_MEMBERS = select(LedgerMember.user_id, LedgerMember.role).where(
    LedgerMember.ledger_id == bindparam("ledger_id")
)


def import_csv(
    session: Session,
    *,
    access: LedgerAccess,
    data: bytes,
    mapping: ImportMapping | None,
    default_category: str,
    encoding: str,
    keep_duplicates: bool,
    dry_run: bool,
    paid_by: int | None = None,
    split: list[SplitIn] | None = None,
) -> Outcome:
    """The file's rows, written through the one writer (all or nothing) unless a dry run: paid by
    `paid_by` (default the importer) and split as `split` says (default equal shares among the
    owners and editors); both checked against the members first, a dry run's too."""
    if len(data) > settings.max_import_bytes:
        raise AppError(413, f"The file is larger than {settings.max_import_bytes / 2**20:g} MB: split it")
    roles = {row.user_id: row.role for row in session.execute(_MEMBERS, {"ledger_id": access.ledger_id})}
    check_paid_by(roles, access.user_id if paid_by is None else paid_by)
    if split is not None:
        check_split(roles, split)
    ledger = access.currency
    outcome = parse(decode(data, encoding), mapping, default_category, guess=dry_run, ledger=ledger)
    if not keep_duplicates:
        _mark_duplicates(session, access, outcome.rows)
    for row in outcome.rows:
        if row.status == "ok":
            _price(row, ledger, outcome)
    outcome.errors.sort(key=lambda error: error.line)
    if outcome.errors:
        return outcome
    names: dict[str, str] = {}
    rows = []
    # Our export lists newest first: inserting from the bottom up keeps that order on the next export.
    for row in reversed(outcome.rows):
        if row.status != "ok" or row.day is None or row.category is None or row.cents is None:
            continue
        if row.price is None:
            continue
        key = category_key(row.category)
        if key not in names:
            names[key] = canonical_category(session, access=access, category=row.category)[0]
        rows.append(
            NewExpense(
                user_id=access.user_id,
                date=row.day,
                category=names[key],
                category_key=key,
                amount_minor=row.cents,
                currency=row.currency or ledger,
                description=row.description or "",
                rate=row.price[0],
                rate_source=row.price[1],
                rate_date=row.price[2],
                base_amount_minor=row.price[3],
            )
        )
    if dry_run:
        # What the import would refuse, said now: a ledger that would hold too much.
        bases = [row.base_amount_minor or 0 for row in rows]
        check_room(session, access.ledger_id, bases, loc=("body", "file"))
        return outcome
    add_expense_rows(
        session,
        access.ledger_id,
        rows,
        by=access.user_id,
        paid_by=paid_by,
        split=split,
        priced_in=ledger,
        loc=("body", "file"),
    )
    session.commit()
    outcome.imported = len(rows)
    return outcome
