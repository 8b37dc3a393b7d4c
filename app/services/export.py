"""Exports, streamed so memory stays flat: a ledger's expenses as CSV, and everything one account
holds as one JSON document."""

import codecs
import csv
import io
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import iso4217
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import QueryableAttribute, Session

from app.access import LedgerAccess
from app.models import Budget, Expense, Ledger, LedgerMember, User, utcnow
from app.money import amount_text, minor_digits
from app.schemas.accounts import UserOut
from app.schemas.expenses import ExpenseOut
from app.schemas.reports import BudgetOut
from app.services import in_ledger, scoped
from app.services.listing import ExpenseFilter, filtered

BATCH = 1000
# SQLite reads an export's rows through a map of the database file (up to this size; a ledger of
# 1,000,000 rows and its indexes are about 600 MB), not by a read() call per page it looks up. For
# 1,000,000 rows of the scale run's CSV: 7.3-7.8 s mapped, 8.0-10.3 s not, the sqlite3 tool's CSV
# 4.7-5.9 s (bench/RESULTS.md, session 11). The mapped pages are the OS's page cache, shared and
# dropped as needed, not the server's own memory. Only the export's own connection maps, and only
# meanwhile: a disk's read error on mapped pages is a signal, not an error SQLite could return.
EXPORT_MMAP_BYTES = 1 << 30
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
            for b in own.scalars(scoped(Budget).order_by(Budget.category_key), in_ledger(access))
        )
        yield (
            f'{{"exported_at":{json.dumps(utcnow().isoformat())},"account":{account},'
            f'"ledgers":{ledger_json},"budgets":[{budget_json}],"expenses":['
        )
        first = True
        for access in owned:
            expenses = own.scalars(
                scoped(Expense).order_by(Expense.date, Expense.id).execution_options(yield_per=BATCH),
                in_ledger(access),
            )
            for partition in expenses.partitions():
                chunk = ",".join(ExpenseOut.of(e, access.currency).model_dump_json() for e in partition)
                yield chunk if first else "," + chunk
                first = False
    yield "]}"


def export_csv(session: Session, *, access: LedgerAccess, filters: ExpenseFilter) -> Iterator[bytes]:
    """CSV in chunks, read in batches, so memory stays flat however many rows there are. One
    statement: its rows are one snapshot of the ledger, whatever is written while they stream."""
    dialect = session.get_bind().dialect.name
    # Part 1's four columns first, so files and scripts made for them still read the same.
    yield b"date,category,amount,description,currency,base_amount\r\n"
    order = (Expense.date.desc(), Expense.id.desc())
    # A connection of its own: the request's session is closed before the body finishes streaming.
    with session.get_bind().engine.connect() as connection:
        if dialect == "postgresql":
            lines = filtered(filters, _line(access.currency), dialect=dialect).order_by(*order)
            yield from _copied(connection, lines, in_ledger(access))
            return
        rows = filtered(filters, *_COLUMNS, dialect=dialect).order_by(*order)
        connection.exec_driver_sql(f"PRAGMA mmap_size={EXPORT_MMAP_BYTES}")
        try:
            # sqlite3's cursor steps the statement as it is read: its own tuples stream as they are,
            # where SQLAlchemy makes a Row of each.
            with connection.execute(rows, in_ledger(access)) as result:
                while batch := result.cursor.fetchmany(BATCH):
                    buffer = io.StringIO()
                    csv.writer(buffer, lineterminator="\r\n").writerows(_cells(batch, access.currency))
                    yield buffer.getvalue().encode()
        finally:
            connection.exec_driver_sql("PRAGMA mmap_size=0")


# The export's columns as stored. The date as the driver hands it over (text on SQLite): parsing
# every date only to print it again would double the time of an export.
_COLUMNS = (
    type_coerce(Expense.date, String),
    Expense.category,
    Expense.amount_minor,
    Expense.description,
    Expense.currency,
    Expense.base_amount_minor,
)


