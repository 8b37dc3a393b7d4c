"""A rate of one's own for any foreign-currency expense, and the order the currency list offers."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_ui_categories import SHOTS
from tests.e2e.test_ui_currencies import set_currency
from tests.e2e.test_ui_layout import serious
from tests.e2e.ui import expense_rows, log_in, register, show_screen

COMMON = [
    "USD — US Dollar",
    "GBP — British Pound",
    "JPY — Japanese Yen",
    "CHF — Swiss Franc",
    "CAD — Canadian Dollar",
    "AUD — Australian Dollar",
    "CNY — Chinese Yuan",
    "INR — Indian Rupee",
]


def test_own_rate_for_a_currency_the_ecb_prices(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    log_in(page, live_server, user)
    currency = page.get_by_label("Currency", exact=True)
    # The ledger's currency first, then the common ones, then all the others.
    expect(currency.locator("optgroup[label='Recent'] option")).to_have_text(["EUR — Euro"])
    expect(currency.locator("optgroup[label='Common'] option")).to_have_text(COMMON)
    assert currency.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)") == [
        "Recent",
        "Common",
        "All currencies",
    ]
    # Every other currency, with its name, once the list is first used (not made with the page, for speed).
    all_currencies = currency.locator("optgroup[label='All currencies'] option")
    currency.focus()
    expect(all_currencies.filter(has_text="KWD — Kuwaiti Dinar")).to_have_count(1)
    assert all_currencies.count() > 100
    expect(currency).to_have_value("EUR")
    own = page.get_by_role("button", name="Use my own rate")
    expect(own).to_be_hidden()  # the ledger's own currency needs no rate
    currency.select_option("JPY")
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("1200")
    expect(page.get_by_text("at ECB")).to_be_visible()
    expect(page.get_by_label("Rate")).to_be_hidden()
    own.click()
    expect(page.get_by_label("Rate")).to_be_focused()
    expect(own).to_be_hidden()
    page.get_by_label("Rate").fill("0.0065")
    expect(page.get_by_text("≈ €7.80 at your rate of 0.0065")).to_be_visible()
    assert serious(page) == []
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text("€7.80JP¥1,200")
    saved = page.request.get(live_server + "/api/expenses", headers=user.headers).json()["items"]
    assert [(e["amount"], e["rate"], e["rate_source"], e["base_amount"]) for e in saved] == [
        (1200, "0.0065", "manual", 7.8)
    ]
    assert console_errors == []


def test_settings_offer_the_common_currencies_first(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.get_by_role("button", name="Settings").click()
    currency = page.get_by_role("dialog", name="Settings").get_by_label("Currency", exact=True)
    expect(currency.locator("optgroup").first).to_have_attribute("label", "Common")
    expect(currency.locator("optgroup[label='Common'] option").first).to_have_text("USD — US Dollar")
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_own_rate_screens(
    page: Page, live_server: str, console_errors: list[str], width: int, scheme: str
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    log_in(page, live_server, user)
    show_screen(page, "Add expense")  # on a phone, the add sheet
    page.get_by_label("Currency", exact=True).select_option("JPY")
    page.get_by_label("Amount").fill("1200")
    expect(page.get_by_text("at ECB")).to_be_visible()
    form = page.get_by_role("region", name="Add an expense")
    form.screenshot(path=SHOTS / f"own-rate-offered-{width}-{scheme}.png")
    page.get_by_role("button", name="Use my own rate").click()
    page.get_by_label("Rate").fill("0.0065")
    expect(page.get_by_text("at your rate of 0.0065")).to_be_visible()
    assert serious(page) == []
    form.screenshot(path=SHOTS / f"own-rate-typed-{width}-{scheme}.png")
    assert console_errors == []
