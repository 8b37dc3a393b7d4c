"""A Python client generated from our OpenAPI document runs the README's tour against the real app.

openapi-python-client writes the client into a temp folder (no network: the schema is the app's
own), once per session; the tour then runs through it against the live server on loopback, on
whichever database the pass uses. A schema change that breaks generated clients fails here.
"""
# The client exists only once the fixture has generated it, so the tour imports it inside the test.
# ruff: noqa: PLC0415

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.main import app

PACKAGE = "expense_tracker_client"


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("generated")
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(app.openapi()))
    config = folder / "config.json"
    # No post hooks: formatting the generated code with ruff would only cost time.
    config.write_text(json.dumps({"package_name_override": PACKAGE, "post_hooks": []}))
    command: list[str | Path] = [sys.executable, "-m", "openapi_python_client", "generate", "--path", spec]
    command += ["--config", config, "--meta", "none"]
    # --fail-on-warning: an operation or model the generator has to skip is a broken client.
    command += ["--output-path", folder / PACKAGE, "--fail-on-warning"]
    result = subprocess.run(command, check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_generated_client_names_its_functions_by_tag_and_operation_id(generated_client: Path) -> None:
    package = generated_client / PACKAGE
    functions = {f"{module.parent.name}/{module.stem}" for module in package.glob("api/*/[!_]*.py")}
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    assert functions == {
        f"{op['tags'][0]}/{op['operationId']}" for ops in paths.values() for op in ops.values()
    }
    assert "expenses/list_expenses" in functions
    assert [model.name for model in package.glob("models/body_*")] == []


def test_readme_tour_through_the_generated_client(generated_client: Path, live_server: str) -> None:
    from expense_tracker_client import AuthenticatedClient, Client
    from expense_tracker_client.api.auth import login, login_for_token, register
    from expense_tracker_client.api.budgets import set_budget
    from expense_tracker_client.api.expenses import (
        create_expense,
        export_expenses,
        import_expenses,
        list_expenses,
        update_expense,
    )
    from expense_tracker_client.api.reports import read_stats, read_summary
    from expense_tracker_client.models import (
        BudgetIn,
        ExpenseIn,
        ExpenseUpdate,
        ImportForm,
        LoginIn,
        ReadStatsGranularity,
        RegisterIn,
        TokenForm,
    )
    from expense_tracker_client.types import File

    with Client(base_url=live_server, raise_on_unexpected_status=True) as anonymous:
        account = RegisterIn(email="sam@example.com", password="a long passphrase", display_name="Sam")
        registered = register.sync(client=anonymous, body=account)
        assert registered.user.display_name == "Sam"
        token = login.sync(
            client=anonymous, body=LoginIn(email="sam@example.com", password="a long passphrase")
        )
        assert token.user.id == registered.user.id
        form = TokenForm(username="sam@example.com", password="a long passphrase")
        assert login_for_token.sync(client=anonymous, body=form).token_type == "bearer"

    with AuthenticatedClient(
        base_url=live_server, token=token.access_token, raise_on_unexpected_status=True
    ) as sam:
        nov = date(2026, 11, 20)
        lunch = create_expense.sync(
            client=sam, body=ExpenseIn(date=nov, category="Food", amount=12.5, description="Lunch")
        )
        create_expense.sync(
            client=sam, body=ExpenseIn(date=date(2026, 11, 21), category="Transport", amount="3.20")
        )
        create_expense.sync(client=sam, body=ExpenseIn(date=date(2026, 12, 1), category="Food", amount=40))

        page = list_expenses.sync(
            client=sam, start=date(2026, 11, 1), end=date(2026, 11, 30), category="food", q="lunch", limit=50
        )
        assert [item.id for item in page.items] == [lunch.id]
        assert (page.total, page.total_amount) == (1, 12.5)

        edited = update_expense.sync(lunch.id, client=sam, body=ExpenseUpdate(amount="13.20"))
        assert (edited.amount, edited.description) == (13.2, "Lunch")

        assert set_budget.sync(client=sam, body=BudgetIn(category="food", amount=300)).category == "Food"
        summary = read_summary.sync(client=sam, month="2026-11")
        assert (summary.total_budget, summary.total_spent, summary.total_remaining) == (300, 16.4, 283.6)
        assert [(c.category, c.spent, c.status.value) for c in summary.categories] == [
            ("Food", 13.2, "ok"),
            ("Transport", 3.2, "unbudgeted"),
        ]

        year = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
        stats = read_stats.sync(client=sam, **year, granularity=ReadStatsGranularity.MONTH)
        assert (stats.total, stats.count, len(stats.trend)) == (56.4, 3, 12)
        assert [(c.category, c.amount) for c in stats.by_category] == [("Food", 53.2), ("Transport", 3.2)]

        export = export_expenses.sync_detailed(client=sam, start=date(2026, 11, 1), end=date(2026, 11, 30))
        assert export.status_code == 200
        assert export.content.decode() == (
            "date,category,amount,description,currency,base_amount\r\n"
            "2026-11-21,Transport,3.20,,USD,3.20\r\n2026-11-20,Food,13.20,Lunch,USD,13.20\r\n"
        )

        # The export goes back in as it is; a dry run finds both rows already there.
        upload = File(payload=io.BytesIO(export.content), file_name="export.csv", mime_type="text/csv")
        preview = import_expenses.sync(client=sam, body=ImportForm(file=upload, dry_run=True))
        assert (preview.dry_run, preview.count, preview.skipped_duplicates) == (True, 0, 2)
