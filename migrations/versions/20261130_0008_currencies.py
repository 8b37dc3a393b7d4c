"""currencies: each expense's currency, its rate to the ledger's and its base amount

Every existing expense is in its ledger's currency: rate 1, source "same", base amount = amount.
Amounts of a ledger whose currency has more than two decimals (KWD) move from hundredths to its
minor unit, the scale app.types now gives such a currency; base amounts stay in hundredths.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import iso4217
import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Added with server defaults, so SQLite adds them in place: rebuilding `expenses` there would
# cascade into its split parts. PostgreSQL drops the defaults afterwards.
NEW_COLUMNS = (
    ("currency", sa.String(length=3), "USD"),
    ("rate", sa.String(length=40), "1"),
    ("rate_source", sa.String(length=6), "same"),
    ("base_amount_cents", sa.BigInteger(), "0"),
)
SCALED = ("expenses", "expense_splits", "recurring_rules")


def _finer_scales(currencies: list[str]) -> dict[str, int]:
    """The ledger currencies stored in a unit finer than hundredths, and by how much finer."""
    scales = {}
    for code in currencies:
        try:
            exponent = iso4217.Currency(code).exponent
        except ValueError:
            exponent = None
        if exponent is not None and exponent > 2:
            scales[code] = 10 ** (exponent - 2)
    return scales


def upgrade() -> None:
    bind = op.get_bind()
    for name, type_, default in NEW_COLUMNS:
        op.add_column("expenses", sa.Column(name, type_, nullable=False, server_default=default))
    op.add_column("expenses", sa.Column("rate_date", sa.Date(), nullable=True))
    op.add_column(
        "recurring_rules", sa.Column("currency", sa.String(length=3), nullable=False, server_default="USD")
    )
    op.execute(
        "UPDATE recurring_rules SET currency = "
        "(SELECT l.currency FROM ledgers l WHERE l.id = recurring_rules.ledger_id)"
    )
    op.execute(
        "UPDATE expenses SET currency = (SELECT l.currency FROM ledgers l WHERE l.id = expenses.ledger_id), "
        "base_amount_cents = amount_cents"
    )
    currencies = list(bind.execute(sa.text("SELECT DISTINCT currency FROM ledgers")).scalars())
    for code, factor in _finer_scales(currencies).items():
        for table in SCALED:
            # Table names from this file and an integer factor: no outside input.
            op.execute(
                sa.text(
                    f"UPDATE {table} SET amount_cents = amount_cents * {factor} "  # noqa: S608
                    "WHERE ledger_id IN (SELECT id FROM ledgers WHERE currency = :code)"
                ).bindparams(code=code)
            )
    if bind.dialect.name == "postgresql":
        for name, type_, _ in NEW_COLUMNS:
            op.alter_column("expenses", name, existing_type=type_, server_default=None)
        op.alter_column("recurring_rules", "currency", existing_type=sa.String(length=3), server_default=None)
    op.drop_index("ix_expenses_ledger_date_id_amount", table_name="expenses")
    op.create_index(
        "ix_expenses_ledger_date_id_base",
        "expenses",
        ["ledger_id", "date", "id", "base_amount_cents", "category_key"],
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_index("ix_expenses_ledger_date_id_base", table_name="expenses")
    op.create_index(
        "ix_expenses_ledger_date_id_amount",
        "expenses",
        ["ledger_id", "date", "id", "amount_cents", "category_key"],
    )
    # Part 1 knew one currency per ledger: keep the base amounts, the only ones it can read.
    op.execute("UPDATE expenses SET amount_cents = base_amount_cents")
    op.execute("UPDATE expense_splits SET amount_cents = base_amount_cents")
    currencies = list(bind.execute(sa.text("SELECT DISTINCT currency FROM ledgers")).scalars())
    for code, factor in _finer_scales(currencies).items():
        op.execute(
            sa.text(
                f"UPDATE recurring_rules SET amount_cents = amount_cents / {factor} "  # noqa: S608
                "WHERE ledger_id IN (SELECT id FROM ledgers WHERE currency = :code)"
            ).bindparams(code=code)
        )
    # Plain ALTER TABLE (SQLite 3.35 has it): a batch rebuild of either table would, through the
    # foreign keys, clear occurrences' recurring_id or delete the split parts.
    op.execute("ALTER TABLE recurring_rules DROP COLUMN currency")
    for name in ("rate_date", "base_amount_cents", "rate_source", "rate", "currency"):
        op.execute(f"ALTER TABLE expenses DROP COLUMN {name}")