def _cells(rows: Sequence[Any], ledger_currency: str) -> list[tuple[str, ...]]:
    """Stored rows (_COLUMNS) as the export's cells: amounts as app.money writes them, and a "'"
    before a text a spreadsheet would run as a formula."""
    return [
        (
            str(day),
            "'" + category if category[:1] in FORMULA_START else category,
            amount_text(minor, currency),
            "'" + description if description[:1] in FORMULA_START else description,
            currency,
            amount_text(base, ledger_currency),
        )
        for day, category, minor, description, currency, base in rows
    ]


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


def _copied(connection: Connection, lines: Select[tuple[str]], params: dict[str, Any]) -> Iterator[bytes]:
    """The lines as PostgreSQL's COPY sends them, BATCH rows a chunk: streamed while the server still
    writes them, where a server-side cursor's server waits for each FETCH (1.4-2x COPY's floor at
    1,000,000 rows, against 2-3.5x). COPY takes no parameters: psycopg binds them on the client,
    quoted as literals. Its text format puts a backslash before a backslash, \\r, \\n, \\t, \\b,
    \\f and \\v, and ends each row with a bare line break; libpq hands over one whole row at a time,
    so a chunk never splits an escape, and Python's decoder of bytes literals' escapes undoes them."""
    state = lines.compile(dialect=connection.dialect).construct_expanded_state(params)
    driver: Any = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY ({state.statement}) TO STDOUT", state.parameters) as copy,
    ):
        chunk = bytearray()
        for n, row in enumerate(copy, 1):
            chunk += row
            if n % BATCH == 0:
                yield codecs.escape_decode(chunk.replace(b"\n", b""))[0]
                chunk.clear()
        yield codecs.escape_decode(chunk.replace(b"\n", b""))[0]


# PostgreSQL writes each line itself, in the statement: the same bytes as _cells and csv.writer
# (tests/test_export.py compares them on random rows, on both databases), in about 1.5x the time of
# its own `COPY ... TO STDOUT` of the columns, where reading the cells and writing them in Python
# took 3x (issue 28; bench/RESULTS.md, session 10). SQLite does not: its text functions cost more
# than csv.writer there (bench/RESULTS.md, session 4).
def _line(ledger_currency: str) -> ColumnElement[str]:
    """A row's CSV line, its line break included."""
    ledger_unit = _unit(ledger_currency)
    # Most rows are in the ledger's currency: it is compared first, then the 26 not in hundredths
    # (all 26 first cost 0.1-0.3 s more per 200,000 rows).
    unit = case(
        (Expense.currency == ledger_currency, ledger_unit),
        *((Expense.currency == code, decimals) for code, decimals in _UNITS.items()),
        else_=Decimal("0.01"),
    )
    cells = (
        cast(Expense.date, Text),  # ISO 8601, the only DateStyle psycopg reads dates in
        _cell(Expense.category),
        _amount(Expense.amount_minor, unit),
        _cell(Expense.description),
        Expense.currency,
        _amount(Expense.base_amount_minor, literal(ledger_unit)),
    )
    return func.concat_ws(",", *cells) + "\r\n"


def _unit(currency: str) -> Decimal:
    """One minor unit as a decimal of as many places as the currency has: 0.01, 1 (JPY), 0.001."""
    return Decimal(1).scaleb(-minor_digits(currency))


# The currencies whose minor unit is not a hundredth (stored codes are upper case: app.types.Currency).
_UNITS = {c.code: _unit(c.code) for c in iso4217.Currency if c.exponent not in (2, None)}


def _amount(minor: QueryableAttribute[int], unit: ColumnElement[Decimal]) -> ColumnElement[str]:
    """amount_text in SQL: minor units times the unit is a numeric of the currency's decimals."""
    return cast(minor * unit, Text)


def _cell(text: QueryableAttribute[str]) -> ColumnElement[str]:
    """A text as _cells and csv.writer write it: a "'" before a formula's start, then in quotes
    (each quote doubled) if it holds a comma, a quote or a line break. With strpos and ascii,
    PostgreSQL writes the lines in about the time it copies the plain columns; with a regex or
    translate(), 1.2-1.7x."""
    guarded = case((func.ascii(text).in_([ord(c) for c in sorted(FORMULA_START)]), "'" + text), else_=text)
    quoted = or_(*(func.strpos(text, c) > 0 for c in ',"\r\n'))
    return case((quoted, '"' + func.replace(guarded, '"', '""') + '"'), else_=guarded)
