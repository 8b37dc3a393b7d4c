from datetime import UTC, date, datetime
from typing import TypeAlias

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base

# Expense has a column named `date`, which hides the type inside its class body.
OptionalDate: TypeAlias = date | None


def utcnow() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"
    # Never reuse a deleted user's id (SQLite would, by default), so their tokens cannot fit a new account.
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 (read once by SQLAlchemy)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    # Stored lower-cased, so the unique index is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Bumped to revoke every token issued before (password change, logout everywhere).
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # A disabled account keeps its data but cannot log in, and its tokens stop working at once.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class Expense(Base):
    __tablename__ = "expenses"
    __table_args__ = (
        # "This user, this date range, newest first": the list, export and stats. It carries the
        # amount and category too, so sums over a date range are read from the index alone.
        Index("ix_expenses_user_date_id_amount", "user_id", "date", "id", "amount_cents", "category_key"),
        Index("ix_expenses_user_category_date", "user_id", "category_key", "date"),
        # Each occurrence of a recurring rule exists once, however many requests materialise it.
        UniqueConstraint("recurring_id", "occurrence_date", name="uq_expenses_recurring_occurrence"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    date: Mapped[date] = mapped_column(Date)
    # As the user first wrote it; category_key is its case- and space-folded form for matching.
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # Set on the occurrences of a recurring rule; deleting the rule keeps them as plain expenses.
    recurring_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("recurring_rules.id", ondelete="SET NULL")
    )
    occurrence_date: Mapped[OptionalDate] = mapped_column(Date)


class Budget(Base):
    """A monthly spending limit for one category."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("user_id", "category_key", name="uq_budgets_user_category"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class MonthlyTotal(Base):
    """How many expenses and how much, per user, month and category.

    Kept in step with `expenses` by every write in app.services.expenses, so that totals over
    long ranges read a few rows a month instead of every expense.
    """

    __tablename__ = "monthly_totals"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    category_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class OneTimeLink(Base):
    """An invitation to register, or a password reset link: single use, expiring, stored hashed.

    Only the SHA-256 of the token is kept, so a copy of the database cannot be turned into links.
    """

    __tablename__ = "one_time_links"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "invitation" or "reset"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account a reset link is for; null for invitations.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class RevokedToken(Base):
    """A logged-out token's id (its `jti`), refused until the token would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Rows past this are dead weight: the token is refused for its age; log-out deletes them.
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class RecurringRule(Base):
    """An expense that repeats: its occurrences become ordinary expenses once they are due."""

    __tablename__ = "recurring_rules"
    # "Which rules are due?" on every request: one index range scan, empty when nothing is due.
    __table_args__ = (Index("ix_recurring_rules_user_next_date", "user_id", "next_date"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    description: Mapped[str] = mapped_column(Text, default="")
    frequency: Mapped[str] = mapped_column(String(10))  # weekly, monthly or yearly
    interval: Mapped[int] = mapped_column(Integer, default=1)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    day_of_month: Mapped[int | None] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    # The first occurrence not yet created; None once the rule has ended.
    next_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
