"""The phone layout (390 x 844): a screen at a time in the bottom navigation, with Back; the add
sheet with Save above the keyboard; a tap on a row edits it, with Delete in the dialog; the
header's Menu; every control at least 44 px. At 1280 px the desktop layout is as it was."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests.e2e.test_ui_books import add_in
from tests.e2e.test_ui_layout import no_sideways_scroll, serious
from tests.e2e.test_ui_ledgers import log_in_as, shared_ledger
from tests.e2e.ui import (
    User,
    add_expense,
    app_date,
    expense_rows,
    log_in,
    register,
    set_budget,
)

PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENS = ["Expenses", "Budgets", "Balances", "Charts"]


def household(page: Page, base: str) -> tuple[User, dict[str, Any]]:
    """Ann and Bob's shared ledger "Flat" with two expenses, a budget, a rule and a settlement."""
    ann = register(page, base, display_name="Ann")
    bob = register(page, base, display_name="Bob")
    ledger = shared_ledger(page, base, ann, bob, "editor")
    add_in(page, base, ann, ledger, category="Groceries", amount="40.00", description="Market")
    add_in(page, base, ann, ledger, category="Rent", amount="900.00", description="December")
    for path, body in [
        ("/api/budgets", {"category": "Groceries", "amount": "300"}),
        (
            "/api/recurring",
            {"category": "Internet", "amount": "30", "frequency": "monthly", "start_date": "2999-01-01"},
        ),
        (
            f"/api/ledgers/{ledger['id']}/settlements",
            {
                "from_user_id": me(page, base, bob),
                "to_user_id": me(page, base, ann),
                "amount": "10.00",
                "date": app_date().isoformat(),
            },
        ),
    ]:
        made = page.request.post(f"{base}{path}?ledger={ledger['id']}", data=body, headers=ann.headers)
        assert made.status in (200, 201), made.text()
    return ann, ledger


def me(page: Page, base: str, user: User) -> int:
    user_id: int = page.request.get(base + "/api/me", headers=user.headers).json()["id"]
    return user_id


def nav(page: Page) -> Any:
    return page.get_by_role("navigation", name="Screens")


