from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.factories import add_budget, add_expense, refused, register


def summary(client: TestClient, headers: dict[str, str], month: str) -> dict[str, object]:
    response = client.get("/api/summary", params={"month": month}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def lines(body: dict[str, object]) -> list[dict[str, object]]:
    categories = body["categories"]
    assert isinstance(categories, list)
    return categories


@pytest.mark.parametrize(
    ("spent", "percent", "status"),
    [
        ("79.94", 79.9, "ok"),
        ("79.95", 80.0, "warning"),  # rounded half-up first, then the status is read
        ("80", 80.0, "warning"),
        ("80.25", 80.3, "warning"),  # a tie away from the edges: half-up, where half-even would give 80.2
        ("12.25", 12.3, "ok"),
        ("99.94", 99.9, "warning"),
        ("99.95", 100.0, "over"),
        ("100", 100.0, "over"),
        ("112", 112.0, "over"),
        ("0.01", 0.0, "ok"),
    ],
)
def test_status_boundaries(client: TestClient, spent: str, percent: float, status: str) -> None:
    headers = register(client)
    add_budget(client, headers, "Food", 100)
    add_expense(client, headers, date="2026-11-15", category="Food", amount=spent)
    (line,) = lines(summary(client, headers, "2026-11"))
    assert line["percent"] == percent
    assert line["status"] == status


def test_summary_lists_budgeted_unspent_and_unbudgeted_spending(client: TestClient) -> None:
    headers = register(client)
    food = add_budget(client, headers, "Food", 300)["id"]
    travel = add_budget(client, headers, "Travel", 50)["id"]
    gifts = add_budget(client, headers, "Gifts", 40)["id"]
    for amount in ("0.10",) * 10:
        add_expense(client, headers, date="2026-11-01", category="Travel", amount=amount)
    add_expense(client, headers, date="2026-11-30", category="food", amount="240.05")
    add_expense(client, headers, date="2026-11-12", category="Coffee", amount="3.35")
    add_expense(client, headers, date="2026-10-31", category="Food", amount=1000)  # other months
    add_expense(client, headers, date="2026-12-01", category="Food", amount=1000)
    body = summary(client, headers, "2026-11")
    assert body == {
        "month": "2026-11",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "total_budget": 390,
        "total_spent": 244.4,
        "total_remaining": 145.6,
        "budgeted_spent": 241.05,
        "unbudgeted_spent": 3.35,
        "budget_remaining": 148.95,
        "categories": [
            {
                "category": "Food",
                "budget_id": food,
                "budget": 300,
                "spent": 240.05,
                "remaining": 59.95,
                "percent": 80.0,
                "status": "warning",
            },
            {
                "category": "Coffee",
                "budget_id": None,
                "budget": None,
                "spent": 3.35,
                "remaining": None,
                "percent": None,
                "status": "unbudgeted",
            },
            {
                "category": "Travel",
                "budget_id": travel,
                "budget": 50,
                "spent": 1,
                "remaining": 49,
                "percent": 2.0,
                "status": "ok",
            },
            {
                "category": "Gifts",
                "budget_id": gifts,
                "budget": 40,
                "spent": 0,
                "remaining": 40,
                "percent": 0.0,
                "status": "ok",
            },
        ],
    }


def test_a_category_respelled_after_its_expenses_were_deleted_shows_the_new_spelling(
    client: TestClient,
) -> None:
    headers = register(client)
    gone = add_expense(client, headers, date="2026-11-10", category="Food", amount=5)
    assert client.delete(f"/api/expenses/{gone['id']}", headers=headers).status_code == 204
    add_expense(client, headers, date="2026-11-12", category="FOOD", amount=7)
    assert [line["category"] for line in lines(summary(client, headers, "2026-11"))] == ["FOOD"]
    # Whole months (from the totals) and part of a month (named from the totals) alike.
    for start, end in (("2026-11-01", "2026-11-30"), ("2026-11-05", "2026-11-20")):
        params = {"start": start, "end": end, "granularity": "month"}
        stats = client.get("/api/stats", params=params, headers=headers).json()
        assert stats["by_category"] == [{"category": "FOOD", "amount": 7}]
    listed = client.get("/api/categories", headers=headers).json()
    assert [c["category"] for c in listed] == ["FOOD"]


def test_summary_over_budget_goes_negative(client: TestClient) -> None:
    headers = register(client)
    rent = add_budget(client, headers, "Rent", "0.5")["id"]
    add_expense(client, headers, date="2026-02-28", category="Rent", amount="0.75")
    body = summary(client, headers, "2026-02")
    assert (body["start"], body["end"]) == ("2026-02-01", "2026-02-28")
    assert body["total_remaining"] == -0.25
    assert (body["budgeted_spent"], body["unbudgeted_spent"], body["budget_remaining"]) == (0.75, 0, -0.25)
    assert lines(body)[0] == {
        "category": "Rent",
        "budget_id": rent,
        "budget": 0.5,
        "spent": 0.75,
        "remaining": -0.25,
        "percent": 150.0,
        "status": "over",
    }


@pytest.mark.parametrize(
    ("month", "start", "end"),
    [
        ("2028-02", "2028-02-01", "2028-02-29"),
        ("2026-12", "2026-12-01", "2026-12-31"),
        ("1900-02", "1900-02-01", "1900-02-28"),
    ],
)
def test_month_edges(client: TestClient, month: str, start: str, end: str) -> None:
    headers = register(client)
    add_expense(client, headers, date=start, amount=1)
    add_expense(client, headers, date=end, amount=2)
    body = summary(client, headers, month)
    assert (body["start"], body["end"], body["total_spent"]) == (start, end, 3)


def test_empty_month(client: TestClient) -> None:
    headers = register(client)
    body = summary(client, headers, "2026-07")
    assert (body["total_budget"], body["total_spent"], body["categories"]) == (0, 0, [])


def test_default_month_is_the_current_one(client: TestClient, today: date) -> None:
    headers = register(client)
    add_expense(client, headers, date=today.isoformat(), amount=3)
    add_expense(client, headers, date=(today.replace(day=1) - timedelta(days=1)).isoformat(), amount=5)
    default = client.get("/api/summary", headers=headers)
    assert default.status_code == 200
    assert default.json() == summary(client, headers, today.strftime("%Y-%m"))
    assert (default.json()["month"], default.json()["end"], default.json()["total_spent"]) == (
        today.strftime("%Y-%m"),
        today.isoformat(),  # every test date is the last day of its month
        3,
    )


def test_summary_never_counts_another_users_data(client: TestClient) -> None:
    alice, bob = register(client), register(client)
    add_budget(client, alice, "Food", 100)
    add_expense(client, alice, date="2026-11-02", category="Food", amount=99)
    add_expense(client, bob, date="2026-11-02", category="Food", amount=5)
    body = summary(client, bob, "2026-11")
    assert body["total_budget"] == 0
    assert lines(body) == [
        {
            "category": "Food",
            "budget_id": None,
            "budget": None,
            "spent": 5,
            "remaining": None,
            "percent": None,
            "status": "unbudgeted",
        }
    ]


def test_a_summary_line_names_its_budget_for_changes(client: TestClient) -> None:
    headers = register(client)
    add_budget(client, headers, "Books", 20)
    add_expense(client, headers, date="2026-11-02", category="BOOKS", amount=5)
    (line,) = lines(summary(client, headers, "2026-11"))
    renamed = client.patch(f"/api/budgets/{line['budget_id']}", json={"category": "Reading"}, headers=headers)
    assert renamed.status_code == 200
    assert [(x["category"], x["budget_id"]) for x in lines(summary(client, headers, "2026-11"))] == [
        ("Books", None),  # the spelling first used, the budget's
        ("Reading", line["budget_id"]),
    ]


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "2026-11-01", "1899-12", "3000-01", "abc", "9" * 50])
def test_summary_validation(client: TestClient, month: str) -> None:
    headers = register(client)
    assert refused(client.get("/api/summary", params={"month": month}, headers=headers)) == ["query.month"]


