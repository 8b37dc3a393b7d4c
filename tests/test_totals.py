"""Monthly, daily and daily category totals stay in step with expenses through every write; range
sums match a scan."""

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, column, insert, select, table

from app.database import make_engine
from app.migrate import alembic_config
from app.models import DailyCategoryTotal, DailyTotal, Expense, MonthlyTotal
from app.services.totals import _split, rebuild
from tests.factories import add_expense, register


def cents(amount: object) -> int:
    return int(Decimal(str(amount)) * 100)


def plain_scan(
    expenses: list[dict[str, Any]], start: date | None, end: date | None, key: str | None
) -> tuple[int, int]:
    """Count and sum the way a reader would check it: one expense at a time."""
    chosen = [
        e
        for e in expenses
        if (start is None or date.fromisoformat(e["date"]) >= start)
        and (end is None or date.fromisoformat(e["date"]) <= end)
        and (key is None or e["category"].casefold() == key)
    ]
    return len(chosen), sum(cents(e["amount"]) for e in chosen)


def test_range_totals_match_a_plain_scan_after_random_writes(client: TestClient) -> None:
    rng = random.Random(7)
    headers, other = register(client), register(client)
    first = date(2025, 11, 20)

    def random_day() -> str:
        return (first + timedelta(days=rng.randrange(120))).isoformat()

    mine: dict[int, dict[str, Any]] = {}
    for _ in range(60):
        body = {"date": random_day(), "category": rng.choice(["Food", "Rent", "Travel"])}
        body["amount"] = f"{rng.randrange(1, 5000) // 100}.{rng.randrange(100):02d}"
        created = add_expense(client, headers, **body)
        mine[created["id"]] = created
        add_expense(client, other, **body)  # never counted for me
    changes = [
        {"date": "2026-01-31", "category": "Travel", "amount": "0.01"},
        {"category": "rent"},
        {"amount": 7.77},
    ]
    for expense_id in rng.sample(sorted(mine), 20):
        change = rng.choice([*changes, {"date": random_day()}])
        mine[expense_id] = client.patch(f"/api/expenses/{expense_id}", json=change, headers=headers).json()
    for expense_id in rng.sample(sorted(mine), 15):
        assert client.delete(f"/api/expenses/{expense_id}", headers=headers).status_code == 204
        del mine[expense_id]

    expenses = list(mine.values())
    ranges: list[tuple[date | None, date | None]] = [(None, None), (None, date(2026, 1, 15))]
    ranges += [
        (date(2025, 12, 1), None),
        (date(2025, 12, 1), date(2026, 1, 31)),
        (date(2026, 1, 31), date(2026, 2, 1)),
    ]
    for _ in range(40):
        low, high = sorted(first + timedelta(days=rng.randrange(-5, 130)) for _ in range(2))
        ranges.append((low, high))
    for start, end in ranges:
        bounds = {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v is not None}
        for category in (None, "travel"):
            params = {**bounds, "limit": "1", **({"category": category} if category else {})}
            page = client.get("/api/expenses", params=params, headers=headers).json()
            expected = plain_scan(expenses, start, end, category)
            assert (page["total"], cents(page["total_amount"])) == expected, (start, end, category)
        if start is not None and end is not None:
            stats = client.get(
                "/api/stats", params={**bounds, "granularity": "month"}, headers=headers
            ).json()
            count, total = plain_scan(expenses, start, end, None)
            assert (stats["count"], cents(stats["total"])) == (count, total)
            # Per category too: the partial months' from daily_category_totals.
            spent = {e["category"].casefold() for e in expenses}
            scanned = {key: plain_scan(expenses, start, end, key) for key in spent}
            assert {c["category"].casefold(): cents(c["amount"]) for c in stats["by_category"]} == {
                key: total for key, (n, total) in scanned.items() if n
            }, (start, end)
            assert sum(cents(point["amount"]) for point in stats["trend"]) == total
            for granularity in ("day", "week"):  # the trend from daily_totals, bucket by bucket
                trend = client.get(
                    "/api/stats", params={**bounds, "granularity": granularity}, headers=headers
                ).json()["trend"]
                for point, following in zip(trend, [*trend[1:], None], strict=True):
                    low = max(date.fromisoformat(point["period_start"]), start)
                    high = (
                        end
                        if following is None
                        else date.fromisoformat(following["period_start"]) - timedelta(1)
                    )
                    assert cents(point["amount"]) == plain_scan(expenses, low, high, None)[1], (
                        point,
                        granularity,
                    )


