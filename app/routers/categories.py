from fastapi import APIRouter, Depends

from app.auth import Editor, get_ledger_access
from app.money import to_number
from app.routers import IN_LEDGER, SessionDep
from app.schemas.reports import CategoryRename, CategoryRenamed
from app.services import category_edits

router = APIRouter(prefix="/categories", tags=["categories"], dependencies=[Depends(get_ledger_access)])


@router.post(
    "/rename",
    response_model=CategoryRenamed,
    responses={
        **IN_LEDGER,
        404: {"description": "No such ledger of yours, or no such category in it"},
        409: {"description": "The two budgets would add up to more than a budget can be"},
    },
)
def rename_category(session: SessionDep, access: Editor, data: CategoryRename) -> CategoryRenamed:
    """Rename a category, or merge it into one the ledger has: its expenses, budget and recurring
    rules move with it (two budgets add up)."""
    renamed = category_edits.rename_category(session, access=access, category=data.category, to=data.to)
    budget = renamed.budget_minor
    return CategoryRenamed(
        category=renamed.category,
        count=renamed.count,
        budget=None if budget is None else to_number(budget, access.currency),
        merged=renamed.merged,
    )
