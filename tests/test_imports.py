"""CSV import: our export round-trips, bank layouts go through a mapping, bad files are refused whole."""

import json
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from app import money
from app.config import settings
from app.models import DailyCategoryTotal, Expense, ExpenseSplit, Ledger, MonthlyTotal, StampedLedger, User
from app.services import expenses, import_guess, imports
from app.services.splits import split_by_weights
from app.services.users import create_personal_ledger
from tests.factories import add_expense, expense_body, register
from tests.test_ledgers import me, shared
from tests.test_totals import cents


def upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes | str,
    mapping: dict[str, Any] | None = None,
    **form: str,
) -> Any:
    data = content.encode() if isinstance(content, str) else content
    fields = {**form, **({"mapping": json.dumps(mapping)} if mapping is not None else {})}
    return client.post(
        "/api/expenses/import", files={"file": ("x.csv", data, "text/csv")}, data=fields, headers=headers
    )


def export(client: TestClient, headers: dict[str, str]) -> str:
    response = client.get("/api/expenses/export.csv", headers=headers)
    assert response.status_code == 200
    return response.text


def all_expenses(client: TestClient, headers: dict[str, str]) -> list[tuple[str, str, float, str]]:
    items = client.get("/api/expenses", params={"limit": 500}, headers=headers).json()["items"]
    return [(e["date"], e["category"], e["amount"], e["description"]) for e in items]


def assert_totals_consistent(engine: Engine) -> None:
    """monthly_totals holds exactly what a scan of the expenses gives, per user, month and category."""
    scanned: dict[tuple[int, str, str], list[int]] = {}
    with engine.connect() as conn:
        for user_id, day, key, amount in conn.execute(
            select(Expense.ledger_id, Expense.date, Expense.category_key, Expense.amount_minor)
        ):
            cell = scanned.setdefault((user_id, day.strftime("%Y-%m"), key), [0, 0])
            cell[0] += 1
            cell[1] += amount
        kept = {
            (user_id, month.strftime("%Y-%m"), key): [count, amount]
            for user_id, month, key, count, amount in conn.execute(
                select(
                    MonthlyTotal.ledger_id,
                    MonthlyTotal.month,
                    MonthlyTotal.category_key,
                    MonthlyTotal.count,
                    MonthlyTotal.amount_minor,
                ).where(MonthlyTotal.count != 0)
            )
        }
    assert kept == scanned
    # And daily_category_totals per ledger, day and category (in base amounts, as the totals sum).
    days = (DailyCategoryTotal.ledger_id, DailyCategoryTotal.day, DailyCategoryTotal.category_key)
    per_day = (Expense.ledger_id, Expense.date, Expense.category_key)
    with engine.connect() as conn:
        kept_days = conn.execute(
            select(*days, DailyCategoryTotal.count, DailyCategoryTotal.amount_minor)
            .where(DailyCategoryTotal.count != 0)
            .order_by(*days)
        ).all()
        scanned_days = conn.execute(
            select(*per_day, func.count(), func.sum(Expense.base_amount_minor))
            .group_by(*per_day)
            .order_by(*per_day)
        ).all()
    assert kept_days == scanned_days


