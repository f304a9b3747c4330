"""Role-play sessions: start one on a scenario, play rep lines, finish to get a stored scorecard."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from api.db import Database
from api.deps import CurrentUser, DbDep, ReadSession
from api.principal import Principal
from api.problems import Problem
from api.schemas.roleplay import RoleplaySessionCreate, RoleplaySessionPublic, RoleplayTurnCreate, RoleplayTurnPublic
from api.schemas.scorecards import ScorecardPublic
from api.store import roleplay as store
from api.tasks import JobKind
from coach.roleplay.session import Actor, ScriptedActor

router = APIRouter(prefix="/v1/roleplay/sessions", tags=["roleplay"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 404, 422, 429)
}


def finish(request: Request, user: Principal, db: Database, session_id: int) -> ScorecardPublic:
    """Finish a session with the server's scorer; its LLM follow-up, when queued, is the runner's to pick up."""
    jobs = request.app.state.jobs
    finished = store.finish(db, user, session_id, jobs.scorer, follow_up=jobs.grader is not None)
    if finished.follow_up:
        jobs.notify(JobKind.llm)
    return finished.scorecard


def _actor(request: Request) -> Actor:
    # The app may carry an LLM actor (see api.app); without one the scenario's scripted lines voice the customer.
    return getattr(request.app.state, "roleplay_actor", None) or ScriptedActor()


@router.post("", status_code=201, response_model=RoleplaySessionPublic, responses=_PROBLEMS)
def create_session(body: RoleplaySessionCreate, response: Response, user: CurrentUser, db: DbDep) -> RoleplaySessionPublic:
    """Start a role-play on a scenario; the customer's greeting is the first turn."""
    row = store.start(db, user, body)
    response.headers["Location"] = f"/v1/roleplay/sessions/{row.id}"
    return store.public(row)


@router.get("/{session_id}", response_model=RoleplaySessionPublic, responses=_PROBLEMS)
def get_session(session_id: int, user: CurrentUser, session: ReadSession) -> RoleplaySessionPublic:
    """A session with every turn and the facilitator's notes so far."""
    return store.public(store.get_visible_session(session, user, session_id))


@router.post(
    "/{session_id}/turns",
    response_model=RoleplayTurnPublic,
    responses={**_PROBLEMS, 403: {"model": Problem}, 409: {"model": Problem}},
)
async def play_turn(session_id: int, body: RoleplayTurnCreate, request: Request, user: CurrentUser, db: DbDep) -> RoleplayTurnPublic:
    """One rep line in; the customer's reply and any facilitator note out."""
    return await run_in_threadpool(store.play, db, user, session_id, body.line, _actor(request))


@router.post(
    "/{session_id}/finish",
    response_model=ScorecardPublic,
    responses={**_PROBLEMS, 403: {"model": Problem}, 409: {"model": Problem}},
)
def finish_session(session_id: int, request: Request, user: CurrentUser, db: DbDep) -> ScorecardPublic:
    """Score the session like a call and store it (a call of kind "roleplay" with its scorecard)."""
    return finish(request, user, db, session_id)
