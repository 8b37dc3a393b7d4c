"""PostgreSQL's trigram indexes (fastupdate on): a write of many rows leaves no pending list behind,
a few rows wait in it, and a search finds exactly the right rows either way."""

import logging
from collections.abc import Iterator

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.config import settings
from app.database import make_engine
from app.main import app
from app.migrate import alembic_config
from app.services.trigram import MERGE_AFTER_ROWS
from tests.conftest import app_on
from tests.factories import add_expense, register
from tests.test_imports import upload
from tests.test_search import search_objects

INDEXES = ("ix_expenses_description_trgm", "ix_expenses_category_trgm")


@pytest.fixture
def pg_engine(engine: Engine) -> Engine:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's FTS5 index has no pending list (the writer's merge is PostgreSQL's only)")
    return engine


def merged_pages(engine: Engine) -> dict[str, int]:
    """How many pages each index had pending, which this moves into the index (as the writer does)."""
    with engine.begin() as conn:
        return {
            name: conn.scalar(text("SELECT gin_clean_pending_list(CAST(:name AS regclass))"), {"name": name})
            for name in INDEXES
        }


def csv(rows: int, rare_every: int) -> str:
    """`rows` rows, one in `rare_every` with "zeppelin" in its description; the others "bread"."""
    lines = ["date,category,amount,description"]
    for n in range(rows):
        what = f"zeppelin ride {n}" if n % rare_every == 0 else f"bread {n}"
        lines.append(f"2026-01-{n % 28 + 1:02d},Food,1.{n % 100:02d},{what}")
    return "\n".join(lines) + "\n"


def search(client: TestClient, headers: dict[str, str], q: str) -> tuple[int, set[str]]:
    response = client.get("/api/expenses", params={"q": q, "limit": 100}, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    return page["total"], {item["description"] for item in page["items"]}


def test_an_import_leaves_no_pending_list_and_searches_stay_exact(
    client: TestClient, pg_engine: Engine
) -> None:
    headers = register(client)
    add_expense(client, headers, description="single zeppelin before")
    imported = upload(client, headers, csv(MERGE_AFTER_ROWS, rare_every=7))
    assert imported.status_code == 200, imported.text
    rare = {f"zeppelin ride {n}" for n in range(0, MERGE_AFTER_ROWS, 7)}
    # Right after the import, from the index alone (and the one row added before it, merged too).
    assert search(client, headers, "zeppelin") == (len(rare) + 1, {*rare, "single zeppelin before"})
    assert search(client, headers, "bread 43") == (1, {"bread 43"})
    assert search(client, headers, "FOOD")[0] == MERGE_AFTER_ROWS + 1  # the category's index too
    assert merged_pages(pg_engine) == dict.fromkeys(INDEXES, 0)


def test_a_few_rows_wait_in_the_pending_list_and_are_found(client: TestClient, pg_engine: Engine) -> None:
    headers = register(client)
    assert upload(client, headers, csv(MERGE_AFTER_ROWS, rare_every=10)).status_code == 200
    add_expense(client, headers, description="one more zeppelin", category="Airships")
    small = upload(client, headers, csv(MERGE_AFTER_ROWS - 1, rare_every=50).replace("zeppelin", "blimp"))
    assert small.status_code == 200, small.text
    # Read through the pending lists: exactly the rows, the new ones with the merged ones.
    rare = {f"zeppelin ride {n}" for n in range(0, MERGE_AFTER_ROWS, 10)}
    assert search(client, headers, "zeppelin") == (len(rare) + 1, {*rare, "one more zeppelin"})
    assert search(client, headers, "blimp") == (2, {"blimp ride 0", "blimp ride 50"})
    assert search(client, headers, "airship") == (1, {"one more zeppelin"})
    assert all(pages > 0 for pages in merged_pages(pg_engine).values())  # they were still pending


@pytest.fixture
def stranger(pg_engine: Engine) -> Iterator[Engine]:
    """The app connected as a role that may write every table but owns none of them (nor the indexes)."""
    with pg_engine.begin() as conn:
        conn.execute(text("CREATE ROLE stranger LOGIN"))
        conn.execute(text("GRANT ALL ON ALL TABLES IN SCHEMA public TO stranger"))
        conn.execute(text("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO stranger"))
    engine = make_engine(pg_engine.url.set(username="stranger").render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with pg_engine.begin() as conn:
        conn.execute(text("DROP OWNED BY stranger"))
        conn.execute(text("DROP ROLE stranger"))


def test_an_import_by_a_role_that_does_not_own_the_indexes_succeeds_and_says_why(
    stranger: Engine, pg_engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with app_on(stranger):
        client = TestClient(app)
        headers = register(client)
        with caplog.at_level(logging.WARNING, logger="app.search"):
            imported = upload(client, headers, csv(MERGE_AFTER_ROWS, rare_every=7))
        assert imported.status_code == 200, imported.text
        rare = {f"zeppelin ride {n}" for n in range(0, MERGE_AFTER_ROWS, 7)}
        assert search(client, headers, "zeppelin") == (len(rare), rare)
    [record] = [r for r in caplog.records if r.name == "app.search"]
    assert "does not own ix_expenses_description_trgm, ix_expenses_category_trgm" in record.getMessage()
    assert "ALTER INDEX ... OWNER TO" in record.getMessage()
    assert all(pages > 0 for pages in merged_pages(pg_engine).values())  # left pending


def test_0026_turns_fastupdate_on_as_create_all_does_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("0026 changes nothing on SQLite")
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0026")
    migrated = make_engine(empty_database_url)
    assert search_objects(migrated) == search_objects(engine)  # as app.models.SEARCH_DDL makes them
    assert all("fastupdate='on'" in definition for definition in search_objects(migrated).values())
    command.downgrade(config, "0025")
    assert {name: made[-16:] for name, made in search_objects(migrated).items()} == dict.fromkeys(
        INDEXES, "(fastupdate=off)"
    )
    migrated.dispose()


def test_a_large_write_gives_sqlites_planner_its_statistics(client: TestClient, engine: Engine) -> None:
    """The same writes on SQLite refresh the statistics its planner reads (ANALYZE): without them it
    counts a rare word's matches by walking the ledger's whole index."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum analyzes its tables")
    headers = register(client)

    fewer = csv(MERGE_AFTER_ROWS - 1, rare_every=10).replace("bread", "toast").replace("zeppelin", "blimp")
    assert upload(client, headers, fewer).json()["imported"] == MERGE_AFTER_ROWS - 1
    assert analyzed(engine) == 0
    many = csv(MERGE_AFTER_ROWS, rare_every=10)
    assert upload(client, headers, many).json()["imported"] == MERGE_AFTER_ROWS
    assert analyzed(engine) > 0
    assert search(client, headers, "zeppelin")[0] == 10  # and a search still finds every match


def analyzed(engine: Engine) -> int:
    """The statistics SQLite's planner has of the expenses' indexes (rows of sqlite_stat1)."""
    with engine.connect() as conn:
        if conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")) == 0:
            return 0
        return int(conn.scalar(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'expenses'")) or 0)


def test_a_start_gives_sqlites_planner_statistics_that_single_adds_never_did(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database fed only by single adds gets no large write: the app's start (and each day, by the
    same function) refreshes the statistics."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum analyzes its tables")
    monkeypatch.setattr(settings, "auto_migrate", False)
    with app_on(engine):
        client = TestClient(app)  # no start: a test's client outside `with` runs no lifespan
        headers = register(client)
        for _ in range(3):
            add_expense(client, headers)
        assert analyzed(engine) == 0
        with TestClient(app):  # the app starts
            assert analyzed(engine) > 0
