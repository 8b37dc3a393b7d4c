"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""

from datetime import UTC, date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import (
    Connection,
    Engine,
    MetaData,
    Table,
    column,
    func,
    insert,
    inspect,
    select,
    table,
    text,
    update,
)

from app.access import hash_password
from app.database import Base, make_engine
from app.main import app
from app.migrate import alembic_config, include_name, upgrade_to_head
from app.models import (
    Budget,
    DailyCategoryTotal,
    DailyTotal,
    Expense,
    ExpenseSplit,
    Ledger,
    LedgerMember,
    MonthlyTotal,
    RecurringRule,
    User,
)
from app.services import totals
from tests.conftest import app_on
from tests.factories import PASSWORD, expense_body


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []

    upgrade_to_head(empty_database_url)  # a second start changes nothing
    command.downgrade(alembic_config(empty_database_url), "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()


def test_upgrade_makes_the_oldest_account_admin_and_keeps_data(empty_database_url: str) -> None:
    """0004 on an instance with accounts: the first one becomes admin, and nothing is lost."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0003")
    engine = make_engine(empty_database_url)
    users = table(*("users", column("id"), column("email"), column("password_hash"), column("display_name")),
                  column("currency"), column("created_at"), column("token_version"))  # fmt: skip
    expenses = table("expenses", *(column(name) for name in EXPENSE_COLUMNS))
    with engine.begin() as conn:
        for email in ("first@example.com", "second@example.com"):
            conn.execute(
                insert(users).values(
                    email=email,
                    password_hash="x",
                    display_name="",
                    currency="USD",
                    created_at=datetime(2026, 1, 1, tzinfo=UTC),
                    token_version=0,
                )
            )
        first = conn.execute(select(users.c.id).where(users.c.email == "first@example.com")).scalar_one()
        conn.execute(
            insert(expenses).values(
                user_id=first,
                date=date(2026, 1, 2),
                category="Food",
                category_key="food",
                amount_cents=100,
                description="",
                created_at=datetime(2026, 1, 2, tzinfo=UTC),
                updated_at=datetime(2026, 1, 2, tzinfo=UTC),
            )
        )
    upgrade_to_head(empty_database_url)
    with engine.connect() as conn:
        admins = conn.execute(select(User.email, User.is_admin, User.disabled).order_by(User.id)).all()
        count = conn.scalar(select(func.count()).select_from(Expense))
    engine.dispose()
    assert [tuple(row) for row in admins] == [
        ("first@example.com", True, False),
        ("second@example.com", False, False),
    ]
    assert count == 1


EXPENSE_COLUMNS = (
    "user_id", "date", "category", "category_key", "amount_cents", "description", "created_at", "updated_at",
)  # fmt: skip


def test_0007_moves_every_row_into_a_personal_ledger_with_ids_unchanged(empty_database_url: str) -> None:
    """0007 on a populated 0006 database: a personal ledger per account, every row and total kept."""
    command.upgrade(alembic_config(empty_database_url), "0006")
    engine = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    users = table(
        *("users", column("id"), column("email"), column("password_hash"), column("display_name")),
        column("currency"),
        column("created_at"),
        column("token_version"),
    )
    expenses = table(
        "expenses",
        column("id"),
        column("recurring_id"),
        column("occurrence_date"),
        *(column(name) for name in EXPENSE_COLUMNS),
    )
    budgets = table(
        "budgets",
        *(
            column(n)
            for n in ("id", "user_id", "category", "category_key", "amount_cents", "created_at", "updated_at")
        ),
    )
    rules = table(
        "recurring_rules",
        *(
            column(n)
            for n in (
                "id",
                "user_id",
                "category",
                "category_key",
                "amount_cents",
                "description",
                "frequency",
                "interval",
                "start_date",
                "paused",
                "next_date",
                "created_at",
                "updated_at",
            )
        ),
    )
    totals = table(
        "monthly_totals",
        *(column(n) for n in ("user_id", "month", "category_key", "category", "count", "amount_cents")),
    )
    with engine.begin() as conn:
        for user_id, email, currency in ((3, "a@example.com", "EUR"), (7, "b@example.com", "USD")):
            conn.execute(
                insert(users).values(
                    id=user_id,
                    email=email,
                    password_hash="x",
                    display_name="",
                    currency=currency,
                    created_at=when,
                    token_version=0,
                )
            )
        conn.execute(
            insert(rules).values(
                id=5,
                user_id=7,
                category="Rent",
                category_key="rent",
                amount_cents=900,
                description="",
                frequency="monthly",
                interval=1,
                start_date=date(2026, 1, 1),
                paused=False,
                next_date=date(2026, 2, 1),
                created_at=when,
                updated_at=when,
            )
        )
        rows = [(11, 3, 100, None), (12, 3, 250, None), (40, 7, 900, 5)]
        for expense_id, user_id, cents, rule_id in rows:
            conn.execute(
                insert(expenses).values(
                    id=expense_id,
                    user_id=user_id,
                    date=date(2026, 1, 2),
                    category="Food",
                    category_key="food",
                    amount_cents=cents,
                    description="",
                    created_at=when,
                    updated_at=when,
                    recurring_id=rule_id,
                    occurrence_date=date(2026, 1, 2) if rule_id else None,
                )
            )
        conn.execute(
            insert(budgets).values(
                id=9,
                user_id=3,
                category="Food",
                category_key="food",
                amount_cents=5000,
                created_at=when,
                updated_at=when,
            )
        )
        conn.execute(
            insert(totals),
            [
                {
                    "user_id": 3,
                    "month": date(2026, 1, 1),
                    "category_key": "food",
                    "category": "Food",
                    "count": 2,
                    "amount_cents": 350,
                },
                {
                    "user_id": 7,
                    "month": date(2026, 1, 1),
                    "category_key": "food",
                    "category": "Food",
                    "count": 1,
                    "amount_cents": 900,
                },
            ],
        )
    upgrade_to_head(empty_database_url)
    with engine.connect() as conn:
        ledgers = {
            row.personal_of: row
            for row in conn.execute(select(Ledger.id, Ledger.name, Ledger.currency, Ledger.personal_of))
        }
        members = conn.execute(select(LedgerMember.ledger_id, LedgerMember.user_id, LedgerMember.role)).all()
        moved = conn.execute(
            select(
                Expense.id, Expense.ledger_id, Expense.user_id, Expense.paid_by, Expense.recurring_id
            ).order_by(Expense.id)
        ).all()
        parts = conn.execute(
            select(
                ExpenseSplit.expense_id,
                ExpenseSplit.user_id,
                ExpenseSplit.ledger_id,
                ExpenseSplit.shares,
                ExpenseSplit.amount_minor,
                ExpenseSplit.base_amount_minor,
            ).order_by(ExpenseSplit.expense_id)
        ).all()
        budget = conn.execute(select(Budget.id, Budget.ledger_id, Budget.user_id)).one()
        rule = conn.execute(select(RecurringRule.id, RecurringRule.ledger_id, RecurringRule.user_id)).one()
        kept_totals = conn.execute(
            select(MonthlyTotal.ledger_id, MonthlyTotal.count, MonthlyTotal.amount_minor).order_by(
                MonthlyTotal.ledger_id
            )
        ).all()
    engine.dispose()
    a, b = ledgers[3].id, ledgers[7].id
    assert [(r.name, r.currency) for r in (ledgers[3], ledgers[7])] == [
        ("Personal", "EUR"),
        ("Personal", "USD"),
    ]
    assert sorted(tuple(m) for m in members) == sorted([(a, 3, "owner"), (b, 7, "owner")])
    assert [tuple(row) for row in moved] == [(11, a, 3, 3, None), (12, a, 3, 3, None), (40, b, 7, 7, 5)]
    assert [tuple(row) for row in parts] == [
        (11, 3, a, 1, 100, 100),
        (12, 3, a, 1, 250, 250),
        (40, 7, b, 1, 900, 900),
    ]
    assert tuple(budget) == (9, a, 3)
    assert tuple(rule) == (5, b, 7)
    assert sorted(tuple(t) for t in kept_totals) == sorted([(a, 2, 350), (b, 1, 900)])


def test_0010_adds_the_daily_run_claim_and_unwinds(empty_database_url: str) -> None:
    """0010 on a 0009 database: an empty claim table (the first tick inserts its row); down removes it."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0009")
    engine = make_engine(empty_database_url)
    assert "daily_runs" not in inspect(engine).get_table_names()
    command.upgrade(config, "0010")
    runs = table("daily_runs", column("job"), column("day"))
    with engine.begin() as conn:
        assert conn.scalar(select(func.count()).select_from(runs)) == 0
        conn.execute(insert(runs).values(job="recurring", day=date(2026, 11, 30)))
    command.downgrade(config, "0009")
    assert "daily_runs" not in inspect(engine).get_table_names()
    engine.dispose()


