from datetime import UTC, date, datetime
from typing import Any, TypeAlias

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
    # The page's language ("en", "de", ...), chosen in Settings; None: the browser's decides.
    language: Mapped[str | None] = mapped_column(String(8), default=None)


ID = BigInteger().with_variant(Integer, "sqlite")


class Ledger(Base):
    """What expenses, budgets, rules and settlements belong to: one personal per account, or shared."""

    __tablename__ = "ledgers"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    currency: Mapped[str] = mapped_column(String(3))
    # Set on an account's personal ledger only: unique, so each account has exactly one, and it
    # goes (with everything in it) when the account does.
    personal_of: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Stamped anew, from one counter for the whole database (VERSION_DDL), by every write that can
    # change what the reads show: its expenses and their split parts, budgets, settlements, members
    # and roles, and a member's name. No two states of any ledger share a version, across deleted
    # ledgers whose id SQLite gives again and across restores (app.cli), so a read's ETag is made of
    # it (app.revalidation). Triggers, not the services, stamp it: no write can forget to, bulk
    # inserts and cascades included. A new ledger's first member stamps it.
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LedgerMember(Base):
    __tablename__ = "ledger_members"

    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True)
    # Indexed: "which ledgers is this user in" runs on every request with an object id.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10))  # owner, editor or viewer
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# A refund's row (its amounts are stored negative). Written out, not `< :param`: a query names the
# partial index ix_expenses_ledger_refunds only with the index's own condition, as it is.
REFUNDS = text("base_amount_cents < 0")


