"""Text search (`q`): the trigram indexes give the rows the LIKE scan gave, on both databases."""

from datetime import UTC, date, datetime

import pytest
from alembic import command
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, MetaData, Table, event, insert, select, text
from sqlalchemy.orm import Session

from app import models
from app.database import make_engine
from app.migrate import alembic_config, upgrade_to_head
from app.models import Expense, Ledger
from app.services import expenses, listing
from tests.factories import PASSWORD, add_expense, refused, register
from tests.test_imports import upload
from tests.test_recurring import add_rule

ROWS = [  # (description, category)
    ("Coffee with Sam", "Food"),
    ("École fees", "Education"),
    ("Ωmega café", "Fun"),
    ("100% juice", "Food"),
    ("a_b\\c path", "Food"),
    ("Tea", "Coffee shop"),
    ("ecole sans accent", "Food"),
]
QUERIES = [  # q, the descriptions it finds
    ("coffee", {"Coffee with Sam", "Tea"}),  # "Tea" by its category
    ("COFFEE WITH", {"Coffee with Sam"}),
    ("ff", {"Coffee with Sam", "Tea"}),  # 2 letters: below a trigram
    ("%", {"100% juice"}),  # 1 letter, a LIKE wildcard taken literally
    ("_", {"a_b\\c path"}),
    ("\\", {"a_b\\c path"}),
    ("0% j", {"100% juice"}),
    ("a%b", set()),
    ("a_b", {"a_b\\c path"}),
    ("b\\c", {"a_b\\c path"}),
    ("ÉCOLE", {"École fees"}),  # non-ASCII upper case finds lower case
    ("école", {"École fees"}),
    ("ecole", {"ecole sans accent"}),  # accents are kept: "ecole" is not "école"
    ("ΩMEGA", {"Ωmega café"}),
    ("CAFÉ", {"Ωmega café"}),
    ("EDUCATION", {"École fees"}),  # the category only
    ('"a', set()),  # FTS5 syntax in q is text
    ("zzz", set()),
]


UNFOLDED = ("ꮳꮃꭹ", "ᏣᎳᎩ", "İstanbul", "i̇stan", "çai")  # Cherokee, "İ", a q ending in part of "İ"


def found(client: TestClient, headers: dict[str, str], q: str, **params: str) -> set[str]:
    response = client.get("/api/expenses", params={"q": q, "limit": 100, **params}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])  # the total counts the matches
    return {e["description"] for e in page["items"]}


