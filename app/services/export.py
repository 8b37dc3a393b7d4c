"""Exports, streamed so memory stays flat: a ledger's expenses as CSV, and everything one account
holds as one JSON document."""

import csv
import io
import json
import re
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    SQLColumnExpression,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.models import Budget, Expense, Ledger, LedgerMember, User, utcnow
from app.money import amount_text, codes_by_digits, minor_digits
from app.schemas.accounts import UserOut
from app.schemas.expenses import ExpenseOut
from app.schemas.reports import BudgetOut
from app.services import owned_budgets, owned_expenses
from app.services.listing import ExpenseFilter, filtered

BATCH = 1000
# A cell starting with one of these is run as a formula by spreadsheets: export prefixes it with '.
FORMULA_START = frozenset("=+-@\t\r")


def export_account(session: Session, *, user: User) -> Iterator[str]:
    """{exported_at, account, ledgers, budgets, expenses}: every ledger the account owns (each budget
    and expense names its ledger), and nobody else's data.
    """
    account = UserOut.model_validate(user).model_dump_json()
    # A session of its own: the request's is closed before the body finishes streaming.
    with Session(bind=session.get_bind()) as own:
        ledgers = own.execute(
            select(Ledger.id, Ledger.name, Ledger.currency, Ledger.personal_of)
            .join(LedgerMember, LedgerMember.ledger_id == Ledger.id)
            .where(LedgerMember.user_id == user.id, LedgerMember.role == "owner")
            .order_by(Ledger.id)
        ).all()
        owned = [
            LedgerAccess(user_id=user.id, ledger_id=row.id, role="owner", currency=row.currency)
            for row in ledgers
        ]
        ledger_json = json.dumps(
            [
                {"id": r.id, "name": r.name, "currency": r.currency, "personal": r.personal_of == user.id}
                for r in ledgers
            ]
        )
        budget_json = ",".join(
            BudgetOut.of(b, access.currency).model_dump_json()
            for access in owned
            for b in own.scalars(owned_budgets(access).order_by(Budget.category_key))
        )
        yield (
            f'{{"exported_at":{json.dumps(utcnow().isoformat())},"account":{account},'
            f'"ledgers":{ledger_json},"budgets":[{budget_json}],"expenses":['
        )
        first = True
        for access in owned:
            expenses = own.scalars(
                owned_expenses(access).order_by(Expense.date, Expense.id).execution_options(yield_per=BATCH)
            )
            for partition in expenses.partitions():
                chunk = ",".join(ExpenseOut.of(e, access.currency).model_dump_json() for e in partition)
                yield chunk if first else "," + chunk
                first = False
    yield "]}"


def export_csv(session: Session, *, access: LedgerAccess, filters: ExpenseFilter) -> Iterator[bytes]:
    """CSV in chunks, read in batches, so memory stays flat however many rows there are.

    The database writes each row's line (_line) and Python checks a whole batch at once: Python's
    work per row (a tuple of six values, two amounts, two formula guards, csv.writer) was half the
    time of an export. Only the rows that need quoting, a guard or other decimals are written from
    their stored values (_with_care), as every row was before.
    """
    dialect = session.get_bind().dialect.name
    order = (Expense.date.desc(), Expense.id.desc())
    # Part 1's four columns first, so files and scripts made for them still read the same.
    yield b"date,category,amount,description,currency,base_amount\r\n"
    # A connection of its own: the request's session is closed before the body finishes streaming.
    with session.get_bind().engine.connect() as connection:
        _one_snapshot(connection)
        lines = filtered(access, filters, Expense.id, _line(dialect, access.currency), dialect=dialect)
        for rows in _batches(connection, lines.order_by(*order)):
            data = "".join(map(itemgetter(1), rows)).encode()
            yield data if _plain(data, len(rows)) else _with_care(connection, rows, access).encode()


# The export's columns as stored. The date as the driver hands it over (text on SQLite): parsing
# 100k dates only to print them again would double the time of an export.
_COLUMNS = (
    type_coerce(Expense.date, String),
    Expense.category,
    Expense.amount_cents,
    Expense.description,
    Expense.currency,
    Expense.base_amount_cents,
)
# A line _line writes holds five commas and one line break, unless a text holds one (to quote). A
# field after a comma starting with one of FORMULA_START is a formula to guard.
_LINE_SIGNS = b",\r\n"
_FORMULA = re.compile(b",[" + re.escape("".join(sorted(FORMULA_START)).encode()) + b"]")
# The line of a row _line leaves to Python: not empty, as SQLite's printf('') is NULL.
_ASK_PYTHON = '"'


def _one_snapshot(connection: Connection) -> None:
    """Make the batches and the rows _with_care reads again see the same data, whatever is written
    meanwhile: one transaction that keeps its first snapshot."""
    if connection.dialect.name == "sqlite":
        # sqlite3 begins no transaction before a SELECT, and a statement's snapshot ends with its
        # last row: the last batch's rows would be read again after it.
        connection.exec_driver_sql("BEGIN")
    else:
        # READ COMMITTED takes a snapshot per statement; a read-only REPEATABLE READ one never fails.
        connection.execution_options(isolation_level="REPEATABLE READ")


