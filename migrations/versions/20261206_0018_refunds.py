"""refunds: an expense may be money back, stored with negative amounts

A refund's amount, base amount and split parts are stored negative, so every existing sum (totals,
budgets, balances) counts it as it is; no column changes. No CHECK constraint ever required a
positive amount (the API and the writer did), so none is relaxed here, and `expenses` is not rebuilt
(on SQLite that would drop its full-text and version triggers). What is added is an index of each
ledger's refunds, which the writer sums on every write to bound what a ledger holds.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUNDS = sa.text("base_amount_cents < 0")


def upgrade() -> None:
    op.create_index(
        "ix_expenses_ledger_refunds",
        "expenses",
        ["ledger_id", "base_amount_cents"],
        sqlite_where=REFUNDS,
        postgresql_where=REFUNDS,
    )


def downgrade() -> None:
    # Refunds stay, negative (deleting them would lose data and leave the totals wrong): the earlier
    # app sums them as they are and shows their amounts negative.
    op.drop_index("ix_expenses_ledger_refunds", table_name="expenses")
