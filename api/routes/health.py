from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import DbDep
from api.problems import ApiProblem, Problem
from api.schemas.misc import Health, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Problem}})
def readyz(db: DbDep, request: Request) -> Readiness:
    """The database answers and the job workers are running."""
    try:
        db.ping()
    except Exception as exc:
        raise ApiProblem(503, f"database unavailable: {type(exc).__name__}") from None
    runner = request.app.state.jobs
    wanted = request.app.state.settings.job_workers
    if runner.alive_workers < wanted:
        raise ApiProblem(503, f"{runner.alive_workers} of {wanted} job workers running")
    return Readiness(status="ready", database="ok", workers=runner.alive_workers)
