"""Idempotency-Key on every create: a retry answers the first answer and writes nothing, under races too."""

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from unittest.mock import patch

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from app import idempotency
from app.database import Base
from app.main import app
from app.models import Expense, IdempotencyKey, Ledger, Settlement, utcnow
from app.services import budgets as budgets_service
from tests.factories import PASSWORD, expense_body, refused, register
from tests.server import server_env, start_server, stop_server
from tests.test_ledgers import Headers, invite, me, new_ledger, shared

KEY = "Idempotency-Key"
HEADER_LOC = "header.Idempotency-Key"


def keyed(headers: Headers, key: str) -> Headers:
    return {**headers, KEY: key}


def snapshot(engine: Engine) -> dict[str, int]:
    """Every table's row count, and the ledgers' write counts (a budget's new amount moves them)."""
    with engine.connect() as conn:
        counts = {
            table.name: conn.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
            if table.name != IdempotencyKey.__tablename__
        }
        counts["ledger revisions"] = conn.scalar(select(func.sum(Ledger.revision))) or 0
    return counts


def age_keys(engine: Engine, by: timedelta) -> None:
    with engine.begin() as conn:
        conn.execute(update(IdempotencyKey).values(created_at=IdempotencyKey.created_at - by))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def replayed(response: httpx2.Response) -> bool:
    return response.headers.get("idempotent-replayed") == "true"


# Which POST routes take the key, checked over the whole schema: a create added next year that
# answers 201 fails here until it takes the key too (app.idempotency.idempotent).
# Answering 200, but an import must not write twice, and a join retried after a lost answer
# would be refused (the link is spent).
NOT_A_CREATE_BUT_KEYED = {"import_expenses", "join_ledger"}
NO_ACCOUNT = {"register"}  # 201, but there is no account yet to keep a key for


