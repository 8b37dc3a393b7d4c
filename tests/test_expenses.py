import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, Result, event, func, select
from sqlalchemy.orm import Session

from app import models
from app.models import Expense, MonthlyTotal, RecurringRule, User
from app.services import expenses
from app.services import export as csv_export
from app.services.users import create_personal_ledger
from tests.factories import add_expense, expense_body, raw_json, refused, register


def test_create_and_read_expense(client: TestClient) -> None:
    headers = register(client)
    created = add_expense(client, headers, amount="12.50", description="Lunch\twith Sam\n")
    assert created["amount"] == 12.5
    assert created["category"] == "Food"
    assert created["description"] == "Lunch\twith Sam\n"
    assert set(created) == {
        *("id", "date", "category", "amount", "description", "created_at", "updated_at"),
        *("ledger_id", "paid_by", "split"),
        *("currency", "rate", "rate_source", "rate_date", "base_amount"),
        "refund",
    }
    fetched = client.get(f"/api/expenses/{created['id']}", headers=headers)
    assert fetched.status_code == 200
    assert fetched.json() == created


def as_written(text: str) -> Any:
    """The JSON with every number kept as the text the server wrote (1 and 1.0 differ; 0.35 is exact)."""
    return json.loads(text, parse_float=str, parse_int=str)


def test_ten_times_ten_cents_is_exactly_one(client: TestClient) -> None:
    headers = register(client)
    for _ in range(10):
        add_expense(client, headers, amount=0.1)
    page = as_written(client.get("/api/expenses", headers=headers).text)
    assert page["total"] == "10"
    assert page["total_amount"] == "1"
    assert {e["amount"] for e in page["items"]} == {"0.1"}
    assert client.get("/api/expenses/export.csv", headers=headers).text.count(",0.10,") == 10


def test_amounts_whose_float_is_inexact_are_written_exactly(client: TestClient) -> None:
    # 35 * 0.01 is 0.35000000000000003 and 115 * 0.01 is 1.1500000000000001: no float product on the way.
    headers = register(client)
    add_expense(client, headers, date="2026-11-02", amount="0.35")
    add_expense(client, headers, date="2026-11-03", amount="1.15")
    add_expense(client, headers, date="2026-11-04", amount="0.70")
    page = as_written(client.get("/api/expenses", headers=headers).text)
    assert [e["amount"] for e in page["items"]] == ["0.7", "1.15", "0.35"]
    assert page["total_amount"] == "2.2"
    summary = as_written(client.get("/api/summary", params={"month": "2026-11"}, headers=headers).text)
    assert (summary["total_spent"], summary["categories"][0]["spent"]) == ("2.2", "2.2")


def test_amounts_are_written_with_at_most_two_decimals(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, amount="250.00")
    add_expense(client, headers, amount="0.30")
    page = client.get("/api/expenses", headers=headers).text
    assert '"amount":0.3,' in page
    assert '"amount":250,' in page
    assert '"total_amount":250.3,' in page


@pytest.mark.parametrize("text", ["12.50\n", "12\n", "\n12.50", "12.50 "])
def test_amount_strings_with_a_line_break_or_space_are_refused(client: TestClient, text: str) -> None:
    # A regex `$` also matches before a final newline: "12.50\n" used to be taken as 12.50.
    headers = register(client)
    assert refused(client.post("/api/expenses", json=expense_body(amount=text), headers=headers)) == [
        "body.amount"
    ]
    created = add_expense(client, headers)
    patched = client.patch(f"/api/expenses/{created['id']}", json={"amount": text}, headers=headers)
    assert refused(patched) == ["body.amount"]
    budget = client.post("/api/budgets", json={"category": "Food", "amount": text}, headers=headers)
    assert refused(budget) == ["body.amount"]


def test_large_amounts_stay_exact(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, amount=999_999_999.99)
    add_expense(client, headers, amount="0.01")
    assert client.get("/api/expenses", headers=headers).json()["total_amount"] == 1_000_000_000