class Expense(Base):
    __tablename__ = "expenses"
    __table_args__ = (
        # "This ledger, this date range, newest first": the list, export and stats. It carries the
        # amount and category too, so sums over a date range are read from the index alone.
        Index(
            "ix_expenses_ledger_date_id_base", "ledger_id", "date", "id", "base_amount_minor", "category_key"
        ),
        Index("ix_expenses_ledger_category_date", "ledger_id", "category_key", "date"),
        # A ledger's refunds (stored negative), few, summed by every write (app.services.expenses).
        Index(
            "ix_expenses_ledger_refunds",
            "ledger_id",
            "base_amount_minor",
            sqlite_where=REFUNDS,
            postgresql_where=REFUNDS,
        ),
        # An import's duplicates (app.services.imports): a file's row finds the ledger's expenses of
        # the same day and amount in a probe, at any ledger size.
        Index("ix_expenses_ledger_date_amount", "ledger_id", "date", "amount_minor"),
        # Each occurrence of a recurring rule exists once, however many requests materialise it.
        UniqueConstraint("recurring_id", "occurrence_date", name="uq_expenses_recurring_occurrence"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    # Who recorded it: null once that account is deleted, so a shared ledger keeps its history.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who paid: never null (app.services.expenses fills it). No foreign key, like the split parts: a
    # deleted account's id stays (ids are never reused), so its zero balance stays zero and the
    # others' balances do not move.
    paid_by: Mapped[int] = mapped_column(ID)
    date: Mapped[date] = mapped_column(Date)
    # As the user first wrote it; category_key is its case- and space-folded form for matching.
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    # `*_minor` attributes hold minor units (app.money): here of `currency` (JPY 1200 is 1200).
    # Their columns keep their first name, `*_cents`: renaming them would rebuild this table,
    # its full-text and version triggers and every row on SQLite, for a name no query shows.
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")
    currency: Mapped[str] = mapped_column(String(3))
    # Ledger-currency units per unit of `currency`, fixed when saved: a decimal string, never a float.
    rate: Mapped[str] = mapped_column(String(40))
    rate_source: Mapped[str] = mapped_column(String(6))  # same, ecb or manual
    rate_date: Mapped[OptionalDate] = mapped_column(Date)  # the ECB publication used
    # amount x rate in the ledger currency's minor units: what every total sums.
    base_amount_minor: Mapped[int] = mapped_column("base_amount_cents", BigInteger, key="base_amount_minor")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    # Set on the occurrences of a recurring rule; deleting the rule keeps them as plain expenses.
    recurring_id: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("recurring_rules.id", ondelete="SET NULL")
    )
    occurrence_date: Mapped[OptionalDate] = mapped_column(Date)
    # Read only: app.services.expenses writes the parts itself, in bulk. Loaded for a page at once,
    # in primary-key order (expense, then user), so the index gives the order without a sort.
    splits: Mapped[list["ExpenseSplit"]] = relationship(
        order_by="(ExpenseSplit.expense_id, ExpenseSplit.user_id)", lazy="selectin", viewonly=True
    )


# Text search (`q`) indexes. SQLite: an FTS5 trigram index over description and category (it
# stores only the index; the text stays in `expenses`). Triggers keep it in step with every write
# but one: rows inserted while their ledger is in `stamped_ledgers` (StampedLedger), which only the
# one writer does (app.services.expenses.add_expense_rows), pass the insert trigger by, and the
# writer indexes them itself, in one statement (SEARCH_FILL), before it lets the ledger go (an FTS5
# insert a row cost 2.3x the CPU of that statement when 50,000 rows went in, issue 28). Any other
# insert (a direct one, an old path) is indexed by the trigger.
# case_sensitive 0 folds case per letter ("ÉCOLE" finds
# "école"); diacritics are kept, so "ecole" does not, as with LIKE (remove_diacritics is 0 by
# default; SQLite 3.40 does not know the option, so it is not named). PostgreSQL: pg_trgm GIN indexes,
# which ILIKE uses as it is. Neither is in the metadata as a table or index (Alembic could not
# compare them): they are made with the table, here for create_all and in migration 0009. A later
# migration that rebuilds `expenses` on SQLite (batch mode drops the old table) drops the triggers
# with it and must make them again.
SEARCH_DDL = {
    "sqlite": (
        "CREATE VIRTUAL TABLE expenses_fts USING fts5(description, category, content='expenses',"
        " content_rowid='id', tokenize='trigram case_sensitive 0')",
        "CREATE TRIGGER expenses_fts_insert AFTER INSERT ON expenses"
        " WHEN new.ledger_id NOT IN (SELECT ledger_id FROM stamped_ledgers) BEGIN"
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
        # Indexes the rows already there (none after create_all; every row in the migration).
        "INSERT INTO expenses_fts(expenses_fts) VALUES ('rebuild')",
    ),
    "postgresql": (
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        # fastupdate on (migration 0026): new rows wait in a pending list, which every search reads
        # through (exact, but slower as it grows, up to gin_pending_list_limit), until the writer
        # merges it at the end of a write of many rows (app.services.trigram), a vacuum, or the
        # insert that fills it does. Off, each row's trigrams went into the index one row at a time:
        # an import could not pass about 2,000 rows/s (issue 28).
        "CREATE INDEX ix_expenses_description_trgm ON expenses USING gin (description gin_trgm_ops)"
        " WITH (fastupdate = on)",
        "CREATE INDEX ix_expenses_category_trgm ON expenses USING gin (category gin_trgm_ops)"
        " WITH (fastupdate = on)",
    ),
}
# The names above, which schema comparisons leave out (app.migrate.include_name).
TRIGRAM_INDEXES = ("ix_expenses_description_trgm", "ix_expenses_category_trgm")
SEARCH_OBJECTS = ("expenses_fts", *TRIGRAM_INDEXES)


@event.listens_for(Expense.__table__, "after_create")
def _create_search_index(_table: object, connection: Any, **_kw: Any) -> None:
    for statement in SEARCH_DDL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


@event.listens_for(Expense.__table__, "after_drop")
def _drop_search_index(_table: object, connection: Any, **_kw: Any) -> None:
    # Dropping `expenses` drops its triggers and indexes, not the FTS5 table beside it.
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("DROP TABLE IF EXISTS expenses_fts")


# What the insert trigger passed by: the rows with ids from `first` to `last`, all of them inserted
# while their ledger was held (app.services.expenses._index_for_search says why no other row is in
# that range). Read by the id alone, in its order: FTS5 writes out what it holds in memory whenever a
# rowid comes lower than the last one, and a condition on the ledger made SQLite read every row of
# the ledger by its date index instead (measured: 7x the CPU at 150,000 rows, growing with the ledger).
# PostgreSQL's indexes take every row as it goes in: nothing to fill.
SEARCH_FILL = {
    "sqlite": text(
        "INSERT INTO expenses_fts(rowid, description, category) SELECT id, description, category"
        " FROM expenses WHERE id BETWEEN :first AND :last ORDER BY id"
    ),
}


class Budget(Base):
    """A monthly spending limit for one category."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("ledger_id", "category_key", name="uq_budgets_ledger_category"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))  # who set it
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class MonthlyTotal(Base):
    """How many expenses and how much, per ledger, month and category.

    Kept in step with `expenses` by every write in app.services.expenses, so that totals over
    long ranges read a few rows a month instead of every expense.
    """

    __tablename__ = "monthly_totals"

    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the month's first day
    category_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    category: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")


class DailyTotal(Base):
    """How many expenses and how much, per ledger and day: the stats' trend by day or week reads a
    row a day instead of every expense. Kept in step by the same writes as MonthlyTotal."""

    __tablename__ = "daily_totals"

    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")


class DailyCategoryTotal(Base):
    """How many expenses and how much, per ledger, day and category: a range's partial months (a
    rolling year's or 30 days' ends) read a row per day and category spent instead of every expense
    of those days. Kept in step by the same writes as MonthlyTotal."""

    __tablename__ = "daily_category_totals"

    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")


class OneTimeLink(Base):
    """An invitation to register or to join a ledger, or a password reset link: single use,
    expiring, stored hashed.

    Only the SHA-256 of the token is kept, so a copy of the database cannot be turned into links.
    """

    __tablename__ = "one_time_links"
    __table_args__ = (
        CheckConstraint("kind <> 'ledger' OR invited_by IS NOT NULL", name="ledger_link_issuer"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "invitation", "reset" or "ledger"
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account a reset link is for; null for invitations.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
    # The ledger a "ledger" link invites to, and with which role; null for the other kinds.
    ledger_id: Mapped[int | None] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"), default=None)
    role: Mapped[str | None] = mapped_column(String(10), default=None)
    # The owner who made a "ledger" link: it is spent when they stop being an owner (and goes with
    # their account), so a link never lets anyone in on the authority of someone who lost it.
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), default=None)
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
    __table_args__ = (Index("ix_recurring_rules_ledger_next_date", "ledger_id", "next_date"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    # Its creator, who records its occurrences (null once that account is deleted).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Who pays its occurrences: a member when it is written, as an expense's paid_by (no foreign key).
    paid_by: Mapped[int] = mapped_column(ID)
    category: Mapped[str] = mapped_column(String(40))
    category_key: Mapped[str] = mapped_column(String(40))
    # minor units of `currency`
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")
    # Each occurrence is priced at the rate of its own date.
    currency: Mapped[str] = mapped_column(String(3))
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
    # How its occurrences are split; none: equal shares among the owners and editors of the day.
    splits: Mapped[list["RecurringSplit"]] = relationship(
        order_by="RecurringSplit.user_id", lazy="selectin", viewonly=True
    )


class RecurringSplit(Base):
    """One member's part of each occurrence of a rule: `shares` (a weight) or an exact amount."""

    __tablename__ = "recurring_splits"

    rule_id: Mapped[int] = mapped_column(
        ForeignKey("recurring_rules.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ID, primary_key=True)  # no foreign key, as ExpenseSplit's
    shares: Mapped[int | None] = mapped_column(Integer)  # null: an exact amount
    # The part of each occurrence, in minor units of the rule's currency (for shares, the rule's
    # amount divided as an expense's is: app.services.recurring keeps it in step with the amount).
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")


class ExpenseSplit(Base):
    """Who bears which part of an expense; every expense has at least one.

    `ledger_id` repeats the expense's, so a member's share of a ledger is one indexed aggregate.
    `user_id` has no foreign key: it is in the primary key, so it cannot become null, and a deleted
    account's parts must stay so the others' balances do not move (user ids are never reused).
    """

    __tablename__ = "expense_splits"
    __table_args__ = (Index("ix_expense_splits_ledger_user", "ledger_id", "user_id"),)

    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ID, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    shares: Mapped[int | None] = mapped_column(Integer)  # null: an exact amount
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")
    # The part of the expense's base amount, in the ledger currency's minor units.
    base_amount_minor: Mapped[int] = mapped_column("base_amount_cents", BigInteger, key="base_amount_minor")


class Settlement(Base):
    """Money one member gave another to even up: never spending."""

    __tablename__ = "settlements"
    __table_args__ = (Index("ix_settlements_ledger_date", "ledger_id", "date"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    ledger_id: Mapped[int] = mapped_column(ForeignKey("ledgers.id", ondelete="CASCADE"))
    # No foreign keys, as with paid_by: the ids outlive a deleted account, so balances still add up.
    from_user_id: Mapped[int] = mapped_column(ID)
    to_user_id: Mapped[int] = mapped_column(ID)
    amount_minor: Mapped[int] = mapped_column("amount_cents", BigInteger, key="amount_minor")
    date: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdempotencyKey(Base):
    """A create request's Idempotency-Key and the answer it got: a retry within 24 hours gets that
    answer again (app.idempotency). Per account, so one account's keys never meet another's.

    An answer may hold a secret shown once (an invitation's token), so neither the key nor the
    answer is kept as it is: a copy of the database cannot be turned into links.
    """

    __tablename__ = "idempotency_keys"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 (hex) of the key
    # HMAC of the method, path, query and body: the same key with another request is refused.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # Indexed for the purge of keys older than 24 hours.
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    # Status, headers and body, sealed (AES-GCM). Null only inside the transaction that claims the
    # key, which commits the answer with the claim.
    answer: Mapped[bytes | None] = mapped_column(LargeBinary)


class DailyRun(Base):
    """The last day a once-a-day job ran: the row several workers race to claim (app.services.recurring)."""

    __tablename__ = "daily_runs"

    job: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[date] = mapped_column(Date)


class StampedLedger(Base):
    """A ledger whose new version the running transaction holds already: the one writer's bulk insert
    (app.services.expenses.add_expenses) adds its ledger here after lock_ledger stamped it, and
    takes it out again before it returns, so that the version triggers (VERSION_DDL) pass its rows
    by and an import of 50,000 rows stamps the ledger once, not once per row. SQLite's search
    index's insert trigger passes them by too: the writer indexes them at once (SEARCH_FILL). Empty
    between transactions: a row never outlives the statements that add and delete it."""

    __tablename__ = "stamped_ledgers"

    ledger_id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=False)


# Ledger.version's stamping: a write to any of these tables stamps each ledger it touched with the
# next value of `ledger_versions`, a counter for the whole database (SQLite: a table of one row, its
# writers one at a time anyway; PostgreSQL: a sequence). SQLite: a trigger per row. PostgreSQL: a
# trigger per statement over its transition tables. An insert passes by the ledgers in
# `stamped_ledgers` (StampedLedger): stamped already by this transaction. A member's new name
# stamps every ledger they are in (balances show it). Made with the tables, here for create_all and
# in migrations 0017 and 0021.
VERSIONED_BY = ("expenses", "expense_splits", "budgets", "settlements", "ledger_members")
VERSIONS = "ledger_versions"
_WRITES = {"insert": "new.ledger_id", "update": "old.ledger_id, new.ledger_id", "delete": "old.ledger_id"}
_TRANSITIONS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}
_SQLITE_STAMP = (
    "UPDATE ledger_versions SET last = last + 1;"
    " UPDATE ledgers SET version = (SELECT last FROM ledger_versions) WHERE id IN ({ledgers});"
)
_NAME_CHANGE = "SELECT ledger_id FROM ledger_members WHERE user_id = new.id"
_STAMPED = "SELECT ledger_id FROM stamped_ledgers"
_SQLITE_UNSTAMPED = f" WHEN new.ledger_id NOT IN ({_STAMPED})"
VERSION_DDL = {
    "sqlite": (
        "CREATE TABLE ledger_versions (last BIGINT NOT NULL)",
        "INSERT INTO ledger_versions (last) VALUES (0)",
        *(
            f"CREATE TRIGGER {table}_version_{write} AFTER {write.upper()} ON {table}"
            + (_SQLITE_UNSTAMPED if write == "insert" else "")
            + " BEGIN "
            + _SQLITE_STAMP.format(ledgers=ledgers)
            + " END"
            for table in VERSIONED_BY
            for write, ledgers in _WRITES.items()
        ),
        "CREATE TRIGGER users_version_name AFTER UPDATE OF display_name ON users"
        " WHEN old.display_name IS NOT new.display_name BEGIN "
        + _SQLITE_STAMP.format(ledgers=_NAME_CHANGE)
        + " END",
    ),
    "postgresql": (
        "CREATE SEQUENCE ledger_versions",
        "CREATE OR REPLACE FUNCTION stamp_ledger_versions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"  # noqa: S608 (constants)
        " IF TG_OP = 'INSERT' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
        f" WHERE id IN (SELECT ledger_id FROM new_rows EXCEPT {_STAMPED});"
        " ELSIF TG_OP = 'DELETE' THEN UPDATE ledgers SET version = nextval('ledger_versions')"
        " WHERE id IN (SELECT ledger_id FROM old_rows);"
        " ELSE UPDATE ledgers SET version = nextval('ledger_versions')"
        " WHERE id IN (SELECT ledger_id FROM old_rows UNION SELECT ledger_id FROM new_rows);"
        " END IF; RETURN NULL; END $$",
        *(
            f"CREATE TRIGGER {table}_version_{write} AFTER {write.upper()} ON {table}"
            f" REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION stamp_ledger_versions()"
            for table in VERSIONED_BY
            for write, transitions in _TRANSITIONS.items()
        ),
        "CREATE OR REPLACE FUNCTION stamp_ledger_versions_of_member() RETURNS trigger LANGUAGE plpgsql"  # noqa: S608 (constants)
        " AS $$ BEGIN UPDATE ledgers SET version = nextval('ledger_versions')"
        f" WHERE id IN ({_NAME_CHANGE}); RETURN NULL; END $$",
        "CREATE TRIGGER users_version_name AFTER UPDATE OF display_name ON users FOR EACH ROW"
        " WHEN (old.display_name IS DISTINCT FROM new.display_name)"
        " EXECUTE FUNCTION stamp_ledger_versions_of_member()",
    ),
}


@event.listens_for(Base.metadata, "after_create")
def _stamp_ledger_versions(_metadata: object, connection: Any, **_kw: Any) -> None:
    for statement in VERSION_DDL.get(connection.dialect.name, ()):
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "after_drop")
def _drop_ledger_versions(_metadata: object, connection: Any, **_kw: Any) -> None:
    kind = "TABLE" if connection.dialect.name == "sqlite" else "SEQUENCE"
    connection.exec_driver_sql(f"DROP {kind} IF EXISTS {VERSIONS}")
