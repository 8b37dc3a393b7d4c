"""Answers kept until their ledger's next write (app.answers): a repeated read costs the access
query alone, and every write to the rows an answer is made of, by any path, is seen by the next read."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine, event, text

from app.answers import ANSWERS, Answers
from app.main import app
from app.routers import current_date
from app.schemas.expenses import ExpensePage
from app.schemas.reports import StatsOut, SummaryOut
from tests.factories import add_budget, add_expense, register

READS = (
    "/api/expenses",
    "/api/expenses?q=lunch&limit=5",
    "/api/summary?month=2026-11",
    "/api/stats?start=2026-11-01&end=2026-11-30&granularity=day",
)


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[str]]:
    ran: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        ran.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", counted)
    try:
        yield ran
    finally:
        event.remove(engine, "before_cursor_execute", counted)


def revision(engine: Engine, ledger_id: int) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(text("SELECT revision FROM ledgers WHERE id = :id"), {"id": ledger_id}).scalar_one()
        )


@pytest.mark.parametrize("path", READS)
def test_a_repeated_read_costs_the_access_query_alone_and_gives_the_same_bytes(
    client: TestClient, engine: Engine, path: str
) -> None:
    headers = register(client)
    add_expense(client, headers)
    add_budget(client, headers, "Food", 100)
    first = client.get(path, headers=headers)
    with statements_run(engine) as ran:
        again = client.get(path, headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert ran == ["SELECT users.id, users.token_version,"]


def test_without_a_cache_every_read_is_worked_out(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers)
    client.get("/api/expenses", headers=headers)
    kept, ANSWERS.max_bytes = ANSWERS.max_bytes, 0  # ANSWER_CACHE_MB=0
    try:
        with statements_run(engine) as ran:
            assert client.get("/api/expenses", headers=headers).json()["total"] == 1
        assert len(ran) > 1
    finally:
        ANSWERS.max_bytes = kept


# Each write, as SQL from outside the app's services (another worker, the daily job, a person at
# the database's prompt): the triggers count every one, on both databases.
WRITES = {
    "expenses insert": (
        "INSERT INTO expenses (ledger_id, user_id, paid_by, date, category, category_key, amount_cents,"
        " currency, rate, rate_source, base_amount_cents, description, created_at, updated_at)"
        " SELECT ledger_id, user_id, paid_by, date, category, category_key, 700, currency, rate,"
        " rate_source, 700, 'Direct', created_at, updated_at FROM expenses WHERE id = :expense"
    ),
    "expenses update": "UPDATE expenses SET description = 'Renamed' WHERE id = :expense",
    "expense_splits update": "UPDATE expense_splits SET amount_cents = 1 WHERE expense_id = :expense",
    "expense_splits delete": "DELETE FROM expense_splits WHERE expense_id = :expense",
    "expense_splits insert": (
        "INSERT INTO expense_splits (expense_id, user_id, ledger_id, shares, amount_cents, base_amount_cents)"
        " SELECT id, user_id, ledger_id, 1, 5, 5 FROM expenses WHERE id = :expense"
    ),
    "budgets insert": (
        "INSERT INTO budgets (ledger_id, user_id, category, category_key, amount_cents, created_at,"
        " updated_at) SELECT ledger_id, user_id, 'Rent', 'rent', 90000, created_at, updated_at"
        " FROM expenses WHERE id = :expense"
    ),
    "budgets update": "UPDATE budgets SET amount_cents = amount_cents + 1",
    "budgets delete": "DELETE FROM budgets WHERE category_key = 'rent'",
    "expenses delete": "DELETE FROM expenses WHERE id = :expense",
}


def test_every_write_to_an_answers_rows_is_seen_by_the_next_read(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    other = register(client)
    expense = add_expense(client, headers, amount=10)
    add_budget(client, headers, "Food", 100)
    add_expense(client, other)
    others_ledger = add_expense(client, other)["ledger_id"]
    before_others = revision(engine, others_ledger)
    for name, statement in WRITES.items():
        answers = [client.get(path, headers=headers).content for path in READS]
        counted = revision(engine, expense["ledger_id"])
        with engine.begin() as conn:
            conn.execute(text(statement), {"expense": expense["id"]})
        assert revision(engine, expense["ledger_id"]) > counted, name
        again = [client.get(path, headers=headers).content for path in READS]
        assert again != answers, name  # each write changes at least one of the reads
        ANSWERS.clear()
        assert [client.get(path, headers=headers).content for path in READS] == again, name
    assert revision(engine, others_ledger) == before_others  # another ledger's writes count there only


def test_a_kept_answer_is_given_only_to_who_may_read_it(client: TestClient) -> None:
    owner = register(client)
    ledger_id = add_expense(client, owner)["ledger_id"]
    assert client.get("/api/expenses", params={"ledger": ledger_id}, headers=owner).status_code == 200
    stranger = register(client)
    assert client.get("/api/expenses", params={"ledger": ledger_id}, headers=stranger).status_code == 404
    assert client.post("/api/auth/logout", headers=owner).status_code == 204
    assert client.get("/api/expenses", params={"ledger": ledger_id}, headers=owner).status_code == 401


def test_the_least_recently_used_answers_go_first_and_the_size_is_bounded() -> None:
    answers = Answers(max_bytes=10)
    answers.keep("a", b"1234")
    answers.keep("b", b"1234")
    assert answers.get("a") == b"1234"  # now the most recently used
    answers.keep("c", b"1234")  # 12 bytes: "b" goes
    assert (answers.get("a"), answers.get("b"), answers.get("c")) == (b"1234", None, b"1234")
    answers.keep("c", b"12345678")  # replaced, not added: 12 bytes again, "a" goes
    assert (answers.get("a"), answers.get("c")) == (None, b"12345678")
    answers.keep("big", b"x" * 11)  # larger than the whole cache: not kept, nothing dropped
    assert (answers.get("big"), answers.get("c")) == (None, b"12345678")


def test_a_kept_answer_has_the_headers_of_the_routes(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers)
    first = client.get("/api/expenses", headers=headers)
    again = client.get("/api/expenses", headers={**headers, "X-Request-ID": "kept-1"})
    assert again.content == first.content
    assert again.headers["x-request-id"] == "kept-1"
    assert {k: v for k, v in again.headers.items() if k != "x-request-id"} == {
        k: v for k, v in first.headers.items() if k != "x-request-id"
    }


@pytest.mark.parametrize(
    "ledger", ["abc", "", "0", "01", "+1", " 1", "99999999999999999999", "-1", "1&ledger=2"]
)
def test_an_odd_ledger_parameter_is_answered_as_the_route_answers_it(client: TestClient, ledger: str) -> None:
    headers = register(client)
    add_expense(client, headers)
    path = f"/api/expenses?ledger={ledger}"
    kept, ANSWERS.max_bytes = ANSWERS.max_bytes, 0
    try:
        expected = client.get(path, headers=headers)
    finally:
        ANSWERS.max_bytes = kept
    client.get("/api/expenses", headers=headers)  # the personal ledger's (id 1) answer, kept
    for _ in range(2):
        response = client.get(path, headers=headers)
        assert (response.status_code, response.content) == (expected.status_code, expected.content)


def test_a_disabled_account_is_refused_at_once_even_with_an_answer_kept(
    client: TestClient, engine: Engine
) -> None:
    headers = register(client, email="off@example.com")
    add_expense(client, headers)
    assert client.get("/api/summary?month=2026-11", headers=headers).status_code == 200
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET disabled = true WHERE email = 'off@example.com'"))
    assert client.get("/api/summary?month=2026-11", headers=headers).status_code == 401


def test_the_current_month_is_the_routes_today(client: TestClient) -> None:
    """A summary without `month` is today's: the day is part of what it is kept under."""
    headers = register(client)
    add_expense(client, headers, date="2026-11-10")
    try:
        app.dependency_overrides[current_date] = lambda: date(2026, 11, 30)
        november = client.get("/api/summary", headers=headers).json()
        app.dependency_overrides[current_date] = lambda: date(2026, 12, 1)
        december = client.get("/api/summary", headers=headers).json()
    finally:
        app.dependency_overrides.pop(current_date, None)
    assert (november["month"], november["total_spent"]) == ("2026-11", 12.5)
    assert (december["month"], december["total_spent"]) == ("2026-12", 0)


@pytest.mark.parametrize(
    ("path", "model"),
    [(READS[0], ExpensePage), (READS[1], ExpensePage), (READS[2], SummaryOut), (READS[3], StatsOut)],
)
def test_an_answer_written_without_its_model_is_the_models_json(
    client: TestClient, path: str, model: type[BaseModel]
) -> None:
    """The list and the stats write their rows as they are (app.routers.as_json): byte for byte
    what their response model writes for the same values."""
    headers = register(client)
    add_expense(client, headers, date="2026-11-02", amount="0.1", description="lunch")
    add_expense(client, headers, date="2026-11-30", amount="1200", currency="JPY", rate="0.0067")
    body = client.get(path, headers=headers).content
    assert body == model.model_validate_json(body).model_dump_json().encode()
