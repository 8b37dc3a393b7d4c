"""ledger revision: a count of the writes to a ledger's expenses, split parts and budgets

`ledgers.revision`, counted by triggers (SQLite: per row; PostgreSQL: per statement over its
transition tables), so that an answer worked out from those rows can be kept until the next write
(app.answers). The statements are app.models.REVISION_DDL as it stood, written out here so that
history does not move with it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("expenses", "expense_splits", "budgets")
WRITES = ("insert", "update", "delete")
SQLITE_LEDGERS = {
    "insert": "new.ledger_id",
    "update": "old.ledger_id, new.ledger_id",
    "delete": "old.ledger_id",
}
TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}
FUNCTION = (
    "CREATE OR REPLACE FUNCTION count_ledger_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'INSERT' THEN"
    " UPDATE ledgers SET revision = revision + 1 WHERE id IN (SELECT ledger_id FROM new_rows);"
    " ELSIF TG_OP = 'DELETE' THEN"
    " UPDATE ledgers SET revision = revision + 1 WHERE id IN (SELECT ledger_id FROM old_rows);"
    " ELSE UPDATE ledgers SET revision = revision + 1"
    " WHERE id IN (SELECT ledger_id FROM old_rows UNION SELECT ledger_id FROM new_rows);"
    " END IF; RETURN NULL; END $$"
)


def upgrade() -> None:
    op.add_column("ledgers", sa.Column("revision", sa.BigInteger(), server_default="0", nullable=False))
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(FUNCTION)
    for table in TABLES:
        for write in WRITES:
            name = f"{table}_revision_{write}"
            if sqlite:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} BEGIN UPDATE ledgers"  # noqa: S608 (names from constants)
                    f" SET revision = revision + 1 WHERE id IN ({SQLITE_LEDGERS[write]}); END"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} REFERENCING"
                    f" {TRANSITIONS[write]} FOR EACH STATEMENT EXECUTE FUNCTION count_ledger_writes()"
                )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in TABLES:
        for write in WRITES:
            op.execute(f"DROP TRIGGER {table}_revision_{write}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION count_ledger_writes()")
    op.drop_column("ledgers", "revision")
