"""A throwaway PostgreSQL cluster for the test suite: initdb in a temp dir, a free loopback port."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_pg_bin() -> Path | None:
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Cluster:
    """A running throwaway cluster, which a test may stop and start again."""

    url: str
    run: Callable[..., None]
    pg_ctl: Path
    data: Path
    log: Path
    options: str

    def stop(self) -> None:
        self.run(self.pg_ctl, "-D", self.data, "-m", "fast", "-w", "stop")

    def start(self) -> None:
        self.run(self.pg_ctl, "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o", self.options, "start")


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """Yield a SQLAlchemy URL for a fresh cluster; stop and delete it afterwards."""
    with postgres_server() as cluster:
        yield cluster.url


@contextmanager
def postgres_server() -> Iterator[Cluster]:
    """A fresh cluster on a free loopback port; stopped and deleted afterwards."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL binaries not found (looked in /usr/lib/postgresql/*/bin)")
    tmp = Path(tempfile.mkdtemp(prefix="expense-tracker-pg-"))
    # initdb refuses to run as root, so the cluster belongs to the postgres user there.
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if prefix:
        shutil.chown(tmp, "postgres")
    data, port = tmp / "data", _free_port()

    def run(*args: object) -> None:
        subprocess.run([*prefix, *map(str, args)], check=True, capture_output=True)

    options = f"-p {port} -h 127.0.0.1 -k {tmp} -F -c full_page_writes=off -c synchronous_commit=off"
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    cluster = Cluster(url, run, pg_bin / "pg_ctl", data, tmp / "server.log", options)
    try:
        run(pg_bin / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        cluster.start()
        yield cluster
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr.decode(errors='replace')}") from exc
    finally:
        subprocess.run(
            [*prefix, str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(tmp, ignore_errors=True)
