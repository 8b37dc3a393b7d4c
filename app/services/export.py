"""Exports, streamed so memory stays flat: a ledger's expenses as CSV, and everything one account
holds as one JSON document."""

import csv
import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    String,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.models import Budget, Expense, Ledger, LedgerMember, User, utcnow
from app.money import amount_text
from app.schemas.accounts import UserOut
from app.schemas.expenses import ExpenseOut
from app.schemas.reports import BudgetOut
from app.services import in_ledger, scoped
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
    rows = filtered(filters, *_COLUMNS, dialect=dialect).order_by(Expense.date.desc(), Expense.id.desc())
    # A connection of its own: the request's session is closed before the body finishes streaming.
    with session.get_bind().engine.connect() as connection:
        for batch in _batches(connection, rows, in_ledger(access)):
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\r\n").writerows(_cells(batch, access.currency))
            yield buffer.getvalue().encode()


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


def _batches(connection: Connection, stmt: Select[Any], params: dict[str, Any]) -> Iterator[Sequence[Any]]:
    """The rows in batches of BATCH, read as they are written so memory stays flat."""
    if connection.dialect.name == "sqlite":
        # sqlite3's cursor steps the statement as it is read: its own tuples stream as they are,
        # where SQLAlchemy makes a Row of each.
        with connection.execute(stmt, params) as result:
            while rows := result.cursor.fetchmany(BATCH):
                yield rows
    else:
        # psycopg reads a whole result at once unless asked for a server-side cursor (yield_per).
        with connection.execution_options(yield_per=BATCH).execute(stmt, params) as result:
            yield from result.partitions()


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
