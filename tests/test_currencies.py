"""Expenses in other currencies: amounts per currency, the rate fixed on save, base amounts in totals.

The rates come from a small ECB history installed in the test's data directory, so the numbers
below are the file's, worked out by hand (or with Decimal in the test).
"""

from datetime import date
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app import rates
from app.config import settings
from app.models import Expense, ExpenseSplit, MonthlyTotal
from app.schemas.expenses import ExpensePage
from app.services.conversion import base_minor
from tests.factories import add_budget, expense_body, refused, register
from tests.test_ledgers import invite, join, new_ledger

# Mon 2 March is the first publication, Fri 6 March the newest.
HISTORY = "Date,USD,JPY,\n2026-03-06,1.1000,160.00,\n2026-03-05,1.2000,161.00,\n2026-03-02,1.2500,150.00,\n"


@pytest.fixture(autouse=True)
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "data_dir", tmp_path)
    rates.install(HISTORY.encode())


def euro_ledger(client: TestClient) -> dict[str, str]:
    headers = register(client)
    assert client.patch("/api/me", json={"currency": "EUR"}, headers=headers).status_code == 200
    return headers


def post(client: TestClient, headers: dict[str, str], **fields: Any) -> Any:
    return client.post("/api/expenses", json=expense_body(**fields), headers=headers)


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Expense)) or 0)


def test_an_expense_in_the_ledgers_currency_has_rate_1(client: TestClient) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, amount="12.50").json()
    assert {
        k: created[k] for k in ("amount", "currency", "rate", "rate_source", "rate_date", "base_amount")
    } == {
        "amount": 12.5,
        "currency": "EUR",
        "rate": "1",
        "rate_source": "same",
        "rate_date": None,
        "base_amount": 12.5,
    }


def test_a_weekend_takes_the_fridays_rate(client: TestClient) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, date="2026-03-07", amount=1200, currency="jpy").json()
    # 1 / 160 = 0.00625 euro per yen; 1200 yen = 7.50 euro.
    assert created["amount"] == 1200
    assert created["currency"] == "JPY"
    assert created["rate"] == "0.00625"
    assert created["rate_source"] == "ecb"
    assert created["rate_date"] == "2026-03-06"
    assert created["base_amount"] == 7.5
    assert created["split"][0]["amount"] == 1200
    assert created["split"][0]["base_amount"] == 7.5


def test_base_amounts_round_half_up(client: TestClient) -> None:
    headers = euro_ledger(client)
    # 4 yen x 0.00625 = 0.025 exactly: half up gives 0.03 (half even would give 0.02).
    assert post(client, headers, date="2026-03-06", amount=4, currency="JPY").json()["base_amount"] == 0.03
    # A manual rate: 0.25 x 0.1 = 0.025 -> 0.03.
    manual = post(client, headers, amount="0.25", currency="USD", rate="0.1").json()
    assert manual["base_amount"] == 0.03
    assert manual["rate_source"] == "manual"
    assert manual["rate"] == "0.1"


@pytest.mark.parametrize(
    ("minor", "currency", "rate", "ledger", "base"),
    [
        (4, "JPY", "0.00625", "EUR", 3),  # 0.025 exactly: half a cent, up
        (4, "JPY", "0.0062499999999", "EUR", 2),  # 0.0249999999996: just under half, down
        (25, "USD", "0.1", "EUR", 3),  # 0.025
        (25, "USD", "0.09999999996", "EUR", 2),  # 0.024999999990
        (15, "EUR", "0.1", "JPY", 0),  # 0.015 yen: far under half a yen
        (5, "EUR", "10", "JPY", 1),  # 0.5 yen, up
        (5, "EUR", "9.99999999998", "JPY", 0),  # 0.499999999999 yen, down
        (1235, "USD", "1", "KWD", 12350),  # whole dinars' thousandths, nothing to round
        (1, "EUR", "0.0005", "KWD", 0),  # 0.000005 dinar: under half a fil
        (1, "EUR", "0.05", "KWD", 1),  # 0.0005 dinar: half a fil, up
        (123456789012345, "USD", "0.5", "EUR", 61728394506173),  # 617283945061.725: up, not to even
    ],
)
def test_a_base_amount_rounds_half_up_to_the_ledgers_minor_unit(
    minor: int, currency: str, rate: str, ledger: str, base: int
) -> None:
    assert base_minor(minor, currency, Decimal(rate), ledger) == base


