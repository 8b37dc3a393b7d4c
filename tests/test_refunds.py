"""Refunds (issue 26, part 2): money back, shown positive with `refund: true`, stored negative so
that it counts negative in every total, budget and balance."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app import money, rates
from app.config import settings
from app.models import Expense, ExpenseSplit
from tests.factories import add_budget, add_expense, refused, register
from tests.test_currencies import HISTORY
from tests.test_imports import all_expenses, assert_totals_consistent, export, upload
from tests.test_ledgers import Headers, me, shared


def post(client: TestClient, headers: Headers, **body: Any) -> Any:
    return client.post(
        "/api/expenses", json={"date": "2026-11-12", "category": "Food", **body}, headers=headers
    )


def page(client: TestClient, headers: Headers, **params: Any) -> Any:
    return client.get("/api/expenses", params={"limit": 500, **params}, headers=headers).json()


def stats(client: TestClient, headers: Headers, start: str, end: str, granularity: str) -> Any:
    params = {"start": start, "end": end, "granularity": granularity}
    return client.get("/api/stats", params=params, headers=headers).json()


def summary(client: TestClient, headers: Headers, month: str) -> Any:
    return client.get("/api/summary", params={"month": month}, headers=headers).json()


def stored(engine: Engine, expense_id: int) -> tuple[int, int, list[tuple[int, int]]]:
    """The expense's amount and base amount as stored, and its parts' (amount, base amount)."""
    with engine.connect() as conn:
        amount, base = conn.execute(
            select(Expense.amount_minor, Expense.base_amount_minor).where(Expense.id == expense_id)
        ).one()
        parts = conn.execute(
            select(ExpenseSplit.amount_minor, ExpenseSplit.base_amount_minor)
            .where(ExpenseSplit.expense_id == expense_id)
            .order_by(ExpenseSplit.user_id)
        ).all()
    return amount, base, [(part_amount, part_base) for part_amount, part_base in parts]


def test_a_refund_is_shown_positive_and_stored_negative(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    refund = post(client, headers, amount="12.50", description="Parcel back", refund=True)
    assert refund.status_code == 201, refund.text
    answer = refund.json()
    assert (answer["amount"], answer["base_amount"], answer["refund"]) == (12.5, 12.5, True)
    assert [(p["amount"], p["base_amount"]) for p in answer["split"]] == [(12.5, 12.5)]
    assert stored(engine, answer["id"]) == (-1250, -1250, [(-1250, -1250)])
    assert client.get(f"/api/expenses/{answer['id']}", headers=headers).json() == answer
    # A part-1 body (no `refund`) is an expense, as before.
    plain = post(client, headers, amount=3).json()
    assert plain["refund"] is False
    assert stored(engine, plain["id"])[:2] == (300, 300)


def test_a_refund_counts_negative_in_every_total(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_budget(client, headers, "Food", 50)
    post(client, headers, date="2026-11-10", amount=30, description="Shoes")
    post(client, headers, date="2026-11-12", amount="12.50", description="Shoes back", refund=True)
    post(client, headers, date="2026-11-12", category="Rent", amount=100, description="Flat")

    listed = page(client, headers)
    assert listed["total_amount"] == 117.5
    assert [(e["amount"], e["refund"]) for e in listed["items"]] == [(100, False), (12.5, True), (30, False)]
    # A text search sums what it finds (search totals), a category filter too.
    assert page(client, headers, q="shoes")["total_amount"] == 17.5
    assert page(client, headers, q="back")["total_amount"] == -12.5
    assert (
        page(client, headers, category="food", start="2026-11-01", end="2026-11-30")["total_amount"] == 17.5
    )
    assert page(client, headers, start="2026-11-11", end="2026-11-12")["total_amount"] == 87.5

    month = summary(client, headers, "2026-11")
    assert (month["total_spent"], month["budgeted_spent"], month["budget_remaining"]) == (117.5, 17.5, 32.5)
    food = next(line for line in month["categories"] if line["category"] == "Food")
    assert (food["spent"], food["remaining"]) == (17.5, 32.5)

    whole = stats(client, headers, "2026-11-01", "2026-11-30", "month")
    assert (whole["total"], whole["count"]) == (117.5, 3)
    assert whole["by_category"] == [{"category": "Rent", "amount": 100}, {"category": "Food", "amount": 17.5}]
    # Part of a month is summed from the expenses themselves, a trend by day from the daily totals.
    part = stats(client, headers, "2026-11-11", "2026-11-20", "month")
    assert part["by_category"] == [{"category": "Rent", "amount": 100}, {"category": "Food", "amount": -12.5}]
    days = stats(client, headers, "2026-11-10", "2026-11-12", "day")
    assert [point["amount"] for point in days["trend"]] == [30, 0, 87.5]
    listed_categories = client.get("/api/categories", headers=headers).json()
    assert {c["category"]: c["count"] for c in listed_categories} == {"Food": 2, "Rent": 1}
    assert_totals_consistent(engine)


def test_a_categorys_month_may_net_below_zero(client: TestClient) -> None:
    headers = register(client)
    add_budget(client, headers, "Clothes", 40)
    post(client, headers, date="2026-11-28", category="Clothes", amount=60)
    post(client, headers, date="2026-12-03", category="Clothes", amount=60, refund=True)  # sent back
    post(client, headers, date="2026-12-04", category="Food", amount=5)

    december = summary(client, headers, "2026-12")
    clothes = next(line for line in december["categories"] if line["category"] == "Clothes")
    assert (clothes["spent"], clothes["remaining"], clothes["status"]) == (-60, 100, "ok")
    assert december["total_spent"] == -55
    assert december["categories"][0]["category"] == "Food"  # the most spent first
    trend = stats(client, headers, "2026-11-01", "2026-12-31", "month")["trend"]
    assert [point["amount"] for point in trend] == [60, -55]
    assert stats(client, headers, "2026-11-01", "2026-12-31", "month")["total"] == 5


def test_a_shared_refund_gives_the_payer_the_money_back_and_shrinks_the_parts(
    client: TestClient, engine: Engine
) -> None:
    ledger_id, owner, (editor, other) = shared(client, "editor", "editor")
    o, e, x = me(client, owner), me(client, editor), me(client, other)
    add = {"date": "2026-11-10", "category": "Food"}
    response = client.post(
        "/api/expenses", params={"ledger": ledger_id}, json={**add, "amount": 300}, headers=owner
    )
    assert response.status_code == 201, response.text
    refund = client.post(
        "/api/expenses",
        params={"ledger": ledger_id},
        json={**add, "amount": 100, "refund": True},
        headers=owner,
    )
    assert refund.status_code == 201, refund.text
    # 100.00 by three is 33.34, 33.33, 33.33, as for an expense: the same parts, negated.
    assert [(p["user_id"], p["amount"]) for p in refund.json()["split"]] == [
        (o, 33.34),
        (e, 33.33),
        (x, 33.33),
    ]
    assert stored(engine, refund.json()["id"])[2] == [(-3334, -3334), (-3333, -3333), (-3333, -3333)]

    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=editor).json()
    by_user = {m["user_id"]: (m["paid"], m["share"], m["balance"]) for m in balances["members"]}
    assert by_user == {o: (200, 66.66, 133.34), e: (0, 66.67, -66.67), x: (0, 66.67, -66.67)}
    assert sorted((t["from_user_id"], t["to_user_id"], t["amount"]) for t in balances["transfers"]) == [
        (e, o, 66.67),
        (x, o, 66.67),
    ]
    # An exact split of a refund is given positive and must add up to its amount.
    exact = [{"user_id": e, "amount": 10}, {"user_id": x, "amount": 20}]
    body = {**add, "amount": 30, "refund": True, "paid_by": e, "split": exact}
    made = client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=owner)
    assert made.status_code == 201, made.text
    assert [(p["amount"], p["shares"]) for p in made.json()["split"]] == [(10, None), (20, None)]
    assert stored(engine, made.json()["id"]) == (-3000, -3000, [(-1000, -1000), (-2000, -2000)])
    wrong = {**body, "split": [{"user_id": e, "amount": 10}, {"user_id": x, "amount": 25}]}
    response = client.post("/api/expenses", params={"ledger": ledger_id}, json=wrong, headers=owner)
    assert refused(response) == ["body.split"]
    assert "add up to 35.00, not the expense's 30.00" in response.json()["detail"][0]["msg"]
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=editor).json()
    assert sum(m["balance"] for m in balances["members"]) == 0
    assert {m["user_id"]: m["balance"] for m in balances["members"]} == {o: 133.34, e: -86.67, x: -46.67}


@pytest.fixture
def ecb_history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    rates.install(HISTORY.encode())


@pytest.mark.usefixtures("ecb_history")
def test_a_foreign_refund_rounds_its_absolute_value_then_negates(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    assert client.patch("/api/me", json={"currency": "EUR"}, headers=headers).status_code == 200
    # 4 JPY at 1/160 is 0.025 EUR: half a cent, rounded up to 0.03 as an expense's, -0.03 stored.
    refund = post(client, headers, date="2026-03-06", amount=4, currency="JPY", refund=True).json()
    assert (refund["amount"], refund["base_amount"], refund["rate"], refund["refund"]) == (
        4,
        0.03,
        "0.00625",
        True,
    )
    assert stored(engine, refund["id"]) == (-4, -3, [(-4, -3)])
    post(client, headers, date="2026-03-06", amount=1200, currency="JPY")  # 7.50 EUR
    assert page(client, headers)["total_amount"] == 7.47
    assert stats(client, headers, "2026-03-01", "2026-03-31", "month")["total"] == 7.47
    # A manual rate too: 0.25 USD at 0.1 is 0.025 -> 0.03.
    manual = post(client, headers, date="2026-03-06", amount="0.25", currency="USD", rate="0.1", refund=True)
    assert manual.json()["base_amount"] == 0.03
    assert stored(engine, manual.json()["id"])[:2] == (-25, -3)


def test_patch_turns_an_expense_into_a_refund_and_back(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    exact = [{"user_id": o, "amount": 10}, {"user_id": e, "amount": 20}]
    body = {"date": "2026-11-10", "category": "Food", "amount": 30, "split": exact}
    created = client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=owner).json()
    path = f"/api/expenses/{created['id']}"

    turned = client.patch(path, json={"refund": True}, headers=owner)
    assert turned.status_code == 200, turned.text
    assert (turned.json()["amount"], turned.json()["refund"]) == (30, True)
    # An exact split keeps its amounts, negated: no new split needed for the same amount.
    assert [p["amount"] for p in turned.json()["split"]] == [10, 20]
    assert stored(engine, created["id"]) == (-3000, -3000, [(-1000, -1000), (-2000, -2000)])
    ledger_total = page(client, owner, ledger=ledger_id)["total_amount"]
    assert ledger_total == -30
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert {m["user_id"]: m["balance"] for m in balances["members"]} == {o: -20, e: 20}

    back = client.patch(path, json={"refund": False, "description": "kept it"}, headers=owner)
    assert back.json()["refund"] is False
    assert stored(engine, created["id"]) == (3000, 3000, [(1000, 1000), (2000, 2000)])
    # A new amount with shares turns it again: the parts divided as the positive amount's, negated.
    again = client.patch(
        path,
        json={
            "refund": True,
            "amount": 100,
            "split": [{"user_id": o, "shares": 1}, {"user_id": e, "shares": 2}],
        },
        headers=owner,
    )
    assert again.status_code == 200, again.text
    assert stored(engine, created["id"]) == (-10000, -10000, [(-3333, -3333), (-6667, -6667)])
    # A new amount alone keeps it a refund.
    assert client.patch(path, json={"amount": 50}, headers=owner).json()["refund"] is True
    assert stored(engine, created["id"])[:2] == (-5000, -5000)
    assert page(client, owner, ledger=ledger_id)["total_amount"] == -50
    assert refused(client.patch(path, json={"refund": None}, headers=owner)) == ["body.refund"]
    assert_totals_consistent(engine)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"amount": 0, "refund": True}, ["body.amount"]),
        ({"amount": -5, "refund": True}, ["body.amount"]),
        ({"amount": "-12.99", "refund": True}, ["body.amount"]),
        ({"amount": "-12.99"}, ["body.amount"]),  # a negative amount is still no refund
        ({"amount": 5, "refund": "sometimes"}, ["body.refund"]),
        ({"amount": 5, "refund": None}, ["body.refund"]),
    ],
)
def test_a_refund_needs_a_positive_amount(client: TestClient, body: dict[str, Any], where: list[str]) -> None:
    headers = register(client)
    assert refused(post(client, headers, **body)) == where
    assert page(client, headers)["total"] == 0


def test_the_ledger_bound_counts_refunds_apart(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every sum of a ledger's money lies between minus its refunds and its expenses: both are
    bounded, so refunds cannot make room for more expenses than a BIGINT sum holds."""
    monkeypatch.setattr(money, "MAX_LEDGER_UNITS", 100)  # the rule, at a size a test can fill
    headers = register(client)
    assert post(client, headers, amount=80, refund=True).status_code == 201
    response = post(client, headers, amount=30, refund=True)
    assert refused(response) == ["body.amount"]
    assert "refunds would add up to more than" in response.json()["detail"][0]["msg"]
    # The net total is -80, yet 150 of expenses would pass the bound.
    response = post(client, headers, amount=150)
    assert refused(response) == ["body.amount"]
    assert "expenses would add up to more than" in response.json()["detail"][0]["msg"]
    assert post(client, headers, amount=100).status_code == 201
    # Turning an expense into a refund counts it among the refunds.
    expense = page(client, headers)["items"][0]
    assert not expense["refund"]
    assert refused(
        client.patch(f"/api/expenses/{expense['id']}", json={"refund": True}, headers=headers)
    ) == ["body.amount"]
    assert page(client, headers)["total_amount"] == 20


