"""The command line: `python -m app` serves; sub-commands look after an instance."""

import argparse
import ctypes
import getpass
import os
import sys
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from app.config import settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m app", description="Expense Tracker. With no command: serve."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="serve the app on HOST:PORT (the default)")
    create = commands.add_parser(
        "create-admin",
        help="create an admin account (password from stdin or a prompt); an existing account becomes admin",
    )
    create.add_argument("email")
    create.add_argument("--display-name", default="")
    reset = commands.add_parser("reset-password", help="print a one-hour, single-use password reset link")
    reset.add_argument("email")
    commands.add_parser(
        "backup",
        help=f"snapshot the database into DATA_DIR/backups, keeping the newest {settings.backup_keep}",
    )
    restore = commands.add_parser("restore", help="replace the database with a snapshot (asks first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    restore.add_argument(
        "--no-checksum",
        action="store_true",
        help="restore a snapshot that has no .sha256 file beside it (made before checksums were "
        "written): only its structure is checked. A .sha256 file that is there is always checked.",
    )
    rates_command = commands.add_parser("rates", help="the ECB exchange rates the app uses")
    rates_sub = rates_command.add_subparsers(dest="rates_command", metavar="ACTION", required=True)
    update = rates_sub.add_parser(
        "update", help="install an ECB eurofxref-hist file (zip or csv), or download it when none is given"
    )
    update.add_argument("file", type=Path, nargs="?")
    args = parser.parse_args(argv)

    if args.command in (None, "serve"):
        return _serve()
    commands_run: dict[str, Callable[[], int]] = {
        "create-admin": lambda: _create_admin(args.email, args.display_name),
        "reset-password": lambda: _reset_password(args.email),
        "backup": _backup,
        "rates": lambda: _update_rates(args.file),
        "restore": lambda: _restore(args.file, assume_yes=args.yes, checksum_required=not args.no_checksum),
    }
    try:
        return commands_run[args.command]()
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


class CommandError(Exception):
    pass


MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's malloc.h


def fewer_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at two for the server and its workers.

    glibc gives threads that allocate at once arenas of their own, up to 8 per core, and seldom
    hands their free pages back: under a long mixed load the route threads grew RSS for the whole
    run while Python's own memory stayed flat (`make soak`, bench/RESULTS.md). MALLOC_ARENA_MAX,
    when set, wins; elsewhere than glibc this does nothing.
    """
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(MALLOC_ARENAS)  # read at start-up by worker processes
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)  # this process, before its threads start


def _serve() -> int:
    import socket  # noqa: PLC0415 (only the server needs these)

    import uvicorn  # noqa: PLC0415
    from uvicorn.config import STARTUP_FAILURE  # noqa: PLC0415
    from uvicorn.supervisors import Multiprocess  # noqa: PLC0415

    config = uvicorn.Config(
        "app.main:app",
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # The app logs each request itself, with its request id (app.main); uvicorn's line would repeat it.
        access_log=False,
        # The C HTTP parser and event loop do less per request than h11 and asyncio's own loop.
        # Named, not "auto", so a missing package fails the start, not the speed.
        http="httptools",
        loop="uvloop",
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or None,
        limit_concurrency=settings.limit_concurrency,
        timeout_keep_alive=settings.timeout_keep_alive,
        timeout_graceful_shutdown=settings.shutdown_seconds,
    )
    fewer_malloc_arenas()
    if config.workers == 1:
        server = uvicorn.Server(config)
        server.run()
        return 0 if server.started else STARTUP_FAILURE
    # Worker processes accept on a socket uvicorn binds without naming TCP, so asyncio does not set
    # TCP_NODELAY on their connections, and small answers wait ~40 ms for a delayed ACK. Connections
    # accepted on Linux inherit the option from the listening socket.
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    supervisor = Multiprocess(config, sockets=[sock])
    supervisor.run()
    # A worker that fails to start (the database unreachable past DATABASE_WAIT_SECONDS) stops
    # uvicorn's supervisor, which then returns as after a clean stop: say so to whoever restarts us.
    failed = any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes)
    return STARTUP_FAILURE if failed else 0


def _migrated() -> None:
    if settings.auto_migrate:
        from app.migrate import upgrade_to_head  # noqa: PLC0415

        upgrade_to_head(settings.resolved_database_url)


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Repeat it: ") != password:
        raise CommandError("the two passwords differ")
    return password


def _create_admin(email: str, display_name: str) -> int:
    from app.access import hash_password  # noqa: PLC0415 (imports the database engine)
    from app.database import SessionLocal  # noqa: PLC0415
    from app.schemas.accounts import AdminUserCreate  # noqa: PLC0415
    from app.services.users import create_user, find_by_email  # noqa: PLC0415

    _migrated()
    with SessionLocal() as session:
        existing = find_by_email(session, email)
        if existing is not None:
            existing.is_admin, existing.disabled = True, False
            session.commit()
            print(f"{existing.email} is now an admin (password unchanged).")
            return 0
        try:
            data = AdminUserCreate(
                email=email.strip(), password=_read_password(), display_name=display_name, is_admin=True
            )
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise CommandError(problems) from None
        user = create_user(
            session,
            email=data.email,
            password_hash=hash_password(data.password),
            display_name=data.display_name,
            is_admin=True,
        )
        print(f"Created admin {user.email}.")
    return 0


def _reset_password(email: str) -> int:
    from app.database import SessionLocal  # noqa: PLC0415
    from app.services import links  # noqa: PLC0415
    from app.services.users import find_by_email  # noqa: PLC0415

    _migrated()
    with SessionLocal() as session:
        user = find_by_email(session, email)
        if user is None:
            raise CommandError(f"no account with the email {email}")
        token, expires_at = links.issue_reset(session, user_id=user.id)
    print(links.url(links.RESET, token))
    print(f"Single use, valid until {expires_at:%Y-%m-%d %H:%M} UTC.", file=sys.stderr)
    return 0


def _backup() -> int:
    from app.backup import BackupError, backup  # noqa: PLC0415

    try:
        path = backup(settings.resolved_database_url, settings.data_dir / "backups", settings.backup_keep)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(path)
    return 0


def _restore(file: Path, *, assume_yes: bool, checksum_required: bool) -> int:
    from app.backup import BackupError, restore  # noqa: PLC0415

    target = settings.resolved_database_url.rsplit("@", 1)[-1]  # never print a password
    if not assume_yes:
        print(f"This replaces every account, expense and budget in {target} with {file}.", file=sys.stderr)
        print("Type yes to continue: ", end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() != "yes":
            print("Nothing was changed.", file=sys.stderr)
            return 1
    given = _highest_version()
    try:
        restore(settings.resolved_database_url, file, checksum_required=checksum_required)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    _migrated()  # a snapshot from an older version gets the current schema
    _new_versions(past=given)
    print(f"Restored {file}.", file=sys.stderr)
    return 0


# More writes than the live database could take while a snapshot is copied in.
VERSION_MARGIN = 2**32


def _highest_version() -> int:
    """The last ledger version the live database gave (app.models.VERSION_DDL): 0 without one."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from app.database import make_engine  # noqa: PLC0415

    engine = make_engine(settings.resolved_database_url)
    last = "last" if engine.dialect.name == "sqlite" else "last_value"
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT {last} FROM ledger_versions")).scalar() or 0)  # noqa: S608 (a constant)
    except DBAPIError:  # a database older than versions, or none yet
        return 0
    finally:
        engine.dispose()


