"""Plain functions that make test data through the API, the way a client would."""

import json
from itertools import count
from typing import Any

import httpx2
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
_numbers = count(1)


def register(
    client: TestClient, email: str | None = None, password: str = PASSWORD, **extra: Any
) -> dict[str, str]:
    """Register a user and return the Authorization header for them."""
    email = email or f"user{next(_numbers)}@example.com"
    response = client.post("/api/auth/register", json={"email": email, "password": password, **extra})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def expense_body(**overrides: Any) -> dict[str, Any]:
    return {"date": "2026-11-10", "category": "Food", "amount": 12.5, "description": "Lunch", **overrides}


def add_expense(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/expenses", json=expense_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    expense: dict[str, Any] = response.json()
    return expense


def add_budget(client: TestClient, headers: dict[str, str], category: str, amount: object) -> dict[str, Any]:
    response = client.post("/api/budgets", json={"category": category, "amount": amount}, headers=headers)
    assert response.status_code in (200, 201), response.text
    budget: dict[str, Any] = response.json()
    return budget


def raw_json(body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Request kwargs for JSON a strict encoder would refuse: NaN, Infinity, lone surrogates (escaped)."""
    return {
        "content": json.dumps(body).encode(),
        "headers": {**(headers or {}), "Content-Type": "application/json"},
    }


def refused(response: httpx2.Response) -> list[str]:
    """Where a 422's errors point ("body.amount", "query.month"): the rule that refused, not just a 422."""
    assert response.status_code == 422, response.text
    return [".".join(map(str, error["loc"])) for error in response.json()["detail"]]