def kept_totals(
    engine: Engine,
) -> tuple[dict[tuple[date, str], tuple[int, int]], dict[date, tuple[int, int]]]:
    """The monthly (month, category) and daily totals the writes kept, leaving out rows at zero."""
    months = select(
        MonthlyTotal.month, MonthlyTotal.category_key, MonthlyTotal.count, MonthlyTotal.amount_minor
    )
    days = select(DailyTotal.day, DailyTotal.count, DailyTotal.amount_minor)
    with engine.connect() as conn:
        monthly = {(m, k): (n, c) for m, k, n, c in conn.execute(months) if (n, c) != (0, 0)}
        daily = {d: (n, c) for d, n, c in conn.execute(days) if (n, c) != (0, 0)}
    return monthly, daily


def test_a_delete_takes_its_day_and_month_down(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-01-10", category="Food", amount="1.50")
    doomed = add_expense(client, headers, date="2026-01-10", category="Food", amount="2.25")
    alone = add_expense(client, headers, date="2026-01-11", category="Food", amount="4")
    assert kept_totals(engine) == (
        {(date(2026, 1, 1), "food"): (3, 775)},
        {date(2026, 1, 10): (2, 375), date(2026, 1, 11): (1, 400)},
    )
    for expense in (doomed, alone):
        assert client.delete(f"/api/expenses/{expense['id']}", headers=headers).status_code == 204
    assert kept_totals(engine) == ({(date(2026, 1, 1), "food"): (1, 150)}, {date(2026, 1, 10): (1, 150)})


@pytest.mark.parametrize("change", [{"date": "2026-02-01"}, {"date": "2026-02-01", "amount": "7"}])
def test_an_expense_moved_to_another_month_moves_both_months_totals(
    client: TestClient, engine: Engine, change: dict[str, str]
) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-01-05", category="Food", amount="1")
    moved = add_expense(client, headers, date="2026-01-31", category="Food", amount="3")
    response = client.patch(f"/api/expenses/{moved['id']}", json=change, headers=headers)
    assert response.status_code == 200, response.text
    cents_now = cents(change.get("amount", "3"))
    assert kept_totals(engine) == (
        {(date(2026, 1, 1), "food"): (1, 100), (date(2026, 2, 1), "food"): (1, cents_now)},
        {date(2026, 1, 5): (1, 100), date(2026, 2, 1): (1, cents_now)},
    )
    stats = client.get(
        "/api/stats",
        params={"start": "2026-01-01", "end": "2026-02-28", "granularity": "month"},
        headers=headers,
    ).json()
    assert [cents(point["amount"]) for point in stats["trend"]] == [100, cents_now]


@pytest.mark.parametrize(
    ("start", "end", "whole", "partial"),
    [
        (None, None, (None, None), []),
        (date(2026, 11, 1), date(2026, 11, 30), (date(2026, 11, 1), date(2026, 11, 1)), []),
        (date(2026, 11, 15), date(2026, 11, 20), None, [(date(2026, 11, 15), date(2026, 11, 20))]),
        (date(2026, 11, 15), date(2026, 11, 30), None, [(date(2026, 11, 15), date(2026, 11, 30))]),
        (
            date(2026, 11, 15),
            date(2027, 1, 10),
            (date(2026, 12, 1), date(2026, 12, 1)),
            [(date(2026, 11, 15), date(2026, 11, 30)), (date(2027, 1, 1), date(2027, 1, 10))],
        ),
        (date(2026, 11, 15), date(2026, 12, 10), None, [(date(2026, 11, 15), date(2026, 11, 30)),
                                                         (date(2026, 12, 1), date(2026, 12, 10))]),
        (None, date(2028, 2, 28), (None, date(2028, 1, 1)), [(date(2028, 2, 1), date(2028, 2, 28))]),
        (date(2028, 2, 29), None, (date(2028, 3, 1), None), [(date(2028, 2, 29), date(2028, 2, 29))]),
    ],
)  # fmt: skip
def test_split_into_whole_and_partial_months(
    start: date | None, end: date | None, whole: object, partial: list[tuple[date, date]]
) -> None:
    assert _split(start, end) == (whole, partial)


# The users table as revision 0002 left it: the model has columns added since.
USERS_0002 = table(
    "users",
    *(column(name) for name in ("id", "email", "password_hash", "display_name", "currency")),
    column("created_at"),
    column("token_version"),
)
USER_0002 = {
    "email": "a@x.io",
    "password_hash": "x",
    "display_name": "",
    "currency": "USD",
    "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    "token_version": 0,
}


def test_migration_backfills_monthly_totals(empty_database_url: str) -> None:
    """Upgrading a database that already has expenses fills monthly_totals from them."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0002")
    db = make_engine(empty_database_url)
    rows = [
        ("2026-01-31", "Food", 150),
        ("2026-01-01", "Food", 50),
        ("2026-02-01", "Food", 7),
        ("2026-01-15", "Rent", 9),
    ]
    with db.begin() as conn:
        user_id = conn.execute(insert(USERS_0002).values(**USER_0002).returning(USERS_0002.c.id)).scalar()
        for day, category, cents in rows:
            values = {
                "date": date.fromisoformat(day),
                "category": category,
                "category_key": category.casefold(),
            }
            conn.execute(
                insert(Expense).values(user_id=user_id, amount_minor=cents, description="", **values)
            )
    command.upgrade(config, "head")
    with db.connect() as conn:
        columns = (MonthlyTotal.month, MonthlyTotal.category, MonthlyTotal.count, MonthlyTotal.amount_minor)
        totals = conn.execute(select(*columns).order_by(MonthlyTotal.month, MonthlyTotal.category_key)).all()
        days = conn.execute(
            select(DailyTotal.day, DailyTotal.count, DailyTotal.amount_minor).order_by(DailyTotal.day)
        ).all()
    db.dispose()
    assert [tuple(row) for row in days] == [  # 0013 fills daily_totals too
        (date(2026, 1, 1), 1, 50),
        (date(2026, 1, 15), 1, 9),
        (date(2026, 1, 31), 1, 150),
        (date(2026, 2, 1), 1, 7),
    ]
    assert [tuple(row) for row in totals] == [
        (date(2026, 1, 1), "Food", 2, 200),
        (date(2026, 1, 1), "Rent", 1, 9),
        (date(2026, 2, 1), "Food", 1, 7),
    ]


def test_rebuild_recomputes_what_the_writes_kept(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    for day, category, amount in [
        ("2026-01-31", "Food", "1.50"),
        ("2026-01-02", "food", "0.50"),
        ("2026-02-01", "Rent", "9"),
    ]:
        add_expense(client, headers, date=day, category=category, amount=amount)
    doomed = add_expense(client, headers, date="2026-03-03", category="Gifts", amount="5")
    client.delete(f"/api/expenses/{doomed['id']}", headers=headers)

    def live_totals() -> list[tuple[object, ...]]:
        columns = (MonthlyTotal.ledger_id, MonthlyTotal.month, MonthlyTotal.category, MonthlyTotal.count)
        stmt = select(*columns, MonthlyTotal.amount_minor).where(MonthlyTotal.count > 0).order_by(*columns)
        day_columns = (DailyTotal.ledger_id, DailyTotal.day, DailyTotal.count, DailyTotal.amount_minor)
        days = select(*day_columns).where(DailyTotal.count > 0).order_by(DailyTotal.day)
        by_category = (DailyCategoryTotal.ledger_id, DailyCategoryTotal.day, DailyCategoryTotal.category_key)
        category_days = (
            select(*by_category, DailyCategoryTotal.count, DailyCategoryTotal.amount_minor)
            .where(DailyCategoryTotal.count > 0)
            .order_by(*by_category)
        )
        with engine.connect() as conn:
            return [tuple(row) for query in (stmt, days, category_days) for row in conn.execute(query)]

    kept = live_totals()
    assert [row[1:] for row in kept] == [
        (date(2026, 1, 1), "Food", 2, 200),
        (date(2026, 2, 1), "Rent", 1, 900),
        (date(2026, 1, 2), 1, 50),
        (date(2026, 1, 31), 1, 150),
        (date(2026, 2, 1), 1, 900),
        (date(2026, 1, 2), "food", 1, 50),
        (date(2026, 1, 31), "food", 1, 150),
        (date(2026, 2, 1), "rent", 1, 900),
    ]
    with engine.begin() as conn:
        rebuild(conn)
    assert live_totals() == kept
