"""Renaming a category, or merging it into another: everything filed under it moves at once.

A category is not a row of its own: it is the name (and its case-folded key) that expenses, budgets
and recurring rules carry. Renaming or merging changes that name on all three, and the monthly totals
with the expenses, in one transaction under the ledger's lock, so no write sees half of it and
every read after it (and its ETag, through the ledger's version) sees all of it.
"""

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.errors import NotFound
from app.models import Budget, Expense, RecurringRule
from app.services import budgets, expenses, in_ledger, locked_roles, recurring, scoped
from app.services.categories import canonical_category
from app.types import category_key


@dataclass(frozen=True)
class Renamed:
    category: str  # as the ledger spells it now
    count: int  # its expenses
    budget_minor: int | None
    merged: bool  # it joined a category the ledger already had


def _in_use(session: Session, access: LedgerAccess, key: str) -> bool:
    """Whether an expense, a budget or a recurring rule of the ledger is filed under `key`."""
    found = [
        scoped(table).where(table.category_key == key).exists() for table in (Expense, Budget, RecurringRule)
    ]
    return bool(session.scalar(select(or_(*found)), in_ledger(access)))


def rename_category(session: Session, *, access: LedgerAccess, category: str, to: str) -> Renamed:
    """Give `category` the name `to`. A name the ledger already uses for another category (in any
    case) merges the two under that category's spelling: expenses, budgets (added together) and
    recurring rules. A new name, or the same one spelled otherwise, renames: the spelling given.
    404 when the ledger has no such category; 403 for a viewer, checked again under the lock."""
    locked_roles(session, access.ledger_id, access.user_id)
    old_key, new_key = category_key(category), category_key(to)
    if not _in_use(session, access, old_key):
        raise NotFound(f"This ledger has no category {category}.")
    merged = new_key != old_key and _in_use(session, access, new_key)
    name = canonical_category(session, access=access, category=to)[0] if merged else to
    # The budgets first: the one refusal (two budgets too large together) comes before any write.
    budgets.move_category(session, access=access, old_key=old_key, new_key=new_key, name=name)
    expenses.move_category(session, ledger_id=access.ledger_id, old_key=old_key, new_key=new_key, name=name)
    recurring.move_category(session, ledger_id=access.ledger_id, old_key=old_key, new_key=new_key, name=name)
    count = session.scalar(
        scoped(Expense, func.count()).where(Expense.category_key == new_key), in_ledger(access)
    )
    budget = session.scalar(
        scoped(Budget, Budget.amount_minor).where(Budget.category_key == new_key), in_ledger(access)
    )
    session.commit()
    return Renamed(category=name, count=int(count or 0), budget_minor=budget, merged=merged)
