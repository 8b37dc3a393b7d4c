"""Log in, create an account, stay signed in, log out, and a dead session: log in again over the
dashboard (nothing typed is lost), or log out to the log-in screen."""

import re

from jose import jwt
from playwright.sync_api import Page, expect

from tests.e2e.test_ui_layout import serious
from tests.e2e.ui import api_errors, expense_rows, log_in, register
from tests.factories import PASSWORD


def session_days(page: Page) -> float:
    """How long the page's session lasts unused, from its token's claims."""
    token = page.evaluate("localStorage.getItem('expense-tracker.token')")
    claims = jwt.get_unverified_claims(token)
    return float(claims["exp"] - claims["iat"]) / 86400


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
    # One session for every tab of the page (localStorage), the default 30 days long.
    assert page.evaluate("sessionStorage.length") == 0
    assert page.evaluate("localStorage.getItem('expense-tracker.keep')") == "false"
    assert session_days(page) == 30
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
    assert page.evaluate("localStorage.getItem('expense-tracker.keep')") == "true"
    assert page.evaluate("sessionStorage.length") == 0
    assert session_days(page) == 90

    page.reload()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert api_errors(console_errors, 401) == []


def test_log_out_returns_to_the_log_in_form(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    token = page.evaluate("localStorage.getItem('expense-tracker.token')")
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


def spoil_the_token(page: Page) -> None:
    """The token goes bad (expired, or signed with another key): the next call answers 401."""
    page.evaluate(
        "for (const s of [sessionStorage, localStorage])"
        " for (const k of Object.keys(s)) s.setItem(k, 'x.y.z')"
    )


def test_an_expired_session_asks_to_log_in_again_and_keeps_what_was_typed(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.get_by_label("Category", exact=True).fill("Food")
    page.get_by_label("Amount").fill("4.20")
    page.get_by_label("Description").fill("Typed before the session ended")
    spoil_the_token(page)
    page.get_by_role("button", name="Add expense").click()
    again = page.get_by_role("dialog", name="Log in again")
    expect(again).to_contain_text("Your session has ended.")
    expect(again.get_by_label("Email")).to_have_value(user.email)
    assert serious(page) == []
    again.get_by_label("Password").fill(PASSWORD)
    again.get_by_role("button", name="Log in").click()
    expect(again).to_be_hidden()
    # The dashboard stayed, with what was typed: saving it again works.
    expect(page.get_by_label("Amount")).to_have_value("4.20")
    expect(page.get_by_label("Description")).to_have_value("Typed before the session ended")
    page.get_by_role("button", name="Add expense").click()
    expect(expense_rows(page)).to_have_count(1)
    expect(expense_rows(page)).to_contain_text("Typed before the session ended")
    assert api_errors(console_errors, 401) == []


def test_an_expired_session_returns_to_log_in_with_a_message_on_log_out(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    spoil_the_token(page)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("dialog", name="Log in again").get_by_role("button", name="Log out").click()
    expect(page.get_by_text("Your session has ended. Please log in again.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert page.evaluate("sessionStorage.length + localStorage.length") == 0
    # Logging in again lands on the period the address names.
    assert re.search(r"#/month/\d{4}-\d{2}$", page.url)
    assert api_errors(console_errors, 401) == []
