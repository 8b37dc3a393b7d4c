"""HTTP revalidation (app.routers.revalidate): the list, summary, stats, categories, budgets and
balances send an ETag; the same request naming it is 304 after the access query alone. Nothing is
stored: a tag is worked out from the ledger's version, which no write, deleted ledger or restore ever
gives again.
"""

import gc
import re
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import TypeAdapter
from sqlalchemy import Engine, event, text

from app.main import app
from app.routers import current_date
from app.schemas.expenses import ExpensePage
from app.schemas.ledgers import BalancesOut
from app.schemas.reports import BudgetOut, CategoryOut, StatsOut, SummaryOut
from tests.conftest import ON_POSTGRES
from tests.factories import add_budget, add_expense, register

READS = (
    "/api/expenses",
    "/api/expenses?q=lunch&limit=5",
    "/api/summary?month=2026-11",
    "/api/summary",
    "/api/stats?start=2026-11-01&end=2026-11-30&granularity=day",
    "/api/categories",
    "/api/budgets",
)


def reads(ledger_id: int) -> list[str]:
    return [*READS, f"/api/ledgers/{ledger_id}/balances"]


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


def tags(client: TestClient, headers: dict[str, str], paths: list[str]) -> list[str]:
    found = []
    for path in paths:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.text)
        found.append(response.headers.get("etag", ""))
    return found


def test_each_read_sends_a_tag_and_a_request_naming_it_is_304_after_the_access_query_alone(
    client: TestClient, engine: Engine
) -> None:
    headers = register(client)
    expense = add_expense(client, headers, description="lunch")
    add_budget(client, headers, "Food", 100)
    for path in reads(expense["ledger_id"]):
        first = client.get(path, headers=headers)
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "private, no-cache", path
        assert re.fullmatch(r'"[0-9a-f]{32}"', tag), path
        with statements_run(engine) as ran:
            again = client.get(path, headers={**headers, "If-None-Match": tag})
        assert (again.status_code, again.content) == (304, b""), path
        assert again.headers["etag"] == tag
        assert again.headers["cache-control"] == "private, no-cache"
        assert ran == ["SELECT users.id, users.token_version,"], path  # the access query, nothing else
        # RFC 9110's weak comparison, lists and "*"; another tag is a full answer.
        for header in (f"W/{tag}", f'"nope", {tag}', f'W/"x",W/{tag} ', "*"):
            assert client.get(path, headers={**headers, "If-None-Match": header}).status_code == 304, header
        for header in ('"nope"', tag[:-2] + '"', f"{tag[:-1]}x{tag[-1]}", "", "W/"):
            other = client.get(path, headers={**headers, "If-None-Match": header})
            assert (other.status_code, other.content) == (200, first.content), header


def test_the_tag_is_the_query_that_shapes_the_answer_not_its_spelling(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers)
    (plain, padded, other) = tags(
        client, headers, ["/api/expenses?limit=5", "/api/expenses?limit=5&pad=xyz", "/api/expenses?limit=6"]
    )
    assert plain == padded != other


def test_padding_cannot_grow_the_servers_memory(client: TestClient) -> None:
    """Nothing is kept per request: 300 reads, each with 60 kB of a parameter of its own, leave no
    copy of their padding behind (a store keyed by the query string would hold 300, 18 MB).

    Counted as the blocks of 60 kB or more still allocated after the reads, not as the growth of all
    memory: tracemalloc traces every thread, and a CI run once saw 4.5 MB of growth that held no
    padding."""
    headers = register(client)
    add_expense(client, headers)
    pad = "x" * 60_000
    for n in range(5):
        client.get(f"/api/expenses?warm{n}={pad}", headers=headers)
    gc.collect()
    tracemalloc.start()
    try:
        for n in range(300):
            assert client.get(f"/api/expenses?pad{n}={pad}", headers=headers).status_code == 200
        gc.collect()
        kept = [trace for trace in tracemalloc.take_snapshot().traces if trace.size >= len(pad)]
    finally:
        tracemalloc.stop()
    where = "\n".join(line for trace in kept[:3] for line in trace.traceback.format())
    assert len(kept) < 5, f"{len(kept)} blocks of padding kept, the first allocated at:\n{where}"


def test_every_change_that_can_alter_an_answer_changes_its_tag(client: TestClient, engine: Engine) -> None:
    owner = register(client, display_name="Ann")
    friend = register(client, display_name="Bob")
    ledger = client.post("/api/ledgers", json={"name": "Home"}, headers=owner).json()["id"]
    invite = client.post(f"/api/ledgers/{ledger}/invitations", json={"role": "editor"}, headers=owner).json()
    assert (
        client.post("/api/ledgers/join", json={"token": invite["token"]}, headers=friend).status_code == 200
    )
    friend_id = client.get("/api/me", headers=friend).json()["id"]
    paths = [f"{path}{'&' if '?' in path else '?'}ledger={ledger}" for path in READS]
    paths.append(f"/api/ledgers/{ledger}/balances")
    in_ledger = {"ledger": ledger}
    body = {"date": "2026-11-10", "category": "Food", "amount": 30, "description": "lunch"}
    expense = client.post("/api/expenses", params=in_ledger, json=body, headers=owner).json()
    changes: dict[str, Callable[[], httpx2.Response]] = {
        "an expense added": lambda: client.post(
            "/api/expenses",
            params=in_ledger,
            headers=friend,
            json={"date": "2026-11-11", "category": "Food", "amount": 5, "description": "lunch"},
        ),
        "an expense changed": lambda: client.patch(
            f"/api/expenses/{expense['id']}", json={"amount": 31}, headers=owner
        ),
        "a budget set": lambda: client.post(
            "/api/budgets", params=in_ledger, json={"category": "Food", "amount": 100}, headers=owner
        ),
        "a settlement": lambda: client.post(
            f"/api/ledgers/{ledger}/settlements",
            json={
                "from_user_id": friend_id,
                "to_user_id": expense["paid_by"],
                "amount": 1,
                "date": "2026-11-12",
            },
            headers=owner,
        ),
        "a role changed": lambda: client.patch(
            f"/api/ledgers/{ledger}/members/{friend_id}", json={"role": "viewer"}, headers=owner
        ),
        "a member's name": lambda: client.patch("/api/me", json={"display_name": "Robert"}, headers=friend),
        "an expense deleted": lambda: client.delete(f"/api/expenses/{expense['id']}", headers=owner),
    }
    for name, change in changes.items():
        before = tags(client, owner, paths)
        assert change().status_code < 300, name
        after = tags(client, owner, paths)
        assert all(a != b for a, b in zip(before, after, strict=True)), name


def test_a_new_day_changes_the_current_months_summary(client: TestClient) -> None:
    headers = register(client)
    add_expense(client, headers, date="2026-11-10")
    try:
        app.dependency_overrides[current_date] = lambda: date(2026, 11, 30)
        november = client.get("/api/summary", headers=headers)
        app.dependency_overrides[current_date] = lambda: date(2026, 12, 1)
        december = client.get("/api/summary", headers={**headers, "If-None-Match": november.headers["etag"]})
    finally:
        app.dependency_overrides.pop(current_date, None)
    assert (november.json()["month"], november.json()["total_spent"]) == ("2026-11", 12.5)
    assert december.status_code == 200
    assert (december.json()["month"], december.json()["total_spent"]) == ("2026-12", 0)


def test_a_deleted_ledgers_reused_id_never_matches_its_old_tag(client: TestClient) -> None:
    """SQLite gives a deleted ledger's id to the next one: its answers, or its tags, must not be taken
    for the new ledger's (PostgreSQL never reuses an id: the same holds there trivially)."""
    headers = register(client)

    def ledger_with(description: str) -> int:
        ledger_id = int(client.post("/api/ledgers", json={"name": "Trip"}, headers=headers).json()["id"])
        body = {"date": "2026-11-10", "category": "Food", "amount": 5, "description": description}
        assert (
            client.post("/api/expenses", params={"ledger": ledger_id}, json=body, headers=headers).status_code
            == 201
        )
        return ledger_id

    old = ledger_with("old")
    first = client.get("/api/expenses", params={"ledger": old}, headers=headers)
    assert [item["description"] for item in first.json()["items"]] == ["old"]
    assert client.delete(f"/api/ledgers/{old}", headers=headers).status_code == 204
    new = ledger_with("new")
    if not ON_POSTGRES:
        assert new == old
    again = client.get(
        "/api/expenses",
        params={"ledger": new},
        headers={**headers, "If-None-Match": first.headers.get("etag", "")},
    )
    assert [item["description"] for item in again.json()["items"]] == ["new"]
    assert again.status_code == 200
    assert again.headers["etag"] != first.headers["etag"]


def test_two_authorization_headers_cannot_make_one_users_answer_anothers(client: TestClient) -> None:
    ann, bob = register(client), register(client)
    add_expense(client, ann, description="Ann's lunch")
    add_expense(client, bob, description="Bob's lunch")
    both = [("Authorization", ann["Authorization"]), ("Authorization", bob["Authorization"])]
    for pair in (both, both[::-1]):
        client.get("/api/expenses", headers=pair)
    for headers, mine in ((ann, "Ann's lunch"), (bob, "Bob's lunch")):
        listed = client.get("/api/expenses", headers=headers).json()["items"]
        assert [item["description"] for item in listed] == [mine]


@pytest.mark.parametrize(
    ("path", "model"),
    [
        (READS[0], ExpensePage),
        (READS[1], ExpensePage),
        (READS[2], SummaryOut),
        (READS[4], StatsOut),
        (READS[5], list[CategoryOut]),
        (READS[6], list[BudgetOut]),
        ("/api/ledgers/1/balances", BalancesOut),
    ],
)
def test_an_answer_written_without_its_model_is_the_models_json(
    client: TestClient, path: str, model: Any
) -> None:
    """The reads write their answers themselves (app.revalidation.revalidated): the list and the
    stats from rows as they are, the others from their models. Byte for byte what FastAPI writes
    for the response model and the same values."""
    headers = register(client)
    add_expense(client, headers, date="2026-11-02", amount="0.1", description="lunch")
    add_expense(client, headers, date="2026-11-30", amount="1200", currency="JPY", rate="0.0067")
    add_budget(client, headers, "Food", 100)
    body = client.get(path, headers=headers).content
    adapter = TypeAdapter(model)
    assert body == adapter.dump_json(adapter.validate_json(body), by_alias=True)


def test_writes_from_outside_the_app_change_the_version_too(client: TestClient, engine: Engine) -> None:
    """Triggers keep the version: a write by SQL from elsewhere (a person at the database's prompt)
    changes the tag as the app's own writes do, and only in its own ledger."""
    headers = register(client)
    other = register(client)
    expense = add_expense(client, headers)
    add_expense(client, other)
    mine, others = tags(client, headers, ["/api/expenses"]), tags(client, other, ["/api/expenses"])
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE expenses SET description = 'Renamed' WHERE id = :id"), {"id": expense["id"]}
        )
    assert tags(client, headers, ["/api/expenses"]) != mine
    assert tags(client, other, ["/api/expenses"]) == others
