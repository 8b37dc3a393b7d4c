from typing import Any

# What every authenticated route can answer besides success, for the OpenAPI schema.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Missing, invalid or expired token"}}


def not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {**UNAUTHORIZED, 404: {"description": f"No such {what} of yours"}}
