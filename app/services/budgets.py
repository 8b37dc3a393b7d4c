from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import LedgerAccess, MemberScope
from app.errors import AppError
from app.models import Budget
from app.schemas.reports import BudgetIn, BudgetUpdate
from app.services import member_object, owned_budgets
from app.services.categories import canonical_category
from app.types import category_key


def list_budgets(session: Session, *, access: LedgerAccess) -> list[Budget]:
    return list(session.scalars(owned_budgets(access).order_by(Budget.category_key)))


def get_budget(
    session: Session, *, scope: MemberScope, budget_id: int, write: bool = False
) -> tuple[Budget, LedgerAccess]:
    """The budget in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, Budget, scope, budget_id, "Budget not found", write=write)


def _budget_for(session: Session, access: LedgerAccess, key: str) -> Budget | None:
    return session.scalar(owned_budgets(access).where(Budget.category_key == key))


def set_budget(session: Session, *, access: LedgerAccess, data: BudgetIn) -> tuple[Budget, bool]:
    """Create the category's budget, or update it if it has one; says whether it was created."""
    budget = _budget_for(session, access, category_key(data.category))
    if budget is not None:
        budget.amount_cents = data.amount
        session.commit()
        return budget, False
    category, key = canonical_category(session, access=access, category=data.category)
    budget = Budget(
        ledger_id=access.ledger_id,
        user_id=access.user.id,
        category=category,
        category_key=key,
        amount_cents=data.amount,
    )
    session.add(budget)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request created it first: this becomes an update
        session.rollback()
        return set_budget(session, access=access, data=data)
    return budget, True


def update_budget(session: Session, *, scope: MemberScope, budget_id: int, data: BudgetUpdate) -> Budget:
    budget, access = get_budget(session, scope=scope, budget_id=budget_id, write=True)
    if data.category is not None and category_key(data.category) != budget.category_key:
        if _budget_for(session, access, category_key(data.category)) is not None:
            raise _category_taken(data.category)
        budget.category, budget.category_key = canonical_category(
            session, access=access, category=data.category
        )
    if data.amount is not None:
        budget.amount_cents = data.amount
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _category_taken(str(data.category)) from None
    return budget


def _category_taken(category: str) -> AppError:
    return AppError(409, f"There is already a budget for {category}. Edit that one instead.")


def delete_budget(session: Session, *, scope: MemberScope, budget_id: int) -> None:
    session.delete(get_budget(session, scope=scope, budget_id=budget_id, write=True)[0])
    session.commit()
