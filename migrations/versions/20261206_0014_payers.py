"""payers: every expense has one, and recurring rules carry their own payer and split

`expenses.paid_by` becomes NOT NULL. Rows written without a payer (CSV imports, and occurrences of a
rule whose creator had deleted their account) made their ledger's balances fail to add up (every
load of a shared ledger's balances was a 500). Each gets the payer the contract now gives such a row:
- its recorder (`user_id`: the importer, or the rule's creator), who wrote it as theirs, where they
  are still a member of the ledger;
- else the ledger's longest-standing owner: the recorder has left or deleted their account, and a
  payment given to a former member would leave them a balance they can no longer settle, while an
  owner can see it, change the payer, and settle;
- else (a ledger with no owner) the lowest user id among the expense's parts (it always has one).

`recurring_rules.paid_by` (NOT NULL) is filled the same way: the creator where still a member, else
the longest-standing owner, else the longest-standing member. A rule whose payer is not its creator
is paused, for a member to look at before it runs again; a rule in a ledger without members (nothing
can reach it) is deleted. `recurring_splits` holds a rule's split (none: equal shares, as before).

SQLite cannot make a column NOT NULL in place: `expenses` is copied (batch mode). Dropping the old
table would cascade into `expense_splits` and takes its triggers with it, so the split parts are
kept aside and put back, and the search and revision triggers are made again (the statements of
0009 and 0012, copied so that history does not move). `recurring_rules.paid_by` is added in place
with a default of 0 there instead (rebuilding that table would unlink every occurrence), which no
insert uses: the app always gives a payer.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

MEMBER = (
    "SELECT 1 FROM ledger_members m WHERE m.ledger_id = {table}.ledger_id AND m.user_id = {table}.user_id"
)
OWNER = (
    "SELECT m.user_id FROM ledger_members m WHERE m.ledger_id = {table}.ledger_id AND m.role = 'owner'"
    " ORDER BY m.joined_at, m.user_id LIMIT 1"
)
ANY_MEMBER = (
    "SELECT m.user_id FROM ledger_members m WHERE m.ledger_id = {table}.ledger_id"
    " ORDER BY m.joined_at, m.user_id LIMIT 1"
)
FIRST_PART = "SELECT min(s.user_id) FROM expense_splits s WHERE s.expense_id = expenses.id"

# Made again after `expenses` is copied on SQLite: 0009's search triggers and 0012's revision ones.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER expenses_fts_insert AFTER INSERT ON expenses BEGIN"
    " INSERT INTO expenses_fts(rowid, description, category)"
    " VALUES (new.id, new.description, new.category); END",
    "CREATE TRIGGER expenses_fts_delete AFTER DELETE ON expenses BEGIN"
    " INSERT INTO expenses_fts(expenses_fts, rowid, description, category)"
    " VALUES ('delete', old.id, old.description, old.category); END",
    "CREATE TRIGGER expenses_fts_update AFTER UPDATE OF description, category ON expenses BEGIN"
    " INSERT INTO expenses_fts(expenses_fts, rowid, description, category)"
    " VALUES ('delete', old.id, old.description, old.category);"
    " INSERT INTO expenses_fts(rowid, description, category)"
    " VALUES (new.id, new.description, new.category); END",
    "CREATE TRIGGER expenses_revision_insert AFTER INSERT ON expenses BEGIN UPDATE ledgers"
    " SET revision = revision + 1 WHERE id IN (new.ledger_id); END",
    "CREATE TRIGGER expenses_revision_update AFTER UPDATE ON expenses BEGIN UPDATE ledgers"
    " SET revision = revision + 1 WHERE id IN (old.ledger_id, new.ledger_id); END",
    "CREATE TRIGGER expenses_revision_delete AFTER DELETE ON expenses BEGIN UPDATE ledgers"
    " SET revision = revision + 1 WHERE id IN (old.ledger_id); END",
)


def _payer_nullable(nullable: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("expenses", "paid_by", existing_type=ID, nullable=nullable)
        return
    op.execute("CREATE TEMP TABLE kept_splits AS SELECT * FROM expense_splits")
    with op.batch_alter_table("expenses", recreate="always") as batch:
        batch.alter_column("paid_by", existing_type=ID, nullable=nullable)
    op.execute("DELETE FROM expense_splits")  # what the copy's drop left, if foreign keys were off
    op.execute("INSERT INTO expense_splits SELECT * FROM kept_splits")
    op.execute("DROP TABLE kept_splits")
    for statement in SQLITE_TRIGGERS:
        op.execute(statement)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    expenses = {"table": "expenses"}
    op.execute(
        f"UPDATE expenses SET paid_by = CASE WHEN EXISTS ({MEMBER.format(**expenses)}) THEN user_id"  # noqa: S608 (constants)
        f" ELSE coalesce(({OWNER.format(**expenses)}), ({FIRST_PART})) END WHERE paid_by IS NULL"
    )
    _payer_nullable(False)

    rules = {"table": "recurring_rules"}
    if sqlite:  # in place, with a default no insert uses (above)
        op.add_column("recurring_rules", sa.Column("paid_by", ID, nullable=False, server_default="0"))
    else:
        op.add_column("recurring_rules", sa.Column("paid_by", ID, nullable=True))
    op.execute(f"DELETE FROM recurring_rules WHERE NOT EXISTS ({ANY_MEMBER.format(**rules)})")  # noqa: S608
    op.execute(
        f"UPDATE recurring_rules SET paid_by = CASE WHEN EXISTS ({MEMBER.format(**rules)}) THEN user_id"  # noqa: S608
        f" ELSE coalesce(({OWNER.format(**rules)}), ({ANY_MEMBER.format(**rules)})) END"
    )
    op.execute("UPDATE recurring_rules SET paused = true WHERE user_id IS NULL OR paid_by <> user_id")
    if not sqlite:
        op.alter_column("recurring_rules", "paid_by", existing_type=ID, nullable=False)
    op.create_table(
        "recurring_splits",
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("shares", sa.Integer(), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            ["recurring_rules.id"],
            name=op.f("fk_recurring_splits_rule_id_recurring_rules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rule_id", "user_id", name=op.f("pk_recurring_splits")),
    )


def downgrade() -> None:
    op.drop_table("recurring_splits")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE recurring_rules DROP COLUMN paid_by")  # in place (SQLite 3.35+)
    else:
        op.drop_column("recurring_rules", "paid_by")
    _payer_nullable(True)
