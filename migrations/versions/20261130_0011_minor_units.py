"""minor units: every amount counted in its own currency's minor unit

Until now every amount was kept in hundredths, or in the currency's minor unit where that is finer
(KWD: thousandths), and base amounts always in hundredths. Now an expense's amount (and its split
parts', and a recurring rule's) is in its currency's minor unit, and everything on the ledger's
side (base amounts, budgets, settlements, monthly totals) in the ledger currency's:
- an amount in a currency without decimals (JPY) is divided by 100: 1200 yen was 120000, now 1200;
- a yen ledger's base amounts and totals are divided by 100 (they were whole yen already); its
  budgets and settlements, which could hold hundredths of a yen, are rounded half up to a yen (at
  least 1);
- a three-decimal ledger's (KWD) base amounts, budgets, settlements and totals are multiplied by 10:
  what was rounded to 0.01 dinar stays that amount, and new expenses get their third decimal.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import iso4217
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, how a row names its currency): amounts in an expense's or rule's own currency...
OWN_SIDE = (
    ("expenses", "amount_cents", "currency = :code"),
    ("expense_splits", "amount_cents", "expense_id IN (SELECT id FROM expenses WHERE currency = :code)"),
    ("recurring_rules", "amount_cents", "currency = :code"),
)
_IN_LEDGER = "ledger_id IN (SELECT id FROM ledgers WHERE currency = :code)"
# ...and in the ledger's: sums of base amounts, which scale exactly...
LEDGER_SIDE = (
    ("expenses", "base_amount_cents", _IN_LEDGER),
    ("expense_splits", "base_amount_cents", _IN_LEDGER),
    ("monthly_totals", "amount_cents", _IN_LEDGER),
)
# ...and amounts a person typed, which may not (a budget of 12.50 in a yen ledger).
TYPED = (("budgets", "amount_cents", _IN_LEDGER), ("settlements", "amount_cents", _IN_LEDGER))


def _exponents(bind: sa.Connection) -> dict[str, int]:
    """The ISO 4217 decimals of every currency in the database that has other than two."""
    found = bind.execute(
        sa.text(
            "SELECT currency FROM ledgers UNION SELECT currency FROM expenses "
            "UNION SELECT currency FROM recurring_rules"
        )
    ).scalars()
    exponents = {}
    for code in found:
        try:
            exponent = iso4217.Currency(code).exponent
        except ValueError:
            exponent = None  # part 1 took any three letters: kept in hundredths, as before
        if exponent is not None and exponent != 2:
            exponents[code] = int(exponent)
    return exponents


def _scale(columns: Sequence[tuple[str, str, str]], code: str, expression: str) -> None:
    for table, column, where in columns:
        # Names and expressions from this file: no outside input.
        op.execute(
            sa.text(
                f"UPDATE {table} SET {column} = {expression.format(column)} WHERE {where}"  # noqa: S608
            ).bindparams(code=code)
        )


def _rounded(divisor: int) -> str:
    """Divide an amount (never negative), half up: SQL integer division truncates."""
    return f"({{0}} + {divisor // 2}) / {divisor}"


def _typed(divisor: int) -> str:
    """The same for an amount a person typed, which stays at least one minor unit."""
    return f"CASE WHEN {{0}} < {divisor} THEN 1 ELSE {_rounded(divisor)} END"


def upgrade() -> None:
    for code, exponent in _exponents(op.get_bind()).items():
        if exponent < 2:
            divisor = 10 ** (2 - exponent)
            _scale(OWN_SIDE, code, f"{{0}} / {divisor}")
            _scale(LEDGER_SIDE, code, f"{{0}} / {divisor}")
            _scale(TYPED, code, _typed(divisor))
        else:  # amounts in the currency were in its minor unit already (0008)
            factor = 10 ** (exponent - 2)
            _scale((*LEDGER_SIDE, *TYPED), code, f"{{0}} * {factor}")


def downgrade() -> None:
    # Back to hundredths: a three-decimal ledger's new base amounts round half up to 0.01, so its
    # split parts and totals may then differ from them by a fil.
    for code, exponent in _exponents(op.get_bind()).items():
        if exponent < 2:
            factor = 10 ** (2 - exponent)
            _scale((*OWN_SIDE, *LEDGER_SIDE, *TYPED), code, f"{{0}} * {factor}")
        else:
            divisor = 10 ** (exponent - 2)
            _scale(LEDGER_SIDE, code, _rounded(divisor))
            _scale(TYPED, code, _typed(divisor))
