"""Everything one account holds, as one JSON document, streamed so memory stays flat."""

import json
from collections.abc import Iterator

from sqlalchemy.orm import Session

from app.models import Budget, Expense, User, utcnow
from app.schemas import BudgetOut, ExpenseOut, UserOut
from app.services import owned_budgets, owned_expenses

BATCH = 1000


def export_account(session: Session, *, user: User) -> Iterator[str]:
    """{exported_at, account, budgets, expenses}: the account's own data and nobody else's."""
    account = UserOut.model_validate(user).model_dump_json()
    # A session of its own: the request's is closed before the body finishes streaming.
    with Session(bind=session.get_bind()) as own:
        budgets = own.scalars(owned_budgets(user).order_by(Budget.category_key))
        budget_json = ",".join(BudgetOut.model_validate(b).model_dump_json() for b in budgets)
        yield (
            f'{{"exported_at":{json.dumps(utcnow().isoformat())},"account":{account},'
            f'"budgets":[{budget_json}],"expenses":['
        )
        expenses = own.scalars(
            owned_expenses(user).order_by(Expense.date, Expense.id).execution_options(yield_per=BATCH)
        )
        first = True
        for partition in expenses.partitions():
            chunk = ",".join(ExpenseOut.model_validate(e).model_dump_json() for e in partition)
            yield chunk if first else "," + chunk
            first = False
    yield "]}"
