"""Budgets turning amber then red, and charts drawn from the API, updated in place."""

import re
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, expense_rows, log_in, register, set_budget


def rgb(page: Page, locator: Any) -> tuple[int, ...]:
    color = locator.evaluate("el => getComputedStyle(el).backgroundColor")
    return tuple(int(n) for n in re.findall(r"\d+", color)[:3])


def add_through_form(page: Page, category: str, amount: str) -> None:
    page.get_by_label("Category", exact=True).fill(category)
    page.get_by_label("Amount").fill(amount)
    page.get_by_role("button", name="Add expense").click()
    expect(page.get_by_label("Amount")).to_have_value("")


def test_budgets_turn_amber_then_red(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="70")
    log_in(page, live_server, user)
    expect(page.get_by_text("No budgets yet.")).to_be_visible()

    page.get_by_label("Budget category").fill("food")  # any case: one category
    page.get_by_label("Monthly budget").fill("100")
    page.get_by_role("button", name="Save budget").click()
    bar = page.get_by_role("progressbar", name="Food")
    expect(bar).to_have_attribute("data-status", "ok")
    expect(bar).to_have_attribute("aria-valuemin", "0")
    expect(bar).to_have_attribute("aria-valuemax", "100")
    expect(bar).to_have_attribute("aria-valuenow", "70")
    expect(bar).to_have_attribute("aria-valuetext", "70% of budget")
    budgets = page.get_by_role("list", name="Budgets")
    expect(budgets).to_contain_text("$70.00 of $100.00")
    expect(budgets).to_contain_text("$30.00 left")
    red, green, _ = rgb(page, bar.locator(".progress-fill"))
    assert green > red

    add_through_form(page, "Food", "15")
    expect(bar).to_have_attribute("data-status", "warning")
    expect(bar).to_have_attribute("aria-valuenow", "85")
    red, green, blue = rgb(page, bar.locator(".progress-fill"))
    assert red > blue  # amber: red and green well above blue
    assert green > blue

    add_through_form(page, "Food", "27")
    expect(bar).to_have_attribute("data-status", "over")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(bar).to_have_attribute("aria-valuetext", "112% of budget")
    expect(budgets).to_contain_text("$12.00 over")
    red, green, _ = rgb(page, bar.locator(".progress-fill"))
    assert red > green
    expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$12.00 over")

    # Change the budget, then remove it.
    page.get_by_role("button", name="Change Food budget").click()
    expect(page.get_by_label("Monthly budget")).to_be_focused()
    page.get_by_label("Monthly budget").fill("224")
    page.get_by_role("button", name="Save budget").click()
    expect(bar).to_have_attribute("aria-valuetext", "50% of budget")
    expect(bar).to_have_attribute("data-status", "ok")
    budgets_api = page.request.get(live_server + "/api/budgets", headers=user.headers).json()
    assert [(b["category"], b["amount"]) for b in budgets_api] == [("Food", 224)]
    page.get_by_role("button", name="Remove Food budget").click()
    expect(bar).to_have_count(0)
    assert page.request.get(live_server + "/api/budgets", headers=user.headers).json() == []
    assert console_errors == []


def test_budget_left_leaves_out_unbudgeted_spending(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    # Coffee has no budget: its spending is shown apart and uses up none of Food's budget.
    user = register(page, live_server)
    set_budget(page, live_server, user, "Food", "100")
    add_expense(page, live_server, user, category="Food", amount="30")
    log_in(page, live_server, user)
    totals = page.get_by_role("region", name="Totals for the period")
    budget_card = totals.locator(".stat-budget")
    expect(budget_card).to_contain_text("$70.00")
    outside = budget_card.get_by_text("spent outside budgets")
    expect(outside).to_be_hidden()

    add_through_form(page, "Coffee", "20")
    expect(outside).to_have_text("$20.00 spent outside budgets")
    expect(budget_card).to_contain_text("$70.00")
    expect(totals).to_contain_text("$50.00")  # spent in all
    expect(budget_card).not_to_contain_text("$50.00")

    add_through_form(page, "Food", "80.50")
    expect(budget_card).to_contain_text("$10.50 over")
    expect(budget_card).to_have_attribute("data-status", "over")
    expect(outside).to_have_text("$20.00 spent outside budgets")
    assert console_errors == []


CHART_NAMES = ["Spending by category", "Spending trend", "Budget vs spent"]


def chart_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('canvas')].map(c => {
            const chart = Chart.getChart(c);
            return [c.getAttribute('aria-label'), {id: chart.id, type: chart.config.type,
                    labels: chart.data.labels, data: chart.data.datasets.map(d => d.data)}];
        }))"""
    )
    return state


def test_charts_are_named_drawn_from_the_api_and_updated_in_place(
    page: Page, live_server: str, console_errors: list[str], today: date
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, category="Food", amount="40")
    add_expense(page, live_server, user, category="Travel", amount="60")
    set_budget(page, live_server, user, "Food", "50")
    log_in(page, live_server, user)
    for name in CHART_NAMES:
        expect(page.get_by_role("img", name=name)).to_be_visible()
    # Each chart's numbers are also a table, behind a disclosure.
    for name in CHART_NAMES:
        page.get_by_text(f"{name}: the numbers").click()
    by_category = page.get_by_role("table").filter(has_text="Category").first
    expect(by_category).to_contain_text("Travel$60.00")
    expect(page.get_by_role("table").filter(has_text="Remaining")).to_contain_text("Food$50.00$40.00$10.00")

    before = chart_state(page)
    assert sorted(before) == sorted(CHART_NAMES)
    assert before["Spending by category"]["type"] == "doughnut"
    assert before["Spending by category"]["labels"] == ["Travel", "Food"]
    assert before["Spending by category"]["data"] == [[60, 40]]
    assert before["Budget vs spent"]["data"] == [[50], [40]]
    trend = before["Spending trend"]
    assert trend["type"] == "bar"
    days_in_month = ((today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
    assert len(trend["labels"]) == days_in_month
    assert sum(trend["data"][0]) == 100

    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("25")
    page.get_by_role("button", name="Add expense").click()
    expect(by_category).to_contain_text("Food$65.00")
    # The summary (budget vs spent) is a separate request: wait for it too before reading the charts.
    expect(page.get_by_role("table").filter(has_text="Remaining")).to_contain_text("Food$50.00$65.00")
    after = chart_state(page)
    assert after["Spending by category"]["data"] == [[65, 60]]
    assert after["Budget vs spent"]["data"] == [[50], [65]]
    # The same three Chart.js instances, updated rather than rebuilt.
    assert {k: v["id"] for k, v in after.items()} == {k: v["id"] for k, v in before.items()}
    assert page.evaluate("Object.keys(Chart.instances).length") == 3

    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.get_by_text(re.compile(r"^By day, week of"))).to_be_visible()
    assert len(chart_state(page)["Spending trend"]["labels"]) == 7
    page.get_by_role("button", name="Previous").click()
    expect(page.get_by_text("No expenses this week. Add one above.")).to_be_visible()
    expect(page.get_by_text("Nothing spent in this period.")).to_be_visible()
    assert page.evaluate("Object.keys(Chart.instances).length") == 3
    assert expense_rows(page).count() == 0
    assert console_errors == []
