"""The keyboard: Delete moves on to the next row, Ctrl+Z undoes it, [ and ] step through periods."""

from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, app_date, expense_rows, log_in, month_label, previous_month, register


def test_delete_moves_focus_to_the_next_row_and_ctrl_z_undoes(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    for description in ("First", "Second", "Third"):
        add_expense(page, live_server, user, description=description)
    log_in(page, live_server, user)
    rows = expense_rows(page)
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Third")  # newest first
    rows.nth(0).get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Deleted Food $12.50.")).to_be_visible()
    expect(rows).to_have_count(2)
    expect(page.get_by_text("2 expenses · $25.00")).to_be_visible()
    # The list was read again after the delete: the keyboard is still on the row that followed.
    expect(rows.nth(0).get_by_role("button", name="Edit")).to_be_focused()
    expect(rows.nth(0)).to_contain_text("Second")
    page.keyboard.press("Control+z")
    expect(page.get_by_text("Expense restored.")).to_be_visible()
    expect(rows).to_have_count(3)
    # The last row: focus goes back to the one before it.
    rows.nth(2).get_by_role("button", name="Delete").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(2)
    expect(page.get_by_text("2 expenses · $25.00")).to_be_visible()
    expect(rows.nth(1).get_by_role("button", name="Edit")).to_be_focused()
    # In a text field Ctrl+Z is the field's own: the deleted expense stays deleted.
    page.get_by_label("Description").focus()
    page.keyboard.press("Control+z")
    page.wait_for_timeout(300)
    expect(rows).to_have_count(2)
    assert console_errors == []


def test_brackets_step_through_periods(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    title = page.locator("#period-title")
    expect(title).to_have_text(month_label(app_date()))
    page.locator("body").press("[")
    expect(title).to_have_text(month_label(previous_month(app_date())))
    page.keyboard.press("]")
    expect(title).to_have_text(month_label(app_date()))
    page.keyboard.press("Alt+PageUp")
    expect(title).to_have_text(month_label(previous_month(app_date())))
    page.keyboard.press("Alt+PageDown")
    expect(title).to_have_text(month_label(app_date()))
    # Typed into a field, a bracket is text.
    page.get_by_label("Description").fill("")
    page.get_by_label("Description").press("[")
    expect(page.get_by_label("Description")).to_have_value("[")
    expect(title).to_have_text(month_label(app_date()))
    assert console_errors == []
