import logging

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from app import faults
from app.database import SessionDep
from app.routers import OneTripRoute

router = APIRouter(prefix="/health", tags=["health"], route_class=OneTripRoute)


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: answers without touching the database (the cheapest request the app serves)."""
    return {"status": "ok"}


NOT_READY = {
    "description": "What is wrong, in `detail`: `database unreachable`, `database busy`, "
    "`database storage failing`, `disk full` (writes fail), `disk full: reads only`"
}


@router.get("/ready", responses={503: NOT_READY})
def ready(session: SessionDep) -> JSONResponse:
    """Readiness, for a load balancer or supervisor: 200 when the database answers and can save,
    503 saying what is wrong when it cannot."""
    problem = faults.diagnose(session)
    if problem is not None:
        logging.getLogger("app.health").warning("readiness check failed: %s", problem)
        content = {"status": "unavailable", "detail": problem}
        return JSONResponse(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, content=content)
    return JSONResponse({"status": "ok", "database": "ok"})
