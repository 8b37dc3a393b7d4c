"""Adding, editing, deleting, searching, paging and exporting expenses, and switching periods."""

from datetime import date, timedelta
from pathlib import Path

from playwright.sync_api import Dialog, Page, expect

from tests.e2e.ui import (
    add_expense,
    api_errors,
    app_date,
    expense_rows,
    log_in,
    monday,
    month_label,
    previous_month,
    register,
    week_label,
)


def test_add_with_the_mouse_and_fix_what_the_server_refuses(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    expect(page.get_by_text("No expenses this month. Add one above.")).to_be_visible()
    expect(page.get_by_label("Date")).to_have_value(page.evaluate("new Date().toLocaleDateString('en-CA')"))

    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("0")
    page.get_by_label("Description").fill("Free lunch?")
    page.get_by_role("button", name="Add expense").click()
    # The API's 422 message lands next to Amount; everything typed stays.
    expect(page.get_by_text("Must be greater than 0")).to_be_visible()
    expect(page.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Description")).to_have_value("Free lunch?")
    expect(expense_rows(page)).to_have_count(0)

    page.get_by_label("Amount").fill("12.50")
    page.get_by_role("button", name="Add expense").click()
    row = expense_rows(page).filter(has_text="Free lunch?")
    expect(row).to_contain_text("Food")
    expect(row).to_contain_text("$12.50")
    expect(page.get_by_label("Amount")).to_have_value("")
    expect(page.get_by_label("Amount")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$12.50")
    assert api_errors(console_errors, 422) == []


def test_add_with_the_keyboard_only(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.get_by_label("Category", exact=True).focus()
    page.keyboard.type("Transport")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Amount")).to_be_focused()
    page.keyboard.type("3,20")  # a decimal comma is understood
    page.keyboard.press("Tab")
    page.keyboard.type("Bus")
    page.keyboard.press("Enter")
    expect(expense_rows(page).filter(has_text="Bus")).to_contain_text("$3.20")
    # Focus is back on Amount, the category kept: the next entry is two keystrokes away.
    expect(page.get_by_label("Amount")).to_be_focused()
    page.keyboard.type("2.80")
    page.keyboard.press("Enter")
    expect(expense_rows(page)).to_have_count(2)
    expect(expense_rows(page).first).to_contain_text("$2.80")
    expect(expense_rows(page).first).to_contain_text("Transport")
    assert console_errors == []


def test_edit_in_a_dialog_and_delete_with_undo(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="9.99", description="Sandwich")
    add_expense(page, live_server, user, category="Fun", amount="15", description="Cinema")
    log_in(page, live_server, user)

    expense_rows(page).filter(has_text="Sandwich").get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit expense")
    expect(dialog.get_by_label("Amount")).to_have_value("9.99")
    expect(dialog.get_by_label("Category")).to_have_value("Food")
    dialog.get_by_label("Amount").fill("11.25")
    dialog.get_by_label("Description").fill("Sandwich and soup")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(expense_rows(page).filter(has_text="Sandwich and soup")).to_contain_text("$11.25")
    stored = page.request.get(live_server + "/api/expenses", headers=user.headers).json()
    assert {e["description"]: e["amount"] for e in stored["items"]} == {
        "Sandwich and soup": 11.25,
        "Cinema": 15,
    }

    expense_rows(page).filter(has_text="Cinema").get_by_role("button", name="Delete").click()
    expect(expense_rows(page)).to_have_count(1)
    assert page.request.get(live_server + "/api/expenses", headers=user.headers).json()["total"] == 1
    page.get_by_role("button", name="Undo").click()
    expect(expense_rows(page).filter(has_text="Cinema")).to_contain_text("$15.00")
    assert page.request.get(live_server + "/api/expenses", headers=user.headers).json()["total"] == 2
    assert console_errors == []


def test_user_text_is_shown_as_text(page: Page, live_server: str, console_errors: list[str]) -> None:
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    user = register(page, live_server)
    log_in(page, live_server, user)
    payload = "<img src=x onerror=alert(1)>"
    page.get_by_label("Category", exact=True).fill("<b>bold</b>")
    page.get_by_label("Amount").fill("1")
    page.get_by_label("Description").fill(payload)
    page.get_by_role("button", name="Add expense").click()
    row = expense_rows(page).first
    expect(row).to_contain_text(payload)
    expect(row).to_contain_text("<b>bold</b>")
    expect(page.get_by_role("group", name="Period length")).to_be_visible()
    assert page.locator("main img, main b").count() == 0
    page.wait_for_timeout(200)  # an onerror handler would have fired by now
    assert dialogs == []
    assert console_errors == []


def test_search_and_load_more(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    day = app_date().replace(day=1)
    for n in range(55):
        add_expense(page, live_server, user, amount=str(n + 1), description=f"Item {n + 1}")
    add_expense(
        page, live_server, user, category="Books", amount="7", description="A novel", date=day.isoformat()
    )
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(50)
    expect(page.get_by_text("Showing 50 of 56 expenses")).to_be_visible()
    # The next page is asked for by keyset cursor, not by offset.
    with page.expect_request(lambda r: "/api/expenses?" in r.url and "cursor=" in r.url):
        page.get_by_role("button", name="Load more").click()
    expect(expense_rows(page)).to_have_count(56)
    expect(page.get_by_role("button", name="Load more")).to_be_hidden()

    page.get_by_label("Search expenses").fill("novel")
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).first).to_contain_text("Books")
    page.get_by_label("Search expenses").fill("nothing like this")
    expect(page.get_by_text("No expenses this month match “nothing like this”.")).to_be_visible()
    assert console_errors == []


def test_period_switching_drives_list_url_and_history(
    page: Page, live_server: str, console_errors: list[str], today: date
) -> None:
    last_month = previous_month(today)
    user = register(page, live_server)
    add_expense(page, live_server, user, description="This month")
    add_expense(page, live_server, user, description="Last month", date=last_month.isoformat())
    log_in(page, live_server, user)
    title = page.locator(".period-bar").get_by_role("heading")
    expect(title).to_have_text(month_label(today))
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).first).to_contain_text("This month")

    page.get_by_role("button", name="Previous").click()
    expect(title).to_have_text(month_label(last_month))
    expect(page).to_have_url(f"{live_server}/#/month/{last_month.isoformat()[:7]}")
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).first).to_contain_text("Last month")

    page.reload()  # the period lives in the address
    expect(title).to_have_text(month_label(last_month))
    page.get_by_role("button", name="Next").click()
    expect(title).to_have_text(month_label(today))
    expect(expense_rows(page).first).to_contain_text("This month")
    page.go_back()
    expect(title).to_have_text(month_label(last_month))
    page.go_forward()

    page.get_by_role("button", name="Week", exact=True).click()
    expect(title).to_have_text(week_label(today))
    expect(page).to_have_url(f"{live_server}/#/week/{monday(today).isoformat()}")
    expect(page.get_by_role("button", name="Week", exact=True)).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Previous").click()
    expect(title).to_have_text(week_label(today - timedelta(days=7)))
    expect(page.get_by_text("No expenses this week. Add one above.")).to_be_visible()
    page.get_by_role("link", name="Today").click()
    expect(title).to_have_text(week_label(today))

    page.get_by_role("button", name="Day", exact=True).click()
    expect(page).to_have_url(f"{live_server}/#/day/{today.isoformat()}")
    expect(title).to_contain_text(str(today.year))
    expect(expense_rows(page)).to_have_count(1)
    page.get_by_role("button", name="Previous").click()
    yesterday_url = f"{live_server}/#/day/{(today - timedelta(days=1)).isoformat()}"
    expect(page).to_have_url(yesterday_url)
    # The skip link moves focus to the content and leaves the period alone.
    page.get_by_role("link", name="Skip to content").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    expect(page).to_have_url(yesterday_url)
    assert console_errors == []


def test_export_csv_downloads_the_period(
    page: Page, live_server: str, console_errors: list[str], tmp_path: Path, today: date
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="12.5", description="=cmd")
    add_expense(page, live_server, user, description="Elsewhere", date=previous_month(today).isoformat())
    log_in(page, live_server, user)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("expenses-")
    assert download.suggested_filename.endswith(".csv")
    target = tmp_path / "export.csv"
    download.save_as(target)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "date,category,amount,description,currency,base_amount",
        f"{today.isoformat()},Food,12.50,'=cmd,USD,12.50",
    ]
    assert console_errors == []
