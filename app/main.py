import asyncio
import json
import logging
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
from starlette.routing import Match, Mount
from starlette.types import Scope

from app import faults
from app.assets import REVALIDATE, STATIC_DIR, STATIC_VERSION, Files, VersionedFiles, render_page
from app.auth import PUBLIC
from app.config import settings
from app.database import SessionLocal, refresh_statistics
from app.errors import AppError, Invalid
from app.middleware import (
    BodyLimitMiddleware,
    ResponseMiddleware,
    documented_paths,
)
from app.migrate import upgrade_to_head
from app.routers import (
    account,
    admin,
    auth,
    budgets,
    categories,
    expenses,
    health,
    ledgers,
    rates,
    recurring,
    reports,
    server_date,
)
from app.services.recurring import run_daily

logger = logging.getLogger("app")


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
    to_thread.current_default_thread_limiter().total_tokens = settings.threads
    _ = settings.resolved_secret_key  # fail at start, not at the first login, if the key is unusable
    # The database may be starting beside the app; on a full disk SQLite opens read-only.
    await run_in_threadpool(faults.wait_for_database, settings.database_wait_seconds)
    if settings.auto_migrate and not faults.read_only():
        upgrade_to_head(settings.resolved_database_url)
    # Recurring expenses that fell due while the app was down, then each day's: no request checks.
    done = await _materialise_due()
    daily = asyncio.create_task(_materialise_each_midnight(done))
    try:
        yield
    finally:
        daily.cancel()
        with suppress(asyncio.CancelledError):
            await daily


def _start_of_day() -> None:
    """At each start and each day: the recurring expenses due by today, then SQLite's planner
    statistics (a database fed only by single adds has no large write to refresh them)."""
    with SessionLocal() as session:
        # The first worker to claim the day does it; the others find it done (one indexed update).
        if run_daily(session, today=server_date()):
            logger.info("Recurring expenses due by today are created")
        refresh_statistics(session)
        session.commit()


def seconds_to_midnight(now: datetime) -> float:
    """From `now` (local time) to just past the next local midnight.

    One second past: a timer that fires a little early still sees yesterday and finds it done;
    the loop then sleeps the moment that is left.
    """
    return (datetime.combine(now.date() + timedelta(days=1), time()) - now).total_seconds() + 1


# After a database fault (the database down, the disk full), the next try is this soon, not at midnight.
MATERIALISE_RETRY_SECONDS = 600


async def _materialise_each_midnight(done: bool) -> None:
    while True:
        await asyncio.sleep(seconds_to_midnight(datetime.now()) if done else MATERIALISE_RETRY_SECONDS)
        try:
            done = await _materialise_due()
        except Exception:  # nor must a bug end the schedule; tomorrow retries
            logger.exception("Creating the day's recurring expenses failed")
            done = True


async def _materialise_due() -> bool:
    """The start of day's work (_start_of_day); False after a database fault (app.faults)."""
    try:
        await run_in_threadpool(_start_of_day)
    except SQLAlchemyError as exc:
        fault = faults.classify(exc)
        if fault is None:
            raise
        logger.warning(
            "Creating the recurring expenses due failed (%s); trying again in %d s",
            fault.reason,
            MATERIALISE_RETRY_SECONDS,
        )
        return False
    return True


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
# Added first, so innermost: the 413 answers of BodyLimit still get CORS, the request log and
# security headers.
app.add_middleware(BodyLimitMiddleware)
# The page, its files and the JSON answers travel compressed (a 206 part of a file and answers under
# 500 bytes as they are). Not the CSV export: a download streamed at the database's pace, whose
# compression would cost the one worker's time for each of its rows.
app.add_middleware(
    GZipMiddleware,
    compresslevel=6,
    exclude_content_types=(*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/csv"),
)
if settings.cors_origin_list:
    # Off unless asked for: the UI is served from this same origin and needs no CORS.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origin_list,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        expose_headers=["Idempotent-Replayed"],
    )
# Added last, so outermost: CORS preflight answers carry the security headers and the request id too.
app.add_middleware(ResponseMiddleware)


