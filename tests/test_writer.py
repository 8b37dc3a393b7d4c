"""The one writer of expenses keeps a ledger's rules on every path into it (the API, the CSV import,
recurring rules): the defaults it fills, what it refuses, a former member's balance that never moves,
sums that cannot overflow, and a member removed while an expense naming them is posted."""

import json
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from app import money, services
from app.main import app
from app.models import Expense, ExpenseSplit, Ledger, LedgerMember, RecurringRule, Settlement
from app.routers import current_date
from app.services import expenses as expenses_service
from app.services import recurring
from tests.factories import PASSWORD, expense_body, refused, register
from tests.test_imports import assert_totals_consistent
from tests.test_ledgers import Headers, invite, join, me, new_ledger, shared

REPEATS = 20


def post(client: TestClient, headers: Headers, ledger_id: int, **body: Any) -> Any:
    return client.post(f"/api/expenses?ledger={ledger_id}", json=expense_body(**body), headers=headers)


def balances(client: TestClient, headers: Headers, ledger_id: int) -> dict[int, Decimal]:
    """Each listed member's balance, once the answer is a 200 whose balances add up to zero."""
    response = client.get(f"/api/ledgers/{ledger_id}/balances", headers=headers)
    assert response.status_code == 200, response.text
    found = {m["user_id"]: Decimal(str(m["balance"])) for m in response.json()["members"]}
    assert sum(found.values()) == 0
    return found


def upload(client: TestClient, headers: Headers, ledger_id: int, content: str, **form: str) -> Any:
    files = {"file": ("x.csv", content.encode(), "text/csv")}
    return client.post(f"/api/expenses/import?ledger={ledger_id}", files=files, data=form, headers=headers)


def add_rule(client: TestClient, headers: Headers, ledger_id: int, **body: Any) -> Any:
    rule = {"category": "Rent", "amount": "1000", "frequency": "monthly", "start_date": "2999-01-01", **body}
    return client.post(f"/api/recurring?ledger={ledger_id}", json=rule, headers=headers)


def stored(engine: Engine, model: Any, **where: Any) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).filter_by(**where)) or 0)


# Expenses through the API


@pytest.mark.parametrize(("mine", "theirs", "total"), [(6, 5, "11.00"), (4, 5, "9.00")], ids=["more", "less"])
def test_exact_parts_must_add_up_to_the_amount_neither_more_nor_less(
    client: TestClient, engine: Engine, mine: int, theirs: int, total: str
) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    split = [
        {"user_id": me(client, owner), "amount": mine},
        {"user_id": me(client, editor), "amount": theirs},
    ]
    response = post(client, owner, ledger_id, amount=10, split=split)
    assert refused(response) == ["body.split"]
    assert f"add up to {total}, not the expense's 10.00 USD" in response.json()["detail"][0]["msg"]
    assert stored(engine, Expense) == 0
    # The same rule for a recurring expense's split, checked against its amount.
    rule = add_rule(client, owner, ledger_id, amount="10", split=split)
    assert refused(rule) == ["body.split"]


def after_access_before_lock(monkeypatch: pytest.MonkeyPatch, engine: Engine, change: Any) -> None:
    """Run `change` on the database once the request's access is resolved, just before the
    writer takes the ledger's lock (as a concurrent request would)."""
    lock = services.lock_ledger

    def meanwhile(*args: Any) -> Any:
        with engine.begin() as conn:
            conn.execute(change)
        return lock(*args)

    monkeypatch.setattr(services, "lock_ledger", meanwhile)


def removed_or_demoted(ledger_id: int, user_id: int, role: str | None) -> Any:
    """The statement that removes the member (role None) or gives them `role`, as another request would."""
    member = (LedgerMember.ledger_id == ledger_id) & (LedgerMember.user_id == user_id)
    if role is None:
        return delete(LedgerMember).where(member)
    return update(LedgerMember).where(member).values(role=role)


