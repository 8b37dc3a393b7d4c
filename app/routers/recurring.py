from fastapi import APIRouter, Response, status

from app.auth import Editor, Member, Reader
from app.database import SessionDep
from app.idempotency import idempotent
from app.routers import IN_LEDGER, OneTripRoute, Today, not_found
from app.schemas.expenses import RecurringIn, RecurringOut, RecurringUpdate
from app.services import recurring

router = APIRouter(prefix="/recurring", tags=["recurring"], route_class=OneTripRoute)

NOT_FOUND = not_found("recurring expense")


@router.get("", response_model=list[RecurringOut], responses=IN_LEDGER)
def list_recurring(session: SessionDep, access: Reader) -> list[RecurringOut]:
    """Your recurring expenses, soonest next occurrence first."""
    return [RecurringOut.model_validate(r) for r in recurring.list_rules(session, access=access)]


@router.post("", response_model=RecurringOut, status_code=status.HTTP_201_CREATED, responses=IN_LEDGER)
@idempotent
def create_recurring(session: SessionDep, access: Editor, data: RecurringIn, today: Today) -> RecurringOut:
    """Add a recurring expense; a start date in the past creates the occurrences since then."""
    rule = recurring.create_rule(session, access=access, data=data, today=today)
    return RecurringOut.model_validate(rule)


@router.get("/{rule_id}", response_model=RecurringOut, responses=NOT_FOUND)
def read_recurring(session: SessionDep, scope: Member, rule_id: int) -> RecurringOut:
    """One recurring expense."""
    return RecurringOut.model_validate(recurring.get_rule(session, scope=scope, rule_id=rule_id)[0])


@router.patch("/{rule_id}", response_model=RecurringOut, responses=NOT_FOUND)
def update_recurring(
    session: SessionDep, scope: Member, rule_id: int, data: RecurringUpdate, today: Today
) -> RecurringOut:
    """Change, pause or resume a recurring expense; expenses already created stay as they are."""
    rule = recurring.update_rule(session, scope=scope, rule_id=rule_id, data=data, today=today)
    return RecurringOut.model_validate(rule)


@router.delete("/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND)
def delete_recurring(session: SessionDep, scope: Member, rule_id: int) -> Response:
    """Delete a recurring expense; the expenses it already created stay."""
    recurring.delete_rule(session, scope=scope, rule_id=rule_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
