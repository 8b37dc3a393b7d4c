from alembic import context
from sqlalchemy import text

from app.config import settings
from app.database import Base, make_engine
from app.migrate import include_name
from app import models  # noqa: F401  (registers the tables on Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or settings.resolved_database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,  # SQLite alters tables by copying them
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Several workers may start at once; only one migrates, the others wait for it.
                connection.execute(text("SELECT pg_advisory_xact_lock(727274)"))
            context.run_migrations()
    engine.dispose()


run_migrations()
