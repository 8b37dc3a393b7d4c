"""Request and response models: shared ledgers, their members, invitations, settlements and balances."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    StringConstraints,
)

from app.money import AnyCurrencyAmountIn, MoneyOut, to_number
from app.types import (
    Currency,
    Day,
    Description,
    LinkToken,
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


INVITED_BY = "Who made the link: their display name, or their email when they have none"


class InvitationOut(BaseModel):
    id: int
    role: Role
    invited_by: str = Field(description=INVITED_BY)
    created_at: UtcDatetime
    expires_at: UtcDatetime


class InvitationPreview(BaseModel):
    ledger_id: int
    ledger_name: str
    invited_by: str = Field(description=INVITED_BY)
    role: Role
    expires_at: UtcDatetime


class MemberUpdate(StrictModel):
    role: Role


class SettlementIn(StrictModel):
    from_user_id: UserId
    to_user_id: UserId
    amount: AnyCurrencyAmountIn = Field(description="In the ledger's currency, with at most its decimals")
    date: Day
    note: Description = ""


class SettlementOut(BaseModel):
    id: int
    ledger_id: int
    from_user_id: int
    to_user_id: int
    amount: MoneyOut = Field(description="In the ledger's currency")
    date: date
    note: str
    created_by: int | None
    created_at: UtcDatetime

    @classmethod
    def of(cls, settlement: Any, currency: str) -> "SettlementOut":
        """A Settlement row's answer, its amount in units of the ledger's currency."""
        fields = [name for name in cls.model_fields if name != "amount"]
        values = {name: getattr(settlement, name) for name in fields}
        return cls.model_validate(values | {"amount": to_number(settlement.amount_minor, currency)})


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
