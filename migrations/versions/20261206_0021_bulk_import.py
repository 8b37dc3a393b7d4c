"""bulk import: an index for an import's duplicates, and a ledger stamped once per bulk insert

`ix_expenses_ledger_date_amount` lets an import judge each row of its file against the ledger's
expenses of the same day and amount (app.services.imports) in one probe, at any ledger size.

`stamped_ledgers` holds, for the length of the one writer's bulk insert, the ledger that
`lock_ledger` stamped with its new version in that transaction; an insert into a versioned table
passes those ledgers by. An import stamped its ledger once per row on SQLite (two updates per
expense and per split part) and once per statement on PostgreSQL; now once. The statements are
app.models.VERSION_DDL's as it stands, written out here so that history does not move with it.

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED_BY = ("expenses", "expense_splits", "budgets", "settlements", "ledger_members")
SQLITE_STAMP = (
    "UPDATE ledger_versions SET last = last + 1;"
    " UPDATE ledgers SET version = (SELECT last FROM ledger_versions) WHERE id IN (new.ledger_id);"
)
STAMPED = "SELECT ledger_id FROM stamped_ledgers"
FUNCTION = (
    "CREATE OR REPLACE FUNCTION stamp_ledger_versions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'INSERT' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM new_rows{except_stamped});"
    " ELSIF TG_OP = 'DELETE' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM old_rows);"
    " ELSE UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM old_rows UNION SELECT ledger_id FROM new_rows);"
    " END IF; RETURN NULL; END $$"
)


def _sqlite_insert_triggers(when: str) -> None:
    for table in VERSIONED_BY:
        name = f"{table}_version_insert"
        op.execute(f"DROP TRIGGER {name}")
        op.execute(f"CREATE TRIGGER {name} AFTER INSERT ON {table}{when} BEGIN {SQLITE_STAMP} END")


def upgrade() -> None:
    op.create_index("ix_expenses_ledger_date_amount", "expenses", ["ledger_id", "date", "amount_cents"])
    op.create_table(
        "stamped_ledgers",
        sa.Column("ledger_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("ledger_id", name=op.f("pk_stamped_ledgers")),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_insert_triggers(f" WHEN new.ledger_id NOT IN ({STAMPED})")
    else:
        op.execute(FUNCTION.format(except_stamped=f" EXCEPT {STAMPED}"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_insert_triggers("")
    else:
        op.execute(FUNCTION.format(except_stamped=""))
    op.drop_table("stamped_ledgers")
    op.drop_index("ix_expenses_ledger_date_amount", table_name="expenses")
