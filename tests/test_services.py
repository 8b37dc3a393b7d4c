"""app/services holds the business rules as plain functions: nothing there, nor anything it imports
from the app, knows of FastAPI (or Starlette under it). Services take plain values and raise
app.errors' AppError; HTTP is the routers' business."""

import ast
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.config import PROJECT_ROOT
from app.services import lock_ledger
from tests.factories import add_expense, register

WEB = ("fastapi", "starlette")


def _module_file(name: str) -> Path | None:
    base = PROJECT_ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(file: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            # `from app.services import totals` imports the module app.services.totals
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def web_imports(module: str) -> dict[str, str]:
    """Every module of the app that `module` reaches through imports, and which of them imports
    FastAPI or Starlette (module -> what it imports)."""
    seen: set[str] = set()
    found: dict[str, str] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        file = _module_file(name)
        if name in seen or file is None:
            continue
        seen.add(name)
        for imported in _imports(file):
            if imported.split(".")[0] in WEB:
                found[name] = imported
            elif imported.startswith("app"):
                todo.append(imported)
    return found


def test_no_service_reaches_fastapi_through_its_imports() -> None:
    services = sorted((PROJECT_ROOT / "app" / "services").glob("*.py"))
    assert len(services) > 10
    for file in services:
        module = "app.services" + ("" if file.stem == "__init__" else f".{file.stem}")
        assert web_imports(module) == {}, module


def test_the_check_sees_an_import_through_another_module() -> None:
    assert web_imports("app.auth") != {}  # app.auth imports fastapi itself
    assert "app.auth" in web_imports("app.routers.expenses")  # reached through app.auth


def test_lock_ledger_stamps_a_new_version_and_gives_the_members_roles(
    client: TestClient, engine: Engine
) -> None:
    owner = register(client)
    ledger = add_expense(client, owner)["ledger_id"]

    def version(ledger_id: int) -> int:
        with engine.connect() as conn:
            found = conn.scalar(text("SELECT version FROM ledgers WHERE id = :id"), {"id": ledger_id})
            return int(found)

    before = version(ledger)
    with Session(engine) as session:
        assert lock_ledger(session, ledger) == {1: "owner"}
        session.commit()
    assert version(ledger) > before
    with Session(engine) as session:
        assert lock_ledger(session, 999) == {}  # no such ledger: no members
