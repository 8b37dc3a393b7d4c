"""Who paid and how it is split, settlements and balances, through the API."""

from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from app import ratelimit
from app.models import ExpenseSplit
from tests.factories import PASSWORD, add_expense, expense_body, refused, register
from tests.test_ledgers import Headers, invite, join, me, shared
from tests.test_writer import REPEATS, at_once


def post(client: TestClient, headers: Headers, ledger_id: int, **body: Any) -> Any:
    return client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(**body), headers=headers)


def test_a_personal_expense_is_paid_and_borne_by_its_owner(client: TestClient) -> None:
    headers = register(client)
    expense = add_expense(client, headers, amount="12.50")
    user_id = me(client, headers)
    assert expense["paid_by"] == user_id
    assert expense["split"] == [{"user_id": user_id, "shares": 1, "amount": 12.5, "base_amount": 12.5}]


def test_default_split_is_equal_among_owners_and_editors(client: TestClient) -> None:
    ledger_id, owner, (a, b, viewer) = shared(client, "editor", "editor", "viewer")
    created = post(client, a, ledger_id, amount=100)
    assert created.status_code == 201
    ids = sorted([me(client, owner), me(client, a), me(client, b)])
    assert created.json()["paid_by"] == me(client, a)
    # 100.00 by three: the lowest user id takes the odd cent.
    assert [(p["user_id"], p["amount"]) for p in created.json()["split"]] == [
        (ids[0], 33.34),
        (ids[1], 33.33),
        (ids[2], 33.33),
    ]
    assert me(client, viewer) not in [p["user_id"] for p in created.json()["split"]]


