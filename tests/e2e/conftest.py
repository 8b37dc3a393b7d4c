"""Browser tests: the real app served by uvicorn on loopback, driven in Debian's Chromium."""

import os
from collections.abc import Iterator
from datetime import datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

import pytest

from app.main import app
from app.routers import current_date
from tests.conftest import TODAYS

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


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """The page's language and formats follow the browser's: British English (English words,
    "16 Nov 2026", weeks from Monday), which the tests read, unless a test's
    `@pytest.mark.browser_context_args(locale=...)` asks for another."""
    return {**browser_context_args, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def calendar(request: pytest.FixtureRequest) -> Iterator[None]:
    """Server and browser agree on one fixed date: TODAYS[0], or each of TODAYS for a test that asks for
    `today`. The browser's clock starts at that day's noon (local time, which Chromium shares with us)
    and runs on: with a stopped clock the API docs page (Swagger UI) never became usable."""
    if "page" not in request.fixturenames:
        yield
        return
    if "today" in request.fixturenames:
        day = request.getfixturevalue("today")  # that fixture sets the server's date itself
    else:
        day = TODAYS[0]
        app.dependency_overrides[current_date] = lambda: day
    request.getfixturevalue("page").clock.set_system_time(datetime.combine(day, clock_time(12)))
    yield
    app.dependency_overrides.pop(current_date, None)


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    """Every console error and uncaught exception on the page (CSP violations included)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors
