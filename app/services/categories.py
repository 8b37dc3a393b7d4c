from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Budget, Expense, User
from app.schemas import category_key


def canonical_category(session: Session, *, user: User, category: str) -> tuple[str, str]:
    """The spelling the user first gave this category, and its key: `food` files under `Food`."""
    key = category_key(category)
    for model in (Expense, Budget):
        existing = session.scalar(
            select(model.category).where(model.user_id == user.id, model.category_key == key).limit(1)
        )
        if existing is not None:
            return existing, key
    return category, key


def list_categories(session: Session, *, user: User) -> list[tuple[str, int, int | None]]:
    """Every category the user has used or budgeted: (name, number of expenses, budget cents)."""
    counts = session.execute(
        select(Expense.category_key, func.min(Expense.category), func.count())
        .where(Expense.user_id == user.id)
        .group_by(Expense.category_key)
    ).all()
    budgets = session.execute(
        select(Budget.category_key, Budget.category, Budget.amount_cents).where(Budget.user_id == user.id)
    ).all()
    found: dict[str, tuple[str, int, int | None]] = {key: (name, n, None) for key, name, n in counts}
    for key, name, cents in budgets:
        shown, n, _ = found.get(key, (name, 0, None))
        found[key] = (shown, n, cents)
    return [found[key] for key in sorted(found)]
