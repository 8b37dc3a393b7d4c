"""The OpenAPI document as generated clients read it: stable operation ids, named request bodies."""

import re
from collections import Counter
from pathlib import Path
from typing import Any

from app.main import app

OPERATION_IDS = Path(__file__).parent / "openapi_operation_ids.txt"


def _operations() -> list[tuple[str, str, str]]:
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    return [
        (op["operationId"], method.upper(), path) for path, ops in paths.items() for method, op in ops.items()
    ]


def test_operation_ids_match_the_checked_in_list() -> None:
    # A renamed route function renames a generated client's function: update the list on purpose.
    pinned = [line for line in OPERATION_IDS.read_text().splitlines() if line and not line.startswith("#")]
    assert sorted(" ".join(operation) for operation in _operations()) == pinned


def test_operation_ids_are_unique_snake_case_names() -> None:
    ids = [operation_id for operation_id, _, _ in _operations()]
    assert [operation_id for operation_id, n in Counter(ids).items() if n > 1] == []
    assert [i for i in ids if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i)] == []


def test_no_request_body_schema_is_named_by_fastapi() -> None:
    schema = app.openapi()
    assert [name for name in schema["components"]["schemas"] if name.startswith("Body_")] == []
    token = schema["paths"]["/api/auth/token"]["post"]["requestBody"]["content"]
    assert token == {
        "application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/TokenForm"}}
    }
    upload = schema["paths"]["/api/expenses/import"]["post"]["requestBody"]["content"]
    assert upload == {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/ImportForm"}}}
    assert schema["components"]["schemas"]["ImportForm"]["required"] == ["file"]
