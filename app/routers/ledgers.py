from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from app.auth import CurrentUser, PathEditor, PathOwner, PathReader, get_current_user, get_path_ledger_access
from app.idempotency import idempotent
from app.revalidation import REVALIDATED, TAG_HEADERS, revalidated
from app.routers import FORBIDDEN, UNAUTHORIZED, SessionDep
from app.schemas.accounts import LinkOut
from app.schemas.ledgers import (
    BalancesOut,
    InvitationOut,
    InvitationPreview,
    JoinIn,
    LedgerIn,
    LedgerInvitationIn,
    LedgerOut,
    LedgerUpdate,
    MemberOut,
    MemberUpdate,
    SettlementIn,
    SettlementOut,
)
from app.services import ledgers, links
from app.types import LinkToken

# The caller's ledgers as a whole; `one` holds the routes in one ledger (/ledgers/{ledger_id}/...).
router = APIRouter(prefix="/ledgers", tags=["ledgers"], dependencies=[Depends(get_current_user)])
one = APIRouter(prefix="/ledgers", tags=["ledgers"], dependencies=[Depends(get_path_ledger_access)])

LEDGER: dict[int | str, dict[str, object]] = {
    **UNAUTHORIZED,
    **FORBIDDEN,
    404: {"description": "No such ledger of yours"},
}
CONFLICT: dict[int | str, dict[str, object]] = {
    **LEDGER,
    409: {"description": "Refused: last owner, personal ledger, a balance to settle, or expenses"},
}


@router.get("", response_model=list[LedgerOut], responses=UNAUTHORIZED)
def list_ledgers(session: SessionDep, user: CurrentUser) -> list[LedgerOut]:
    """Your ledgers: the personal one first, then by name."""
    return ledgers.list_ledgers(session, user=user)


@router.post("", response_model=LedgerOut, status_code=status.HTTP_201_CREATED, responses=UNAUTHORIZED)
@idempotent
def create_ledger(session: SessionDep, user: CurrentUser, data: LedgerIn) -> LedgerOut:
    """Create a ledger to share; you are its owner."""
    return ledgers.create_ledger(session, user=user, data=data)


@router.post(
    "/join",
    response_model=LedgerOut,
    responses={
        **UNAUTHORIZED,
        403: {"description": "A used, expired or unknown invitation"},
        409: {"description": "Already a member"},
    },
)
@idempotent  # not a create, but without the key a retry after a lost answer is refused (link spent)
def join_ledger(session: SessionDep, user: CurrentUser, data: JoinIn) -> LedgerOut:
    """Join a ledger with a one-time invitation token."""
    return ledgers.join(session, user=user, token=data.token)


@router.api_route("/join", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def join_is_post_only() -> None:
    # Without this route, PATCH or DELETE on /join would reach /{ledger_id} as a bad id (422).
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED)


# `router` is included before `one` (app.main), so this route comes before the /{ledger_id}/...
# ones: /invitations/invitations would otherwise be a bad ledger id.
@router.get(
    "/invitations/{token}",
    response_model=InvitationPreview,
    responses={**UNAUTHORIZED, 404: {"description": "A used, withdrawn, expired or unknown invitation"}},
)
def preview_invitation(session: SessionDep, _user: CurrentUser, token: LinkToken) -> InvitationPreview:
    """What an invitation link invites to, and who made it, without joining."""
    return ledgers.preview_invitation(session, token=token)


@router.api_route("/invitations/{token}", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def invitation_is_get_only() -> None:
    # Without this route, DELETE on /invitations/{token} would reach /{ledger_id}/invitations/{id} (422).
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED)


@one.get("/{ledger_id}", response_model=LedgerOut, responses=LEDGER)
def read_ledger(session: SessionDep, access: PathReader) -> LedgerOut:
    """One ledger, with its members."""
    return ledgers.read_ledger(session, access=access)


