"""Change password and delete account: the calls that confirm with a password."""

from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, api_errors, log_in, register
from tests.factories import PASSWORD


def test_change_password(page: Page, live_server: str, console_errors: list[str]) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    dialog.get_by_label("Current password").fill("not my password")
    dialog.get_by_label("New password").fill("a brand new passphrase")
    dialog.get_by_role("button", name="Change password").click()
    expect(dialog.get_by_text("That is not your current password.")).to_be_visible()

    dialog.get_by_label("Current password").fill(PASSWORD)
    dialog.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    # Still signed in here with a fresh token: the dashboard keeps working.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("No expenses this month. Add one above.")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("a brand new passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Add expense")).to_be_visible()
    assert page.request.get(live_server + "/api/me", headers=user.headers).status == 401
    assert api_errors(console_errors, 403) == []


def test_delete_account_asks_for_the_password(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user)
    log_in(page, live_server, user)
    page.get_by_role("button", name="Settings").click()
    page.get_by_role("dialog", name="Settings").get_by_role("button", name="Delete account").click()
    confirm = page.get_by_role("alertdialog", name="Delete your account?")
    confirm.get_by_label("Password").fill("wrong password")
    confirm.get_by_role("button", name="Delete account").click()
    expect(confirm.get_by_text("That password is not right.")).to_be_visible()
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert page.request.get(live_server + "/api/me", headers=user.headers).status == 200

    page.get_by_role("button", name="Settings").click()
    page.get_by_role("dialog", name="Settings").get_by_role("button", name="Delete account").click()
    confirm.get_by_label("Password").fill(PASSWORD)
    confirm.get_by_role("button", name="Delete account").click()
    expect(page.get_by_text("Your account and all its data have been deleted.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    login = page.request.post(
        live_server + "/api/auth/login", data={"email": user.email, "password": PASSWORD}
    )
    assert login.status == 401
    assert api_errors(console_errors, 403) == []
