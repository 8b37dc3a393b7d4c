"""First run (currency, starter categories, Invite someone) and the Ledger selector's keys."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_ui_categories import SHOTS
from tests.e2e.test_ui_layout import no_sideways_scroll, serious
from tests.e2e.ui import log_in, register
from tests.factories import PASSWORD


def create_account(page: Page, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


@pytest.mark.browser_context_args(locale="en-US")  # the currency is guessed from the browser's region
def test_first_run_chooses_currency_starters_and_invites(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    create_account(page, live_server, "first@example.com")
    welcome = page.get_by_role("dialog", name="Welcome to Expense Tracker")
    currency = welcome.get_by_label("Currency", exact=True)
    expect(currency).to_be_focused()
    expect(currency).to_have_value("USD")  # the browser's en-US, shown to be confirmed, not assumed
    currency.select_option("EUR")
    welcome.get_by_label("Groceries").check()
    welcome.get_by_label("Rent").check()
    welcome.get_by_role("button", name="Invite someone").click()
    expect(welcome.get_by_label("Shared ledger name")).to_have_value("Household")
    welcome.get_by_label("Shared ledger name").fill("Flat")
    welcome.get_by_role("button", name="Create invitation link").click()
    expect(welcome.get_by_label("Invitation link")).to_have_value(re.compile(r"/#/join/[A-Za-z0-9_-]+$"))
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    welcome.get_by_role("button", name="Copy link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert (
        page.evaluate("navigator.clipboard.readText()")
        == welcome.get_by_label("Invitation link").input_value()
    )
    welcome.get_by_role("button", name="Start").click()
    expect(page.get_by_text("Flat is in the Ledger selector.")).to_be_visible()
    expect(welcome).to_be_hidden()
    add = page.get_by_role("region", name="Add an expense")
    expect(add.get_by_label("Currency", exact=True)).to_have_value("EUR")
    ledger = page.get_by_label("Ledger", exact=True)
    expect(ledger.locator("option")).to_have_text(["Personal", "Flat", "New ledger…"])
    expect(page.locator("#category-suggestions option")).to_have_count(2)
    assert page.locator("#category-suggestions option").evaluate_all("os => os.map(o => o.value)") == [
        "Groceries",
        "Rent",
    ]
    # The shared ledger is in the currency chosen.
    ledger.select_option(label="Flat")
    expect(add.get_by_label("Currency", exact=True)).to_have_value("EUR")
    assert console_errors == []


def test_skip_changes_nothing_and_a_log_in_asks_no_more(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    create_account(page, live_server, "skipper@example.com")
    welcome = page.get_by_role("dialog", name="Welcome to Expense Tracker")
    welcome.get_by_role("button", name="Skip").click()
    expect(welcome).to_be_hidden()
    # The Add form's (the closed dialog's own is removed a moment later).
    add = page.get_by_role("region", name="Add an expense")
    expect(add.get_by_label("Currency", exact=True)).to_have_value("USD")
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill("skipper@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    expect(page.get_by_role("dialog", name="Welcome to Expense Tracker")).to_have_count(0)
    assert console_errors == []


def test_ledger_selector_switches_on_a_choice_not_an_arrow_key(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    created = page.request.post(live_server + "/api/ledgers", data={"name": "Flat"}, headers=user.headers)
    flat = created.json()["id"]
    log_in(page, live_server, user)
    ledger = page.get_by_label("Ledger", exact=True)
    ledger.focus()
    page.keyboard.press("ArrowDown")
    expect(ledger.locator("option:checked")).to_have_text("Flat")
    page.wait_for_timeout(300)
    assert "/l/" not in page.url  # still the personal ledger
    page.keyboard.press("Escape")
    expect(ledger.locator("option:checked")).to_have_text("Personal")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"#/l/{flat}/month/"))
    # "New ledger…" opens the dialog and leaves the ledger shown chosen.
    page.get_by_label("Ledger", exact=True).select_option(label="New ledger…")
    expect(page.get_by_role("dialog", name="New ledger")).to_be_visible()
    expect(page.get_by_label("Ledger", exact=True).locator("option:checked")).to_have_text("Flat")
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_welcome_screens(
    page: Page, live_server: str, console_errors: list[str], width: int, scheme: str
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    create_account(page, live_server, f"shot-{width}-{scheme}@example.com")
    welcome = page.get_by_role("dialog", name="Welcome to Expense Tracker")
    expect(welcome).to_be_visible()
    assert no_sideways_scroll(page)
    assert serious(page) == []
    page.screenshot(path=SHOTS / f"welcome-{width}-{scheme}.png")
    welcome.get_by_role("button", name="Invite someone").click()
    welcome.get_by_role("button", name="Create invitation link").click()
    expect(welcome.get_by_label("Invitation link")).to_be_visible()
    assert serious(page) == []
    welcome.screenshot(path=SHOTS / f"welcome-invite-{width}-{scheme}.png")
    assert console_errors == []
