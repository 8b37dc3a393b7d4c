from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from app.config import PROJECT_ROOT
from app.models import SEARCH_OBJECTS


def alembic_config(database_url: str) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    # ConfigParser would read % as interpolation; URLs may hold percent-encoded passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    command.upgrade(alembic_config(database_url), "head")


def is_at_head(engine: Engine) -> bool:
    """Whether the database has every migration of this version (a read: nothing is written)."""
    head = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


def include_name(name: str | None, type_: str, _parent_names: object) -> bool:
    """Schema comparisons skip the text-search objects (app.models.SEARCH_DDL), which the models
    make with raw DDL: an FTS5 table and its shadow tables, pg_trgm indexes."""
    return name is None or not name.startswith(SEARCH_OBJECTS)
