"""The expense list: which expenses a request asks for (dates, a category, text), a page of them and
their totals, scoped to its ledger.

The list, its totals and the CSV export share `filtered`. Text search uses an index on both
databases (SQLite FTS5 trigrams, PostgreSQL pg_trgm) and keeps LIKE's meaning exactly.
"""

import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    column,
    func,
    or_,
    select,
    table,
    tuple_,
)
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.database import UNICODE_LOWER
from app.models import Expense, ExpenseSplit
from app.schemas.expenses import STORED, expense_answer
from app.services import in_ledger, scoped, totals
from app.types import category_key


@dataclass(frozen=True)
class ExpenseFilter:
    start: date | None = None
    end: date | None = None
    category: str | None = None
    q: str | None = None


def filtered(f: ExpenseFilter, *columns: Any, dialect: str, text_index: bool = True) -> Select[Any]:
    """The expenses that match the filter (the list, its totals and the CSV export), in the ledger
    given with in_ledger(access).

    text_index=False tests q on each row the query reads rather than asking the text index first.
    """
    return scoped(Expense, *columns).where(*_conditions(f, dialect, bound=False, text_index=text_index))


def _conditions(
    f: ExpenseFilter, dialect: str, *, bound: bool, text_index: bool = True
) -> list[ColumnElement[bool]]:
    """The filter's conditions; `bound`: each value a parameter named as in `_values`, so one
    statement serves every request that sends the same fields (text search is always literal)."""

    def value(name: str, given: Any) -> Any:
        return bindparam(name) if bound else given

    conditions = []
    if f.start is not None:
        conditions.append(Expense.date >= value("start", f.start))
    if f.end is not None:
        conditions.append(Expense.date <= value("end", f.end))
    if f.category:
        conditions.append(Expense.category_key == value("category_key", category_key(f.category)))
    if f.q:
        conditions.append(_matches(f.q, dialect) if text_index else _contains(f.q, dialect))
    return conditions


def _values(f: ExpenseFilter) -> dict[str, Any]:
    return {"start": f.start, "end": f.end, "category_key": category_key(f.category) if f.category else None}


def list_expenses(
    session: Session,
    *,
    access: LedgerAccess,
    filters: ExpenseFilter,
    limit: int,
    offset: int = 0,
    cursor: tuple[date, int] | None = None,
) -> tuple[list[dict[str, Any]], int, int]:
    """One page, newest first, as ExpenseOut's fields, plus the count and sum of every match."""
    dialect = session.get_bind().dialect.name
    key = category_key(filters.category) if filters.category else None
    text_index = True
    if filters.q:  # text matches cannot be pre-summed
        total, total_minor = session.execute(
            filtered(
                filters,
                func.count(),
                func.coalesce(func.sum(Expense.base_amount_minor), 0),
                dialect=dialect,
            ),
            in_ledger(access),
        ).one()
        # SQLite: a common q's page is found fastest by walking the ledger newest first (the date
        # index) and testing each row, a few rows per match; the text index would hand over every
        # match, to be sorted before the first page. A rare q would walk far: the index then.
        if dialect == "sqlite":
            in_range, _ = totals.range_total(
                session, access=access, start=filters.start, end=filters.end, category_key=key
            )
            text_index = (offset + limit) * in_range > total * total  # rows walked > matches sorted
    else:
        total, total_minor = totals.range_total(
            session, access=access, start=filters.start, end=filters.end, category_key=key
        )
    # Built once per set of fields sent (start, end, category, cursor): building a statement costs
    # SQLAlchemy more than SQLite's answer. A text search is built for its own q.
    if filters.q:
        page = _page(filters, cursor is not None, dialect, bound=False, text_index=text_index)
    else:
        sent = (
            filters.start is not None,
            filters.end is not None,
            bool(filters.category),
            cursor is not None,
        )
        page = _cached_page(*sent, dialect=dialect)
    params = in_ledger(access, limit=limit, offset=offset, **_values(filters))
    if cursor is not None:
        params |= {"cursor_date": cursor[0], "cursor_id": cursor[1]}
    # Rows, not ORM objects: on a page of 50 the ORM's objects, a second statement with 50 bound
    # ids and Row._asdict cost more than the SQL. A row per split part, an expense's together.
    items = []
    for _, group in groupby(session.connection().execute(page, params), key=itemgetter(0)):
        rows = list(group)
        stored = dict(zip(STORED, rows[0][:_PARTS], strict=True))
        parts = [row[_PARTS:] for row in rows if row[_PARTS] is not None]
        items.append(expense_answer(stored, parts, access.currency))
    return items, total, int(total_minor)


# An expense's stored columns, in ExpenseOut's order (app.schemas.expenses.STORED), then its parts'.
_SHOWN = tuple(getattr(Expense, column) for column in STORED.values())
_PARTS = len(_SHOWN)