def add_owner(
    conn: Connection, tables: dict[str, Table], when: datetime, others: dict[int, tuple[str, str]]
) -> None:
    """User 3, with a personal euro ledger (id 1) and these other ledgers (id -> name, currency),
    owner of all of them: the rows an old schema needs before its expenses."""
    conn.execute(
        insert(tables["users"]).values(
            id=3, email="a@example.com", password_hash="x", display_name="", currency="EUR",
            created_at=when, token_version=0, is_admin=False, disabled=False,
        )
    )  # fmt: skip
    ledgers = {1: ("Personal", "EUR"), **others}
    conn.execute(
        insert(tables["ledgers"]),
        [
            {
                "id": n,
                "name": name,
                "currency": currency,
                "personal_of": 3 if n == 1 else None,
                "created_at": when,
            }
            for n, (name, currency) in ledgers.items()
        ],
    )
    conn.execute(
        insert(tables["ledger_members"]),
        [{"ledger_id": n, "user_id": 3, "role": "owner", "joined_at": when} for n in ledgers],
    )


def test_0008_gives_every_expense_its_ledgers_currency_and_keeps_the_links(empty_database_url: str) -> None:
    """0008 on a populated 0007 database: rate 1, base = amount; a KWD ledger's amounts in fils."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0007")
    engine = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    meta = MetaData()
    tables = {
        name: Table(name, meta, autoload_with=engine)
        for name in ("users", "ledgers", "ledger_members", "recurring_rules", "expenses", "expense_splits")
    }
    rule = {"category": "Rent", "category_key": "rent", "description": "", "frequency": "monthly"}
    spent = {"date": date(2026, 1, 2), "category": "Food", "category_key": "food", "description": ""}
    with engine.begin() as conn:
        add_owner(conn, tables, when, {2: ("Kuwait", "KWD")})
        conn.execute(
            insert(tables["recurring_rules"]).values(
                id=5, ledger_id=2, user_id=3, amount_cents=900, interval=1, start_date=date(2026, 1, 1),
                paused=False, next_date=date(2026, 2, 1), created_at=when, updated_at=when, **rule,
            )
        )  # fmt: skip
        for expense_id, ledger_id, cents, rule_id in ((11, 1, 1250, None), (12, 2, 1234, 5)):
            conn.execute(
                insert(tables["expenses"]).values(
                    id=expense_id, ledger_id=ledger_id, user_id=3, paid_by=3, amount_cents=cents,
                    created_at=when, updated_at=when, recurring_id=rule_id,
                    occurrence_date=date(2026, 1, 2) if rule_id else None, **spent,
                )
            )  # fmt: skip
            conn.execute(
                insert(tables["expense_splits"]).values(
                    expense_id=expense_id, user_id=3, ledger_id=ledger_id, shares=1,
                    amount_cents=cents, base_amount_cents=cents,
                )
            )  # fmt: skip
    command.upgrade(config, "0008")
    columns = (Expense.id, Expense.amount_minor, Expense.currency, Expense.rate, Expense.rate_source)
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns, Expense.rate_date, Expense.base_amount_minor, Expense.recurring_id).order_by(
                Expense.id
            )
        ).all()
        parts = conn.execute(
            select(ExpenseSplit.amount_minor, ExpenseSplit.base_amount_minor).order_by(
                ExpenseSplit.expense_id
            )
        ).all()
        rules = conn.execute(select(RecurringRule.amount_minor, RecurringRule.currency)).all()
    assert [tuple(row) for row in rows] == [
        (11, 1250, "EUR", "1", "same", None, 1250, None),
        (12, 12340, "KWD", "1", "same", None, 1234, 5),  # 12.34 dinars: 12340 fils, base in hundredths
    ]
    assert [tuple(row) for row in parts] == [(1250, 1250), (12340, 1234)]
    assert [tuple(row) for row in rules] == [(9000, "KWD")]

    command.downgrade(config, "0007")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT id, amount_cents, recurring_id FROM expenses ORDER BY id")).all()
        rule_back = conn.execute(text("SELECT amount_cents FROM recurring_rules")).scalar()
        split_back = conn.execute(text("SELECT amount_cents FROM expense_splits ORDER BY expense_id")).all()
    engine.dispose()
    assert [tuple(row) for row in back] == [(11, 1250, None), (12, 1234, 5)]
    assert rule_back == 900
    assert [row[0] for row in split_back] == [1250, 1234]


def test_0011_counts_every_amount_in_its_currencys_minor_unit_and_unwinds(empty_database_url: str) -> None:
    """0011 on a populated 0010 database: yen amounts and a yen ledger's money / 100 (typed ones
    rounded half up, at least 1 yen); a dinar ledger's money x 10; euro money as it was."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0010")
    engine = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    meta = MetaData()
    names = ("users", "ledgers", "ledger_members", "recurring_rules", "expenses", "expense_splits")
    tables = {
        name: Table(name, meta, autoload_with=engine)
        for name in (*names, "budgets", "settlements", "monthly_totals")
    }
    food = {"category": "Food", "category_key": "food"}
    with engine.begin() as conn:
        add_owner(conn, tables, when, {2: ("Tokyo", "JPY"), 4: ("Kuwait", "KWD")})
        conn.execute(
            insert(tables["recurring_rules"]).values(
                id=5, ledger_id=1, user_id=3, amount_cents=90000, currency="JPY", interval=1,
                start_date=date(2026, 1, 1), paused=False, next_date=date(2026, 2, 1), created_at=when,
                updated_at=when, description="", frequency="monthly", **food,
            )
        )  # fmt: skip
        # (id, ledger, amount as 0010 kept it, currency, base as 0010 kept it): 1200 yen in euros,
        # 10 euros in a yen ledger, 10 dollars in a dinar ledger (1.23 dinars, in hundredths).
        spent = ((11, 1, 120000, "JPY", 732), (12, 2, 1000, "EUR", 161000), (13, 4, 1000, "USD", 123))
        for expense_id, ledger_id, amount, currency, base in spent:
            conn.execute(
                insert(tables["expenses"]).values(
                    id=expense_id, ledger_id=ledger_id, user_id=3, paid_by=3, date=date(2026, 1, 2),
                    amount_cents=amount, currency=currency, rate="1", rate_source="manual",
                    base_amount_cents=base, description="", created_at=when, updated_at=when, **food,
                )
            )  # fmt: skip
            conn.execute(
                insert(tables["expense_splits"]).values(
                    expense_id=expense_id, user_id=3, ledger_id=ledger_id, shares=1,
                    amount_cents=amount, base_amount_cents=base,
                )
            )  # fmt: skip
            conn.execute(
                insert(tables["monthly_totals"]).values(
                    ledger_id=ledger_id, month=date(2026, 1, 1), count=1, amount_cents=base, **food
                )
            )
        budgets = ((21, 1, 5000), (22, 2, 1250), (23, 2, 40), (24, 4, 500))
        conn.execute(
            insert(tables["budgets"]),
            [
                {"id": n, "ledger_id": ledger, "user_id": 3, "amount_cents": cents, "created_at": when,
                 "updated_at": when, "category": f"C{n}", "category_key": f"c{n}"}
                for n, ledger, cents in budgets
            ],
        )  # fmt: skip
        conn.execute(
            insert(tables["settlements"]),
            [
                {"id": n, "ledger_id": ledger, "from_user_id": 3, "to_user_id": 3, "amount_cents": cents,
                 "date": date(2026, 1, 3), "note": "", "created_at": when}
                for n, ledger, cents in ((31, 2, 4), (32, 2, 15050), (33, 4, 250))
            ],
        )  # fmt: skip

    def read() -> dict[str, list[tuple[int, ...]]]:
        with engine.connect() as conn:
            return {
                "expenses": [
                    tuple(row)
                    for row in conn.execute(
                        text("SELECT id, amount_cents, base_amount_cents FROM expenses ORDER BY id")
                    )
                ],
                "splits": [
                    tuple(row)
                    for row in conn.execute(
                        text(
                            "SELECT expense_id, amount_cents, base_amount_cents FROM expense_splits "
                            "ORDER BY expense_id"
                        )
                    )
                ],
                "totals": [
                    tuple(row)
                    for row in conn.execute(
                        text("SELECT ledger_id, amount_cents FROM monthly_totals ORDER BY ledger_id")
                    )
                ],
                "budgets": [
                    tuple(row)
                    for row in conn.execute(text("SELECT id, amount_cents FROM budgets ORDER BY id"))
                ],
                "settlements": [
                    tuple(row)
                    for row in conn.execute(text("SELECT id, amount_cents FROM settlements ORDER BY id"))
                ],
                "rules": [
                    tuple(row) for row in conn.execute(text("SELECT id, amount_cents FROM recurring_rules"))
                ],
            }

    before = read()
    command.upgrade(config, "0011")
    assert read() == {
        "expenses": [(11, 1200, 732), (12, 1000, 1610), (13, 1000, 1230)],
        "splits": [(11, 1200, 732), (12, 1000, 1610), (13, 1000, 1230)],
        "totals": [(1, 732), (2, 1610), (4, 1230)],
        "budgets": [(21, 5000), (22, 13), (23, 1), (24, 5000)],
        "settlements": [(31, 1), (32, 151), (33, 2500)],
        "rules": [(5, 900)],
    }
    command.downgrade(config, "0010")
    after = read()
    engine.dispose()
    # Back in hundredths; only what 0011 rounded stays rounded.
    assert after == before | {"budgets": [(21, 5000), (22, 1300), (23, 100), (24, 500)]} | {
        "settlements": [(31, 100), (32, 15100), (33, 250)]
    }


