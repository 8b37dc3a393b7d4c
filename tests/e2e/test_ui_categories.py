"""The category manager (rename, merge), "Needs review" with its filter, and "Search all time"."""

import os
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_ui_layout import no_sideways_scroll, serious
from tests.e2e.ui import (
    User,
    add_expense,
    app_date,
    expense_rows,
    log_in,
    previous_month,
    register,
    set_budget,
)

# Where the screenshots of the changed screens go, for a person to look at (not compared).
SHOTS = Path(os.environ.get("SCREENSHOTS") or Path(tempfile.gettempdir()) / "expense-tracker-screenshots")


def seed(page: Page, base: str) -> User:
    user = register(page, base)
    add_expense(page, base, user, category="Food", amount="10", description="Bread")
    add_expense(page, base, user, category="Food", amount="5", description="Milk")
    add_expense(page, base, user, category="Snacks", amount="3", description="Crisps")
    add_expense(page, base, user, category="Uncategorised", amount="7", description="From the bank file")
    set_budget(page, base, user, "Food", "100")
    set_budget(page, base, user, "Snacks", "20")
    return user


def test_rename_and_merge_categories(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = seed(page, live_server)
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(4)
    page.get_by_role("button", name="Categories").click()
    dialog = page.get_by_role("dialog", name="Categories")
    expect(dialog.get_by_role("listitem")).to_have_count(3)
    expect(dialog.get_by_role("listitem").filter(has_text="Needs review")).to_contain_text("1 expense")

    dialog.get_by_role("button", name="Rename Snacks").click()
    rename = page.get_by_role("dialog", name="Rename Snacks")
    rename.get_by_label("New name").fill("food")
    # The name of a category the ledger has: the button says what will happen.
    expect(rename.get_by_role("button", name="Merge")).to_be_visible()
    expect(rename).to_contain_text(
        "Food already exists: Snacks will be merged into it, and their budgets added together."
    )
    rename.get_by_role("button", name="Merge").click()
    expect(page.get_by_text("Merged Snacks into Food.")).to_be_visible()
    expect(rename).to_be_hidden()
    expect(dialog.get_by_role("listitem")).to_have_count(2)
    expect(dialog.get_by_role("listitem").filter(has_text="Food")).to_contain_text(
        "3 expenses · budget $120.00 a month"
    )

    dialog.get_by_role("button", name="Rename Needs review").click()
    rename = page.get_by_role("dialog", name="Rename Needs review")
    rename.get_by_role("button", name="Rename").click()
    expect(rename.get_by_text("Enter the new name.")).to_be_visible()
    rename.get_by_label("New name").fill("Books")
    rename.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("Renamed to Books.")).to_be_visible()
    expect(dialog.get_by_role("listitem").filter(has_text="Books")).to_contain_text("1 expense")
    dialog.get_by_role("button", name="Close").click()
    # The dashboard followed: the list, the budgets.
    expect(expense_rows(page).filter(has_text="Crisps")).to_contain_text("Food")
    expect(expense_rows(page).filter(has_text="From the bank file")).to_contain_text("Books")
    expect(page.get_by_role("progressbar", name="Food")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Snacks")).to_have_count(0)
    assert console_errors == []


def test_needs_review_filter(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = seed(page, live_server)
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(4)
    row = expense_rows(page).filter(has_text="From the bank file")
    expect(row).to_contain_text("Needs review")
    expect(row).not_to_contain_text("Uncategorised")
    review = page.get_by_role("button", name="Needs review")
    expect(review).to_have_attribute("aria-pressed", "false")
    review.click()
    expect(review).to_have_attribute("aria-pressed", "true")
    expect(expense_rows(page)).to_have_count(1)
    expect(page.get_by_text("1 expense in Needs review · $7.00")).to_be_visible()
    review.click()
    expect(expense_rows(page)).to_have_count(4)
    # The manager's Show narrows the list to any one category.
    page.get_by_role("button", name="Categories").click()
    page.get_by_role("button", name="Show Food expenses").click()
    expect(expense_rows(page)).to_have_count(2)
    expect(page.get_by_role("button", name="Only Food")).to_have_attribute("aria-pressed", "true")
    assert console_errors == []


def test_search_all_time_when_the_period_has_no_match(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    earlier = previous_month(app_date()).replace(day=3)
    add_expense(page, live_server, user, date=earlier.isoformat(), description="Train ticket", amount="30")
    add_expense(page, live_server, user, description="Lunch")
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Search all time")).to_be_hidden()
    page.get_by_label("Search expenses").fill("train")
    expect(page.get_by_text("No expenses this month match “train”.")).to_be_visible()
    page.get_by_role("button", name="Search all time").click()
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page)).to_contain_text("Train ticket")
    expect(page.get_by_text("1 expense matching “train” in all time · $30.00")).to_be_visible()
    page.get_by_role("button", name="Only this month").click()
    expect(page.get_by_text("No expenses this month match “train”.")).to_be_visible()
    # A search that matches in the period offers nothing more.
    page.get_by_label("Search expenses").fill("lunch")
    expect(expense_rows(page)).to_have_count(1)
    expect(page.get_by_role("button", name="Search all time")).to_be_hidden()
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 1280])
def test_screens_fit_pass_axe_and_are_shot(
    page: Page, live_server: str, console_errors: list[str], width: int, scheme: str
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    user = seed(page, live_server)
    log_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(4)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(400)  # the charts' short animation
    page.get_by_role("region", name="Expenses").screenshot(path=SHOTS / f"expenses-{width}-{scheme}.png")
    assert serious(page) == []
    page.get_by_role("button", name="Categories").click()
    dialog = page.get_by_role("dialog", name="Categories")
    expect(dialog.get_by_role("listitem")).to_have_count(3)
    assert no_sideways_scroll(page)
    assert serious(page) == []
    page.screenshot(path=SHOTS / f"categories-{width}-{scheme}.png")
    dialog.get_by_role("button", name="Rename Snacks").click()
    page.get_by_role("dialog", name="Rename Snacks").get_by_label("New name").fill("Food")
    assert serious(page) == []
    page.screenshot(path=SHOTS / f"categories-merge-{width}-{scheme}.png")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.get_by_label("Search expenses").fill("nothing like it")
    expect(page.get_by_role("button", name="Search all time")).to_be_visible()
    page.get_by_role("region", name="Expenses").screenshot(
        path=SHOTS / f"search-all-time-{width}-{scheme}.png"
    )
    assert serious(page) == []
    assert console_errors == []