def test_category_reuses_first_spelling(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Groceries")
    second = add_expense(client, headers, category="  groceries ")
    assert second["category"] == "Groceries"
    listed = client.get("/api/expenses", params={"category": "GROCERIES"}, headers=headers).json()
    assert listed["total"] == 2


def test_a_new_expense_costs_twelve_statements(client: TestClient, engine: Engine) -> None:
    """The access, the category's spelling, the ledger's lock with its new version and its members'
    roles as they are then (app.services.lock_ledger; SQLite counts versions in a table of its own,
    one statement more), its currency and total under that lock, the expense and its split parts
    with the ledger held as stamped around them (app.models.StampedLedger; SQLite indexes the
    expense for search then, one statement more), and its month's, day's and day and category's
    totals."""
    sqlite = engine.dialect.name == "sqlite"
    counter = ["UPDATE ledger_versions SET"] if sqlite else []
    fill = ["INSERT INTO expenses_fts(rowid,"] if sqlite else []
    headers = register(client)
    add_expense(client, headers, category="Food")
    statements: list[str] = []

    def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()[:3]))

    event.listen(engine, "before_cursor_execute", counted)
    try:
        for given, shown in (("FOOD", "Food"), ("Travel", "Travel")):  # a known spelling, a new one
            statements.clear()
            assert add_expense(client, headers, category=given)["category"] == shown
            assert statements == [
                "SELECT users.id, users.token_version,",
                "SELECT coalesce((SELECT expenses.category",
                *counter,
                "UPDATE ledgers SET",
                "SELECT ledger_members.user_id, ledger_members.role",
                "SELECT ledgers.currency, (SELECT",
                "INSERT INTO stamped_ledgers",
                "INSERT INTO expenses",
                "INSERT INTO expense_splits",
                *fill,
                "DELETE FROM stamped_ledgers",
                "INSERT INTO monthly_totals",
                "INSERT INTO daily_totals",
                "INSERT INTO daily_category_totals",
            ]
    finally:
        event.remove(engine, "before_cursor_execute", counted)


@pytest.mark.parametrize(
    "overrides",
    [
        {"amount": 0},
        {"amount": -5},
        {"amount": 1.005},
        {"amount": "1.005"},
        {"amount": 1_000_000_000.01},
        {"amount": "-1"},
        {"amount": "1e3"},
        {"amount": " 12"},
        {"amount": "1_000"},
        {"amount": True},
        {"amount": None},
        {"amount": [1]},
        {"amount": float("nan")},
        {"amount": float("inf")},
        {"date": "2026-02-30"},
        {"date": "1899-12-31"},
        {"date": "3000-01-01"},
        {"date": "26-11-01"},
        {"date": 1700000000},
        {"date": "2026-11-01T10:00:00"},
        {"category": ""},
        {"category": "   "},
        {"category": "x" * 41},
        {"category": "Food\x00"},
        {"category": "Fo\nod"},
        {"category": "Food\ud800"},
        {"description": "x" * 501},
        {"description": "bell\x07"},
        {"unknown": 1},
    ],
)
def test_create_validation_writes_nothing(client: TestClient, overrides: dict[str, object]) -> None:
    headers = register(client)
    response = client.post("/api/expenses", **raw_json(expense_body(**overrides), headers))
    assert refused(response) == [f"body.{next(iter(overrides))}"]
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_missing_fields_are_422(client: TestClient) -> None:
    headers = register(client)
    for field in ("date", "category", "amount"):
        body = expense_body()
        del body[field]
        assert refused(client.post("/api/expenses", json=body, headers=headers)) == [f"body.{field}"]


def test_boundaries_are_accepted(client: TestClient) -> None:
    headers = register(client)
    add_expense(
        client, headers, amount=1_000_000_000, date="1900-01-01", category="x" * 40, description="y" * 500
    )
    add_expense(client, headers, amount=0.01, date="2999-12-31")


def test_list_newest_first_with_ties_by_id(client: TestClient) -> None:
    headers = register(client)
    a = add_expense(client, headers, date="2026-11-01")
    b = add_expense(client, headers, date="2026-11-03")
    c = add_expense(client, headers, date="2026-11-01")
    items = client.get("/api/expenses", headers=headers).json()["items"]
    assert [i["id"] for i in items] == [b["id"], c["id"], a["id"]]