@pytest.mark.parametrize(("q", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_search_finds_the_same_rows_on_both_databases(client: TestClient, q: str, expected: set[str]) -> None:
    headers = register(client)
    for description, category in ROWS:
        add_expense(client, headers, description=description, category=category)
    other = register(client)  # another account's rows are never found
    add_expense(client, other, description="Coffee with Sam", category="Coffee")
    assert found(client, headers, q) == expected


def test_the_index_serves_the_search(engine: Engine, client: TestClient) -> None:
    headers = register(client)
    for description, category in [*ROWS, ("ᏣᎳᎩ", "Food"), ("İstanbul", "Travel")]:
        add_expense(client, headers, description=description, category=category)
    if engine.dialect.name == "postgresql":
        # ILIKE is unchanged; the question is whether pg_trgm's indexes can serve it (a table
        # this small is read whole unless sequential scans are ruled out).
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL enable_seqscan = off"))
            query = select(Expense.id).where(listing._matches("coffee", "postgresql"))
            sql = query.compile(engine, compile_kwargs={"literal_binds": True})
            plan = "\n".join(conn.execute(text(f"EXPLAIN {sql}")).scalars())
        assert "ix_expenses_description_trgm" in plan
        assert "ix_expenses_category_trgm" in plan
        return
    # Python lowers "İ" to "i" and a combining dot, which FTS5 does not: such q go to the scan.
    queries = [q for q, _ in QUERIES] + [*UNFOLDED, "stanbul", "ASTANB"]
    with Session(engine) as session:
        for q in queries:
            where = listing._matches(q, "sqlite")
            by_index = set(session.scalars(select(Expense.id).where(where)))
            by_scan = set(session.scalars(select(Expense.id).where(listing._contains(q, "sqlite"))))
            assert by_index == by_scan, q
            # 3 letters or more use the index, unless FTS5 folds a letter unlike Python.
            uses_index = "expenses_fts" in str(where.compile())
            assert uses_index == (len(q) >= 3 and q not in UNFOLDED), q
    # Cherokee: FTS5 (SQLite 3.40) does not fold it, the scan does: found all the same.
    assert found(client, headers, "ꮳꮃꭹ") == {"ᏣᎳᎩ"}


def fts_in_step(engine: Engine) -> None:
    """FTS5 compares its index with the expenses table; it raises if they differ (a row missing from
    the index, or in it twice). Without rank 1 it checks only that the index is whole in itself."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO expenses_fts(expenses_fts, rank) VALUES ('integrity-check', 1)"))


def test_every_write_keeps_the_index_in_step(client: TestClient, engine: Engine) -> None:
    headers = register(client, password=PASSWORD)
    lunch = add_expense(client, headers, description="Lunch at Marco's")
    assert found(client, headers, "marco") == {"Lunch at Marco's"}

    patched = client.patch(
        f"/api/expenses/{lunch['id']}", json={"description": "Dinner at Zoë's"}, headers=headers
    )
    assert patched.status_code == 200
    assert found(client, headers, "marco") == set()
    assert found(client, headers, "ZOË") == {"Dinner at Zoë's"}
    client.patch(f"/api/expenses/{lunch['id']}", json={"category": "Restaurants"}, headers=headers)
    assert found(client, headers, "restaur") == {"Dinner at Zoë's"}

    assert client.delete(f"/api/expenses/{lunch['id']}", headers=headers).status_code == 204
    assert found(client, headers, "zoë") == set()

    csv = (
        "date,category,amount,description\n2026-01-05,Food,1,Imported bagel\n2026-01-06,Food,2,Imported tea\n"
    )
    assert upload(client, headers, csv).status_code == 200
    assert found(client, headers, "imported") == {"Imported bagel", "Imported tea"}

    add_rule(client, headers, description="Flat on Rue Oberkampf", start_date="2026-10-01")
    client.get("/api/expenses", headers=headers)  # occurrences fall due on a request at the latest
    assert found(client, headers, "oberkampf") == {"Flat on Rue Oberkampf"}
    fts_in_step(engine)

    # Deleting the account cascades to its ledger's expenses: the index follows.
    deleted = client.request("DELETE", "/api/me", json={"password": PASSWORD}, headers=headers)
    assert deleted.status_code == 204, deleted.text
    fts_in_step(engine)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert (
                conn.scalar(text("SELECT count(*) FROM expenses_fts WHERE expenses_fts MATCH 'bagel'")) == 0
            )


def test_the_writer_indexes_the_rows_it_inserts_once_in_one_statement(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one writer's rows pass the index's insert trigger by (SQLite: their ledger is held) and it
    indexes them itself, one statement a write, however many batches: imports, single adds and a
    rule's occurrences in two ledgers, edited and deleted after, are each found exactly, once."""
    monkeypatch.setattr(expenses, "BATCH", 2)  # an import of 5 rows goes in 3 batches
    ann, bob = register(client), register(client)
    fills: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep_fill(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if statement.startswith("INSERT INTO expenses_fts"):
            fills.append(statement)

    def imported(headers: dict[str, str], n: int, month: int) -> None:
        lines = "".join(
            f"2026-{month:02d}-{day:02d},Food,{day},Bagel {month}-{day}\n" for day in range(1, n + 1)
        )
        response = upload(client, headers, "date,category,amount,description\n" + lines)
        assert response.status_code == 200, response.text
        assert response.json()["imported"] == n

    try:
        imported(ann, 5, 1)
        assert len(fills) == (engine.dialect.name == "sqlite")  # one statement for the 5 rows
        imported(bob, 3, 1)  # another ledger's rows between Ann's
        add_expense(client, ann, description="Bagel single")
        imported(ann, 3, 2)
        add_expense(client, bob, description="Bagel of Bob")
        add_expense(client, bob, description="Tea")
        add_rule(client, ann, description="Bagel club", start_date="2026-09-01")
        client.get("/api/expenses", headers=ann)  # occurrences fall due on a request at the latest
    finally:
        event.remove(engine, "before_cursor_execute", keep_fill)

    def rows(headers: dict[str, str], q: str | None = None) -> dict[int, str]:
        page = client.get("/api/expenses", params={"limit": 100, "q": q or ""}, headers=headers).json()
        assert page["total"] == len(page["items"])
        return {e["id"]: e["description"] for e in page["items"]}

    clubs = list(rows(ann).values()).count("Bagel club")
    assert clubs >= 3  # Sep to Dec: one write of several
    by_name = {description: expense_id for expense_id, description in rows(ann).items()}
    edited = client.patch(
        f"/api/expenses/{by_name['Bagel 1-2']}", json={"description": "Croissant"}, headers=ann
    )
    assert edited.status_code == 200, edited.text
    assert client.delete(f"/api/expenses/{by_name['Bagel 2-3']}", headers=ann).status_code == 204
    for headers in (ann, bob):  # the search finds exactly the rows a scan of the whole list finds
        everything = rows(headers)
        assert rows(headers, "bagel") == {i: d for i, d in everything.items() if "Bagel" in d}
        assert rows(headers, "croissant") == {i: d for i, d in everything.items() if "Croissant" in d}
    assert len(rows(ann, "bagel")) == 5 - 1 + 1 + 3 - 1 + clubs
    fts_in_step(engine)
    if engine.dialect.name == "sqlite":  # the new ids by the primary key, not all the ledger's rows
        with engine.connect() as conn:
            fill = models.SEARCH_FILL["sqlite"].text
            plan = conn.execute(text(f"EXPLAIN QUERY PLAN {fill}"), {"first": 1, "last": 2}).all()
        assert [row[-1] for row in plan] == [
            "SEARCH expenses USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"
        ]


def test_search_with_a_date_filter_and_cursor_paging(client: TestClient) -> None:
    headers = register(client)
    for day in range(1, 8):
        add_expense(client, headers, date=f"2026-03-0{day}", amount=day, description=f"Coffee {day}")
        add_expense(client, headers, date=f"2026-03-0{day}", amount=100, description="Bread")
    params: dict[str, str | int] = {"q": "coffee", "start": "2026-03-02", "end": "2026-03-06", "limit": 2}
    seen: list[str] = []
    while True:
        page = client.get("/api/expenses", params=params, headers=headers).json()
        assert (page["total"], page["total_amount"]) == (5, 2 + 3 + 4 + 5 + 6)
        seen += [e["description"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        params = {**params, "cursor": page["next_cursor"]}
    assert seen == ["Coffee 6", "Coffee 5", "Coffee 4", "Coffee 3", "Coffee 2"]


def test_search_refuses_bad_q_and_anonymous_callers(client: TestClient) -> None:
    headers = register(client)
    assert refused(client.get("/api/expenses", params={"q": "x" * 201}, headers=headers)) == ["query.q"]
    assert refused(client.get("/api/expenses", params={"q": "a\x00b"}, headers=headers)) == ["query.q"]
    assert client.get("/api/expenses", params={"q": "coffee"}).status_code == 401


def test_search_in_another_users_ledger_is_not_found(client: TestClient) -> None:
    owner = register(client)
    ledger_id = add_expense(client, owner, description="Secret coffee")["ledger_id"]
    stranger = register(client)
    response = client.get("/api/expenses", params={"q": "coffee", "ledger": ledger_id}, headers=stranger)
    assert response.status_code == 404


def test_0009_indexes_the_rows_of_a_populated_0007_database(empty_database_url: str, engine: Engine) -> None:
    """0009 on a populated 0007 database: old rows are found, and its objects are create_all's."""
    command.upgrade(alembic_config(empty_database_url), "0007")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    meta = MetaData()
    users, ledgers, expenses_0007 = (
        Table(n, meta, autoload_with=migrated) for n in ("users", "ledgers", "expenses")
    )
    with migrated.begin() as conn:
        conn.execute(insert(users).values(id=3, email="a@example.com", password_hash="x", display_name="",
                                          currency="EUR", created_at=when, token_version=0, is_admin=False,
                                          disabled=False))  # fmt: skip
        conn.execute(
            insert(ledgers).values(id=4, name="Personal", currency="EUR", personal_of=3, created_at=when)
        )
        for expense_id, description in ((11, "Old coffee"), (12, "École trip"), (13, "Bread")):
            conn.execute(
                insert(expenses_0007).values(
                    id=expense_id, ledger_id=4, user_id=3, paid_by=3, date=date(2026, 1, 2), category="Food",
                    category_key="food", amount_cents=100, description=description, created_at=when,
                    updated_at=when,
                )
            )  # fmt: skip
    upgrade_to_head(empty_database_url)
    dialect = migrated.dialect.name
    with Session(migrated) as session:
        for q, ids in (("COFFEE", {11}), ("écol", {12}), ("food", {11, 12, 13}), ("xyz", set())):
            assert set(session.scalars(select(Expense.id).where(listing._matches(q, dialect)))) == ids, q
    fts_in_step(migrated)
    made = search_objects(migrated)
    assert set(made) == SEARCH_OBJECTS[migrated.dialect.name]
    assert made == search_objects(engine)  # the migration makes what create_all makes
    command.downgrade(alembic_config(empty_database_url), "0007")
    with migrated.connect() as conn:
        assert set(conn.scalars(select(Expense.id).where(listing._contains("coffee", dialect)))) == {11}
    assert search_objects(migrated) == {}
    migrated.dispose()


def test_0025_indexes_every_insert_but_a_held_ledgers_as_create_all_does_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    """0025 on a 0024 database: an insert is indexed by the trigger unless its ledger is held in
    stamped_ledgers (the one writer then indexes it itself); the rows there stay found; down brings
    0009's trigger back. PostgreSQL: nothing changes."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0024")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    meta = MetaData()
    users, ledgers, expenses_table = (
        Table(n, meta, autoload_with=migrated) for n in ("users", "ledgers", "expenses")
    )
    with migrated.begin() as conn:
        conn.execute(insert(users).values(id=3, email="a@example.com", password_hash="x", display_name="",
                                          currency="EUR", created_at=when, token_version=0, is_admin=False,
                                          disabled=False, language=None))  # fmt: skip
        conn.execute(
            insert(ledgers).values(id=4, name="Personal", currency="EUR", personal_of=3, created_at=when)
        )

    def add(conn: Connection, expense_id: int, description: str) -> None:
        conn.execute(
            insert(expenses_table).values(
                id=expense_id, ledger_id=4, user_id=3, paid_by=3, date=date(2026, 1, 2), category="Food",
                category_key="food", amount_cents=100, currency="EUR", rate="1", rate_source="same",
                base_amount_cents=100, description=description, created_at=when, updated_at=when,
            )
        )  # fmt: skip

    def matching(q: str) -> set[int]:
        with Session(migrated) as session:
            return set(session.scalars(select(Expense.id).where(listing._matches(q, migrated.dialect.name))))

    with migrated.begin() as conn:
        add(conn, 11, "Old coffee")
    before = search_objects(migrated)
    command.upgrade(config, "0025")
    if migrated.dialect.name == "sqlite":  # PostgreSQL's indexes become create_all's at 0026 (test_trigram)
        assert search_objects(migrated) == search_objects(engine)  # the migration makes what create_all makes
    assert (search_objects(migrated) == before) == (migrated.dialect.name == "postgresql")
    with migrated.begin() as conn:
        add(conn, 12, "New coffee")
    assert matching("coffee") == {11, 12}
    fts_in_step(migrated)
    if migrated.dialect.name == "sqlite":
        with migrated.begin() as conn:
            conn.execute(text("INSERT INTO stamped_ledgers (ledger_id) VALUES (4)"))
            add(conn, 13, "Held coffee")  # passed by: the writer would index it now, in one statement
            indexed = text("SELECT rowid FROM expenses_fts WHERE expenses_fts MATCH 'held'")
            assert conn.scalars(indexed).all() == []  # in this transaction, which sees the row
            assert conn.scalar(text("SELECT count(*) FROM expenses WHERE id = 13")) == 1
            conn.execute(models.SEARCH_FILL["sqlite"], {"first": 13, "last": 13})
            conn.execute(text("DELETE FROM stamped_ledgers"))
        assert matching("coffee") == {11, 12, 13}
        fts_in_step(migrated)
    command.downgrade(config, "0024")
    assert search_objects(migrated) == before
    with migrated.begin() as conn:
        add(conn, 14, "Later coffee")
    assert 14 in matching("coffee")
    fts_in_step(migrated)
    migrated.dispose()


SEARCH_OBJECTS = {
    "sqlite": {"expenses_fts", "expenses_fts_insert", "expenses_fts_update", "expenses_fts_delete"},
    "postgresql": {"ix_expenses_description_trgm", "ix_expenses_category_trgm"},
}


def search_objects(engine: Engine) -> dict[str, str]:
    """The search objects' names and definitions, as the database reports them."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            query = (
                "SELECT name, sql FROM sqlite_master"
                " WHERE (type = 'trigger' AND name LIKE 'expenses_fts%') OR name = 'expenses_fts'"
            )
        else:
            query = "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%trgm'"
        return {str(name): str(definition) for name, definition in conn.execute(text(query))}


# Letters where folding differs between ASCII LIKE, FTS5 and Python: accents, "İ" and its parts,
# the three sigmas, the Kelvin sign, Cherokee, and LIKE's and FTS5's own syntax.
TRICKY = 'aAéÉeEiI\u0130\u0307\u03a3\u03c3\u03c2Kk\u212a\u13a0\uab70%_\\" '


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    texts=st.lists(st.text(TRICKY, max_size=8), min_size=1, max_size=6),
    q=st.text(TRICKY, min_size=1, max_size=5),
)
def test_the_index_never_changes_what_a_search_finds(engine: Engine, texts: list[str], q: str) -> None:
    """Random text over the letters that fold differently: the index path finds what the scan finds."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL runs the same ILIKE with or without its index: nothing to compare")
    with Session(engine) as session:
        ledger = Ledger(name="L", currency="USD")
        session.add(ledger)
        session.flush()
        for description, category in zip(texts, reversed(texts), strict=True):
            session.add(
                Expense(ledger_id=ledger.id, paid_by=1, date=date(2026, 1, 1), category=category or "x",
                        category_key="x", amount_minor=1, currency="EUR", rate="1", rate_source="same",
                        base_amount_minor=1, description=description)
            )  # fmt: skip
        session.flush()
        by_index = set(session.scalars(select(Expense.id).where(listing._matches(q, "sqlite"))))
        by_scan = set(session.scalars(select(Expense.id).where(listing._contains(q, "sqlite"))))
        session.rollback()  # the next example starts from an empty table
    assert by_index == by_scan


def test_a_common_q_pages_by_date_and_a_rare_one_by_the_index(client: TestClient, engine: Engine) -> None:
    """SQLite walks the date index for a q that many rows match, asks FTS5 for a rare one: same rows."""
    headers = register(client)
    for day in range(1, 9):
        add_expense(client, headers, date=f"2026-03-{day:02d}", amount=day, description=f"Coffee {day}")
    for day in range(1, 5):
        add_expense(client, headers, date=f"2026-03-{day:02d}", amount=100, description="Bread")
    add_expense(client, headers, date="2026-02-01", amount=7, description="Rare tea")
    pages: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def keep_page(_c: object, _cur: object, statement: str, *_args: object) -> None:
        if "LIMIT" in statement:
            pages.append(statement)

    def page(q: str, **params: int) -> tuple[list[str], bool]:
        pages.clear()
        response = client.get("/api/expenses", params={"q": q, **params}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == {"coffee": 8, "rare": 1}[q]  # every match, whatever the path
        assert body["total_amount"] == {"coffee": 36, "rare": 7}[q]
        (statement,) = pages
        return [e["description"] for e in body["items"]], "expenses_fts" in statement

    try:
        # 13 rows: 3 of them cost about 13 x 3 / 8 rows walked, under the 8 matches to sort.
        by_date = page("coffee", limit=3)
        # Rows up to 5 deep, 13 x 5 / 8, are more than the matches: sorted from the index.
        deeper = page("coffee", limit=3, offset=2)
        rare = page("rare", limit=3)
    finally:
        event.remove(engine, "before_cursor_execute", keep_page)
    sqlite = engine.dialect.name == "sqlite"
    assert by_date == (["Coffee 8", "Coffee 7", "Coffee 6"], False)
    assert deeper == (["Coffee 6", "Coffee 5", "Coffee 4"], sqlite)
    assert rare == (["Rare tea"], sqlite)