@one.patch("/{ledger_id}", response_model=LedgerOut, responses=CONFLICT)
def update_ledger(session: SessionDep, access: PathOwner, data: LedgerUpdate) -> LedgerOut:
    """Rename a ledger or change its currency (owner)."""
    return ledgers.update_ledger(session, access=access, data=data)


@one.delete("/{ledger_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def delete_ledger(session: SessionDep, access: PathOwner) -> Response:
    """Delete a ledger with everything in it (owner); not the personal ledger."""
    ledgers.delete_ledger(session, access=access)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@one.post(
    "/{ledger_id}/invitations", response_model=LinkOut, status_code=status.HTTP_201_CREATED, responses=LEDGER
)
@idempotent
def create_ledger_invitation(
    session: SessionDep, access: PathOwner, data: LedgerInvitationIn, request: Request
) -> LinkOut:
    """A one-time link to join this ledger with a role (owner); only its hash is stored."""
    token, expires_at = ledgers.invite(session, access=access, role=data.role, valid_days=data.valid_days)
    url = links.url(links.LEDGER, token, request_base=str(request.base_url))
    return LinkOut(url=url, token=token, expires_at=expires_at)


@one.get("/{ledger_id}/invitations", response_model=list[InvitationOut], responses=LEDGER)
def list_ledger_invitations(session: SessionDep, access: PathOwner) -> list[InvitationOut]:
    """The ledger's open invitation links, oldest first, without their tokens (owner)."""
    return ledgers.list_invitations(session, access=access)


@one.delete(
    "/{ledger_id}/invitations/{invitation_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**LEDGER, 404: {"description": "No such ledger of yours, or no such open invitation to it"}},
)
def revoke_ledger_invitation(session: SessionDep, access: PathOwner, invitation_id: int) -> Response:
    """Withdraw an open invitation link, so it no longer works (owner)."""
    ledgers.revoke_invitation(session, access=access, invitation_id=invitation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@one.patch("/{ledger_id}/members/{user_id}", response_model=MemberOut, responses=CONFLICT)
def update_member(session: SessionDep, access: PathOwner, user_id: int, data: MemberUpdate) -> MemberOut:
    """Change a member's role (owner)."""
    return ledgers.update_member(session, access=access, user_id=user_id, role=data.role)


@one.delete("/{ledger_id}/members/{user_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CONFLICT)
def remove_member(session: SessionDep, access: PathReader, user_id: int) -> Response:
    """Remove a member (owner), or leave (yourself); their balance must be zero."""
    ledgers.remove_member(session, access=access, user_id=user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@one.post(
    "/{ledger_id}/settlements",
    response_model=SettlementOut,
    status_code=status.HTTP_201_CREATED,
    responses=LEDGER,
)
@idempotent
def create_settlement(session: SessionDep, access: PathEditor, data: SettlementIn) -> SettlementOut:
    """Record money one member gave another to even up (owner or editor)."""
    return SettlementOut.of(ledgers.create_settlement(session, access=access, data=data), access.currency)


@one.get("/{ledger_id}/settlements", response_model=list[SettlementOut], responses=LEDGER)
def list_settlements(session: SessionDep, access: PathReader) -> list[SettlementOut]:
    """The ledger's settlements, newest first."""
    return [SettlementOut.of(s, access.currency) for s in ledgers.list_settlements(session, access=access)]


@one.delete(
    "/{ledger_id}/settlements/{settlement_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**LEDGER, 409: {"description": "It is from or to someone who has left the ledger"}},
)
def delete_settlement(session: SessionDep, access: PathEditor, settlement_id: int) -> Response:
    """Delete a settlement (owner or editor)."""
    ledgers.delete_settlement(session, access=access, settlement_id=settlement_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@one.get(
    "/{ledger_id}/balances",
    response_model=BalancesOut,
    responses={**LEDGER, **REVALIDATED, 200: {"headers": TAG_HEADERS}},
)
async def read_balances(session: SessionDep, access: PathReader, request: Request) -> Response:
    """Each member's balance and the fewest transfers that bring them all to zero."""
    return await revalidated(request, access, lambda: ledgers.balances(session, access=access))
