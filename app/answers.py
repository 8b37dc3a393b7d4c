"""Answers kept until their ledger's next write.

A read of a ledger's expenses, split parts and budgets (the list, a month's summary, the stats)
gives the same bytes until one of those rows changes, and `Ledger.revision` counts every such
change (database triggers, app.models.REVISION_DDL). The request's access query reads the revision
with the caller's role, so an answer kept under (route, ledger, revision, who asks, what they ask)
is served with no other statement, and a write makes every answer kept for its ledger unreachable
at once, in every worker. Each worker keeps at most ANSWER_CACHE_MB; the least recently used go
first, and so do the answers of old revisions, which nothing asks for again.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.auth import LedgerAccess
from app.config import settings

F = TypeVar("F", bound=Callable[..., BaseModel | Response])


def kept_until_written(endpoint: F) -> F:
    """Mark a sync route whose answer is the same until its ledger's next write (app.routers)."""
    endpoint.kept_until_written = True  # type: ignore[attr-defined]
    return endpoint


class Answers:
    """Answers as JSON bytes, at most `max_bytes` of them, least recently used dropped first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # routes run on several threads

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._kept.get(key)
            if body is not None:
                self._kept.move_to_end(key)
            return body

    def keep(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            self._size += len(body) - len(self._kept.pop(key, b""))
            self._kept[key] = body
            while self._size > self.max_bytes:
                self._size -= len(self._kept.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._size = 0


ANSWERS = Answers(settings.answer_cache_mb * 1024 * 1024)


def answer_key(endpoint: Callable[..., Any], values: dict[str, Any]) -> Hashable | None:
    """What the answer depends on: the route, the ledger at its revision, the caller and every
    other value the route is given (its query, and today for a route that takes it). None when
    it cannot be kept: no cache, or a ledger access without a revision."""
    if not ANSWERS.max_bytes:
        return None
    accesses = [value for value in values.values() if isinstance(value, LedgerAccess)]
    if len(accesses) != 1 or accesses[0].revision is None:
        return None
    access = accesses[0]
    given = tuple(
        sorted(
            (name, value) for name, value in values.items() if not isinstance(value, LedgerAccess | Session)
        )
    )
    who = (access.ledger_id, access.revision, access.currency, access.user.id, access.role)
    key = (endpoint.__module__, endpoint.__qualname__, who, given)
    try:
        hash(key)
    except TypeError:  # a value that cannot be a key (a list): worked out each time
        return None
    return key


def kept_answer(key: Hashable) -> Response | None:
    body = ANSWERS.get(key)
    return None if body is None else Response(body, media_type="application/json")


def keep_answer(key: Hashable, answer: BaseModel | Response) -> Response:
    """The answer as JSON, as FastAPI would write it for its response model, kept under `key`."""
    if isinstance(answer, Response):  # a route that wrote its JSON itself
        body = bytes(answer.body)
    else:
        body = answer.__pydantic_serializer__.to_json(answer, by_alias=True)
    ANSWERS.keep(key, body)
    return Response(body, media_type="application/json")
