from fastapi import APIRouter, Depends, Request, Response, status

from app.auth import CallersLedgers, Editor, Reader, get_ledger_access
from app.idempotency import idempotent
from app.revalidation import REVALIDATED, TAG_HEADERS, revalidated
from app.routers import IN_LEDGER, SessionDep, not_found
from app.schemas.reports import BudgetIn, BudgetOut, BudgetUpdate
from app.services import budgets

router = APIRouter(prefix="/budgets", tags=["budgets"], dependencies=[Depends(get_ledger_access)])

NOT_FOUND = not_found("budget")


@router.get(
    "",
    response_model=list[BudgetOut],
    responses={**IN_LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def list_budgets(session: SessionDep, access: Reader, request: Request) -> Response:
    """Your monthly budgets, by category."""

    def budgets_out() -> list[BudgetOut]:
        return [BudgetOut.of(b, access.currency) for b in budgets.list_budgets(session, access=access)]

    return await revalidated(request, access, budgets_out)


@router.post(
    "",
    response_model=BudgetOut,
    status_code=status.HTTP_201_CREATED,
    responses={**IN_LEDGER, 200: {"model": BudgetOut, "description": "That category's budget, updated"}},
)
@idempotent
def set_budget(session: SessionDep, access: Editor, data: BudgetIn, response: Response) -> BudgetOut:
    """Set a category's monthly budget: 201 when new, 200 when it replaced the existing amount."""
    budget, created = budgets.set_budget(session, access=access, data=data)
    if not created:
        response.status_code = status.HTTP_200_OK
    return BudgetOut.of(budget, access.currency)


@router.patch(
    "/{budget_id}",
    response_model=BudgetOut,
    responses={**NOT_FOUND, 409: {"description": "That category already has a budget"}},
)
def update_budget(
    session: SessionDep, scope: CallersLedgers, budget_id: int, data: BudgetUpdate
) -> BudgetOut:
    """Rename a budget's category or change its amount."""
    budget, access = budgets.update_budget(session, scope=scope, budget_id=budget_id, data=data)
    return BudgetOut.of(budget, access.currency)


@router.delete("/{budget_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_budget(session: SessionDep, scope: CallersLedgers, budget_id: int) -> Response:
    """Delete a budget (its expenses stay)."""
    budgets.delete_budget(session, scope=scope, budget_id=budget_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