def version_objects(engine: Engine, like: str) -> dict[str, str]:
    """The triggers (and on PostgreSQL the functions and sequences) that count or stamp a ledger's
    writes, as the database reports them: `like` is "revision" (0012) or "version" (0017)."""
    if engine.dialect.name == "sqlite":
        query = (
            f"SELECT name, sql FROM sqlite_master WHERE name LIKE '%{like}%'"  # noqa: S608 (test constants)
            " AND name NOT LIKE 'sqlite_%' AND name != 'alembic_version'"
        )
    else:
        function = "count_ledger_writes" if like == "revision" else "stamp_ledger_versions%"
        query = (
            f"SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname LIKE '%{like}%'"  # noqa: S608
            f" UNION ALL SELECT proname, prosrc FROM pg_proc WHERE proname LIKE '{function}'"
            " UNION ALL SELECT relname, 'sequence' FROM pg_class"
            f" WHERE relkind = 'S' AND relname LIKE '%{like}%'"
        )
    with engine.connect() as conn:
        return {str(name): str(definition) for name, definition in conn.execute(text(query))}


def test_0012_counts_each_ledgers_writes_as_create_all_does_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0011")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=migrated)
        for name in ("users", "ledgers", "ledger_members")
    }
    with migrated.begin() as conn:
        add_owner(conn, tables, when, {2: ("Trip", "EUR")})
    command.upgrade(config, "0012")
    made = version_objects(migrated, "revision")
    assert len(made) == 9 + (migrated.dialect.name == "postgresql")

    def revisions() -> list[tuple[int, int]]:
        with migrated.connect() as conn:
            return [tuple(row) for row in conn.execute(text("SELECT id, revision FROM ledgers ORDER BY id"))]

    assert revisions() == [(1, 0), (2, 0)]
    with migrated.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO budgets (ledger_id, user_id, category, category_key, amount_cents, created_at,"
                " updated_at) VALUES (2, 3, 'Food', 'food', 100, :when, :when)"
            ),
            {"when": when},
        )
    assert revisions() == [(1, 0), (2, 1)]
    command.downgrade(config, "0011")
    assert version_objects(migrated, "revision") == {}
    assert "revision" not in {c["name"] for c in inspect(migrated).get_columns("ledgers")}
    migrated.dispose()


