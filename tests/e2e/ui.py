"""Helpers for the browser tests of the web UI: set up through the API, act through the page."""

from datetime import date, timedelta
from itertools import count
from typing import Any

from playwright.sync_api import Page, expect

from app.main import app
from app.routers import current_date
from tests.factories import PASSWORD

_numbers = count(1)


class User:
    def __init__(self, email: str, token: str) -> None:
        self.email = email
        self.headers = {"Authorization": f"Bearer {token}"}


def register(page: Page, base: str, email: str | None = None, **extra: Any) -> User:
    """Create an account through the API (fast), not through the form."""
    email = email or f"ui{next(_numbers)}@example.com"
    response = page.request.post(
        base + "/api/auth/register", data={"email": email, "password": PASSWORD, **extra}
    )
    assert response.status == 201, response.text()
    return User(email, response.json()["access_token"])


def app_date() -> date:
    """The app's date: the one the e2e conftest fixed for this test."""
    day: date = app.dependency_overrides.get(current_date, date.today)()
    return day


def add_expense(page: Page, base: str, user: User, **fields: Any) -> dict[str, Any]:
    body = {
        "date": app_date().isoformat(),
        "category": "Food",
        "amount": "12.50",
        "description": "",
        **fields,
    }
    response = page.request.post(base + "/api/expenses", data=body, headers=user.headers)
    assert response.status == 201, response.text()
    expense: dict[str, Any] = response.json()
    return expense


def set_budget(page: Page, base: str, user: User, category: str, amount: str) -> None:
    response = page.request.post(
        base + "/api/budgets", data={"category": category, "amount": amount}, headers=user.headers
    )
    assert response.status in (200, 201), response.text()


def log_in(page: Page, base: str, user: User, path: str = "/") -> None:
    page.goto(base + path)
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # The desktop's add form, or the phone's bottom navigation with its Add (the form is a sheet there).
    add = page.get_by_role("button", name="Add expense").or_(page.get_by_role("link", name="Add expense"))
    expect(add).to_be_visible()


def show_screen(page: Page, name: str) -> None:
    """On the phone, go to a screen with the bottom navigation; the desktop shows every screen at once."""
    if not page.evaluate("matchMedia('(max-width: 699.98px)').matches"):  # app/static/js/screens.js
        return
    link = page.get_by_role("navigation", name="Screens").get_by_role("link", name=name, exact=True)
    link.click()
    expect(link).to_have_attribute("aria-current", "page")


def expense_rows(page: Page) -> Any:
    return page.get_by_role("list", name="Expenses").get_by_role("listitem")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def month_label(day: date) -> str:
    return day.strftime("%B %Y")


def week_label(day: date) -> str:
    start = monday(day)
    return f"Week of {start.day} {start.strftime('%b %Y')}"


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def api_errors(errors: list[str], *statuses: int) -> list[str]:
    """Console errors other than the browser's log of the API answers a test provoked on purpose."""
    expected = [f"status of {status}" for status in statuses]
    return [
        e for e in errors if not (e.startswith("Failed to load resource") and any(s in e for s in expected))
    ]


def until(page: Page, expression: str, timeout_ms: int = 10_000) -> None:
    """Wait until `expression` (a value, or a promise of one) is truthy in the page. Polled with
    page.evaluate, which the page's Content-Security-Policy allows (wait_for_function's polling evals)."""
    deadline = page.evaluate("Date.now()") + timeout_ms
    while not page.evaluate(expression):
        assert page.evaluate("Date.now()") < deadline, f"still false after {timeout_ms} ms: {expression}"
        page.wait_for_timeout(100)


def controlled(page: Page) -> None:
    """Wait until the service worker (sw.js) controls the page."""
    until(page, "navigator.serviceWorker.controller !== null")
