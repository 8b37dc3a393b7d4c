"""Every amount is an integer count of its currency's minor unit: an expense's in its own currency,
the ledger's money (base amounts, budgets, settlements, totals) in the ledger's. So a dinar ledger
keeps three decimals everywhere and a yen ledger none (app.money)."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from app import rates
from app.config import settings
from app.models import Budget, Expense, ExpenseSplit, MonthlyTotal, Settlement
from app.money import amount_text, to_decimal, to_number
from tests.factories import expense_body, refused, register
from tests.test_ledgers import invite, join, new_ledger

HISTORY = "Date,USD,JPY,\n2026-03-06,1.1000,160.00,\n2026-03-05,1.2000,161.00,\n2026-03-02,1.2500,150.00,\n"
Headers = dict[str, str]


@pytest.fixture(autouse=True)
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    rates.install(HISTORY.encode())


def shared_ledger(client: TestClient, currency: str) -> tuple[Headers, Headers, dict[str, int], list[int]]:
    """A ledger in `currency` with an owner and an editor: their headers, its params, their ids."""
    owner, friend = register(client), register(client)
    ledger = new_ledger(client, owner, currency=currency)
    join(client, friend, invite(client, owner, ledger["id"]))
    ids = [client.get("/api/me", headers=h).json()["id"] for h in (owner, friend)]
    return owner, friend, {"ledger": ledger["id"]}, ids


def stored(engine: Engine, *columns: Any) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(*columns))]


def test_a_dinar_ledger_keeps_three_decimals_everywhere(client: TestClient, engine: Engine) -> None:
    owner, _, params, (ann, bob) = shared_ledger(client, "KWD")
    # 10.01 dollars at 0.30712 dinars each: 3.0742712, rounded half up to the fil.
    body = expense_body(date="2026-03-05", amount="10.01", currency="USD", rate="0.30712")
    created = client.post("/api/expenses", params=params, json=body, headers=owner).json()
    assert (created["amount"], created["base_amount"]) == (10.01, 3.074)
    assert [(p["amount"], p["base_amount"]) for p in created["split"]] == [(5.01, 1.537), (5.0, 1.537)]
    assert client.get("/api/expenses", params=params, headers=owner).json()["total_amount"] == 3.074

    budget = client.post(
        "/api/budgets", params=params, json={"category": "Food", "amount": "5.125"}, headers=owner
    )
    assert budget.json()["amount"] == 5.125
    summary = client.get("/api/summary", params={**params, "month": "2026-03"}, headers=owner).json()
    assert (summary["total_budget"], summary["total_spent"], summary["total_remaining"]) == (
        5.125,
        3.074,
        2.051,
    )
    stats = client.get(
        "/api/stats", params={**params, "start": "2026-03-01", "end": "2026-03-31"}, headers=owner
    ).json()
    assert stats["total"] == 3.074

    settle = {"from_user_id": bob, "to_user_id": ann, "amount": "1.5", "date": "2026-03-06"}
    ledger_id = params["ledger"]
    response = client.post(f"/api/ledgers/{ledger_id}/settlements", json=settle, headers=owner)
    assert response.json()["amount"] == 1.5
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()
    assert [m["balance"] for m in balances["members"]] == [0.037, -0.037]
    assert balances["transfers"] == [{"from_user_id": bob, "to_user_id": ann, "amount": 0.037}]

    csv = client.get("/api/expenses/export.csv", params=params, headers=owner).text
    assert csv.splitlines()[1] == "2026-03-05,Food,10.01,Lunch,USD,3.074"
    assert stored(engine, Expense.amount_minor, Expense.base_amount_minor) == [(1001, 3074)]
    assert stored(engine, ExpenseSplit.base_amount_minor) == [(1537,), (1537,)]
    assert stored(engine, MonthlyTotal.amount_minor) == [(3074,)]
    assert stored(engine, Budget.amount_minor) == [(5125,)]
    assert stored(engine, Settlement.amount_minor) == [(1500,)]


def test_a_yen_ledger_counts_whole_yen(client: TestClient, engine: Engine) -> None:
    owner, _, params, (ann, bob) = shared_ledger(client, "JPY")
    body = expense_body(date="2026-03-05", amount="10.01", currency="EUR")  # at 161 yen: 1611.61
    created = client.post("/api/expenses", params=params, json=body, headers=owner).json()
    assert (created["amount"], created["base_amount"]) == (10.01, 1612)
    assert [p["base_amount"] for p in created["split"]] == [806, 806]

    half_yen = client.post(
        "/api/budgets", params=params, json={"category": "Food", "amount": 12.5}, headers=owner
    )
    assert refused(half_yen) == ["body.amount"]
    assert "JPY has no decimals" in half_yen.json()["detail"][0]["msg"]
    client.post("/api/budgets", params=params, json={"category": "Food", "amount": 2000}, headers=owner)
    summary = client.get("/api/summary", params={**params, "month": "2026-03"}, headers=owner).json()
    assert (summary["total_budget"], summary["total_spent"], summary["total_remaining"]) == (2000, 1612, 388)

    settle = {"from_user_id": bob, "to_user_id": ann, "amount": "805.5", "date": "2026-03-06"}
    path = f"/api/ledgers/{params['ledger']}/settlements"
    assert refused(client.post(path, json=settle, headers=owner)) == ["body.amount"]
    client.post(path, json={**settle, "amount": 806}, headers=owner)
    balances = client.get(f"/api/ledgers/{params['ledger']}/balances", headers=owner).json()
    assert [m["balance"] for m in balances["members"]] == [0, 0]

    assert stored(engine, Expense.amount_minor, Expense.base_amount_minor) == [(1001, 1612)]
    assert stored(engine, MonthlyTotal.amount_minor) == [(1612,)]
    assert stored(engine, Budget.amount_minor) == [(2000,)]
    assert stored(engine, Settlement.amount_minor) == [(806,)]


def test_a_yen_expense_is_stored_in_whole_yen(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    client.patch("/api/me", json={"currency": "EUR"}, headers=headers)
    response = client.post(
        "/api/expenses", json=expense_body(date="2026-03-05", amount=1200, currency="JPY"), headers=headers
    )
    assert response.json()["amount"] == 1200
    assert stored(engine, Expense.amount_minor, Expense.base_amount_minor) == [(1200, 745)]  # 1200 / 161


def test_a_budget_keeps_its_number_when_the_ledgers_currency_changes(
    client: TestClient, engine: Engine
) -> None:
    headers = register(client)
    client.post("/api/budgets", json={"category": "Food", "amount": "12.50"}, headers=headers)
    assert client.patch("/api/me", json={"currency": "JPY"}, headers=headers).status_code == 200
    assert client.get("/api/budgets", headers=headers).json()[0]["amount"] == 13  # half up, whole yen
    assert client.patch("/api/me", json={"currency": "KWD"}, headers=headers).status_code == 200
    assert client.get("/api/budgets", headers=headers).json()[0]["amount"] == 13
    assert stored(engine, Budget.amount_minor) == [(13000,)]


def test_an_import_keeps_a_dinar_base_amount_to_the_fil(client: TestClient) -> None:
    owner, _, params, _ = shared_ledger(client, "KWD")
    text = "date,category,amount,description,currency,base_amount\n2026-03-05,Food,10.01,Taxi,USD,3.075\n"

    def upload(content: str) -> Any:
        files = {"file": ("e.csv", content.encode(), "text/csv")}
        return client.post("/api/expenses/import", params=params, files=files, headers=owner)

    assert upload(text).json()["imported"] == 1
    item = client.get("/api/expenses", params=params, headers=owner).json()["items"][0]
    assert (item["base_amount"], item["rate"], item["rate_source"]) == (
        3.075,
        "0.307192807192807",
        "manual",
    )  # 3.075 / 10.01
    too_fine = upload(text.replace("3.075", "3.0751"))
    assert too_fine.status_code == 422
    assert "base_amount" in too_fine.json()["detail"][0]["msg"]


CURRENCIES = st.sampled_from(["JPY", "USD", "KWD", "CLF"])  # 0, 2, 3 and 4 decimals


@given(minor=st.integers(min_value=-(10**15), max_value=10**15), currency=CURRENCIES)
def test_an_amount_is_written_as_the_number_nearest_its_exact_value(minor: int, currency: str) -> None:
    """to_number divides integers; the oracle is the exact Decimal, rounded to a float once."""
    exact = to_decimal(minor, currency)
    number = to_number(minor, currency)
    assert type(number) is (int if exact == exact.to_integral_value() else float)
    assert number == (exact if type(number) is int else float(exact))


@given(minor=st.integers(min_value=-(10**17), max_value=10**17), currency=CURRENCIES)
def test_an_amount_is_written_as_its_exact_decimal_text(minor: int, currency: str) -> None:
    """amount_text (the export's and the messages' one way to write an amount) against the exact
    Decimal's own text: its currency's decimals, zero-padded, a "-" before a refund's."""
    assert amount_text(minor, currency) == format(to_decimal(minor, currency), "f")
    assert amount_text(-minor, currency) == format(to_decimal(-minor, currency), "f")