def test_round_trip_of_our_own_export(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-01-31", category="Food", amount="12.50", description="Lunch")
    add_expense(client, headers, date="2026-01-31", category="Food", amount="3", description="Coffee")
    add_expense(client, headers, date="2026-02-01", category="Rent", amount="900", description="=SUM(A1)")
    add_expense(client, headers, date="2025-12-24", category="Gifts", amount="0.01", description='a, "b"\nc')
    add_expense(client, headers, date="2025-12-25", category="-minus", amount="7.10", description="@x")
    # Backslashes before what PostgreSQL's COPY escapes, and its null marker (\N), stay as typed.
    path = r"C:\new\table \N"
    add_expense(client, headers, date="2025-12-26", category="Paths", amount="1", description=path)
    before = export(client, headers)
    assert "'=SUM(A1)" in before
    for expense in client.get("/api/expenses", headers=headers).json()["items"]:
        client.delete(f"/api/expenses/{expense['id']}", headers=headers)

    preview = upload(client, headers, before, dry_run="true")
    assert preview.status_code == 200, preview.text
    assert preview.json()["count"] == 6
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0  # a dry run writes nothing

    response = upload(client, headers, before)
    assert response.status_code == 200, response.text
    assert response.json() | {"columns": None} == {
        "dry_run": False,
        "columns": None,
        "mapping": {
            "date": "date",
            "amount": "amount",
            "debit": None,
            "category": "category",
            "description": "description",
            "currency": "currency",
            "fixed_currency": None,
            "base_amount": "base_amount",
            "date_format": "YYYY-MM-DD",
            "decimal_comma": False,
            "negative_is_expense": False,
            "credits_as_refunds": True,  # our export writes a refund negative
        },
        "count": 6,
        "imported": 6,
        "skipped_duplicates": 0,
        "skipped_income": 0,
        "errors": [],
        "rows": [],
    }
    assert export(client, headers) == before
    assert_totals_consistent(engine)


def test_dry_run_previews_rows_and_every_error_by_line(client: TestClient) -> None:
    headers = register(client)
    content = "date,category,amount,description\n2026-01-02,Food,1.50,ok\n2026-02-30,Food,1,bad day\n\n"
    content += "2026-01-03,Food,abc,bad amount\n2026-01-04,,2,no category\n"
    response = upload(client, headers, content, dry_run="true", default_category="Misc")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "date"), (5, "amount")]
    assert [(r["line"], r["status"], r["category"]) for r in body["rows"]] == [
        (2, "ok", "Food"),
        (3, "error", None),
        (5, "error", None),
        (6, "ok", "Misc"),
    ]
    assert body["rows"][0]["amount"] == 1.5
    # The real import refuses the whole file and writes nothing.
    refused = upload(client, headers, content)
    assert refused.status_code == 422
    assert "line 3" in refused.json()["detail"][0]["msg"]
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_iso_dates_read_as_strptime_reads_them(client: TestClient) -> None:
    """YYYY-MM-DD: digits missing a zero are still read; what date.fromisoformat alone would also
    take (no dashes, a week date) is not."""
    headers = register(client)
    days = ["2026-1-2", " 2026-01-03 ", "20260104", "2026-W02-1", "2026-02-29", "1899-12-31", "2999-12-31"]
    content = "date,category,amount,description\n" + "".join(f"{day},Food,1,\n" for day in days)
    body = upload(client, headers, content, dry_run="true").json()
    assert [(r["line"], r["date"]) for r in body["rows"] if r["status"] == "ok"] == [
        (2, "2026-01-02"),
        (3, "2026-01-03"),
        (8, "2999-12-31"),
    ]
    assert [e["line"] for e in body["errors"]] == [4, 5, 6, 7]


def test_preview_holds_at_most_50_rows(client: TestClient) -> None:
    headers = register(client)
    content = "date,category,amount,description\n" + "".join(f"2026-01-01,Food,{n},\n" for n in range(1, 81))
    body = upload(client, headers, content, dry_run="true").json()
    assert (body["count"], len(body["rows"])) == (80, 50)


