"""Browser tests: the real app served by uvicorn on loopback, driven in Debian's Chromium."""

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install chromium"
        if os.environ.get("CI"):  # in CI a missing browser fails the run instead of skipping it
            pytest.fail(message)
        pytest.skip(message)
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_FLAGS}


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Every console error and uncaught exception on the page (CSP violations included)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
