"""Recurring expenses: the schedule, back-fill, exactly-once materialisation and the CRUD routes."""

import sqlite3
import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.main import seconds_to_midnight
from app.models import Expense, RecurringRule
from app.services import recurring
from tests.factories import PASSWORD, raw_json, register
from tests.server import server_env, start_server, stop_server
from tests.test_imports import assert_totals_consistent


def rule_body(**overrides: Any) -> dict[str, Any]:
    return {
        "category": "Rent",
        "amount": "900",
        "description": "Flat",
        "frequency": "monthly",
        "start_date": "2999-01-01",
        **overrides,
    }


def add_rule(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/recurring", json=rule_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def dates(client: TestClient, headers: dict[str, str]) -> list[str]:
    items = client.get("/api/expenses", params={"limit": 500}, headers=headers).json()["items"]
    return sorted(e["date"] for e in items)


def schedule(n: int, **fields: Any) -> list[date | None]:
    rule = RecurringRule(interval=1, day_of_month=None, end_date=None, **fields)
    return [recurring.occurrence(rule, i) for i in range(n)]


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months() -> None:
    assert schedule(5, frequency="monthly", start_date=date(2027, 12, 31)) == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_day_of_month_and_interval() -> None:
    rule = RecurringRule(
        frequency="monthly", interval=2, start_date=date(2026, 1, 10), day_of_month=30, end_date=None
    )
    assert [recurring.occurrence(rule, i) for i in range(3)] == [
        date(2026, 1, 30),
        date(2026, 3, 30),
        date(2026, 5, 30),
    ]
    # An occurrence before the start date is not one: the first is on or after it.
    rule.day_of_month = 5
    assert recurring.first_on_or_after(rule, rule.start_date) == date(2026, 3, 5)


def test_yearly_on_feb_29_falls_on_feb_28_in_other_years() -> None:
    assert schedule(5, frequency="yearly", start_date=date(2024, 2, 29)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_weekly_and_the_end_of_time() -> None:
    assert schedule(2, frequency="weekly", start_date=date(2026, 12, 28)) == [
        date(2026, 12, 28),
        date(2027, 1, 4),
    ]
    assert schedule(2, frequency="yearly", start_date=date(2999, 6, 1)) == [date(2999, 6, 1), None]


# Monthly on the 31st from 2025-11-30: every month end to 2028-04-30, written out by hand.
MONTH_ENDS = [
    *("2025-11-30", "2025-12-31"),
    *("2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"),
    *("2026-07-31", "2026-08-31", "2026-09-30", "2026-10-31", "2026-11-30", "2026-12-31"),
    *("2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"),
    *("2027-07-31", "2027-08-31", "2027-09-30", "2027-10-31", "2027-11-30", "2027-12-31"),
    *("2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30"),
]


def test_past_start_back_fills_across_month_ends_and_leap_years(
    client: TestClient, engine: Engine, today: date
) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date="2025-11-30", day_of_month=31)
    # Every test date is a month end, so today's own occurrence is the last one created.
    expected = [day for day in MONTH_ENDS if day <= today.isoformat()]
    assert expected[-1] == today.isoformat()
    assert dates(client, headers) == expected
    assert rule["next_date"] == MONTH_ENDS[len(expected)]
    # Another request creates nothing more.
    client.get("/api/summary", headers=headers)
    assert dates(client, headers) == expected
    assert_totals_consistent(engine)


def test_yearly_leap_day_back_fill(client: TestClient) -> None:
    headers = register(client)
    add_rule(client, headers, frequency="yearly", start_date="2020-02-29", end_date="2025-12-31")
    assert dates(client, headers) == [
        "2020-02-29",
        "2021-02-28",
        "2022-02-28",
        "2023-02-28",
        "2024-02-29",
        "2025-02-28",
    ]
    rule = client.get("/api/recurring", headers=headers).json()[0]
    assert rule["next_date"] is None  # ended


def daily_tick(engine: Engine, today: date) -> bool:
    """What the app runs at start-up and at each midnight (app.main), for `today`."""
    with Session(engine) as session:
        return recurring.run_daily(session, today=today)


def test_occurrences_fall_due_at_the_daily_tick(client: TestClient, engine: Engine, today: date) -> None:
    headers = register(client)
    rule = add_rule(client, headers, frequency="weekly", start_date=(today + timedelta(days=1)).isoformat())
    assert daily_tick(engine, today - timedelta(days=1))
    assert dates(client, headers) == []
    # Tomorrow arrives: move the rule back a day, as the calendar would.
    with Session(engine) as session:
        stored = session.get(RecurringRule, rule["id"])
        assert stored is not None
        stored.start_date = stored.next_date = today
        session.commit()
    # A request does not look for due occurrences: that costs every request a query.
    assert dates(client, headers) == []
    assert daily_tick(engine, today)
    page = client.get("/api/expenses", headers=headers).json()
    assert [(e["date"], e["category"], e["amount"], e["description"]) for e in page["items"]] == [
        (today.isoformat(), "Rent", 900, "Flat")
    ]
    assert (
        client.get("/api/recurring", headers=headers).json()[0]["next_date"]
        == (today + timedelta(weeks=1)).isoformat()
    )
    assert_totals_consistent(engine)


def test_materialise_at_start_up_covers_every_user(client: TestClient, engine: Engine, today: date) -> None:
    a, b = register(client), register(client)
    for headers in (a, b):
        add_rule(client, headers, start_date=(today + timedelta(days=3)).isoformat())
    with Session(engine) as session:
        for rule in session.scalars(select(RecurringRule)):
            rule.start_date = rule.next_date = today - timedelta(days=40)
        session.commit()
        recurring.materialise_due(session, today=today)
        assert session.scalar(select(func.count()).select_from(Expense)) == 4
    assert_totals_consistent(engine)


def test_exactly_once_under_concurrent_materialisation(
    client: TestClient, engine: Engine, today: date
) -> None:
    headers = register(client)
    rule = add_rule(client, headers, frequency="weekly", start_date=(today + timedelta(days=1)).isoformat())
    with Session(engine) as session:
        stored = session.get(RecurringRule, rule["id"])
        assert stored is not None
        stored.start_date = stored.next_date = today - timedelta(weeks=30)
        session.commit()

    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            with Session(engine) as session:
                barrier.wait()
                recurring.materialise_due(session, today=today)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(dates(client, headers)) == 31
    assert len(set(dates(client, headers))) == 31
    assert_totals_consistent(engine)


@pytest.mark.parametrize("claimed_before", [False, True], ids=["first-day", "later-day"])
def test_one_worker_a_day_wins_the_daily_tick(
    client: TestClient, engine: Engine, today: date, claimed_before: bool
) -> None:
    """Workers starting at once (or at the same midnight): one claims the day and does the work."""
    headers = register(client)
    rule = add_rule(client, headers, start_date=(today + timedelta(days=1)).isoformat())
    if claimed_before:  # the row exists from yesterday: the claim is an update, not an insert
        assert daily_tick(engine, today - timedelta(days=1))
    with Session(engine) as session:
        stored = session.get(RecurringRule, rule["id"])
        assert stored is not None
        stored.start_date = stored.next_date = today - timedelta(days=400)
        session.commit()
    outcomes: list[bool] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            outcomes.append(daily_tick(engine, today))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(outcomes) == [False, False, False, True]
    assert len(dates(client, headers)) == len(set(dates(client, headers))) == 14
    assert_totals_consistent(engine)
    # The same day again (a restart): already done. An earlier day never runs after a later one.
    assert not daily_tick(engine, today)
    assert not daily_tick(engine, today - timedelta(days=1))


def test_a_failed_tick_leaves_the_day_unclaimed(client: TestClient, engine: Engine, today: date) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date=(today + timedelta(days=1)).isoformat())
    with Session(engine) as session:
        stored = session.get(RecurringRule, rule["id"])
        assert stored is not None
        stored.start_date = stored.next_date = today - timedelta(days=40)
        session.commit()
    failing = patch.object(recurring, "materialise_due", side_effect=RuntimeError("disk full"))
    with Session(engine) as session, failing, pytest.raises(RuntimeError):
        recurring.run_daily(session, today=today)
    assert dates(client, headers) == []
    assert daily_tick(engine, today)  # the next tick (or another worker) does it
    assert len(dates(client, headers)) == 2


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2026, 11, 30, 0, 0, 0), 86_401),
        (datetime(2026, 11, 30, 23, 59, 59, 500_000), 1.5),
        (datetime(2028, 2, 28, 12, 0), 43_201),
        (datetime(2026, 12, 31, 23, 0), 3_601),
    ],
)
def test_the_schedule_wakes_just_after_the_next_local_midnight(now: datetime, seconds: float) -> None:
    assert seconds_to_midnight(now) == seconds