def _page(
    f: ExpenseFilter, after_cursor: bool, dialect: str, *, bound: bool, text_index: bool = True
) -> Select[Any]:
    """A page and its split parts in one statement, a row per part (every expense has one), newest
    first. Its ledger, limit, offset and cursor are parameters, and with `bound` so are the filter's
    values (`_conditions`): a parameter left out fails the query, never reads another's rows."""
    page = scoped(Expense, *_SHOWN).where(*_conditions(f, dialect, bound=bound, text_index=text_index))
    if after_cursor:
        cursor = tuple_(bindparam("cursor_date", type_=Date), bindparam("cursor_id", type_=BigInteger))
        page = page.where(tuple_(Expense.date, Expense.id) < cursor)
    newest_first = (Expense.date.desc(), Expense.id.desc())
    page = page.order_by(*newest_first).limit(bindparam("limit")).offset(bindparam("offset"))
    shown = page.subquery()
    parts = ExpenseSplit.__table__.c
    return (
        select(shown, parts.user_id, parts.shares, parts.amount_minor, parts.base_amount_minor)
        .outerjoin(ExpenseSplit, parts.expense_id == shown.c.id)
        .order_by(shown.c.date.desc(), shown.c.id.desc(), parts.user_id)
    )


@cache
def _cached_page(start: bool, end: bool, category: bool, after_cursor: bool, *, dialect: str) -> Select[Any]:
    # Only which fields are set matters here: their values are parameters.
    sent = ExpenseFilter(date.min if start else None, date.min if end else None, "-" if category else None)
    return _page(sent, after_cursor, dialect, bound=True)


def _matches(q: str, dialect: str) -> ColumnElement[bool]:
    """Description or category contains q, case-insensitively (for non-ASCII letters too)."""
    exact = _contains(q, dialect)
    # PostgreSQL's pg_trgm indexes serve ILIKE as it is; SQLite's LIKE needs the FTS5 table.
    if dialect != "sqlite" or not _trigrams_find_all(q):
        return exact
    # The trigram index names every row that contains q; `exact` then keeps LIKE's meaning on
    # those few, so the answer is the scan's, row for row.
    phrase = '"' + q.lower().replace('"', '""') + '"'  # a quoted FTS5 string: no operators in q
    return and_(Expense.id.in_(select(_FTS.c.rowid).where(_FTS.c.expenses_fts.match(phrase))), exact)


def _contains(q: str, dialect: str) -> ColumnElement[bool]:
    pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if dialect == "sqlite" and not q.isascii():
        # SQLite's LIKE folds ASCII only: for other letters lower both sides in Python (app.database).
        # Alone, a Python call per row would make a search several times slower: the text index
        # (_matches) narrows the rows first.
        lower = getattr(func, UNICODE_LOWER)
        return or_(
            lower(Expense.description).like(pattern.lower(), escape="\\"),
            lower(Expense.category).like(pattern.lower(), escape="\\"),
        )
    return or_(Expense.description.ilike(pattern, escape="\\"), Expense.category.ilike(pattern, escape="\\"))


_FTS = table("expenses_fts", column("rowid"), column("expenses_fts"))  # app.models.SEARCH_DDL


def _trigrams_find_all(q: str) -> bool:
    """Whether the FTS5 trigram index finds every row the LIKE scan finds for q.

    Trigrams need 3 letters. FTS5 folds case by its own per-letter table, not Python's str.lower
    (SQLite 3.40 leaves Cherokee, some Greek and Cyrillic additions and "İ" unfolded), so a
    non-ASCII q that holds such a letter's lower case, or part of one, is left to the scan.
    An ASCII q is compared as LIKE does, ASCII letters folded only, which FTS5 does the same.
    """
    lowered = q.lower()
    if len(lowered) < 3:
        return False
    if q.isascii():
        return True
    letters, prefixes, suffixes = _unfolded_by_fts()
    return letters.isdisjoint(lowered) and not lowered.endswith(prefixes) and not lowered.startswith(suffixes)


@cache
def _unfolded_by_fts() -> tuple[frozenset[str], tuple[str, ...], tuple[str, ...]]:
    """Asked once of the SQLite library in use: the letters whose case FTS5 folds unlike Python.

    Returns the non-ASCII letters of their lower case, and the starts and ends of a lower case
    longer than one letter ("İ" lowers to "i" and a combining dot), which a q may cut through.
    """
    # Unicode 15 has no cased letter past U+1E943 (Adlam): no need to ask about the planes above.
    pairs = [(chr(c), chr(c).lower()) for c in range(0x20000) if chr(c).lower() != chr(c)]
    pairs.append(("Σ", "ς"))  # Python lowers a word's final sigma to ς
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute("CREATE VIRTUAL TABLE probe USING fts5(text, tokenize='trigram case_sensitive 0')")
        db.executemany(
            "INSERT INTO probe(rowid, text) VALUES (?, ?)", [(i, f"<{c}>") for i, (c, _) in enumerate(pairs)]
        )
        unfolded = [
            lower
            for i, (_, lower) in enumerate(pairs)
            if db.execute(
                "SELECT 1 FROM probe WHERE probe MATCH ? AND rowid = ?", (f'"<{lower}>"', i)
            ).fetchone()
            is None
        ]
    letters = frozenset(ch for lower in unfolded for ch in lower if not ch.isascii())
    long = [lower for lower in unfolded if len(lower) > 1]
    prefixes = tuple(lower[:n] for lower in long for n in range(1, len(lower)))
    suffixes = tuple(lower[n:] for lower in long for n in range(1, len(lower)))
    return letters, prefixes, suffixes
