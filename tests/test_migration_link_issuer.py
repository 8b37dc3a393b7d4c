"""Migration 0015 on a populated 0013 database: ledger links get an issuer (the old ones, whose
issuer nobody knows, go), and what the old membership rules let happen is repaired."""

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import column, insert, inspect, select, table
from sqlalchemy.exc import IntegrityError

from app.database import make_engine
from app.migrate import alembic_config

WHEN = datetime(2026, 11, 1, tzinfo=UTC)
USERS = table(
    "users",
    *(column(name) for name in ("id", "email", "password_hash", "display_name", "currency", "created_at")),
    *(column(name) for name in ("token_version", "is_admin", "disabled")),
)
LEDGERS = table(
    "ledgers", *(column(name) for name in ("id", "name", "currency", "personal_of", "created_at"))
)
MEMBERS = table("ledger_members", *(column(name) for name in ("ledger_id", "user_id", "role", "joined_at")))
LINK_COLUMNS = ("kind", "token_hash", "user_id", "ledger_id", "role", "created_at", "expires_at", "used_at")
LINKS = table("one_time_links", *(column(name) for name in LINK_COLUMNS))


def link(kind: str, token_hash: str, **values: object) -> dict[str, object]:
    defaults = {"user_id": None, "ledger_id": None, "role": None, "used_at": None}
    return {
        "kind": kind,
        "token_hash": token_hash,
        "created_at": WHEN,
        "expires_at": WHEN + timedelta(days=3650),
        **defaults,
        **values,
    }


def test_0015_drops_issuerless_ledger_links_and_repairs_owners(empty_database_url: str) -> None:
    config = alembic_config(empty_database_url)
    command.upgrade(config, "0014")
    engine = make_engine(empty_database_url)
    ann, bob, carl = 1, 2, 3
    with engine.begin() as conn:
        conn.execute(
            insert(USERS),
            [
                {"id": n, "email": f"{n}@example.com", "password_hash": "x", "display_name": "",
                 "currency": "EUR", "created_at": WHEN, "token_version": 0, "is_admin": n == ann,
                 "disabled": False}
                for n in (ann, bob, carl)
            ],
        )  # fmt: skip
        conn.execute(
            insert(LEDGERS),
            [
                {"id": n, "name": name, "currency": "EUR", "personal_of": personal_of, "created_at": WHEN}
                for n, name, personal_of in (
                    (1, "Personal", ann),
                    (2, "Personal", bob),
                    (3, "Personal", carl),
                    (4, "Flat", None),
                    (5, "Club", None),
                )
            ],
        )
        conn.execute(
            insert(MEMBERS),
            [
                {"ledger_id": ledger_id, "user_id": user_id, "role": role,
                 "joined_at": WHEN + timedelta(days=days)}
                for ledger_id, user_id, role, days in (
                    (1, ann, "viewer", 0),  # demoted in her own personal ledger by a co-owner
                    (1, bob, "owner", 1),
                    (2, bob, "owner", 0),
                    (3, carl, "owner", 0),
                    (4, bob, "editor", 2),  # two owners left at once: nobody owns Flat
                    (4, carl, "viewer", 1),
                    (5, ann, "owner", 0),
                    (5, bob, "editor", 1),
                )
            ],
        )  # fmt: skip
        conn.execute(
            insert(LINKS),
            [
                link("ledger", "a" * 64, ledger_id=4, role="editor"),
                link("ledger", "b" * 64, ledger_id=5, role="viewer", used_at=WHEN),
                link("reset", "c" * 64, user_id=bob),
                link("invitation", "d" * 64),
            ],
        )
    command.upgrade(config, "0015")
    with engine.begin() as conn:
        assert sorted(conn.scalars(select(LINKS.c.kind))) == ["invitation", "reset"]
        roles = conn.execute(select(MEMBERS.c.ledger_id, MEMBERS.c.user_id, MEMBERS.c.role)).all()
        assert sorted(map(tuple, roles)) == [
            (1, ann, "owner"),
            (1, bob, "owner"),
            (2, bob, "owner"),
            (3, carl, "owner"),
            (4, bob, "editor"),
            (4, carl, "owner"),  # the longest-standing member
            (5, ann, "owner"),
            (5, bob, "editor"),
        ]
        issued = table("one_time_links", *(column(name) for name in (*LINK_COLUMNS, "invited_by")))
        conn.execute(
            insert(issued).values(link("ledger", "e" * 64, ledger_id=5, role="editor", invited_by=ann))
        )
    with pytest.raises(IntegrityError), engine.begin() as conn:  # a ledger link names its issuer
        conn.execute(insert(LINKS).values(link("ledger", "f" * 64, ledger_id=5, role="editor")))
    command.downgrade(config, "0014")
    assert "invited_by" not in {c["name"] for c in inspect(engine).get_columns("one_time_links")}
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(LINKS.c.kind))) == ["invitation", "ledger", "reset"]
    engine.dispose()
