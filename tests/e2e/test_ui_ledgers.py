"""Shared ledgers in the page: the selector in the address, settings with an invitation link,
joining (after a look at the link), Paid by and Split, Balances with Settle up, and a viewer's
read-only dashboard."""

import re
import time as clock
from datetime import datetime, time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from app.services import ledgers as ledgers_service
from tests.e2e.test_ui_layout import serious
from tests.e2e.ui import User, api_errors, app_date, expense_rows, log_in, register
from tests.factories import PASSWORD


def second_page(browser: Browser) -> Page:
    """Another person's browser: its own context (no shared storage), on the test's date."""
    page = browser.new_context().new_page()
    page.clock.set_system_time(datetime.combine(app_date(), time(12)))
    return page


def log_in_as(page: Page, base: str, user: User, path: str) -> None:
    """Log in where the dashboard may have no Add expense (a viewer's)."""
    page.goto(base + path)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Expenses")).to_be_visible()


def shared_ledger(page: Page, base: str, owner: User, member: User, role: str) -> dict[str, Any]:
    """A ledger of `owner` that `member` joined with `role`, set up through the API."""
    made = page.request.post(base + "/api/ledgers", data={"name": "Flat"}, headers=owner.headers)
    assert made.status == 201, made.text()
    ledger: dict[str, Any] = made.json()
    invited = page.request.post(
        f"{base}/api/ledgers/{ledger['id']}/invitations", data={"role": role}, headers=owner.headers
    )
    assert invited.status == 201, invited.text()
    joined = page.request.post(
        base + "/api/ledgers/join", data={"token": invited.json()["token"]}, headers=member.headers
    )
    assert joined.status == 200, joined.text()
    return ledger


