"""GET /api/me/export: all of one's own data, as one streamed JSON file; and the text of the CSV
export (GET /api/expenses/export.csv) for every currency and every awkward text."""

import csv
import io
import json
import random
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session

from app.access import LedgerAccess
from app.models import Expense, Ledger
from app.money import amount_text
from app.services import export as csv_export
from app.services.listing import ExpenseFilter
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
            "paid_by": user_id,
            "date": start + timedelta(days=n % 900),
            "category": "Food",
            "category_key": "food",
            "amount_minor": n + 1,
            **{"currency": "USD", "rate": "1", "rate_source": "same", "base_amount_minor": n + 1},
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


def ledger_of(client: TestClient, headers: dict[str, str], engine: Engine) -> tuple[int, int]:
    user_id = client.get("/api/me", headers=headers).json()["id"]
    with engine.connect() as conn:
        return user_id, conn.execute(select(Ledger.id).where(Ledger.personal_of == user_id)).scalar_one()


def csv_text(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get("/api/expenses/export.csv", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def test_csv_export_of_every_currency_and_awkward_text(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of 4 mix lines the database writes whole with rows written cell by cell."""
    headers = register(client)
    monkeypatch.setattr(csv_export, "BATCH", 4)
    for day, category, amount, currency, rate, description in [
        (1, "Food", 1_000_000_000, "USD", None, "big"),
        (2, "Food", 1200, "JPY", "0.0065", "yen"),
        (3, "Food", "1.234", "KWD", "3.25", "dinar"),
        (4, "Food", "0.07", "EUR", "2", "euro"),
        (5, "=Sum", 1, "USD", None, "=1+1"),
        (6, "+Plus", 1, "USD", None, "+1"),
        (7, "-Minus", 1, "USD", None, "-1"),
        (8, "@At", 1, "USD", None, "@A1"),
        (9, "Tab", 1, "USD", None, "\tTab"),
        (10, "CR", 1, "USD", None, "\rCR"),
        (11, "Quotes", 1, "USD", None, 'say "hi", twice'),
        (12, "Lines", 1, "USD", None, "two\nlines"),
        (13, "Café", "0.5", "USD", None, "ünïcødé 中文 😀"),
        (14, "Empty", 1, "USD", None, ""),
        (15, "Dots", 1, "USD", None, "was.-"),
        (16, "Food", 1_000_000_000, "KWD", "1", "big dinar"),
        (17, "Food", 1_000_000_000, "JPY", "0.01", "big yen"),
    ]:
        rated = {"rate": rate} if rate else {}
        add_expense(
            client,
            headers,
            date=f"2026-11-{day:02d}",
            category=category,
            amount=amount,
            currency=currency,
            description=description,
            **rated,
        )
    assert csv_text(client, headers) == (
        "date,category,amount,description,currency,base_amount\r\n"
        "2026-11-17,Food,1000000000,big yen,JPY,10000000.00\r\n"
        "2026-11-16,Food,1000000000.000,big dinar,KWD,1000000000.00\r\n"
        "2026-11-15,Dots,1.00,was.-,USD,1.00\r\n"
        "2026-11-14,Empty,1.00,,USD,1.00\r\n"
        "2026-11-13,Café,0.50,ünïcødé 中文 😀,USD,0.50\r\n"
        '2026-11-12,Lines,1.00,"two\nlines",USD,1.00\r\n'
        '2026-11-11,Quotes,1.00,"say ""hi"", twice",USD,1.00\r\n'
        '2026-11-10,CR,1.00,"\'\rCR",USD,1.00\r\n'
        "2026-11-09,Tab,1.00,'\tTab,USD,1.00\r\n"
        "2026-11-08,'@At,1.00,'@A1,USD,1.00\r\n"
        "2026-11-07,'-Minus,1.00,'-1,USD,1.00\r\n"
        "2026-11-06,'+Plus,1.00,'+1,USD,1.00\r\n"
        "2026-11-05,'=Sum,1.00,'=1+1,USD,1.00\r\n"
        "2026-11-04,Food,0.07,euro,EUR,0.14\r\n"
        "2026-11-03,Food,1.234,dinar,KWD,4.01\r\n"
        "2026-11-02,Food,1200,yen,JPY,7.80\r\n"
        "2026-11-01,Food,1000000000.00,big,USD,1000000000.00\r\n"
    )


def test_csv_export_of_a_ledger_in_a_currency_with_no_decimals(client: TestClient) -> None:
    headers = register(client)
    assert client.patch("/api/me", json={"currency": "JPY"}, headers=headers).status_code == 200
    add_expense(client, headers, date="2026-11-01", amount=1500, currency="JPY", description="=x")
    add_expense(client, headers, date="2026-11-02", amount="12.34", currency="USD", rate="150")
    add_expense(client, headers, date="2026-11-03", amount="1.234", currency="KWD", rate="480")
    add_expense(client, headers, date="2026-11-04", amount=7, currency="CLP", rate="0.16")
    assert csv_text(client, headers) == (
        "date,category,amount,description,currency,base_amount\r\n"
        "2026-11-04,Food,7,Lunch,CLP,1\r\n"
        "2026-11-03,Food,1.234,Lunch,KWD,592\r\n"
        "2026-11-02,Food,12.34,Lunch,USD,1851\r\n"
        "2026-11-01,Food,1500,'=x,JPY,1500\r\n"
    )


def test_csv_export_of_rows_no_request_can_write(client: TestClient, engine: Engine) -> None:
    """Negative amounts and a control character in a text are written as they are stored."""
    headers = register(client)
    user_id, ledger_id = ledger_of(client, headers, engine)
    stored = [
        (-7, "USD", 7),
        (7, "USD", -7),
        (-150, "USD", -100),
        (-5, "JPY", -250),
        (-1234, "KWD", 0),
        (1, "USD", 1),
    ]
    with engine.begin() as conn:
        conn.execute(
            insert(Expense),
            [
                {
                    "ledger_id": ledger_id,
                    "user_id": user_id,
                    "paid_by": user_id,
                    "date": date(2026, 11, 1),
                    "category": "Odd",
                    "category_key": "odd",
                    "amount_minor": amount,
                    **{"currency": currency, "rate": "1", "rate_source": "same", "base_amount_minor": base},
                    "description": "a\x1fb" if amount == 1 else "",
                }
                for amount, currency, base in stored
            ],
        )
    assert csv_text(client, headers) == (
        "date,category,amount,description,currency,base_amount\r\n"
        "2026-11-01,Odd,0.01,a\x1fb,USD,0.01\r\n"
        "2026-11-01,Odd,-1.234,,KWD,0.00\r\n"
        "2026-11-01,Odd,-5,,JPY,-2.50\r\n"
        "2026-11-01,Odd,-1.50,,USD,-1.00\r\n"
        "2026-11-01,Odd,0.07,,USD,-0.07\r\n"
        "2026-11-01,Odd,-0.07,,USD,0.07\r\n"
    )


def test_csv_export_matches_the_rules_for_random_rows(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random texts over the characters that need care, in currencies of 0 to 4 decimals: the file is
    csv.writer's, with a "'" before each text starting like a formula and amounts as amount_text."""
    headers = register(client)
    user_id, ledger_id = ledger_of(client, headers, engine)
    monkeypatch.setattr(csv_export, "BATCH", 7)
    pick = random.Random(13)
    alphabet = ["a", "b", " ", ",", '"', "\n", "\r", "\t", "=", "+", "-", "@", ".", "%", "é", "中", "\x1f"]
    # What PostgreSQL's COPY escapes with a backslash, and a backslash before what it escapes.
    alphabet += ["\\", "\\n", "\\\\", "\b", "\f", "\v"]

    def text() -> str:
        return "".join(pick.choices(alphabet, k=pick.randrange(0, 6)))

    rows = []
    for _ in range(300):
        category = pick.choice(alphabet[:2]) + text()
        rows.append(
            {
                "ledger_id": ledger_id,
                "user_id": user_id,
                "paid_by": user_id,
                "date": date(2026, 1, 1) + timedelta(days=pick.randrange(60)),
                "category": pick.choice([category, "=" + category]),
                "category_key": "x",
                "amount_minor": pick.choice([1, 9, 10, 99, 100, 12_345, 10**12, pick.randrange(1, 10**14)]),
                **{"currency": pick.choice(["USD", "EUR", "JPY", "KWD", "CLF"]), "rate": "1"},
                **{"rate_source": "same", "base_amount_minor": pick.randrange(0, 10**12)},
                "description": text(),
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Expense), rows)
        stored = conn.execute(
            select(
                Expense.date,
                Expense.category,
                Expense.amount_minor,
                Expense.description,
                Expense.currency,
                Expense.base_amount_minor,
            ).order_by(Expense.date.desc(), Expense.id.desc())
        ).all()

    def guarded(value: str) -> str:
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\r\n")
    writer.writerow(["date", "category", "amount", "description", "currency", "base_amount"])
    for day, category, amount, description, currency, base in stored:
        writer.writerow(
            [
                day.isoformat(),
                guarded(category),
                amount_text(amount, currency),
                guarded(description),
                currency,
                amount_text(base, "USD"),
            ]
        )
    assert csv_text(client, headers) == expected.getvalue()


def test_csv_export_reads_one_snapshot_while_rows_change(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every batch comes from the statement's one snapshot, whatever changes meanwhile."""
    headers = register(client)
    user_id, ledger_id = ledger_of(client, headers, engine)
    for day in range(1, 7):
        add_expense(client, headers, date=f"2026-11-{day:02d}", description=f"row {day}, with a comma")
    before = csv_text(client, headers)
    monkeypatch.setattr(csv_export, "BATCH", 2)
    with Session(engine) as session:
        access = LedgerAccess(user_id=user_id, ledger_id=ledger_id, role="owner", currency="USD")
        chunks = csv_export.export_csv(session, access=access, filters=ExpenseFilter())
        written = [next(chunks), next(chunks)]  # the header and the first batch: the statement is open
        with engine.begin() as conn:
            conn.execute(delete(Expense).where(Expense.date == date(2026, 11, 1)))
            conn.execute(
                update(Expense).where(Expense.date == date(2026, 11, 2)).values(description="changed")
            )
        written += list(chunks)
    assert b"".join(written).decode() == before
    assert "changed" in csv_text(client, headers)
