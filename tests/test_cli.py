"""`python -m app` sub-commands, run as a person would: a separate process over a real database."""

import ctypes
import os
import secrets
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from uvicorn.config import STARTUP_FAILURE

from app import cli
from app.backup import checksum_of
from app.config import PROJECT_ROOT
from app.database import make_engine
from app.main import app
from app.migrate import upgrade_to_head
from app.models import User
from tests.conftest import ON_POSTGRES, app_on
from tests.disk import FILLER, fill, small_disk
from tests.factories import PASSWORD, add_expense, register
from tests.postgres import find_pg_bin
from tests.server import free_port

NEW_PASSWORD = "reset by the command line"


@pytest.fixture
def db_url(empty_database_url: str) -> str:
    return empty_database_url


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    pg_bin = find_pg_bin()
    path = os.environ["PATH"] + (f":{pg_bin}" if pg_bin else "")
    return {
        **os.environ,
        "PATH": path,
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": db_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "AUTO_MIGRATE": "true",
        "BCRYPT_ROUNDS": "4",
        "PUBLIC_URL": "https://money.example.org/",
        "BACKUP_KEEP": "2",
    }


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin,
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def db(db_url: str, cli_env: dict[str, str]) -> Iterator[Engine]:
    upgrade_to_head(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def api(db: Engine) -> Iterator[TestClient]:
    """The app over the database the commands use."""
    with app_on(db):
        yield TestClient(app)


def login(api: TestClient, email: str, password: str) -> int:
    return api.post("/api/auth/login", json={"email": email, "password": password}).status_code


def test_help_lists_the_commands(cli_env: dict[str, str]) -> None:
    result = run(cli_env, "--help")
    assert result.returncode == 0
    for command in ("serve", "create-admin", "reset-password", "backup", "restore"):
        assert command in result.stdout


def test_create_admin_reads_the_password_from_stdin(
    cli_env: dict[str, str], db: Engine, api: TestClient
) -> None:
    result = run(cli_env, "create-admin", "Root@Example.com", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert "Created admin root@example.com" in result.stdout
    assert PASSWORD not in result.stdout + result.stderr
    assert login(api, "root@example.com", PASSWORD) == 200
    with Session(db) as session:
        assert session.scalar(select(User.is_admin).where(User.email == "root@example.com")) is True

    # Run again for an account that exists: it stays admin, the password is left alone.
    again = run(cli_env, "create-admin", "root@example.com", stdin="something else entirely\n")
    assert again.returncode == 0
    assert again.stdout == "root@example.com is now an admin (password unchanged).\n"
    assert login(api, "root@example.com", PASSWORD) == 200
    with Session(db) as session:
        assert session.scalar(select(User.is_admin).where(User.email == "root@example.com")) is True


def test_create_admin_promotes_an_existing_account(
    cli_env: dict[str, str], db: Engine, api: TestClient
) -> None:
    run(cli_env, "create-admin", "first@example.com", stdin=PASSWORD + "\n")
    response = api.post("/api/auth/register", json={"email": "later@example.com", "password": PASSWORD})
    assert response.json()["user"]["is_admin"] is False
    assert run(cli_env, "create-admin", "later@example.com").returncode == 0
    with Session(db) as session:
        assert session.scalar(select(User.is_admin).where(User.email == "later@example.com")) is True


def test_create_admin_refuses_a_bad_password(cli_env: dict[str, str], db: Engine) -> None:
    result = run(cli_env, "create-admin", "root@example.com", stdin="short\n")
    assert result.returncode == 1
    assert "password" in result.stderr
    with Session(db) as session:
        assert session.scalar(select(User.id)) is None


def test_reset_password_prints_a_working_link(cli_env: dict[str, str], api: TestClient) -> None:
    api.post("/api/auth/register", json={"email": "lost@example.com", "password": PASSWORD})
    result = run(cli_env, "reset-password", "LOST@example.com")
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://money.example.org/#/reset/")
    token = link.rsplit("/", 1)[1]
    response = api.post("/api/auth/reset", json={"token": token, "new_password": NEW_PASSWORD})
    assert response.status_code == 204
    assert login(api, "lost@example.com", NEW_PASSWORD) == 200

    unknown = run(cli_env, "reset-password", "nobody@example.com")
    assert unknown.returncode == 1
    assert "no account" in unknown.stderr


def test_backup_keeps_the_newest_and_restore_puts_one_back(
    cli_env: dict[str, str], api: TestClient, tmp_path: Path
) -> None:
    headers = {"Authorization": "Bearer " + api.post(
        "/api/auth/register", json={"email": "saver@example.com", "password": PASSWORD}
    ).json()["access_token"]}  # fmt: skip
    add_expense(api, headers, description="before the backup")

    snapshots = []
    for _ in range(3):
        result = run(cli_env, "backup")
        assert result.returncode == 0, result.stderr
        snapshots.append(Path(result.stdout.strip()))
    backups = tmp_path / "data" / "backups"
    kept = snapshots[1:]  # BACKUP_KEEP=2, each with its checksum
    assert sorted(backups.iterdir()) == sorted([*kept, *map(checksum_of, kept)])
    assert (snapshots[-1].stat().st_mode & 0o777) == 0o600

    add_expense(api, headers, description="after the backup")
    assert api.get("/api/expenses", headers=headers).json()["total"] == 2

    refused = run(cli_env, "restore", str(snapshots[-1]), stdin="no\n")
    assert refused.returncode == 1
    assert api.get("/api/expenses", headers=headers).json()["total"] == 2

    confirmed = run(cli_env, "restore", str(snapshots[-1]), stdin="yes\n")
    assert confirmed.returncode == 0, confirmed.stderr
    items = api.get("/api/expenses", headers=headers).json()["items"]
    assert [item["description"] for item in items] == ["before the backup"]

    add_expense(api, headers, description="again")
    assert run(cli_env, "restore", "--yes", str(snapshots[-1])).returncode == 0
    assert api.get("/api/expenses", headers=headers).json()["total"] == 1


def test_restore_refuses_a_file_that_is_no_backup(cli_env: dict[str, str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = run(cli_env, "restore", "--yes", str(junk))
    assert result.returncode == 1
    assert "error:" in result.stderr
    missing = run(cli_env, "restore", "--yes", str(tmp_path / "missing"))
    assert missing.returncode == 1


@pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's online backup under writes; pg_dump is consistent by design"
)
def test_sqlite_backup_is_consistent_while_writes_go_on(
    cli_env: dict[str, str], db: Engine, api: TestClient
) -> None:
    headers = {"Authorization": "Bearer " + api.post(
        "/api/auth/register", json={"email": "busy@example.com", "password": PASSWORD}
    ).json()["access_token"]}  # fmt: skip
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            add_expense(api, headers)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.3)
        result = run(cli_env, "backup")
    finally:
        stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    snapshot = sqlite3.connect(result.stdout.strip())
    try:
        assert snapshot.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows, counted = snapshot.execute(
            "SELECT (SELECT count(*) FROM expenses), (SELECT coalesce(sum(count), 0) FROM monthly_totals)"
        ).fetchone()
    finally:
        snapshot.close()
    assert rows > 0
    assert rows == counted  # each write and its monthly total landed together, or neither did


def test_rates_update_installs_a_history_and_refuses_a_broken_one(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    good = tmp_path / "eurofxref-hist.csv"
    good.write_text("Date,USD,\n2026-12-04,1.2345,\n2026-12-03,1.2000,\n")
    result = run(cli_env, "rates", "update", str(good))
    assert result.returncode == 0, result.stderr
    assert "rates up to 2026-12-04" in result.stdout
    installed = Path(cli_env["DATA_DIR"]) / "eurofxref-hist.csv"
    assert installed.read_bytes() == good.read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    refused = run(cli_env, "rates", "update", str(broken))
    assert refused.returncode == 1
    assert "not an ECB euro reference history" in refused.stderr
    assert installed.read_bytes() == good.read_bytes()
    missing = run(cli_env, "rates", "update", str(tmp_path / "nothing.zip"))
    assert (missing.returncode, "cannot read" in missing.stderr) == (1, True)


def test_the_server_caps_malloc_arenas_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr(ctypes, "CDLL", lambda _name: SimpleNamespace(mallopt=lambda *a: calls.append(a)))
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    cli.fewer_malloc_arenas()
    assert (os.environ["MALLOC_ARENA_MAX"], calls) == ("2", [(cli.M_ARENA_MAX, 2)])
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    calls.clear()
    cli.fewer_malloc_arenas()
    assert (os.environ["MALLOC_ARENA_MAX"], calls) == ("8", [])


def test_a_restore_is_seen_by_a_running_server_that_kept_answers(
    cli_env: dict[str, str], api: TestClient
) -> None:
    """The snapshot's ledgers had fewer writes counted than the live ones: after as many writes again,
    a server's kept answer (app.answers) of the replaced data must not be taken for theirs."""
    headers = {"Authorization": "Bearer " + api.post(
        "/api/auth/register", json={"email": "kept@example.com", "password": PASSWORD}
    ).json()["access_token"]}  # fmt: skip

    def listed() -> list[str]:
        return [item["description"] for item in api.get("/api/expenses", headers=headers).json()["items"]]

    add_expense(api, headers, description="A")
    backup = run(cli_env, "backup")
    assert backup.returncode == 0, backup.stderr
    add_expense(api, headers, description="B")
    assert listed() == ["B", "A"]  # kept at the ledger's revision after B
    assert run(cli_env, "restore", "--yes", backup.stdout.strip()).returncode == 0
    add_expense(api, headers, description="C")  # as many writes as B was
    assert listed() == ["C", "A"]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_start_without_its_database_gives_up_with_a_non_zero_exit(
    cli_env: dict[str, str], workers: int
) -> None:
    """A supervisor that restarts only what fails must see the failure: one worker or several."""
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/expenses"
    env = {**cli_env, "DATABASE_URL": nowhere, "DATABASE_WAIT_SECONDS": "2", "WORKERS": str(workers)}
    result = run({**env, "HOST": "127.0.0.1", "PORT": str(free_port())})
    assert result.returncode == STARTUP_FAILURE, result.stderr
    assert "Waiting for the database" in result.stderr  # it tried for a while first
    assert "did not answer within 2 s (DATABASE_WAIT_SECONDS)" in result.stderr


def test_a_backup_on_a_full_disk_is_one_error_line_and_leaves_nothing(
    cli_env: dict[str, str], db: Engine, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "disk", megabytes=1) as disk:
        fill(disk)
        result = run({**cli_env, "DATA_DIR": str(disk)}, "backup")
        left = [path for path in disk.rglob("*") if path.is_file() and path.name != FILLER]
    assert result.returncode == 1
    assert result.stderr.startswith("error: "), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "No space left on device" in result.stderr or "is full" in result.stderr
    assert left == []  # no partial snapshot, no checksum of one


def test_restore_refuses_a_damaged_truncated_or_unchecked_snapshot_and_keeps_the_data(
    cli_env: dict[str, str], api: TestClient, tmp_path: Path
) -> None:
    headers = register(api, "careful@example.com")
    add_expense(api, headers, description="before the backup")
    snapshot = Path(run(cli_env, "backup").stdout.strip())
    add_expense(api, headers, description="after the backup")

    def listed() -> list[str]:
        return [item["description"] for item in api.get("/api/expenses", headers=headers).json()["items"]]

    # The checksum file is what `sha256sum -c` reads, so a person can check a copy by hand too.
    by_hand = subprocess.run(
        ["sha256sum", "-c", checksum_of(snapshot).name], cwd=snapshot.parent, check=False
    )
    assert by_hand.returncode == 0

    def copy(name: str, data: bytes, *, checksum: bool = True) -> Path:
        path = tmp_path / f"{name}{snapshot.suffix}"
        path.write_bytes(data)
        if checksum:
            checksum_of(path).write_bytes(checksum_of(snapshot).read_bytes())
        return path

    data = snapshot.read_bytes()
    middle = len(data) // 2
    refused = {
        "is damaged": copy("damaged", data[:middle] + b"8 bytes!" + data[middle + 8 :]),
        "is truncated": copy("truncated", data[:middle]),
        "has no checksum": copy("unchecked", data, checksum=False),
    }
    for says, path in refused.items():
        result = run(cli_env, "restore", "--yes", str(path))
        assert result.returncode == 1
        assert result.stderr.startswith("error: "), result.stderr
        assert says in result.stderr
        assert "Traceback" not in result.stderr
        assert listed() == ["after the backup", "before the backup"]

    unchecked = run(cli_env, "restore", "--yes", "--no-checksum", str(refused["has no checksum"]))
    assert unchecked.returncode == 0, unchecked.stderr
    assert listed() == ["before the backup"]