def test_every_create_takes_the_key_and_documents_it(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    keyed_ops, expected = set(), set()
    for operations in paths.values():
        post = operations.get("post")
        if post is None:
            continue
        headers = {p["name"]: p for p in post.get("parameters", []) if p["in"] == "header"}
        if KEY in headers:
            keyed_ops.add(post["operationId"])
            schema = headers[KEY]["schema"]["anyOf"][0]
            assert (schema["minLength"], schema["maxLength"], schema["pattern"]) == (1, 255, "^[!-~]+$")
            assert "24 hours" in headers[KEY]["description"]
        creates = "201" in post["responses"] or post["operationId"] in NOT_A_CREATE_BUT_KEYED
        if creates and post["operationId"] not in NO_ACCOUNT:
            expected.add(post["operationId"])
    assert keyed_ops == expected
    assert expected >= {
        "create_expense",
        "import_expenses",
        "create_settlement",
        "set_budget",
        "create_recurring",
        "create_ledger",
        "create_ledger_invitation",
        "join_ledger",
        "create_user",
        "create_invitation",
        "create_reset_link",
    }


@pytest.mark.parametrize("bad", ["", "a b", "ü", "x" * 256, "tab\there", "line\x7f"])
def test_every_keyed_route_refuses_a_bad_key_naming_the_header(
    client: TestClient, engine: Engine, bad: str
) -> None:
    admin = register(client)
    paths = client.get("/openapi.json").json()["paths"]
    routes = [path for path, ops in paths.items() if KEY in str(ops.get("post", {}).get("parameters"))]
    assert len(routes) >= 11  # today's creates (the test above); one added later is checked too
    for path in routes:
        url = path.replace("{ledger_id}", "1").replace("{user_id}", "1")
        # As bytes: a client on the wire may send what httpx would not.
        headers = {name.encode(): value.encode() for name, value in {**admin, KEY: bad}.items()}
        response = client.post(url, json={}, headers=headers)
        assert HEADER_LOC in refused(response), (path, response.text)
    assert stored_keys(engine) == 0


def stored_keys(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(IdempotencyKey)) or 0


# The create routes, each sent by an "actor" (an account ready to make that request) in two
# variants: the request, and another request under the same key.
@dataclass
class Actor:
    headers: Headers
    user_id: int
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Create:
    name: str
    table: str  # where its rows go
    prepare: Callable[[TestClient, Headers], Actor]  # given the instance's admin
    send: Callable[[TestClient, Actor, Headers, int], httpx2.Response]  # headers with the key, variant
    status: int = 201
    # Sent again once the key is forgotten: the request's own answer then, and the rows it adds.
    afresh: int = 201
    afresh_adds: int = 1


def _account(client: TestClient, _admin: Headers) -> Actor:
    headers = register(client)
    return Actor(headers, me(client, headers))


def _with_ledger(client: TestClient, admin: Headers) -> Actor:
    actor = _account(client, admin)
    actor.extra["ledger"] = new_ledger(client, actor.headers)["id"]
    return actor


def _with_partner(client: TestClient, _admin: Headers) -> Actor:
    ledger_id, owner, (editor,) = shared(client, "editor")
    return Actor(owner, me(client, owner), {"ledger": ledger_id, "partner": me(client, editor)})


def _invited(client: TestClient, admin: Headers) -> Actor:
    owner = _with_ledger(client, admin)
    actor = _account(client, admin)
    actor.extra["tokens"] = [invite(client, owner.headers, owner.extra["ledger"]) for _ in range(2)]
    return actor


def _an_admin(client: TestClient, admin: Headers) -> Actor:
    actor = _account(client, admin)
    promoted = client.patch(f"/api/admin/users/{actor.user_id}", json={"is_admin": True}, headers=admin)
    assert promoted.status_code == 200, promoted.text
    actor.extra["targets"] = [_account(client, admin).user_id for _ in range(2)]
    return actor


def _csv(amount: int) -> bytes:
    return f"date,category,amount,description\n2026-11-10,Food,{amount},Lunch\n".encode()


CREATES = [
    Create(
        "expense",
        "expenses",
        _account,
        lambda c, a, h, v: c.post("/api/expenses", json=expense_body(amount=10 + v), headers=h),
    ),
    Create(
        "import",
        "expenses",
        _account,
        # keep_duplicates: sent again once the key is forgotten, the file imports again.
        lambda c, a, h, v: c.post(
            "/api/expenses/import",
            files={"file": ("bank.csv", _csv(10 + v), "text/csv")},
            data={"keep_duplicates": "true"},
            headers=h,
        ),
        status=200,
        afresh=200,
    ),
    Create(
        "settlement",
        "settlements",
        _with_partner,
        lambda c, a, h, v: c.post(
            f"/api/ledgers/{a.extra['ledger']}/settlements",
            json={
                "from_user_id": a.user_id,
                "to_user_id": a.extra["partner"],
                "amount": 5 + v,
                "date": "2026-11-10",
            },
            headers=h,
        ),
    ),
    Create(
        "budget",
        "budgets",
        _account,
        lambda c, a, h, v: c.post("/api/budgets", json={"category": "Food", "amount": 100 + v}, headers=h),
        afresh=200,  # the category's budget is there now: an update, to the same amount
        afresh_adds=0,
    ),
    Create(
        "recurring rule",
        "recurring_rules",
        _account,
        lambda c, a, h, v: c.post(
            "/api/recurring",
            json={"category": "Rent", "amount": 900 + v, "frequency": "monthly", "start_date": "2999-01-01"},
            headers=h,
        ),
    ),
    Create(
        "ledger",
        "ledgers",
        _account,
        lambda c, a, h, v: c.post("/api/ledgers", json={"name": f"Flat {v}"}, headers=h),
    ),
    Create(
        "ledger invitation",
        "one_time_links",
        _with_ledger,
        lambda c, a, h, v: c.post(
            f"/api/ledgers/{a.extra['ledger']}/invitations",
            json={"role": "editor", "valid_days": 7 + v},
            headers=h,
        ),
    ),
    Create(
        "join",
        "ledger_members",
        _invited,
        lambda c, a, h, v: c.post("/api/ledgers/join", json={"token": a.extra["tokens"][v]}, headers=h),
        status=200,
        afresh=403,  # the link is spent: what a retry after a lost answer gets without the key
        afresh_adds=0,
    ),
    Create(
        "account (admin)",
        "users",
        _an_admin,
        lambda c, a, h, v: c.post(
            "/api/admin/users",
            json={"email": f"made-{a.user_id}-{v}@example.com", "password": PASSWORD},
            headers=h,
        ),
        afresh=409,  # the email is taken now
        afresh_adds=0,
    ),
    Create(
        "invitation (admin)",
        "one_time_links",
        _an_admin,
        lambda c, a, h, v: c.post("/api/admin/invitations", json={"valid_days": 7 + v}, headers=h),
    ),
    Create(
        "reset link (admin)",
        "one_time_links",
        _an_admin,
        lambda c, a, h, v: c.post(f"/api/admin/users/{a.extra['targets'][v]}/reset-link", headers=h),
    ),
]


@pytest.mark.parametrize("create", CREATES, ids=[c.name for c in CREATES])
def test_a_retry_answers_the_first_answer_and_writes_nothing(
    client: TestClient, engine: Engine, create: Create
) -> None:
    admin = register(client)  # the instance's first account
    actor = create.prepare(client, admin)

    def send(who: Actor, variant: int = 0, key: str = "retry-1") -> httpx2.Response:
        return create.send(client, who, keyed(who.headers, key), variant)

    before = snapshot(engine)
    first = send(actor)
    assert first.status_code == create.status, first.text
    assert not replayed(first)
    written = snapshot(engine)
    assert written[create.table] == before[create.table] + 1

    again = send(actor)
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert again.headers["content-type"] == first.headers["content-type"] == "application/json"
    assert replayed(again)
    assert snapshot(engine) == written

    # The same key with another request: refused, naming the header, and still nothing written.
    assert refused(send(actor, variant=1)) == [HEADER_LOC]
    assert snapshot(engine) == written

    # Keys are per account: another account's "retry-1" is a request of its own.
    someone = create.prepare(client, admin)
    written = snapshot(engine)
    theirs = send(someone)
    assert theirs.status_code == create.status, theirs.text
    assert not replayed(theirs)
    assert snapshot(engine)[create.table] == written[create.table] + 1

    # 24 hours on, the key is forgotten: the same request is worked out afresh.
    age_keys(engine, idempotency.KEPT_FOR + timedelta(seconds=1))
    written = snapshot(engine)
    later = send(actor)
    assert later.status_code == create.afresh, later.text
    assert not replayed(later)
    assert snapshot(engine)[create.table] == written[create.table] + create.afresh_adds

    # A key that is not 1-255 visible ASCII characters.
    assert refused(send(actor, key="retry 1")) == [HEADER_LOC]


def test_an_import_dry_run_is_worked_out_afresh_and_leaves_the_key_for_the_import(
    client: TestClient, engine: Engine
) -> None:
    """A dry run writes nothing: its answer is never kept (it would go stale as the ledger
    changes), so the key a client sends with the preview still works for the real import."""
    headers = keyed(register(client), "import-1")
    files = {"file": ("bank.csv", _csv(12), "text/csv")}
    preview = client.post("/api/expenses/import", files=files, data={"dry_run": "true"}, headers=headers)
    assert (preview.status_code, preview.json()["dry_run"], preview.json()["count"]) == (200, True, 1)
    assert stored_keys(engine) == 0
    done = client.post("/api/expenses/import", files=files, headers=headers)
    assert (done.status_code, done.json()["imported"]) == (200, 1), done.text
    again = client.post("/api/expenses/import", files=files, headers=headers)
    assert (again.content, replayed(again)) == (done.content, True)
    # A preview afterwards, under the same key: worked out afresh (the row is a duplicate now).
    later = client.post("/api/expenses/import", files=files, data={"dry_run": "true"}, headers=headers)
    assert (replayed(later), later.json()["skipped_duplicates"]) == (False, 1)
    assert snapshot(engine)["expenses"] == 1


def test_the_same_form_is_the_same_request_whatever_its_multipart_boundary(
    client: TestClient, engine: Engine
) -> None:
    headers = keyed(register(client), "import-2")
    bodies = []
    for boundary in ("first-boundary", "another-one"):
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="bank.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n{_csv(12).decode()}\r\n--{boundary}--\r\n"
        )
        content_type = f"multipart/form-data; boundary={boundary}"
        response = client.post(
            "/api/expenses/import", content=body.encode(), headers={**headers, "Content-Type": content_type}
        )
        assert response.status_code == 200, response.text
        bodies.append(response)
    assert replayed(bodies[1])
    assert snapshot(engine)["expenses"] == 1
    # Another file under that key is another request.
    other = client.post(
        "/api/expenses/import", files={"file": ("bank.csv", _csv(13), "text/csv")}, headers=headers
    )
    assert refused(other) == [HEADER_LOC]