def test_0017_stamps_each_ledger_from_one_counter_as_create_all_does_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    """0017 on a 0013 database: every ledger a version of its own above every count it had; then
    each write (settlements and members too) stamps a version no ledger had; down brings 0012's
    counting back."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0013")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=migrated)
        for name in ("users", "ledgers", "ledger_members")
    }
    with migrated.begin() as conn:
        add_owner(conn, tables, when, {2: ("Trip", "EUR"), 3: ("Flat", "EUR")})
        conn.execute(text("UPDATE ledgers SET revision = 7 WHERE id = 2"))
    before = version_objects(migrated, "revision")
    command.upgrade(config, "0017")
    made = version_objects(migrated, "version")
    # The migration makes what create_all makes (0021 then lets the inserts' triggers pass by a
    # ledger stamped already: test_0021_...).
    assert made.keys() == version_objects(engine, "version").keys()
    assert version_objects(migrated, "revision") == {}

    def versions() -> dict[int, int]:
        with migrated.connect() as conn:
            return {int(i): int(v) for i, v in conn.execute(text("SELECT id, version FROM ledgers"))}

    first = versions()
    assert len(set(first.values())) == 3
    assert min(first.values()) > 7
    with migrated.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO settlements (ledger_id, from_user_id, to_user_id, amount_cents, date, note,"
                " created_by, created_at) VALUES (2, 3, 4, 100, '2026-01-02', '', 3, :when)"
            ),
            {"when": when},
        )
    second = versions()
    assert second[2] > max(first.values())
    assert {1: second[1], 3: second[3]} == {1: first[1], 3: first[3]}
    with migrated.begin() as conn:
        conn.execute(text("DELETE FROM ledger_members WHERE ledger_id = 3"))
    assert versions()[3] > second[2]
    command.downgrade(config, "0013")
    assert version_objects(migrated, "version") == {}
    assert version_objects(migrated, "revision") == before
    assert "revision" in {c["name"] for c in inspect(migrated).get_columns("ledgers")}
    migrated.dispose()  # its connections closed now, not by the garbage collector (a warning then)


def test_0021_stamps_a_ledger_once_while_it_is_held_as_create_all_does_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    """0021 on a 0017 database: an insert into a versioned table stamps its ledger unless the ledger
    is in stamped_ledgers (the one writer's bulk insert holds it there); every other write stamps as
    before; down brings 0017's triggers back."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0017")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=migrated)
        for name in ("users", "ledgers", "ledger_members")
    }
    with migrated.begin() as conn:
        add_owner(conn, tables, when, {2: ("Trip", "EUR")})
    before = version_objects(migrated, "version")
    command.upgrade(config, "0021")
    assert version_objects(migrated, "version") == version_objects(engine, "version")
    assert "ix_expenses_ledger_date_amount" in {i["name"] for i in inspect(migrated).get_indexes("expenses")}

    def version() -> int:
        with migrated.connect() as conn:
            return int(conn.scalar(text("SELECT version FROM ledgers WHERE id = 2")))

    settle = text(
        "INSERT INTO settlements (ledger_id, from_user_id, to_user_id, amount_cents, date, note,"
        " created_by, created_at) VALUES (2, 3, 3, 100, '2026-01-02', '', 3, :when)"
    )
    first = version()
    with migrated.begin() as conn:
        conn.execute(text("INSERT INTO stamped_ledgers (ledger_id) VALUES (2)"))
        conn.execute(settle, {"when": when})
        conn.execute(settle, {"when": when})
        conn.execute(text("DELETE FROM stamped_ledgers"))
    assert version() == first  # held: the inserts passed it by
    with migrated.begin() as conn:
        conn.execute(settle, {"when": when})
    second = version()
    assert second > first
    with migrated.begin() as conn:
        conn.execute(text("INSERT INTO stamped_ledgers (ledger_id) VALUES (2)"))
        conn.execute(text("DELETE FROM settlements WHERE amount_cents = 100"))  # a delete always stamps
        conn.execute(text("DELETE FROM stamped_ledgers"))
    assert version() > second
    command.downgrade(config, "0017")
    assert version_objects(migrated, "version") == before
    assert "stamped_ledgers" not in inspect(migrated).get_table_names()
    migrated.dispose()


