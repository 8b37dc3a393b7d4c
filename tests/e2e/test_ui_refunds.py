"""The Expense/Refund switch of the add and edit forms, and refunds in the list and totals."""

import re

from playwright.sync_api import FilePayload, Page, expect

from tests.e2e.ui import add_expense, api_errors, app_date, expense_rows, log_in, register, set_budget


def test_add_a_refund_and_turn_it_back_into_an_expense(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Clothes", amount="50", description="Jacket")
    log_in(page, live_server, user)
    add_form = page.get_by_role("form", name="Add an expense")
    switch = add_form.get_by_role("group", name="Expense or refund")
    expect(switch.get_by_role("radio", name="Expense")).to_be_checked()

    # The keyboard reaches it and the arrow keys choose, as for any radio group.
    switch.get_by_role("radio", name="Expense").focus()
    page.keyboard.press("ArrowRight")
    expect(switch.get_by_role("radio", name="Refund")).to_be_checked()
    add_form.get_by_label("Category", exact=True).fill("Clothes")
    add_form.get_by_label("Amount").fill("20")
    add_form.get_by_label("Description").fill("Jacket back")
    page.get_by_role("button", name="Add expense").click()

    row = expense_rows(page).filter(has_text="Jacket back")
    expect(row).to_contain_text("Refund")
    expect(row.locator(".expense-amount")).to_have_text(re.compile(r"^Refund\s*[-\u2212]\$20\.00$"))
    expect(expense_rows(page).filter(has_text="Jacket").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"2 expenses · \$30\.00"))).to_be_visible()
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$30.00")
    # The next entry starts as an expense again.
    expect(switch.get_by_role("radio", name="Expense")).to_be_checked()
    stored = page.request.get(live_server + "/api/expenses", headers=user.headers).json()
    assert [(e["description"], e["amount"], e["refund"]) for e in stored["items"]] == [
        ("Jacket back", 20, True),
        ("Jacket", 50, False),
    ]

    row.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit expense")
    expect(dialog.get_by_role("radio", name="Refund")).to_be_checked()
    dialog.get_by_role("radio", name="Expense").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(expense_rows(page).filter(has_text="Jacket back")).not_to_contain_text("Refund")
    expect(page.get_by_text(re.compile(r"2 expenses · \$70\.00"))).to_be_visible()
    stored = page.request.get(live_server + "/api/expenses", headers=user.headers).json()
    assert [e["refund"] for e in stored["items"]] == [False, False]
    assert api_errors(console_errors) == []


def test_our_export_with_a_refund_imports_it_as_a_refund(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    day = app_date().isoformat()
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    ours = f"date,category,amount,description\n{day},Food,30.00,Boots\n{day},Food,-12.50,Boots back\n"
    payload: FilePayload = {"name": "expenses.csv", "mimeType": "text/csv", "buffer": ours.encode()}
    page.get_by_label("CSV file").set_input_files(files=[payload])
    # Our own header takes a negative amount as a refund: the box says so, the preview too.
    expect(dialog.get_by_label("Credits are refunds (money back)")).to_be_checked()
    preview = dialog.get_by_role("region", name="Preview")
    expect(preview.get_by_role("row").filter(has_text="Boots back")).to_contain_text("Ready (refund)")
    expect(dialog).to_contain_text("2 expenses to import.")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(expense_rows(page).filter(has_text="Boots back")).to_contain_text("Refund")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$17.50")
    assert api_errors(console_errors) == []


def test_a_budget_below_zero_shows_an_empty_bar(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    set_budget(page, live_server, user, "Clothes", "40")
    add_expense(
        page, live_server, user, category="Clothes", amount="60", description="Coat back", refund=True
    )
    log_in(page, live_server, user)
    bar = page.get_by_role("progressbar", name="Clothes")
    expect(bar).to_have_attribute("aria-valuenow", "0")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("-$60.00")
    assert api_errors(console_errors) == []