def _new_versions(*, past: int) -> None:
    """Give every restored ledger a version above any the replaced database gave, and the counter
    with it: a client's ETag of the replaced data must never match an answer of the snapshot's,
    whose versions are older (and whose ledger and account ids the replaced data may have used)."""
    from sqlalchemy import text  # noqa: PLC0415
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from app.database import make_engine  # noqa: PLC0415

    engine = make_engine(settings.resolved_database_url)
    jump = {"past": past + VERSION_MARGIN}
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("UPDATE ledger_versions SET last = max(last, :past)"), jump)
                connection.execute(
                    text("UPDATE ledgers SET version = (SELECT last FROM ledger_versions) + id")
                )
                connection.execute(
                    text(
                        "UPDATE ledger_versions SET last = last + (SELECT coalesce(max(id), 0) FROM ledgers)"
                    )
                )
            else:
                connection.execute(
                    text(
                        "SELECT setval('ledger_versions', greatest(:past, last_value)) FROM ledger_versions"
                    ),
                    jump,
                )
                connection.execute(text("UPDATE ledgers SET version = nextval('ledger_versions')"))
    except DBAPIError:  # a snapshot older than versions, left unmigrated (AUTO_MIGRATE=false)
        print(
            "warning: migrate, then restart the app: its clients may hold ETags of the replaced data.",
            file=sys.stderr,
        )
    finally:
        engine.dispose()


ECB_HISTORY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip"


def _update_rates(file: Path | None) -> int:
    import urllib.request  # noqa: PLC0415 (only this command needs them)

    from app import rates  # noqa: PLC0415

    if file is None:
        try:
            with urllib.request.urlopen(ECB_HISTORY_URL, timeout=60) as response:
                data = response.read(50_000_000)
        except OSError as exc:
            raise CommandError(
                f"could not download {ECB_HISTORY_URL} ({exc}); download it elsewhere and run "
                "`python -m app rates update FILE`"
            ) from None
    else:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
    try:
        path = rates.install(data)
    except rates.RatesFileError as exc:
        raise CommandError(
            f"not an ECB euro reference history: {exc}; the rates in use are unchanged"
        ) from None
    history = rates.history()
    print(f"Installed {path}: rates up to {history.all_dates[-1].isoformat()}.")
    return 0
