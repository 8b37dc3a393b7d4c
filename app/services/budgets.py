from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.access import LedgerAccess, ObjectScope
from app.errors import AppError
from app.models import Budget
from app.money import max_minor, minor_digits, to_decimal, to_minor
from app.schemas.reports import BudgetIn, BudgetUpdate
from app.services import in_ledger, member_object, scoped
from app.services.categories import canonical_category
from app.services.conversion import minor_amount
from app.types import category_key


def list_budgets(session: Session, *, access: LedgerAccess) -> list[Budget]:
    return list(session.scalars(scoped(Budget).order_by(Budget.category_key), in_ledger(access)))


def get_budget(
    session: Session, *, scope: ObjectScope, budget_id: int, write: bool = False
) -> tuple[Budget, LedgerAccess]:
    """The budget in any of the caller's ledgers, and the caller's access to its ledger."""
    return member_object(session, Budget, scope, budget_id, "Budget not found", write=write)


def _budget_for(session: Session, access: LedgerAccess, key: str) -> Budget | None:
    return session.scalar(scoped(Budget).where(Budget.category_key == key), in_ledger(access))


def set_budget(session: Session, *, access: LedgerAccess, data: BudgetIn) -> tuple[Budget, bool]:
    """Create the category's budget, or update it if it has one; says whether it was created."""
    amount = minor_amount(data.amount, access.currency)
    budget = _budget_for(session, access, category_key(data.category))
    if budget is not None:
        budget.amount_minor = amount
        session.commit()
        return budget, False
    category, key = canonical_category(session, access=access, category=data.category)
    budget = Budget(
        ledger_id=access.ledger_id,
        user_id=access.user_id,
        category=category,
        category_key=key,
        amount_minor=amount,
    )
    session.add(budget)
    try:
        session.commit()
    except IntegrityError:  # a concurrent request created it first: this becomes an update
        session.rollback()
        return set_budget(session, access=access, data=data)
    return budget, True


def update_budget(
    session: Session, *, scope: ObjectScope, budget_id: int, data: BudgetUpdate
) -> tuple[Budget, LedgerAccess]:
    """The budget changed, and the caller's access to its ledger."""
    budget, access = get_budget(session, scope=scope, budget_id=budget_id, write=True)
    if data.category is not None and category_key(data.category) != budget.category_key:
        if _budget_for(session, access, category_key(data.category)) is not None:
            raise _category_taken(data.category)
        budget.category, budget.category_key = canonical_category(
            session, access=access, category=data.category
        )
    if data.amount is not None:
        budget.amount_minor = minor_amount(data.amount, access.currency)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise _category_taken(str(data.category)) from None
    return budget, access


def _category_taken(category: str) -> AppError:
    return AppError(409, f"There is already a budget for {category}. Edit that one instead.")


def change_currency(session: Session, *, ledger_id: int, old: str, new: str) -> None:
    """Keep each budget's number when its ledger's currency changes (12.50 USD -> 12.50 EUR), rounded
    half up to the new currency's minor unit (12.50 USD -> 13 JPY)."""
    for budget in session.scalars(select(Budget).where(Budget.ledger_id == ledger_id)):
        amount = to_decimal(budget.amount_minor, old).quantize(
            Decimal(1).scaleb(-minor_digits(new)), ROUND_HALF_UP
        )
        budget.amount_minor = max(1, to_minor(amount, new))  # a budget of 0.40 USD is 1 JPY, not 0


def delete_budget(session: Session, *, scope: ObjectScope, budget_id: int) -> None:
    session.delete(get_budget(session, scope=scope, budget_id=budget_id, write=True)[0])
    session.commit()


def move_category(session: Session, *, access: LedgerAccess, old_key: str, new_key: str, name: str) -> None:
    """The budget of the category `old_key` moves to `new_key`, spelled `name`, in the caller's
    transaction (a rename or merge: app.services.category_edits). Where both categories have a
    monthly budget, the merged category's is their sum: it holds the spending of both, and neither
    limit is lost. 409 when that sum is more than a budget can be (nothing changed)."""
    old = _budget_for(session, access, old_key)
    target = None if new_key == old_key else _budget_for(session, access, new_key)
    if old is not None and target is not None:
        if old.amount_minor + target.amount_minor > max_minor(access.currency):
            raise AppError(
                409,
                f"The budgets of {old.category} and {target.category} add up to more than "
                f"1,000,000,000 {access.currency}, the most a budget can be: lower one of them first.",
            )
        target.amount_minor += old.amount_minor
        session.delete(old)
        session.flush()  # the old row goes before anything else is written
    target = target or old
    if target is not None:
        target.category, target.category_key = name, new_key
