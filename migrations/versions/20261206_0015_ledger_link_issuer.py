"""ledger link issuer: who made each invitation to a ledger, and ledgers that always have an owner

`one_time_links.invited_by`: the owner who made a ledger link, required for that kind (a check).
A link stops working when its maker stops being an owner, so a link whose maker is unknown cannot
be kept honestly: the ledger links made before this revision are removed (an owner makes a new
one in a click; attributing them to some current owner would keep alive links made by an owner
since demoted or removed, the very hole this closes). Reset and registration links are kept.

Repairs what the old rules let happen: a personal ledger's owner demoted by a co-owner is its
owner again, and a ledger left with members but no owner (two owners leaving at once) passes to
its longest-standing member, as when its last owner deletes the account.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.execute("DELETE FROM one_time_links WHERE kind = 'ledger'")
    with op.batch_alter_table("one_time_links") as batch:
        batch.add_column(sa.Column("invited_by", ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_one_time_links_invited_by_users"), "users", ["invited_by"], ["id"], ondelete="CASCADE"
        )
        batch.create_check_constraint(
            op.f("ck_one_time_links_ledger_link_issuer"), "kind <> 'ledger' OR invited_by IS NOT NULL"
        )
    op.execute(
        "UPDATE ledger_members SET role = 'owner' WHERE role <> 'owner' AND EXISTS (SELECT 1 FROM ledgers"
        " WHERE ledgers.id = ledger_members.ledger_id AND ledgers.personal_of = ledger_members.user_id)"
    )
    op.execute(
        "UPDATE ledger_members SET role = 'owner'"
        " WHERE NOT EXISTS (SELECT 1 FROM ledger_members o"
        " WHERE o.ledger_id = ledger_members.ledger_id AND o.role = 'owner')"
        " AND user_id = (SELECT m.user_id FROM ledger_members m WHERE m.ledger_id = ledger_members.ledger_id"
        " ORDER BY m.joined_at, m.user_id LIMIT 1)"
    )


def downgrade() -> None:
    with op.batch_alter_table("one_time_links") as batch:
        batch.drop_constraint(op.f("ck_one_time_links_ledger_link_issuer"), type_="check")
        batch.drop_constraint(op.f("fk_one_time_links_invited_by_users"), type_="foreignkey")
        batch.drop_column("invited_by")
