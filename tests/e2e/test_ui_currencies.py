"""Spending in other currencies: the preview before saving, the list's two amounts, manual rates,
amounts formatted per currency, and a ledger's Currency setting."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.test_ui_import_recurring import choose
from tests.e2e.test_ui_layout import serious
from tests.e2e.ui import User, add_expense, api_errors, app_date, expense_rows, log_in, register


def set_currency(page: Page, base: str, user: User, currency: str) -> None:
    response = page.request.patch(base + "/api/me", data={"currency": currency}, headers=user.headers)
    assert response.status == 200, response.text()


def ecb_rate(page: Page, base: str, user: User, source: str, target: str) -> dict[str, Any]:
    """The rate the server will use today, asked of the API so the test follows the shipped history."""
    day = app_date().isoformat()
    response = page.request.get(
        base + f"/api/rates?from={source}&to={target}&date={day}", headers=user.headers
    )
    assert response.status == 200, response.text()
    rate: dict[str, Any] = response.json()
    return rate


def euros(amount: Decimal) -> str:
    return f"€{amount:,.2f}"


def test_a_yen_expense_in_a_euro_ledger(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    add_expense(page, live_server, user, category="Food", amount="12.50", description="Lunch")
    rate = ecb_rate(page, live_server, user, "JPY", "EUR")
    base = (Decimal(1200) * Decimal(rate["rate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    log_in(page, live_server, user)
    currency = page.get_by_label("Currency", exact=True)
    expect(currency).to_have_value("EUR")

    currency.select_option("JPY")
    expect(page.get_by_label("Amount")).to_have_attribute("placeholder", "0")
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("1200")
    page.get_by_label("Description").fill("Ramen")
    # Before saving: the amount in euros at the ECB rate, and which publication that rate is from.
    preview = page.get_by_text(f"≈ {euros(base)} at ECB {rate['rate_date']}")
    expect(preview).to_be_visible()
    expect(page.get_by_label("Rate")).to_be_hidden()

    page.get_by_role("button", name="Add expense").click()
    row = expense_rows(page).filter(has_text="Ramen")
    expect(row.locator(".expense-amount")).to_have_text(f"{euros(base)}JP¥1,200")
    # A yen that is not the ledger's currency says which yen it is (en-GB's "JP¥"); the euro is the ledger's.
    expect(row.locator(".expense-original")).to_have_text("JP¥1,200")
    total = base + Decimal("12.50")
    expect(page.get_by_text("2 expenses")).to_have_text(f"2 expenses · {euros(total)}")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text(euros(total))
    # The yen stays chosen for the next entry, and is among the recent ones when the list opens.
    expect(currency).to_have_value("JPY")
    currency.focus()
    options = currency.locator("optgroup[label='Recent'] option")
    expect(options).to_have_text(["EUR — Euro", "JPY — Japanese Yen"])
    assert console_errors == []


def test_a_currency_without_an_ecb_rate_needs_a_manual_rate(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    log_in(page, live_server, user)
    currency = page.get_by_label("Currency", exact=True)
    currency.focus()  # as a click or a tap does: the list of every currency is made then (own_rate tests it)
    currency.select_option("KWD")
    day = app_date()
    no_rate = f"No ECB rate is known for KWD on {day.day} {day:%b %Y}. Enter a rate to save it."
    expect(page.get_by_text(no_rate)).to_be_visible()
    page.get_by_label("Category", exact=True).fill("Hotel")
    page.get_by_label("Amount").fill("1.234")
    page.get_by_role("button", name="Add expense").click()
    expect(page.get_by_text("Enter how many EUR one KWD is worth, such as 2.95.")).to_be_visible()
    expect(page.get_by_label("Rate")).to_be_focused()
    expect(expense_rows(page)).to_have_count(0)

    page.get_by_label("Rate").fill("2.95")
    expect(page.get_by_text("≈ €3.64 at your rate of 2.95")).to_be_visible()  # 3.6403
    assert serious(page) == []
    page.get_by_role("button", name="Add expense").click()
    row = expense_rows(page).filter(has_text="Hotel")
    expect(row.locator(".expense-amount")).to_have_text("€3.64KWD 1.234")
    saved = page.request.get(live_server + "/api/expenses", headers=user.headers).json()["items"]
    assert [(e["currency"], e["amount"], e["rate"], e["rate_source"]) for e in saved] == [
        ("KWD", 1.234, "2.95", "manual")
    ]
    assert api_errors(console_errors, 404) == []


def test_editing_only_the_amount_keeps_the_rate(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    add_expense(page, live_server, user, category="Hotel", amount="1.234", currency="KWD", rate="2.95")
    log_in(page, live_server, user)
    page.get_by_role("button", name="Edit", exact=True).click()
    dialog = page.get_by_role("dialog", name="Edit expense")
    expect(dialog.get_by_label("Currency", exact=True)).to_have_value("KWD")
    expect(dialog.get_by_label("Rate")).to_have_value("2.95")
    expect(dialog.get_by_label("Amount")).to_have_value("1.234")
    dialog.get_by_label("Amount").fill("2")
    expect(dialog.get_by_text("≈ €5.90 at your rate of 2.95")).to_be_visible()
    with page.expect_request(lambda r: r.method == "PATCH") as patch:
        dialog.get_by_role("button", name="Save").click()
    assert patch.value.post_data_json == {"amount": "2"}  # so the server keeps the rate
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text("€5.90KWD 2.000")
    assert console_errors == []


def test_a_yen_ledger_has_no_decimals(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "JPY")
    add_expense(page, live_server, user, category="Food", amount="1200", description="Ramen")
    log_in(page, live_server, user)
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text("¥1,200")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("¥1,200")
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("12.5")
    page.get_by_role("button", name="Add expense").click()
    expect(page.get_by_text("Enter a whole number, such as 1200.")).to_be_visible()
    expect(expense_rows(page)).to_have_count(1)
    assert console_errors == []


def test_a_ledgers_currency_is_chosen_from_a_list(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user)
    log_in(page, live_server, user)
    page.get_by_role("button", name="Manage ledger").click()
    dialog = page.get_by_role("dialog", name="Ledger settings")
    currency = dialog.get_by_label("Currency", exact=True)
    expect(currency).to_have_value("USD")
    expect(currency.locator("option:checked")).to_have_text("USD — US Dollar")
    # Its expenses are in dollars, so the server refuses; its message lands at the field.
    currency.select_option("EUR")
    dialog.get_by_role("button", name="Save").click()
    refusal = dialog.get_by_text("This ledger has expenses in USD")
    expect(refusal).to_have_text(
        "This ledger has expenses in USD: its currency can become EUR only when every expense is in EUR."
        " Change or delete those expenses first."
    )
    expect(currency).to_have_attribute("aria-invalid", "true")

    dialog.get_by_role("button", name="New ledger").click()
    created = page.get_by_role("dialog", name="New ledger")
    created.get_by_label("Name").fill("Japan trip")
    created.get_by_label("Currency", exact=True).select_option("JPY")
    created.get_by_role("button", name="Create ledger").click()
    add = page.get_by_role("region", name="Add an expense")
    expect(add.get_by_label("Currency", exact=True)).to_have_value("JPY")
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("1200")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text("¥1,200")
    assert api_errors(console_errors, 409) == []


def test_import_a_yen_file_and_our_own_export_with_currencies(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    rate = ecb_rate(page, live_server, user, "JPY", "EUR")
    base = (Decimal(1200) * Decimal(rate["rate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    log_in(page, live_server, user)
    day = app_date().isoformat()
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    # A bank file in yen without a currency column: the person says which currency it is in.
    choose(page, "bank.csv", f"date,category,amount,description\n{day},Food,1200,Ramen\n".encode())
    expect(dialog.get_by_label("Currency when missing")).to_have_value("EUR")
    dialog.get_by_label("Currency when missing").select_option("JPY")
    preview = dialog.get_by_role("region", name="Preview")
    expect(preview.get_by_role("row").filter(has_text="Ramen")).to_contain_text(f"JP¥1,200 ({euros(base)})")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    row = expense_rows(page).filter(has_text="Ramen")
    expect(row.locator(".expense-amount")).to_have_text(f"{euros(base)}JP¥1,200")

    # Our own export's two extra columns map themselves and survive an adjusted mapping.
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    own = f"date,category,amount,description,currency,base_amount\n{day},,1.234,Two nights,KWD,3.64\n"
    choose(page, "expenses.csv", own.encode())
    expect(dialog.get_by_label("Currency column")).to_have_value("currency")
    expect(dialog.get_by_label("Column of EUR amounts")).to_have_value("base_amount")
    dialog.get_by_label("Category when missing").fill("Hotel")
    dialog.get_by_label("Category when missing").press("Tab")
    expect(dialog.get_by_role("region", name="Preview")).to_contain_text("KWD 1.234 (€3.64)")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    row = expense_rows(page).filter(has_text="Two nights")
    expect(row.locator(".expense-amount")).to_have_text("€3.64KWD 1.234")
    assert console_errors == []


def test_a_recurring_expense_in_yen(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    set_currency(page, live_server, user, "EUR")
    rate = ecb_rate(page, live_server, user, "JPY", "EUR")
    base = (Decimal(1200) * Decimal(rate["rate"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    log_in(page, live_server, user)
    panel = page.get_by_role("region", name="Recurring")
    panel.get_by_role("button", name="Add recurring").click()
    form = page.get_by_role("dialog", name="Add recurring expense")
    expect(form.get_by_label("Currency")).to_have_value("EUR")
    form.get_by_label("Category").fill("Phone")
    form.get_by_label("Currency").select_option("JPY")
    form.get_by_label("Amount").fill("1200.5")
    form.get_by_role("button", name="Save recurring").click()
    expect(form.get_by_text("Enter a whole number, such as 1200.")).to_be_visible()
    form.get_by_label("Amount").fill("1200")
    form.get_by_label("Starts").fill(app_date().isoformat())
    form.get_by_role("button", name="Save recurring").click()
    expect(form).to_be_hidden()
    rules = panel.get_by_role("list", name="Recurring")
    expect(rules.locator(".recurring-amount")).to_have_text(["JP¥1,200"])
    # Today's occurrence is an expense in yen at today's rate.
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text(f"{euros(base)}JP¥1,200")
    assert console_errors == []