def test_two_people_share_a_ledger_split_one_to_two_and_settle_up(
    page: Page, live_server: str, browser: Browser, console_errors: list[str]
) -> None:
    alice = register(page, live_server, display_name="Alice")
    log_in(page, live_server, alice)
    page.get_by_role("button", name="Manage ledger").click()
    page.get_by_role("button", name="New ledger").click()
    # The settings dialog closes as New ledger opens: speak to the new one by its name.
    created = page.get_by_role("dialog", name="New ledger")
    created.get_by_label("Name").fill("Flat")
    created.get_by_role("button", name="Create ledger").click()
    expect(page.get_by_label("Ledger", exact=True)).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    assert re.search(r"#/l/\d+/month/", page.url)

    page.get_by_role("button", name="Manage ledger").click()
    settings = page.get_by_role("dialog", name="Ledger settings")
    settings.get_by_label("Invite as").select_option("editor")
    settings.get_by_role("button", name="Create invitation link").click()
    link = settings.get_by_label("Invitation link", exact=True)
    expect(link).to_have_value(re.compile(r"#/join/"))
    invitation = link.input_value()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    settings.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == invitation
    assert serious(page) == []
    page.keyboard.press("Escape")

    bob_page = second_page(browser)
    bob = register(bob_page, live_server, display_name="Bob")
    bob_page.goto(live_server + "/" + invitation[invitation.index("#") :])
    expect(bob_page.get_by_text("Log in to join the shared ledger.")).to_be_visible()
    bob_page.get_by_label("Email").fill(bob.email)
    bob_page.get_by_label("Password").fill(PASSWORD)
    bob_page.get_by_role("button", name="Log in").click()
    # The link is looked at first: nothing is joined before Bob says Join.
    ask = bob_page.get_by_role("dialog", name="Join a shared ledger?")
    expect(ask).to_contain_text("Flat")
    ask.get_by_role("button", name="Join").click()
    expect(bob_page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")

    # Alice's page learns of Bob on reload; the address keeps the ledger.
    page.reload()
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    expect(page.get_by_label("Paid by")).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Paid by").locator("option:checked")).to_have_text("Alice")
    page.get_by_label("Category", exact=True).fill("Groceries")
    page.get_by_label("Amount", exact=True).fill("30.00")
    # Exact amounts that do not add up: the API's words next to Split, nothing typed is lost.
    page.get_by_label("How to split").select_option("amounts")
    page.get_by_label("Alice: amount").fill("10.00")
    page.get_by_label("Bob: amount").fill("5.00")
    page.get_by_role("button", name="Add expense").click()
    expect(page.get_by_text("The split amounts add up to 15.00, not the expense's 30.00")).to_be_visible()
    expect(page.get_by_label("Amount", exact=True)).to_have_value("30.00")
    expect(page.get_by_label("Bob: amount")).to_have_value("5.00")
    expect(expense_rows(page)).to_have_count(0)
    page.get_by_label("How to split").select_option("shares")
    page.get_by_label("Alice: shares").fill("1")
    page.get_by_label("Bob: shares").fill("2")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(1)
    balances = page.get_by_role("list", name="Balances")
    expect(balances.get_by_role("listitem").filter(has_text="Alice")).to_contain_text("20.00")
    for scheme in ("dark", "light"):
        page.emulate_media(color_scheme=scheme)
        page.wait_for_timeout(400)  # let the colours' transition end
        assert serious(page) == [], scheme
    # The edit dialog shows the split as it was saved.
    page.get_by_role("button", name="Edit", exact=True).click()
    edit = page.get_by_role("dialog", name="Edit expense")
    expect(edit.get_by_label("Paid by").locator("option:checked")).to_have_text("Alice")
    expect(edit.get_by_label("How to split")).to_have_value("shares")
    expect(edit.get_by_label("Bob: shares")).to_have_value("2")
    page.keyboard.press("Escape")

    bob_page.reload()
    expect(expense_rows(bob_page)).to_have_count(1)
    expect(expense_rows(bob_page)).to_contain_text("Groceries")
    bob_balances = bob_page.get_by_role("list", name="Balances")
    expect(bob_balances.get_by_role("listitem").filter(has_text="Bob")).to_contain_text("-")
    expect(bob_page.get_by_text(re.compile(r"Bob pays Alice .*20\.00"))).to_be_visible()
    bob_page.get_by_role("button", name=re.compile("^Settle up: Bob pays Alice")).click()
    settle = bob_page.get_by_role("dialog", name="Settle up")
    expect(settle.get_by_label("Amount")).to_have_value("20.00")
    settle.get_by_role("button", name="Record payment").click()
    expect(bob_page.get_by_text("Everyone is settled up.")).to_be_visible()
    for name in ("Alice", "Bob"):
        expect(bob_balances.get_by_role("listitem").filter(has_text=name)).to_contain_text("0.00")
        expect(bob_balances.get_by_role("listitem").filter(has_text=name)).not_to_contain_text("20")
    page.reload()
    expect(page.get_by_text("Everyone is settled up.")).to_be_visible()
    assert api_errors(console_errors, 422) == []


def test_a_viewer_sees_no_control_that_changes_data_and_keeps_the_ledger_on_reload(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    owner = register(page, live_server, display_name="Olga")
    viewer = register(page, live_server, display_name="Vic")
    ledger = shared_ledger(page, live_server, owner, viewer, "viewer")
    body = {"date": app_date().isoformat(), "category": "Rent", "amount": "900.00", "description": "May"}
    added = page.request.post(
        f"{live_server}/api/expenses?ledger={ledger['id']}", data=body, headers=owner.headers
    )
    assert added.status == 201, added.text()

    log_in_as(page, live_server, viewer, f"/#/l/{ledger['id']}")
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page)).to_contain_text("Rent")
    expect(page.get_by_role("heading", name="Balances")).to_be_visible()
    for name in ("Add expense", "Edit", "Delete", "Import CSV", "Add recurring", "Save budget"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Settle up"))).to_have_count(0)

    page.reload()
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    expect(expense_rows(page)).to_contain_text("Rent")
    # The personal ledger is one choice away, with its write controls back.
    page.get_by_label("Ledger", exact=True).select_option(label="Personal")
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    expect(expense_rows(page)).to_have_count(0)
    page.go_back()
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    assert console_errors == []


def test_the_owner_changes_a_role_and_removes_a_member(
    page: Page, live_server: str, console_errors: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = register(page, live_server, display_name="Olga")
    member = register(page, live_server, display_name="Vic")
    ledger = shared_ledger(page, live_server, owner, member, "viewer")
    log_in(page, live_server, owner, f"/#/l/{ledger['id']}")
    expect(page.get_by_label("Paid by")).to_be_visible()

    page.get_by_role("button", name="Manage ledger").click()
    settings = page.get_by_role("dialog", name="Ledger settings")

    def slowly(*args: Any, **kwargs: Any) -> Any:  # still on its way when the dialog closes
        clock.sleep(0.8)
        return update_member(*args, **kwargs)

    update_member = ledgers_service.update_member
    monkeypatch.setattr(ledgers_service, "update_member", slowly)
    settings.get_by_label("Role of Vic").select_option("editor")
    settings.get_by_role("button", name="Cancel").click()
    # Opened again at once: the settings wait for the change and the dashboard built after it,
    # rather than open on the old dashboard and go with it.
    page.get_by_role("button", name="Manage ledger").click()
    expect(settings.get_by_label("Role of Vic")).to_have_value("editor")  # read again from the API
    monkeypatch.undo()

    settings.get_by_role("button", name="Remove Vic").click()
    expect(settings.get_by_text("Vic")).to_have_count(0)
    settings.get_by_role("button", name="Cancel").click()
    # One member left: no Paid by, no Split, no Balances.
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    expect(page.get_by_label("Paid by")).to_have_count(0)
    expect(page.get_by_role("heading", name="Balances")).to_have_count(0)
    assert console_errors == []
