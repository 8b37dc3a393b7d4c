"""Multipart forms: they hold uploaded files (FastAPI's UploadFile), so they live apart from the
models services use, which know nothing of FastAPI."""

from typing import Literal

from fastapi import UploadFile
from pydantic import BaseModel, Field

from app.types import Category, UserId


class ImportForm(BaseModel):
    """The import's multipart form: named, so generated clients get a readable class for it."""

    # `format: binary` is what generators read as "a file" (FastAPI writes only contentMediaType).
    file: UploadFile = Field(
        description="CSV, at most 5 MB and 50,000 rows", json_schema_extra={"format": "binary"}
    )
    mapping: str | None = Field(
        default=None,
        max_length=10_000,
        description="JSON: the file's column for date, amount (or debit), category, description, and "
        "date_format, decimal_comma, negative_is_expense. Leave out for our own export; a dry run "
        "without it guesses one (returned as `mapping`).",
    )
    dry_run: bool = Field(default=False, description="Parse and preview only; write nothing")
    default_category: Category = Field(default="Uncategorised", description="For rows with no category")
    keep_duplicates: bool = Field(default=False, description="Import rows equal to an existing expense")
    encoding: Literal["auto", "utf-8", "latin-1"] = "auto"
    paid_by: UserId | None = Field(default=None, description="Who paid every row: a member; default you")
    split: str | None = Field(
        default=None,
        max_length=100_000,
        description='JSON: how every row is split, an expense\'s split by shares ([{"user_id": 1, '
        '"shares": 3}, ...]); default equal shares among the owners and editors',
    )
