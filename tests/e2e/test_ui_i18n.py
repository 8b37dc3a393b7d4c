"""The page in the browser's language (German here), Intl formats, the language setting, week starts."""

import os
import re
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.ui import add_expense, expense_rows, log_in, register, set_budget
from tests.factories import PASSWORD

german = pytest.mark.browser_context_args(locale="de-DE")


def log_in_german(page: Page, base: str, email: str) -> None:
    page.goto(base + "/")
    page.get_by_label("E-Mail").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    # The desktop's add form, or the phone's bottom navigation with its Add.
    add = page.get_by_role("button", name="Ausgabe hinzufügen").or_(
        page.get_by_role("link", name=re.compile("^Hinzufügen"))
    )
    expect(add).to_be_visible()


@german
def test_a_german_browser_gets_the_page_in_german(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    page.request.patch(live_server + "/api/me", data={"currency": "EUR"}, headers=user.headers)
    add_expense(page, live_server, user, category="Miete", amount="1234.5", date="2026-11-16")
    page.goto(live_server + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("button", name="Konto erstellen")).to_be_visible()
    log_in_german(page, live_server, user.email)
    expect(page.get_by_role("heading", name="Ausgaben", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="November 2026")).to_be_visible()
    row = page.get_by_role("list", name="Ausgaben").get_by_role("listitem").first
    expect(row.locator(".expense-amount")).to_have_text("1.234,50 €")
    expect(row.locator(".expense-date")).to_have_text("Mo., 16. Nov.")
    expect(page.get_by_role("region", name="Summen für den Zeitraum")).to_contain_text("1.234,50 €")
    expect(page.get_by_text("1 Ausgabe · 1.234,50 €")).to_be_visible()

    # A German amount, typed with a decimal comma and a thousands point, is saved exactly.
    form = page.get_by_role("form", name="Ausgabe hinzufügen")
    expect(form.get_by_label("Betrag")).to_have_attribute("placeholder", "0,00")
    form.get_by_label("Kategorie").fill("Kaffee")
    form.get_by_label("Betrag").fill("1.003,50")
    form.get_by_role("button", name="Ausgabe hinzufügen").click()
    expect(page.get_by_text("2 Ausgaben · 2.238,00 €")).to_be_visible()
    amounts = page.request.get(live_server + "/api/expenses", headers=user.headers).json()["items"]
    assert sorted(e["amount"] for e in amounts) == [1003.5, 1234.5]

    # Client-side validation speaks German too, with the locale's example.
    form.get_by_label("Kategorie").fill("Kaffee")
    form.get_by_label("Betrag").fill("3,505")
    form.get_by_role("button", name="Ausgabe hinzufügen").click()
    expect(form.get_by_text("höchstens zwei Nachkommastellen ein, z. B. 12,50.")).to_be_visible()
    assert console_errors == []


@german
def test_an_api_message_the_page_knows_is_shown_in_german(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    page.goto(live_server + "/")
    page.get_by_label("E-Mail").fill(user.email)
    page.get_by_label("Passwort").fill("not the password")
    page.get_by_role("button", name="Anmelden").click()
    # The API said "Invalid email or password"; the page says it in German.
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist falsch")).to_be_visible()


def test_the_settings_choice_switches_language_and_stays_after_a_reload(
    page: Page, live_server: str, console_errors: list[str]
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, amount="7.25", date="2026-11-16")
    log_in(page, live_server, user)
    expect(expense_rows(page).first.locator(".expense-amount")).to_have_text("$7.25")
    page.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog", name="Settings")
    expect(dialog.get_by_label("Language")).to_have_value("")  # Automatic: the browser's English
    dialog.get_by_label("Language").select_option(label="Français")
    dialog.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("button", name="Paramètres")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator(".expense-amount")).to_have_text("7,25 $")
    assert page.request.get(live_server + "/api/me", headers=user.headers).json()["language"] == "fr"

    page.reload()
    expect(page.get_by_role("heading", name="Dépenses", exact=True)).to_be_visible()
    expect(page.locator(".expense-date")).to_have_text("lun. 16 nov.")

    # Automatic again: the browser's English.
    page.get_by_role("button", name="Paramètres").click()
    dialog = page.get_by_role("dialog", name="Paramètres")
    dialog.get_by_label("Langue").select_option("")
    dialog.get_by_role("button", name="Enregistrer les paramètres").click()
    expect(page.get_by_role("button", name="Settings")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.request.get(live_server + "/api/me", headers=user.headers).json()["language"] is None
    assert console_errors == []


def test_the_language_follows_the_account_to_another_device(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    page.request.patch(live_server + "/api/me", data={"language": "es"}, headers=user.headers)
    page.goto(live_server + "/")  # a browser that never chose: English until the account says
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Ajustes")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "es")


@pytest.mark.browser_context_args(locale="en-US")
def test_an_american_week_starts_on_sunday(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user, path="/#/week/2026-11-18")  # a Wednesday
    expect(page.get_by_role("heading", name="Week of Nov 15, 2026")).to_be_visible()  # the Sunday before
    # This week (today is Monday 30 November) began the day before.
    expect(page.get_by_role("link", name="Today")).to_have_attribute("href", "#/week/2026-11-29")
    # The stats' week buckets start on the same day (week_start=sunday): 1 November 2026 is a Sunday.
    starts = page.evaluate(
        """async () => {
            const { api } = await import("/js/api.js");
            const stats = await api.stats("2026-11-01", "2026-11-30", "week");
            return stats.trend.map((point) => point.period_start);
        }"""
    )
    assert starts == ["2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22", "2026-11-29"]


def test_a_british_week_starts_on_monday(page: Page, live_server: str) -> None:
    user = register(page, live_server)
    log_in(page, live_server, user, path="/#/week/2026-11-18")
    expect(page.get_by_role("heading", name="Week of 16 Nov 2026")).to_be_visible()
    expect(page.get_by_role("link", name="Today")).to_have_attribute("href", "#/week/2026-11-30")


def seed_long(page: Page, base: str) -> str:
    user = register(page, base, display_name="Alexandra Müller-Lüdenscheidt")
    page.request.patch(base + "/api/me", data={"currency": "EUR"}, headers=user.headers)
    add_expense(
        page,
        base,
        user,
        category="Lebensmittel und Haushaltswaren",
        amount="123456.78",
        description="Wocheneinkauf",
    )
    add_expense(page, base, user, category="Essen", amount="8.40", description="Mittagessen")
    set_budget(page, base, user, "Essen", "5")
    set_budget(page, base, user, "Lebensmittel und Haushaltswaren", "1000000")
    return user.email


@german
@pytest.mark.parametrize(("width", "scheme"), [(390, "light"), (390, "dark"), (1280, "light")])
def test_german_dashboard_fits_and_is_photographed(
    page: Page, live_server: str, width: int, scheme: str
) -> None:
    page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
    page.set_viewport_size({"width": width, "height": 900})
    email = seed_long(page, live_server)
    log_in_german(page, live_server, email)
    expect(page.get_by_role("region", name="Summen für den Zeitraum")).to_contain_text("123.465,18 €")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    shots = Path(os.environ.get("SCREENSHOTS") or tempfile.gettempdir())
    page.screenshot(path=shots / f"dashboard-de-{width}-{scheme}.png", full_page=True)
    if width < 700:
        screens = page.get_by_role("navigation", name="Bildschirme")
        screens.get_by_role("link", name="Budgets", exact=True).click()
        expect(page.locator(".budgets-card")).to_contain_text("Lebensmittel und Haushaltswaren")
        assert page.evaluate(fits)
        page.screenshot(path=shots / f"budgets-de-{width}-{scheme}.png", full_page=True)
