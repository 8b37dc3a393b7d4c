"""Offline quick add (issue 27): adds made without a connection are kept on the device (js/queue.js),
shown as not sent, survive a reload, and are stored exactly once when the connection is back, also when
the server stored one whose answer was lost; a refusal is shown with its reason; log-out forgets it
all. The page opens offline from the service worker's copies (sw.js) and says how old they are."""

import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.e2e.ui import User, add_expense, controlled, expense_rows, log_in, register, until

SHOTS = Path(os.environ.get("SCREENSHOTS") or Path(tempfile.gettempdir()) / "expense-tracker-screenshots")
KEPT_HERE = "No connection: kept on this device, and sent when the connection is back."
NOT_SENT = "Not sent yet"


def pending_rows(page: Page) -> Any:
    return page.get_by_role("list", name="Kept on this device").get_by_role("listitem")


def stored(page: Page, base: str, user: User) -> list[dict[str, Any]]:
    """What the server has, asked directly (not through the page)."""
    response = page.request.get(base + "/api/expenses?limit=100", headers=user.headers)
    assert response.status == 200, response.text()
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def add_in_form(page: Page, category: str, amount: str, description: str) -> None:
    page.get_by_label("Category", exact=True).fill(category)
    page.get_by_label("Amount").fill(amount)
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Add expense").click()


def served_by_worker(page: Page) -> None:
    """Wait until the service worker controls the page and holds a copy of the expense list, then
    reload (online) so every read of the dashboard goes through it and is copied."""
    controlled(page)
    page.reload()
    expect(page.get_by_role("list", name="Expenses")).to_have_attribute("aria-busy", "false")
    until(
        page,
        """caches.open("expense-tracker-api").then((c) => c.keys())
           .then((keys) => keys.some((r) => new URL(r.url).pathname === "/api/expenses"))""",
    )


def test_three_adds_offline_survive_a_reload_and_are_stored_once_online(
    page: Page, context: BrowserContext, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Read while online")
    log_in(page, live_server, user)
    served_by_worker(page)

    context.set_offline(True)
    for number in (1, 2, 3):
        add_in_form(page, "Coffee", f"3.{number}0", f"Underground car park {number}")
        expect(page.get_by_text(KEPT_HERE)).to_be_visible()
        expect(pending_rows(page)).to_have_count(number)
    kept = [re.compile(rf"Underground car park {n}.*{NOT_SENT}") for n in (1, 2, 3)]
    expect(pending_rows(page)).to_have_text(kept)
    assert len(stored(page, live_server, user)) == 1  # nothing reached the server

    page.reload()  # still offline: the page, its reads and the kept adds come from this device
    expect(pending_rows(page)).to_have_count(3)
    expect(expense_rows(page)).to_contain_text(["Read while online"])
    expect(page.get_by_role("status").filter(has_text="Offline - showing what was saved at")).to_be_visible()

    context.set_offline(False)
    expect(pending_rows(page)).to_have_count(0)
    expect(expense_rows(page)).to_have_count(4)
    descriptions = sorted(e["description"] for e in stored(page, live_server, user))
    assert descriptions == ["Read while online", *(f"Underground car park {n}" for n in (1, 2, 3))]
    expect(page.get_by_text("Offline - showing what was saved at")).to_be_hidden()
    assert [e for e in console_errors if "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_an_add_whose_answer_was_lost_is_sent_again_with_its_key_and_stored_once(
    browser: Browser, live_server: str
) -> None:
    # No service worker here: page.route sees every request the page makes.
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    user = register(page, live_server)
    log_in(page, live_server, user)
    keys: list[str] = []
    answers: list[dict[str, str]] = []

    def lose_the_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers["idempotency-key"])
        response = route.fetch()  # the server stores it...
        answers.append(response.headers)
        if len(keys) == 1:
            route.abort("connectionreset")  # ...and its answer never arrives
        else:
            route.fulfill(response=response)

    page.route(re.compile(r"/api/expenses"), lose_the_answer)
    add_in_form(page, "Taxi", "18.00", "Answer lost on the way")
    expect(page.get_by_text(KEPT_HERE)).to_be_visible()
    expect(pending_rows(page)).to_have_count(1)
    assert len(stored(page, live_server, user)) == 1  # the server has it already

    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(pending_rows(page)).to_have_count(0)
    expect(expense_rows(page)).to_have_count(1)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert answers[1].get("idempotent-replayed") == "true"  # answered from the first, not stored again
    assert [e["description"] for e in stored(page, live_server, user)] == ["Answer lost on the way"]
    context.close()


