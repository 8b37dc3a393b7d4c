import logging
import re
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import PROJECT_ROOT, settings
from app.database import SessionDep, SessionLocal
from app.errors import AppError, Invalid
from app.middleware import BodyLimitMiddleware
from app.migrate import upgrade_to_head
from app.routers import DUE_OCCURRENCES, admin, auth, budgets, expenses, recurring, reports
from app.services.recurring import materialise_due

STATIC_DIR = PROJECT_ROOT / "app" / "static"

APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI sets inline styles and draws its icons from data: URIs; its scripts are still files.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]


class SecurityHeadersMiddleware:
    """Adds the security headers to every response, streamed ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else APP_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"content-security-policy", csp.encode()),
                    *SECURITY_HEADERS,
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


access_logger = logging.getLogger("app.access")
# A request id from a client or proxy is kept only if it is short and plain: it goes into logs.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestLogMiddleware:
    """One log line per request, and an X-Request-ID on every response (passed through or made).

    The line holds method, path, status, duration and the request id; never the query string,
    headers or body, so passwords and tokens cannot reach the log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        started = time.perf_counter()
        status_code = 500  # if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
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


def _log_to_stderr() -> None:
    """Uvicorn sets up only its own loggers; give the app's a handler unless one exists."""
    logger = logging.getLogger("app")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    _log_to_stderr()
    _ = settings.resolved_secret_key  # fail at start, not at the first login, if the key is unusable
    if settings.auto_migrate:
        upgrade_to_head(settings.resolved_database_url)
    # Recurring expenses that fell due while the app was down, for every user.
    with SessionLocal() as session:
        materialise_due(session, today=date.today())
    yield


def operation_id(route: APIRoute) -> str:
    """The OpenAPI operation id is the route function's name: `list_expenses`, `read_summary`.

    Generated clients name their functions after it (FastAPI's default, `list_expenses_api_expenses_get`,
    changes with every path), and the client's modules already group them by tag.
    tests/openapi_operation_ids.txt pins every id, so renaming a route function is a deliberate act.
    """
    return route.name


app = FastAPI(
    title="Expense Tracker",
    version="1.0.0",
    description="Track expenses and monthly budgets. Authorize with your email and password to try the API.",
    lifespan=lifespan,
    generate_unique_id_function=operation_id,
    docs_url=None,
    redoc_url=None,
)
# Added first, so innermost: its 401 and 413 answers still get CORS, the request log and security headers.
app.add_middleware(BodyLimitMiddleware, api=app)
if settings.cors_origin_list:
    # Off unless asked for: the UI is served from this same origin and needs no CORS.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type"],
    )
app.add_middleware(RequestLogMiddleware)
# Added last, so outermost: CORS preflight answers carry the security headers too.
app.add_middleware(SecurityHeadersMiddleware)


@app.exception_handler(AppError)
async def app_error_handler(_request: Request, exc: AppError) -> JSONResponse:
    detail = exc.errors if isinstance(exc, Invalid) else exc.detail
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


def _text(value: Any) -> str:
    return str(value).encode("utf-8", "replace").decode()


def _describe(error: Any) -> dict[str, Any]:
    # Never echo the input back: it may hold NaN, lone surrogates or a password.
    return {
        "type": error.get("type"),
        "loc": [part if isinstance(part, int) else _text(part) for part in error.get("loc", ())],
        "msg": _text(error.get("msg", "")).removeprefix("Value error, "),
    }


@app.exception_handler(StarletteHTTPException)
async def http_error_handler(request: Request, exc: StarletteHTTPException) -> Response:
    # FastAPI answers 400 for a body it cannot decode; to clients that is one more invalid body.
    if exc.status_code == 400:
        error = {"type": "body_invalid", "loc": ["body"], "msg": "The request body could not be read as JSON"}
        return JSONResponse(status_code=422, content={"detail": [error]})
    if exc.status_code == 405:
        headers = {"Allow": _allowed_methods(request.url.path)}
        return JSONResponse(status_code=405, content={"detail": exc.detail}, headers=headers)
    return await http_exception_handler(request, exc)


def _allowed_methods(path: str) -> str:
    """Every method the API documents for this path (Starlette's 405 names only one route's)."""
    paths: dict[str, dict[str, Any]] = app.openapi()["paths"]
    # Literal paths win over parameters: /api/expenses/export.csv is not /api/expenses/{expense_id}.
    for template in sorted(paths, key=lambda t: t.count("{")):
        pattern = "[^/]+".join(re.escape(part) for part in re.split(r"\{[^}]+\}", template))
        if re.fullmatch(pattern, path):
            return ", ".join(sorted(method.upper() for method in paths[template]))
    return "GET, HEAD"  # the page and its files


@app.exception_handler(RequestValidationError)
async def validation_error_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": [_describe(e) for e in exc.errors()]})


app.include_router(auth.router, prefix="/api")
app.include_router(expenses.router, prefix="/api")
app.include_router(budgets.router, prefix="/api")
app.include_router(reports.router, prefix="/api", dependencies=DUE_OCCURRENCES)
app.include_router(recurring.router, prefix="/api", dependencies=DUE_OCCURRENCES)
app.include_router(admin.router, prefix="/api")


@app.get("/api/health", tags=["health"])
async def health() -> dict[str, str]:
    """Liveness: answers without touching the database (the cheapest request the app serves)."""
    return {"status": "ok"}


@app.get(
    "/api/health/ready",
    tags=["health"],
    responses={503: {"description": "The database cannot be reached"}},
)
def ready(session: SessionDep) -> JSONResponse:
    """Readiness, for a load balancer: 200 when the database answers a query, 503 when it does not."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logging.getLogger("app.health").warning("readiness check failed: the database is unreachable")
        return JSONResponse(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE, content={"status": "unavailable"}
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@app.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "docs.html").read_text())


class StaticSite(Mount):
    """The page and its files at /; /api/ is left to the API (unknown path 404, wrong method 405)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


app.router.routes.append(StaticSite("/", app=StaticFiles(directory=STATIC_DIR, html=True), name="static"))
