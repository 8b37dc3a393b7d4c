"""The page and its files (app.assets): versioned addresses cached for a year, the page revalidated
each time, the old addresses still answering, and gzip for what is worth compressing."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.assets import IMMUTABLE, SHELL, STATIC_DIR, STATIC_VERSION, static_imports, static_version
from tests.factories import add_expense, register

BASE = f"/s/{STATIC_VERSION}/"
GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}


def test_the_page_is_revalidated_and_names_the_current_version(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-cache"
    assert f'<meta name="static-version" content="{STATIC_VERSION}">' in page.text
    assert "/s/_/" not in page.text
    addresses = re.findall(r'(?:src|href)="(/[^"]*)"', page.text)
    assert f"{BASE}js/main.js" in addresses
    assert f"{BASE}css/app.css" in addresses
    assert all(address.startswith(BASE) for address in addresses)
    for address in addresses:
        answer = client.get(address)
        assert answer.status_code == 200, address
        assert answer.headers["cache-control"] == IMMUTABLE
    assert client.get("/index.html").text == page.text
    # The same release: 304, nothing sent again.
    again = client.get("/", headers={"If-None-Match": page.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_every_file_is_served_under_the_version_for_a_year(client: TestClient) -> None:
    for file in sorted(p for p in STATIC_DIR.rglob("*") if p.is_file()):
        name = file.relative_to(STATIC_DIR).as_posix()
        answer = client.get(BASE + name)
        assert answer.status_code == 200, name
        assert answer.headers["cache-control"] == IMMUTABLE
        assert answer.content == file.read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/s/000000000000/js/main.js",  # another release's
        "/s/js/main.js",
        f"/s/{STATIC_VERSION}",
        f"/s/{STATIC_VERSION}/",
        f"/s/{STATIC_VERSION}/js/nothing.js",
        f"/s/{STATIC_VERSION}/..%2Fmain.py",  # app/main.py, beside app/static
        f"/s/{STATIC_VERSION}/js/..%2F..%2F..%2Fapp%2Fmain.py",
        f"/s/{STATIC_VERSION}/%2e%2e/%2e%2e/pyproject.toml",
        "/..%2Fmain.py",
        "/js/..%2F..%2Fconfig.py",
    ],
)
def test_an_unknown_version_or_a_path_outside_the_files_is_not_found(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "Not Found"}
    assert "immutable" not in answer.headers.get("cache-control", "")


def test_the_old_addresses_still_answer_revalidated(client: TestClient) -> None:
    for path in ("/js/main.js", "/css/app.css", "/vendor/chartjs/chart.umd.js", "/sw.js", "/favicon.svg"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-cache"
        again = client.get(path, headers={"If-None-Match": answer.headers["etag"]})
        assert again.status_code == 304, path
        assert again.content == b""


def test_the_service_worker_keeps_its_root_address_whatever_its_query(client: TestClient) -> None:
    # The page registers /sw.js?v=<version>: a new release is a new script address to the browser.
    answer = client.get(f"/sw.js?v={STATIC_VERSION}")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-cache"
    assert "javascript" in answer.headers["content-type"]
    assert answer.content == (STATIC_DIR / "sw.js").read_bytes()


def test_the_shell_lists_this_versions_page_files(client: TestClient) -> None:
    answer = client.get(BASE + "shell.json")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == IMMUTABLE
    assert answer.json() == {"version": STATIC_VERSION, "files": list(SHELL)}
    assert SHELL[0] == "/"
    assert {BASE + "js/main.js", BASE + "css/app.css", BASE + "vendor/chartjs/chart.umd.js"} <= set(SHELL)
    assert not [f for f in SHELL if re.search(r"sw\.js|docs|swagger|LICENSE|VERSION|index\.html", f)]
    assert client.get("/s/000000000000/shell.json").status_code == 404


def test_the_version_changes_with_any_file(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.js").write_text("one")
    (tmp_path / "b.css").write_text("two")
    first = static_version(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{12}", first)
    assert static_version(tmp_path) == first
    (tmp_path / "js" / "a.js").write_text("one!")
    assert static_version(tmp_path) != first
    (tmp_path / "js" / "a.js").write_text("one")
    assert static_version(tmp_path) == first
    (tmp_path / "js" / "a.js").rename(tmp_path / "js" / "c.js")  # same bytes, another name
    assert static_version(tmp_path) != first


@pytest.mark.parametrize(
    "path", ["/", f"{BASE}js/main.js", f"{BASE}css/app.css", f"{BASE}vendor/chartjs/chart.umd.js"]
)
def test_the_page_and_its_files_travel_gzipped(client: TestClient, path: str) -> None:
    plain = client.get(path, headers=IDENTITY)
    assert "content-encoding" not in plain.headers
    zipped = client.get(path, headers=GZIP)
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert zipped.content == plain.content  # decoded by the client
    assert zipped.num_bytes_downloaded < len(plain.content) * 0.6  # what came over the wire


def test_json_answers_travel_gzipped_and_still_revalidate(client: TestClient) -> None:
    headers = register(client)
    for n in range(20):
        add_expense(client, headers, description=f"Lunch number {n}")
    listed = client.get("/api/expenses", headers={**headers, **GZIP})
    assert listed.status_code == 200
    assert listed.headers["content-encoding"] == "gzip"
    assert len(listed.json()["items"]) == 20
    again = client.get("/api/expenses", headers={**headers, **GZIP, "If-None-Match": listed.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == listed.headers["etag"]
    # Compressed or not, one answer has one tag.
    plain = client.get("/api/expenses", headers={**headers, **IDENTITY})
    assert "content-encoding" not in plain.headers
    assert plain.headers["etag"] == listed.headers["etag"]


def test_the_csv_export_streams_uncompressed(client: TestClient) -> None:
    headers = register(client)
    for n in range(30):
        add_expense(client, headers, description=f"Coffee {n}")
    answer = client.get("/api/expenses/export.csv", headers={**headers, **GZIP})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "content-encoding" not in answer.headers
    assert answer.text.count("Coffee ") == 30


def test_a_range_of_a_file_is_sent_as_is(client: TestClient) -> None:
    path = f"{BASE}vendor/chartjs/chart.umd.js"
    whole = (STATIC_DIR / "vendor/chartjs/chart.umd.js").read_bytes()
    part = client.get(path, headers={**GZIP, "Range": "bytes=100-199"})
    assert part.status_code == 206
    assert "content-encoding" not in part.headers
    assert part.headers["content-range"] == f"bytes 100-199/{len(whole)}"
    assert part.content == whole[100:200]
    head = client.head(path, headers=GZIP)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(whole))
    assert head.headers["cache-control"] == IMMUTABLE


def test_the_page_preloads_what_main_js_imports_and_nothing_it_loads_later(client: TestClient) -> None:
    page = client.get("/").text
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    assert f"{BASE}js/main.js" in preloaded
    assert {f"{BASE}js/views/auth.js", f"{BASE}js/forms.js", f"{BASE}js/api.js"} <= set(preloaded)
    assert not [p for p in preloaded if re.search(r"views/(charts|expenses|budgets|add)\.js|chart\.umd", p)]
    assert len(preloaded) == len(set(preloaded))


def test_the_page_names_the_dashboards_files_for_later(client: TestClient) -> None:
    page = client.get("/").text
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page)
    parts = []
    for meta in ("dashboard-modules", "dashboard-more-modules"):
        named = re.search(rf'<meta name="{meta}" content="([^"]*)">', page)
        assert named is not None
        parts.append(named.group(1).split(" "))
    first, more = parts
    # Every view's file, however deep it is imported (expenses.js -> pending.js), none of what the
    # page preloads nor of the first part, each once, each served.
    deep = ("dashboard", "views/expenses", "views/pending")
    assert {f"{BASE}js/{name}.js" for name in deep} <= set(first)
    # The other screens' views, which the phone's list screen is shown without, with the files of
    # the form they share with the list's Edit (add.js -> expense-form.js -> currency-field.js).
    others = ["dashboard-more", "views/add", "views/budgets", "views/charts", "views/recurring"]
    others += ["views/expense-form", "views/currency-field"]
    assert {f"{BASE}js/{name}.js" for name in others} <= set(more)
    later = r"views/(add|budgets|charts|recurring|balances|expense-form)\.js"
    assert not [n for n in first if re.search(later, n)]
    # Dialogs come when first opened (import()), named in neither part.
    dialogs = ("views/categories", "views/ledger-settings")
    assert not {f"{BASE}js/{name}.js" for name in dialogs} & (set(first) | set(more) | set(preloaded))
    assert not set(first) & set(preloaded)
    assert not set(more) & (set(preloaded) | set(first))
    assert len(first) == len(set(first))
    assert len(more) == len(set(more))
    assert all(client.get(address).status_code == 200 for address in first + more)


def test_static_imports_follow_every_kind_of_static_import_only(tmp_path: Path) -> None:
    (tmp_path / "js" / "views").mkdir(parents=True)
    (tmp_path / "js" / "main.js").write_text(
        'import { a } from "./a.js";\nimport "./side.js";\nimport {\n  b,\n} from "./views/b.js";\n'
        'const later = () => import("./views/lazy.js");\n'
    )
    (tmp_path / "js" / "a.js").write_text('import { main } from "./main.js"; // a cycle\n')
    (tmp_path / "js" / "side.js").write_text("")
    (tmp_path / "js" / "views" / "b.js").write_text('export { c } from "../c.js";\n')
    (tmp_path / "js" / "c.js").write_text("")
    (tmp_path / "js" / "views" / "lazy.js").write_text("")
    found = static_imports("js/main.js", tmp_path)
    assert sorted(found) == ["js/a.js", "js/c.js", "js/main.js", "js/side.js", "js/views/b.js"]