def test_a_base_amount_just_under_half_a_cent_rounds_down(client: TestClient) -> None:
    headers = euro_ledger(client)
    under = post(client, headers, amount="0.25", currency="USD", rate="0.09999999996").json()
    assert (under["base_amount"], under["rate"]) == (0.02, "0.09999999996")
    half = post(client, headers, amount="0.25", currency="USD", rate="0.1").json()
    assert half["base_amount"] == 0.03


def test_a_date_after_the_newest_rate_takes_the_newest(client: TestClient) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, date="2026-11-10", amount=160, currency="JPY").json()
    assert created["rate_date"] == "2026-03-06"
    assert created["base_amount"] == 1


def test_a_currencys_first_day_has_a_rate_and_the_day_before_none(client: TestClient, engine: Engine) -> None:
    headers = euro_ledger(client)
    first = post(client, headers, date="2026-03-02", amount=150, currency="JPY").json()
    assert (first["rate_date"], first["base_amount"]) == ("2026-03-02", 1)
    before = post(client, headers, date="2026-03-01", amount=150, currency="JPY")
    assert refused(before) == ["body.currency"]
    assert "No ECB rate is known for JPY to EUR on 2026-03-01" in before.json()["detail"][0]["msg"]
    assert "give a rate" in before.json()["detail"][0]["msg"]
    assert count(engine) == 1


def test_yen_have_no_decimals(client: TestClient, engine: Engine) -> None:
    headers = euro_ledger(client)
    response = post(client, headers, date="2026-03-06", amount=12.5, currency="JPY")
    assert refused(response) == ["body.amount"]
    assert "JPY has no decimals" in response.json()["detail"][0]["msg"]
    assert count(engine) == 0


def test_dinars_have_three_decimals_and_need_a_rate(client: TestClient, engine: Engine) -> None:
    headers = euro_ledger(client)
    assert refused(post(client, headers, amount="1.234", currency="KWD")) == ["body.currency"]
    assert refused(post(client, headers, amount="1.2345", currency="KWD")) == ["body.amount"]
    assert count(engine) == 0
    created = post(client, headers, amount="1.234", currency="KWD", rate="3.25").json()
    # 1.234 x 3.25 = 4.0105 -> 4.01
    assert (created["amount"], created["base_amount"], created["rate_source"]) == (1.234, 4.01, "manual")
    assert client.get(f"/api/expenses/{created['id']}", headers=headers).json()["amount"] == 1.234


def test_a_cross_rate_goes_through_the_euro(client: TestClient) -> None:
    headers = register(client)  # a USD ledger
    created = post(client, headers, date="2026-03-05", amount=10000, currency="JPY").json()
    expected = Context(prec=15).divide(Decimal("1.2000"), Decimal("161.00"))
    assert Decimal(created["rate"]) == expected
    assert len(expected.as_tuple().digits) == 15
    base = (10000 * expected).quantize(Decimal("0.01"))  # 74.5341614906832 -> 74.53
    assert Decimal(str(created["base_amount"])) == base


def test_an_unknown_currency_is_refused(client: TestClient, engine: Engine) -> None:
    headers = register(client)
    for code in ("ABC", "XAU", "EURO", "12"):
        assert refused(post(client, headers, currency=code)) == ["body.currency"]
    assert count(engine) == 0


@pytest.mark.parametrize(
    "rate", [0, "0", -1, "-1", "1e3", "0.0000000001", 10_000_000_000, "1.2345678901234", "abc", True]
)
def test_a_bad_manual_rate_is_refused_and_nothing_stored(
    client: TestClient, engine: Engine, rate: Any
) -> None:
    headers = euro_ledger(client)
    assert refused(post(client, headers, currency="USD", rate=rate)) == ["body.rate"]
    assert count(engine) == 0


