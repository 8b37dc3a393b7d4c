"""search fill: an import's rows go into SQLite's search index in one statement, not one a row

The FTS5 index's insert trigger passes by the rows of a ledger held in `stamped_ledgers`, which only
the one writer (app.services.expenses.add_expense_rows) does while it inserts; it then indexes those
rows itself in one statement (app.models.SEARCH_FILL). Every other insert is indexed by the trigger
as before. The trigger fired once per row cost 2.3x the CPU of inserting 50,000 rows (issue 28).
`stamped_ledgers` is empty between transactions, so the index is in step as it is. The statements are
app.models.SEARCH_DDL's as it stands and 0009's, written out here so that history does not move
with them. PostgreSQL: nothing (its trigram indexes take every row as it goes in).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = (
    "CREATE TRIGGER expenses_fts_insert AFTER INSERT ON expenses{when} BEGIN"
    " INSERT INTO expenses_fts(rowid, description, category)"
    " VALUES (new.id, new.description, new.category); END"
)


def _insert_trigger(when: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER expenses_fts_insert")
        op.execute(TRIGGER.format(when=when))


def upgrade() -> None:
    _insert_trigger(" WHEN new.ledger_id NOT IN (SELECT ledger_id FROM stamped_ledgers)")


def downgrade() -> None:
    _insert_trigger("")