def test_a_failed_request_leaves_the_key_for_the_corrected_retry(client: TestClient, engine: Engine) -> None:
    ledger_id, owner, (editor,) = shared(client, "editor")
    headers = keyed(owner, "settle-1")
    url = f"/api/ledgers/{ledger_id}/settlements"
    body = {
        "from_user_id": me(client, owner),
        "to_user_id": me(client, owner),
        "amount": 5,
        "date": "2026-11-10",
    }
    assert refused(client.post(url, json=body, headers=headers)) == ["body.to_user_id"]  # the service's 422
    assert stored_keys(engine) == 0
    body["to_user_id"] = me(client, editor)
    corrected = client.post(url, json=body, headers=headers)
    assert corrected.status_code == 201, corrected.text
    assert not replayed(corrected)
    assert replayed(client.post(url, json=body, headers=headers))
    assert snapshot(engine)["settlements"] == 1


def test_a_refused_caller_claims_nothing(client: TestClient, engine: Engine) -> None:
    ledger_id, _owner, (viewer,) = shared(client, "viewer")
    stranger = register(client)
    url = f"/api/expenses?ledger={ledger_id}"
    assert client.post(url, json=expense_body(), headers={KEY: "k"}).status_code == 401
    assert client.post(url, json=expense_body(), headers=keyed(viewer, "k")).status_code == 403
    assert client.post(url, json=expense_body(), headers=keyed(stranger, "k")).status_code == 404
    assert stored_keys(engine) == 0
    # The viewer's key is still free for a request that may be made.
    assert client.post("/api/expenses", json=expense_body(), headers=keyed(viewer, "k")).status_code == 201


