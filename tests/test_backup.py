"""app.backup on SQLite files: who may read a snapshot, and restoring from any file name."""

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from app import backup


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """A database file with what restore looks for (users, alembic_version) and one row."""
    path = tmp_path / "live.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("CREATE TABLE users (email TEXT)")
        db.execute("INSERT INTO users VALUES ('kept@example.com')")
    db.close()
    return path


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common 022, under which a file made without care is readable by everyone."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("usual_umask")
def test_a_snapshot_is_owner_only_while_it_is_written(
    live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modes_while_writing = []
    write = backup._sqlite_backup

    def observed(source: Path, target: Path) -> None:
        write(source, target)
        modes_while_writing.append((_mode(target.parent), _mode(target)))  # written, not yet renamed

    monkeypatch.setattr(backup, "_sqlite_backup", observed)
    snapshot = backup.backup(f"sqlite:///{live}", tmp_path / "backups", keep=3)
    assert modes_while_writing == [(0o700, 0o600)]
    assert (_mode(snapshot.parent), _mode(snapshot)) == (0o700, 0o600)


@pytest.mark.usefixtures("usual_umask")
def test_an_existing_backups_folder_is_tightened(live: Path, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir(mode=0o755)
    backup.backup(f"sqlite:///{live}", folder, keep=3)
    assert _mode(folder) == 0o700


@pytest.mark.parametrize("name", ["snap?mode=rw.sqlite3", "snap#1.sqlite3", "100%41.sqlite3"])
def test_restore_reads_a_file_whatever_its_name(live: Path, tmp_path: Path, name: str) -> None:
    snapshot = backup.backup(f"sqlite:///{live}", tmp_path / "backups", keep=3)
    renamed = snapshot.rename(tmp_path / name)
    backup.checksum_of(snapshot).rename(backup.checksum_of(renamed))
    target = tmp_path / "restored.db"
    backup.restore(f"sqlite:///{target}", renamed)
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT email FROM users").fetchall() == [("kept@example.com",)]
    db.close()


DAMAGE = b"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8"  # 8 bytes, not even UTF-8


def test_restore_refuses_a_row_damaged_inside_though_sqlite_finds_the_file_sound(
    live: Path, tmp_path: Path
) -> None:
    snapshot = backup.backup(f"sqlite:///{live}", tmp_path / "backups", keep=3)
    with sqlite3.connect(live) as db:
        db.execute("INSERT INTO users VALUES ('later@example.com')")
    db.close()
    data = snapshot.read_bytes()
    at = data.index(b"kept@example.com")
    snapshot.write_bytes(data[:at] + DAMAGE + data[at + len(DAMAGE) :])
    with closing(sqlite3.connect(f"{snapshot.as_uri()}?mode=ro", uri=True)) as damaged:
        assert damaged.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with pytest.raises(backup.BackupError, match="is damaged"):
        backup.restore(f"sqlite:///{live}", snapshot)
    with closing(sqlite3.connect(live)) as db:
        assert db.execute("SELECT email FROM users").fetchall() == [
            ("kept@example.com",),
            ("later@example.com",),
        ]

    # What the checksum stops: without it, only the structure is checked, and the damage is restored.
    backup.checksum_of(snapshot).unlink()
    backup.restore(f"sqlite:///{live}", snapshot, checksum_required=False)
    with closing(sqlite3.connect(live)) as db:
        db.text_factory = bytes
        assert db.execute("SELECT email FROM users").fetchall() == [(DAMAGE + b"mple.com",)]
