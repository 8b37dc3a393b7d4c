"""Shared ledgers: CRUD, invitations, members and roles, and every part-1 route working per ledger."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, and_, delete, func, select, update

from app import services
from app.models import Expense, ExpenseSplit, LedgerMember, MonthlyTotal, OneTimeLink, utcnow
from app.services import expenses as expenses_service
from tests.factories import PASSWORD, add_budget, add_expense, expense_body, refused, register

Headers = dict[str, str]


def me(client: TestClient, headers: Headers) -> int:
    user_id: int = client.get("/api/me", headers=headers).json()["id"]
    return user_id


def new_ledger(client: TestClient, headers: Headers, name: str = "Flat", **extra: Any) -> dict[str, Any]:
    response = client.post("/api/ledgers", json={"name": name, **extra}, headers=headers)
    assert response.status_code == 201, response.text
    ledger: dict[str, Any] = response.json()
    return ledger


def invite(client: TestClient, owner: Headers, ledger_id: int, role: str = "editor") -> str:
    response = client.post(f"/api/ledgers/{ledger_id}/invitations", json={"role": role}, headers=owner)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def join(client: TestClient, headers: Headers, token: str) -> dict[str, Any]:
    response = client.post("/api/ledgers/join", json={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
    ledger: dict[str, Any] = response.json()
    return ledger


def shared(client: TestClient, *roles: str) -> tuple[int, Headers, list[Headers]]:
    """A ledger owned by a new account, with one new member per role given."""
    owner = register(client, display_name="Owner")
    ledger_id = new_ledger(client, owner)["id"]
    others = []
    for role in roles:
        headers = register(client)
        join(client, headers, invite(client, owner, ledger_id, role))
        others.append(headers)
    return ledger_id, owner, others


# Ledgers


def test_personal_ledger_comes_first_and_a_new_ledger_is_owned(client: TestClient) -> None:
    headers = register(client)
    client.patch("/api/me", json={"currency": "EUR"}, headers=headers)
    created = new_ledger(client, headers, name="  Zoo trip ")
    new_ledger(client, headers, name="Apartment", currency="usd")
    assert created["name"] == "Zoo trip"
    assert created["currency"] == "EUR"  # the personal ledger's
    assert (created["personal"], created["role"]) == (False, "owner")
    assert [m["user_id"] for m in created["members"]] == [me(client, headers)]
    listed = client.get("/api/ledgers", headers=headers).json()
    assert [(ledger["name"], ledger["personal"], ledger["currency"]) for ledger in listed] == [
        ("Personal", True, "EUR"),
        ("Apartment", False, "USD"),
        ("Zoo trip", False, "EUR"),
    ]
    assert client.get(f"/api/ledgers/{created['id']}", headers=headers).json() == created


@pytest.mark.parametrize(
    "body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 61}, {"name": "A", "currency": "EURO"}]
)
def test_create_ledger_refuses_bad_bodies(client: TestClient, body: dict[str, Any]) -> None:
    assert client.post("/api/ledgers", json=body, headers=register(client)).status_code == 422


def test_update_and_delete_a_ledger(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    changed = client.patch(
        f"/api/ledgers/{ledger_id}", json={"name": "Home", "currency": "gbp"}, headers=owner
    )
    assert (changed.json()["name"], changed.json()["currency"]) == ("Home", "GBP")
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=editor)
    conflict = client.patch(f"/api/ledgers/{ledger_id}", json={"currency": "EUR"}, headers=owner)
    assert conflict.status_code == 409
    assert (
        client.patch(f"/api/ledgers/{ledger_id}", json={"name": "Home 2"}, headers=editor).status_code == 403
    )
    assert client.delete(f"/api/ledgers/{ledger_id}", headers=editor).status_code == 403
    assert client.delete(f"/api/ledgers/{ledger_id}", headers=owner).status_code == 204
    assert client.get(f"/api/ledgers/{ledger_id}", headers=editor).status_code == 404
    with engine.connect() as conn:  # everything in it went with it
        assert conn.scalar(select(func.count()).select_from(Expense)) == 0
        assert conn.scalar(select(func.count()).select_from(ExpenseSplit)) == 0
        assert conn.scalar(select(func.count()).select_from(MonthlyTotal)) == 0


def test_the_personal_ledger_cannot_be_deleted(client: TestClient) -> None:
    headers = register(client)
    personal = client.get("/api/ledgers", headers=headers).json()[0]
    assert client.delete(f"/api/ledgers/{personal['id']}", headers=headers).status_code == 409


LEDGER_ROUTES = [
    ("GET", "", None),
    ("PATCH", "", {"name": "X"}),
    ("DELETE", "", None),
    ("POST", "/invitations", {"role": "viewer"}),
    ("GET", "/invitations", None),
    ("DELETE", "/invitations/1", None),
    ("GET", "/settlements", None),
    ("GET", "/balances", None),
    ("POST", "/settlements", {"from_user_id": 1, "to_user_id": 2, "amount": 1, "date": "2026-01-01"}),
    ("DELETE", "/settlements/1", None),
    ("PATCH", "/members/1", {"role": "viewer"}),
    ("DELETE", "/members/1", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), LEDGER_ROUTES)
def test_ledger_routes_are_404_for_a_stranger_and_401_anonymous(
    client: TestClient, method: str, suffix: str, body: Any
) -> None:
    ledger_id, _, _ = shared(client)
    stranger = register(client)
    for path in (
        f"/api/ledgers/{ledger_id}{suffix}",
        f"/api/ledgers/99999{suffix}",
        f"/api/ledgers/{2**64}{suffix}",
    ):
        assert client.request(method, path, json=body, headers=stranger).status_code == 404, path
    assert client.request(method, f"/api/ledgers/{ledger_id}{suffix}", json=body).status_code == 401


OWNER_ROUTES = [
    ("PATCH", "", {"name": "X"}),
    ("DELETE", "", None),
    ("POST", "/invitations", {"role": "viewer"}),
    ("GET", "/invitations", None),
    ("DELETE", "/invitations/{invitation}", None),
    ("PATCH", "/members/{owner}", {"role": "viewer"}),
    ("DELETE", "/members/{owner}", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), OWNER_ROUTES)
@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_owner_routes_are_403_for_editors_and_viewers(
    client: TestClient, role: str, method: str, suffix: str, body: Any
) -> None:
    ledger_id, owner, (member,) = shared(client, role)
    invite(client, owner, ledger_id)
    before = client.get(f"/api/ledgers/{ledger_id}", headers=owner).json()
    (invitation,) = open_invitations(client, owner, ledger_id)
    path = f"/api/ledgers/{ledger_id}{suffix}".format(owner=me(client, owner), invitation=invitation["id"])
    response = client.request(method, path, json=body, headers=member)
    assert response.status_code == 403
    assert f"You are a {role} of this ledger" in response.json()["detail"]
    assert client.get(f"/api/ledgers/{ledger_id}", headers=owner).json() == before  # nothing changed
    assert open_invitations(client, owner, ledger_id) == [invitation]


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("POST", "/settlements", {"from_user_id": 1, "to_user_id": 2, "amount": 1, "date": "2026-01-01"}),
        ("DELETE", "/settlements/1", None),
    ],
)
def test_a_viewer_cannot_settle(client: TestClient, method: str, suffix: str, body: Any) -> None:
    ledger_id, _, (viewer,) = shared(client, "viewer")
    response = client.request(method, f"/api/ledgers/{ledger_id}{suffix}", json=body, headers=viewer)
    assert response.status_code == 403
    assert "viewer" in response.json()["detail"]


# Invitations and members


def test_invitation_link_is_single_use_and_checks_its_body(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    response = client.post(f"/api/ledgers/{ledger_id}/invitations", json={"role": "viewer"}, headers=owner)
    link = response.json()
    assert link["url"].endswith(f"/#/join/{link['token']}")
    guest = register(client)
    joined = join(client, guest, link["token"])
    assert (joined["id"], joined["role"]) == (ledger_id, "viewer")
    assert [m["role"] for m in joined["members"]] == ["owner", "viewer"]
    again = client.post("/api/ledgers/join", json={"token": link["token"]}, headers=register(client))
    assert again.status_code == 403
    assert client.post("/api/ledgers/join", json={"token": "nope"}, headers=guest).status_code == 403
    assert refused(client.post("/api/ledgers/join", json={"token": "a b"}, headers=guest)) == ["body.token"]
    assert client.post("/api/ledgers/join", json={"token": link["token"]}).status_code == 401
    for body in (
        {"role": "owner"},
        {"role": "editor", "valid_days": 31},
        {"role": "viewer", "valid_days": 0},
    ):
        bad = client.post(f"/api/ledgers/{ledger_id}/invitations", json=body, headers=owner)
        assert bad.status_code == 422, body


def test_joining_a_ledger_you_are_in_is_409_and_keeps_the_link(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    token = invite(client, owner, ledger_id)
    assert client.post("/api/ledgers/join", json={"token": token}, headers=owner).status_code == 409
    join(client, register(client), token)  # not spent by the refused join


def test_two_joins_with_one_invitation_at_once_one_wins(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    token = invite(client, owner, ledger_id)
    racers = [register(client) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = sorted(
            pool.map(
                lambda h: client.post("/api/ledgers/join", json={"token": token}, headers=h).status_code,
                racers,
            )
        )
    assert codes == [200, 403]
    assert len(client.get(f"/api/ledgers/{ledger_id}", headers=owner).json()["members"]) == 2


def open_invitations(client: TestClient, owner: Headers, ledger_id: int) -> list[dict[str, Any]]:
    response = client.get(f"/api/ledgers/{ledger_id}/invitations", headers=owner)
    assert response.status_code == 200, response.text
    invitations: list[dict[str, Any]] = response.json()
    return invitations


def preview(client: TestClient, headers: Headers, token: str) -> Any:
    return client.get(f"/api/ledgers/invitations/{token}", headers=headers)


def expire_links(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(OneTimeLink).values(expires_at=utcnow() - timedelta(seconds=1)))


def test_owners_list_open_invitations_without_their_tokens(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, _ = shared(client)
    made = client.post(
        f"/api/ledgers/{ledger_id}/invitations", json={"role": "editor", "valid_days": 3}, headers=owner
    ).json()
    spent = invite(client, owner, ledger_id, "viewer")
    listed = open_invitations(client, owner, ledger_id)
    assert [(i["role"], i["invited_by"]) for i in listed] == [("editor", "Owner"), ("viewer", "Owner")]
    assert set(listed[0]) == {"id", "role", "invited_by", "created_at", "expires_at"}
    assert listed[0]["expires_at"] == made["expires_at"]
    assert made["token"] not in client.get(f"/api/ledgers/{ledger_id}/invitations", headers=owner).text
    join(client, register(client), spent)
    assert [i["role"] for i in open_invitations(client, owner, ledger_id)] == ["editor"]
    expire_links(engine)
    assert open_invitations(client, owner, ledger_id) == []


def test_a_withdrawn_invitation_no_longer_works(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    withdrawn, kept = invite(client, owner, ledger_id), invite(client, owner, ledger_id)
    first, second = open_invitations(client, owner, ledger_id)
    url = f"/api/ledgers/{ledger_id}/invitations/{first['id']}"
    assert client.delete(url, headers=owner).status_code == 204
    assert open_invitations(client, owner, ledger_id) == [second]
    guest = register(client)
    assert preview(client, guest, withdrawn).status_code == 404
    assert client.post("/api/ledgers/join", json={"token": withdrawn}, headers=guest).status_code == 403
    assert client.delete(url, headers=owner).status_code == 404  # not open any more
    assert join(client, guest, kept)["role"] == "editor"


def test_withdrawing_another_ledgers_invitation_is_404(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    other = new_ledger(client, owner, name="Other")["id"]
    token = invite(client, owner, other)
    (theirs,) = open_invitations(client, owner, other)
    for invitation_id in (theirs["id"], 987654, 0, 2**64):
        response = client.delete(f"/api/ledgers/{ledger_id}/invitations/{invitation_id}", headers=owner)
        assert response.status_code == 404, invitation_id
    assert join(client, register(client), token)["id"] == other  # untouched


def test_an_invitation_can_be_looked_at_without_joining(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, _ = shared(client)
    link = client.post(
        f"/api/ledgers/{ledger_id}/invitations", json={"role": "viewer", "valid_days": 2}, headers=owner
    ).json()
    guest = register(client)
    response = preview(client, guest, link["token"])
    assert response.status_code == 200
    assert response.json() == {
        "ledger_id": ledger_id,
        "ledger_name": "Flat",
        "invited_by": "Owner",
        "role": "viewer",
        "expires_at": link["expires_at"],
    }
    assert client.get(f"/api/ledgers/{ledger_id}", headers=guest).status_code == 404  # not joined
    assert preview(client, {}, link["token"]).status_code == 401
    assert preview(client, guest, "nope").status_code == 404
    assert preview(client, guest, "invitations").status_code == 404  # not taken for a ledger id
    for malformed in ("x" * 129, "a%20b", "a.b"):
        assert refused(preview(client, guest, malformed)) == ["path.token"]
    join(client, guest, link["token"])
    assert preview(client, register(client), link["token"]).status_code == 404  # spent
    expiring = invite(client, owner, ledger_id)
    expire_links(engine)
    assert preview(client, guest, expiring).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_an_invitation_link_is_only_looked_at(client: TestClient, method: str) -> None:
    ledger_id, owner, _ = shared(client)
    token = invite(client, owner, ledger_id)
    assert client.request(method, f"/api/ledgers/invitations/{token}", headers=owner).status_code == 405
    assert preview(client, register(client), token).status_code == 200  # still open


def test_invited_by_is_the_owners_email_when_they_have_no_display_name(client: TestClient) -> None:
    owner = register(client, "ann@example.com")
    ledger_id = new_ledger(client, owner)["id"]
    token = invite(client, owner, ledger_id)
    assert preview(client, register(client), token).json()["invited_by"] == "ann@example.com"
    assert open_invitations(client, owner, ledger_id)[0]["invited_by"] == "ann@example.com"


@pytest.mark.parametrize(
    "how", ["demoted", "removed", "leaves", "deletes the account", "is deleted by an admin"]
)
def test_an_owners_links_stop_working_when_they_stop_being_an_owner(client: TestClient, how: str) -> None:
    admin = register(client)  # the first account
    ledger_id, owner, (second,) = shared(client, "editor")
    second_id = me(client, second)
    member = f"/api/ledgers/{ledger_id}/members/{second_id}"
    assert client.patch(member, json={"role": "owner"}, headers=owner).status_code == 200
    theirs, mine = invite(client, second, ledger_id), invite(client, owner, ledger_id)
    if how == "demoted":
        response = client.patch(member, json={"role": "editor"}, headers=owner)
    elif how in ("removed", "leaves"):
        response = client.delete(member, headers=owner if how == "removed" else second)
    elif how == "deletes the account":
        response = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=second)
    else:
        response = client.delete(f"/api/admin/users/{second_id}", headers=admin)
    assert response.status_code in (200, 204), response.text
    guest = register(client)
    assert preview(client, guest, theirs).status_code == 404
    assert client.post("/api/ledgers/join", json={"token": theirs}, headers=guest).status_code == 403
    assert [i["invited_by"] for i in open_invitations(client, owner, ledger_id)] == ["Owner"]
    assert join(client, guest, mine)["role"] == "editor"  # the other owner's link still works


def test_an_owner_demoted_and_removed_cannot_rejoin_with_a_link_made_before(client: TestClient) -> None:
    ledger_id, owner, (second,) = shared(client, "editor")
    member = f"/api/ledgers/{ledger_id}/members/{me(client, second)}"
    client.patch(member, json={"role": "owner"}, headers=owner)
    kept = invite(client, second, ledger_id)
    assert client.patch(member, json={"role": "viewer"}, headers=owner).status_code == 200
    assert client.delete(member, headers=owner).status_code == 204
    assert client.post("/api/ledgers/join", json={"token": kept}, headers=second).status_code == 403
    assert client.get(f"/api/ledgers/{ledger_id}", headers=second).status_code == 404


def test_roles_change_and_the_last_owner_stays(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    owner_id, editor_id = me(client, owner), me(client, editor)
    demote = client.patch(
        f"/api/ledgers/{ledger_id}/members/{owner_id}", json={"role": "editor"}, headers=owner
    )
    assert demote.status_code == 409
    path = f"/api/ledgers/{ledger_id}/members/{editor_id}"
    assert client.patch(path, json={"role": "owner"}, headers=editor).status_code == 403
    assert client.patch(path, json={"role": "boss"}, headers=owner).status_code == 422
    assert (
        client.patch(
            f"/api/ledgers/{ledger_id}/members/424242", json={"role": "owner"}, headers=owner
        ).status_code
        == 404
    )
    promoted = client.patch(path, json={"role": "owner"}, headers=owner)
    assert promoted.status_code == 200
    assert (promoted.json()["user_id"], promoted.json()["role"]) == (editor_id, "owner")
    # With two owners, the first may step down, and leave.
    assert (
        client.patch(
            f"/api/ledgers/{ledger_id}/members/{owner_id}", json={"role": "viewer"}, headers=owner
        ).status_code
        == 200
    )
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{owner_id}", headers=owner).status_code == 204
    assert client.get(f"/api/ledgers/{ledger_id}", headers=owner).status_code == 404


def test_removing_members(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    owner_id, editor_id, viewer_id = me(client, owner), me(client, editor), me(client, viewer)
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{editor_id}", headers=viewer).status_code == 403
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{owner_id}", headers=owner).status_code == 409
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{viewer_id}", headers=viewer).status_code == 204
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{editor_id}", headers=owner).status_code == 204
    assert client.get(f"/api/ledgers/{ledger_id}", headers=editor).status_code == 404
    personal = client.get("/api/ledgers", headers=owner).json()[0]["id"]
    assert client.delete(f"/api/ledgers/{personal}/members/{owner_id}", headers=owner).status_code == 409


def test_a_member_with_a_balance_cannot_leave_until_settled(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    owner_id, editor_id = me(client, owner), me(client, editor)
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(amount=10), headers=owner)
    leave = client.delete(f"/api/ledgers/{ledger_id}/members/{editor_id}", headers=editor)
    assert leave.status_code == 409
    assert "settle up" in leave.json()["detail"]
    settle = {"from_user_id": editor_id, "to_user_id": owner_id, "amount": 5, "date": "2026-11-11"}
    assert (
        client.post(f"/api/ledgers/{ledger_id}/settlements", json=settle, headers=editor).status_code == 201
    )
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{editor_id}", headers=editor).status_code == 204


def test_a_member_who_is_owed_money_cannot_leave_or_be_removed(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    owner_id, editor_id = me(client, owner), me(client, editor)
    # The editor pays 10 split equally: the owner owes 5, the editor is owed 5.
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(amount=10), headers=editor)
    path = f"/api/ledgers/{ledger_id}/members/{editor_id}"
    for headers in (editor, owner):
        refused_leave = client.delete(path, headers=headers)
        assert refused_leave.status_code == 409
        assert "settle up" in refused_leave.json()["detail"]
    settle = {"from_user_id": owner_id, "to_user_id": editor_id, "amount": 5, "date": "2026-11-11"}
    assert client.post(f"/api/ledgers/{ledger_id}/settlements", json=settle, headers=owner).status_code == 201
    assert client.delete(path, headers=editor).status_code == 204


def test_a_personal_ledgers_owner_cannot_be_demoted_or_removed(client: TestClient) -> None:
    ann, bob = register(client), register(client)
    ann_id, bob_id = me(client, ann), me(client, bob)
    personal = client.get("/api/ledgers", headers=ann).json()[0]["id"]
    join(client, bob, invite(client, ann, personal))
    path = f"/api/ledgers/{personal}/members"
    assert client.patch(f"{path}/{bob_id}", json={"role": "owner"}, headers=ann).status_code == 200
    for headers in (bob, ann):  # a co-owner, or the owner themselves
        for role in ("editor", "viewer"):
            demote = client.patch(f"{path}/{ann_id}", json={"role": role}, headers=headers)
            assert demote.status_code == 409
            assert "personal ledger" in demote.json()["detail"]
        assert client.delete(f"{path}/{ann_id}", headers=headers).status_code == 409
    assert client.patch(f"{path}/{ann_id}", json={"role": "owner"}, headers=bob).status_code == 200
    ledger = client.get(f"/api/ledgers/{personal}", headers=ann).json()
    assert [(m["user_id"], m["role"]) for m in ledger["members"]] == [(ann_id, "owner"), (bob_id, "owner")]
    # The co-owner is an ordinary member: demoted, and free to leave.
    assert client.patch(f"{path}/{bob_id}", json={"role": "viewer"}, headers=ann).status_code == 200
    assert client.delete(f"{path}/{bob_id}", headers=bob).status_code == 204


@pytest.mark.parametrize(
    ("method", "suffix", "body", "where"),
    [
        ("PATCH", "/members/abc", {"role": "viewer"}, "path.user_id"),
        ("PATCH", "/members/{owner}", {"role": "boss"}, "body.role"),
        ("PATCH", "/members/{owner}", {}, "body.role"),
        ("DELETE", "/members/abc", None, "path.user_id"),
        ("POST", "/invitations", {"role": "owner"}, "body.role"),
        ("DELETE", "/invitations/abc", None, "path.invitation_id"),
        ("DELETE", "/settlements/abc", None, "path.settlement_id"),
    ],
)
def test_member_invitation_and_settlement_routes_refuse_malformed_requests(
    client: TestClient, method: str, suffix: str, body: Any, where: str
) -> None:
    ledger_id, owner, _ = shared(client)
    path = f"/api/ledgers/{ledger_id}{suffix}".format(owner=me(client, owner))
    assert refused(client.request(method, path, json=body, headers=owner)) == [where]
    assert refused(client.get("/api/ledgers/abc/invitations", headers=owner)) == ["path.ledger_id"]


def test_a_member_removed_before_posting_gets_404_and_nothing_is_written(
    client: TestClient, engine: Engine
) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    assert (
        client.delete(f"/api/ledgers/{ledger_id}/members/{me(client, editor)}", headers=owner).status_code
        == 204
    )
    response = client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=editor)
    assert response.status_code == 404
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Expense)) == 0
        assert conn.scalar(select(func.count()).select_from(ExpenseSplit)) == 0


# Every part-1 route works per ledger

WRITES = [
    ("POST", "/api/expenses", expense_body()),
    ("POST", "/api/budgets", {"category": "Food", "amount": 10}),
    (
        "POST",
        "/api/recurring",
        {"category": "Rent", "amount": 5, "frequency": "monthly", "start_date": "2026-01-01"},
    ),
    ("POST", "/api/expenses/import", None),
]
READS = [
    "/api/expenses",
    "/api/expenses/export.csv",
    "/api/budgets",
    "/api/recurring",
    "/api/summary?month=2026-11",
    "/api/stats?start=2026-01-01&end=2026-12-31",
    "/api/categories",
]


def _write(client: TestClient, method: str, path: str, body: Any, headers: Headers, ledger: int) -> int:
    url = f"{path}?ledger={ledger}"
    if body is None:  # the import
        files = {"file": ("e.csv", b"date,category,amount,description\n2026-01-02,Food,1.00,x\n", "text/csv")}
        return client.post(url, files=files, headers=headers).status_code
    return client.request(method, url, json=body, headers=headers).status_code


@pytest.mark.parametrize("path", READS)
def test_reads_in_a_ledger_you_are_not_in_are_404(client: TestClient, path: str) -> None:
    ledger_id, _, (viewer,) = shared(client, "viewer")
    stranger = register(client)
    joiner = "&" if "?" in path else "?"
    assert client.get(f"{path}{joiner}ledger={ledger_id}", headers=stranger).status_code == 404
    assert client.get(f"{path}{joiner}ledger=987654", headers=stranger).status_code == 404
    assert client.get(f"{path}{joiner}ledger={ledger_id}", headers=viewer).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_writes_need_membership_and_an_editor(client: TestClient, method: str, path: str, body: Any) -> None:
    ledger_id, _, (viewer, editor) = shared(client, "viewer", "editor")
    assert _write(client, method, path, body, register(client), ledger_id) == 404
    assert _write(client, method, path, body, viewer, ledger_id) == 403
    assert _write(client, method, path, body, editor, ledger_id) in (200, 201)


def test_objects_are_found_in_any_of_your_ledgers_but_not_under_another(client: TestClient) -> None:
    ledger_id, owner, (viewer, editor) = shared(client, "viewer", "editor")
    expense = client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=editor).json()
    budget = client.post(
        f"/api/budgets?ledger={ledger_id}", json={"category": "Food", "amount": 10}, headers=editor
    ).json()
    rule_body = {"category": "Rent", "amount": 5, "frequency": "monthly", "start_date": "2030-01-01"}
    rule = client.post(f"/api/recurring?ledger={ledger_id}", json=rule_body, headers=editor).json()
    personal = client.get("/api/ledgers", headers=viewer).json()[0]["id"]
    stranger = register(client)
    for path, change in (
        (f"/api/expenses/{expense['id']}", {"description": "x"}),
        (f"/api/budgets/{budget['id']}", {"amount": 11}),
        (f"/api/recurring/{rule['id']}", {"amount": 6}),
    ):
        if "budgets" not in path:
            assert client.get(path, headers=viewer).status_code == 200
            assert client.get(f"{path}?ledger={ledger_id}", headers=viewer).status_code == 200
            assert client.get(f"{path}?ledger={personal}", headers=viewer).status_code == 404
            assert client.get(path, headers=stranger).status_code == 404
        assert client.patch(path, json=change, headers=viewer).status_code == 403
        assert client.patch(path, json=change, headers=stranger).status_code == 404
        assert client.patch(f"{path}?ledger={personal}", json=change, headers=editor).status_code == 404
        assert client.patch(path, json=change, headers=editor).status_code == 200
        assert client.delete(path, headers=viewer).status_code == 403
        assert client.delete(path, headers=stranger).status_code == 404
        assert client.delete(path, headers=owner).status_code == 204


def test_budgets_and_categories_are_per_ledger(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    add_budget(client, owner, "Food", 100)
    client.post(f"/api/budgets?ledger={ledger_id}", json={"category": "food", "amount": 50}, headers=editor)
    add_expense(client, owner, category="Books", amount=3)
    client.post(
        f"/api/expenses?ledger={ledger_id}", json=expense_body(category="Rent", amount=7), headers=editor
    )
    mine = client.get("/api/categories", headers=owner).json()
    ours = client.get(f"/api/categories?ledger={ledger_id}", headers=owner).json()
    assert [c["category"] for c in mine] == ["Books", "Food"]
    assert [c["category"] for c in ours] == ["food", "Rent"]
    summary = client.get(f"/api/summary?month=2026-11&ledger={ledger_id}", headers=editor).json()
    assert summary["total_spent"] == 7
    listed = client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()
    assert (listed["total"], listed["total_amount"]) == (1, 7)


def test_delete_me_with_a_balance_is_409_naming_the_ledger_and_an_heir_owns_it(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(amount=9), headers=owner)
    refused_delete = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=owner)
    assert refused_delete.status_code == 409
    assert "Flat" in refused_delete.json()["detail"]
    for expense in client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()["items"]:
        client.delete(f"/api/expenses/{expense['id']}", headers=owner)
    assert client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=owner).status_code == 204
    ledger = client.get(f"/api/ledgers/{ledger_id}", headers=editor).json()
    assert [(m["user_id"], m["role"]) for m in ledger["members"]] == [
        (me(client, editor), "owner"),
        (me(client, viewer), "viewer"),
    ]


def test_deleting_an_account_keeps_what_it_added_to_a_shared_ledger(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    editor_id = me(client, editor)
    split = [{"user_id": editor_id, "shares": 1}]
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(amount=4, split=split), headers=editor)
    assert client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=editor).status_code == 204
    listed = client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()
    assert listed["total"] == 1
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert [m["balance"] for m in balances["members"]] == [0]


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_join_is_post_only(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/ledgers/join", json={"token": "x"}, headers=register(client))
    assert response.status_code == 405


def test_account_export_holds_every_ledger_it_owns_and_no_other(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(description="shared"), headers=editor)
    add_expense(client, owner, description="mine")
    add_expense(client, editor, description="theirs")
    owned = client.get("/api/me/export", headers=owner).json()
    assert [(ledger["name"], ledger["personal"]) for ledger in owned["ledgers"]] == [
        ("Personal", True),
        ("Flat", False),
    ]
    assert sorted(e["description"] for e in owned["expenses"]) == ["mine", "shared"]
    editors = client.get("/api/me/export", headers=editor).json()
    assert [e["description"] for e in editors["expenses"]] == ["theirs"]


def post_while(
    client: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    headers: Headers,
    ledger_id: int,
    change: Any,
) -> int:
    """POST an expense while `change` runs on the database after the request's access was resolved,
    before the writer's lock: the status, once the test has seen that nothing was written."""
    lock = services.lock_ledger

    def meanwhile(*args: Any) -> Any:
        with engine.begin() as conn:
            conn.execute(change)
        return lock(*args)

    monkeypatch.setattr(expenses_service, "lock_ledger", meanwhile)
    response = client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=headers)
    monkeypatch.setattr(expenses_service, "lock_ledger", lock)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Expense)) == 0
        assert conn.scalar(select(func.count()).select_from(ExpenseSplit)) == 0
        assert conn.scalar(select(func.count()).select_from(MonthlyTotal)) == 0
    return response.status_code


def test_a_member_removed_while_posting_gets_404_and_nothing_is_written(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_id, _, (editor,) = shared(client, "editor")
    member = and_(LedgerMember.user_id == me(client, editor), LedgerMember.ledger_id == ledger_id)
    # The owner removes the editor meanwhile.
    assert (
        post_while(client, engine, monkeypatch, editor, ledger_id, delete(LedgerMember).where(member)) == 404
    )


def test_an_editor_made_a_viewer_while_posting_gets_403_and_nothing_is_written(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger_id, _, (editor,) = shared(client, "editor")
    member = and_(LedgerMember.user_id == me(client, editor), LedgerMember.ledger_id == ledger_id)
    # The writer checks the role as it is under the lock, not only the membership.
    demoted = update(LedgerMember).where(member).values(role="viewer")
    assert post_while(client, engine, monkeypatch, editor, ledger_id, demoted) == 403
    again = client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=editor)
    assert again.status_code == 403  # the next request is resolved with the new role