def test_the_answer_is_the_one_the_route_gives_without_a_key(client: TestClient) -> None:
    headers = register(client)
    plain = client.post("/api/expenses", json=expense_body(), headers=headers)
    with_key = client.post("/api/expenses", json=expense_body(), headers=keyed(headers, "same-shape"))

    def shape(response: httpx2.Response) -> str:
        """The answer's bytes with its id and times blanked out."""
        answer = response.json()
        blanked = response.text.replace(f'{{"id":{answer["id"]},', '{"id":0,', 1)
        return blanked.replace(f'"{answer["created_at"]}"', '"T"').replace(f'"{answer["updated_at"]}"', '"T"')

    assert (with_key.status_code, shape(with_key)) == (plain.status_code, shape(plain))
    assert with_key.headers["content-type"] == plain.headers["content-type"]

    # A budget's 200 (updated) is kept as 200.
    def budget(amount: int, key: str | None) -> httpx2.Response:
        sent = keyed(headers, key) if key else headers
        return client.post("/api/budgets", json={"category": "Food", "amount": amount}, headers=sent)

    assert budget(1, None).status_code == 201
    update_1, update_2 = budget(2, "b"), budget(2, "b")
    assert (update_1.status_code, update_2.status_code, update_2.content) == (200, 200, update_1.content)


