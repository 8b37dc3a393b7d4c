"""The page and its files (app/static), served so a browser keeps each file as long as it can and
never mixes two releases.

Every file is served at /s/<STATIC_VERSION>/<path>, cached for a year: the version is a digest of
all of app/static, so a release that changes any file has new addresses, and the modules' relative
imports stay inside the version that loaded them. The page itself (index.html at /) is asked for
every time and names the current version. The old addresses (/js/main.js, /css/app.css) still
answer, revalidated every time: a page opened before a release, a bookmark, the API docs.
"""

import hashlib
import posixpath
import re
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from app.config import PROJECT_ROOT

STATIC_DIR = PROJECT_ROOT / "app" / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
# Kept, but asked about each time (a 304 when unchanged): what lives at a fixed address.
REVALIDATE = "no-cache"
# What index.html writes for the current version's address and for the version itself.
PLACEHOLDER = "/s/_/"
VERSION_META = '<meta name="static-version" content="_">'
# Not part of the page: the API docs' files, the service worker (at its own address, for its scope),
# and the licences and version notes beside vendored code.
NOT_SHELL = ("index.html", "sw.js", "docs.html", "js/docs-init.js", "vendor/swagger-ui/")
NOT_ASSETS = (".md", "LICENSE", "NOTICE", "VERSION")


def _files(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())


def static_version(directory: Path = STATIC_DIR) -> str:
    """A digest of every file's path and bytes: any change to any file is a new version."""
    digest = hashlib.sha256()
    for name in _files(directory):
        digest.update(name.encode() + b"\0")
        digest.update((directory / name).read_bytes() + b"\0")
    return digest.hexdigest()[:12]


STATIC_VERSION = static_version()
BASE = f"/s/{STATIC_VERSION}/"
# The app shell: what a service worker keeps so the page opens with no network, this version's.
SHELL: tuple[str, ...] = (
    "/",
    *(
        BASE + name
        for name in _files(STATIC_DIR)
        if not name.startswith(NOT_SHELL) and not name.endswith(NOT_ASSETS)
    ),
)


# A module's static imports (`import ... from "./x.js"`, `import "./x.js"`); import() is left to load later.
STATIC_IMPORT = re.compile(r'(?:\bfrom|^import)\s*"(\.{1,2}/[^"]+\.js)"', re.MULTILINE)
# The page's one module script, in index.html, which the page preloads with everything it imports.
ENTRY = "js/main.js"
ENTRY_PRELOAD = f'<link rel="modulepreload" href="{PLACEHOLDER}{ENTRY}">'
# The dashboard's modules, which main.js loads once logged in, each named by a meta of the page with
# the files it imports besides main.js's and those before it, for main.js to ask for all at once (the
# log-in page loads none of them): the list screen's views, then the other screens'.
DASHBOARD = {
    "js/dashboard.js": '<meta name="dashboard-modules" content="">',
    "js/dashboard-more.js": '<meta name="dashboard-more-modules" content="">',
}


def static_imports(entry: str, directory: Path = STATIC_DIR) -> list[str]:
    """`entry` and every module it imports statically, however deep, as paths under `directory`."""
    found: list[str] = []
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in found or not (directory / name).is_file():
            continue
        found.append(name)
        here = posixpath.dirname(name)
        source = (directory / name).read_text()
        todo += [posixpath.normpath(posixpath.join(here, path)) for path in STATIC_IMPORT.findall(source)]
    return found


def render_page() -> str:
    """index.html with the current version's addresses, a modulepreload link for each module main.js
    imports, and the files of the dashboard's modules named: the browser asks for them all at once,
    not one level of imports at a time."""
    page = (STATIC_DIR / "index.html").read_text()
    preloads = "\n  ".join(
        f'<link rel="modulepreload" href="{PLACEHOLDER}{name}">' for name in static_imports(ENTRY)
    )
    page = page.replace(ENTRY_PRELOAD, preloads)
    loaded = static_imports(ENTRY)
    for module, meta in DASHBOARD.items():
        later = [name for name in static_imports(module) if name not in loaded]
        loaded += later
        named = " ".join(PLACEHOLDER + name for name in later)
        page = page.replace(meta, meta.replace('content=""', f'content="{named}"'))
    return page.replace(PLACEHOLDER, BASE).replace(
        VERSION_META, VERSION_META.replace('"_"', f'"{STATIC_VERSION}"')
    )


class Files(StaticFiles):
    """StaticFiles that says how long a browser may keep what it serves."""

    def __init__(self, *, cache_control: str, **kwargs: Any) -> None:
        super().__init__(directory=STATIC_DIR, **kwargs)
        self.cache_control = cache_control

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)  # a missing file raises a 404
        response.headers["Cache-Control"] = self.cache_control
        return response


class VersionedFiles(Files):
    """/s/<version>/<path>: the current version's files for a year; another version is not found
    (serving today's file under yesterday's address would mix releases)."""

    def __init__(self) -> None:
        super().__init__(cache_control=IMMUTABLE)

    async def get_response(self, path: str, scope: Scope) -> Response:
        version, _, rest = path.partition("/")
        if version != STATIC_VERSION or not rest:
            raise HTTPException(status_code=404)
        if rest == "shell.json":
            shell = {"version": STATIC_VERSION, "files": list(SHELL)}
            return JSONResponse(shell, headers={"Cache-Control": IMMUTABLE})
        return await super().get_response(rest, scope)
