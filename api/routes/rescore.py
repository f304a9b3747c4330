"""`POST /v1/rescore`: an admin applies a rubric change to past calls, behind every upload."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import CurrentUser, DbDep
from api.problems import Problem
from api.schemas.rescore import RescoreQueued, RescoreRequest
from api.store.rescore import queue_rescoring

router = APIRouter(prefix="/v1", tags=["calls"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 403, 422, 429)
}


@router.post("/rescore", response_model=RescoreQueued, status_code=202, responses=_PROBLEMS)
def rescore(body: RescoreRequest, request: Request, user: CurrentUser, db: DbDep) -> RescoreQueued:
    """Score the organisation's scored calls again (admins), filtered by the rubric and rubric
    version they were scored with, when they happened and team. The jobs are in the lowest
    lane: every upload goes first, and each call keeps its scorecard (and managers' overrides)
    until its new one is stored. `dry_run` counts the calls and queues none."""
    with db.write() as session:
        queued = queue_rescoring(session, user, body)
    if queued.queued and not body.dry_run:
        request.app.state.jobs.notify()
    return queued
