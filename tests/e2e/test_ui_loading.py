"""What the page loads and when (issue 27, fast on a phone): the log-in page without the dashboard's
modules or Chart.js, every file from the release's versioned addresses, Chart.js only once a chart is
on screen, and a dashboard that does not move about as its data arrives (CLS)."""

import re
from typing import Any

from playwright.sync_api import Page, ViewportSize, expect

from app.assets import STATIC_VERSION
from tests.e2e.ui import User, add_expense, log_in, register, set_budget, show_screen

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


def charts_drawn(page: Page) -> Any:
    return page.evaluate(
        "() => typeof Chart === 'function'"
        " && [...document.querySelectorAll('canvas')].every(c => Chart.getChart(c))"
    )


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
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].every(c => window.Chart?.getChart(c))"
    )
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
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].every(c => window.Chart?.getChart(c))"
    )
    assert charts_drawn(page)
    numbers = page.get_by_role("figure").filter(has_text="Spending by category").locator("table")
    expect(numbers).to_contain_text("Food")
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
    page.wait_for_function(
        "() => [...document.querySelectorAll('canvas')].every(c => window.Chart?.getChart(c))"
    )
    page.wait_for_timeout(500)  # a frame or two after the last answer
    shifts = page.evaluate("window.shifts")
    assert sum(shifts) < 0.01, shifts
    assert console_errors == []
