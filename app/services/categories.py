from sqlalchemy import ColumnElement, bindparam, func, select
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.models import Budget, Expense, RecurringRule
from app.services import in_ledger, scoped
from app.types import category_key


def canonical_category(session: Session, *, access: LedgerAccess, category: str) -> tuple[str, str]:
    """The spelling the ledger first gave this category, and its key: `food` files under `Food`."""
    key = category_key(category)
    return session.scalar(_SPELLING, {"ledger_id": access.ledger_id, "key": key}) or category, key


def spelling(ledger_id: ColumnElement[int], key: ColumnElement[str | None]) -> ColumnElement[str | None]:
    """The ledger's spelling of a category key: an expense's, else a budget's, else a recurring
    rule's (null for a new one). All three file under a category, so an expense, a budget or a
    rename that joins a category only a rule has used takes the rule's spelling, and the rule's
    next occurrences match the expenses. A column, so a query that reads something else can read it
    too (one statement, not two).

    Scoped by `ledger_id` as `scoped` scopes a statement, but by a bound
    parameter: a statement built once costs a request neither its construction nor its cache key,
    only its parameters, and it cannot run without the ledger.
    """
    used = select(Expense.category).where(Expense.ledger_id == ledger_id, Expense.category_key == key)
    budgeted = select(Budget.category).where(Budget.ledger_id == ledger_id, Budget.category_key == key)
    planned = select(RecurringRule.category).where(
        RecurringRule.ledger_id == ledger_id, RecurringRule.category_key == key
    )
    return func.coalesce(*(spelt.limit(1).scalar_subquery() for spelt in (used, budgeted, planned)))


_SPELLING = select(spelling(bindparam("ledger_id"), bindparam("key")))


def list_categories(session: Session, *, access: LedgerAccess) -> list[tuple[str, int, int | None]]:
    """Every category the ledger has used or budgeted: (name, number of expenses, budget cents)."""
    counts = session.execute(
        scoped(Expense, Expense.category_key, func.min(Expense.category), func.count()).group_by(
            Expense.category_key
        ),
        in_ledger(access),
    ).all()
    columns = (Budget.category_key, Budget.category, Budget.amount_minor)
    budgets = session.execute(scoped(Budget, *columns), in_ledger(access)).all()
    found: dict[str, tuple[str, int, int | None]] = {key: (name, n, None) for key, name, n in counts}
    for key, name, cents in budgets:
        shown, n, _ = found.get(key, (name, 0, None))
        found[key] = (shown, n, cents)
    return [found[key] for key in sorted(found)]