def test_shares_and_exact_amounts(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    o, e, v = me(client, owner), me(client, editor), me(client, viewer)
    by_shares = post(
        client,
        owner,
        ledger_id,
        amount=10,
        paid_by=e,
        split=[{"user_id": e, "shares": 2}, {"user_id": o, "shares": 1}],
    )
    assert by_shares.status_code == 201, by_shares.text
    assert by_shares.json()["paid_by"] == e
    assert [(p["user_id"], p["shares"], p["amount"]) for p in by_shares.json()["split"]] == sorted(
        [(o, 1, 3.33), (e, 2, 6.67)]
    )
    exact = post(
        client,
        owner,
        ledger_id,
        amount=10,
        split=[{"user_id": v, "amount": 2.5}, {"user_id": o, "amount": 7.5}],
    )
    assert exact.status_code == 201, exact.text
    assert [(p["user_id"], p["shares"], p["amount"]) for p in exact.json()["split"]] == sorted(
        [(o, None, 7.5), (v, None, 2.5)]
    )


@pytest.mark.parametrize(
    ("split", "where"),
    [
        ([], "body.split"),
        ([{"user_id": "self", "amount": 3}, {"user_id": "other", "amount": 3}], "body.split"),  # 6 != 10
        ([{"user_id": "self", "amount": 7}, {"user_id": "other", "amount": 4}], "body.split"),  # 11 != 10
        ([{"user_id": "self", "shares": 1}, {"user_id": "self", "shares": 2}], "body.split.1.user_id"),
        ([{"user_id": "stranger", "shares": 1}], "body.split.0.user_id"),
        ([{"user_id": 987654, "shares": 1}], "body.split.0.user_id"),
        ([{"user_id": "self", "shares": 1}, {"user_id": "other", "amount": 9}], "body.split"),
        ([{"user_id": "self", "shares": 0}], "body.split.0.shares"),
        ([{"user_id": "self", "shares": 1001}], "body.split.0.shares"),
        ([{"user_id": "self", "shares": 1, "amount": 10}], "body.split.0"),
        ([{"user_id": "self"}], "body.split.0"),
    ],
)
def test_bad_splits_are_422_saying_where(
    client: TestClient, engine: Engine, split: list[dict[str, Any]], where: str
) -> None:
    ledger_id, owner, (other,) = shared(client, "editor")
    stranger = me(client, register(client))
    ids = {"self": me(client, owner), "other": me(client, other), "stranger": stranger}
    body = [{**part, "user_id": ids.get(part["user_id"], part["user_id"])} for part in split]
    response = post(client, owner, ledger_id, amount=10, split=body)
    assert response.status_code == 422, response.text
    first = response.json()["detail"][0]
    assert ".".join(map(str, first["loc"])).startswith(where)
    with engine.connect() as conn:
        assert conn.execute(select(ExpenseSplit)).all() == []


def test_amounts_that_do_not_add_up_say_so(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    response = post(client, owner, ledger_id, amount=10, split=[{"user_id": me(client, owner), "amount": 9}])
    assert response.json()["detail"][0]["msg"].startswith(
        "The split amounts add up to 9.00, not the expense's 10.00"
    )


def test_amounts_adding_up_to_more_than_the_expense_say_so(client: TestClient) -> None:
    ledger_id, owner, (other,) = shared(client, "editor")
    split = [{"user_id": me(client, owner), "amount": 7}, {"user_id": me(client, other), "amount": "3.01"}]
    response = post(client, owner, ledger_id, amount=10, split=split)
    assert refused(response) == ["body.split"]
    assert response.json()["detail"][0]["msg"].startswith(
        "The split amounts add up to 10.01, not the expense's 10.00"
    )
    assert client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()["items"] == []


def test_paid_by_must_be_a_member(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    stranger = me(client, register(client))
    response = post(client, owner, ledger_id, paid_by=stranger)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "paid_by"]


def test_patch_of_amount_or_split_recomputes_the_parts(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = sorted([me(client, owner), me(client, editor)])
    created = post(client, owner, ledger_id, amount=10).json()
    path = f"/api/expenses/{created['id']}"
    changed = client.patch(path, json={"amount": 1.01}, headers=owner).json()
    assert [(p["user_id"], p["amount"]) for p in changed["split"]] == [(o, 0.51), (e, 0.5)]
    changed = client.patch(path, json={"split": [{"user_id": e, "amount": 1.01}]}, headers=owner).json()
    assert [(p["user_id"], p["shares"], p["amount"]) for p in changed["split"]] == [(e, None, 1.01)]
    refused = client.patch(path, json={"amount": 2}, headers=owner)
    assert refused.status_code == 422
    assert "send the new split too" in refused.json()["detail"][0]["msg"]
    assert client.get(path, headers=owner).json()["split"][0]["amount"] == 1.01


def test_settlements_and_balances(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    o, e = me(client, owner), me(client, editor)
    post(
        client, owner, ledger_id, amount=90, split=[{"user_id": o, "shares": 1}, {"user_id": e, "shares": 2}]
    )
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=viewer).json()
    by_user = {m["user_id"]: m for m in balances["members"]}
    assert by_user[o] | {"display_name": ""} == {
        "user_id": o, "display_name": "", "paid": 90, "share": 30, "sent": 0, "received": 0, "balance": 60,
    }  # fmt: skip
    assert by_user[e]["balance"] == -60
    assert sum(m["balance"] for m in balances["members"]) == 0
    assert balances["transfers"] == [{"from_user_id": e, "to_user_id": o, "amount": 60}]
    assert balances["currency"] == "USD"

    url = f"/api/ledgers/{ledger_id}/settlements"
    body = {"from_user_id": e, "to_user_id": o, "amount": 60, "date": "2026-11-12", "note": "cash"}
    assert client.post(url, json=body, headers=viewer).status_code == 403
    assert client.post(url, json={**body, "to_user_id": e}, headers=editor).status_code == 422
    assert client.post(url, json={**body, "amount": 0}, headers=editor).status_code == 422
    assert refused(client.post(url, json={**body, "to_user_id": 987654}, headers=editor)) == [
        "body.to_user_id"
    ]
    assert refused(client.post(url, json={**body, "from_user_id": 987654}, headers=editor)) == [
        "body.from_user_id"
    ]
    assert client.post(url, json=body).status_code == 401
    created = client.post(url, json=body, headers=editor)
    assert created.status_code == 201
    assert (created.json()["amount"], created.json()["created_by"]) == (60, e)
    after = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert [m["balance"] for m in after["members"]] == [0, 0, 0]
    assert after["transfers"] == []
    # Settlements are not spending.
    assert client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()["total_amount"] == 90
    assert [s["id"] for s in client.get(url, headers=viewer).json()] == [created.json()["id"]]
    sid = created.json()["id"]
    assert client.delete(f"{url}/{sid}", headers=viewer).status_code == 403
    assert client.delete(f"{url}/{sid}", headers=register(client)).status_code == 404
    assert client.delete(f"{url}/987654", headers=owner).status_code == 404
    assert client.delete(f"{url}/{sid}", headers=owner).status_code == 204
    assert client.get(url, headers=owner).json() == []


def test_a_member_who_is_owed_cannot_leave_or_be_removed_until_settled(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    owner_id, editor_id = me(client, owner), me(client, editor)
    assert post(client, editor, ledger_id, amount=10).status_code == 201  # the editor is owed 5
    member = f"/api/ledgers/{ledger_id}/members/{editor_id}"
    for who in (editor, owner):  # leaving, and being removed
        refused_leave = client.delete(member, headers=who)
        assert refused_leave.status_code == 409
        assert "settle up" in refused_leave.json()["detail"]
    assert [
        m["user_id"] for m in client.get(f"/api/ledgers/{ledger_id}", headers=owner).json()["members"]
    ] == [
        owner_id,
        editor_id,
    ]
    settle = {"from_user_id": owner_id, "to_user_id": editor_id, "amount": 5, "date": "2026-11-11"}
    assert client.post(f"/api/ledgers/{ledger_id}/settlements", json=settle, headers=owner).status_code == 201
    assert client.delete(member, headers=editor).status_code == 204


def test_a_settlement_is_deleted_only_through_its_own_ledger(client: TestClient) -> None:
    """An editor of A (and of B, or not a member of B) cannot reach B's settlement through A's address."""
    ledger_a, owner, (editor,) = shared(client, "editor")
    ledger_b, owner_b, (friend,) = shared(client, "editor")
    in_both = register(client)
    join(client, in_both, invite(client, owner, ledger_a, "editor"))
    join(client, in_both, invite(client, owner_b, ledger_b, "editor"))
    body = {
        "from_user_id": me(client, friend),
        "to_user_id": me(client, owner_b),
        "amount": 3,
        "date": "2026-11-11",
    }
    url_b = f"/api/ledgers/{ledger_b}/settlements"
    created = client.post(url_b, json=body, headers=owner_b)
    assert created.status_code == 201
    sid = created.json()["id"]
    for who in (editor, owner, in_both):
        response = client.delete(f"/api/ledgers/{ledger_a}/settlements/{sid}", headers=who)
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": "Settlement not found"}
    assert [s["id"] for s in client.get(url_b, headers=owner_b).json()] == [sid]
    assert client.delete(f"{url_b}/{sid}", headers=in_both).status_code == 204
    assert client.get(url_b, headers=owner_b).json() == []


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    members=st.integers(min_value=2, max_value=4),
    expenses=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**7),  # cents
            st.integers(min_value=0, max_value=3),  # payer
            st.lists(st.integers(min_value=1, max_value=1000), min_size=4, max_size=4),  # weights
            st.lists(st.booleans(), min_size=4, max_size=4),  # who bears it
        ),
        min_size=1,
        max_size=5,
    ),
    payments=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(1, 10**6)), max_size=3),
)
def test_applying_the_suggested_transfers_evens_every_balance(
    client: TestClient,
    members: int,
    expenses: list[tuple[int, int, list[int], list[bool]]],
    payments: list[tuple[int, int, int]],
) -> None:
    ratelimit.reset()  # each example registers up to four accounts
    roles = ["editor"] * (members - 1)
    ledger_id, owner, others = shared(client, *roles)
    people = [owner, *others]
    ids = [me(client, h) for h in people]
    for cents, payer, weights, bears in expenses:
        split = [{"user_id": ids[n], "shares": weights[n]} for n in range(members) if bears[n]] or None
        response = post(
            client, owner, ledger_id, amount=cents / 100, paid_by=ids[payer % members], split=split
        )
        assert response.status_code == 201, response.text
        assert sum(round(p["amount"] * 100) for p in response.json()["split"]) == cents
    url = f"/api/ledgers/{ledger_id}/settlements"
    for a, b, cents in payments:
        if a % members != b % members:
            payment = {
                "from_user_id": ids[a % members],
                "to_user_id": ids[b % members],
                "amount": cents / 100,
            }
            assert client.post(url, json={**payment, "date": "2026-11-01"}, headers=owner).status_code == 201
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert sum(round(m["balance"] * 100) for m in balances["members"]) == 0
    nonzero = sum(1 for m in balances["members"] if m["balance"] != 0)
    assert len(balances["transfers"]) <= max(nonzero - 1, 0)
    for transfer in balances["transfers"]:
        assert client.post(url, json={**transfer, "date": "2026-11-02"}, headers=owner).status_code == 201
    evened = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert [m["balance"] for m in evened["members"]] == [0] * members
    assert evened["transfers"] == []


