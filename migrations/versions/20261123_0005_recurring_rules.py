"""recurring rules, and expenses that are their occurrences

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "recurring_rules",
        sa.Column("id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("category_key", sa.String(length=40), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("day_of_month", sa.Integer(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("next_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_recurring_rules_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_rules")),
    )
    op.create_index("ix_recurring_rules_user_next_date", "recurring_rules", ["user_id", "next_date"])
    # SQLite cannot add a foreign key or a unique constraint to a table in place: batch mode copies it.
    with op.batch_alter_table("expenses") as batch:
        batch.add_column(sa.Column("recurring_id", ID, nullable=True))
        batch.add_column(sa.Column("occurrence_date", sa.Date(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_expenses_recurring_id_recurring_rules"),
            "recurring_rules",
            ["recurring_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint(
            "uq_expenses_recurring_occurrence", ["recurring_id", "occurrence_date"]
        )


def downgrade() -> None:
    with op.batch_alter_table("expenses") as batch:
        batch.drop_constraint("uq_expenses_recurring_occurrence", type_="unique")
        batch.drop_constraint(op.f("fk_expenses_recurring_id_recurring_rules"), type_="foreignkey")
        batch.drop_column("occurrence_date")
        batch.drop_column("recurring_id")
    op.drop_index("ix_recurring_rules_user_next_date", table_name="recurring_rules")
    op.drop_table("recurring_rules")