def test_a_retry_answers_the_first_answer_even_after_the_expense_is_gone(
    client: TestClient, engine: Engine
) -> None:
    headers = keyed(register(client), "lunch")
    first = client.post("/api/expenses", json=expense_body(), headers=headers)
    assert client.delete(f"/api/expenses/{first.json()['id']}", headers=headers).status_code == 204
    again = client.post("/api/expenses", json=expense_body(), headers=headers)
    assert (again.status_code, again.content, replayed(again)) == (201, first.content, True)
    assert snapshot(engine)["expenses"] == 0


def test_a_kept_answer_gives_away_no_secret_it_holds(client: TestClient, engine: Engine) -> None:
    """A reset link's token is stored only hashed (app.services.links): kept for a retry, its answer
    must not put it back in the database in the clear, nor the key, nor a created account's password."""
    admin = register(client)
    target = _account(client, admin)
    key = "3f2a9c1e-retry-secret"
    link = client.post(f"/api/admin/users/{target.user_id}/reset-link", headers=keyed(admin, key))
    assert link.status_code == 201
    made = client.post(
        "/api/admin/users",
        json={"email": "new@example.com", "password": "an unguessable passphrase"},
        headers=keyed(admin, "another-key"),
    )
    assert made.status_code == 201
    with engine.connect() as conn:
        rows = conn.execute(select(IdempotencyKey)).all()
    stored = b"".join(
        str(value).encode() + (value if isinstance(value, bytes) else b"") for row in rows for value in row
    )
    for secret in (link.json()["token"], key, "an unguessable passphrase", "new@example.com"):
        assert secret.encode() not in stored
    # ...and the retry still gets the link it lost.
    again = client.post(f"/api/admin/users/{target.user_id}/reset-link", headers=keyed(admin, key))
    assert (again.json()["token"], replayed(again)) == (link.json()["token"], True)


def test_work_and_key_commit_together_so_a_failure_after_the_work_writes_nothing(
    engine: Engine, client: TestClient
) -> None:
    """The service commits before the answer is stored: that commit is only a savepoint, so a
    failure (or the process dying) before the key's answer is written leaves no expense behind,
    and the retry then creates it once."""
    headers = keyed(register(client), "crash")
    failing = patch.object(idempotency, "_answer", side_effect=RuntimeError("the process dies here"))
    with failing, TestClient(app, raise_server_exceptions=False) as crashing:
        assert crashing.post("/api/expenses", json=expense_body(), headers=headers).status_code == 500
    assert (snapshot(engine)["expenses"], stored_keys(engine)) == (0, 0)
    retry = client.post("/api/expenses", json=expense_body(), headers=headers)
    assert (retry.status_code, replayed(retry), snapshot(engine)["expenses"]) == (201, False, 1)


def test_a_service_that_rolls_back_and_retries_keeps_the_claim(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """set_budget meets a budget made by a concurrent request (IntegrityError), rolls back and
    updates it instead: that rollback undoes its own savepoint only, not the key's claim."""
    headers = register(client)
    assert (
        client.post("/api/budgets", json={"category": "Food", "amount": 1}, headers=headers).status_code
        == 201
    )
    looked = []
    real = budgets_service._budget_for

    def not_there_yet(*args: Any) -> Any:  # the first look misses it, as a concurrent insert would
        looked.append(True)
        return None if len(looked) == 1 else real(*args)

    monkeypatch.setattr(budgets_service, "_budget_for", not_there_yet)
    sent = keyed(headers, "budget")
    first = client.post("/api/budgets", json={"category": "Food", "amount": 2}, headers=sent)
    assert (first.status_code, first.json()["amount"], len(looked)) == (200, 2, 2)
    again = client.post("/api/budgets", json={"category": "Food", "amount": 2}, headers=sent)
    assert (again.status_code, again.content, replayed(again)) == (200, first.content, True)
    assert stored_keys(engine) == 1


def test_expired_keys_are_purged_by_a_later_claim(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = register(client)

    def add(key: str) -> None:
        assert (
            client.post("/api/expenses", json=expense_body(), headers=keyed(headers, key)).status_code == 201
        )

    for key in ("old-1", "old-2", "new"):
        add(key)
    with engine.begin() as conn:
        conn.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key_hash.in_([sha256(b"old-1"), sha256(b"old-2")]))
            .values(created_at=utcnow() - idempotency.KEPT_FOR - timedelta(minutes=1))
        )
    monkeypatch.setattr(idempotency._Purge, "due", 0.0)
    add("next")
    with engine.connect() as conn:
        assert set(conn.scalars(select(IdempotencyKey.key_hash))) == {sha256(b"new"), sha256(b"next")}
    # Not again before PURGE_EVERY has passed: one statement an hour, not one per create.
    assert idempotency._Purge.due > 0