def go(page: Page, name: str) -> None:
    nav(page).get_by_role("link", name=name, exact=True).click()
    expect(nav(page).get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")


def test_bottom_navigation_switches_screens_and_back_returns(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    ann, ledger = household(page, live_server)
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    home = page.url
    assert re.search(rf"#/l/{ledger['id']}/month/\d{{4}}-\d{{2}}$", home)  # the old address, unchanged
    links = nav(page).get_by_role("link")
    expect(links).to_have_text(["Expenses", "Budgets", "Add expense", "Balances", "Charts"])
    expect(expense_rows(page)).to_have_count(2)
    expect(page.get_by_role("region", name="Budgets")).to_be_hidden()

    go(page, "Budgets")
    assert page.url == home + "/budgets"
    expect(page.get_by_role("progressbar", name="Groceries")).to_be_visible()
    expect(page.get_by_role("region", name="Recurring")).to_contain_text("Internet")
    expect(page.get_by_role("list", name="Expenses")).to_be_hidden()
    expect(page).to_have_title(re.compile(r"^Budgets · "))
    go(page, "Balances")
    expect(page.get_by_role("region", name="Balances")).to_contain_text("Bob")
    expect(page.get_by_role("region", name="Budgets")).to_be_hidden()
    go(page, "Charts")
    expect(page.get_by_role("img", name="Spending by category")).to_be_visible()
    expect(page.get_by_role("region", name="Balances")).to_be_hidden()

    # Today stays in this ledger and on this screen.
    today = page.get_by_role("link", name="Today")
    expect(today).to_have_attribute("href", re.compile(rf"^#/l/{ledger['id']}/month/\d{{4}}-\d{{2}}/charts$"))
    # The period moves on a screen and the screen stays; Back undoes one step at a time.
    page.get_by_role("button", name="Previous").click()
    assert page.url.endswith("/charts")
    assert page.url != home + "/charts"
    page.go_back()
    assert page.url == home + "/charts"
    page.go_back()
    expect(page.get_by_role("region", name="Balances")).to_be_visible()
    page.go_back()
    expect(page.get_by_role("progressbar", name="Groceries")).to_be_visible()
    page.go_back()
    assert page.url == home
    expect(expense_rows(page)).to_have_count(2)

    # A screen's address opens that screen; a personal ledger has no Balances and goes home.
    page.goto(home + "/budgets")
    expect(page.get_by_role("progressbar", name="Groceries")).to_be_visible()
    page.goto(f"{live_server}/#/month/{app_date():%Y-%m}/balances")
    expect(nav(page).get_by_role("link", name="Expenses")).to_have_attribute("aria-current", "page")
    expect(nav(page).get_by_role("link", name="Balances")).to_have_count(0)
    assert page.url.endswith(f"#/month/{app_date():%Y-%m}")
    assert console_errors == []


def test_add_sheet_keeps_save_above_the_keyboard(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    ann, ledger = household(page, live_server)  # Paid by and Split make the sheet taller
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    home = page.url
    go(page, "Add expense")
    assert page.url == home + "/add"
    sheet = page.get_by_role("region", name="Add an expense")
    amount = sheet.get_by_label("Amount", exact=True)
    expect(amount).to_be_focused()
    expect(amount).to_have_attribute("inputmode", "decimal")
    expect(amount).to_have_attribute("enterkeyhint", "done")
    save = sheet.get_by_role("button", name="Add expense")

    # The on-screen keyboard takes the lower half: the sheet shrinks with the viewport, Save stays in view.
    for height in (844, 420, 330):
        page.set_viewport_size({"width": 390, "height": height})
        page.wait_for_timeout(100)  # the visualViewport's resize event
        box = save.bounding_box()
        assert box is not None
        assert box["y"] >= 0, (height, box)
        assert box["y"] + box["height"] <= height, (height, box)
        assert (
            page.evaluate(
                "(el) => document.elementFromPoint(el.x, el.y)?.textContent",
                {
                    "x": box["x"] + box["width"] / 2,
                    "y": box["y"] + box["height"] / 2,
                },
            )
            == "Add expense"
        )
    sheet.get_by_label("Category", exact=True).fill("Coffee")
    amount.fill("3.20")
    save.click()
    # Saved: back to the list, which shows it.
    expect(sheet).to_be_hidden()
    assert page.url == home
    expect(expense_rows(page).filter(has_text="Coffee")).to_have_count(1)
    expect(page.get_by_text("Expense added.")).to_be_visible()

    # Close or Escape leaves the sheet without saving; a sheet opened by its address closes to Expenses.
    go(page, "Add expense")
    sheet.get_by_role("button", name="Close").click()
    expect(sheet).to_be_hidden()
    assert page.url == home
    go(page, "Add expense")
    amount.fill("9.99")
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    assert page.url == home
    expect(expense_rows(page)).to_have_count(3)
    page.goto(home + "/add")
    expect(sheet).to_be_visible()
    sheet.get_by_role("button", name="Close").click()
    expect(expense_rows(page)).to_have_count(3)
    assert page.url == home
    assert console_errors == []


def test_tap_a_row_to_edit_it_and_delete_inside_the_dialog(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Books", amount="20.00", description="A novel")
    add_expense(page, live_server, user, category="Lunch", amount="9.00")
    log_in(page, live_server, user)
    rows = expense_rows(page)
    expect(rows).to_have_count(2)
    books = rows.filter(has_text="Books")
    expect(books.get_by_role("button", name="Delete")).to_be_hidden()  # Delete is in the dialog

    books.click()  # the row, not a button on it
    dialog = page.get_by_role("dialog", name="Edit expense")
    expect(dialog.get_by_label("Amount", exact=True)).to_have_value("20.00")
    dialog.get_by_label("Amount", exact=True).fill("25.00")
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    expect(books).to_contain_text("25.00")

    books.click(position={"x": 30, "y": 20})
    dialog.get_by_role("button", name="Delete").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Lunch")
    page.get_by_role("button", name="Undo").click()
    expect(rows).to_have_count(2)
    assert console_errors == []


SMALL_CONTROLS = """() => [...document.querySelectorAll("button, a[href], input, select, textarea, summary")]
  .filter((el) => el.checkVisibility() && !el.closest(".visually-hidden"))
  // A checkbox's target is the box and its label together (a tap on either ticks it).
  .map((el) => ({ el, target: el.type === "checkbox" && el.labels[0] ? el.labels[0] : el }))
  .map(({ el, target }) => ({ el, box: target.getBoundingClientRect() }))
  .filter(({ box }) => box.width > 1 && (box.width < 44 || box.height < 44))
  .map(({ el, box }) => [el.tagName, el.textContent || el.getAttribute("aria-label"), box.width, box.height])
"""


def small_controls(page: Page) -> list[str]:
    found: list[str] = page.evaluate(SMALL_CONTROLS)
    return found


def test_every_control_is_at_least_44_px_on_every_screen(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    ann, ledger = household(page, live_server)
    page.goto(live_server + "/")
    expect(page.get_by_label("Keep me signed in")).to_be_visible()
    assert small_controls(page) == []  # the log-in screen
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    expect(expense_rows(page)).to_have_count(2)
    seen = 0
    for name in SCREENS:
        go(page, name)
        page.wait_for_timeout(300)  # charts and lists drawn
        assert small_controls(page) == [], name
        assert no_sideways_scroll(page), name
        seen += page.evaluate(SMALL_CONTROLS.replace("box.width < 44 || box.height < 44", "true") + ".length")
    go(page, "Add expense")
    assert small_controls(page) == []
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Settings")).to_be_visible()
    assert small_controls(page) == []
    for dialog in ("Settings", "Manage ledger"):  # the menu's dialogs
        page.get_by_role("button", name=dialog).click()
        expect(page.get_by_role("dialog")).to_be_visible()
        assert small_controls(page) == [], dialog
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)
        page.get_by_role("button", name="Menu").click()
    page.keyboard.press("Escape")
    go(page, "Expenses")
    expense_rows(page).first.click()
    expect(page.get_by_role("dialog", name="Edit expense")).to_be_visible()
    assert small_controls(page) == []
    assert seen > 25  # the check looked at the screens' controls, not at an empty page
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_phone_screens_pass_axe(page: Page, live_server: str, console_errors: list[str], scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.set_viewport_size(PHONE)
    ann, ledger = household(page, live_server)
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    expect(expense_rows(page)).to_have_count(2)
    for name in SCREENS:
        go(page, name)
        page.wait_for_timeout(400)  # the charts' short animation
        assert serious(page) == [], name
    go(page, "Add expense")
    assert serious(page) == []
    page.get_by_role("button", name="Close").click()
    page.get_by_role("button", name="Menu").click()
    assert serious(page) == []
    assert console_errors == []


def test_header_menu_holds_the_actions_and_the_ledger_selector(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    ann, ledger = household(page, live_server)
    log_in(page, live_server, ann, f"/#/l/{ledger['id']}")
    banner = page.get_by_role("banner")
    ledger_name = banner.locator(".ledger-name")  # where an expense goes
    expect(ledger_name).to_be_visible()
    expect(ledger_name).to_have_text("Ledger: Flat")
    box = banner.bounding_box()
    assert box is not None
    assert box["height"] <= 60
    menu = banner.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    for hidden in ("Settings", "Log out", "Manage ledger"):
        expect(banner.get_by_role("button", name=hidden)).to_be_hidden()
    expect(banner.get_by_label("Ledger", exact=True)).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    for shown in ("Settings", "Log out", "Manage ledger", "Dark theme"):
        expect(banner.get_by_role("button", name=shown)).to_be_visible()
    # The theme switch shows its name and, once on, a tick (its state is aria-pressed's).
    theme = banner.get_by_role("button", name="Dark theme")
    shown_text = "el => getComputedStyle(el, '::after').content"
    assert theme.evaluate(shown_text) == '"Dark theme"'
    theme.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    if menu.get_attribute("aria-expanded") == "false":  # the menu closed as a choice was made
        menu.click()
    expect(theme).to_have_attribute("aria-pressed", "true")
    assert theme.evaluate(shown_text) == '"Dark theme ✓"'
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(banner.get_by_role("button", name="Settings")).to_be_hidden()

    menu.click()
    page.mouse.click(5, 700)  # a tap elsewhere, below the menu
    expect(menu).to_have_attribute("aria-expanded", "false")

    menu.click()
    banner.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("Escape")

    # The Ledger selector, in the menu: the header then names the other ledger.
    menu.click()
    personal = banner.get_by_label("Ledger", exact=True).locator("option").first.inner_text()
    banner.get_by_label("Ledger", exact=True).select_option(label=personal)
    expect(ledger_name).to_have_text(f"Ledger: {personal}")
    expect(expense_rows(page)).to_have_count(0)
    assert console_errors == []


def test_desktop_layout_is_unchanged(page: Page, live_server: str, console_errors: list[str]) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Books", amount="20.00")
    set_budget(page, live_server, user, "Books", "50")
    log_in(page, live_server, user)
    # Everything at once, the header's actions in the header, no phone parts.
    for region in ("Add an expense", "Expenses", "Budgets", "Recurring"):
        expect(page.get_by_role("region", name=region)).to_be_visible()
    expect(page.get_by_role("img", name="Spending by category")).to_be_visible()
    expect(page.get_by_role("button", name="Settings")).to_be_visible()
    expect(page.get_by_role("button", name="Manage ledger")).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Screens")).to_have_count(0)
    expect(page.get_by_role("button", name="Close")).to_have_count(0)
    row = expense_rows(page).first
    expect(row.get_by_role("button", name="Edit")).to_have_text("Edit")
    expect(row.get_by_role("button", name="Delete")).to_be_visible()
    box = row.get_by_role("button", name="Edit").bounding_box()
    assert box is not None
    assert box["height"] < 40
    # A phone's screen address shows the whole desktop dashboard all the same.
    page.goto(page.url + "/charts")
    expect(page.get_by_role("region", name="Add an expense")).to_be_visible()
    expect(page.get_by_role("region", name="Budgets")).to_be_visible()
    assert console_errors == []


def test_a_viewer_has_no_add_and_rows_that_do_not_open(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    ann = register(page, live_server, display_name="Ann")
    vic = register(page, live_server, display_name="Vic")
    ledger = shared_ledger(page, live_server, ann, vic, "viewer")
    add_in(page, live_server, ann, ledger, category="Rent", amount="900.00")
    log_in_as(page, live_server, vic, f"/#/l/{ledger['id']}/add")  # the sheet is not for a viewer
    expect(nav(page).get_by_role("link")).to_have_text(["Expenses", "Budgets", "Balances", "Charts"])
    expect(nav(page).get_by_role("link", name="Expenses")).to_have_attribute("aria-current", "page")
    assert page.url.endswith(f"#/l/{ledger['id']}/month/{app_date():%Y-%m}")
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page).get_by_role("button")).to_have_count(0)
    assert console_errors == []
