"""Client addresses behind a reverse proxy, as `python -m app` serves them (FORWARDED_ALLOW_IPS)."""

from itertools import count
from pathlib import Path

import httpx2

from tests.server import server_env, start_server, stop_server

_emails = count(1)


def _failed_login(url: str, forwarded_for: str) -> int:
    # A new email each time: only the per-address limit is in play.
    body = {"email": f"user{next(_emails)}@example.com", "password": "not the password"}
    headers = {"X-Forwarded-For": forwarded_for}
    return httpx2.post(f"{url}/api/auth/login", json=body, headers=headers, timeout=10).status_code


def test_without_trusted_proxies_x_forwarded_for_changes_nothing(tmp_path: Path) -> None:
    env = server_env(tmp_path, RATE_LIMIT_LOGIN_IP="2/15 minutes")
    server = start_server(tmp_path, env, as_served=True)
    try:
        statuses = [_failed_login(server.url, f"198.51.100.{i}") for i in range(3)]
    finally:
        stop_server(server)
    assert statuses == [401, 401, 429]  # a made-up address per request still counts as 127.0.0.1


def test_behind_a_trusted_proxy_each_client_has_its_own_count(tmp_path: Path) -> None:
    env = server_env(tmp_path, RATE_LIMIT_LOGIN_IP="2/15 minutes", FORWARDED_ALLOW_IPS="127.0.0.1")
    server = start_server(tmp_path, env, as_served=True)
    try:
        first = [_failed_login(server.url, "198.51.100.1") for _ in range(3)]
        second = _failed_login(server.url, "198.51.100.2")
        # The proxy appends the address it saw: what the client claimed before it is not believed.
        spoofed = _failed_login(server.url, "203.0.113.7, 198.51.100.1")
    finally:
        stop_server(server)
    assert first == [401, 401, 429]
    assert second == 401
    assert spoofed == 429
