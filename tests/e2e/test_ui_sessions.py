"""A page that never looks frozen: a reload while the server is out of reach keeps the session and
retries by itself, a slow save says "Still saving..." with the form kept, and the notice of an outage
goes away once the server answers again. Outages are made by stopping the server (the page then
opens from the copies sw.js kept, and says how old they are) or with page.route (the page is served,
its API calls fail as they do with no network; no service worker then, whose requests page.route
cannot see); a renewal in one tab is the session of the next."""

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from jose import jwt
from playwright.sync_api import Page, Route, expect
from sqlalchemy import Engine

from app.access import ALGORITHM
from app.config import settings
from app.main import app
from tests.conftest import app_on
from tests.e2e.test_ui_layout import serious
from tests.e2e.ui import add_expense, controlled, expense_rows, log_in, register

API = re.compile(r"/api/")
UNREACHABLE = "Can't reach the server. Retrying..."
# For the tests that cut the API off with page.route: a service worker's requests are not routed.
NO_WORKER = pytest.mark.browser_context_args(service_workers="block")


def cut_off(page: Page) -> None:
    """Every API call fails as if the network were down."""
    page.route(API, lambda route: route.abort("internetdisconnected"))


def outage_noise(errors: list[str]) -> list[str]:
    """Console errors other than the browser's log of the requests the outage made fail."""
    return [e for e in errors if "ERR_INTERNET_DISCONNECTED" not in e]


@NO_WORKER
def test_a_reload_during_an_outage_retries_instead_of_logging_out(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Kept through the outage")
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(1)
    token = page.evaluate("localStorage.getItem('expense-tracker.token')")

    cut_off(page)
    page.reload()
    expect(page.get_by_role("heading", name="Can't reach the server")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=UNREACHABLE)).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)
    expect(page.get_by_label("Password")).to_have_count(0)
    # The session is kept for when the server is back.
    assert page.evaluate("localStorage.getItem('expense-tracker.token')") == token
    assert serious(page) == []

    page.unroute(API)  # the server is back: the page finds out by itself, no click
    expect(expense_rows(page)).to_contain_text("Kept through the outage", timeout=10_000)
    expect(page.get_by_text(UNREACHABLE)).to_be_hidden()
    expect(page.get_by_role("heading", name="Can't reach the server")).to_have_count(0)
    assert outage_noise(console_errors) == []


class Server:
    """The app on a loopback port that a test can stop and start again, as an outage does."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        assert self.server is not None
        assert self.thread is not None
        self.server.should_exit = True
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def server(engine: Engine) -> Iterator[Server]:
    with app_on(engine):
        running = Server()
        running.start()
        yield running
        if running.thread and running.thread.is_alive():
            running.stop()


def test_a_reload_with_the_server_stopped_opens_the_kept_page_and_recovers(
    page: Page, server: Server, console_errors: list[str]
) -> None:
    user = register(page, server.url)
    add_expense(page, server.url, user, description="Kept through the outage")
    log_in(page, server.url, user)
    # The page keeps a copy of itself and of what it read (sw.js): wait until the worker serves the
    # page, then read once through it.
    controlled(page)
    page.reload()
    expect(expense_rows(page)).to_contain_text("Kept through the outage")

    server.stop()
    page.reload()
    # The dashboard as last read, saying so; never the log-in form.
    saved = page.get_by_role("status").filter(has_text="Offline - showing what was saved at")
    expect(saved).to_be_visible(timeout=10_000)
    expect(expense_rows(page)).to_contain_text("Kept through the outage")
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)

    server.start()  # the server is back: the page finds out by itself, no click
    expect(saved).to_be_hidden(timeout=10_000)
    expect(expense_rows(page)).to_contain_text("Kept through the outage")
    expect(page.get_by_text(UNREACHABLE)).to_be_hidden()
    assert [e for e in console_errors if "ERR_CONNECTION_REFUSED" not in e] == []


def test_a_slow_save_says_still_saving_and_keeps_the_form(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    # The service worker in charge first: taking over the page later, it would send the held POST
    # past this page's route (CI, on a loaded machine).
    controlled(page)
    held: list[Route] = []

    def hold_saves(route: Route) -> None:
        if route.request.method == "POST":
            held.append(route)  # answered later, by the test
        else:
            route.continue_()

    page.route(re.compile(r"/api/expenses"), hold_saves)
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("7.25")
    page.get_by_label("Description").fill("A slow save")
    page.get_by_role("button", name="Add expense").click()
    still = page.get_by_role("status").filter(has_text="Still saving...")
    expect(still).to_be_hidden(timeout=3_000)  # not at once: only a save slower than about 5 seconds
    expect(still).to_be_visible(timeout=6_000)
    assert len(held) == 1
    # Nothing typed is lost while it waits.
    expect(page.get_by_label("Amount")).to_have_value("7.25")
    expect(page.get_by_label("Description")).to_have_value("A slow save")

    held[0].continue_()
    expect(expense_rows(page)).to_contain_text("A slow save")
    expect(still).to_be_hidden()
    assert console_errors == []


@NO_WORKER
def test_the_outage_notice_clears_itself_when_the_server_answers_again(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Back again")
    log_in(page, live_server, user)
    cut_off(page)
    page.get_by_role("button", name="Previous").click()  # loads a period the server cannot send
    notice = page.get_by_role("status").filter(has_text=UNREACHABLE)
    expect(notice).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text(re.compile("Could not load expenses"))).to_be_visible()

    page.unroute(API)  # nothing clicked: the page's own retry finds the server
    expect(notice).to_be_hidden(timeout=10_000)
    # What failed meanwhile is loaded again, so its error goes too.
    expect(expense_rows(page)).to_contain_text("Back again")
    expect(page.get_by_text(re.compile("Could not load expenses"))).to_be_hidden()
    assert outage_noise(console_errors) == []


def test_a_renewed_session_is_shared_by_a_second_tab(
    page: Page, live_server: str, console_errors: list[str], context: Any
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    # The session's token as issued two hours ago, and renewed no more since: the next request renews it.
    claims = jwt.get_unverified_claims(page.evaluate("localStorage.getItem('expense-tracker.token')"))
    claims.update(iat=claims["iat"] - 7200, exp=claims["exp"] - 7200)
    first = jwt.encode(claims, settings.resolved_secret_key, algorithm=ALGORITHM)
    page.evaluate("t => localStorage.setItem('expense-tracker.token', t)", first)
    page.evaluate("localStorage.setItem('expense-tracker.renewed', String(Date.now() - 2 * 3600 * 1000))")
    with page.expect_response(re.compile(r"/api/auth/renew")) as renewal:
        page.get_by_role("button", name="Next").click()
    assert renewal.value.status == 200
    assert renewal.value.request.headers["authorization"] == f"Bearer {first}"
    renewed = renewal.value.json()["access_token"]
    page.wait_for_function("t => localStorage.getItem('expense-tracker.token') === t", arg=renewed)
    assert jwt.get_unverified_claims(renewed)["exp"] > claims["exp"]

    second = context.new_page()
    second.goto(live_server + "/")
    expect(second.get_by_role("button", name="Add expense")).to_be_visible()
    assert second.evaluate("localStorage.getItem('expense-tracker.token')") == renewed
    assert console_errors == []
