"""A new release replaces the page's copy whole (issue 27): after a deploy the service worker of the
new version (sw.js?v=<version>) keeps the new version's shell, deletes the old one's, and the page,
online and then offline, runs on the new version's files only: never a mix of two releases.

The deploy is made in this process: the server starts answering with another copy of app/static
(a marker added to one file, so a new version, app/assets.py) as a restart after an upgrade would."""

import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from app import main
from tests.e2e.ui import add_expense, controlled, expense_rows, log_in, register, until

assets: Any = pytest.importorskip("app.assets")  # the versioned files (branch `fast`)

MARKER = 'document.documentElement.dataset.release = "second";\n'


def deploy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Serve a second release of app/static; returns its version."""
    release = tmp_path / "static"
    shutil.copytree(assets.STATIC_DIR, release)
    with (release / "js" / "theme-boot.js").open("a") as boot:
        boot.write(MARKER)
    old, new = assets.STATIC_VERSION, assets.static_version(release)
    assert new != old
    monkeypatch.setattr(assets, "STATIC_VERSION", new)
    monkeypatch.setattr(assets, "BASE", f"/s/{new}/")
    shell = tuple(url.replace(f"/s/{old}/", f"/s/{new}/") for url in assets.SHELL)
    monkeypatch.setattr(assets, "SHELL", shell)
    monkeypatch.setattr(main, "PAGE", vars(main)["PAGE"].replace(old, new))  # app.main of branch fast
    monkeypatch.setattr(main, "PAGE_TAG", f'"{new}"')
    for route in main.app.router.routes:
        files = getattr(route, "app", None)
        if isinstance(files, assets.Files):
            monkeypatch.setattr(files, "directory", release)
            monkeypatch.setattr(files, "all_directories", [release])
    return str(new)


def shell_caches(page: Page) -> list[str]:
    names: list[str] = page.evaluate("caches.keys()")
    return sorted(name for name in names if name.startswith("expense-tracker-shell-"))


def versions(urls: list[str]) -> set[str]:
    """The versions of the versioned files among `urls`."""
    return {url.split("/s/")[1].split("/")[0] for url in urls if "/s/" in url}


def test_a_new_release_replaces_the_shell_whole_online_and_offline(
    page: Page, context: BrowserContext, live_server: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    user = register(page, live_server)
    add_expense(page, live_server, user, description="Before the upgrade")
    log_in(page, live_server, user)
    first = assets.STATIC_VERSION
    controlled(page)
    until(page, f"caches.has('expense-tracker-shell-{first}')")
    until(page, "typeof window.Chart === 'function'")  # the first page done loading: Chart.js comes last

    asked: list[str] = []  # what the page asks for, whoever answers it (the worker or the server)
    page.on("request", lambda request: asked.append(request.url))
    second = deploy(monkeypatch, tmp_path)
    page.reload()
    expect(expense_rows(page)).to_contain_text(["Before the upgrade"])
    until(page, f"navigator.serviceWorker.controller?.scriptURL.endsWith('/sw.js?v={second}')")
    until(page, f"caches.keys().then((names) => !names.includes('expense-tracker-shell-{first}'))")
    assert shell_caches(page) == [f"expense-tracker-shell-{second}"]
    assert page.evaluate("document.documentElement.dataset.release") == "second"
    assert versions(asked) == {second}

    asked.clear()
    context.set_offline(True)
    page.reload()  # from the worker's copy: the new release's page and every one of its files
    expect(expense_rows(page)).to_contain_text(["Before the upgrade"])
    expect(page.get_by_role("status").filter(has_text="Offline - showing what was saved at")).to_be_visible()
    assert page.evaluate("document.querySelector('meta[name=static-version]').content") == second
    assert page.evaluate("document.documentElement.dataset.release") == "second"
    assert versions(asked) == {second}
    assert any(url.endswith("/js/main.js") for url in asked)
    context.set_offline(False)