def test_edit_changes_future_occurrences_only(client: TestClient, today: date) -> None:
    headers = register(client)
    start = today - timedelta(weeks=2)
    rule = add_rule(client, headers, frequency="weekly", start_date=start.isoformat(), amount="10")
    assert len(dates(client, headers)) == 3
    response = client.patch(
        f"/api/recurring/{rule['id']}", json={"amount": "12.5", "frequency": "monthly"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == 12.5
    assert response.json()["next_date"] > today.isoformat()
    items = client.get("/api/expenses", headers=headers).json()["items"]
    assert sorted(e["amount"] for e in items) == [10, 10, 10]


def test_pause_skips_and_resume_restarts_from_today(client: TestClient, engine: Engine, today: date) -> None:
    headers = register(client)
    rule = add_rule(client, headers, frequency="weekly", start_date=(today + timedelta(days=1)).isoformat())
    paused = client.patch(f"/api/recurring/{rule['id']}", json={"paused": True}, headers=headers).json()
    assert paused["paused"] is True
    with Session(engine) as session:
        stored = session.get(RecurringRule, rule["id"])
        assert stored is not None
        stored.start_date = stored.next_date = today - timedelta(weeks=3)
        session.commit()
    assert dates(client, headers) == []  # paused: nothing falls due
    resumed = client.patch(f"/api/recurring/{rule['id']}", json={"paused": False}, headers=headers).json()
    assert dates(client, headers) == [today.isoformat()]
    assert resumed["next_date"] == (today + timedelta(weeks=1)).isoformat()


def test_delete_rule_keeps_past_expenses(client: TestClient, engine: Engine, today: date) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date=(today - timedelta(days=70)).isoformat())
    before = dates(client, headers)
    assert len(before) == 3
    assert client.delete(f"/api/recurring/{rule['id']}", headers=headers).status_code == 204
    assert client.get("/api/recurring", headers=headers).json() == []
    assert dates(client, headers) == before
    with engine.connect() as conn:
        assert conn.execute(select(Expense.recurring_id).distinct()).scalars().all() == [None]
    assert client.delete(f"/api/recurring/{rule['id']}", headers=headers).status_code == 404


def test_crud_happy_path(client: TestClient) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date="2999-01-31", category=" rent ", end_date="2999-12-31")
    assert rule == {
        "id": rule["id"],
        "category": "rent",
        "amount": 900,
        "currency": "USD",
        "description": "Flat",
        "frequency": "monthly",
        "interval": 1,
        "start_date": "2999-01-31",
        "end_date": "2999-12-31",
        "day_of_month": None,
        "paused": False,
        "next_date": "2999-01-31",
        "paid_by": client.get("/api/me", headers=headers).json()["id"],
        "split": None,
    }
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json() == rule
    changed = client.patch(f"/api/recurring/{rule['id']}", json={"day_of_month": 15}, headers=headers).json()
    assert (changed["day_of_month"], changed["next_date"]) == (15, "2999-02-15")
    assert [r["id"] for r in client.get("/api/recurring", headers=headers).json()] == [rule["id"]]


