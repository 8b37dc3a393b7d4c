"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from app.database import Base, make_engine
from app.migrate import alembic_config, upgrade_to_head


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
