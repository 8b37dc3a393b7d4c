"""Request and response models: shared ledgers, their members, invitations, settlements and balances."""

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from app.types import (
    AmountIn,
    Currency,
    Day,
    Description,
    LinkToken,
    MoneyOut,
    PatchModel,
    StrictModel,
    UserId,
    UtcDatetime,
)

# Ledgers
LedgerName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Role = Literal["owner", "editor", "viewer"]


class LedgerIn(StrictModel):
    name: LedgerName
    currency: Currency | None = None


class LedgerUpdate(PatchModel):
    name: LedgerName | None = None
    currency: Currency | None = None


class MemberOut(BaseModel):
    user_id: int
    email: str
    display_name: str
    role: Role
    joined_at: UtcDatetime


class LedgerOut(BaseModel):
    id: int
    name: str
    currency: str
    personal: bool
    role: Role
    members: list[MemberOut]


class LedgerInvitationIn(StrictModel):
    role: Literal["editor", "viewer"]
    valid_days: int = Field(default=7, ge=1, le=30)


class JoinIn(StrictModel):
    token: LinkToken


class MemberUpdate(StrictModel):
    role: Role


class SettlementIn(StrictModel):
    from_user_id: UserId
    to_user_id: UserId
    amount: AmountIn
    date: Day
    note: Description = ""


class SettlementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ledger_id: int
    from_user_id: int
    to_user_id: int
    amount: MoneyOut = Field(validation_alias="amount_cents")
    date: date
    note: str
    created_by: int | None
    created_at: UtcDatetime


class MemberBalance(BaseModel):
    user_id: int
    display_name: str
    paid: MoneyOut
    share: MoneyOut
    sent: MoneyOut
    received: MoneyOut
    balance: MoneyOut


class Transfer(BaseModel):
    from_user_id: int
    to_user_id: int
    amount: MoneyOut


class BalancesOut(BaseModel):
    currency: str
    members: list[MemberBalance]
    transfers: list[Transfer]