def test_an_expense_priced_in_a_currency_its_ledger_left_meanwhile_is_refused(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = register(client)
    ledger_id = new_ledger(client, owner, currency="USD")["id"]
    euros = update(Ledger).where(Ledger.id == ledger_id).values(currency="EUR")
    after_access_before_lock(monkeypatch, engine, euros)
    response = post(client, owner, ledger_id, amount=10)
    assert response.status_code == 409, response.text
    assert "changed to EUR meanwhile" in response.json()["detail"]
    assert stored(engine, Expense) == 0


@pytest.mark.parametrize("method", ["PATCH", "DELETE"])
@pytest.mark.parametrize(("role", "status"), [(None, 404), ("viewer", 403)], ids=["removed", "demoted"])
def test_a_change_by_an_editor_removed_or_demoted_meanwhile_is_refused(
    client: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    role: str | None,
    status: int,
) -> None:
    ledger_id, _, (editor,) = shared(client, "editor")
    expense = post(client, editor, ledger_id, amount=10).json()
    change = removed_or_demoted(ledger_id, me(client, editor), role)
    if engine.dialect.name == "sqlite":
        after_access_before_lock(monkeypatch, engine, change)
    else:
        # PostgreSQL: the lookup that finds the expense and the caller's role locks the ledger's row
        # (services.expenses.get_expense), and a removal or role change stamps that row (its version): one
        # made after the lookup waits for the change to commit. Before it, the lookup sees it.
        lookup = expenses_service.get_expense

        def meanwhile(*args: Any, **kwargs: Any) -> Any:
            with engine.begin() as conn:
                conn.execute(change)
            return lookup(*args, **kwargs)

        monkeypatch.setattr(expenses_service, "get_expense", meanwhile)
    body = {"amount": 20} if method == "PATCH" else None
    response = client.request(method, f"/api/expenses/{expense['id']}", json=body, headers=editor)
    assert response.status_code == status, response.text
    with engine.connect() as conn:
        assert conn.scalar(select(Expense.amount_minor)) == 1000


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("editor", 403)], ids=["removed", "demoted"])
@pytest.mark.parametrize("change", [{"name": "Renamed"}, {"currency": "EUR"}], ids=["name", "currency"])
def test_a_ledger_change_by_an_owner_removed_or_demoted_meanwhile_is_refused(
    client: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, str],
    role: str | None,
    status: int,
) -> None:
    ledger_id, owner, (second,) = shared(client, "editor")
    promote = f"/api/ledgers/{ledger_id}/members/{me(client, second)}"
    assert client.patch(promote, json={"role": "owner"}, headers=owner).status_code == 200
    meanwhile = removed_or_demoted(ledger_id, me(client, second), role)
    after_access_before_lock(monkeypatch, engine, meanwhile)
    response = client.patch(f"/api/ledgers/{ledger_id}", json=change, headers=second)
    assert response.status_code == status, response.text
    with engine.connect() as conn:
        assert conn.execute(select(Ledger.name, Ledger.currency).where(Ledger.id == ledger_id)).one() == (
            "Flat",
            "USD",
        )


@pytest.mark.parametrize(("role", "status"), [(None, 404), ("viewer", 403)], ids=["removed", "demoted"])
def test_a_category_rename_by_an_editor_removed_or_demoted_meanwhile_is_refused(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, role: str | None, status: int
) -> None:
    ledger_id, _, (editor,) = shared(client, "editor")
    assert post(client, editor, ledger_id, amount=10, category="Food").status_code == 201
    meanwhile = removed_or_demoted(ledger_id, me(client, editor), role)
    after_access_before_lock(monkeypatch, engine, meanwhile)
    body = {"category": "Food", "to": "Groceries"}
    response = client.post(f"/api/categories/rename?ledger={ledger_id}", json=body, headers=editor)
    assert response.status_code == status, response.text
    with engine.connect() as conn:
        assert conn.scalar(select(Expense.category)) == "Food"