@pytest.mark.usefixtures("ecb_history")
def test_the_export_writes_refunds_negative_and_importing_it_restores_them(client: TestClient) -> None:
    headers = register(client)
    assert client.patch("/api/me", json={"currency": "EUR"}, headers=headers).status_code == 200
    post(client, headers, date="2026-03-05", amount=30, description="Shoes")
    post(client, headers, date="2026-03-06", amount="12.50", description="Shoes back", refund=True)
    post(client, headers, date="2026-03-06", amount=1200, currency="JPY", refund=True)
    csv = export(client, headers)
    assert csv.splitlines() == [
        "date,category,amount,description,currency,base_amount",
        "2026-03-06,Food,-1200,,JPY,-7.50",
        "2026-03-06,Food,-12.50,Shoes back,EUR,-12.50",
        "2026-03-05,Food,30.00,Shoes,EUR,30.00",
    ]
    other = register(client)
    assert client.patch("/api/me", json={"currency": "EUR"}, headers=other).status_code == 200
    dry = upload(client, other, csv, dry_run="true").json()
    assert [(row["amount"], row["base_amount"], row["refund"]) for row in dry["rows"]] == [
        (1200, 7.5, True),
        (12.5, 12.5, True),
        (30, 30, False),
    ]
    imported = upload(client, other, csv)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"] == 3
    fields = ("date", "category", "amount", "currency", "base_amount", "rate", "description", "refund")
    mine, theirs = page(client, headers)["items"], page(client, other)["items"]
    assert [[e[k] for k in fields] for e in theirs] == [[e[k] for k in fields] for e in mine]
    assert page(client, other)["total_amount"] == 10.0
    # Importing it again finds every row, refunds too, already there.
    again = upload(client, other, csv).json()
    assert (again["imported"], again["skipped_duplicates"]) == (0, 3)


