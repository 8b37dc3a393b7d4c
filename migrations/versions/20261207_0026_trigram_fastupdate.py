"""trigram fastupdate: PostgreSQL's two trigram GIN indexes take new rows into their pending list

With `fastupdate = off` (0009) each new row's trigrams went into both indexes one row at a time,
which capped an import at about 2,000 rows/s whatever the app did (issue 28). With it on, new rows
wait in each index's pending list, and the one writer moves that list into the index at the end
of a write of many rows (app.services.trigram.merge_pending), so a search after an import does
not read through thousands of pending rows. SQLite: nothing to do.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = ("ix_expenses_description_trgm", "ix_expenses_category_trgm")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in INDEXES:
            op.execute(f"ALTER INDEX {index} SET (fastupdate = on)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for index in INDEXES:
            # Turning fastupdate off leaves the rows already pending where they are: merge them first.
            op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")
            op.execute(f"ALTER INDEX {index} SET (fastupdate = off)")
