"""`POST /v1/calls/{id}/requeue`: an admin gives a failed call another scoring run."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.deps import CurrentUser, DbDep
from api.problems import Problem
from api.schemas.calls import CallPublic
from api.store import calls as call_store
from api.store.queue import requeue_call

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 403, 404, 409, 429)
}


@router.post("/{call_id}/requeue", response_model=CallPublic, responses=_PROBLEMS)
def requeue(call_id: int, request: Request, user: CurrentUser, db: DbDep) -> CallPublic:
    """Queue a failed call for scoring again (admins of its organisation); its new job starts with no attempts."""
    call = requeue_call(db, user, call_id)
    request.app.state.jobs.notify()
    with db.reader() as session:
        return call_store.call_public(call, call_store.latest_job(session, call.id))