BANK = (
    "Date,Amount,Text\n2026-11-10,-40.00,Shoes\n2026-11-12,15.00,Shoes returned\n2026-11-13,2000.00,Salary\n"
)


def test_an_import_mapping_takes_credits_as_refunds(client: TestClient) -> None:
    headers = register(client)
    mapping: dict[str, Any] = {
        "date": "Date",
        "amount": "Amount",
        "description": "Text",
        "negative_is_expense": True,
    }
    # As before: credits are income, skipped.
    dry = upload(client, headers, BANK, mapping, dry_run="true").json()
    assert (dry["count"], dry["skipped_income"]) == (1, 2)
    assert upload(client, headers, BANK, {**mapping, "credits_as_refunds": True}).status_code == 200
    assert [(e["description"], e["amount"], e["refund"]) for e in page(client, headers)["items"]] == [
        ("Salary", 2000, True),
        ("Shoes returned", 15, True),
        ("Shoes", 40, False),
    ]
    assert page(client, headers)["total_amount"] == -1975


def test_an_expense_list_with_negative_credits_imports_them_as_refunds(client: TestClient) -> None:
    headers = register(client)
    listing = "When,What,Sum\n2026-11-10,Lamp,25.00\n2026-11-11,Lamp back,-25.00\n"
    mapping: dict[str, Any] = {"date": "When", "amount": "Sum", "description": "What"}
    response = upload(client, headers, listing, mapping)
    assert refused(response) == ["body.file"]  # as before: a negative amount is refused by default
    assert "credits are refunds" in response.json()["detail"][0]["msg"]
    response = upload(client, headers, listing, {**mapping, "credits_as_refunds": True})
    assert response.status_code == 200, response.text
    assert all_expenses(client, headers) == [
        ("2026-11-11", "Uncategorised", 25, "Lamp back"),
        ("2026-11-10", "Uncategorised", 25, "Lamp"),
    ]
    assert [e["refund"] for e in page(client, headers)["items"]] == [True, False]
    debit = {"date": "When", "debit": "Sum", "credits_as_refunds": True}
    assert refused(upload(client, headers, listing, debit)) == ["body.mapping"]


def test_refunds_in_the_account_export_are_shown_as_in_the_api(client: TestClient) -> None:
    headers = register(client)
    refund = add_expense(client, headers, amount=7, refund=True)
    everything = client.get("/api/me/export", headers=headers).json()
    assert everything["expenses"] == [refund]


def test_a_refund_in_another_ledger_is_not_found_and_a_viewer_may_not_add_one(client: TestClient) -> None:
    ledger_id, owner, (viewer,) = shared(client, "viewer")
    body = {"date": "2026-11-10", "category": "Food", "amount": 5, "refund": True}
    assert client.post("/api/expenses", params={"ledger": ledger_id}, json=body).status_code == 401
    assert (
        client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=viewer).status_code
        == 403
    )
    stranger = register(client)
    assert (
        client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=stranger).status_code
        == 404
    )
    made = client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=owner).json()
    path = f"/api/expenses/{made['id']}"
    assert client.patch(path, json={"refund": False}, headers=stranger).status_code == 404
    assert client.patch(path, json={"refund": False}, headers=viewer).status_code == 403
    assert client.get(path, headers=owner).json()["refund"] is True
