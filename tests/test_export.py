"""GET /api/me/export: all of one's own data, as one streamed JSON file."""

import json
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from app.models import Expense, Ledger
from tests.factories import add_budget, add_expense, register


def test_export_holds_account_budgets_and_expenses(client: TestClient) -> None:
    headers = register(client, "me@example.com", display_name="Me")
    other = register(client, "other@example.com")
    add_expense(client, other, description="not mine")
    first = add_expense(client, headers, date="2026-11-01", amount="12.50", description="=cmd")
    second = add_expense(client, headers, date="2026-11-02", category="Rent", amount=900)
    budget = add_budget(client, headers, "Food", 300)

    response = client.get("/api/me/export", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith('attachment; filename="expense-tracker-')
    data = response.json()
    assert set(data) == {"exported_at", "account", "ledgers", "budgets", "expenses"}
    assert data["account"] == client.get("/api/me", headers=headers).json()
    assert data["budgets"] == [budget]
    assert data["expenses"] == [first, second]
    assert "not mine" not in response.text


def test_export_of_an_empty_account(client: TestClient) -> None:
    data = client.get("/api/me/export", headers=register(client)).json()
    assert data["budgets"] == []
    assert data["expenses"] == []


def test_export_spans_many_batches(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    user_id = client.get("/api/me", headers=headers).json()["id"]
    start = date(2020, 1, 1)
    with engine.connect() as conn:
        ledger_id = conn.scalar(select(Ledger.id).where(Ledger.personal_of == user_id))
    rows = [
        {
            "ledger_id": ledger_id,
            "user_id": user_id,
            "date": start + timedelta(days=n % 900),
            "category": "Food",
            "category_key": "food",
            "amount_cents": n + 1,
            **{"currency": "USD", "rate": "1", "rate_source": "same", "base_amount_cents": n + 1},
            "description": f"row {n}",
        }
        for n in range(2_345)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Expense), rows)
    response = client.get("/api/me/export", headers=headers)
    expenses = json.loads(response.text)["expenses"]  # one valid document across every batch
    assert len(expenses) == 2_345
    assert sum(round(e["amount"] * 100) for e in expenses) == sum(range(1, 2_346))
    assert [(e["date"], e["id"]) for e in expenses] == sorted((e["date"], e["id"]) for e in expenses)


def test_export_needs_a_login(client: TestClient) -> None:
    response = client.get("/api/me/export")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/me/export", headers={"Authorization": "Bearer nonsense"}).status_code == 401
