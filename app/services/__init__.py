from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.schemas import MAX_DB_ID

T = TypeVar("T")


def one_by_id(session: Session, stmt: Select[T], id_column: Any, object_id: int, missing: str) -> T:
    """The row `stmt` finds with this id, or 404: an id no BIGINT can hold is simply not found."""
    found = session.scalar(stmt.where(id_column == object_id)) if 0 < object_id <= MAX_DB_ID else None
    if found is None:
        raise NotFound(missing)
    return found