@pytest.mark.parametrize(
    "body",
    [
        rule_body(frequency="daily"),
        rule_body(interval=0),
        rule_body(interval=101),
        rule_body(amount=0),
        rule_body(amount="1.234"),
        rule_body(category=""),
        rule_body(start_date="2026-02-30"),
        rule_body(start_date="2026-01-10", end_date="2026-01-09"),
        rule_body(day_of_month=32),
        rule_body(frequency="weekly", day_of_month=3),
        rule_body(next_date="2026-01-01"),
        {"category": "Rent", "amount": 1, "frequency": "monthly"},
    ],
)
def test_create_validation(client: TestClient, body: dict[str, Any]) -> None:
    headers = register(client)
    assert client.post("/api/recurring", **raw_json(body, headers)).status_code == 422
    assert client.get("/api/recurring", headers=headers).json() == []


@pytest.mark.parametrize(
    "change",
    [{"amount": None}, {"frequency": "hourly"}, {"end_date": "1999-01-01"}, {"interval": -1}, {"id": 3}],
)
def test_update_validation(client: TestClient, change: dict[str, Any]) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date="2999-01-01")
    response = client.patch(f"/api/recurring/{rule['id']}", **raw_json(change, headers))
    assert response.status_code == 422
    assert client.get(f"/api/recurring/{rule['id']}", headers=headers).json() == rule