def test_a_rate_for_the_ledgers_own_currency_is_refused(client: TestClient) -> None:
    headers = euro_ledger(client)
    assert refused(post(client, headers, currency="EUR", rate="2")) == ["body.rate"]


def test_a_new_date_looks_the_rate_up_again_and_a_new_amount_keeps_it(client: TestClient) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, date="2026-03-05", amount=161, currency="JPY").json()
    assert (created["rate_date"], created["base_amount"]) == ("2026-03-05", 1)
    url = f"/api/expenses/{created['id']}"
    moved = client.patch(url, json={"date": "2026-03-06", "amount": 320}, headers=headers).json()
    assert (moved["rate"], moved["rate_date"], moved["base_amount"]) == ("0.00625", "2026-03-06", 2)
    # The rate stays fixed, even if a newer history would give another.
    rates.install(HISTORY.replace("160.00", "100.00").encode())
    kept = client.patch(url, json={"amount": 640}, headers=headers).json()
    assert (kept["rate"], kept["rate_date"], kept["base_amount"]) == ("0.00625", "2026-03-06", 4)
    assert kept["split"][0]["base_amount"] == 4
    manual = client.patch(url, json={"rate": "0.01"}, headers=headers).json()
    assert (manual["rate"], manual["rate_source"], manual["rate_date"], manual["base_amount"]) == (
        "0.01",
        "manual",
        None,
        6.4,
    )
    back = client.patch(url, json={"currency": "EUR", "amount": "3.50"}, headers=headers).json()
    assert (back["rate"], back["rate_source"], back["base_amount"]) == ("1", "same", 3.5)


def test_a_patch_that_fails_stores_nothing(client: TestClient, engine: Engine) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, date="2026-03-05", amount=161, currency="JPY").json()
    url = f"/api/expenses/{created['id']}"
    assert refused(client.patch(url, json={"date": "2026-03-01"}, headers=headers)) == ["body.currency"]
    assert refused(client.patch(url, json={"amount": 1.5}, headers=headers)) == ["body.amount"]
    assert refused(client.patch(url, json={"currency": "KWD"}, headers=headers)) == ["body.currency"]
    assert client.get(url, headers=headers).json() == created
    with engine.connect() as conn:
        assert conn.scalar(select(MonthlyTotal.amount_minor)) == 100


def test_every_total_sums_base_amounts(client: TestClient, engine: Engine) -> None:
    headers = euro_ledger(client)
    post(client, headers, date="2026-03-06", amount=1600, currency="JPY")  # 10.00 EUR
    post(client, headers, date="2026-03-06", amount="2.50")  # 2.50 EUR
    add_budget(client, headers, "Food", 20)
    page = client.get("/api/expenses", headers=headers).json()
    assert page["total_amount"] == 12.5
    searched = client.get("/api/expenses?q=Lunch", headers=headers).json()
    assert searched["total_amount"] == 12.5
    summary = client.get("/api/summary?month=2026-03", headers=headers).json()
    assert summary["total_spent"] == 12.5
    stats = client.get("/api/stats?start=2026-03-01&end=2026-03-31", headers=headers).json()
    assert stats["total"] == 12.5
    part = client.get("/api/stats?start=2026-03-06&end=2026-03-06", headers=headers).json()
    assert part["total"] == 12.5
    with engine.connect() as conn:
        assert conn.scalar(select(func.sum(ExpenseSplit.base_amount_minor))) == 1250
        assert conn.scalar(select(MonthlyTotal.amount_minor)) == 1250


