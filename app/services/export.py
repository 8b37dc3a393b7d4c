"""Everything one account holds, as one JSON document, streamed so memory stays flat."""

import json
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import LedgerAccess
from app.models import Budget, Expense, Ledger, LedgerMember, User, utcnow
from app.schemas import BudgetOut, ExpenseOut, UserOut
from app.services import owned_budgets, owned_expenses

BATCH = 1000


def export_account(session: Session, *, user: User) -> Iterator[str]:
    """{exported_at, account, ledgers, budgets, expenses}: every ledger the account owns (each budget
    and expense names its ledger), and nobody else's data.
    """
    account = UserOut.model_validate(user).model_dump_json()
    # A session of its own: the request's is closed before the body finishes streaming.
    with Session(bind=session.get_bind()) as own:
        ledgers = own.execute(
            select(Ledger.id, Ledger.name, Ledger.currency, Ledger.personal_of)
            .join(LedgerMember, LedgerMember.ledger_id == Ledger.id)
            .where(LedgerMember.user_id == user.id, LedgerMember.role == "owner")
            .order_by(Ledger.id)
        ).all()
        owned = [LedgerAccess(user=user, ledger_id=row.id, role="owner") for row in ledgers]
        ledger_json = json.dumps(
            [
                {"id": r.id, "name": r.name, "currency": r.currency, "personal": r.personal_of == user.id}
                for r in ledgers
            ]
        )
        budget_json = ",".join(
            BudgetOut.model_validate(b).model_dump_json()
            for access in owned
            for b in own.scalars(owned_budgets(access).order_by(Budget.category_key))
        )
        yield (
            f'{{"exported_at":{json.dumps(utcnow().isoformat())},"account":{account},'
            f'"ledgers":{ledger_json},"budgets":[{budget_json}],"expenses":['
        )
        first = True
        for access in owned:
            expenses = own.scalars(
                owned_expenses(access).order_by(Expense.date, Expense.id).execution_options(yield_per=BATCH)
            )
            for partition in expenses.partitions():
                chunk = ",".join(ExpenseOut.model_validate(e).model_dump_json() for e in partition)
                yield chunk if first else "," + chunk
                first = False
    yield "]}"