def test_list_filters(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-10-31", category="Food", amount=1, description="Bakery")
    add_expense(client, headers, date="2026-11-01", category="Travel", amount=2, description="Train ticket")
    add_expense(client, headers, date="2026-11-15", category="Food", amount=3, description="Dinner 100%")
    add_expense(client, headers, date="2026-11-30", category="Rent", amount=4, description="November")
    add_expense(client, headers, date="2026-12-01", category="Food", amount=5, description="food_court")

    def amounts(**params: str) -> list[float]:
        page = client.get("/api/expenses", params=params, headers=headers).json()
        assert page["total_amount"] == sum(i["amount"] for i in page["items"])
        return [i["amount"] for i in page["items"]]

    assert amounts(start="2026-11-01", end="2026-11-30") == [4, 3, 2]
    assert amounts(start="2026-11-15") == [5, 4, 3]
    assert amounts(end="2026-11-01") == [2, 1]
    assert amounts(category="food") == [5, 3, 1]
    assert amounts(category=" FOOD ", start="2026-11-01", end="2026-11-30") == [3]
    assert amounts(q="TRAIN") == [2]
    assert amounts(q="food") == [5, 3, 1]  # category matches too
    assert amounts(q="100%") == [3]  # LIKE wildcards are literal
    assert amounts(q="r_1") == []  # "_" is not "any character" ("Dinner 100%")
    assert amounts(q="d_c") == [5]
    assert amounts(category="Nothing") == []


def test_text_search_folds_non_ascii_letters(client: TestClient) -> None:
    # Case-insensitive as str.lower() has it, on SQLite (a Python function) as on PostgreSQL (ILIKE).
    headers = register(client)
    add_expense(client, headers, category="Café", amount=1, description="Crème brûlée")
    add_expense(client, headers, category="Travel", amount=2, description="STRASSE Ärger ΩMEGA")
    add_expense(client, headers, category="Books", amount=3, description="straße 50% off")

    def amounts(q: str) -> list[float]:
        page = client.get("/api/expenses", params={"q": q}, headers=headers).json()
        assert page["total_amount"] == sum(i["amount"] for i in page["items"])
        return [i["amount"] for i in page["items"]]

    assert amounts("CAFÉ") == [1]  # the category
    assert amounts("CRÈME BRÛLÉE") == [1]
    assert amounts("ärger") == [2]
    assert amounts("ωmega") == [2]
    assert amounts("STRASSE") == [2]  # lower() keeps ß: "ss" is not "ß"
    assert amounts("STRAßE") == [3]
    assert amounts("ẞE 50%") == [3]  # the capital sharp s lowers to ß; % stays literal
    assert amounts("ß_50") == []
    response = client.get("/api/expenses/export.csv", params={"q": "cafÉ"}, headers=headers)
    assert [row[1] for row in csv.reader(io.StringIO(response.text))][1:] == ["Café"]


def test_paging_totals_cover_every_match(client: TestClient) -> None:
    headers = register(client)
    for day in range(1, 8):
        add_expense(client, headers, date=f"2026-11-{day:02d}", amount=day)
    page = client.get("/api/expenses", params={"limit": 3, "offset": 3}, headers=headers).json()
    assert [i["date"] for i in page["items"]] == ["2026-11-04", "2026-11-03", "2026-11-02"]
    assert (page["total"], page["total_amount"], page["limit"], page["offset"]) == (7, 28, 3, 3)
    last = client.get("/api/expenses", params={"limit": 3, "offset": 6}, headers=headers).json()
    assert [i["date"] for i in last["items"]] == ["2026-11-01"]
    beyond = client.get("/api/expenses", params={"offset": 100}, headers=headers).json()
    assert (beyond["items"], beyond["total"]) == ([], 7)


def test_cursor_paging_walks_every_expense_once(client: TestClient) -> None:
    headers = register(client)
    for day in (1, 1, 2, 2, 2, 3, 5):
        add_expense(client, headers, date=f"2026-11-{day:02d}", amount=day)
    everything = client.get("/api/expenses", headers=headers).json()["items"]
    seen, params = [], {"limit": "3", "start": "2026-11-01"}
    while True:
        page = client.get("/api/expenses", params=params, headers=headers).json()
        assert (page["total"], page["total_amount"]) == (7, 16)
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params = {**params, "cursor": page["next_cursor"]}
    assert seen == everything
    assert [e["date"][-2:] for e in seen] == ["05", "03", "02", "02", "02", "01", "01"]


@pytest.mark.parametrize(
    "cursor", ["2026-11-01", "2026-11-01:", "2026-13-01:5", "x:5", "2026-11-01:-1", f"2026-11-01:{2**63}"]
)
def test_bad_cursors_are_422(client: TestClient, cursor: str) -> None:
    headers = register(client)
    assert refused(client.get("/api/expenses", params={"cursor": cursor}, headers=headers)) == [
        "query.cursor"
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"offset": -1},
        {"offset": 1_000_000_001},
        {"limit": "ten"},
        {"limit": "9" * 40},
        {"start": "2026-11-02", "end": "2026-11-01"},
        {"start": "2026-13-01"},
        {"end": "yesterday"},
        {"q": "x" * 201},
    ],
)
def test_list_validation(client: TestClient, params: dict[str, object]) -> None:
    headers = register(client)
    response = client.get("/api/expenses", params=params, headers=headers)  # type: ignore[arg-type]
    assert refused(response) == [f"query.{next(iter(params))}"]


