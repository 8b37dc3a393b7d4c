"""Body limits, over real HTTP against the running server.

A client here streams its body from a generator and stops as soon as the server answers, the way
an attacker's upload would be cut off; what it managed to send is what the server could have read.
The server always runs on a temp SQLite file: these test HTTP, not the database.
"""

import json
import select
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2
import pytest
import uvicorn
from fastapi.testclient import TestClient
from jose import jwt

from app import cli
from app.access import INVALID_SESSION
from app.config import settings
from app.middleware import MULTIPART_ALLOWANCE
from tests.factories import PASSWORD, expense_body, register
from tests.server import Server, server_env, start_server, stop_server

MB = 1024 * 1024
CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # One server for the module: starting one costs seconds, and these tests share no rows (each
    # registers its own e-mail) and count nothing in the database.
    server = start_server(tmp_path_factory.mktemp("limits"))
    yield server
    stop_server(server)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    sent: int  # body bytes the client got out before the server answered or closed

    def json(self) -> Any:
        return json.loads(self.body)


def zeros(size: int) -> Iterator[bytes]:
    """`size` bytes in CHUNK pieces, made as they are sent: the test never holds the whole body."""
    block = b"0" * CHUNK
    for _ in range(size // CHUNK):
        yield block
    yield block[: size % CHUNK]


def chunked(pieces: Iterator[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        if piece:
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
    yield b"0\r\n\r\n"


def stream(server: Server, path: str, headers: dict[str, str], body: Iterator[bytes]) -> Answer:
    """POST a body from `body`, stopping when the server answers; then read the whole answer."""
    url = urlsplit(server.url)
    head = f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(head.encode())
        sent = 0
        pending = b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not pending:
                pending = next(body, b"")
                if not pending:
                    break  # all sent
            readable, writable, _ = select.select([sock], [sock], [], 1)
            if readable:
                break  # the server answered (or closed): stop sending, as a real client would
            if writable:
                try:
                    n = sock.send(pending)
                except OSError:
                    break  # closed under us; its answer may still be waiting to be read
                sent += n
                pending = pending[n:]
        return _read_answer(sock, sent)


def _read_answer(sock: socket.socket, sent: int) -> Answer:
    data = b""
    while b"\r\n\r\n" not in data or len(data) < _answer_length(data):
        try:
            more = sock.recv(CHUNK)
        except ConnectionResetError:
            break
        if not more:
            break
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return Answer(status=int(status_line.split()[1]), headers=headers, body=body, sent=sent)


def _answer_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            return len(head) + 4 + int(value)
    return len(data) + 1  # no length: read until the server closes


def memory_kb(server: Server, field: str) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{server.process.pid}/status")


def token_for(server: Server, email: str) -> str:
    response = httpx2.post(f"{server.url}/api/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    token: str = response.json()["access_token"]
    return token


def padded(body: dict[str, Any], size: int) -> bytes:
    """`body` as JSON, padded with whitespace (still valid JSON) to exactly `size` bytes."""
    raw = json.dumps(body).encode()
    return raw + b" " * (size - len(raw))


def test_a_300_mb_log_in_is_413_at_once_and_costs_the_server_no_memory(server: Server) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(300 * MB)}
    # Once, so that whatever the first refusal loads is loaded before memory is measured.
    assert stream(server, "/api/auth/login", headers, zeros(2 * MB)).status == 413
    before = memory_kb(server, "VmRSS")
    # Resets the peak (VmHWM) to now, so a spike during the request shows even if freed after.
    Path(f"/proc/{server.process.pid}/clear_refs").write_text("5")

    answer = stream(server, "/api/auth/login", headers, zeros(300 * MB))

    assert answer.status == 413
    assert answer.json() == {"detail": f"The request body is larger than {settings.max_json_bytes} bytes"}
    assert answer.headers["connection"] == "close"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.sent < 20 * MB  # what the kernel buffers took; the server read none of it
    assert memory_kb(server, "VmHWM") - before < 5 * 1024


def test_an_unauthenticated_400_mb_upload_is_413_without_being_read(server: Server) -> None:
    """The limit is the same with or without a token: the middleware makes no access decision."""
    boundary = "limit-test"
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(400 * MB)}
    for authorization in ({}, {"Authorization": "Bearer not.a.token"}):
        answer = stream(server, "/api/expenses/import", {**headers, **authorization}, zeros(400 * MB))
        assert answer.status == 413
        assert answer.sent < 20 * MB


def test_a_400_mb_upload_with_a_token_is_413_without_being_read(server: Server) -> None:
    headers = {
        "Authorization": f"Bearer {token_for(server, 'big@x.io')}",
        "Content-Type": "multipart/form-data; boundary=limit-test",
        "Content-Length": str(400 * MB),
    }
    answer = stream(server, "/api/expenses/import", headers, zeros(400 * MB))
    assert answer.status == 413
    assert answer.sent < 20 * MB


def test_a_chunked_body_over_the_limit_is_413(server: Server) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    answer = stream(server, "/api/auth/login", headers, chunked(zeros(300 * MB)))

    assert answer.status == 413
    assert answer.json() == {"detail": f"The request body is larger than {settings.max_json_bytes} bytes"}
    assert answer.headers["connection"] == "close"
    assert answer.sent < 30 * MB


def test_a_chunked_body_to_an_authenticated_route_without_a_token_is_413(server: Server) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    answer = stream(server, "/api/expenses", headers, chunked(zeros(300 * MB)))
    assert answer.status == 413
    assert answer.sent < 30 * MB


def test_json_bodies_up_to_the_limit_work(server: Server) -> None:
    token = token_for(server, "edge@x.io")
    limit = settings.max_json_bytes
    credentials = {"email": "edge@x.io", "password": PASSWORD}
    at_limit = padded(credentials, limit)
    headers = {"Content-Type": "application/json"}

    assert httpx2.post(f"{server.url}/api/auth/login", content=at_limit, headers=headers).status_code == 200
    over = httpx2.post(f"{server.url}/api/auth/login", content=at_limit + b" ", headers=headers)
    assert over.status_code == 413

    # Streamed without a length, the count decides the same way.
    answer = stream(
        server, "/api/auth/login", {**headers, "Transfer-Encoding": "chunked"}, chunked(iter([at_limit]))
    )
    assert answer.status == 200
    headers["Authorization"] = f"Bearer {token}"
    created = httpx2.post(
        f"{server.url}/api/expenses", content=padded(expense_body(), limit), headers=headers
    )
    assert created.status_code == 201, created.text


def test_an_import_of_a_file_at_the_limit_works(server: Server) -> None:
    token = token_for(server, "import@x.io")
    row = "2026-01-01,Food,1," + "x" * 480 + "\n"
    header = "date,category,amount,description\n"
    content = (header + row * (settings.max_import_bytes // len(row))).encode()
    content += b"\n" * (settings.max_import_bytes - len(content))  # blank lines are skipped
    assert len(content) == settings.max_import_bytes
    response = httpx2.post(
        f"{server.url}/api/expenses/import",
        files={"file": ("x.csv", content, "text/csv")},
        data={"dry_run": "true"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    assert response.json()["count"] == settings.max_import_bytes // len(row)


def test_python_m_app_answers_503_beyond_limit_concurrency(tmp_path: Path) -> None:
    server = start_server(tmp_path, server_env(tmp_path, LIMIT_CONCURRENCY="2"), as_served=True)
    try:
        url = urlsplit(server.url)
        with socket.create_connection((url.hostname, url.port), timeout=30) as held:
            held.sendall(f"GET /api/health HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
            assert _read_answer(held, 0).status == 200  # kept alive: one of the two
            assert httpx2.get(f"{server.url}/api/health").status_code == 503
        assert httpx2.get(f"{server.url}/api/health").status_code == 200
    finally:
        stop_server(server)


def test_python_m_app_stops_within_shutdown_seconds_of_sigterm_whatever_a_client_holds(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, server_env(tmp_path, SHUTDOWN_SECONDS="1"), as_served=True)
    try:
        url = urlsplit(server.url)
        with socket.create_connection((url.hostname, url.port), timeout=30) as held:
            # A request whose body never comes: the route waits for it, and the stop with it.
            held.sendall(
                f"POST /api/auth/login HTTP/1.1\r\nHost: {url.netloc}\r\n"
                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{".encode()
            )
            time.sleep(0.5)
            server.process.terminate()
            # Gone (uvicorn re-raises the SIGTERM it handled: -15), not waiting for the body.
            assert server.process.wait(timeout=15) == -signal.SIGTERM
    finally:
        stop_server(server)


def test_python_m_app_gives_uvicorn_the_server_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    configs: list[uvicorn.Config] = []

    class Server:
        started = True

        def __init__(self, config: uvicorn.Config) -> None:
            configs.append(config)

        def run(self) -> None:
            pass

    monkeypatch.setattr(uvicorn, "Server", Server)
    monkeypatch.setattr(settings, "limit_concurrency", 7)
    monkeypatch.setattr(settings, "timeout_keep_alive", 9)
    monkeypatch.setattr(settings, "shutdown_seconds", 3)
    assert cli.main(["serve"]) == 0
    given = configs[0]
    assert (given.limit_concurrency, given.timeout_keep_alive, given.timeout_graceful_shutdown) == (7, 9, 3)


def test_a_token_signed_with_another_key_is_401(client: TestClient) -> None:
    forged = jwt.encode({"sub": "1", "ver": 0, "exp": 4_000_000_000}, "x" * 48, algorithm="HS256")
    response = client.post(
        "/api/expenses", json=expense_body(), headers={"Authorization": f"Bearer {forged}"}
    )
    assert response.status_code == 401
    assert response.json() == {"detail": INVALID_SESSION}


def test_a_valid_token_lets_the_body_through(client: TestClient) -> None:
    headers = register(client)
    assert client.post("/api/expenses", json=expense_body(), headers=headers).status_code == 201
    assert client.post("/api/expenses", content=b"{not json", headers=headers).status_code == 422


def test_routes_without_a_body_or_a_route_are_left_to_the_app(client: TestClient) -> None:
    assert client.get("/api/expenses").status_code == 401
    assert client.post("/api/no-such-thing", content=b"{}").status_code == 404
    assert client.post("/api/expenses/export.csv", content=b"{}", headers=register(client)).status_code == 405


def test_the_limits_are_settings(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = {**register(client), "Content-Type": "application/json"}
    monkeypatch.setattr(settings, "max_json_bytes", 2048)
    assert (
        client.post("/api/expenses", content=padded(expense_body(), 2048), headers=headers).status_code == 201
    )
    response = client.post("/api/expenses", content=padded(expense_body(), 2049), headers=headers)
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is larger than 2048 bytes"}

    monkeypatch.setattr(settings, "max_import_bytes", 4096)
    csv = b"date,category,amount,description\n" + b"2026-01-01,Food,1,\n" * 300
    csv = csv[:4096]  # cut mid-row: a dry run reports the row, it still reads the file

    def upload(content: bytes) -> Any:
        files = {"file": ("x.csv", content, "text/csv")}
        auth = {"Authorization": headers["Authorization"]}
        return client.post("/api/expenses/import", files=files, data={"dry_run": "true"}, headers=auth)

    assert upload(csv).status_code == 200
    assert upload(csv + b"\n").status_code == 413  # the import's own check on the file
    response = upload(csv * 20)  # the body itself is over the limit
    assert response.status_code == 413
    assert response.json() == {
        "detail": f"The request body is larger than {4096 + MULTIPART_ALLOWANCE} bytes"
    }
