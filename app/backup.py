"""Consistent snapshots of the database while the app runs, and putting one back.

SQLite: the online backup API copies the pages under SQLite's own locking, so writers keep going.
PostgreSQL: pg_dump (a consistent snapshot by design) and pg_restore, found on PATH.
Beside each snapshot, `<snapshot>.sha256` (the format `sha256sum -c` reads, with the size in a
comment): restore checks it before it touches the live data, since a few damaged bytes inside a row
pass SQLite's integrity check and pg_restore alike.
"""

import errno
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

PREFIX = "expenses-"


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why."""


def backup(database_url: str, directory: Path, keep: int) -> Path:
    """Write a snapshot to a new timestamped file in `directory`, with its checksum beside it, then
    keep only the newest `keep`."""
    url = make_url(database_url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    suffix = ".sqlite3" if _is_sqlite(url) else ".pgdump"
    target = directory / f"{PREFIX}{stamp}{suffix}"
    partial = target.with_name(f".{target.name}.partial")
    try:
        # Every account's data: readable by the owner only, from the first byte written.
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.chmod(0o700)  # a folder made before this rule is tightened too
        # Created owner-only and empty; SQLite and pg_dump then write into it and keep its mode.
        partial.touch(mode=0o600, exist_ok=False)
        if _is_sqlite(url):
            _sqlite_backup(_sqlite_path(url), partial)
        else:
            _run(url, "pg_dump", "--format=custom", "--no-owner", f"--file={partial}")
        _write_checksum(partial, checksum_of(target))
        partial.rename(target)  # a snapshot file is complete or absent, never half written
    except (OSError, sqlite3.Error) as exc:
        checksum_of(target).unlink(missing_ok=True)
        raise BackupError(_cannot_write(directory, exc)) from None
    finally:
        partial.unlink(missing_ok=True)
    snapshots = sorted(directory.glob(f"{PREFIX}*{suffix}"))
    for old in snapshots[:-keep]:
        old.unlink()
        checksum_of(old).unlink(missing_ok=True)
    return target


def _cannot_write(directory: Path, exc: OSError | sqlite3.Error) -> str:
    full = (
        exc.errno == errno.ENOSPC
        if isinstance(exc, OSError)
        else (exc.sqlite_errorcode or 0) & 0xFF == SQLITE_FULL
    )
    if full:
        return f"the disk holding {directory} is full: free space there and run the backup again."
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"could not write a snapshot in {directory}: {reason}."


SQLITE_FULL = 13


def checksum_of(snapshot: Path) -> Path:
    """Where a snapshot's checksum is kept: beside it, with .sha256 added to its name."""
    return snapshot.with_name(snapshot.name + ".sha256")


def _write_checksum(snapshot: Path, checksum: Path) -> None:
    with snapshot.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    size = snapshot.stat().st_size
    fd = os.open(checksum, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f"{digest}  {checksum.name.removesuffix('.sha256')}\n# {size} bytes\n")


_CHECKSUM = re.compile(r"([0-9a-f]{64})  [^\n]+\n# ([0-9]+) bytes\n")


def verify(snapshot: Path, *, required: bool = True) -> None:
    """Refuse a snapshot that differs from the checksum written beside it when it was made.

    Without a checksum file (a snapshot made before they were written, or copied without it) it is
    refused too, unless not `required`: then only its structure is checked, as before.
    """
    checksum = checksum_of(snapshot)
    try:
        written = checksum.read_text()
    except FileNotFoundError:
        if not required:
            return
        raise BackupError(
            f"{snapshot} has no checksum beside it ({checksum.name}), so damage inside it cannot be "
            "ruled out. Copy its .sha256 file next to it, or, for a snapshot made before checksums "
            "were written, restore it with --no-checksum. Nothing was restored."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BackupError(f"cannot read {checksum}: {exc}. Nothing was restored.") from None
    match = _CHECKSUM.fullmatch(written)
    if match is None:
        raise BackupError(f"{checksum} is not a checksum file this app wrote. Nothing was restored.")
    size, expected = snapshot.stat().st_size, int(match[2])
    if size < expected:
        raise BackupError(
            f"{snapshot} is truncated: {size} of its {expected} bytes are there. Nothing was restored."
        )
    with snapshot.open("rb") as f:
        if hashlib.file_digest(f, "sha256").hexdigest() != match[1] or size != expected:
            raise BackupError(
                f"{snapshot} is damaged: its SHA-256 differs from the one in {checksum.name}. "
                "Nothing was restored."
            )


def restore(database_url: str, file: Path, *, checksum_required: bool = True) -> None:
    """Replace the database's contents with a snapshot made by `backup`, once it is checked."""
    if not file.is_file():
        raise BackupError(f"{file} is not a file.")
    verify(file, required=checksum_required)
    url = make_url(database_url)
    if _is_sqlite(url):
        _sqlite_restore(file, _sqlite_path(url))
    else:
        _run(
            url,
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            str(file),
        )


def _is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"There is no database at {source} yet.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        # One self-contained file: no -wal beside it to copy along.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


def _sqlite_restore(snapshot: Path, live: Path) -> None:
    # as_uri() escapes what a URI would misread in a file name ("?", "#", "%").
    src = sqlite3.connect(f"{snapshot.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            ok = src.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{snapshot} is not an SQLite database: {exc}") from None
        if ok != ("ok",) or "users" not in tables or "alembic_version" not in tables:
            raise BackupError(f"{snapshot} is not a backup of this app's database.")
        live.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(live, timeout=30)
        try:
            # Page by page under SQLite's locks, so a running server sees the old or the new data.
            src.backup(dst)
        except sqlite3.Error as exc:  # a full disk, say: the copy's transaction is rolled back
            raise BackupError(f"could not write {live}: {exc}. The live data is unchanged.") from None
        finally:
            dst.close()
    finally:
        src.close()


def _run(url: URL, program: str, *args: str) -> None:
    path = shutil.which(program)
    if path is None:
        raise BackupError(f"{program} not found on PATH: install the PostgreSQL client tools.")
    # The password goes in the environment, not the command line other users can read with ps.
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else None
    dbname = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    # A fixed program and arguments built here: nothing from a request reaches this command.
    result = subprocess.run(  # noqa: S603
        [path, *args, f"--dbname={dbname}"], capture_output=True, text=True, check=False, env=env
    )
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")
