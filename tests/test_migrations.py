"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from app.database import Base, make_engine
from app.migrate import alembic_config, upgrade_to_head


@pytest.fixture
def empty_database_url(postgres_url: str | None, tmp_path: Path) -> Iterator[str]:
    if postgres_url is None:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS migration_test"))
        conn.execute(text("CREATE DATABASE migration_test"))
    yield postgres_url.rsplit("/", 1)[0] + "/migration_test"
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE migration_test WITH (FORCE)"))
    admin.dispose()


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []

    upgrade_to_head(empty_database_url)  # a second start changes nothing
    command.downgrade(alembic_config(empty_database_url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