def stats(client: TestClient, headers: dict[str, str], **params: str) -> dict[str, object]:
    response = client.get("/api/stats", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_stats_by_day_zero_filled(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-11-01", category="Food", amount="0.10")
    add_expense(client, headers, date="2026-11-03", category="food", amount="0.20")
    add_expense(client, headers, date="2026-11-03", category="Rent", amount=5)
    add_expense(client, headers, date="2026-11-04", category="Rent", amount=100)  # outside
    body = stats(client, headers, start="2026-11-01", end="2026-11-03")
    assert body == {
        "start": "2026-11-01",
        "end": "2026-11-03",
        "granularity": "day",
        "total": 5.3,
        "count": 3,
        "by_category": [{"category": "Rent", "amount": 5}, {"category": "Food", "amount": 0.3}],
        "trend": [
            {"period_start": "2026-11-01", "amount": 0.1},
            {"period_start": "2026-11-02", "amount": 0},
            {"period_start": "2026-11-03", "amount": 5.2},
        ],
    }


def test_stats_weeks_across_a_year_change(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-12-27", amount=1)  # Sunday: before the range
    add_expense(client, headers, date="2026-12-28", amount=2)  # Monday of ISO week 53
    add_expense(client, headers, date="2027-01-03", amount=3)  # Sunday, same week
    add_expense(client, headers, date="2027-01-04", amount=4)  # Monday, next week
    add_expense(client, headers, date="2027-01-12", amount=5)
    body = stats(client, headers, start="2026-12-30", end="2027-01-12", granularity="week")
    assert body["trend"] == [
        {"period_start": "2026-12-28", "amount": 3},  # 2026-12-28 itself is before start: not counted
        {"period_start": "2027-01-04", "amount": 4},
        {"period_start": "2027-01-11", "amount": 5},
    ]
    assert (body["total"], body["count"]) == (12, 3)


def test_stats_weeks_from_sunday(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-12-26", amount=1)  # Saturday: the week before
    add_expense(client, headers, date="2026-12-27", amount=2)  # Sunday: starts a week
    add_expense(client, headers, date="2027-01-02", amount=3)  # Saturday, same week
    add_expense(client, headers, date="2027-01-03", amount=4)  # Sunday, next week
    query = {"start": "2026-12-26", "end": "2027-01-03", "granularity": "week"}
    body = stats(client, headers, **query, week_start="sunday")
    assert body["trend"] == [
        {"period_start": "2026-12-20", "amount": 1},
        {"period_start": "2026-12-27", "amount": 5},
        {"period_start": "2027-01-03", "amount": 4},
    ]
    # Left out, weeks start on Monday as they always did; asked for, too.
    for monday in (stats(client, headers, **query), stats(client, headers, **query, week_start="monday")):
        assert monday["trend"] == [
            {"period_start": "2026-12-21", "amount": 3},
            {"period_start": "2026-12-28", "amount": 7},
        ]


def test_stats_by_month(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2028-01-31", amount=1)
    add_expense(client, headers, date="2028-02-29", amount=2)
    add_expense(client, headers, date="2028-04-01", amount=3)
    body = stats(client, headers, start="2028-01-15", end="2028-04-01", granularity="month")
    assert body["trend"] == [
        {"period_start": "2028-01-01", "amount": 1},
        {"period_start": "2028-02-01", "amount": 2},
        {"period_start": "2028-03-01", "amount": 0},
        {"period_start": "2028-04-01", "amount": 3},
    ]


def test_stats_bucket_limit(client: TestClient) -> None:
    headers = register(client)
    ok = stats(client, headers, start="2000-01-01", end="2010-02-16")  # 3,700 days
    assert len(ok["trend"]) == 3700  # type: ignore[arg-type]
    too_many = client.get("/api/stats", params={"start": "2000-01-01", "end": "2010-02-17"}, headers=headers)
    assert refused(too_many) == ["query.end"]
    assert "3700" in too_many.json()["detail"][0]["msg"]
    weeks = stats(client, headers, start="1950-01-01", end="2019-12-31", granularity="week")
    assert len(weeks["trend"]) == 3654  # type: ignore[arg-type]
    all_time = {"start": "1900-01-01", "end": "2999-12-31", "granularity": "month"}  # 13,200 months
    assert refused(client.get("/api/stats", params=all_time, headers=headers)) == ["query.end"]


def test_stats_other_users_are_invisible(client: TestClient) -> None:
    alice, bob = register(client), register(client)
    add_expense(client, alice, date="2026-11-02", amount=9)
    body = stats(client, bob, start="2026-11-01", end="2026-11-30", granularity="week")
    assert (body["total"], body["count"], body["by_category"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("params", "where"),
    [
        ({"start": "2026-11-01"}, "query.end"),
        ({"end": "2026-11-01"}, "query.start"),
        ({"start": "2026-11-02", "end": "2026-11-01"}, "query.start"),
        ({"start": "2026-11-01", "end": "2026-11-30", "granularity": "year"}, "query.granularity"),
        ({"start": "2026-02-30", "end": "2026-03-01"}, "query.start"),
        ({"start": "2026-11-01", "end": "2026-11-30", "week_start": "Sunday"}, "query.week_start"),
        ({"start": "2026-11-01", "end": "2026-11-30", "week_start": "0"}, "query.week_start"),
    ],
)
def test_stats_validation(client: TestClient, params: dict[str, str], where: str) -> None:
    headers = register(client)
    assert refused(client.get("/api/stats", params=params, headers=headers)) == [where]


def test_categories_from_expenses_and_budgets(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Food")
    add_expense(client, headers, category="food ")
    add_expense(client, headers, category="Rent")
    add_budget(client, headers, "FOOD", 300)
    add_budget(client, headers, "Gifts", 25.5)
    other = register(client)
    add_expense(client, other, category="Secret")
    response = client.get("/api/categories", headers=headers)
    assert response.status_code == 200
    assert response.json() == [
        {"category": "Food", "count": 2, "budget": 300},
        {"category": "Gifts", "count": 0, "budget": 25.5},
        {"category": "Rent", "count": 1, "budget": None},
    ]


@pytest.mark.parametrize(
    "url", ["/api/summary", "/api/stats?start=2026-11-01&end=2026-11-02", "/api/categories"]
)
def test_reports_require_a_token(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})


def test_summaries_and_stats_of_the_same_shape_answer_each_caller_with_their_own(client: TestClient) -> None:
    """Their month sums come from statements built once per shape, the ledger bound per request
    (app.services.totals): two callers in turn, each sees their own."""
    callers = []
    for amount in (7, 70):
        headers = register(client)
        for day in ("2026-10-30", "2026-11-02", "2026-11-10"):
            add_expense(client, headers, date=day, amount=amount, category="Food")
        callers.append((headers, amount))
    for _ in range(2):  # the second round takes the statements the first one built
        for headers, amount in callers:
            summary = client.get("/api/summary", params={"month": "2026-11"}, headers=headers).json()
            assert (summary["total_spent"], summary["categories"][0]["spent"]) == (2 * amount, 2 * amount)
            # 30 Oct to 5 Nov: two partial months, the whole October 2026 untouched.
            query = {"start": "2026-10-30", "end": "2026-11-05", "granularity": "month"}
            stats = client.get("/api/stats", params=query, headers=headers).json()
            assert (stats["total"], stats["count"]) == (2 * amount, 2)
            assert [point["amount"] for point in stats["trend"]] == [amount, amount]
