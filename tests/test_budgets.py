import pytest
from fastapi.testclient import TestClient

from tests.factories import add_budget, add_expense, raw_json, refused, register


def test_create_list_and_update_by_posting_again(client: TestClient) -> None:
    headers = register(client)
    created = client.post("/api/budgets", json={"category": "Food", "amount": "300"}, headers=headers)
    assert created.status_code == 201
    assert created.json() == {"id": created.json()["id"], "category": "Food", "amount": 300}
    again = client.post("/api/budgets", json={"category": " food", "amount": 250.5}, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"id": created.json()["id"], "category": "Food", "amount": 250.5}
    add_budget(client, headers, "bills", 90)
    add_budget(client, headers, "Travel", 1)
    listed = client.get("/api/budgets", headers=headers).json()
    assert [(b["category"], b["amount"]) for b in listed] == [("bills", 90), ("Food", 250.5), ("Travel", 1)]


def test_new_budget_uses_the_expense_spelling(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Groceries")
    assert add_budget(client, headers, "GROCERIES", 100)["category"] == "Groceries"
    # and expenses added later follow the budget's spelling for new categories
    add_budget(client, headers, "Pets", 20)
    assert add_expense(client, headers, category="pets")["category"] == "Pets"


def test_patch_budget(client: TestClient) -> None:
    headers = register(client)
    budget = add_budget(client, headers, "Food", 100)
    response = client.patch(f"/api/budgets/{budget['id']}", json={"amount": "120.25"}, headers=headers)
    assert response.status_code == 200
    assert response.json() == {"id": budget["id"], "category": "Food", "amount": 120.25}
    renamed = client.patch(f"/api/budgets/{budget['id']}", json={"category": "Eating out"}, headers=headers)
    assert renamed.json() == {"id": budget["id"], "category": "Eating out", "amount": 120.25}


def test_rename_onto_an_existing_budget_is_409(client: TestClient) -> None:
    headers = register(client)
    food = add_budget(client, headers, "Food", 100)
    add_budget(client, headers, "Rent", 900)
    response = client.patch(f"/api/budgets/{food['id']}", json={"category": " rent "}, headers=headers)
    assert response.status_code == 409
    assert "already a budget" in response.json()["detail"]
    assert client.get("/api/budgets", headers=headers).json()[0]["category"] == "Food"


def test_delete_budget_keeps_expenses(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food")
    budget = add_budget(client, headers, "Food", 100)
    assert client.delete(f"/api/budgets/{budget['id']}", headers=headers).status_code == 204
    assert client.get("/api/budgets", headers=headers).json() == []
    assert client.get("/api/expenses", headers=headers).json()["total"] == 1
    assert client.delete(f"/api/budgets/{budget['id']}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"category": "Food"}, "body.amount"),
        ({"amount": 10}, "body.category"),
        ({"category": "", "amount": 10}, "body.category"),
        ({"category": "x" * 41, "amount": 10}, "body.category"),
        ({"category": "Food", "amount": 0}, "body.amount"),
        ({"category": "Food", "amount": -1}, "body.amount"),
        ({"category": "Food", "amount": 1.234}, "body.amount"),
        ({"category": "Food", "amount": float("nan")}, "body.amount"),
        ({"category": "Food", "amount": 10, "month": "2026-11"}, "body.month"),
    ],
)
def test_budget_validation(client: TestClient, body: dict[str, object], where: str) -> None:
    headers = register(client)
    assert refused(client.post("/api/budgets", **raw_json(body, headers))) == [where]
    assert client.get("/api/budgets", headers=headers).json() == []


@pytest.mark.parametrize(
    "body",
    [{"category": None}, {"amount": None}, {"category": "  "}, {"amount": "1e2"}, {"amount": 0}, {"id": 3}],
)
def test_budget_patch_validation(client: TestClient, body: dict[str, object]) -> None:
    headers = register(client)
    budget = add_budget(client, headers, "Rent", 5)
    response = client.patch(f"/api/budgets/{budget['id']}", json=body, headers=headers)
    assert refused(response) == [f"body.{next(iter(body))}"]
    assert client.get("/api/budgets", headers=headers).json() == [budget]


def test_other_users_budget_is_not_found(client: TestClient) -> None:
    alice, bob = register(client), register(client)
    budget = add_budget(client, alice, "Food", 100)
    url = f"/api/budgets/{budget['id']}"
    assert client.patch(url, json={"amount": 1}, headers=bob).status_code == 404
    assert client.delete(url, headers=bob).status_code == 404
    assert client.get("/api/budgets", headers=bob).json() == []
    # Bob's own "Food" budget is a different one; Alice's is untouched.
    assert client.post("/api/budgets", json={"category": "Food", "amount": 7}, headers=bob).status_code == 201
    assert client.get("/api/budgets", headers=alice).json() == [budget]


@pytest.mark.parametrize("budget_id", ["0", str(2**63), "9" * 30])
def test_budget_ids_out_of_range_are_404(client: TestClient, budget_id: str) -> None:
    headers = register(client)
    assert client.patch(f"/api/budgets/{budget_id}", json={"amount": 1}, headers=headers).status_code == 404
    assert client.delete(f"/api/budgets/{budget_id}", headers=headers).status_code == 404
    assert refused(client.delete("/api/budgets/abc", headers=headers)) == ["path.budget_id"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/budgets"),
        ("POST", "/api/budgets"),
        ("PATCH", "/api/budgets/1"),
        ("DELETE", "/api/budgets/1"),
    ],
)
def test_budgets_require_a_token(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url, json={"category": "Food", "amount": 1})
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
