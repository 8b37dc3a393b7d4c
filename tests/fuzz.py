"""Fuzz the API against its own OpenAPI schema: `make fuzz` (or `python -m tests.fuzz [st options]`).

Starts the real app with uvicorn on a free loopback port over a temp SQLite file, with the test
SMTP sink as its mail server (so "Forgot password?" is fuzzed as a working flow, not as a 404),
registers an admin and a user, and runs Schemathesis with every check, a fixed seed and a bounded
number of examples: every operation but the admin API as the user, then the admin API as the admin.
Both passes always run; the exit status is 0 only if neither found a failure. 5 to 10 minutes.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx2
from aiosmtpd.controller import Controller

from tests.server import free_port, server_env, start_server, stop_server
from tests.smtp import Inbox

SEED = "20261123"
MAX_EXAMPLES = "50"


def main(extra: list[str]) -> int:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    with tempfile.TemporaryDirectory(prefix="expense-tracker-fuzz-") as tmp:
        data_dir = Path(tmp)
        # Generous throttles, so the fuzzer exercises the routes rather than the 429 (tested elsewhere).
        env = server_env(
            data_dir,
            RATE_LIMIT_LOGIN_EMAIL="100000/minute",
            RATE_LIMIT_LOGIN_IP="100000/minute",
            RATE_LIMIT_REGISTER_IP="100000/minute",
            RATE_LIMIT_FORGOT_EMAIL="100000/minute",
            RATE_LIMIT_FORGOT_IP="100000/minute",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            SMTP_SECURITY="none",
            PUBLIC_URL="https://money.example.org",
        )
        server = start_server(data_dir, env)
        try:
            # The first account of an instance is its admin. The main pass runs as a second, ordinary
            # account, so no admin action of the fuzzer (disabling or deleting its own account after
            # making another admin) can log it out half way; a second pass fuzzes the admin API.
            # Log-out ends the token it is called with, so it gets a pass and an account of its own.
            admin_token = _register(server.url, "fuzz-admin@example.com")
            user_token = _register(server.url, "fuzz@example.com")
            leaving_token = _register(server.url, "fuzz-leaving@example.com")
            passes = [
                (user_token, ["--exclude-path-regex=^/api/(admin/|auth/logout)"]),
                (admin_token, ["--include-path-regex=^/api/admin/"]),
                (leaving_token, ["--include-path-regex=^/api/auth/logout"]),
            ]
            statuses = []
            for number, (token, selection) in enumerate(passes):
                command = [
                    str(Path(sys.executable).with_name("schemathesis")),
                    f"--config-file={Path(__file__).with_name('schemathesis.toml')}",
                    "run",
                    f"{server.url}/openapi.json",
                    *selection,
                    "--checks=all",
                    f"--seed={SEED}",
                    f"--max-examples={MAX_EXAMPLES}",
                    # One worker: schemathesis' coverage phase trips a CPython 3.11 AST bug when threaded.
                    "--workers=1",
                    "--request-timeout=30",
                    f"--header=Authorization: Bearer {token}",
                    "--report=junit",
                    f"--report-dir={data_dir / f'report-{number}'}",
                    *extra,
                ]
                # Run in the temp dir: Schemathesis keeps a replay cache in ./.schemathesis, and a run
                # should depend on the seed alone.
                hooks = {"SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("fuzz_hooks.py"))}
                run = subprocess.run(command, cwd=data_dir, env={**os.environ, **hooks}, check=False)
                statuses.append(run.returncode)
                _keep_report(data_dir / f"report-{number}", f"fuzz-{number}")
            print(
                f"Fuzz passes (user, admin, log-out) exited with {statuses}; "
                f"{len(inbox.messages)} reset emails sent."
            )
            return next((status for status in statuses if status != 0), 0)
        finally:
            stop_server(server)
            smtp.stop()
            if server.process.returncode not in (0, -15):
                print(server.log.read_text(), file=sys.stderr)


def _keep_report(folder: Path, name: str) -> None:
    # CI sets REPORT_DIR and closes with the count of every JUnit report there (.ci/count.py).
    if target := os.environ.get("REPORT_DIR"):
        for number, report in enumerate(sorted(folder.glob("*.xml"))):
            shutil.copy(report, Path(target) / f"{name}-{number}.xml")


def _register(url: str, email: str) -> str:
    account = {"email": email, "password": secrets.token_urlsafe(24)}
    response = httpx2.post(f"{url}/api/auth/register", json=account)
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
