"""daily totals: how many expenses and how much per ledger and day, for the stats' trend

Filled from the expenses already there; the app's writes keep it in step from then on.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "daily_totals",
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_id"], ["ledgers.id"], name=op.f("fk_daily_totals_ledger_id_ledgers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ledger_id", "day", name=op.f("pk_daily_totals")),
    )
    op.execute(
        "INSERT INTO daily_totals (ledger_id, day, count, amount_cents)"
        " SELECT ledger_id, date, count(*), sum(base_amount_cents) FROM expenses GROUP BY ledger_id, date"
    )


def downgrade() -> None:
    op.drop_table("daily_totals")