BANKS = [
    pytest.param(
        "Buchungstag;Verwendungszweck;Betrag\n31.01.2026;Bäckerei;-3,20\n01.02.2026;Gehalt;2.500,00\n"
        "02.02.2026;Miete;-1.200,00\n",
        {"date": "Buchungstag", "amount": "Betrag", "description": "Verwendungszweck",
         "date_format": "DD.MM.YYYY", "decimal_comma": True, "negative_is_expense": True},
        "latin-1",
        [("2026-02-02", "Bank", 1200, "Miete"), ("2026-01-31", "Bank", 3.2, "Bäckerei")],
        1,
        id="german-semicolon-decimal-comma-latin1",
    ),
    pytest.param(
        "\ufeffDate,Description,Debit,Credit,Type\n01/31/2026,Coffee shop,4.50,,Food\n"
        "02/01/2026,Refund,,10.00,\n02/03/2026,\"Books, used\",\"1,024.99\",,Shopping\n",
        {"date": "Date", "debit": "Debit", "description": "Description", "category": "Type",
         "date_format": "MM/DD/YYYY"},
        "utf-8",
        [("2026-02-03", "Shopping", 1024.99, "Books, used"), ("2026-01-31", "Food", 4.5, "Coffee shop")],
        1,
        id="us-debit-credit-columns-bom",
    ),
    pytest.param(
        "Transaction date,Amount,Memo\n31/01/2026,-12.00,Taxi\n29/02/2028,-1.00,Leap\n"
        "05/02/2026,30.00,Gift\n",
        {"date": "Transaction date", "amount": "Amount", "description": "Memo", "date_format": "DD/MM/YYYY",
         "negative_is_expense": True},
        "utf-8",
        [("2028-02-29", "Bank", 1, "Leap"), ("2026-01-31", "Bank", 12, "Taxi")],
        1,
        id="uk-signed-amounts",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("content", "mapping", "encoding", "expected", "income"), BANKS)
def test_bank_layouts(
    client: TestClient,
    engine: Engine,
    content: str,
    mapping: dict[str, Any],
    encoding: str,
    expected: list[tuple[str, str, float, str]],
    income: int,
) -> None:
    headers = register(client)
    data = content.encode(encoding)
    response = upload(client, headers, data, mapping, default_category="Bank")
    assert response.status_code == 200, response.text
    assert (response.json()["imported"], response.json()["skipped_income"]) == (len(expected), income)
    assert all_expenses(client, headers) == expected
    assert_totals_consistent(engine)


def test_a_dry_run_without_a_mapping_guesses_one_and_previews_with_it(client: TestClient) -> None:
    headers = register(client)
    german = BANKS[0].values[0]
    assert isinstance(german, str)
    body = upload(client, headers, german.encode("latin-1"), dry_run="true").json()
    assert body["columns"] == ["Buchungstag", "Verwendungszweck", "Betrag"]
    assert body["mapping"] == {
        "date": "Buchungstag",
        "amount": "Betrag",
        "debit": None,
        "category": None,
        "description": "Verwendungszweck",
        "currency": None,
        "fixed_currency": None,
        "base_amount": None,
        "date_format": "DD.MM.YYYY",
        "decimal_comma": True,
        "negative_is_expense": True,
        "credits_as_refunds": False,
    }
    assert (body["count"], body["skipped_income"], body["errors"]) == (2, 1, [])
    assert [(r["status"], r["amount"]) for r in body["rows"]] == [("ok", 3.2), ("income", 2500), ("ok", 1200)]
    # A guess is for a person to check: the real import still wants the mapping sent.
    refused = upload(client, headers, german.encode("latin-1"))
    assert refused.status_code == 422
    assert "Map the file" in refused.json()["detail"][0]["msg"]
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_a_sent_mapping_is_used_and_returned_as_it_was(client: TestClient) -> None:
    headers = register(client)
    content, mapping = BANKS[2].values[0], BANKS[2].values[1]
    assert isinstance(content, str)
    assert isinstance(mapping, dict)
    body = upload(client, headers, content, mapping, dry_run="true", default_category="Bank").json()
    assert {key: body["mapping"][key] for key in mapping} == mapping
    assert (body["count"], body["skipped_income"]) == (2, 1)
    own = upload(client, headers, "Date,Category, AMOUNT ,description\n2026-01-01,Food,1,x\n", dry_run="true")
    assert (own.json()["mapping"]["date"], own.json()["mapping"]["amount"]) == ("Date", "AMOUNT")


@pytest.mark.parametrize(
    ("header", "first", "expected"),
    [
        (
            ["\ufeffDate", "Description", "Debit", "Credit", "Type"],
            ["01/31/2026", "Coffee", "4.50", "", "Food"],
            {"date": "\ufeffDate", "amount": None, "debit": "Debit", "category": "Type",
             "description": "Description", "date_format": "MM/DD/YYYY", "negative_is_expense": False},
        ),
        (
            ["Transaction date", "Amount", "Memo"],
            ["05/02/2026", "-12.00", "Taxi"],
            {"date": "Transaction date", "amount": "Amount", "description": "Memo",
             "date_format": "DD/MM/YYYY", "decimal_comma": False, "negative_is_expense": True},
        ),
        # Names that say nothing: the first two columns, for the preview to show what to change.
        (["a", "b", "c"], ["1", "2", "3"], {"date": "a", "amount": "b", "category": None,
                                             "description": None}),
        (["", " ", "x" * 201, "only"], [], {"date": "only", "amount": "only", "date_format": "YYYY-MM-DD"}),
    ],
)  # fmt: skip
def test_guessed_mappings(header: list[str], first: list[str], expected: dict[str, Any]) -> None:
    guess = import_guess.guess_mapping(header, first)
    assert guess is not None
    assert {key: getattr(guess, key) for key in expected} == expected


def test_a_header_without_names_cannot_be_guessed(client: TestClient) -> None:
    assert import_guess.guess_mapping(["", "  "], ["1", "2"]) is None
    response = upload(client, register(client), ",\n1,2\n", dry_run="true")
    assert response.status_code == 422
    assert "Map the file" in response.json()["detail"][0]["msg"]


def test_a_guessed_dry_run_of_an_unknown_layout_shows_errors_not_a_failure(client: TestClient) -> None:
    body = upload(client, register(client), "a,b,c\n1,2,3\n", dry_run="true").json()
    assert (body["mapping"]["date"], body["mapping"]["amount"]) == ("a", "b")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "date")]