def _batches(connection: Connection, stmt: Select[Any]) -> Iterator[Sequence[Any]]:
    """The rows in batches of BATCH, read as they are written so memory stays flat."""
    if connection.dialect.name == "sqlite":
        # sqlite3's cursor steps the statement as it is read: its own tuples stream as they are,
        # where SQLAlchemy makes a Row of each.
        with connection.execute(stmt) as result:
            while rows := result.cursor.fetchmany(BATCH):
                yield rows
    else:
        # psycopg reads a whole result at once unless asked for a server-side cursor (yield_per).
        with connection.execution_options(yield_per=BATCH).execute(stmt) as result:
            yield from result.partitions()


def _plain(data: bytes, lines: int) -> bool:
    """Whether `lines` lines written by _line are the CSV of their rows as they are (checked on
    bytes: no byte of a UTF-8 multi-byte character is ASCII)."""
    return (
        len(data) - len(data.translate(None, _LINE_SIGNS)) == 7 * lines
        and b'"' not in data
        and _FORMULA.search(data) is None
    )


def _with_care(connection: Connection, rows: Sequence[Any], access: LedgerAccess) -> str:
    """A batch with some rows to quote or guard: those read again by id (in the same snapshot,
    _one_snapshot) and written cell by cell; the others as the database wrote them."""
    careful = {expense_id for expense_id, line in rows if not _plain(line.encode(), 1)}
    stored = connection.execute(
        owned_expenses(access, Expense.id, *_COLUMNS).where(Expense.id.in_(careful))
    ).all()
    cells = dict(
        zip((row[0] for row in stored), _cells([row[1:] for row in stored], access.currency), strict=True)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for expense_id, line in rows:
        if expense_id in careful:
            writer.writerow(cells[expense_id])
        else:
            buffer.write(line)
    return buffer.getvalue()


def _cells(rows: Sequence[Any], currency: str) -> list[tuple[str, ...]]:
    """Stored rows (_COLUMNS) as the export's cells; `currency` is the ledger's."""
    written: dict[str, Callable[[int], str]] = {}  # how each currency writes its amounts
    base_text = _writer(currency)
    # Written inline rather than through helper calls: this runs once per exported row.
    return [
        (
            str(day),
            "'" + category if category[:1] in FORMULA_START else category,
            (written.get(code) or written.setdefault(code, _writer(code)))(cents),
            "'" + description if description[:1] in FORMULA_START else description,
            code,
            base_text(base),
        )
        for day, category, cents, description, code, base in rows
    ]


def _line(dialect: str, ledger_currency: str) -> ColumnElement[str]:
    """A row as its CSV line before quoting and guards, written by the database in one go (SQLite's
    printf, PostgreSQL's format: each `||` would copy the line so far). Amounts are written with the
    ledger currency's decimals; a row in a currency with other decimals, or with a negative amount
    (which no request can store; the database divides towards zero, Python's divmod floors), is left
    to Python. printf ends a text at a NUL, which app.types refuses, with every control character but
    line breaks and tabs (PostgreSQL stores none)."""
    digits = minor_digits(ledger_currency)
    unit = 10**digits
    written_here = and_(
        Expense.amount_cents >= 0,
        Expense.base_amount_cents >= 0,
        or_(
            # The comparison with the ledger's own code comes first: it settles most rows.
            Expense.currency == ledger_currency,
            func.upper(Expense.currency).not_in([c for codes in codes_by_digits().values() for c in codes])
            if digits == 2
            else func.upper(Expense.currency).in_(codes_by_digits()[digits]),
        ),
    )
    if dialect == "sqlite":
        amount = "%d" if digits == 0 else f"%d.%0{digits}d"

        def parts(minor: SQLColumnExpression[int]) -> tuple[Any, ...]:
            return (minor,) if digits == 0 else (minor // unit, minor % unit)

        template = ",".join(("%s", "%s", amount, "%s", "%s", amount)) + "\r\n"
        return func.printf(
            case((written_here, template), else_=_ASK_PYTHON),
            type_coerce(Expense.date, String),
            Expense.category,
            *parts(Expense.amount_cents),
            Expense.description,
            Expense.currency,
            *parts(Expense.base_amount_cents),
            type_=String,
        )

    def written(minor: SQLColumnExpression[int]) -> ColumnElement[str]:
        if digits == 0:
            return cast(minor, Text)
        return cast(minor // unit, Text) + "." + func.lpad(cast(minor % unit, Text), digits, "0")

    line = func.format(
        "%s,%s,%s,%s,%s,%s\r\n",
        # ISO 8601, as str(date): psycopg reads timestamps in no other DateStyle, so the app runs in
        # none (to_char, the same in any DateStyle, cost PostgreSQL 12 ms more per 100,000 rows).
        cast(Expense.date, Text),
        Expense.category,
        written(Expense.amount_cents),
        Expense.description,
        Expense.currency,
        written(Expense.base_amount_cents),
        type_=String,
    )
    return case((written_here, line), else_=_ASK_PYTHON)


def _writer(currency: str) -> Callable[[int], str]:
    if minor_digits(currency) == 2:
        return lambda cents: f"{cents // 100}.{cents % 100:02d}"  # the common case, fast
    return lambda minor: amount_text(minor, currency)


def export_filename(filters: ExpenseFilter) -> str:
    if filters.start and filters.end:
        span = f"{filters.start.isoformat()}-to-{filters.end.isoformat()}"
    elif filters.start:
        span = f"from-{filters.start.isoformat()}"
    elif filters.end:
        span = f"until-{filters.end.isoformat()}"
    else:
        span = "all"
    return f"expenses-{span}.csv"
