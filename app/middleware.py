"""The ASGI middlewares: body limits, security headers, the request id and the request log. No access
decisions: those are the routes' dependencies (app.auth)."""

import logging
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import settings

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles and draws its icons from data: URIs; its scripts are still files.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class HttpMiddleware:
    """ASGI middleware that acts on HTTP requests only; the rest (lifespan, websockets) pass through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.http(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
# Encoded once, not per response.
APP_HEADERS = [(b"content-security-policy", APP_CSP.encode()), *SECURITY_HEADERS]
DOCS_HEADERS = [(b"content-security-policy", DOCS_CSP.encode()), *SECURITY_HEADERS]

access_logger = logging.getLogger("app.access")
# A request id from a client or proxy is kept only if it is short and plain: it goes into logs.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class ResponseMiddleware(HttpMiddleware):
    """The security headers and an X-Request-ID (passed through or made) on every response,
    streamed ones included, and one log line per request.

    One middleware, not one per job: each layer wraps `send` once more for every request.
    The line holds method, path, status, duration and the request id; never the query string,
    headers or body, so passwords and tokens cannot reach the log.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        security = DOCS_HEADERS if scope["path"] == "/docs" else APP_HEADERS
        added = [(b"x-request-id", request_id.encode()), *security]
        started = time.perf_counter()
        status_code = 500  # if the app fails before it answers

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            if settings.access_log:
                access_logger.info(
                    "%s %s %d %.1fms id=%s",
                    scope["method"],
                    scope["path"],
                    status_code,
                    (time.perf_counter() - started) * 1000,
                    request_id,
                )


# The CSV import's form fields and multipart framing ride on top of the file; the import service
# still refuses a file over MAX_IMPORT_BYTES itself, with its own message.
MULTIPART_ALLOWANCE = 64 * 1024
# Keep-alive would make the server read (and discard) the rest of a refused body; closing does not.
CLOSE = {"Connection": "close"}


def body_limit(path: str) -> int:
    if path == "/api/expenses/import":
        return settings.max_import_bytes + MULTIPART_ALLOWANCE
    return settings.max_json_bytes


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status.HTTP_413_CONTENT_TOO_LARGE, f"The request body is larger than {limit} bytes", CLOSE
    )


class BodyLimitMiddleware(HttpMiddleware):
    """Refuses a request body over its route's limit before the app reads it, so no request can take
    more memory, disk or time than that: 413 at once when Content-Length says so, and as soon as the
    count passes the limit when the body streams without a length (chunked).
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"])
        length = headers.get(b"content-length", b"")
        if length in (b"", b"0") and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body to guard
            return
        limit = body_limit(scope["path"])
        if length.isdigit() and int(length) > limit:
            refused = _too_large(limit)
            answer = JSONResponse({"detail": refused.detail}, refused.status_code, CLOSE)
            await answer(scope, receive, send)
            return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI passes an HTTPException raised while reading the body on to the error handler.
                raise _too_large(limit)
            return message

        await self.app(scope, counting_receive, send)


def documented_paths(openapi: dict[str, Any]) -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    """Each documented path as a pattern, with its operations by method; literal paths first, so
    /api/expenses/export.csv is not taken for /api/expenses/{expense_id}."""
    paths: dict[str, dict[str, Any]] = openapi["paths"]
    return [
        (
            re.compile("[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))),
            paths[template],
        )
        for template in sorted(paths, key=lambda template: template.count("{"))
    ]