def test_a_settlement_is_deleted_only_through_its_own_ledgers_address(client: TestClient) -> None:
    ledger_a, _, (editor,) = shared(client, "editor")
    ledger_b, owner_b, (member_b,) = shared(client, "editor")
    body = {
        "from_user_id": me(client, member_b),
        "to_user_id": me(client, owner_b),
        "amount": 3,
        "date": "2026-11-12",
    }
    url_b = f"/api/ledgers/{ledger_b}/settlements"
    settlement_id = client.post(url_b, json=body, headers=owner_b).json()["id"]
    # An editor of A only, through A's address: B's settlement is not found there.
    assert (
        client.delete(f"/api/ledgers/{ledger_a}/settlements/{settlement_id}", headers=editor).status_code
        == 404
    )
    # Nor for an editor of both: the address names the ledger it is looked up in.
    with_b = client.post(
        f"/api/ledgers/{ledger_b}/invitations", json={"role": "editor"}, headers=owner_b
    ).json()["token"]
    assert client.post("/api/ledgers/join", json={"token": with_b}, headers=editor).status_code == 200
    assert (
        client.delete(f"/api/ledgers/{ledger_a}/settlements/{settlement_id}", headers=editor).status_code
        == 404
    )
    assert [s["id"] for s in client.get(url_b, headers=owner_b).json()] == [settlement_id]
    assert client.delete(f"{url_b}/{settlement_id}", headers=editor).status_code == 204
    assert client.get(url_b, headers=owner_b).json() == []


