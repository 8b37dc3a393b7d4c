"""The page revalidates with the server's ETags by itself: the browser sends If-None-Match, the
server answers 304, and the page shows the copy the browser kept (app.revalidation)."""

import logging
import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, expense_rows, log_in, register


def test_a_reload_is_answered_304_and_the_page_shows_the_same(
    page: Page, live_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Kept by the browser")
    log_in(page, live_server, user)
    expect(expense_rows(page).filter(has_text="Kept by the browser")).to_have_count(1)
    with caplog.at_level(logging.INFO, logger="app.access"):
        caplog.clear()
        page.reload()
        expect(expense_rows(page).filter(has_text="Kept by the browser")).to_have_count(1)
        expect(page.get_by_role("region", name="Totals for the period")).to_contain_text("$12.50")

        def not_modified() -> set[str]:
            answered = [record.getMessage().split()[:3] for record in caplog.records]
            return {path.split("?")[0] for method, path, status in answered if status == "304"}

        # The access log's line is written once the answer is sent, which may be just after the
        # page has shown it.
        deadline = time.monotonic() + 5
        while not {"/api/expenses", "/api/summary"} <= not_modified() and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert {"/api/expenses", "/api/summary"} <= not_modified(), [r.getMessage() for r in caplog.records]