def triggers(engine: Engine) -> dict[str, str]:
    """Every trigger (and on PostgreSQL the version functions) as the database reports it."""
    if engine.dialect.name != "sqlite":
        return version_objects(engine, "version")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        return {str(name): str(definition) for name, definition in found}


def test_0014_gives_every_payerless_expense_a_payer_so_balances_add_up_and_unwinds(
    empty_database_url: str, engine: Engine
) -> None:
    """0014 on a 0013 database whose shared ledger holds imported rows with no payer (its balances
    were a 500): each gets its recorder where still a member, else the ledger's longest-standing
    owner; the balances then answer 200 and add up to zero. Rules get a payer the same way."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0013")
    migrated = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    meta = MetaData()
    names = ("users", "ledgers", "ledger_members", "recurring_rules", "expenses", "expense_splits")
    tables = {name: Table(name, meta, autoload_with=migrated) for name in names}
    food = {"category": "Food", "category_key": "food", "description": "", "created_at": when}
    with migrated.begin() as conn:
        add_owner(conn, tables, when, {2: ("Flat", "USD")})
        conn.execute(
            update(tables["users"])
            .where(tables["users"].c.id == 3)
            .values(password_hash=hash_password(PASSWORD))
        )
        for user_id in (4, 6):  # Bea is an editor of the flat; Cy was, and left
            conn.execute(
                insert(tables["users"]).values(
                    id=user_id, email=f"u{user_id}@example.com", password_hash="x", display_name="",
                    currency="USD", created_at=when, token_version=0, is_admin=False, disabled=False,
                )
            )  # fmt: skip
        conn.execute(
            insert(tables["ledger_members"]).values(ledger_id=2, user_id=4, role="editor", joined_at=when)
        )
        rules = (
            (5, None, False),  # its creator deleted their account
            (7, 4, False),  # Bea's
            (8, 6, False),  # Cy's, resumed after Cy left
        )
        for rule_id, creator, paused in rules:
            conn.execute(
                insert(tables["recurring_rules"]).values(
                    id=rule_id, ledger_id=2, user_id=creator, amount_cents=2000, currency="USD", interval=1,
                    start_date=date(2026, 1, 1), paused=paused, next_date=date(2999, 1, 1), updated_at=when,
                    frequency="monthly", **food,
                )
            )  # fmt: skip
        # (id, recorder, payer, amount, recurring rule), in the flat: two imported rows, an occurrence of
        # the rule whose creator is gone, and an expense that had its payer.
        spent: tuple[tuple[int, int | None, int | None, int, int | None], ...] = (
            (11, 4, None, 3000, None),
            (12, 6, None, 1000, None),
            (13, None, None, 2000, 5),
            (14, 3, 3, 800, None),
        )
        for expense_id, recorder, payer, cents, recurring_id in spent:
            conn.execute(
                insert(tables["expenses"]).values(
                    id=expense_id, ledger_id=2, user_id=recorder, paid_by=payer, date=date(2026, 1, 2),
                    amount_cents=cents, currency="USD", rate="1", rate_source="same", base_amount_cents=cents,
                    recurring_id=recurring_id, occurrence_date=date(2026, 1, 2) if recurring_id else None,
                    updated_at=when, **food,
                )
            )  # fmt: skip
            conn.execute(
                insert(tables["expense_splits"]),
                [
                    {"expense_id": expense_id, "user_id": user_id, "ledger_id": 2, "shares": 1,
                     "amount_cents": cents // 2, "base_amount_cents": cents // 2}
                    for user_id in (3, 4)
                ],
            )  # fmt: skip

    command.upgrade(config, "0014")
    with migrated.connect() as conn:
        payers = conn.execute(text("SELECT id, paid_by FROM expenses ORDER BY id")).all()
        kept_rules = conn.execute(text("SELECT id, paid_by, paused FROM recurring_rules ORDER BY id")).all()
        parts = conn.scalar(text("SELECT count(*) FROM expense_splits"))
    assert [tuple(row) for row in payers] == [(11, 4), (12, 3), (13, 3), (14, 3)]
    assert [(r, p, bool(paused)) for r, p, paused in kept_rules] == [
        (5, 3, True),
        (7, 4, False),
        (8, 3, True),
    ]
    assert parts == 8  # the split parts survived the copy of `expenses` (SQLite)
    command.upgrade(config, "head")  # the app runs on the head's schema (0017's ledger versions)
    assert triggers(migrated) == triggers(engine)  # search and version triggers, as create_all makes them
    with migrated.begin() as conn:
        totals.rebuild(conn)  # the rows above bypassed the writers: their totals, in the head's tables
    with app_on(migrated):
        client = TestClient(app)
        login = client.post("/api/auth/login", json={"email": "a@example.com", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        response = client.get("/api/ledgers/2/balances", headers=headers)
        assert response.status_code == 200, response.text
        # Ann paid 10 + 20 + 8 and bears 15 + 5 + 10 + 4; Bea paid 30 and bears as much as Ann.
        assert {m["user_id"]: m["balance"] for m in response.json()["members"]} == {3: 4, 4: -4}
        # The text index still finds the rows it had, and the rows added after.
        assert len(client.get("/api/expenses?ledger=2&q=foo", headers=headers).json()["items"]) == 4
        added = client.post(
            "/api/expenses?ledger=2", json={**expense_body(), "description": "fondue"}, headers=headers
        )
        assert added.status_code == 201, added.text
        assert [
            e["id"] for e in client.get("/api/expenses?ledger=2&q=fondu", headers=headers).json()["items"]
        ] == [added.json()["id"]]
    if migrated.dialect.name == "sqlite":  # the FTS5 index itself, not only what a list chooses to read
        with migrated.connect() as conn:
            found = conn.execute(text("SELECT rowid FROM expenses_fts WHERE expenses_fts MATCH 'food'"))
            assert sorted(found.scalars()) == [11, 12, 13, 14, added.json()["id"]]
    command.downgrade(config, "0013")
    assert {c["name"]: c["nullable"] for c in inspect(migrated).get_columns("expenses")}["paid_by"] is True
    assert "paid_by" not in {c["name"] for c in inspect(migrated).get_columns("recurring_rules")}
    assert "recurring_splits" not in inspect(migrated).get_table_names()
    with migrated.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM expense_splits")) == 10
    migrated.dispose()


def test_0013_fills_daily_totals_with_base_amounts_per_ledger_and_day(empty_database_url: str) -> None:
    """0013 on a populated 0012 database: each ledger's day sums base amounts (the ledger's
    currency), never the amounts as written in each expense's own currency."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0012")
    engine = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=engine)
        for name in ("users", "ledgers", "ledger_members", "expenses")
    }
    food = {"category": "Food", "category_key": "food"}
    # (id, ledger, date, amount, currency, base): 1200 yen and 10 dollars in a euro ledger, euros
    # in it, and 10 euros in a yen ledger.
    spent = (
        (11, 1, date(2026, 1, 2), 1200, "JPY", 732),
        (12, 1, date(2026, 1, 2), 1000, "USD", 917),
        (13, 1, date(2026, 1, 2), 250, "EUR", 250),
        (14, 1, date(2026, 1, 3), 1000, "USD", 921),
        (15, 2, date(2026, 1, 2), 1000, "EUR", 1610),
    )
    with engine.begin() as conn:
        add_owner(conn, tables, when, {2: ("Tokyo", "JPY")})
        for expense_id, ledger_id, day, amount, currency, base in spent:
            conn.execute(
                insert(tables["expenses"]).values(
                    id=expense_id, ledger_id=ledger_id, user_id=3, paid_by=3, date=day,
                    amount_cents=amount, currency=currency, rate="1", rate_source="manual",
                    base_amount_cents=base, description="", created_at=when, updated_at=when, **food,
                )
            )  # fmt: skip
    command.upgrade(config, "0013")
    with engine.connect() as conn:
        columns = (DailyTotal.ledger_id, DailyTotal.day, DailyTotal.count, DailyTotal.amount_minor)
        days = conn.execute(select(*columns).order_by(DailyTotal.ledger_id, DailyTotal.day)).all()
    assert [tuple(row) for row in days] == [
        (1, date(2026, 1, 2), 3, 732 + 917 + 250),
        (1, date(2026, 1, 3), 1, 921),
        (2, date(2026, 1, 2), 1, 1610),
    ]
    command.downgrade(config, "0012")
    assert "daily_totals" not in inspect(engine).get_table_names()
    engine.dispose()


