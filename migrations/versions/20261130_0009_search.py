"""search: indexes for text search over description and category

SQLite: an FTS5 trigram table (external content: `expenses` keeps the text) kept in step by
triggers, filled from the rows already there. PostgreSQL: pg_trgm GIN indexes, which ILIKE uses.
The statements are copied from app.models.SEARCH_DDL as it stood, so history does not move with it.

A later migration that rebuilds `expenses` on SQLite (batch_alter_table copies and drops it) drops
these triggers with the old table: it must create them again.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = {
    "sqlite": (
        "CREATE VIRTUAL TABLE expenses_fts USING fts5(description, category, content='expenses',"
        " content_rowid='id', tokenize='trigram case_sensitive 0')",
        "CREATE TRIGGER expenses_fts_insert AFTER INSERT ON expenses BEGIN"
        " INSERT INTO expenses_fts(rowid, description, category)"
        " VALUES (new.id, new.description, new.category); END",
        "CREATE TRIGGER expenses_fts_delete AFTER DELETE ON expenses BEGIN"
        " INSERT INTO expenses_fts(expenses_fts, rowid, description, category)"
        " VALUES ('delete', old.id, old.description, old.category); END",
        "CREATE TRIGGER expenses_fts_update AFTER UPDATE OF description, category ON expenses BEGIN"
        " INSERT INTO expenses_fts(expenses_fts, rowid, description, category)"
        " VALUES ('delete', old.id, old.description, old.category);"
        " INSERT INTO expenses_fts(rowid, description, category)"
        " VALUES (new.id, new.description, new.category); END",
        "INSERT INTO expenses_fts(expenses_fts) VALUES ('rebuild')",
    ),
    "postgresql": (
        # A trusted extension since PostgreSQL 13: the database's owner may create it.
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        # fastupdate off: new rows go into the index at once. With it on they wait in a pending
        # list (up to 4 MB) that every search reads through until a vacuum: 8-13 ms at 100k rows.
        "CREATE INDEX ix_expenses_description_trgm ON expenses USING gin (description gin_trgm_ops)"
        " WITH (fastupdate = off)",
        "CREATE INDEX ix_expenses_category_trgm ON expenses USING gin (category gin_trgm_ops)"
        " WITH (fastupdate = off)",
    ),
}
DOWNGRADE = {
    "sqlite": (
        "DROP TRIGGER expenses_fts_update",
        "DROP TRIGGER expenses_fts_delete",
        "DROP TRIGGER expenses_fts_insert",
        "DROP TABLE expenses_fts",
    ),
    # The extension stays: other databases' objects may use it.
    "postgresql": ("DROP INDEX ix_expenses_category_trgm", "DROP INDEX ix_expenses_description_trgm"),
}


def upgrade() -> None:
    for statement in UPGRADE[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE[op.get_bind().dialect.name]:
        op.execute(statement)
