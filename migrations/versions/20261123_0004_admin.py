"""admin role, disabled accounts, last log-in; one-time links (invitations, password resets)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Plain ADD COLUMN, no batch copy: on SQLite, dropping and recreating `users` would cascade
    # into every expense.
    op.add_column("users", sa.Column("is_admin", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))
    # An instance that already has accounts gets its first one as admin, as a new instance would.
    op.execute(
        "UPDATE users SET is_admin = true WHERE id = (SELECT min(id) FROM users)"
        if op.get_bind().dialect.name == "postgresql"
        else "UPDATE users SET is_admin = 1 WHERE id = (SELECT min(id) FROM users)"
    )
    op.create_table(
        "one_time_links",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_one_time_links_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_one_time_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_one_time_links_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("one_time_links")
    op.drop_column("users", "last_login_at")
    op.drop_column("users", "disabled")
    op.drop_column("users", "is_admin")
