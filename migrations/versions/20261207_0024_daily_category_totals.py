"""daily category totals: how many expenses and how much per ledger, day and category, so that a
range's partial months (a rolling year by day, 30 days by week) read a row per day and category
instead of every expense of those days (issue 28)

Filled from the expenses already there; the app's writes keep it in step from then on.

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "daily_category_totals",
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("category_key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ledger_id"],
            ["ledgers.id"],
            name=op.f("fk_daily_category_totals_ledger_id_ledgers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ledger_id", "day", "category_key", name=op.f("pk_daily_category_totals")),
    )
    op.execute(
        "INSERT INTO daily_category_totals (ledger_id, day, category_key, count, amount_cents)"
        " SELECT ledger_id, date, category_key, count(*), sum(base_amount_cents) FROM expenses"
        " GROUP BY ledger_id, date, category_key"
    )


def downgrade() -> None:
    op.drop_table("daily_category_totals")