def test_duplicates_are_skipped_unless_kept(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-01-05", category="Food", amount="12.50", description="Lunch")
    content = "date,category,amount,description\n2026-01-05,FOOD,12.50,Lunch\n2026-01-05,Food,12.50,Dinner\n"
    first = upload(client, headers, content).json()
    assert (first["imported"], first["skipped_duplicates"]) == (1, 1)
    again = upload(client, headers, content).json()
    assert (again["imported"], again["skipped_duplicates"]) == (0, 2)
    kept = upload(client, headers, content, keep_duplicates="true").json()
    assert (kept["imported"], kept["skipped_duplicates"]) == (2, 0)
    assert client.get("/api/expenses", headers=headers).json()["total"] == 4


def test_other_users_expenses_are_not_duplicates(client: TestClient) -> None:
    headers, other = register(client), register(client)
    add_expense(client, other, date="2026-01-05", category="Food", amount="12.50", description="Lunch")
    body = upload(client, headers, "date,category,amount,description\n2026-01-05,Food,12.50,Lunch\n").json()
    assert (body["imported"], body["skipped_duplicates"]) == (1, 0)
    assert client.get("/api/expenses", headers=other).json()["total"] == 1


def test_imported_categories_follow_the_first_spelling(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, category="Groceries")
    upload(client, headers, "date,category,amount,description\n2026-01-05,GROCERIES,1,\n2026-01-06,pets,1,\n")
    categories = [c["category"] for c in client.get("/api/categories", headers=headers).json()]
    assert categories == ["Groceries", "pets"]


@pytest.mark.parametrize(
    ("content", "mapping", "status", "message"),
    [
        (b"", None, 422, "empty"),
        (b"   \n", None, 422, "empty"),
        (b"date,category,amount,description\n", None, 422, "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, 422, "binary"),
        ("date,category,amount,description\n2026-01-01,Food,1,x\n".encode("utf-16"), None, 422, "UTF-16"),
        (b"a,b,c\n1,2,3\n", None, 422, "Map the file"),
        (b"a,b,c\n1,2,3\n", {"date": "a", "amount": "nope"}, 422, "no column 'nope'"),
        (b"a,b,c\n1,2,3\n", {"date": "a"}, 422, "exactly one of amount and debit"),
        (b"a,b,c\n1,2,3\n", {"date": "a", "amount": "b", "date_format": "YYYY"}, 422, "date_format"),
        (b"date,category,amount,description\n2026-13-01,Food,1,x\n", None, 422, "not a date"),
        (b"date,category,amount,description\n1899-12-31,Food,1,x\n", None, 422, "1900"),
        (b"date,category,amount,description\n2026-01-01,Food,1.234,x\n", None, 422, "two decimal places"),
        # Our own header takes a negative amount as a refund (tests/test_refunds.py); a mapping does not.
        (b"Day,What,Sum\n2026-01-01,Food,-5\n", {"date": "Day", "amount": "Sum"}, 422, "negative"),
        (b"date,category,amount,description\n2026-01-01,Food,0,x\n", None, 422, "greater than 0"),
        (b"date,category,amount,description\n2026-01-01,Food,NaN,x\n", None, 422, "not an amount"),
        (b"date,category,amount,description\n2026-01-01,Food,1e3,x\n", None, 422, "not an amount"),
        (b"date,category,amount,description\n2026-01-01,Food,1,\x07bell\n", None, 422, "control"),
        (b"date,category,amount,description\n2026-01-01," + b"x" * 41 + b",1,\n", None, 422, "40"),
        (
            b'date,category,amount,description\n2026-01-01,Food,1,"unclosed\n',
            None,
            422,
            "line 3 cannot be read",
        ),
    ],
)
def test_bad_files_are_refused_whole(
    client: TestClient, content: bytes, mapping: dict[str, Any] | None, status: int, message: str
) -> None:
    headers = register(client)
    good = b"date,category,amount,description\n2026-01-01,Food,1,fine\n"
    # A good row first: all or nothing means it is not written either.
    data_rows = content.startswith(b"date,") and content.count(b"\n") > 1
    body = good + content.split(b"\n", 1)[1] if data_rows else content
    response = upload(client, headers, body, mapping)
    assert response.status_code == status, response.text
    assert message in json.dumps(response.json()["detail"]), response.text
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_wrong_encoding_when_utf8_is_asked_for(client: TestClient) -> None:
    headers = register(client)
    content = "date,category,amount,description\n2026-01-01,Café,1,\n".encode("latin-1")
    response = upload(client, headers, content, encoding="utf-8")
    assert response.status_code == 422
    assert "Line 2 is not valid UTF-8" in response.json()["detail"][0]["msg"]
    assert upload(client, headers, content).json()["imported"] == 1  # auto falls back to Latin-1
    assert all_expenses(client, headers)[0][1] == "Café"


def test_too_large_is_413(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = register(client)
    row = "2026-01-01,Food,1,padding padding padding\n"
    content = "date,category,amount,description\n" + row * (settings.max_import_bytes // len(row) + 1)
    response = upload(client, headers, content)
    assert response.status_code == 413
    assert "5 MB" in response.json()["detail"]
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_too_many_rows_is_422(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = register(client)
    content = "date,category,amount,description\n" + "2026-01-01,F,1,\n" * (imports.MAX_ROWS + 1)
    assert len(content) < settings.max_import_bytes
    response = upload(client, headers, content)
    assert response.status_code == 422
    assert "more than 50,000 rows" in response.json()["detail"][0]["msg"]
    assert client.get("/api/expenses", headers=headers).json()["total"] == 0


def test_fifty_thousand_rows_import(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    content = "date,category,amount,description\n" + "".join(
        f"2026-{m:02d}-{d:02d},C{d % 3},{d}.{m:02d},\n" for m in range(1, 13) for d in range(1, 29)
    ) * (imports.MAX_ROWS // (12 * 28))
    body = upload(client, headers, content, keep_duplicates="true").json()
    assert body["imported"] == content.count("\n") - 1
    assert_totals_consistent(engine)


def test_import_needs_a_login_and_a_file(client: TestClient) -> None:
    assert upload(client, {}, "date,category,amount,description\n").status_code == 401
    headers = register(client)
    assert client.post("/api/expenses/import", headers=headers).status_code == 422
    bad_mapping = client.post(
        "/api/expenses/import",
        files={"file": ("x.csv", b"a\n1\n", "text/csv")},
        data={"mapping": "{not json"},
        headers=headers,
    )
    assert bad_mapping.status_code == 422
    assert upload(client, headers, "x", default_category="").status_code == 422
    assert client.get("/api/expenses/import", headers=headers).status_code == 405


def test_import_form_errors_name_the_field(client: TestClient) -> None:
    headers = register(client)
    missing = client.post("/api/expenses/import", headers=headers)
    assert [error["loc"] for error in missing.json()["detail"]] == [["body", "file"]]
    # A text field where the file belongs is a bad form, not a crash.
    text = client.post("/api/expenses/import", data={"file": "date,category,amount\n"}, headers=headers)
    assert (text.status_code, [error["loc"] for error in text.json()["detail"]]) == (422, [["body", "file"]])
    bad_flag = upload(client, headers, "date,category,amount,description\n", dry_run="maybe")
    assert [error["loc"] for error in bad_flag.json()["detail"]] == [["body", "dry_run"]]


def test_amounts_sum_exactly_after_import(client: TestClient) -> None:
    headers = register(client)
    content = "date,category,amount,description\n" + "2026-01-01,Food,0.10,\n" * 10
    upload(client, headers, content, keep_duplicates="true")
    page = client.get("/api/expenses", params={"start": "2026-01-01", "end": "2026-01-31"}, headers=headers)
    assert cents(page.json()["total_amount"]) == 100


def stamps(engine: Engine) -> int:
    """How many versions the database has given out (app.models.VERSION_DDL's counter)."""
    query = (
        "SELECT last FROM ledger_versions"
        if engine.dialect.name == "sqlite"
        else "SELECT last_value FROM ledger_versions"
    )
    with engine.connect() as conn:
        return int(conn.scalar(text(query)))


def test_an_import_stamps_its_ledger_once_and_splits_as_before(client: TestClient, engine: Engine) -> None:
    """However many rows and split parts (here 40 rows, 80 parts, past a chunk of the multi-row
    inserts), the ledger gets one new version, which no state had; the balances are the parts."""
    ledger_id, owner, (editor,) = shared(client, "editor")
    rows = [(f"2026-03-{1 + n % 28:02d}", n + 1) for n in range(40)]  # even amounts: halves exact
    content = "date,category,amount,description\n" + "".join(f"{d},Food,{a}.00,row {a}\n" for d, a in rows)
    before = stamps(engine)
    response = client.post(
        f"/api/expenses/import?ledger={ledger_id}",
        files={"file": ("x.csv", content.encode(), "text/csv")},
        headers=owner,
    )
    assert response.json()["imported"] == 40, response.text
    assert stamps(engine) == before + 1
    with engine.connect() as conn:
        assert conn.scalar(select(Ledger.version).where(Ledger.id == ledger_id)) == before + 1
        assert conn.scalar(select(func.count()).select_from(StampedLedger)) == 0
    spent = sum(a for _, a in rows) * 100
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()["members"]
    assert sorted(member["balance"] for member in balances) == [-spent / 200, spent / 200]
    # The next write stamps it again: nothing was left held.
    add_expense(client, editor, amount="1")  # the editor's own ledger
    client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(), headers=editor)
    with engine.connect() as conn:
        assert conn.scalar(select(Ledger.version).where(Ledger.id == ledger_id)) == stamps(engine)


def test_rows_alike_within_a_file_are_all_imported(client: TestClient) -> None:
    """A file's rows are judged against the ledger only, never against each other (two coffees
    the same day are two expenses); imported again, every one of them is a duplicate."""
    headers = register(client)
    content = "date,category,amount,description\n" + "2026-01-05,Food,3.40,Coffee\n" * 2
    first = upload(client, headers, content).json()
    assert (first["imported"], first["skipped_duplicates"]) == (2, 0)
    again = upload(client, headers, content).json()
    assert (again["imported"], again["skipped_duplicates"]) == (0, 2)


@pytest.mark.parametrize("days_a_query", [1, 16])
def test_duplicates_match_every_field_across_chunks(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, days_a_query: int
) -> None:
    """Date, amount, currency, description and the category in any case: a row differing in any one
    is imported. Days and amounts asked for a few at a time find every match."""
    monkeypatch.setattr(imports, "AMOUNTS_A_QUERY", 2)
    monkeypatch.setattr(imports, "DAYS_A_QUERY", days_a_query)
    headers = register(client)
    for amount in ("1", "2", "3", "4", "5"):
        add_expense(client, headers, date="2026-01-05", category="Food", amount=amount, description="x")
    euros = {"currency": "EUR", "rate": "1.1"}
    add_expense(client, headers, date="2026-01-05", category="Food", amount="9", description="x", **euros)
    content = (
        "date,category,amount,description,currency,base_amount\n"
        "2026-01-05,food,1,x,USD,\n2026-01-05,FOOD,3,x,,\n2026-01-05,Food,5,x,USD,\n2026-01-05,Food,9,x,EUR,9.90\n"
        "2026-01-05,Food,2,y,USD,\n2026-01-06,Food,2,x,USD,\n2026-01-05,Food,2,x,EUR,2.20\n"
        "2026-01-05,Food,6,x,USD,\n2026-01-05,Fuel,4,x,USD,\n"
    )
    body = upload(client, headers, content, dry_run="true").json()
    assert body["skipped_duplicates"] == 4, body
    assert [row["line"] for row in body["rows"] if row["status"] == "duplicate"] == [2, 3, 4, 5]
    body = upload(client, headers, content).json()
    assert (body["imported"], body["skipped_duplicates"]) == (5, 4)


def test_another_ledgers_expenses_are_not_duplicates(client: TestClient) -> None:
    """The importer's own expense in their personal ledger does not make a row for their shared
    ledger a duplicate."""
    ledger_id, owner, _ = shared(client)
    add_expense(client, owner, date="2026-01-05", category="Food", amount="12.50", description="Lunch")
    response = client.post(
        f"/api/expenses/import?ledger={ledger_id}",
        files={
            "file": ("x.csv", b"date,category,amount,description\n2026-01-05,Food,12.50,Lunch\n", "text/csv")
        },
        headers=owner,
    )
    assert (response.json()["imported"], response.json()["skipped_duplicates"]) == (1, 0)


def test_an_import_into_a_shared_ledger_stores_each_row_with_its_own_parts(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows sent a few at a time (BATCH 4, so three batches), split 1:2 by shares, refunds among
    them: each stored expense is its row (ids in the order written: the file from the bottom up),
    its parts are its own and add up to it, the totals and balances are exact, and the ledger gets
    one new version."""
    monkeypatch.setattr(expenses, "BATCH", 4)
    ledger_id, owner, (editor,) = shared(client, "editor")
    owner_id, editor_id = me(client, owner), me(client, editor)
    rows = [(f"2026-0{1 + n % 3}-{1 + n:02d}", (-1 if n % 4 == 3 else 1) * (100 + 7 * n)) for n in range(11)]
    content = "date,category,amount,description\n" + "".join(
        f"{day},Food,{amount / 100:.2f},row {n}\n" for n, (day, amount) in enumerate(rows)
    )
    before = stamps(engine)
    split = json.dumps([{"user_id": owner_id, "shares": 1}, {"user_id": editor_id, "shares": 2}])
    response = client.post(
        f"/api/expenses/import?ledger={ledger_id}",
        files={"file": ("x.csv", content.encode(), "text/csv")},
        data={"split": split},
        headers=owner,
    )
    assert response.json()["imported"] == 11, response.text
    assert stamps(engine) == before + 1
    with engine.connect() as conn:
        stored = conn.execute(
            select(Expense.id, Expense.date, Expense.amount_minor, Expense.description)
            .where(Expense.ledger_id == ledger_id)
            .order_by(Expense.id)
        ).all()
        parts: dict[int, dict[int, int]] = {}
        for expense_id, user_id, cents in conn.execute(
            select(ExpenseSplit.expense_id, ExpenseSplit.user_id, ExpenseSplit.amount_minor)
        ):
            parts.setdefault(expense_id, {})[user_id] = cents
    written = [(day, amount, f"row {n}") for n, (day, amount) in reversed(list(enumerate(rows)))]
    assert [(str(day), cents, text) for _, day, cents, text in stored] == written
    for expense_id, _, cents, _ in stored:
        third = split_by_weights(cents, {owner_id: 1, editor_id: 2})
        assert parts[expense_id] == third
    assert_totals_consistent(engine)
    spent = sum(amount for _, amount in rows)
    editors_part = sum(split_by_weights(amount, {owner_id: 1, editor_id: 2})[editor_id] for _, amount in rows)
    balances = client.get(f"/api/ledgers/{ledger_id}/balances", headers=owner).json()["members"]
    assert {m["user_id"]: round(m["balance"] * 100) for m in balances} == {
        owner_id: spent - (spent - editors_part),
        editor_id: -editors_part,
    }
    again = upload(client, owner, content, ledger=str(ledger_id))
    assert again.json()["imported"] == 11  # (the personal ledger: not a duplicate of the shared one)


def test_add_expenses_gives_each_expense_its_own_id(engine: Engine) -> None:
    """Many expenses at once (past a batch): each one returned carries the id of its stored row, and
    its parts name that id."""
    with Session(engine, expire_on_commit=False) as session:
        user = User(email="ids@example.com", password_hash="x")
        session.add(user)
        session.flush()
        ledger_id = create_personal_ledger(session, user)
        many = [
            Expense(
                user_id=user.id,
                date=date(2026, 1, 1 + n % 28),
                category="Food",
                category_key="food",
                amount_minor=1000 + n,
                currency="USD",
                description=f"expense {n}",
            )
            for n in range(9)
        ]
        added = expenses.add_expenses(session, ledger_id, many, by=user.id)
        session.commit()
        assert added == many
        with engine.connect() as conn:
            stored = {
                row.id: row.description for row in conn.execute(select(Expense.id, Expense.description))
            }
        assert {expense.id: expense.description for expense in added} == stored
        assert [part.expense_id for expense in added for part in expense.splits] == [e.id for e in added]


def test_a_dry_run_refuses_what_the_import_would_a_ledger_that_holds_too_much(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(money, "MAX_LEDGER_UNITS", 100)  # the bound, at a size a test can fill
    headers = register(client)
    add_expense(client, headers, amount="60")
    too_much = "date,category,amount,description\n2026-01-02,Food,30,a\n2026-01-03,Food,10.01,b\n"
    for dry_run in ("true", "false"):
        response = upload(client, headers, too_much, dry_run=dry_run)
        assert response.status_code == 422, (dry_run, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "file"]
        assert "This ledger's expenses would add up to more than" in response.json()["detail"][0]["msg"]
    to_the_brim = "date,category,amount,description\n2026-01-02,Food,30,a\n2026-01-03,Food,10,b\n"
    assert upload(client, headers, to_the_brim, dry_run="true").json()["count"] == 2
    assert client.get("/api/expenses", headers=headers).json()["total"] == 1  # a dry run writes nothing
    assert upload(client, headers, to_the_brim).json()["imported"] == 2
