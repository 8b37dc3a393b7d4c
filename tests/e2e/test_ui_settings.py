"""Settings: display name and currency, your data, log out everywhere."""

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, api_errors, expense_rows, log_in, register


def test_display_name_and_currency(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    # Bought in euros while the account was still in dollars: a manual rate, so the dollars are known.
    add_expense(page, live_server, user, amount="1234.5", currency="EUR", rate="1.1", description="Laptop")
    log_in(page, live_server, user)
    amount = expense_rows(page).first.locator(".expense-amount")
    expect(amount).to_have_text("$1,357.95€1,234.50")

    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    dialog.get_by_label("Display name").fill("Sam")
    # Money in euros cannot become pounds: the server says so at the field.
    dialog.get_by_label("Currency").select_option("GBP")
    dialog.get_by_role("button", name="Save settings").click()
    expect(dialog.get_by_text("This ledger has expenses in EUR")).to_be_visible()
    expect(dialog.get_by_label("Currency")).to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Currency").select_option("EUR")
    dialog.get_by_role("button", name="Save settings").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Sam")
    expect(amount).to_have_text("€1,234.50")  # now in the account's own currency: one amount
    me = page.request.get(live_server + "/api/me", headers=user.headers).json()
    assert (me["display_name"], me["currency"]) == ("Sam", "EUR")
    assert api_errors(console_errors, 409) == []


def test_download_my_data(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, amount="7.25", description="Coffee beans")
    log_in(page, live_server, user)
    page.get_by_role("button", name="Settings").click()
    with page.expect_download() as info:
        page.get_by_role("dialog", name="Settings").get_by_role("button", name="Download my data").click()
    download = info.value
    assert download.suggested_filename.startswith("expense-tracker-")
    data = json.loads(Path(download.path()).read_text())
    assert data["account"]["email"] == user.email
    assert [(e["amount"], e["description"]) for e in data["expenses"]] == [(7.25, "Coffee beans")]
    assert console_errors == []


def test_log_out_everywhere(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)  # a session elsewhere: the API token
    log_in(page, live_server, user)
    token = page.evaluate("localStorage.getItem('expense-tracker.token')")
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("dialog", name="Settings").get_by_role("button", name="Log out everywhere").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("You have logged out on every device.")).to_be_visible()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    me = live_server + "/api/me"
    assert page.request.get(me, headers={"Authorization": f"Bearer {token}"}).status == 401
    assert page.request.get(me, headers=user.headers).status == 401
    assert console_errors == []
