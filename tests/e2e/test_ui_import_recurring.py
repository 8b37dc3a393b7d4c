"""Import CSV (guess, adjust, preview, import) and the Recurring panel, in Chromium."""

from datetime import date

import pytest
from playwright.sync_api import Dialog, FilePayload, Page, expect

from tests.e2e.test_ui_layout import no_sideways_scroll, serious
from tests.e2e.ui import add_expense, api_errors, app_date, expense_rows, log_in, register, show_screen


def choose(page: Page, name: str, content: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": "text/csv", "buffer": content}
    page.get_by_label("CSV file").set_input_files(files=[payload])


def test_import_our_own_export_with_a_preview(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(
        page,
        live_server,
        user,
        category="Food",
        amount="3.00",
        description="Coffee",
        date=app_date().isoformat(),
    )
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(1)

    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    expect(dialog).to_be_visible()
    day = app_date().isoformat()
    bad = f"date,category,amount,description\n{day},Food,3.00,Coffee\n{day},Books,12.5x,Novel\n"
    choose(page, "expenses.csv", bad.encode())
    # Our own header maps itself.
    expect(dialog.get_by_label("Date column")).to_have_value("date")
    expect(dialog.get_by_label("Amount column")).to_have_value("amount")
    expect(dialog.get_by_label("Category column")).to_have_value("category")
    expect(dialog.get_by_label("Description column")).to_have_value("description")
    expect(dialog.get_by_label("Date format")).to_have_value("YYYY-MM-DD")
    preview = dialog.get_by_role("region", name="Preview")
    error_row = preview.get_by_role("row").filter(has_text="is not an amount")
    expect(error_row).to_contain_text("3")  # its line number
    expect(error_row).to_have_class("import-row import-error")
    expect(preview.get_by_role("row").filter(has_text="Duplicate, skipped")).to_have_count(1)
    expect(dialog).to_contain_text("0 expenses to import, 1 already there, 1 with errors.")
    expect(dialog.get_by_role("button", name="Import", exact=True)).to_be_disabled()

    good = f"date,category,amount,description\n{day},Food,3.00,Coffee\n{day},Books,12.50,'=Novel\n"
    choose(page, "expenses.csv", good.encode())
    expect(dialog).to_contain_text("1 expense to import, 1 already there.")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_text("Imported 1 expense, skipped 1.")).to_be_visible()
    expect(expense_rows(page)).to_have_count(2)
    expect(expense_rows(page).filter(has_text="Books")).to_contain_text("=Novel")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$15.50")
    assert api_errors(console_errors) == []


def test_import_a_bank_file_after_adjusting_the_mapping(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    day = app_date().strftime("%d.%m.%Y")
    content = f"Buchungstag;Verwendungszweck;Betrag\n{day};Bäckerei;-3,20\n{day};Gehalt;2.500,00\n"
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    choose(page, "umsatz.csv", content.encode("latin-1"))
    expect(dialog.get_by_label("Date column")).to_have_value("Buchungstag")
    expect(dialog.get_by_label("Amount column")).to_have_value("Betrag")
    expect(dialog.get_by_label("Amounts are")).to_have_value("signed")
    expect(dialog.get_by_label("Date format")).to_have_value("DD.MM.YYYY")
    expect(dialog.get_by_label("Decimal comma (12,50)")).to_be_checked()
    expect(dialog).to_contain_text("1 expense to import, 1 income skipped.")
    # The person adjusts the guess: the signed column read as plain expenses makes errors...
    dialog.get_by_label("Amounts are").select_option("expense")
    expect(dialog).to_contain_text("with errors")
    expect(dialog.get_by_role("button", name="Import", exact=True)).to_be_disabled()
    # ...so they put it back, and name the category for rows that have none.
    dialog.get_by_label("Amounts are").select_option("signed")
    dialog.get_by_label("Category when missing").fill("Bakery")
    dialog.get_by_label("Category when missing").press("Tab")
    expect(dialog.get_by_role("region", name="Preview")).to_contain_text("Bakery")
    dialog.get_by_role("button", name="Import", exact=True).click()
    expect(dialog).to_be_hidden()
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).first).to_contain_text("Bakery")
    expect(expense_rows(page).first).to_contain_text("Bäckerei")
    expect(expense_rows(page).first).to_contain_text("$3.20")
    assert console_errors == []


