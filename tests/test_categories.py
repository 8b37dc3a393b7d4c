"""The category manager: renaming a category, or merging it into another (POST /api/categories/rename)."""

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.models import MonthlyTotal
from tests.factories import add_budget, add_expense, raw_json, refused, register
from tests.test_imports import assert_totals_consistent
from tests.test_ledgers import shared
from tests.test_recurring import add_rule

Headers = dict[str, str]


def rename(client: TestClient, headers: Headers, category: str, to: str, **params: Any) -> Any:
    return client.post(
        "/api/categories/rename", json={"category": category, "to": to}, params=params, headers=headers
    )


def categories(client: TestClient, headers: Headers, **params: Any) -> list[tuple[str, int, object]]:
    listed = client.get("/api/categories", params=params, headers=headers).json()
    return [(c["category"], c["count"], c["budget"]) for c in listed]


def kept_spellings(engine: Engine) -> set[tuple[str, str]]:
    with engine.connect() as conn:
        rows = conn.execute(select(MonthlyTotal.category_key, MonthlyTotal.category))
        return {(key, name) for key, name in rows}


def test_rename_moves_expenses_budget_and_rules(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food", amount="10", date="2026-10-05", description="Bread")
    add_expense(client, headers, category="food", amount="2.5", date="2026-11-05")
    add_expense(client, headers, category="Rent", amount="900", date="2026-11-01")
    add_budget(client, headers, "Food", 300)
    rule = add_rule(client, headers, category="food", amount="40")
    response = rename(client, headers, " food ", "Groceries")
    assert response.status_code == 200, response.text
    assert response.json() == {"category": "Groceries", "count": 2, "budget": 300, "merged": False}
    assert categories(client, headers) == [("Groceries", 2, 300), ("Rent", 1, None)]
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json()["category"] == "Groceries"
    listed = client.get("/api/expenses", params={"category": "groceries"}, headers=headers).json()
    assert (listed["total"], listed["total_amount"]) == (2, 12.5)
    assert client.get("/api/expenses", params={"category": "food"}, headers=headers).json()["total"] == 0
    # The search index follows the new name.
    assert client.get("/api/expenses", params={"q": "grocer"}, headers=headers).json()["total"] == 2
    summary = client.get("/api/summary", params={"month": "2026-11"}, headers=headers).json()
    lines = {line["category"]: (line["budget"], line["spent"]) for line in summary["categories"]}
    assert lines == {"Groceries": (300, 2.5), "Rent": (None, 900)}
    stats = client.get("/api/stats", params={"start": "2026-10-01", "end": "2026-11-30"}, headers=headers)
    assert stats.json()["by_category"] == [
        {"category": "Rent", "amount": 900},
        {"category": "Groceries", "amount": 12.5},
    ]
    assert_totals_consistent(engine)
    assert kept_spellings(engine) == {("groceries", "Groceries"), ("rent", "Rent")}
    # A new expense in the old name starts a new category; one in the new name joins it.
    assert add_expense(client, headers, category="GROCERIES")["category"] == "Groceries"


def test_merge_adds_up_both_budgets_and_keeps_the_target_spelling(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers, category="Snacks", amount="3", date="2026-11-02")
    add_expense(client, headers, category="Snacks", amount="4", date="2026-12-02")
    add_expense(client, headers, category="Groceries", amount="50", date="2026-11-03")
    add_budget(client, headers, "Snacks", "20.50")
    add_budget(client, headers, "Groceries", 300)
    rule = add_rule(client, headers, category="Snacks", amount="5")
    response = rename(client, headers, "Snacks", "groceries")
    assert response.status_code == 200, response.text
    # Both months' budgets: one monthly budget each, so the merged category's is their sum.
    assert response.json() == {"category": "Groceries", "count": 3, "budget": 320.5, "merged": True}
    assert categories(client, headers) == [("Groceries", 3, 320.5)]
    assert [(b["category"], b["amount"]) for b in client.get("/api/budgets", headers=headers).json()] == [
        ("Groceries", 320.5)
    ]
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json()["category"] == "Groceries"
    summary = client.get("/api/summary", params={"month": "2026-11"}, headers=headers).json()
    assert [(c["category"], c["budget"], c["spent"]) for c in summary["categories"]] == [
        ("Groceries", 320.5, 53)
    ]
    assert_totals_consistent(engine)
    assert kept_spellings(engine) == {("groceries", "Groceries")}


def test_merge_moves_a_budget_to_a_category_without_one(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Cafe")
    add_expense(client, headers, category="Eating out")
    add_budget(client, headers, "Cafe", 40)
    response = rename(client, headers, "cafe", "Eating out")
    assert response.json() == {"category": "Eating out", "count": 2, "budget": 40, "merged": True}
    assert categories(client, headers) == [("Eating out", 2, 40)]


def test_a_new_spelling_of_the_same_category_renames_it(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers, category="food")
    add_budget(client, headers, "food", 10)
    response = rename(client, headers, "FOOD", "Food")
    assert response.json() == {"category": "Food", "count": 1, "budget": 10, "merged": False}
    assert categories(client, headers) == [("Food", 1, 10)]
    assert kept_spellings(engine) == {("food", "Food")}


def test_a_category_only_a_rule_uses_can_be_renamed(client: TestClient) -> None:
    headers = register(client)
    rule = add_rule(client, headers, category="Gym")
    assert rename(client, headers, "gym", "Sport").json() == {
        "category": "Sport",
        "count": 0,
        "budget": None,
        "merged": False,
    }
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json()["category"] == "Sport"


def test_a_category_only_a_rule_uses_keeps_the_rules_spelling(client: TestClient) -> None:
    """A rule files `Rent` before any expense does: a rename into `rent` merges under `Rent`, and so
    do a new expense and a budget; the rule's later occurrences then match the expenses."""
    headers = register(client)
    rule = add_rule(client, headers, category="Rent")
    add_expense(client, headers, category="Food")
    assert rename(client, headers, "Food", "rent").json() == {
        "category": "Rent",
        "count": 1,
        "budget": None,
        "merged": True,
    }
    assert add_expense(client, headers, category="RENT")["category"] == "Rent"
    assert add_budget(client, headers, "rent", 10)["category"] == "Rent"
    assert categories(client, headers) == [("Rent", 2, 10)]
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json()["category"] == "Rent"


def test_an_unknown_category_is_404_and_nothing_changes(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food")
    response = rename(client, headers, "Fod", "Food")
    assert response.status_code == 404
    assert response.json() == {"detail": "This ledger has no category Fod."}
    assert categories(client, headers) == [("Food", 1, None)]


def test_rename_changes_the_categories_etag(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food")
    tag = client.get("/api/categories", headers=headers).headers["etag"]
    assert rename(client, headers, "Food", "Meals").status_code == 200
    again = client.get("/api/categories", headers={**headers, "If-None-Match": tag})
    assert again.status_code == 200
    assert again.json()[0]["category"] == "Meals"


def test_rename_in_a_shared_ledger_needs_an_editor(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    add_expense(client, owner, category="Food", amount="8")
    client.post(
        "/api/expenses",
        params={"ledger": ledger_id},
        json={"date": "2026-11-10", "category": "Food", "amount": "5"},
        headers=owner,
    )
    refused_viewer = rename(client, viewer, "Food", "Meals", ledger=ledger_id)
    assert refused_viewer.status_code == 403
    assert categories(client, owner, ledger=ledger_id) == [("Food", 1, None)]
    done = rename(client, editor, "Food", "Meals", ledger=ledger_id)
    assert done.status_code == 200
    assert categories(client, owner, ledger=ledger_id) == [("Meals", 1, None)]
    # The owner's personal ledger, with its own "Food", is another ledger: untouched.
    assert categories(client, owner) == [("Food", 1, None)]


def test_a_non_member_gets_404_and_an_anonymous_caller_401(client: TestClient) -> None:
    ledger_id, owner, _ = shared(client)
    client.post(
        "/api/expenses",
        params={"ledger": ledger_id},
        json={"date": "2026-11-10", "category": "Food", "amount": "5"},
        headers=owner,
    )
    stranger = register(client)
    assert rename(client, stranger, "Food", "Meals", ledger=ledger_id).status_code == 404
    assert rename(client, {}, "Food", "Meals", ledger=ledger_id).status_code == 401
    assert categories(client, owner, ledger=ledger_id) == [("Food", 1, None)]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"category": "Food"}, "body.to"),
        ({"to": "Food"}, "body.category"),
        ({"category": "Food", "to": ""}, "body.to"),
        ({"category": "Food", "to": "   "}, "body.to"),
        ({"category": "Food", "to": "x" * 41}, "body.to"),
        ({"category": "Food", "to": "a\u0000b"}, "body.to"),
        ({"category": "Food", "to": "Meals", "budget": 1}, "body.budget"),
    ],
)
def test_rename_validation(client: TestClient, body: dict[str, object], where: str) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food")
    assert refused(client.post("/api/categories/rename", **raw_json(body, headers))) == [where]
    assert categories(client, headers) == [("Food", 1, None)]


def test_a_merge_whose_budgets_would_be_too_large_is_409_and_nothing_moves(
    client: TestClient, engine: Engine
) -> None:
    headers = register(client)
    add_expense(client, headers, category="Cars", amount="10")
    add_expense(client, headers, category="Boats", amount="20")
    add_budget(client, headers, "Cars", "600000000")
    add_budget(client, headers, "Boats", "400000000.01")
    response = rename(client, headers, "Boats", "Cars")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The budgets of Boats and Cars add up to more than 1,000,000,000 USD, the most a budget "
        "can be: lower one of them first."
    }
    assert categories(client, headers) == [("Boats", 1, 400000000.01), ("Cars", 1, 600000000)]
    assert_totals_consistent(engine)
    assert kept_spellings(engine) == {("boats", "Boats"), ("cars", "Cars")}
    # Exactly the most a budget can be is fine.
    client.post("/api/budgets", json={"category": "Boats", "amount": "400000000"}, headers=headers)
    assert rename(client, headers, "Boats", "Cars").json()["budget"] == 1000000000