def test_balances_are_in_the_ledgers_currency(client: TestClient) -> None:
    owner = euro_ledger(client)
    ledger = new_ledger(client, owner, currency="EUR")
    join(client, register(client), invite(client, owner, ledger["id"]))
    body = expense_body(date="2026-03-06", amount=1601, currency="JPY")
    created = client.post(f"/api/expenses?ledger={ledger['id']}", json=body, headers=owner).json()
    # 1601 yen = 10.00625 -> 10.01 euro; equal shares: 801 and 800 yen, 5.01 and 5.00 euro.
    assert created["base_amount"] == 10.01
    assert sorted(p["amount"] for p in created["split"]) == [800, 801]
    assert sorted(p["base_amount"] for p in created["split"]) == [5, 5.01]
    balances = client.get(f"/api/ledgers/{ledger['id']}/balances", headers=owner).json()
    assert balances["currency"] == "EUR"
    assert sorted(m["balance"] for m in balances["members"]) == [-5, 5]


def test_exact_split_amounts_are_in_the_expenses_currency(client: TestClient) -> None:
    headers = euro_ledger(client)
    me = client.get("/api/me", headers=headers).json()["id"]
    body = {
        "date": "2026-03-06",
        "amount": 1600,
        "currency": "JPY",
        "split": [{"user_id": me, "amount": 1600}],
    }
    created = post(client, headers, **body).json()
    assert created["split"] == [{"user_id": me, "shares": None, "amount": 1600, "base_amount": 10}]
    bad = post(client, headers, **{**body, "split": [{"user_id": me, "amount": 1599.5}]})
    assert refused(bad) == ["body.split.0.amount"]
    assert date(2026, 3, 6).weekday() == 4  # the fixture's newest day is a Friday


def test_a_ledgers_currency_changes_only_when_every_expense_is_in_the_new_one(
    client: TestClient, engine: Engine
) -> None:
    headers = euro_ledger(client)
    created = post(client, headers, date="2026-03-06", amount=1600, currency="JPY").json()
    mine = post(client, headers, date="2026-03-06", amount="2.50").json()
    conflict = client.patch("/api/me", json={"currency": "JPY"}, headers=headers)
    assert conflict.status_code == 409
    assert "expenses in EUR" in conflict.json()["detail"]
    assert client.get("/api/me", headers=headers).json()["currency"] == "EUR"
    client.delete(f"/api/expenses/{mine['id']}", headers=headers)
    assert client.patch("/api/me", json={"currency": "jpy"}, headers=headers).status_code == 200
    # The yen expense is now in the ledger's currency: rate 1, base amount = amount.
    now = client.get(f"/api/expenses/{created['id']}", headers=headers).json()
    assert (now["rate"], now["rate_source"], now["rate_date"]) == ("1", "same", None)
    assert now["base_amount"] == 1600
    assert now["split"][0]["base_amount"] == 1600
    assert client.get("/api/expenses", headers=headers).json()["total_amount"] == 1600
    with engine.connect() as conn:  # whole yen: the ledger's minor unit
        assert conn.scalar(select(MonthlyTotal.amount_minor)) == 1600
        assert conn.scalar(select(Expense.amount_minor)) == 1600


def test_a_ledger_with_settlements_keeps_its_currency(client: TestClient) -> None:
    owner = euro_ledger(client)
    ledger = new_ledger(client, owner, currency="EUR")
    friend = register(client)
    join(client, friend, invite(client, owner, ledger["id"]))
    ids = [client.get("/api/me", headers=h).json()["id"] for h in (owner, friend)]
    body = {"from_user_id": ids[0], "to_user_id": ids[1], "amount": 5, "date": "2026-03-06"}
    settled = client.post(f"/api/ledgers/{ledger['id']}/settlements", json=body, headers=owner)
    assert settled.status_code == 201, settled.text
    conflict = client.patch(f"/api/ledgers/{ledger['id']}", json={"currency": "USD"}, headers=owner)
    assert conflict.status_code == 409
    assert "settlements in EUR" in conflict.json()["detail"]
    assert refused(client.patch(f"/api/ledgers/{ledger['id']}", json={"currency": "XYZ"}, headers=owner)) == [
        "body.currency"
    ]


