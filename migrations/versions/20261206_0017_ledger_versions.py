"""ledger versions: every ledger stamped from one counter for the whole database

`ledgers.revision` counted each ledger's writes from 0, so a deleted ledger whose id SQLite gives
again, or a restored snapshot, could show a count an earlier state had. `ledgers.version` takes the
next value of one counter (SQLite: the table `ledger_versions`, one row; PostgreSQL: the sequence
`ledger_versions`) at every write that can change a read: expenses, split parts, budgets,
settlements, members and roles, and a member's name. Every ledger starts with a version of its own.
The statements are app.models.VERSION_DDL as it stands, written out here so that history does not
move with it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITES = ("insert", "update", "delete")
COUNTED = ("expenses", "expense_splits", "budgets")  # by 0012's triggers
STAMPED = (*COUNTED, "settlements", "ledger_members")
SQLITE_LEDGERS = {
    "insert": "new.ledger_id",
    "update": "old.ledger_id, new.ledger_id",
    "delete": "old.ledger_id",
}
TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}
SQLITE_STAMP = (
    "UPDATE ledger_versions SET last = last + 1;"
    " UPDATE ledgers SET version = (SELECT last FROM ledger_versions) WHERE id IN ({ledgers});"
)
NAME_CHANGE = "SELECT ledger_id FROM ledger_members WHERE user_id = new.id"
STAMP_FUNCTION = (
    "CREATE OR REPLACE FUNCTION stamp_ledger_versions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'INSERT' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM new_rows);"
    " ELSIF TG_OP = 'DELETE' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM old_rows);"
    " ELSE UPDATE ledgers SET version = nextval('ledger_versions')"
    " WHERE id IN (SELECT ledger_id FROM old_rows UNION SELECT ledger_id FROM new_rows);"
    " END IF; RETURN NULL; END $$"
)
MEMBER_FUNCTION = (
    "CREATE OR REPLACE FUNCTION stamp_ledger_versions_of_member() RETURNS trigger LANGUAGE plpgsql"  # noqa: S608 (constants)
    " AS $$ BEGIN UPDATE ledgers SET version = nextval('ledger_versions')"
    f" WHERE id IN ({NAME_CHANGE}); RETURN NULL; END $$"
)
# 0012's, to unwind to.
COUNT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION count_ledger_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP = 'INSERT' THEN"
    " UPDATE ledgers SET revision = revision + 1 WHERE id IN (SELECT ledger_id FROM new_rows);"
    " ELSIF TG_OP = 'DELETE' THEN"
    " UPDATE ledgers SET revision = revision + 1 WHERE id IN (SELECT ledger_id FROM old_rows);"
    " ELSE UPDATE ledgers SET revision = revision + 1"
    " WHERE id IN (SELECT ledger_id FROM old_rows UNION SELECT ledger_id FROM new_rows);"
    " END IF; RETURN NULL; END $$"
)


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _drop_triggers(tables: Sequence[str], kind: str) -> None:
    for table in tables:
        for write in WRITES:
            op.execute(f"DROP TRIGGER {table}_{kind}_{write}" + ("" if _sqlite() else f" ON {table}"))


def upgrade() -> None:
    sqlite = _sqlite()
    _drop_triggers(COUNTED, "revision")
    if not sqlite:
        op.execute("DROP FUNCTION count_ledger_writes()")
    op.execute("ALTER TABLE ledgers RENAME COLUMN revision TO version")
    # Every ledger a version of its own, above every count it had.
    if sqlite:
        op.execute("CREATE TABLE ledger_versions (last BIGINT NOT NULL)")
        op.execute(
            "INSERT INTO ledger_versions (last)"
            " SELECT coalesce(max(version), 0) + coalesce(max(id), 0) FROM ledgers"
        )
        op.execute("UPDATE ledgers SET version = (SELECT max(version) FROM ledgers) + id")
    else:
        op.execute("CREATE SEQUENCE ledger_versions")
        op.execute("SELECT setval('ledger_versions', (SELECT coalesce(max(version), 0) + 1 FROM ledgers))")
        op.execute("UPDATE ledgers SET version = nextval('ledger_versions')")
        op.execute(STAMP_FUNCTION)
        op.execute(MEMBER_FUNCTION)
    for table in STAMPED:
        for write in WRITES:
            name = f"{table}_version_{write}"
            if sqlite:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} BEGIN "
                    + SQLITE_STAMP.format(ledgers=SQLITE_LEDGERS[write])
                    + " END"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} REFERENCING"
                    f" {TRANSITIONS[write]} FOR EACH STATEMENT EXECUTE FUNCTION stamp_ledger_versions()"
                )
    if sqlite:
        op.execute(
            "CREATE TRIGGER users_version_name AFTER UPDATE OF display_name ON users"
            " WHEN old.display_name IS NOT new.display_name BEGIN "
            + SQLITE_STAMP.format(ledgers=NAME_CHANGE)
            + " END"
        )
    else:
        op.execute(
            "CREATE TRIGGER users_version_name AFTER UPDATE OF display_name ON users FOR EACH ROW"
            " WHEN (old.display_name IS DISTINCT FROM new.display_name)"
            " EXECUTE FUNCTION stamp_ledger_versions_of_member()"
        )


def downgrade() -> None:
    sqlite = _sqlite()
    _drop_triggers(STAMPED, "version")
    op.execute("DROP TRIGGER users_version_name" + ("" if sqlite else " ON users"))
    if sqlite:
        op.execute("DROP TABLE ledger_versions")
    else:
        op.execute("DROP FUNCTION stamp_ledger_versions_of_member()")
        op.execute("DROP FUNCTION stamp_ledger_versions()")
        op.execute("DROP SEQUENCE ledger_versions")
    op.execute("ALTER TABLE ledgers RENAME COLUMN version TO revision")
    if not sqlite:
        op.execute(COUNT_FUNCTION)
    for table in COUNTED:
        for write in WRITES:
            name = f"{table}_revision_{write}"
            if sqlite:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} BEGIN UPDATE ledgers"  # noqa: S608 (names from constants)
                    f" SET revision = revision + 1 WHERE id IN ({SQLITE_LEDGERS[write]}); END"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write.upper()} ON {table} REFERENCING"
                    f" {TRANSITIONS[write]} FOR EACH STATEMENT EXECUTE FUNCTION count_ledger_writes()"
                )
