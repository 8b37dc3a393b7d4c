"""The Admin page, and the pages invitation and reset links open, in Chromium."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from app.config import settings
from tests.e2e.ui import add_expense, api_errors, log_in, register
from tests.factories import PASSWORD
from tests.smtp import Inbox


@pytest.fixture
def context(context: BrowserContext, live_server: str) -> BrowserContext:
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    return context


@pytest.fixture
def closed_registration() -> Iterator[None]:
    settings.allow_registration = False
    yield
    settings.allow_registration = True


def account(page: Page, email: str) -> Locator:
    return page.get_by_role("list", name="Accounts").get_by_role("listitem", name=email)


def test_admin_page_manages_accounts(page: Page, live_server: str, console_errors: list[str]) -> None:
    admin = register(page, live_server, "boss@example.com")
    user = register(page, live_server, "worker@example.com", display_name="Worker")
    add_expense(page, live_server, user, description="private lunch")
    add_expense(page, live_server, user)
    log_in(page, live_server, admin)

    page.get_by_role("link", name="Admin").click()
    expect(page.get_by_role("heading", name="Admin", level=1)).to_be_visible()
    expect(page.get_by_text("2 accounts")).to_be_visible()
    worker = account(page, "worker@example.com")
    expect(worker).to_contain_text("Worker")
    expect(worker).to_contain_text("2 expenses")
    expect(page.get_by_text("private lunch")).to_have_count(0)

    worker.get_by_role("button", name="Disable").click()
    expect(worker.get_by_text("Disabled", exact=True)).to_be_visible()
    assert page.request.get(live_server + "/api/me", headers=user.headers).status == 401
    worker.get_by_role("button", name="Enable").click()
    expect(worker.get_by_text("Disabled", exact=True)).to_have_count(0)

    worker.get_by_role("button", name="Make admin").click()
    expect(worker.get_by_text("Admin", exact=True)).to_be_visible()
    worker.get_by_role("button", name="Remove admin").click()
    expect(worker.get_by_text("Admin", exact=True)).to_have_count(0)

    # The last admin is protected, and the page says why.
    account(page, "boss@example.com").get_by_role("button", name="Remove admin").click()
    expect(page.get_by_text("This is the last admin of this instance")).to_be_visible()

    worker.get_by_role("button", name="Reset link").click()
    url = page.get_by_role("textbox", name="Reset link for worker@example.com").input_value()
    assert url.startswith(live_server + "/#/reset/")
    page.get_by_role("button", name="Copy Reset link for worker@example.com").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == url

    page.get_by_role("button", name="Create invitation link").click()
    invite = page.get_by_role("textbox", name="Invitation link").input_value()
    assert invite.startswith(live_server + "/#/invite/")

    for width in (360, 1280):  # long emails and links wrap or scroll inside their box, never the page
        page.set_viewport_size({"width": width, "height": 800})
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), width

    worker.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("alertdialog", name="Delete worker@example.com?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(worker).to_be_visible()
    worker.get_by_role("button", name="Delete").click()
    confirm.get_by_role("button", name="Delete account").click()
    expect(page.get_by_text("1 account", exact=True)).to_be_visible()
    expect(worker).to_have_count(0)

    page.get_by_role("link", name="Back to dashboard").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert api_errors(console_errors, 409) == []


def test_no_admin_link_or_page_for_others(page: Page, live_server: str, console_errors: list[str]) -> None:
    register(page, live_server)
    user = register(page, live_server)
    log_in(page, live_server, user)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    page.goto(live_server + "/#/admin")
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    expect(page.get_by_role("heading", name="Admin")).to_have_count(0)
    assert console_errors == []


def test_reset_link_page_sets_a_new_password(page: Page, live_server: str, console_errors: list[str]) -> None:
    admin = register(page, live_server)
    user = register(page, live_server, "forgot@example.com")
    user_id = page.request.get(live_server + "/api/me", headers=user.headers).json()["id"]
    link = page.request.post(
        f"{live_server}/api/admin/users/{user_id}/reset-link", headers=admin.headers
    ).json()

    page.goto(link["url"])
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Use at least 8 characters for your new password.")).to_be_visible()
    page.get_by_label("New password").fill("my fresh passphrase")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your new password is set. Log in with it.")).to_be_visible()
    page.get_by_label("Email").fill("forgot@example.com")
    page.get_by_label("Password").fill("my fresh passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()

    page.goto(link["url"])  # spent
    page.get_by_label("New password").fill("another passphrase")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("This reset link is not valid")).to_be_visible()
    page.get_by_role("button", name="Back to log in").click()  # still logged in from above
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert api_errors(console_errors, 403) == []


def test_invitation_link_registers_while_closed(
    page: Page, live_server: str, console_errors: list[str], closed_registration: None
) -> None:
    settings.allow_registration = True
    admin = register(page, live_server)
    settings.allow_registration = False
    page.goto(live_server + "/")
    page.get_by_label("Email").fill("walk-in@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Registration is closed on this instance.")).to_be_visible()

    link = page.request.post(live_server + "/api/admin/invitations", data={}, headers=admin.headers).json()
    page.goto(link["url"])
    expect(page.get_by_text("You have been invited")).to_be_visible()
    page.get_by_label("Email").fill("guest@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert api_errors(console_errors, 403) == []


def test_forgot_password_emails_a_link(
    page: Page, live_server: str, console_errors: list[str], inbox: Inbox
) -> None:
    settings.public_url = live_server  # the inbox fixture restores it
    register(page, live_server, "forgetful@example.com")
    page.goto(live_server + "/")
    page.get_by_label("Email").fill("forgetful@example.com")
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password?")).to_be_visible()
    page.get_by_role("button", name="Send reset link").click()
    expect(
        page.get_by_text("If an account uses forgetful@example.com, a reset link is on its way.")
    ).to_be_visible()
    page.get_by_role("button", name="Back to log in").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    body = inbox.wait_for(1)[0].get_payload(decode=True).decode()  # type: ignore[union-attr]
    link = re.search(r"http://\S+/#/reset/[A-Za-z0-9_-]+", body)
    assert link, body
    page.goto(link[0])
    page.get_by_label("New password").fill("remembered at last")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your new password is set. Log in with it.")).to_be_visible()
    assert console_errors == []


def test_no_forgot_link_without_smtp(page: Page, live_server: str, console_errors: list[str]) -> None:
    page.goto(live_server + "/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("button", name="Forgot password?")).to_have_count(0)
    assert console_errors == []