@app.exception_handler(AppError)
async def app_error_handler(_request: Request, exc: AppError) -> JSONResponse:
    detail = exc.errors if isinstance(exc, Invalid) else exc.detail
    return JSONResponse(status_code=exc.status_code, content={"detail": detail}, headers=exc.headers)


@app.exception_handler(OperationalError)
@app.exception_handler(PoolTimeout)
async def database_fault_handler(request: Request, exc: Exception) -> JSONResponse:
    """A failure of the database itself (app.faults): 503 or 507 with Retry-After, not a bare 500.

    Answered here, the connection stays open. An exception that escapes the app instead reaches
    Starlette's ServerErrorMiddleware, which sends a plain-text 500 and raises it again; uvicorn,
    seeing an exception after the answer began, closes the connection without a `Connection: close`,
    and the client's next request on it fails as well.
    """
    assert isinstance(exc, SQLAlchemyError)
    fault = faults.noted(faults.classify(exc))
    if fault is None:
        raise exc  # a bug: a 500 like any other
    logger.warning("%s %s: %s: %s", request.method, request.url.path, fault.reason, faults.first_line(exc))
    headers = {"Retry-After": str(fault.retry_after)}
    return JSONResponse(status_code=fault.status, content={"detail": fault.detail}, headers=headers)


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
    for pattern, operations in _documented_paths():
        if pattern.fullmatch(path):
            return ", ".join(sorted(method.upper() for method in operations))
    return "GET, HEAD"  # the page and its files


@cache
def _documented_paths() -> list[tuple[re.Pattern[str], dict[str, Any]]]:
    return documented_paths(app.openapi())  # worked out at the first 405, then kept


@app.exception_handler(RequestValidationError)
async def validation_error_handler(_request: Request, exc: RequestValidationError) -> JSONResponse:
    # A parameter that two dependencies read (`ledger`) fails once, not once for each.
    described = {json.dumps(_describe(e), sort_keys=True): _describe(e) for e in exc.errors()}
    return JSONResponse(status_code=422, content={"detail": list(described.values())})


# Each router's own dependency checks its callers (app.auth), but these two: the routes a visitor
# calls without a session, which must be the allow-list app.auth.PUBLIC, no more.
PUBLIC_ROUTERS = (auth.public, health.router)
_unchecked = {
    route.name for router in PUBLIC_ROUTERS for route in router.routes if isinstance(route, APIRoute)
}
if _unchecked != PUBLIC:
    raise RuntimeError(f"Routes without a session check, not in app.auth.PUBLIC: {_unchecked ^ PUBLIC}")
for router in (
    *PUBLIC_ROUTERS,
    auth.router,
    account.router,
    expenses.wrong_methods,
    expenses.router,
    budgets.router,
    reports.router,
    categories.router,
    recurring.router,
    ledgers.router,
    ledgers.one,
    rates.router,
    admin.router,
):
    app.include_router(router, prefix="/api")


@app.get("/docs", include_in_schema=False)
def docs() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "docs.html").read_text())


class StaticSite(Mount):
    """The page and its files at /; /api/ is left to the API (unknown path 404, wrong method 405)."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


PAGE = render_page()
PAGE_TAG = f'"{STATIC_VERSION}"'


@app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
@app.api_route("/index.html", methods=["GET", "HEAD"], include_in_schema=False)
def page(request: Request) -> Response:
    """The page, asked for every time (a 304 while the release is the same): it names the files' version."""
    headers = {"Cache-Control": REVALIDATE, "ETag": PAGE_TAG}
    if PAGE_TAG in request.headers.get("If-None-Match", ""):
        return Response(status_code=304, headers=headers)
    return HTMLResponse(PAGE, headers=headers)


# Every file at /s/<version>/..., kept for a year; and at its old address, revalidated each time.
app.router.routes.append(Mount("/s", app=VersionedFiles(), name="versioned"))
app.router.routes.append(StaticSite("/", app=Files(cache_control=REVALIDATE), name="static"))