def test_an_expense_naming_a_former_member_never_moves_their_balance(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    expense = post(client, editor, ledger_id, amount=10).json()  # the editor paid; half each
    settle = {"from_user_id": o, "to_user_id": e, "amount": 5, "date": "2026-11-11"}
    assert client.post(f"/api/ledgers/{ledger_id}/settlements", json=settle, headers=owner).status_code == 201
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{e}", headers=editor).status_code == 204
    path = f"/api/expenses/{expense['id']}"
    for change in ({"amount": 20}, {"paid_by": o}, {"split": [{"user_id": o, "shares": 1}]}):
        response = client.patch(path, json=change, headers=owner)
        assert response.status_code == 409, (change, response.text)
        assert f"user {e}, who has left" in response.json()["detail"]
    assert client.delete(path, headers=owner).status_code == 409
    # What moves no money may still change.
    assert (
        client.patch(path, json={"description": "Pizza", "date": "2026-11-12"}, headers=owner).status_code
        == 200
    )
    assert balances(client, owner, ledger_id) == {o: 0}


def test_a_manual_rate_cannot_make_a_base_amount_no_total_can_hold(
    client: TestClient, engine: Engine
) -> None:
    headers = register(client)  # a USD ledger
    huge = client.post(
        "/api/expenses", json=expense_body(amount=1_000_000_000, currency="JPY", rate="1000"), headers=headers
    )
    assert refused(huge) == ["body.rate"]
    expense = client.post(
        "/api/expenses", json=expense_body(amount=1, currency="JPY", rate="1000000000"), headers=headers
    )
    assert expense.status_code == 201, expense.text
    # A new amount alone keeps the rate: 10^9 yen at 10^9 dollars each would be 10^20 cents.
    response = client.patch(
        f"/api/expenses/{expense.json()['id']}", json={"amount": 1_000_000_000}, headers=headers
    )
    assert refused(response) == ["body.amount"]
    with engine.connect() as conn:
        assert conn.scalar(select(Expense.base_amount_minor)) == 100_000_000_000


# The CSV import

ROWS = "date,category,amount,description\n2026-11-01,Food,30.00,a\n2026-11-02,Rent,10.01,b\n"


def test_an_import_into_a_shared_ledger_is_paid_by_the_importer_and_split_equally(
    client: TestClient, engine: Engine
) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    response = upload(client, editor, ledger_id, ROWS)
    assert (response.status_code, response.json()["imported"]) == (200, 2), response.text
    # The editor paid 40.01; the owner (the lower id) bears 15.00 + 5.01, the editor 15.00 + 5.00.
    assert balances(client, owner, ledger_id) == {o: Decimal("-20.01"), e: Decimal("20.01")}
    with engine.connect() as conn:
        assert set(conn.scalars(select(Expense.paid_by))) == {e}
    assert_totals_consistent(engine)


def test_an_import_takes_a_payer_and_a_split_for_the_whole_file(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    split = json.dumps([{"user_id": o, "shares": 3}, {"user_id": e, "shares": 1}])
    preview = upload(client, editor, ledger_id, ROWS, paid_by=str(o), split=split, dry_run="true")
    assert (preview.status_code, preview.json()["count"]) == (200, 2), preview.text
    assert upload(client, editor, ledger_id, ROWS, paid_by=str(o), split=split).status_code == 200
    # The owner paid 40.01 and bears 22.50 + 7.51 (10.01 by 3:1, the odd cent to the larger remainder).
    assert balances(client, owner, ledger_id) == {o: Decimal("10.00"), e: Decimal("-10.00")}


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_an_imports_payer_and_split_are_checked_dry_run_or_not(
    client: TestClient, engine: Engine, dry_run: str
) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    stranger = me(client, register(client))
    o = me(client, owner)
    cases = [
        ({"paid_by": str(stranger)}, "body.paid_by"),
        ({"paid_by": "0"}, "body.paid_by"),
        ({"split": "[{"}, "body.split"),
        ({"split": json.dumps([{"user_id": o}])}, "body.split"),
        ({"split": json.dumps([{"user_id": stranger, "shares": 1}])}, "body.split.0.user_id"),
        ({"split": json.dumps([{"user_id": o, "amount": 40.01}])}, "body.split"),
        (
            {"split": json.dumps([{"user_id": o, "shares": 1}, {"user_id": o, "shares": 1}])},
            "body.split.1.user_id",
        ),
    ]
    for form, where in cases:
        assert refused(upload(client, editor, ledger_id, ROWS, dry_run=dry_run, **form)) == [where], form
    assert stored(engine, Expense) == 0


# Recurring rules


def test_a_rule_repeats_its_own_payer_and_split(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    split = [{"user_id": e, "shares": 2}, {"user_id": o, "shares": 3}]  # rent, 60/40
    response = add_rule(
        client, owner, ledger_id, start_date="2026-01-01", end_date="2026-03-31", paid_by=e, split=split
    )
    assert response.status_code == 201, response.text
    rule = response.json()
    assert rule["paid_by"] == e
    assert rule["split"] == sorted(
        [{"user_id": o, "shares": 3, "amount": 600}, {"user_id": e, "shares": 2, "amount": 400}],
        key=lambda part: part["user_id"],
    )
    assert client.get(f"/api/recurring/{rule['id']}", headers=editor).json() == rule
    items = client.get(f"/api/expenses?ledger={ledger_id}", headers=owner).json()["items"]
    assert len(items) == 3
    for item in items:
        assert item["paid_by"] == e
        assert {(p["user_id"], p["amount"]) for p in item["split"]} == {(o, 600), (e, 400)}
    assert balances(client, owner, ledger_id) == {o: Decimal(-1800), e: Decimal(1800)}
    # A new amount re-divides the shares; exact amounts must be sent again with it.
    changed = client.patch(f"/api/recurring/{rule['id']}", json={"amount": 500}, headers=owner).json()
    assert {(p["user_id"], p["amount"]) for p in changed["split"]} == {(o, 300), (e, 200)}
    exact = [{"user_id": o, "amount": 250}, {"user_id": e, "amount": 250}]
    assert (
        client.patch(f"/api/recurring/{rule['id']}", json={"split": exact}, headers=owner).status_code == 200
    )
    assert refused(client.patch(f"/api/recurring/{rule['id']}", json={"amount": 600}, headers=owner)) == [
        "body.split"
    ]
    # Null: back to equal shares among the owners and editors of the day.
    back = client.patch(f"/api/recurring/{rule['id']}", json={"split": None}, headers=owner).json()
    assert back["split"] is None
    with Session(engine) as session:
        assert session.scalars(select(RecurringRule.paid_by)).one() == e


def test_a_rules_payer_and_split_name_current_members(client: TestClient) -> None:
    ledger_id, owner, (editor, viewer) = shared(client, "editor", "viewer")
    stranger = me(client, register(client))
    v = me(client, viewer)
    assert refused(add_rule(client, owner, ledger_id, paid_by=stranger)) == ["body.paid_by"]
    split = [{"user_id": stranger, "shares": 1}]
    assert refused(add_rule(client, owner, ledger_id, split=split)) == ["body.split.0.user_id"]
    # A viewer may pay and bear a part when named, as in an expense.
    rule = add_rule(client, editor, ledger_id, paid_by=v, split=[{"user_id": v, "shares": 1}])
    assert rule.status_code == 201, rule.text
    path = f"/api/recurring/{rule.json()['id']}"
    assert refused(client.patch(path, json={"paid_by": stranger}, headers=owner)) == ["body.paid_by"]
    assert refused(client.patch(path, json={"split": split}, headers=owner)) == ["body.split.0.user_id"]
    assert refused(client.patch(path, json={"paid_by": None}, headers=owner)) == ["body.paid_by"]
    assert client.patch(path, json={"paid_by": v}, headers=viewer).status_code == 403
    assert client.patch(path, json={"paid_by": v}, headers=register(client)).status_code == 404
    assert client.patch(path, json={"paid_by": v}).status_code == 401


def test_a_rule_is_paused_when_its_payer_or_a_parts_member_leaves_and_resumes_with_members(
    client: TestClient,
) -> None:
    ledger_id, owner, (payer, bearer) = shared(client, "editor", "editor")
    o, p, b = me(client, owner), me(client, payer), me(client, bearer)
    split = [{"user_id": o, "shares": 1}, {"user_id": b, "shares": 1}]
    split_rule = add_rule(client, owner, ledger_id, split=split).json()
    paid_rule = add_rule(client, owner, ledger_id, paid_by=p).json()
    other = add_rule(client, owner, ledger_id).json()  # equal shares among whoever is there
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{b}", headers=bearer).status_code == 204
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{p}", headers=owner).status_code == 204
    rules = {r["id"]: r for r in client.get(f"/api/recurring?ledger={ledger_id}", headers=owner).json()}
    assert (rules[split_rule["id"]]["paused"], rules[paid_rule["id"]]["paused"]) == (True, True)
    assert rules[other["id"]]["paused"] is False

    def resume(rule: dict[str, Any], **change: Any) -> Any:
        body = {"paused": False, **change}
        return client.patch(f"/api/recurring/{rule['id']}", json=body, headers=owner)

    assert refused(resume(split_rule)) == ["body.split"]
    assert refused(resume(paid_rule)) == ["body.paid_by"]
    # Paused, a rule may still be edited; running, its people must be members.
    paused_edit = client.patch(f"/api/recurring/{paid_rule['id']}", json={"description": "x"}, headers=owner)
    assert paused_edit.status_code == 200
    assert resume(split_rule, split=None).json()["paused"] is False
    assert resume(paid_rule, paid_by=o).json()["paused"] is False


def test_a_rule_whose_creator_deleted_their_account_never_pays_null(
    client: TestClient, engine: Engine
) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    rule = add_rule(client, editor, ledger_id).json()  # the editor pays, from 2999
    e = me(client, editor)
    gone = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=editor)
    assert gone.status_code == 204, gone.text
    kept = client.get(f"/api/recurring/{rule['id']}", headers=owner).json()
    assert (kept["paused"], kept["paid_by"]) == (True, e)
    resumed = client.patch(
        f"/api/recurring/{rule['id']}", json={"paused": False, "paid_by": me(client, owner)}, headers=owner
    )
    assert resumed.status_code == 200, resumed.text
    with Session(engine) as session:
        recurring.materialise_due(session, today=date(2999, 1, 1))
    with engine.connect() as conn:
        assert conn.execute(select(Expense.paid_by, Expense.user_id)).all() == [(me(client, owner), None)]


@pytest.mark.parametrize("named", ["payer", "part"])
def test_the_daily_run_pauses_a_rule_naming_someone_gone_and_writes_nothing(
    client: TestClient, engine: Engine, named: str
) -> None:
    """However it came about (a rule from before this check, a removal that bypassed the
    service): the run never gives a non-member a payment or a part."""
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    people = (
        {"paid_by": e}
        if named == "payer"
        else {"split": [{"user_id": o, "shares": 1}, {"user_id": e, "shares": 1}]}
    )
    rule = add_rule(client, owner, ledger_id, **people).json()
    ok = add_rule(client, owner, ledger_id).json()
    with engine.begin() as conn:
        conn.execute(
            delete(LedgerMember).where(LedgerMember.user_id == e, LedgerMember.ledger_id == ledger_id)
        )
    with Session(engine) as session:
        recurring.materialise_due(session, today=date(2999, 1, 1))
    with engine.connect() as conn:
        paused = dict(conn.execute(select(RecurringRule.id, RecurringRule.paused)).all())
        assert (
            conn.scalar(select(func.count()).select_from(ExpenseSplit).where(ExpenseSplit.user_id == e)) == 0
        )
    assert (paused[rule["id"]], paused[ok["id"]]) == (True, False)
    assert stored(engine, Expense) == 1  # the other rule's


# Sums cannot overflow (the case: 142 weekly rules of 10^9 in a four-decimal currency)


@pytest.fixture
def a_fixed_today() -> Iterator[date]:
    day = date(2026, 11, 30)
    app.dependency_overrides[current_date] = lambda: day
    yield day
    app.dependency_overrides.pop(current_date, None)


def test_a_ledger_holds_at_most_ten_trillion_of_its_currency_and_every_sum_answers(
    client: TestClient, engine: Engine, a_fixed_today: date
) -> None:
    """Before the bound, 142 weekly rules of 10^9 CLF back-filled from 1900 (933,000 rows, 9.3 x 10^18
    ten-thousandths) made every list and balance of the ledger a 500 ("integer overflow")."""
    owner = register(client)
    ledger_id = new_ledger(client, owner, currency="CLF")["id"]
    editor = register(client)
    join(client, editor, invite(client, owner, ledger_id))
    weekly = {"amount": "1000000000", "frequency": "weekly", "start_date": "1900-01-01"}
    statuses = []
    for _ in range(142):
        statuses.append(add_rule(client, owner, ledger_id, **weekly).status_code)
        if statuses[-1] != 201:
            break
    assert statuses == [201, 422]
    refusal = add_rule(client, owner, ledger_id, **weekly)
    assert refused(refusal) == ["body.amount"]
    assert "more than 10,000,000,000,000 CLF" in refusal.json()["detail"][0]["msg"]
    listed = client.get(f"/api/expenses?ledger={ledger_id}&limit=1", headers=owner).json()
    # Fill the ledger to its bound exactly: 10,000 expenses of 10^9.
    left = 10_000 - listed["total"]
    start = a_fixed_today - timedelta(weeks=left - 1)
    filled = add_rule(client, owner, ledger_id, **weekly | {"start_date": start.isoformat()})
    assert filled.status_code == 201, filled.text
    total = 10**13
    page = client.get(f"/api/expenses?ledger={ledger_id}", headers=owner)
    assert (page.status_code, page.json()["total"], page.json()["total_amount"]) == (200, 10_000, total)
    o, e = me(client, owner), me(client, editor)
    assert balances(client, owner, ledger_id) == {o: Decimal(total // 2), e: Decimal(-total // 2)}
    everything = f"/api/stats?ledger={ledger_id}&start=1900-01-01&end=2026-11-30&granularity=month"
    assert client.get(everything, headers=owner).json()["total"] == total
    for path in (
        "/api/summary?month=2026-11",
        "/api/stats?start=2026-01-01&end=2026-11-30&granularity=week",
        "/api/stats?start=2026-11-01&end=2026-11-30",
        "/api/categories?",
    ):
        assert client.get(f"{path}&ledger={ledger_id}", headers=owner).status_code == 200, path
    # Full: the smallest amount more is refused on every path, naming the field.
    assert refused(post(client, owner, ledger_id, amount="0.0001", currency="CLF")) == ["body.amount"]
    assert refused(
        upload(client, owner, ledger_id, "date,category,amount,description\n2026-11-30,Food,0.0001,x\n")
    ) == ["body.file"]
    # The daily run a week later pauses the rule that would pass the bound, and writes nothing.
    with Session(engine) as session:
        recurring.materialise_due(session, today=a_fixed_today + timedelta(weeks=1))
    assert client.get(f"/api/recurring/{filled.json()['id']}", headers=owner).json()["paused"] is True
    assert stored(engine, Expense) == 10_000
    assert_totals_consistent(engine)


def test_a_currency_change_that_would_overfill_the_ledger_is_refused(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(money, "MAX_LEDGER_UNITS", 100)  # the rule, at a size a test can fill
    owner = register(client)
    ledger_id = new_ledger(client, owner, currency="USD")["id"]
    for _ in range(3):  # 60 EUR at 0.5: 30 USD each, 90 in all
        assert post(client, owner, ledger_id, amount=60, currency="EUR", rate="0.5").status_code == 201
    assert refused(post(client, owner, ledger_id, amount=11)) == ["body.amount"]
    response = client.patch(f"/api/ledgers/{ledger_id}", json={"currency": "EUR"}, headers=owner)
    assert refused(response) == ["body.currency"]  # 180 EUR


def test_settlements_that_would_overfill_the_ledger_are_refused(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(money, "MAX_LEDGER_UNITS", 100)
    ledger_id, owner, (editor,) = shared(client, "editor")
    path = f"/api/ledgers/{ledger_id}/settlements"
    settle = {"from_user_id": me(client, owner), "to_user_id": me(client, editor), "date": "2026-11-11"}
    assert client.post(path, json=settle | {"amount": 60}, headers=owner).status_code == 201
    response = client.post(path, json=settle | {"amount": "40.01"}, headers=owner)
    assert refused(response) == ["body.amount"]
    assert "settlements would add up to more than" in response.json()["detail"][0]["msg"]
    assert client.post(path, json=settle | {"amount": 40}, headers=owner).status_code == 201  # to the brim
    assert stored(engine, Settlement) == 2


def test_a_currency_change_that_would_move_a_former_members_balance_is_refused(client: TestClient) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    o, e = me(client, owner), me(client, editor)
    even = [{"user_id": o, "shares": 1}, {"user_id": e, "shares": 1}]
    # In dollars the editor paid 100 and bears 50 + 50: zero. In euros: paid 100, bears 50 + 25.
    post(client, editor, ledger_id, amount=100, currency="EUR", rate="1", split=even)
    post(client, owner, ledger_id, amount=50, currency="EUR", rate="2", split=even)
    assert client.delete(f"/api/ledgers/{ledger_id}/members/{e}", headers=editor).status_code == 204
    response = client.patch(f"/api/ledgers/{ledger_id}", json={"currency": "EUR"}, headers=owner)
    assert response.status_code == 409, response.text
    assert f"user {e}, who has left" in response.json()["detail"]


# A member removed while an expense naming them is posted


def at_once(*requests: Callable[[], Any]) -> list[int]:
    """Start the requests together (each thread waits for the others at a barrier); their statuses."""
    barrier = threading.Barrier(len(requests))

    def run(request: Callable[[], Any]) -> int:
        barrier.wait()
        return int(request().status_code)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(run, requests))


@pytest.mark.parametrize(
    ("naming", "outcomes"),
    [
        # Removed first: a split naming them, or a payment by them, is a 422; else the expense came
        # first, and they now have a balance, so the removal is a 409.
        ("split", {(204, 422), (409, 201)}),
        ("paid_by", {(204, 422), (409, 201)}),
        # The default split: removed first, they are simply not among the owners and editors.
        ("default", {(204, 201), (409, 201)}),
    ],
)
def test_a_member_removed_while_an_expense_naming_them_is_posted_never_leaves_with_a_balance(
    client: TestClient, engine: Engine, naming: str, outcomes: set[tuple[int, int]]
) -> None:
    owner, leaving = register(client), register(client)
    o, gone = me(client, owner), me(client, leaving)
    bodies: dict[str, dict[str, Any]] = {
        "split": {"split": [{"user_id": o, "shares": 1}, {"user_id": gone, "shares": 1}]},
        "paid_by": {"paid_by": gone, "split": [{"user_id": o, "shares": 1}]},
        "default": {},
    }
    body = bodies[naming]
    for n in range(REPEATS):
        ledger_id = new_ledger(client, owner, name=f"Flat {n}")["id"]
        join(client, leaving, invite(client, owner, ledger_id))
        removal, posted = at_once(
            partial(client.delete, f"/api/ledgers/{ledger_id}/members/{gone}", headers=owner),
            partial(post, client, owner, ledger_id, amount=10, **body),
        )
        assert (removal, posted) in outcomes, f"try {n}"
        members = [
            m["user_id"] for m in client.get(f"/api/ledgers/{ledger_id}", headers=owner).json()["members"]
        ]
        owed = balances(client, owner, ledger_id)
        if gone not in members:  # never a former member with a balance, nor with a part or payment
            assert owed.get(gone, 0) == 0, f"try {n}"
            with engine.connect() as conn:
                named = conn.scalar(
                    select(func.count())
                    .select_from(ExpenseSplit)
                    .where(ExpenseSplit.ledger_id == ledger_id, ExpenseSplit.user_id == gone)
                )
                paid = conn.scalar(
                    select(func.count())
                    .select_from(Expense)
                    .where(Expense.ledger_id == ledger_id, Expense.paid_by == gone)
                )
            assert (named, paid) == (0, 0), f"try {n}"