def test_0024_fills_daily_category_totals_per_ledger_day_and_category(empty_database_url: str) -> None:
    """0024 on a populated 0021 database: each ledger's day and category sums base amounts (a refund's
    negative), one row per category key however it was spelled; downgrade drops the table."""
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0021")
    engine = make_engine(empty_database_url)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    tables = {
        name: Table(name, MetaData(), autoload_with=engine)
        for name in ("users", "ledgers", "ledger_members", "expenses")
    }
    # (id, ledger, date, category, amount, currency, base)
    spent = (
        (11, 1, date(2026, 1, 2), "Food", 1200, "JPY", 732),
        (12, 1, date(2026, 1, 2), "food", 1000, "USD", 917),
        (13, 1, date(2026, 1, 2), "Rent", 250, "EUR", 250),
        (14, 1, date(2026, 1, 3), "Food", -1000, "USD", -921),
        (15, 2, date(2026, 1, 2), "Food", 1000, "EUR", 1610),
    )
    with engine.begin() as conn:
        add_owner(conn, tables, when, {2: ("Tokyo", "JPY")})
        for expense_id, ledger_id, day, category, amount, currency, base in spent:
            conn.execute(
                insert(tables["expenses"]).values(
                    id=expense_id, ledger_id=ledger_id, user_id=3, paid_by=3, date=day, category=category,
                    category_key=category.casefold(), amount_cents=amount, currency=currency, rate="1",
                    rate_source="manual", base_amount_cents=base, description="", created_at=when,
                    updated_at=when,
                )
            )  # fmt: skip
    command.upgrade(config, "0024")
    with engine.connect() as conn:
        key = (DailyCategoryTotal.ledger_id, DailyCategoryTotal.day, DailyCategoryTotal.category_key)
        rows = conn.execute(
            select(*key, DailyCategoryTotal.count, DailyCategoryTotal.amount_minor).order_by(*key)
        ).all()
    assert [tuple(row) for row in rows] == [
        (1, date(2026, 1, 2), "food", 2, 732 + 917),
        (1, date(2026, 1, 2), "rent", 1, 250),
        (1, date(2026, 1, 3), "food", 1, -921),
        (2, date(2026, 1, 2), "food", 1, 1610),
    ]
    command.downgrade(config, "0021")
    assert "daily_category_totals" not in inspect(engine).get_table_names()
    engine.dispose()