def test_recurring_panel_add_pause_edit_delete(
    page: Page, live_server: str, console_errors: list[str], today: date
) -> None:
    confirms: list[str] = []

    def accept(dialog: Dialog) -> None:
        confirms.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    user = register(page, live_server)
    log_in(page, live_server, user)
    panel = page.get_by_role("region", name="Recurring")
    expect(panel).to_contain_text("Nothing recurring yet.")

    panel.get_by_role("button", name="Add recurring").click()
    form = page.get_by_role("dialog", name="Add recurring expense")
    form.get_by_label("Category").fill("Rent")
    form.get_by_label("Amount").fill("900")
    form.get_by_label("Description").fill("Flat")
    form.get_by_label("Repeats").select_option("monthly")
    form.get_by_label("Starts").fill(today.replace(day=1).isoformat())
    form.get_by_label("Ends").fill("2999-12-31")
    form.get_by_role("button", name="Save recurring").click()
    expect(form).to_be_hidden()
    # The first occurrence (this month's 1st) is an ordinary expense now, shown in the list.
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).first).to_contain_text("Rent")
    rules = panel.get_by_role("list", name="Recurring")
    expect(rules.get_by_role("listitem")).to_have_count(1)
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    expect(rules).to_contain_text(
        f"Every month, on day 1 · Next {following.day} {following.strftime('%b %Y')}, until 31 Dec 2999"
    )

    panel.get_by_role("button", name="Pause recurring Rent").click()
    expect(rules).to_contain_text("Paused")
    panel.get_by_role("button", name="Resume recurring Rent").click()
    expect(rules).to_contain_text("Next")

    panel.get_by_role("button", name="Edit recurring Rent").click()
    edit = page.get_by_role("dialog", name="Edit recurring expense")
    expect(edit.get_by_label("Amount")).to_have_value("900.00")
    edit.get_by_label("Amount").fill("950")
    edit.get_by_label("Ends").fill("")  # no end any more
    edit.get_by_role("button", name="Save recurring").click()
    expect(edit).to_be_hidden()
    expect(rules).to_contain_text("$950.00")
    expect(rules).not_to_contain_text("until")
    expect(expense_rows(page).first).to_contain_text("$900.00")  # the past stays as it was

    panel.get_by_role("button", name="Delete recurring Rent").click()
    expect(panel).to_contain_text("Nothing recurring yet.")
    assert confirms == ["Stop the recurring Rent expense? Expenses it already added stay."]
    expect(expense_rows(page)).to_have_count(1)
    assert console_errors == []


def test_recurring_form_shows_the_servers_refusal(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.get_by_role("button", name="Add recurring").click()
    form = page.get_by_role("dialog", name="Add recurring expense")
    form.get_by_label("Category").fill("Gym")
    form.get_by_label("Amount").fill("30")
    form.get_by_label("Starts").fill("2026-05-10")
    form.get_by_label("Ends").fill("2026-05-01")
    form.get_by_role("button", name="Save recurring").click()
    expect(form.get_by_text("End_date must be on or after start_date")).to_be_visible()
    expect(form.get_by_label("Ends")).to_have_attribute("aria-invalid", "true")
    assert api_errors(console_errors, 422) == []


@pytest.mark.parametrize("width", [390, 1280])
def test_dialogs_fit_and_pass_axe(
    page: Page, live_server: str, console_errors: list[str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    user = register(page, live_server)
    page.request.post(
        live_server + "/api/recurring",
        data={
            "category": "Streaming",
            "amount": "9.99",
            "frequency": "monthly",
            "start_date": "2999-01-31",
            "description": "A long description for a subscription that wraps",
        },
        headers=user.headers,
    )
    log_in(page, live_server, user)
    show_screen(page, "Budgets")  # on a phone, Recurring is on the Budgets screen
    expect(page.get_by_role("region", name="Recurring")).to_contain_text("Streaming")
    assert no_sideways_scroll(page)
    show_screen(page, "Expenses")
    page.get_by_role("button", name="Import CSV").click()
    dialog = page.get_by_role("dialog", name="Import CSV")
    long = "A description long enough to wrap in the preview table " * 2
    rows = "".join(f"{app_date().isoformat()},Category {n},{n}.50,{long}\n" for n in range(1, 8))
    choose(
        page, "x.csv", f"date,category,amount,description\n{rows}{app_date().isoformat()},Bad,x,\n".encode()
    )
    expect(dialog).to_contain_text("7 expenses to import, 1 with errors.")
    assert no_sideways_scroll(page)
    assert serious(page) == []
    page.keyboard.press("Escape")
    show_screen(page, "Budgets")
    page.get_by_role("button", name="Add recurring").click()
    expect(page.get_by_role("dialog", name="Add recurring expense")).to_be_visible()
    assert serious(page) == []
    assert console_errors == []
