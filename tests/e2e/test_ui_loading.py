"""What the page loads and when (issue 27, fast on a phone): the log-in page without the dashboard's
modules or Chart.js, every file from the release's versioned addresses, Chart.js only once a chart is
on screen, and a dashboard that does not move about as its data arrives (CLS)."""

import re

import pytest
from playwright.sync_api import Page, Route, ViewportSize, expect

from app.assets import STATIC_VERSION
from tests.e2e.ui import (
    User,
    add_expense,
    api_errors,
    expense_rows,
    log_in,
    register,
    set_budget,
    show_screen,
)

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
DASHBOARD_MODULES = ["add", "budgets", "charts", "expenses", "ledger", "nav", "period", "recurring", "totals"]


def requested(page: Page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def files(urls: list[str]) -> list[str]:
    """The page's own files among the requests (not the API, not the page itself)."""
    return [u for u in urls if re.search(r"\.(js|css|svg)$", u)]


def open_logged_in(page: Page, base: str, user: User) -> None:
    """The dashboard opened as a returning person opens it: the session already in localStorage."""
    token = user.headers["Authorization"].removeprefix("Bearer ")
    page.add_init_script(f"localStorage.setItem('expense-tracker.token', {token!r})")
    page.goto(base + "/")


def hold_back(page: Page, files: re.Pattern[str]) -> list[Route]:
    """The page's requests for these files, each held until the test answers it (`continue_()`)."""
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(files, hold)
    return held


def names(routes: list[Route]) -> list[str]:
    """The file names the held requests ask for."""
    return [route.request.url.rsplit("/", 1)[1] for route in routes]


# The page's charts are on it and drawn, each by Chart.js.
CHARTS_DRAWN = """() => {
  const canvases = [...document.querySelectorAll('canvas')];
  return canvases.length > 0 && typeof Chart === 'function' && canvases.every((c) => Chart.getChart(c));
}"""


def test_the_log_in_page_loads_no_dashboard_module_nor_chart_js(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    urls = requested(page)
    page.goto(live_server + "/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    loaded = files(urls)
    assert any(u.endswith("/js/views/auth.js") for u in loaded)
    assert not [u for u in loaded if "chart.umd.js" in u]
    assert not [u for u in loaded for name in DASHBOARD_MODULES if u.endswith(f"/js/views/{name}.js")]
    assert page.evaluate("typeof Chart") == "undefined"
    # Each from this release's addresses, which the browser keeps for a year.
    assert loaded
    assert all(f"/s/{STATIC_VERSION}/" in u for u in loaded)
    assert console_errors == []


def test_the_dashboard_loads_its_modules_and_chart_js_with_the_charts(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    urls = requested(page)
    log_in(page, live_server, user)
    expect(page.get_by_role("list", name="Expenses").get_by_role("listitem")).to_have_count(1)
    loaded = files(urls)
    for name in DASHBOARD_MODULES:
        assert any(u.endswith(f"/s/{STATIC_VERSION}/js/views/{name}.js") for u in loaded), name
    # The desktop shows the charts: Chart.js came with them, once, and they are drawn.
    page.wait_for_function("() => typeof Chart === 'function'")
    assert [u for u in files(urls) if "chart.umd.js" in u] == [
        f"{live_server}/s/{STATIC_VERSION}/vendor/chartjs/chart.umd.js"
    ]
    page.wait_for_function(CHARTS_DRAWN)
    assert all(f"/s/{STATIC_VERSION}/" in u for u in files(urls))
    assert console_errors == []


def test_on_the_phone_chart_js_waits_for_the_charts_screen(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    urls = requested(page)
    log_in(page, live_server, user)
    expect(page.get_by_role("list", name="Expenses").get_by_role("listitem")).to_have_count(1)
    page.wait_for_load_state("networkidle")
    assert not [u for u in urls if "chart.umd.js" in u]
    assert page.evaluate("typeof Chart") == "undefined"

    show_screen(page, "Charts")
    page.wait_for_function(CHARTS_DRAWN)  # built when first shown, then drawn
    numbers = page.get_by_role("figure").filter(has_text="Spending by category").locator("table")
    expect(numbers).to_contain_text("Food")
    assert console_errors == []


# The page's own requests, not a service worker's copies: a route sees only what the page asks for.
NO_WORKER = pytest.mark.browser_context_args(service_workers="block")


@NO_WORKER
def test_the_phones_list_screen_is_shown_before_the_other_screens_code_arrives(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    set_budget(page, live_server, user, "Food", "100")
    held = hold_back(page, re.compile(r"/js/(dashboard-more|views/(add|budgets|charts|recurring))\.js$"))
    # Recurring expenses cannot be read: their panel, built later, still says so.
    page.route(re.compile(r"/api/recurring$"), lambda r: r.fulfill(status=500, json={"detail": "Broken"}))
    reads = requested(page)
    open_logged_in(page, live_server, user)

    # The list screen, whole, without the other screens' code, which nothing has asked for yet.
    expect(expense_rows(page)).to_have_count(1)
    expect(page.get_by_role("link", name="Add expense")).to_be_visible()
    expect(page.get_by_text("1 expense ·")).to_be_visible()
    page.wait_for_timeout(300)
    assert held == []
    assert page.locator(".budgets-card, .charts").count() == 0

    # Budgets first shown: the other screens' code is asked for then, and Budgets built once it came.
    show_screen(page, "Budgets")
    for _ in range(100):
        if len(held) == 5:
            break
        page.wait_for_timeout(50)
    assert sorted(names(held)) == [
        "add.js",
        "budgets.js",
        "charts.js",
        "dashboard-more.js",
        "recurring.js",
    ]
    for route in held:
        route.continue_()
    budgets = page.get_by_role("list", name="Budgets").get_by_role("listitem")
    expect(budgets).to_have_count(1)
    expect(budgets).to_contain_text("Food")
    expect(page.get_by_text("Could not load recurring expenses")).to_be_visible()
    # Given what the list screen had read: nothing read twice.
    assert len([u for u in reads if "/api/summary" in u]) == 1
    assert len([u for u in reads if "/api/recurring" in u]) == 1
    assert page.locator(".charts").count() == 0  # built when the Charts screen is first shown
    show_screen(page, "Add expense")
    expect(page.get_by_label("Amount")).to_be_focused()
    assert api_errors(console_errors, 500) == []


def test_a_phone_turned_to_the_desktops_layout_builds_the_views_it_left_for_later(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    set_budget(page, live_server, user, "Food", "100")
    open_logged_in(page, live_server, user)
    expect(expense_rows(page)).to_have_count(1)
    page.wait_for_timeout(300)
    assert page.locator(".budgets-card, .charts").count() == 0

    page.set_viewport_size(DESKTOP)  # every view shown at once
    expect(page.get_by_role("list", name="Budgets").get_by_role("listitem")).to_contain_text("Food")
    expect(page.get_by_role("img", name="Spending by category")).to_be_visible()
    expect(page.get_by_role("heading", name="Add an expense")).to_be_visible()
    assert console_errors == []


@NO_WORKER
def test_the_list_is_shown_without_its_dialogs_code_which_comes_when_first_opened(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.set_viewport_size(PHONE)
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    held = hold_back(page, re.compile(r"/js/views/(expense-form|categories)\.js$"))
    reads = requested(page)
    open_logged_in(page, live_server, user)

    expect(expense_rows(page)).to_have_count(1)
    expect(page.get_by_text("1 expense ·")).to_be_visible()
    dialogs = r"/js/views/(categories|ledger-settings|invitations)\.js$"
    assert not [u for u in files(reads) if re.search(dialogs, u)]

    # Edit tapped twice while the form's code is on its way: one form, once it has come.
    edit = expense_rows(page).first.get_by_role("button", name="Edit")
    edit.click()
    edit.click()
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert names(held) == ["expense-form.js"]
    held.pop().continue_()
    dialog = page.get_by_role("dialog", name="Edit expense")
    expect(dialog.get_by_label("Amount")).to_have_value("30.00")
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(1)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # The Categories dialog's code, when it is first opened: the same, one dialog.
    assert not [u for u in reads if u.endswith("/js/views/categories.js")]
    categories = page.get_by_role("button", name="Categories")
    categories.click()
    categories.click()
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert names(held) == ["categories.js"]
    held.pop().continue_()
    expect(page.get_by_role("dialog", name="Categories")).to_contain_text("Food")
    page.wait_for_timeout(300)
    expect(page.get_by_role("dialog")).to_have_count(1)
    assert console_errors == []


def test_the_pages_first_intl_objects_are_made_on_a_workers_thread(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    # The first Intl object of a browser process loads the locale data (30-100 ms, js/i18n.js).
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="30")
    open_logged_in(page, live_server, user)
    expect(expense_rows(page)).to_contain_text("$30.00")
    assert f"{live_server}/s/{STATIC_VERSION}/js/intl-warm.js" in workers
    assert console_errors == []


LAYOUT_SHIFTS = """
window.shifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.shifts.push(entry.value);
}).observe({ type: "layout-shift", buffered: true });
"""


def test_the_desktop_dashboard_does_not_move_as_its_data_arrives(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    for n, category in enumerate(["Food", "Coffee", "Rent", "Books", "Travel"]):
        add_expense(page, live_server, user, category=category, amount=str(20 + n))
    for category in ("Food", "Coffee", "Rent"):
        set_budget(page, live_server, user, category, "100")
    page.set_viewport_size(DESKTOP)
    page.add_init_script(LAYOUT_SHIFTS)
    open_logged_in(page, live_server, user)
    expect(page.get_by_role("list", name="Budgets").get_by_role("listitem")).to_have_count(3)
    expect(page.get_by_text("$47.00 spent outside budgets")).to_be_visible()
    page.wait_for_function(CHARTS_DRAWN)
    page.wait_for_timeout(500)  # a frame or two after the last answer
    shifts = page.evaluate("window.shifts")
    assert sum(shifts) < 0.01, shifts
    assert console_errors == []
