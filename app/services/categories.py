from sqlalchemy import bindparam, func
from sqlalchemy.orm import Session

from app.auth import LedgerAccess
from app.models import Budget, Expense
from app.services import bound_budgets, bound_expenses, in_ledger, owned_budgets, owned_expenses
from app.types import category_key

# Built once (app.services.bound_expenses): a new expense asks these on every POST.
_USED = bound_expenses(Expense.category).where(Expense.category_key == bindparam("key")).limit(1)
_BUDGETED = bound_budgets(Budget.category).where(Budget.category_key == bindparam("key")).limit(1)


def canonical_category(session: Session, *, access: LedgerAccess, category: str) -> tuple[str, str]:
    """The spelling the ledger first gave this category, and its key: `food` files under `Food`."""
    key = category_key(category)
    for stmt in (_USED, _BUDGETED):
        existing = session.scalar(stmt, in_ledger(access, key=key))
        if existing is not None:
            return existing, key
    return category, key


def list_categories(session: Session, *, access: LedgerAccess) -> list[tuple[str, int, int | None]]:
    """Every category the ledger has used or budgeted: (name, number of expenses, budget cents)."""
    counts = session.execute(
        owned_expenses(access, Expense.category_key, func.min(Expense.category), func.count()).group_by(
            Expense.category_key
        )
    ).all()
    columns = (Budget.category_key, Budget.category, Budget.amount_cents)
    budgets = session.execute(owned_budgets(access, *columns)).all()
    found: dict[str, tuple[str, int, int | None]] = {key: (name, n, None) for key, name, n in counts}
    for key, name, cents in budgets:
        shown, n, _ = found.get(key, (name, 0, None))
        found[key] = (shown, n, cents)
    return [found[key] for key in sorted(found)]
