"""ledgers: a personal ledger per account, memberships, who paid, split parts, settlements

Every expense, budget, recurring rule and monthly total moves into its user's personal ledger,
with its id unchanged; each expense gets paid_by (its user) and one split part (all of it).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PERSONAL = "(SELECT l.id FROM ledgers l WHERE l.personal_of = {table}.user_id)"
TOTAL_COLUMNS = ("month", "category_key", "category", "count", "amount_cents")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _into_ledger(table: str, old_index: str | None, new_index: tuple[str, list[str]] | None) -> None:
    """Give `table` a ledger_id (its user's personal ledger) and make user_id a nullable creator."""
    with op.batch_alter_table(table) as batch:
        batch.add_column(sa.Column("ledger_id", ID, nullable=True))
    # PERSONAL is a fixed subquery with a table name from this file: no outside input.
    op.execute(f"UPDATE {table} SET ledger_id = {PERSONAL.format(table=table)}")  # noqa: S608
    with op.batch_alter_table(table) as batch:
        batch.alter_column("ledger_id", existing_type=ID, nullable=False)
        batch.alter_column("user_id", existing_type=ID, nullable=True)
        batch.drop_constraint(op.f(f"fk_{table}_user_id_users"), type_="foreignkey")
        batch.create_foreign_key(
            op.f(f"fk_{table}_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            op.f(f"fk_{table}_ledger_id_ledgers"), "ledgers", ["ledger_id"], ["id"], ondelete="CASCADE"
        )
        if old_index is not None:
            batch.drop_index(old_index)
        if new_index is not None:
            batch.create_index(new_index[0], new_index[1])


def _copy_totals(monthly_totals: sa.Table, owner: str, rows: Sequence[sa.Row[Any]]) -> None:
    # Read through plain SQL, SQLite hands the month over as text.
    values = [dict(zip((owner, *TOTAL_COLUMNS), row, strict=True)) for row in rows]
    for value in values:
        if isinstance(value["month"], str):
            value["month"] = date.fromisoformat(value["month"])
    if values:
        op.bulk_insert(monthly_totals, values)


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "ledgers",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("personal_of", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["personal_of"], ["users.id"], name=op.f("fk_ledgers_personal_of_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledgers")),
        sa.UniqueConstraint("personal_of", name=op.f("uq_ledgers_personal_of")),
    )
    op.create_table(
        "ledger_members",
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        _fk("ledger_members", "ledger_id", "ledgers", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ledger_members_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ledger_id", "user_id", name=op.f("pk_ledger_members")),
    )
    op.create_index(op.f("ix_ledger_members_user_id"), "ledger_members", ["user_id"])
    op.execute(
        "INSERT INTO ledgers (name, currency, personal_of, created_at) "
        "SELECT 'Personal', currency, id, created_at FROM users ORDER BY id"
    )
    op.execute(
        "INSERT INTO ledger_members (ledger_id, user_id, role, joined_at) "
        "SELECT id, personal_of, 'owner', created_at FROM ledgers"
    )

    # On SQLite, copying recurring_rules drops the old table, and with foreign keys on that sets
    # every occurrence's recurring_id to null: remember them and put them back.
    links = bind.execute(
        sa.text("SELECT id, recurring_id FROM expenses WHERE recurring_id IS NOT NULL")
    ).all()
    _into_ledger(
        "recurring_rules",
        "ix_recurring_rules_user_next_date",
        ("ix_recurring_rules_ledger_next_date", ["ledger_id", "next_date"]),
    )
    if links:
        bind.execute(
            sa.text("UPDATE expenses SET recurring_id = :r WHERE id = :i"),
            [{"r": recurring_id, "i": expense_id} for expense_id, recurring_id in links],
        )
    with op.batch_alter_table("budgets") as batch:
        batch.drop_constraint("uq_budgets_user_category", type_="unique")
    _into_ledger("budgets", None, None)
    with op.batch_alter_table("budgets") as batch:
        batch.create_unique_constraint("uq_budgets_ledger_category", ["ledger_id", "category_key"])

    with op.batch_alter_table("expenses") as batch:
        batch.add_column(sa.Column("paid_by", ID, nullable=True))
    op.execute("UPDATE expenses SET paid_by = user_id")
    _into_ledger("expenses", "ix_expenses_user_date_id_amount", None)
    with op.batch_alter_table("expenses") as batch:
        batch.drop_index("ix_expenses_user_category_date")
        batch.create_index(
            "ix_expenses_ledger_date_id_amount", ["ledger_id", "date", "id", "amount_cents", "category_key"]
        )
        batch.create_index("ix_expenses_ledger_category_date", ["ledger_id", "category_key", "date"])

    # Monthly totals change their key: a few rows a month, copied through Python into a new table.
    totals = bind.execute(
        sa.text(
            "SELECT l.id, t.month, t.category_key, t.category, t.count, t.amount_cents "
            "FROM monthly_totals t JOIN ledgers l ON l.personal_of = t.user_id"
        )
    ).all()
    op.drop_table("monthly_totals")
    monthly_totals = op.create_table(
        "monthly_totals",
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category_key", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        _fk("monthly_totals", "ledger_id", "ledgers", "CASCADE"),
        sa.PrimaryKeyConstraint("ledger_id", "month", "category_key", name=op.f("pk_monthly_totals")),
    )
    _copy_totals(monthly_totals, "ledger_id", totals)

    op.create_table(
        "expense_splits",
        sa.Column("expense_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("base_amount_cents", sa.BigInteger(), nullable=False),
        _fk("expense_splits", "expense_id", "expenses", "CASCADE"),
        _fk("expense_splits", "ledger_id", "ledgers", "CASCADE"),
        sa.PrimaryKeyConstraint("expense_id", "user_id", name=op.f("pk_expense_splits")),
    )
    op.create_index("ix_expense_splits_ledger_user", "expense_splits", ["ledger_id", "user_id"])
    op.execute(
        "INSERT INTO expense_splits "
        "(expense_id, user_id, ledger_id, shares, amount_cents, base_amount_cents) "
        "SELECT id, user_id, ledger_id, 1, amount_cents, amount_cents FROM expenses"
    )
    op.create_table(
        "settlements",
        sa.Column("id", ID, nullable=False),
        sa.Column("ledger_id", ID, nullable=False),
        sa.Column("from_user_id", ID, nullable=False),
        sa.Column("to_user_id", ID, nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("settlements", "ledger_id", "ledgers", "CASCADE"),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_settlements_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlements")),
    )
    op.create_index("ix_settlements_ledger_date", "settlements", ["ledger_id", "date"])
    with op.batch_alter_table("one_time_links") as batch:
        batch.add_column(sa.Column("ledger_id", ID, nullable=True))
        batch.add_column(sa.Column("role", sa.String(length=10), nullable=True))
        batch.create_foreign_key(
            op.f("fk_one_time_links_ledger_id_ledgers"), "ledgers", ["ledger_id"], ["id"], ondelete="CASCADE"
        )


def _out_of_ledger(
    table: str, old_index: tuple[str, list[str]] | None, new_index: tuple[str, list[str]] | None
) -> None:
    # PERSONAL-style fixed SQL with table names from this file: no outside input.
    op.execute(
        f"DELETE FROM {table} WHERE ledger_id NOT IN (SELECT id FROM ledgers WHERE personal_of IS NOT NULL)"  # noqa: S608
    )
    op.execute(
        f"UPDATE {table} SET user_id = (SELECT l.personal_of FROM ledgers l WHERE l.id = {table}.ledger_id)"  # noqa: S608
    )
    with op.batch_alter_table(table) as batch:
        if new_index is not None:
            batch.drop_index(new_index[0])
        batch.drop_constraint(op.f(f"fk_{table}_ledger_id_ledgers"), type_="foreignkey")
        batch.drop_constraint(op.f(f"fk_{table}_user_id_users"), type_="foreignkey")
        batch.create_foreign_key(
            op.f(f"fk_{table}_user_id_users"), "users", ["user_id"], ["id"], ondelete="CASCADE"
        )
        batch.alter_column("user_id", existing_type=ID, nullable=False)
        batch.drop_column("ledger_id")
        if old_index is not None:
            batch.create_index(old_index[0], old_index[1])


def downgrade() -> None:
    """Back to one owner per row: what belonged to shared ledgers is dropped."""
    bind = op.get_bind()
    with op.batch_alter_table("one_time_links") as batch:
        batch.drop_constraint(op.f("fk_one_time_links_ledger_id_ledgers"), type_="foreignkey")
        batch.drop_column("role")
        batch.drop_column("ledger_id")
    op.execute("DELETE FROM one_time_links WHERE kind = 'ledger'")
    op.drop_index("ix_settlements_ledger_date", table_name="settlements")
    op.drop_table("settlements")
    op.drop_index("ix_expense_splits_ledger_user", table_name="expense_splits")
    op.drop_table("expense_splits")
    totals = bind.execute(
        sa.text(
            "SELECT l.personal_of, t.month, t.category_key, t.category, t.count, t.amount_cents "
            "FROM monthly_totals t JOIN ledgers l ON l.id = t.ledger_id WHERE l.personal_of IS NOT NULL"
        )
    ).all()
    op.drop_table("monthly_totals")
    monthly_totals = op.create_table(
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
    _copy_totals(monthly_totals, "user_id", totals)
    with op.batch_alter_table("expenses") as batch:
        batch.drop_index("ix_expenses_ledger_category_date")
        batch.drop_column("paid_by")
    _out_of_ledger(
        "expenses",
        None,
        ("ix_expenses_ledger_date_id_amount", []),
    )
    with op.batch_alter_table("expenses") as batch:
        batch.create_index(
            "ix_expenses_user_date_id_amount", ["user_id", "date", "id", "amount_cents", "category_key"]
        )
        batch.create_index("ix_expenses_user_category_date", ["user_id", "category_key", "date"])
    with op.batch_alter_table("budgets") as batch:
        batch.drop_constraint("uq_budgets_ledger_category", type_="unique")
    _out_of_ledger("budgets", None, None)
    with op.batch_alter_table("budgets") as batch:
        batch.create_unique_constraint("uq_budgets_user_category", ["user_id", "category_key"])
    links = bind.execute(
        sa.text(
            "SELECT e.id, e.recurring_id FROM expenses e JOIN recurring_rules r ON r.id = e.recurring_id "
            "JOIN ledgers l ON l.id = r.ledger_id WHERE l.personal_of IS NOT NULL"
        )
    ).all()
    _out_of_ledger(
        "recurring_rules",
        ("ix_recurring_rules_user_next_date", ["user_id", "next_date"]),
        ("ix_recurring_rules_ledger_next_date", []),
    )
    if links:
        bind.execute(
            sa.text("UPDATE expenses SET recurring_id = :r WHERE id = :i"),
            [{"r": recurring_id, "i": expense_id} for expense_id, recurring_id in links],
        )
    op.drop_index(op.f("ix_ledger_members_user_id"), table_name="ledger_members")
    op.drop_table("ledger_members")
    op.drop_table("ledgers")