# 20 retries at once, against the real app on a loopback port (both databases): one row.
RETRIES = 20


def _at_once(url: str, headers: Headers, json: dict[str, Any]) -> list[httpx2.Response]:
    barrier = threading.Barrier(RETRIES)
    answers: list[httpx2.Response] = []
    failures: list[BaseException] = []

    def retry() -> None:
        try:
            with httpx2.Client(timeout=60) as http:
                barrier.wait()
                answers.append(http.post(url, json=json, headers=headers))
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=retry) for _ in range(RETRIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    return answers


def _register(server: str) -> Headers:
    email = f"racer-{threading.get_ident()}-{utcnow().timestamp()}@example.com"
    response = httpx2.post(f"{server}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _count(engine: Engine, model: type[Base]) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_retries_of_one_key_create_one_expense(
    live_server: str, engine: Engine, round_: int
) -> None:
    headers = keyed(_register(live_server), f"lunch-{round_}")
    answers = _at_once(f"{live_server}/api/expenses", headers, expense_body())
    assert [a.status_code for a in answers] == [201] * RETRIES
    assert len({a.content for a in answers}) == 1
    assert sum(replayed(a) for a in answers) == RETRIES - 1
    assert _count(engine, Expense) == 1


def test_concurrent_retries_of_one_key_record_one_settlement(live_server: str, engine: Engine) -> None:
    owner, partner = _register(live_server), _register(live_server)
    api = f"{live_server}/api"
    ledger = httpx2.post(f"{api}/ledgers", json={"name": "Flat"}, headers=owner).json()["id"]
    token = httpx2.post(f"{api}/ledgers/{ledger}/invitations", json={"role": "editor"}, headers=owner).json()
    assert (
        httpx2.post(f"{api}/ledgers/join", json={"token": token["token"]}, headers=partner).status_code == 200
    )
    ids = [httpx2.get(f"{api}/me", headers=h).json()["id"] for h in (owner, partner)]
    body = {"from_user_id": ids[1], "to_user_id": ids[0], "amount": "12.50", "date": "2026-11-10"}
    answers = _at_once(f"{live_server}/api/ledgers/{ledger}/settlements", keyed(owner, "settle-up"), body)
    assert [a.status_code for a in answers] == [201] * RETRIES
    assert len({a.content for a in answers}) == 1
    assert _count(engine, Settlement) == 1


def test_cors_lets_a_page_elsewhere_send_the_key_and_read_the_replay_header(tmp_path: Any) -> None:
    server = start_server(tmp_path, server_env(tmp_path, CORS_ORIGINS="https://budget.example"))
    try:
        ask = {
            "Origin": "https://budget.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
        }
        preflight = httpx2.options(f"{server.url}/api/expenses", headers=ask)
        assert preflight.status_code == 200, preflight.text
        assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
        answer = httpx2.get(f"{server.url}/api/me", headers={"Origin": "https://budget.example"})
        assert "idempotent-replayed" in answer.headers["access-control-expose-headers"].lower()
    finally:
        stop_server(server)