def upload(client: TestClient, headers: dict[str, str], text: str, **form: str) -> Any:
    files = {"file": ("x.csv", text.encode(), "text/csv")}
    return client.post("/api/expenses/import", files=files, data=form, headers=headers)


def test_our_export_re_imports_currency_amount_and_base_amount_exactly(client: TestClient) -> None:
    headers = euro_ledger(client)
    post(client, headers, date="2026-03-06", amount=1600, currency="JPY", description="ecb")
    post(client, headers, date="2026-03-06", amount="1.234", currency="KWD", rate="3.25", description="kwd")
    post(client, headers, date="2026-03-06", amount="2.50", description="same")
    before = client.get("/api/expenses/export.csv", headers=headers).text
    assert before.splitlines()[0] == "date,category,amount,description,currency,base_amount"
    assert "2026-03-06,Food,1600,ecb,JPY,10.00" in before
    assert "2026-03-06,Food,1.234,kwd,KWD,4.01" in before
    items = client.get("/api/expenses", headers=headers).json()["items"]
    assert upload(client, headers, before).json()["skipped_duplicates"] == 3  # currency compared too
    for expense in items:
        client.delete(f"/api/expenses/{expense['id']}", headers=headers)
    assert upload(client, headers, before).status_code == 200
    assert client.get("/api/expenses/export.csv", headers=headers).text == before
    again = {e["description"]: e for e in client.get("/api/expenses", headers=headers).json()["items"]}
    assert (again["ecb"]["rate_source"], again["ecb"]["rate"]) == ("ecb", "0.00625")
    # 4.01 / 1.234: a manual rate that gives the file's base amount back.
    assert (again["kwd"]["rate_source"], again["kwd"]["base_amount"]) == ("manual", 4.01)
    assert again["kwd"]["rate"] == str(Context(prec=15).divide(Decimal("4.01"), Decimal("1.234")))
    assert again["same"]["rate_source"] == "same"


