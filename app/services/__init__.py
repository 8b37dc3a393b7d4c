"""What every service shares: which rows a request may see, stated once, the ledger's lock, and
the 404 lookups.

Every read of a ledger's rows (expenses, totals, budgets), aggregates included, starts from
`scoped`: the ledger is a bound parameter, given with `in_ledger(access)` when the statement runs,
whether the statement is built for the request or once for all of them. A route with an object id
finds it with `member_object`, in any ledger the caller belongs to.
"""

from typing import Any, TypeVar, overload

from sqlalchemy import Select, and_, bindparam, func, select, text, update
from sqlalchemy.orm import Session

from app.access import LedgerAccess, ObjectScope, check_role
from app.errors import NotFound
from app.models import Ledger, LedgerMember
from app.types import MAX_DB_ID

T = TypeVar("T")


@overload
def scoped(table: type[T]) -> Select[T]: ...
@overload
def scoped(table: type[Any], *columns: Any) -> Select[Any]: ...
def scoped(table: type[Any], *columns: Any) -> Select[Any]:
    """The rows of `table` (or these columns of them) in the ledger given as the parameter
    `ledger_id`: run without it, the statement fails; it never reads every ledger."""
    return select(*(columns or (table,))).where(table.ledger_id == bindparam("ledger_id"))


def in_ledger(access: LedgerAccess, **values: Any) -> dict[str, Any]:
    """The parameters of a statement that starts from `scoped`, the request's ledger among them."""
    return {"ledger_id": access.ledger_id, **values}


def one_by_id(session: Session, stmt: Select[T], id_column: Any, object_id: int, missing: str) -> T:
    """The row `stmt` finds with this id, or 404: an id no BIGINT can hold is simply not found."""
    found = session.scalar(stmt.where(id_column == object_id)) if 0 < object_id <= MAX_DB_ID else None
    if found is None:
        raise NotFound(missing)
    return found


def member_object(
    session: Session, model: type[T], scope: ObjectScope, object_id: int, missing: str, *, write: bool = False
) -> tuple[T, LedgerAccess]:
    """An object (expense, budget, rule) in any ledger the caller belongs to, and the caller's access
    to that ledger: one query. 404 outside those ledgers (or outside `scope.ledger_id` when given);
    403 for a write by a viewer.
    """
    table: Any = model  # any model with `id` and `ledger_id`
    ledger_id = table.ledger_id
    membership = and_(LedgerMember.ledger_id == ledger_id, LedgerMember.user_id == scope.user_id)
    stmt = (
        select(model, LedgerMember.ledger_id, LedgerMember.role, Ledger.currency)
        .join(LedgerMember, membership)
        .join(Ledger, Ledger.id == ledger_id)
    )
    if scope.ledger_id is not None:
        stmt = stmt.where(ledger_id == scope.ledger_id)
    if write:
        # PostgreSQL: the ledger's row first, as every write to the ledger takes it (its version,
        # app.models.VERSION_DDL), before the monthly totals; in any other order two writes could
        # each hold what the other waits for. (NO KEY UPDATE: new rows' foreign keys do not wait.)
        stmt = stmt.with_for_update(of=Ledger, key_share=True)
    row = session.execute(stmt.where(table.id == object_id)).first() if 0 < object_id <= MAX_DB_ID else None
    if row is None:
        raise NotFound(missing)
    obj = row[0]
    access = LedgerAccess(
        user_id=scope.user_id, ledger_id=row.ledger_id, role=row.role, currency=row.currency
    )
    if write:
        check_role(access.role, "editor")
    return obj, access


# Built once: every change to a ledger's money or members asks them. Each stamps the ledger with a
# new version (app.models.VERSION_DDL) as it takes the ledger's lock.
_NEXT_VERSION = text("UPDATE ledger_versions SET last = last + 1")
_STAMP = update(Ledger).where(Ledger.id == bindparam("ledger_id"))
_LOCK_LEDGER = {
    "postgresql": (_STAMP.values(version=func.nextval("ledger_versions")),),
    "sqlite": (_NEXT_VERSION, _STAMP.values(version=text("(SELECT last FROM ledger_versions)"))),
}
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
    its first update takes before the transaction reads anything (pysqlite begins at the first write).
    """
    params = {"ledger_id": ledger_id}
    for statement in _LOCK_LEDGER[session.get_bind().dialect.name]:
        session.execute(statement, params)
    return {int(user_id): str(role) for user_id, role in session.execute(_MEMBER_ROLES, params)}


def locked_roles(
    session: Session, ledger_id: int, user_id: int | None, need: str = "editor"
) -> dict[int, str]:
    """Take the ledger's lock (lock_ledger); its members' roles, once the caller (unless None: the
    schedule) has at least `need` as the ledger is now. The request's access was resolved before the
    lock, and the caller may have been removed (404) or demoted (403) since: every writer asks this."""
    roles = lock_ledger(session, ledger_id)
    if not roles:  # the ledger is gone
        raise NotFound("Ledger not found")
    if user_id is not None:
        check_role(roles.get(user_id), need)
    return roles
