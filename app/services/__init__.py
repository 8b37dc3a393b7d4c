"""What every service shares: which rows a user may see, stated once per table, and the 404 lookup.

Every read of a user's expenses, monthly totals or budgets starts from `owned_*`, aggregates
included, so changing who may see a row (shared ledgers) is one edit per table, here.
"""

from typing import Any, TypeVar, overload

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Budget, Expense, MonthlyTotal, User
from app.types import MAX_DB_ID

T = TypeVar("T")


# Without columns, the rows themselves, typed; with columns, those columns (sums too).
@overload
def owned_expenses(user: User) -> Select[Expense]: ...
@overload
def owned_expenses(user: User, *columns: Any) -> Select[Any]: ...
def owned_expenses(user: User, *columns: Any) -> Select[Any]:
    """This user's expenses only."""
    return select(*(columns or (Expense,))).where(Expense.user_id == user.id)


@overload
def owned_budgets(user: User) -> Select[Budget]: ...
@overload
def owned_budgets(user: User, *columns: Any) -> Select[Any]: ...
def owned_budgets(user: User, *columns: Any) -> Select[Any]:
    """This user's budgets only."""
    return select(*(columns or (Budget,))).where(Budget.user_id == user.id)


def owned_totals(user: User, *columns: Any) -> Select[Any]:
    """These columns of this user's monthly totals only."""
    return select(*columns).where(MonthlyTotal.user_id == user.id)


def one_by_id(session: Session, stmt: Select[T], id_column: Any, object_id: int, missing: str) -> T:
    """The row `stmt` finds with this id, or 404: an id no BIGINT can hold is simply not found."""
    found = session.scalar(stmt.where(id_column == object_id)) if 0 < object_id <= MAX_DB_ID else None
    if found is None:
        raise NotFound(missing)
    return found