def settled_with_a_member_who_then_goes(
    client: TestClient, *, they_owe: bool
) -> tuple[int, Headers, Headers, int, str]:
    """A ledger of an owner and two editors; the first editor owes the owner 5 (or is owed 5) and
    settles it. The ledger, the owner, the editor who will go, their id, and the settlement's path."""
    ledger_id, owner, (going, _) = shared(client, "editor", "editor")
    o, g = me(client, owner), me(client, going)
    payer, debtor = (o, g) if they_owe else (g, o)
    split = [{"user_id": o, "shares": 1}, {"user_id": g, "shares": 1}]
    assert post(client, owner, ledger_id, amount=10, paid_by=payer, split=split).status_code == 201
    url = f"/api/ledgers/{ledger_id}/settlements"
    body = {"from_user_id": debtor, "to_user_id": payer, "amount": 5, "date": "2026-11-11"}
    created = client.post(url, json=body, headers=owner)
    assert created.status_code == 201, created.text
    return ledger_id, owner, going, g, f"{url}/{created.json()['id']}"


def owed(client: TestClient, headers: Headers, ledger_id: int) -> dict[int, float]:
    answer = client.get(f"/api/ledgers/{ledger_id}/balances", headers=headers).json()
    return {m["user_id"]: m["balance"] for m in answer["members"]}


@pytest.mark.parametrize("they_owe", [True, False], ids=["from them", "to them"])
@pytest.mark.parametrize("how", ["leaves", "is removed", "deletes their account"])
def test_a_settlement_with_someone_who_has_left_cannot_be_deleted(
    client: TestClient, how: str, they_owe: bool
) -> None:
    """Deleting it would give them a balance again, which they could no longer settle."""
    ledger_id, owner, going, gone, path = settled_with_a_member_who_then_goes(client, they_owe=they_owe)
    if how == "deletes their account":
        left = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=going)
    else:
        who = going if how == "leaves" else owner
        left = client.delete(f"/api/ledgers/{ledger_id}/members/{gone}", headers=who)
    assert left.status_code == 204, left.text
    before = owed(client, owner, ledger_id)
    refused_delete = client.delete(path, headers=owner)
    assert refused_delete.status_code == 409, refused_delete.text
    assert refused_delete.json() == {
        "detail": f"This settlement is from or to user {gone}, who has left this ledger: it can no "
        "longer be deleted, as that would change their balance."
    }
    assert owed(client, owner, ledger_id) == before
    assert gone not in before  # a former member is listed only with a balance: theirs stays zero
    listed = client.get(f"/api/ledgers/{ledger_id}/settlements", headers=owner).json()
    assert [f"/api/ledgers/{ledger_id}/settlements/{s['id']}" for s in listed] == [path]


def test_a_settlement_between_current_members_is_still_deleted_after_someone_else_leaves(
    client: TestClient,
) -> None:
    ledger_id, owner, (going, staying) = shared(client, "editor", "editor")
    o, s = me(client, owner), me(client, staying)
    url = f"/api/ledgers/{ledger_id}/settlements"
    body = {"from_user_id": s, "to_user_id": o, "amount": 5, "date": "2026-11-11"}
    path = f"{url}/{client.post(url, json=body, headers=owner).json()['id']}"
    assert (
        client.delete(f"/api/ledgers/{ledger_id}/members/{me(client, going)}", headers=going).status_code
        == 204
    )
    assert client.delete(path, headers=owner).status_code == 204
    assert owed(client, owner, ledger_id) == {o: 0, s: 0}


def test_leaving_while_ones_settlement_is_deleted_never_leaves_a_balance(client: TestClient) -> None:
    """Both take the ledger's lock: either the settlement goes first, and they are owed again and
    cannot leave (409), or they leave first, and the settlement cannot go (409)."""
    for n in range(REPEATS):
        ledger_id, owner, going, gone, path = settled_with_a_member_who_then_goes(client, they_owe=n % 2 == 0)
        left, deleted = at_once(
            partial(client.delete, f"/api/ledgers/{ledger_id}/members/{gone}", headers=going),
            partial(client.delete, path, headers=owner),
        )
        assert (left, deleted) in {(204, 409), (409, 204)}, f"try {n}"
        balances = owed(client, owner, ledger_id)
        assert (gone in balances) == (left == 409), f"try {n}"  # a member, or gone with nothing owed
        assert sum(balances.values()) == 0
        ratelimit.reset()  # each try registers three accounts
