from typing import Any

from playwright.sync_api import expect

from tests.factories import PASSWORD


def test_docs_render_offline_and_authorize_works(
    page: Any, live_server: str, console_errors: list[str]
) -> None:
    page.request.post(live_server + "/api/auth/register", data={"email": "docs@x.io", "password": PASSWORD})
    # Anything not served by the app itself would fail here: there is no network beyond loopback.
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    page.goto(live_server + "/docs")
    expect(page.get_by_role("heading", name="Expense Tracker")).to_be_visible()

    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")  # Swagger UI's dialog has no ARIA role
    dialog.get_by_label("username:").fill("docs@x.io")
    dialog.get_by_label("password:", exact=True).fill(PASSWORD)
    dialog.locator("button.authorize").click()
    expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
    dialog.locator("button.btn-done").click()

    operation = page.locator("#operations-auth-read_me")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text("200")
    expect(operation.locator(".live-responses-table")).to_contain_text("docs@x.io")
    assert outside == []
    assert console_errors == []
