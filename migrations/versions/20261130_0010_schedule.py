"""daily runs: one worker a day materialises recurring expenses

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daily_runs",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_daily_runs")),
    )


def downgrade() -> None:
    op.drop_table("daily_runs")
