"""HTTP revalidation of the reads a page repeats: the expense list, the summary, the stats, the
categories and the balances.

Each answer carries an ETag made of everything it is made of: the ledger's version (app.models:
no two states of any ledger share one, across deleted ledgers and restores), who asks and in which
role, the ledger's currency, the route and the query parameters it reads, what else the route says
(the month a summary without one shows), and the app's own code (a new release may write an answer
differently). A request naming that tag in If-None-Match
is answered 304 after the access query alone; the browser then shows the copy it has. Nothing is
stored on the server.
"""

import hashlib
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from anyio import to_thread
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.access import LedgerAccess
from app.config import PROJECT_ROOT

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


def etag(request: Request, access: LedgerAccess, *shape: object) -> str:
    """The answer's tag: the route, the query parameters it reads, who asks in which role, the
    ledger's currency and version, anything else the route names (`shape`), and the app's code."""
    route = request.scope["route"]
    names = _query_names(route)
    query = sorted((name, value) for name, value in request.query_params.multi_items() if name in names)
    parts = (route.path, access.user_id, access.ledger_id, access.role, access.currency, access.version)
    digest = hashlib.blake2b(_code(), digest_size=16)
    digest.update(repr((parts, query, shape)).encode())
    return f'"{digest.hexdigest()}"'


async def revalidated(
    request: Request, access: LedgerAccess, work: Callable[[], Any], *shape: object
) -> Response:
    """304 when the request names the answer's tag (etag); else `work`'s answer (a model, or a dict
    in its model's shape and field order) as JSON, worked out and written on a thread, with the tag.

    A route calls it after its parameters are checked; by then the access query was the only
    statement, and a 304 makes no other."""
    tag = etag(request, access, *shape)
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
    if _matches(request.headers.getlist("if-none-match"), tag):
        return Response(status_code=304, headers=headers)
    body = await to_thread.run_sync(lambda: _JSON.dump_json(work(), by_alias=True))
    return Response(body, media_type="application/json", headers=headers)
