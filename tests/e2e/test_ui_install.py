"""Installable, as Chromium itself judges it (issue 27): the dashboard's manifest parses without a
complaint and Page.getInstallabilityErrors names nothing but `in-incognito`, which a Playwright context
(never persistent) always reports."""

import json

from playwright.sync_api import Page, expect

from tests.e2e.ui import controlled, log_in, register


def test_chromium_finds_the_dashboard_installable(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    controlled(page)
    cdp = page.context.new_cdp_session(page)

    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].startswith(live_server)
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    served = json.loads(manifest["data"])
    assert served["display"] == "standalone"
    assert served["shortcuts"][0]["url"] == "/#/add"

    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [error["errorId"] for error in errors] in ([], ["in-incognito"])


def test_the_add_expense_shortcut_opens_the_add_form(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/#/add")  # the manifest's shortcut
    expect(page.get_by_role("heading", name="Add an expense")).to_be_visible()
    expect(page.get_by_label("Amount")).to_be_focused()
