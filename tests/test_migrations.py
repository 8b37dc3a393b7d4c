"""The Alembic history builds exactly the schema the models describe, and unwinds cleanly."""

from datetime import UTC, date, datetime

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, func, insert, inspect, select, table

from app.database import Base, make_engine
from app.migrate import alembic_config, upgrade_to_head
from app.models import Expense, User


def test_upgrade_matches_models_and_downgrade_empties(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
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
