"""Exchange rates: the ECB reference rate an expense of a given date would get."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app import rates
from app.auth import get_current_user
from app.errors import NotFound
from app.money import rate_text
from app.routers import UNAUTHORIZED
from app.schemas.rates import RateOut
from app.types import Currency, Day

router = APIRouter(prefix="/rates", tags=["rates"], dependencies=[Depends(get_current_user)])


@router.get(
    "",
    response_model=RateOut,
    responses={**UNAUTHORIZED, 404: {"description": "No ECB rate is known for that pair on that date"}},
)
def read_rate(
    from_: Annotated[Currency, Query(alias="from", description="ISO 4217, such as JPY")],
    to: Annotated[Currency, Query(description="ISO 4217, such as EUR")],
    date: Annotated[Day, Query(description="The expense's date (YYYY-MM-DD)")],
) -> RateOut:
    """The ECB euro reference rate, crossed through the euro, that an expense of that date gets."""
    found = rates.lookup(from_, to, date)
    if found is None:
        raise NotFound(f"No ECB rate is known for {from_} to {to} on {date.isoformat()}")
    return RateOut(
        from_=from_, to=to, date=date, rate=rate_text(found.rate), rate_date=found.rate_date, source="ecb"
    )
