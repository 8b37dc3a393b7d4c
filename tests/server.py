"""The real app in its own uvicorn process on a free loopback port, with a temp SQLite file."""

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx2

from app.config import PROJECT_ROOT


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def server_env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'expenses.db'}",
        "AUTO_MIGRATE": "true",
        "BCRYPT_ROUNDS": "4",
        # Tests register many users from 127.0.0.1; the registration throttle is tested elsewhere.
        "RATE_LIMIT_REGISTER_IP": "10000/hour",
        **extra,
    }


def start_server(
    data_dir: Path, env: dict[str, str] | None = None, timeout: float = 30, *, as_served: bool = False
) -> Server:
    """Start uvicorn and return once it answers; `env` from server_env() (a restart reuses it).

    as_served: through `python -m app`, which sets uvicorn up from the app's settings.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = data_dir / f"server-{port}.log"
    env = env or server_env(data_dir)
    if as_served:
        command = [sys.executable, "-m", "app"]
        env = {**env, "HOST": "127.0.0.1", "PORT": str(port)}
    else:
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--no-access-log"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx2.get(f"{server.url}/openapi.json", timeout=1).status_code == 200:
                return server
        except httpx2.TransportError:
            time.sleep(0.1)
    stop_server(server)
    raise RuntimeError(f"uvicorn did not answer within {timeout} s:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
