import logging

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.routers import SessionDep

# The load balancer's: answered without a session (app.auth.PUBLIC).
router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: answers without touching the database (the cheapest request the app serves)."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database cannot be reached"}})
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