def test_anonymous_is_401_and_other_users_rule_is_404(client: TestClient) -> None:
    mine, theirs = register(client), register(client)
    rule = add_rule(client, theirs, start_date="2999-01-01")
    for method, path in [
        ("get", "/api/recurring"),
        ("post", "/api/recurring"),
        ("get", f"/api/recurring/{rule['id']}"),
        ("patch", f"/api/recurring/{rule['id']}"),
        ("delete", f"/api/recurring/{rule['id']}"),
    ]:
        assert client.request(method.upper(), path, json=rule_body()).status_code == 401
    assert client.get(f"/api/recurring/{rule['id']}", headers=mine).status_code == 404
    assert client.patch(f"/api/recurring/{rule['id']}", json={"amount": 1}, headers=mine).status_code == 404
    assert client.delete(f"/api/recurring/{rule['id']}", headers=mine).status_code == 404
    assert client.get("/api/recurring/99999999999999999999", headers=mine).status_code == 404
    assert client.get("/api/recurring/abc", headers=mine).status_code == 422
    assert client.get("/api/recurring", headers=mine).json() == []
    assert client.get(f"/api/recurring/{rule['id']}", headers=theirs).json()["amount"] == 900


def test_start_up_creates_what_fell_due_while_the_app_was_down(tmp_path: Path) -> None:
    """The real server: a restart materialises due occurrences before any request asks for them."""
    env = server_env(tmp_path)
    server = start_server(tmp_path, env)
    try:
        auth = httpx2.post(
            f"{server.url}/api/auth/register", json={"email": "boot@x.io", "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {auth.json()['access_token']}"}
        created = httpx2.post(
            f"{server.url}/api/recurring",
            json=rule_body(frequency="weekly", start_date="2999-01-01"),
            headers=headers,
        )
        assert created.status_code == 201, created.text
    finally:
        stop_server(server)
    db = tmp_path / "expenses.db"
    # The server's own clock: three weeks back from either side of a midnight still makes 4 weekly ones.
    three_weeks_ago = (date.today() - timedelta(weeks=3)).isoformat()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE recurring_rules SET start_date = ?, next_date = ?", (three_weeks_ago,) * 2)
        # The app last ran three weeks ago too: its daily run says so.
        assert conn.execute("UPDATE daily_runs SET day = ?", (three_weeks_ago,)).rowcount == 1
    server = start_server(tmp_path, env)
    stop_server(server)  # no request made: only the start-up could have created them
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT count(*), sum(amount_cents) FROM expenses").fetchone()
        totals = conn.execute("SELECT sum(count), sum(amount_cents) FROM monthly_totals").fetchone()
    assert tuple(rows) == tuple(totals) == (4, 4 * 90000)


def test_null_clears_the_end_and_the_day_of_month(client: TestClient) -> None:
    headers = register(client)
    rule = add_rule(client, headers, start_date="2999-01-10", end_date="2999-03-31", day_of_month=31)
    assert rule["next_date"] == "2999-01-31"
    cleared = client.patch(
        f"/api/recurring/{rule['id']}", json={"end_date": None, "day_of_month": None}, headers=headers
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["end_date"], cleared.json()["day_of_month"]) == (None, None)
    assert cleared.json()["next_date"] == "2999-01-10"  # back to the start date's day
    schema = client.get("/openapi.json").json()["components"]["schemas"]["RecurringUpdate"]["properties"]
    assert "null" in str(schema["end_date"])
    assert "null" not in str(schema["amount"])


def test_a_schedule_change_keeps_todays_occurrence_once(
    client: TestClient, engine: Engine, today: date
) -> None:
    headers = register(client)
    start = today - timedelta(weeks=2)
    rule = add_rule(client, headers, frequency="weekly", start_date=start.isoformat())
    assert len(dates(client, headers)) == 3  # two weeks ago, last week, today
    changed = client.patch(f"/api/recurring/{rule['id']}", json={"interval": 2}, headers=headers).json()
    assert changed["next_date"] == (today + timedelta(weeks=2)).isoformat()
    assert len(dates(client, headers)) == 3
    assert_totals_consistent(engine)