@pytest.fixture
def stepped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each reading of the models' clock is one minute after the last, so "later" is never a tie."""
    start = datetime(2026, 11, 30, 12, tzinfo=UTC)
    minutes: Iterator[datetime] = (start + timedelta(minutes=n) for n in count())
    monkeypatch.setattr(models, "datetime", SimpleNamespace(now=lambda tz: next(minutes)))


def test_patch_changes_only_sent_fields(client: TestClient, stepped_clock: None) -> None:
    headers = register(client)
    add_expense(client, headers, category="Travel")
    created = add_expense(client, headers)
    response = client.patch(
        f"/api/expenses/{created['id']}", json={"amount": "7.05", "category": "travel"}, headers=headers
    )
    assert response.status_code == 200
    updated = response.json()
    assert updated["amount"] == 7.05
    assert updated["category"] == "Travel"
    assert (updated["date"], updated["description"]) == (created["date"], created["description"])
    assert updated["created_at"] == created["created_at"]
    assert datetime.fromisoformat(updated["updated_at"]) > datetime.fromisoformat(created["updated_at"])
    assert client.get(f"/api/expenses/{created['id']}", headers=headers).json() == updated


@pytest.mark.parametrize(
    "body",
    [{"amount": None}, {"date": None}, {"category": None}, {"amount": 0}, {"date": "2026-02-29"}, {"id": 5}],
)
def test_patch_validation_changes_nothing(client: TestClient, body: dict[str, object]) -> None:
    headers = register(client)
    created = add_expense(client, headers)
    response = client.patch(f"/api/expenses/{created['id']}", json=body, headers=headers)
    assert refused(response) == [f"body.{next(iter(body))}"]
    assert client.get(f"/api/expenses/{created['id']}", headers=headers).json() == created


def test_delete(client: TestClient) -> None:
    headers = register(client)
    created = add_expense(client, headers)
    response = client.delete(f"/api/expenses/{created['id']}", headers=headers)
    assert response.status_code == 204
    assert response.content == b""
    assert client.get(f"/api/expenses/{created['id']}", headers=headers).status_code == 404
    assert client.delete(f"/api/expenses/{created['id']}", headers=headers).status_code == 404


def test_other_users_expense_is_not_found(client: TestClient) -> None:
    alice, bob = register(client), register(client)
    mine = add_expense(client, alice, description="Alice's")
    url = f"/api/expenses/{mine['id']}"
    for response in (
        client.get(url, headers=bob),
        client.patch(url, json={"amount": 1}, headers=bob),
        client.delete(url, headers=bob),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Expense not found"}
    assert client.get(url, headers=alice).json() == mine
    assert client.get("/api/expenses", headers=bob).json()["total"] == 0
    assert (
        client.get("/api/expenses/export.csv", headers=bob).text
        == "date,category,amount,description,currency,base_amount\r\n"
    )


@pytest.mark.parametrize("expense_id", ["0", "-1", str(2**63), str(2**64), "9" * 30])
def test_ids_out_of_range_are_404(client: TestClient, expense_id: str) -> None:
    headers = register(client)
    assert client.get(f"/api/expenses/{expense_id}", headers=headers).status_code == 404
    assert client.patch(f"/api/expenses/{expense_id}", json={"amount": 1}, headers=headers).status_code == 404
    assert client.delete(f"/api/expenses/{expense_id}", headers=headers).status_code == 404


@pytest.mark.parametrize("expense_id", ["abc", "1.5", "1e3"])
def test_non_integer_ids_are_422(client: TestClient, expense_id: str) -> None:
    headers = register(client)
    assert refused(client.get(f"/api/expenses/{expense_id}", headers=headers)) == ["path.expense_id"]


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/expenses"),
        ("POST", "/api/expenses"),
        ("GET", "/api/expenses/1"),
        ("PATCH", "/api/expenses/1"),
        ("DELETE", "/api/expenses/1"),
        ("GET", "/api/expenses/export.csv"),
    ],
)
def test_expenses_require_a_token(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url, json=expense_body())
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_csv_export(client: TestClient) -> None:
    headers = register(client)
    add_expense(
        client, headers, date="2026-11-02", category="=cmd|' /C calc'!A0", amount=12.5, description="+1"
    )
    add_expense(
        client, headers, date="2026-11-03", category="Food", amount=3, description='say "hi", then\nleave'
    )
    add_expense(client, headers, date="2026-11-04", category="@SUM(A1)", amount=0.07, description="-2\t")
    add_expense(client, headers, date="2026-11-05", category="Tabs", amount=1, description="\tlead")
    # A spreadsheet skips a leading tab or carriage return and then reads the formula after it.
    add_expense(client, headers, date="2026-11-06", category="Returns", amount=1, description="\r=1+1")
    add_expense(client, headers, date="2026-12-01", category="Later", amount=1)
    response = client.get(
        "/api/expenses/export.csv", params={"start": "2026-11-01", "end": "2026-11-30"}, headers=headers
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="expenses-2026-11-01-to-2026-11-30.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [
        ["date", "category", "amount", "description", "currency", "base_amount"],
        ["2026-11-06", "Returns", "1.00", "'\r=1+1", "USD", "1.00"],
        ["2026-11-05", "Tabs", "1.00", "'\tlead", "USD", "1.00"],
        ["2026-11-04", "'@SUM(A1)", "0.07", "'-2\t", "USD", "0.07"],
        ["2026-11-03", "Food", "3.00", 'say "hi", then\nleave', "USD", "3.00"],
        ["2026-11-02", "'=cmd|' /C calc'!A0", "12.50", "'+1", "USD", "12.50"],
    ]


