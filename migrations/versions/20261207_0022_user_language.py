"""user language: the page's language, chosen in Settings, follows the account between devices

`users.language` is one of the page's languages ("en", "de", "fr", "es"); null (every account
until it chooses) means "Automatic": the browser's languages decide.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    # In place on SQLite too (3.35+): a batch copy of `users` would lose its triggers.
    op.drop_column("users", "language")