def test_a_bank_file_in_another_currency_is_looked_up(client: TestClient) -> None:
    headers = euro_ledger(client)
    text = "Day,Amount,Currency\n2026-03-06,1600,\n2026-03-06,11,usd\n"
    mapping = '{"date": "Day", "amount": "Amount", "currency": "Currency", "fixed_currency": "JPY"}'
    preview = upload(client, headers, text, mapping=mapping, dry_run="true").json()
    assert [(r["amount"], r["currency"], r["base_amount"]) for r in preview["rows"]] == [
        (1600, "JPY", 10),
        (11, "USD", 10),
    ]
    bad = upload(
        client,
        headers,
        "Day,Amount,Currency\n2026-03-01,1600,\n2026-03-06,12.5,\n",
        mapping=mapping,
        dry_run="true",
    )
    errors = bad.json()["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(2, "currency"), (3, "amount")]
    assert "No ECB rate is known for JPY" in errors[0]["message"]
    assert "JPY has no decimals" in errors[1]["message"]
    unknown = upload(
        client, headers, "Day,Amount,Currency\n2026-03-06,1,ABC\n", mapping=mapping, dry_run="true"
    )
    assert unknown.json()["errors"][0]["column"] == "currency"
    assert upload(client, headers, text, mapping=mapping).json()["imported"] == 2
    assert client.get("/api/expenses", headers=headers).json()["total_amount"] == 20


def test_a_recurring_expense_in_another_currency_prices_each_occurrence_on_its_date(
    client: TestClient, today: date
) -> None:
    headers = euro_ledger(client)
    body = {
        "category": "Rent",
        "amount": 1600,
        "currency": "JPY",
        "frequency": "weekly",
        "start_date": "2026-03-02",
    }
    assert refused(client.post("/api/recurring", json={**body, "amount": 12.5}, headers=headers)) == [
        "body.amount"
    ]
    early = {**body, "start_date": "2026-03-01"}
    assert refused(client.post("/api/recurring", json=early, headers=headers)) == ["body.currency"]
    rule = client.post("/api/recurring", json=body, headers=headers).json()
    assert (rule["amount"], rule["currency"]) == (1600, "JPY")
    items = client.get("/api/expenses?start=2026-03-01&end=2026-03-31", headers=headers).json()["items"]
    by_day = {e["date"]: (e["currency"], e["rate_date"], e["base_amount"]) for e in items}
    # 2 March: 1600 / 150 = 10.67 euro; 9 March and later: the newest rate, 1600 / 160 = 10.
    assert by_day["2026-03-02"] == ("JPY", "2026-03-02", 10.67)
    assert by_day["2026-03-09"] == ("JPY", "2026-03-06", 10)
    # A ledger keeps its currency while a rule is in another, even before its first occurrence.
    other = euro_ledger(client)
    assert (
        client.post("/api/recurring", json={**body, "start_date": "2999-01-01"}, headers=other).status_code
        == 201
    )
    conflict = client.patch("/api/me", json={"currency": "USD"}, headers=other)
    assert conflict.status_code == 409
    assert "recurring expenses in JPY" in conflict.json()["detail"]


def test_a_list_page_shows_each_expense_as_its_own_answer_does(client: TestClient) -> None:
    """The list reads rows, not objects (app.services.listing): its items must be the same shape."""
    owner = euro_ledger(client)
    ledger = new_ledger(client, owner, currency="EUR")
    bob = register(client)
    join(client, bob, invite(client, owner, ledger["id"], "editor"))
    params = {"ledger": ledger["id"]}
    body = {"date": "2026-03-05", "amount": "1234", "currency": "JPY", "description": "Ramen"}
    created = [
        client.post("/api/expenses", params=params, json=expense_body(**body), headers=owner).json(),
        client.post("/api/expenses", params=params, json=expense_body(amount="7.5"), headers=bob).json(),
    ]
    page = client.get("/api/expenses", params=params, headers=owner)
    # Written without the model (app.routers.expenses): byte for byte what the model would write.
    assert page.content == ExpensePage.model_validate_json(page.content).model_dump_json().encode()
    listed = page.json()["items"]
    shown = [client.get(f"/api/expenses/{e['id']}", headers=owner).json() for e in created]
    assert listed == sorted(shown, key=lambda e: (e["date"], e["id"]), reverse=True)
    assert all([p["user_id"] for p in e["split"]] == sorted(p["user_id"] for p in e["split"]) for e in listed)
    yen = next(e for e in listed if e["currency"] == "JPY")
    assert (yen["amount"], sorted(p["amount"] for p in yen["split"])) == (1234, [617, 617])


def test_a_page_of_one_holds_all_its_expenses_parts_at_any_offset_or_cursor(client: TestClient) -> None:
    """The page and its parts are one statement (a row per part): the limit counts expenses, not rows."""
    owner = register(client)
    ledger = new_ledger(client, owner)
    bob = register(client)
    join(client, bob, invite(client, owner, ledger["id"], "editor"))
    params = {"ledger": ledger["id"]}
    created = [
        client.post("/api/expenses", params=params, json=expense_body(amount=amount), headers=owner).json()
        for amount in ("10.01", "20", "30.5")
    ]
    assert [len(e["split"]) for e in created] == [2, 2, 2]
    newest_first = sorted(created, key=lambda e: (e["date"], e["id"]), reverse=True)
    by_offset = [
        client.get("/api/expenses", params={**params, "limit": 1, "offset": n}, headers=owner).json()
        for n in range(3)
    ]
    assert [page["items"] for page in by_offset] == [[e] for e in newest_first]
    assert [page["total"] for page in by_offset] == [3, 3, 3]
    cursor_pages, query = [], {**params, "limit": 1}
    for _ in range(3):
        page = client.get("/api/expenses", params=query, headers=owner).json()
        cursor_pages.append(page["items"])
        query["cursor"] = page["next_cursor"]
    assert cursor_pages == [[e] for e in newest_first]
    empty = client.get("/api/expenses", params={**params, "offset": 3}, headers=owner).json()
    assert (empty["items"], empty["total"]) == ([], 3)