def test_csv_export_filters_and_filenames(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-11-02", category="Food")
    add_expense(client, headers, date="2026-11-03", category="Rent", description="flat")

    def export(**params: str) -> tuple[str, list[list[str]]]:
        response = client.get("/api/expenses/export.csv", params=params, headers=headers)
        return response.headers["content-disposition"], list(csv.reader(io.StringIO(response.text)))[1:]

    assert export() == (
        'attachment; filename="expenses-all.csv"',
        [
            ["2026-11-03", "Rent", "12.50", "flat", "USD", "12.50"],
            ["2026-11-02", "Food", "12.50", "Lunch", "USD", "12.50"],
        ],
    )
    assert export(start="2026-11-03")[0] == 'attachment; filename="expenses-from-2026-11-03.csv"'
    assert export(end="2026-11-02")[0] == 'attachment; filename="expenses-until-2026-11-02.csv"'
    assert len(export(category="rent")[1]) == 1
    assert len(export(q="lunch")[1]) == 1
    assert refused(client.get("/api/expenses/export.csv", params={"start": "x"}, headers=headers)) == [
        "query.start"
    ]


def test_csv_export_streams_in_batches(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = register(client)
    for day in range(1, 4):
        add_expense(client, headers, date=f"2026-11-{day:02d}")
    monkeypatch.setattr(csv_export, "BATCH", 2)
    with client.stream("GET", "/api/expenses/export.csv", headers=headers) as response:
        chunks = [chunk for chunk in response.iter_text() if chunk]
    assert len(chunks) >= 2
    assert "".join(chunks).count("\r\n") == 4


def test_csv_export_streams_the_drivers_own_rows(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's rows come straight from its cursor, PostgreSQL's lines from its COPY (no SQLAlchemy
    Row each, no server-side cursor): the same bytes, batch after batch."""
    headers = register(client)
    add_expense(client, headers, date="2026-11-01", category="Travel", amount=7, description="Tea")
    add_expense(client, headers, date="2026-11-02", category="=cmd", amount=1, description="-minus")
    add_expense(client, headers, date="2026-11-03", amount=12.5, description='Lunch, with "Sam"')
    add_expense(client, headers, date="2026-11-03", amount=0.1, description="line\nbreak")
    monkeypatch.setattr(csv_export, "BATCH", 3)
    partitions = Result.partitions
    calls: list[object] = []

    def counted(self: Result[Any], size: int | None = None) -> Iterator[Any]:
        calls.append(self)
        return partitions(self, size)

    monkeypatch.setattr(Result, "partitions", counted)
    response = client.get("/api/expenses/export.csv", headers=headers)
    assert response.status_code == 200
    assert response.content.decode() == (
        "date,category,amount,description,currency,base_amount\r\n"
        '2026-11-03,Food,0.10,"line\nbreak",USD,0.10\r\n'
        '2026-11-03,Food,12.50,"Lunch, with ""Sam""",USD,12.50\r\n'
        "2026-11-02,'=cmd,1.00,'-minus,USD,1.00\r\n"
        "2026-11-01,Travel,7.00,Tea,USD,7.00\r\n"
    )
    assert calls == []


def test_add_expenses_counts_what_it_inserts_and_skips_an_occurrence_already_there(engine: Engine) -> None:
    with Session(engine, expire_on_commit=False) as session:
        user = User(email="writer@example.com", password_hash="x")
        session.add(user)
        session.flush()
        ledger_id = create_personal_ledger(session, user)
        rule = RecurringRule(
            ledger_id=ledger_id,
            user_id=user.id,
            paid_by=user.id,
            category="Rent",
            category_key="rent",
            amount_minor=50_000,
            currency="USD",
            frequency="monthly",
            start_date=date(2026, 1, 1),
        )
        session.add(rule)
        session.flush()

        def new(day: date, cents: int, recurring: bool = False) -> Expense:
            return Expense(
                user_id=user.id,
                date=day,
                category="Rent",
                category_key="rent",
                amount_minor=cents,
                description="",
                recurring_id=rule.id if recurring else None,
                occurrence_date=day if recurring else None,
            )

        bulk = [new(date(2026, 1, 3), 100), new(date(2026, 1, 9), 250), new(date(2026, 2, 1), 7)]
        assert expenses.add_expenses(session, ledger_id, bulk, by=user.id) == bulk
        first = [new(date(2026, 3, 1), 50_000, recurring=True)]
        assert expenses.add_expenses(session, ledger_id, first, by=None, paid_by=user.id) == first
        # Again, as a concurrent request would: the unique occurrence keeps it once, counted once.
        again = [new(date(2026, 3, 1), 50_000, recurring=True)]
        assert expenses.add_expenses(session, ledger_id, again, by=None, paid_by=user.id) == []
        session.commit()

        stored = session.execute(select(func.count(), func.sum(Expense.amount_minor))).one()
        assert tuple(stored) == (4, 50_357)
        columns = (MonthlyTotal.month, MonthlyTotal.count, MonthlyTotal.amount_minor)
        months = session.execute(select(*columns).order_by(MonthlyTotal.month)).all()
        assert [tuple(row) for row in months] == [
            (date(2026, 1, 1), 2, 350),
            (date(2026, 2, 1), 1, 7),
            (date(2026, 3, 1), 1, 50_000),
        ]


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"start": "2026-10-05", "end": "2026-11-20"},  # partial months at both ends
        {"start": "2026-10-01", "category": "food"},
        {"end": "2026-10-31", "category": "Rent"},
        {"limit": 1},
    ],
)
def test_lists_of_the_same_shape_answer_each_caller_with_their_own_rows(
    client: TestClient, query: dict[str, Any]
) -> None:
    """A list's statements are built once per set of fields sent, its values bound per request
    (app.services.listing, app.services.totals): two callers in turn, each sees their own."""
    days = ("2026-09-30", "2026-10-05", "2026-10-31", "2026-11-20", "2026-11-21")
    callers = []
    for amounts in ((1, 2, 3, 4, 5), (10, 20, 30, 40, 50)):
        headers = register(client)
        mine = [
            add_expense(client, headers, date=day, amount=amount, category=("Food", "Rent")[amount % 2])
            for day, amount in zip(days, amounts, strict=True)
        ]
        callers.append((headers, mine))
    for _ in range(2):  # the second round takes the statements the first one built
        for headers, mine in callers:
            page = client.get("/api/expenses", params=query, headers=headers).json()
            wanted = [
                e
                for e in mine
                if query.get("start", "0") <= e["date"] <= query.get("end", "9")
                and e["category"].lower() == query.get("category", e["category"]).lower()
            ]
            newest_first = sorted(wanted, key=lambda e: (e["date"], e["id"]), reverse=True)
            assert page["items"] == newest_first[: query.get("limit", 50)]
            assert (page["total"], page["total_amount"]) == (len(wanted), sum(e["amount"] for e in wanted))
            if query.get("limit") == 1:
                after = {"limit": 1, "cursor": page["next_cursor"]}
                following = client.get("/api/expenses", params=after, headers=headers).json()
                assert following["items"] == newest_first[1:2]
