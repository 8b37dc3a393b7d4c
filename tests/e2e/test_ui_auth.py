"""Log in, create an account, stay signed in, log out, and a dead session returning to log-in."""

import re

from playwright.sync_api import Page, expect

from tests.e2e.ui import api_errors, log_in, register
from tests.factories import PASSWORD


def test_create_account_with_errors_next_to_the_fields(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    register(page, live_server, email="taken@example.com")
    page.goto(live_server + "/")
    expect(page.get_by_role("heading", name="Expense Tracker")).to_be_visible()
    email, password = page.get_by_label("Email"), page.get_by_label("Password")

    email.fill("new@example.com")
    password.fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Use at least 8 characters for your password.")).to_be_visible()
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_value("new@example.com")

    email.fill("taken@example.com")
    password.fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("An account with this email already exists")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_value(PASSWORD)

    email.fill("new@example.com")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("new@example.com")
    # A session token by default: nothing kept beyond this tab.
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("sessionStorage.length") == 1
    assert api_errors(console_errors, 409) == []


def test_wrong_password_then_log_in_and_keep_me_signed_in(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    page.goto(live_server + "/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Invalid email or password")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(user.email)

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Keep me signed in").check()
    page.keyboard.press("Enter")  # Enter logs in: the first button is Log in
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert page.evaluate("localStorage.length") == 1
    assert page.evaluate("sessionStorage.length") == 0

    page.reload()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert api_errors(console_errors, 401) == []


def test_log_out_returns_to_the_log_in_form(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    token = page.evaluate("sessionStorage.getItem('expense-tracker.token')")
    me = live_server + "/api/me"
    assert page.request.get(me, headers={"Authorization": f"Bearer {token}"}).status == 200
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    # Ended on the server, not just forgotten: a copy of the token is refused. Other sessions go on.
    assert page.request.get(me, headers={"Authorization": f"Bearer {token}"}).status == 401
    assert page.request.get(me, headers=user.headers).status == 200
    page.reload()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert console_errors == []


def test_an_expired_session_returns_to_log_in_with_a_message(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    # The token goes bad (expired, or signed with another key): the next call answers 401.
    page.evaluate(
        "for (const s of [sessionStorage, localStorage])"
        " for (const k of Object.keys(s)) s.setItem(k, 'x.y.z')"
    )
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    # Logging in again lands on the period the address names.
    assert re.search(r"#/month/\d{4}-\d{2}$", page.url)
    assert api_errors(console_errors, 401) == []