def test_an_add_answered_504_after_it_was_stored_is_sent_again_with_its_key(
    browser: Browser, live_server: str
) -> None:
    """A 5xx is an answer: the add is not kept, the form says so; pressing Add again sends the first key."""
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    user = register(page, live_server)
    log_in(page, live_server, user)
    keys: list[str] = []

    def gateway_timeout_once(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers["idempotency-key"])
        response = route.fetch()  # stored...
        if len(keys) == 1:
            route.fulfill(status=504, body="Gateway Timeout")  # ...but the proxy gave up waiting
        else:
            route.fulfill(response=response)

    page.route(re.compile(r"/api/expenses"), gateway_timeout_once)
    add_in_form(page, "Taxi", "18.00", "Behind a slow proxy")
    expect(page.get_by_text(re.compile("The server had a problem"))).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(1)
    assert len(keys) == 2
    assert keys[0] == keys[1]
    assert [e["description"] for e in stored(page, live_server, user)] == ["Behind a slow proxy"]
    context.close()


def test_a_kept_edit_the_server_refuses_is_shown_with_the_reason(
    page: Page, context: BrowserContext, live_server: str
) -> None:
    user = register(page, live_server)
    expense = add_expense(page, live_server, user, description="Deleted elsewhere")
    log_in(page, live_server, user)
    served_by_worker(page)

    context.set_offline(True)
    expense_rows(page).filter(has_text="Deleted elsewhere").get_by_role("button", name="Edit").click()
    page.get_by_role("dialog").get_by_label("Amount").fill("99.00")
    page.get_by_role("dialog").get_by_role("button", name="Save").click()
    expect(pending_rows(page)).to_have_text([re.compile(f"Edit {NOT_SENT.lower()}")])
    response = page.request.delete(f"{live_server}/api/expenses/{expense['id']}", headers=user.headers)
    assert response.status == 204

    context.set_offline(False)
    refused = pending_rows(page)
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("Not saved:")
    expect(refused).to_contain_text("not found")
    refused.get_by_role("button", name="Dismiss").click()
    expect(pending_rows(page)).to_have_count(0)
    assert stored(page, live_server, user) == []


def test_log_out_forgets_the_kept_writes_and_the_copies(
    page: Page, context: BrowserContext, live_server: str
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    served_by_worker(page)
    context.set_offline(True)
    add_in_form(page, "Lunch", "9.00", "Never sent")
    expect(pending_rows(page)).to_have_count(1)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    kept = page.evaluate(
        """new Promise((resolve) => {
             const open = indexedDB.open("expense-tracker", 1);
             open.onsuccess = () => {
               const all = open.result.transaction("writes").objectStore("writes").getAll();
               all.onsuccess = () => resolve(all.result.length);
             };
           })"""
    )
    assert kept == 0
    assert page.evaluate("caches.has('expense-tracker-api')") is False
    context.set_offline(False)
    assert stored(page, live_server, user) == []


def test_the_workers_copies_are_revalidated_with_their_etags(
    page: Page, live_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Copied once")
    log_in(page, live_server, user)
    served_by_worker(page)
    # Without the browser's own cache, only the worker's copies can name an ETag.
    page.context.new_cdp_session(page).send("Network.clearBrowserCache")
    with caplog.at_level(logging.INFO, logger="app.access"):
        caplog.clear()
        page.reload()
        expect(expense_rows(page).filter(has_text="Copied once")).to_have_count(1)

        def not_modified() -> set[str]:
            answered = [record.getMessage().split()[:3] for record in caplog.records]
            return {path for method, path, status in answered if status == "304"}

        deadline = time.monotonic() + 5  # the log's line is written once the answer is sent
        while not {"/api/expenses", "/api/summary"} <= not_modified() and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert {"/api/expenses", "/api/summary"} <= not_modified(), [r.getMessage() for r in caplog.records]
    expect(page.get_by_text("Offline - showing what was saved at")).to_have_count(0)
