"""HTTP revalidation of the reads a page repeats: the expense list, the summary, the stats, the
categories and the balances.

Each answer carries an ETag made of everything it is made of: the ledger's version (app.models:
no two states of any ledger share one, across deleted ledgers and restores), who asks and in which
role, the ledger's currency, today, the route and the query parameters it reads, and the app's own
code (a new release may write an answer differently). A request naming that tag in If-None-Match
is answered 304 after the access query alone; the browser then shows the copy it has. Nothing is
stored on the server.
"""

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.access import LedgerAccess
from app.config import PROJECT_ROOT
from app.routers import Today

# Every time, not for a while: the browser asks, and a 304 costs little.
CACHE_CONTROL = "private, no-cache"
# RFC 9110's entity-tag: an optional weak prefix and a quoted opaque tag.
_ENTITY_TAG = re.compile(r'(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")')
_JSON = TypeAdapter(Any)

# In the OpenAPI schema of each route that revalidates.
REVALIDATED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the copy named in If-None-Match is current; no body"},
}
TAG_HEADERS = {
    "ETag": {
        "description": "Send it as If-None-Match to ask whether your copy is current",
        "schema": {"type": "string"},
    },
    "Cache-Control": {"description": "private, no-cache", "schema": {"type": "string"}},
}


@cache
def _code() -> bytes:
    """A digest of the app's source: a release that changes how an answer is written changes every
    tag, so no client keeps a copy written by the one before."""
    digest = hashlib.blake2b(digest_size=16)
    for file in sorted((PROJECT_ROOT / "app").rglob("*.py")):
        digest.update(file.read_bytes())
    return digest.digest()


def _query_names(route: APIRoute) -> set[str]:
    """The query parameters the route and its dependencies read; no other changes its answer."""
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        names.update(param.alias for param in dependant.query_params)
        dependants.extend(dependant.dependencies)
    return names


def _matches(if_none_match: list[str], tag: str) -> bool:
    """RFC 9110 If-None-Match: "*", or a list of entity-tags compared weakly (W/ ignored)."""
    return any(value.strip() == "*" or tag in _ENTITY_TAG.findall(value) for value in if_none_match)


@dataclass(frozen=True)
class Revalidation:
    request: Request
    today: date

    def tag(self, access: LedgerAccess) -> str:
        route = self.request.scope["route"]
        names = _query_names(route)
        query = [(name, value) for name, value in self.request.query_params.multi_items() if name in names]
        parts = (route.path, access.user_id, access.ledger_id, access.role, access.currency, access.version)
        digest = hashlib.blake2b(_code(), digest_size=16)
        digest.update(repr((parts, self.today.isoformat(), sorted(query))).encode())
        return f'"{digest.hexdigest()}"'

    async def answer(self, access: LedgerAccess, work: Callable[[], Any]) -> Response:
        """304 when the request names the answer's tag; else `work`'s answer (a model, or a dict in
        its model's shape and field order) as JSON, worked out and written on a thread, with the tag.

        The route's parameters are checked by then, and the access query was the only statement."""
        tag = self.tag(access)
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
        if _matches(self.request.headers.getlist("if-none-match"), tag):
            return Response(status_code=304, headers=headers)
        body = await to_thread.run_sync(lambda: _JSON.dump_json(work(), by_alias=True))
        return Response(body, media_type="application/json", headers=headers)


async def get_revalidation(request: Request, today: Today) -> Revalidation:
    return Revalidation(request=request, today=today)


Revalidate = Annotated[Revalidation, Depends(get_revalidation)]
