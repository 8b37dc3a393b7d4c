"""Phones without sideways scrolling, an axe-core scan, light and dark themes."""

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, log_in, register, set_budget, show_screen


def seed(page: Page, base: str) -> Any:
    user = register(page, base, display_name="A person with quite a long display name")
    long_word = "Supercalifragilisticexpialidocious" * 3
    add_expense(
        page,
        base,
        user,
        category="Groceries and household supplies",
        amount="123456.78",
        description=f"A long description that has to wrap on a phone {long_word}",
    )
    add_expense(page, base, user, category="Food", amount="8.40", description="Lunch")
    set_budget(page, base, user, "Food", "5")
    set_budget(page, base, user, "Groceries and household supplies", "1000000")
    return user


def no_sideways_scroll(page: Page) -> bool:
    result: bool = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return result


@pytest.mark.parametrize("width", [360, 390])
def test_phone_widths_do_not_scroll_sideways(
    page: Page, live_server: str, console_errors: list[str], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 800})
    user = seed(page, live_server)
    page.goto(live_server + "/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert no_sideways_scroll(page)
    log_in(page, live_server, user)
    assert no_sideways_scroll(page)
    show_screen(page, "Budgets")  # a phone shows one screen at a time
    expect(page.get_by_role("progressbar", name="Food")).to_have_attribute("data-status", "over")
    assert no_sideways_scroll(page)
    show_screen(page, "Charts")
    expect(page.get_by_role("img", name="Spending by category")).to_be_visible()
    assert no_sideways_scroll(page)
    show_screen(page, "Expenses")
    page.get_by_role("button", name="Edit", exact=True).first.click()
    expect(page.get_by_role("dialog", name="Edit expense")).to_be_visible()
    assert no_sideways_scroll(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Menu").click()  # the phone's header actions are behind Menu
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    assert no_sideways_scroll(page)
    assert console_errors == []


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_nothing_serious(
    page: Page, live_server: str, console_errors: list[str], scheme: str
) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    user = seed(page, live_server)
    page.goto(live_server + "/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert serious(page) == []
    log_in(page, live_server, user)
    expect(page.get_by_role("progressbar", name="Food")).to_be_visible()
    expect(page.get_by_role("img", name="Spending by category")).to_be_visible()
    page.wait_for_timeout(400)  # let the charts' short animation settle
    assert serious(page) == []
    page.get_by_role("button", name="Edit", exact=True).first.click()
    assert serious(page) == []
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_role("dialog", name="Settings")).to_be_visible()
    assert serious(page) == []
    assert console_errors == []


def test_theme_toggle_persists_over_the_system_choice(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    page.emulate_media(color_scheme="light")
    user = register(page, live_server)
    log_in(page, live_server, user)
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark_bg != light_bg
    page.reload()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark_bg
    assert console_errors == []
