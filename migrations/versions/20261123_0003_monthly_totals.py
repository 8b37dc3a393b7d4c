"""monthly totals and a covering index for date-range sums

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.drop_index("ix_expenses_user_date_id", table_name="expenses")
    op.create_index("ix_expenses_user_date_id_amount", "expenses", ["user_id", "date", "id", "amount_cents"])
    op.create_table(
        "monthly_totals",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category_key", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_monthly_totals_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "month", "category_key", name=op.f("pk_monthly_totals")),
    )
    month = (
        "date(date, 'start of month')"
        if op.get_bind().dialect.name == "sqlite"
        else "date_trunc('month', date)::date"
    )
    # month is one of the two fixed expressions above: no outside input reaches this SQL.
    op.execute(
        "INSERT INTO monthly_totals (user_id, month, category_key, category, count, amount_cents) "  # noqa: S608
        f"SELECT user_id, {month}, category_key, min(category), count(*), sum(amount_cents) "
        f"FROM expenses GROUP BY user_id, {month}, category_key"
    )


def downgrade() -> None:
    op.drop_table("monthly_totals")
    op.drop_index("ix_expenses_user_date_id_amount", table_name="expenses")
    op.create_index("ix_expenses_user_date_id", "expenses", ["user_id", "date", "id"])
