"""Answers kept until their ledger's next write.

A read of a ledger's expenses, split parts and budgets (the list, a month's summary, the stats)
gives the same bytes until one of those rows changes, and `Ledger.revision` counts every such
change (database triggers, app.models.REVISION_DDL). The access query reads the revision with the
caller's role, so an answer is kept under (path, query string, today, ledger, revision, who asks)
and a write makes every answer kept for its ledger unreachable at once, in every worker.

KeptAnswers does this in front of the routes: it resolves the caller's access with the routes' own
function (app.auth.resolve_access: token, revocation, account, membership, role), in one trip to
the threadpool, and sends a kept answer without routing, dependencies or any other statement.
Anything it cannot judge (no token, a bad one, not a member, an odd `ledger`) goes to the route,
which answers as it always does. Each worker keeps at most ANSWER_CACHE_MB; the least recently
used go first, and so do the answers of old revisions, which nothing asks for again.
"""

import inspect
import re
import threading
from collections import OrderedDict
from collections.abc import Hashable
from urllib.parse import parse_qsl

from anyio import to_thread
from fastapi import FastAPI, HTTPException
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import database
from app.auth import LedgerAccess, TokenClaims, decode_token, resolve_access
from app.config import settings
from app.errors import AppError
from app.middleware import HttpMiddleware
from app.routers import current_date
from app.types import MAX_DB_ID

# The GET routes whose answer depends only on the ledger's rows, the query and the day.
KEPT_PATHS = frozenset({"/api/expenses", "/api/summary", "/api/stats"})


class Answers:
    """Answers as JSON bytes, at most `max_bytes` of them, least recently used dropped first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._kept: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()  # workers' threads and the event loop both use it

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
_BEARER = re.compile(rb"Bearer ([A-Za-z0-9._-]+)")
_ID = re.compile(r"[1-9][0-9]{0,18}")


class KeptAnswers(HttpMiddleware):
    """Sends a kept answer to a GET of KEPT_PATHS, and keeps the route's 200 answers."""

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        super().__init__(app)
        self.api = api

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = None
        if scope["method"] == "GET" and scope["path"] in KEPT_PATHS and ANSWERS.max_bytes:
            key = await self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        body = ANSWERS.get(key)
        if body is not None:
            headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, _keeping(key, send))

    async def _key(self, scope: Scope) -> Hashable | None:
        token = _BEARER.fullmatch(dict(scope["headers"]).get(b"authorization", b""))
        if token is None:
            return None
        try:
            ledger = _ledger(scope["query_string"])
            claims = decode_token(token[1].decode())
        except (ValueError, HTTPException):
            return None
        access = await to_thread.run_sync(_access, claims, ledger)
        if access is None:
            return None
        # The route's calendar (tests set it through dependency_overrides, as the route sees it).
        today = self.api.dependency_overrides.get(current_date, current_date)()
        if inspect.isawaitable(today):
            today = await today
        who = (access.ledger_id, access.revision, access.currency, access.user_id, access.role)
        return scope["path"], scope["query_string"], today, who


def _ledger(query: bytes) -> int | None:
    """The `ledger` parameter as the route reads it, None without one; ValueError when unsure."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    given = [value for name, value in pairs if name == "ledger"]
    if not given:
        return None
    if len(given) > 1 or not _ID.fullmatch(given[0]) or int(given[0]) > MAX_DB_ID:
        raise ValueError(given)
    return int(given[0])


def _access(claims: TokenClaims, ledger: int | None) -> LedgerAccess | None:
    session = database.reading_only(database.SessionLocal())
    try:
        return resolve_access(session, claims, ledger)
    except (HTTPException, AppError):  # the route refuses it, with its own answer
        return None
    except SQLAlchemyError:  # the route meets the same failure and answers it (app.main), or it passed
        return None
    finally:
        session.close()


def _keeping(key: Hashable, send: Send) -> Send:
    status = 0
    parts: list[bytes] = []

    async def keeping_send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body" and status == 200:
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                ANSWERS.keep(key, b"".join(parts))
        await send(message)

    return keeping_send
