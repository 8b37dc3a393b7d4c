"""What every service shares: which rows a request may see, stated once per table, and the 404 lookup.

Every read of a ledger's expenses, monthly or daily totals or budgets starts from `bound_*` (a statement
built once) or `owned_*` (the same, given the request's ledger), aggregates included, so who may
see a row is one statement per table, here.
"""

from typing import Any, TypeVar, overload

from sqlalchemy import Select, and_, bindparam, select, update
from sqlalchemy.orm import Session

from app.auth import LedgerAccess, MemberScope
from app.errors import NotFound
from app.models import Budget, DailyTotal, Expense, Ledger, LedgerMember, MonthlyTotal
from app.types import MAX_DB_ID

T = TypeVar("T")


# Each table's scope, stated once: its ledger, a parameter. A statement built once on these and run
# for many requests (app.services.listing, totals) is given the ledger by `in_ledger`; left out, the
# query fails; it never reads every ledger.
def bound_expenses(*columns: Any) -> Select[Any]:
    return select(*columns).where(Expense.ledger_id == bindparam("ledger_id"))


def bound_budgets(*columns: Any) -> Select[Any]:
    return select(*columns).where(Budget.ledger_id == bindparam("ledger_id"))


def bound_totals(*columns: Any) -> Select[Any]:
    return select(*columns).where(MonthlyTotal.ledger_id == bindparam("ledger_id"))


def bound_daily_totals(*columns: Any) -> Select[Any]:
    return select(*columns).where(DailyTotal.ledger_id == bindparam("ledger_id"))


# The same scopes with the request's ledger given. Without columns, the rows themselves, typed; with
# columns, those columns (sums too).
@overload
def owned_expenses(access: LedgerAccess) -> Select[Expense]: ...
@overload
def owned_expenses(access: LedgerAccess, *columns: Any) -> Select[Any]: ...
def owned_expenses(access: LedgerAccess, *columns: Any) -> Select[Any]:
    """The expenses of the request's ledger only."""
    return bound_expenses(*(columns or (Expense,))).params(ledger_id=access.ledger_id)


@overload
def owned_budgets(access: LedgerAccess) -> Select[Budget]: ...
@overload
def owned_budgets(access: LedgerAccess, *columns: Any) -> Select[Any]: ...
def owned_budgets(access: LedgerAccess, *columns: Any) -> Select[Any]:
    """The budgets of the request's ledger only."""
    return bound_budgets(*(columns or (Budget,))).params(ledger_id=access.ledger_id)


def in_ledger(access: LedgerAccess, **values: Any) -> dict[str, Any]:
    """The parameters of a statement built on one of the bound_* scopes above."""
    return {"ledger_id": access.ledger_id, **values}


def one_by_id(session: Session, stmt: Select[T], id_column: Any, object_id: int, missing: str) -> T:
    """The row `stmt` finds with this id, or 404: an id no BIGINT can hold is simply not found."""
    found = session.scalar(stmt.where(id_column == object_id)) if 0 < object_id <= MAX_DB_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def member_object(
    session: Session, model: type[T], scope: MemberScope, object_id: int, missing: str, *, write: bool = False
) -> tuple[T, LedgerAccess]:
    """An object (expense, budget, rule) in any ledger the caller belongs to, and the caller's access
    to that ledger: one query. 404 outside those ledgers (or outside `scope.ledger_id` when given);
    403 for a write by a viewer.
    """
    table: Any = model  # any model with `id` and `ledger_id`
    ledger_id = table.ledger_id
    membership = and_(LedgerMember.ledger_id == ledger_id, LedgerMember.user_id == scope.user.id)
    stmt = (
        select(model, LedgerMember.ledger_id, LedgerMember.role, Ledger.currency)
        .join(LedgerMember, membership)
        .join(Ledger, Ledger.id == ledger_id)
    )
    if scope.ledger_id is not None:
        stmt = stmt.where(ledger_id == scope.ledger_id)
    if write:
        # PostgreSQL: the ledger's row first, as every write to the ledger takes it (its revision,
        # app.models.REVISION_DDL), before the monthly totals; in any other order two writes could
        # each hold what the other waits for. (NO KEY UPDATE: new rows' foreign keys do not wait.)
        stmt = stmt.with_for_update(of=Ledger, key_share=True)
    row = session.execute(stmt.where(table.id == object_id)).first() if 0 < object_id <= MAX_DB_ID else None
    if row is None:
        raise NotFound(missing)
    obj = row[0]
    access = LedgerAccess(
        user_id=scope.user.id, ledger_id=row.ledger_id, role=row.role, currency=row.currency
    )
    if write:
        access.require("editor")
    return obj, access


# Built once: every change to a ledger's money or members asks them.
_LOCK_LEDGER = update(Ledger).where(Ledger.id == bindparam("ledger_id")).values(revision=Ledger.revision + 1)
_MEMBER_ROLES = select(LedgerMember.user_id, LedgerMember.role).where(
    LedgerMember.ledger_id == bindparam("ledger_id")
)


def lock_ledger(session: Session, ledger_id: int) -> dict[int, str]:
    """Take the ledger's write lock, in the caller's transaction, and return its members' roles as
    they are now (empty: the ledger is gone).

    Every change to a ledger's expenses, settlements or members takes this first, so those changes
    happen one after another per ledger, and a rule checked after it (the caller's role, who may
    bear a part, the last owner, a zero balance) still holds when the transaction commits.
    PostgreSQL: the ledger's row lock, held to the commit. SQLite: the database's write lock, which
    this update takes before the transaction reads anything (pysqlite begins at the first write).
    """
    params = {"ledger_id": ledger_id}
    session.execute(_LOCK_LEDGER, params)
    return {int(user_id): str(role) for user_id, role in session.execute(_MEMBER_ROLES, params)}
