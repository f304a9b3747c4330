"""Role-play sessions: the role-play layer's `SessionState`, stored as JSON in a row and
played turn by turn over HTTP (the API's endpoints and the web pages both use these).

Each turn loads, plays and stores the state in one transaction holding the row (FOR UPDATE
on PostgreSQL; SQLite serialises writers), so two requests on one session cannot lose a
turn. Finishing scores the practised call through the pipeline like an upload, then stores
it and its scorecard.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible
from api.db import Database
from api.db.models import Call, CallStatus, RoleplaySessionRow, utcnow
from api.enqueue import Lane, add_job
from api.principal import Principal
from api.store.errors import Conflict, Forbidden, Invalid, NotFound
from api.schemas.roleplay import (
    PersonaPublic,
    RoleplaySessionCreate,
    RoleplaySessionPublic,
    RoleplayTurnPublic,
    TurnPublic,
)
from api.schemas.scorecards import ScorecardPublic
from api.scorers import Scorer
from api.store import scorecards as scorecard_store
from api.store.calls import store_call
from coach import pipeline
from coach.errors import RubricError
from coach.roleplay.scenario import get_scenario
from coach.roleplay.session import (
    Actor,
    RoleplayError,
    SessionState,
    SessionTurn,
    Status,
    play_turn,
    session_spec,
    start_session,
    to_transcript,
)
from coach.transcript import Transcript

FINISHED = "finished"


def _turn(t: SessionTurn) -> TurnPublic:
    return TurnPublic(index=t.index, role=t.role, text=t.text, source=t.source)


def public(row: RoleplaySessionRow) -> RoleplaySessionPublic:
    state = SessionState.from_json(row.state)
    p = state.scenario.persona
    return RoleplaySessionPublic(
        id=row.id, scenario=row.scenario, title=state.scenario.title,
        persona=PersonaPublic(name=p.name, title=p.title, company=p.company, difficulty=p.difficulty),
        rep_brief=" ".join(state.scenario.rep_brief.split()), user_id=row.user_id, status=row.status,  # type: ignore[arg-type]
        seed=state.seed, difficulty=state.level, turns=[_turn(t) for t in state.turns], notes=state.notes, call_id=row.call_id,
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def start(db: Database, user: Principal, body: RoleplaySessionCreate) -> RoleplaySessionRow:
    try:
        scenario = get_scenario(body.scenario)
    except RubricError as exc:
        raise Invalid(exc.message, loc=["body", "scenario"]) from None
    rep_name = user.name if user.name != scenario.persona.name else f"{user.name} (rep)"
    state = start_session(scenario, seed=body.seed, rep_name=rep_name, difficulty=body.difficulty)
    with db.write() as session:
        row = RoleplaySessionRow(
            org_id=user.org_id, team_id=user.team_id, user_id=user.user_id, scenario=scenario.id,
            status=Status.active.value, state=state.to_json(),
        )  # fmt: skip
        session.add(row)
        session.flush()
        row.state = state.model_copy(update={"id": str(row.id)}).to_json()
    return row


def get_visible_session(session: Session, user: Principal, session_id: int, *, lock: bool = False) -> RoleplaySessionRow:
    query = select(RoleplaySessionRow).where(
        RoleplaySessionRow.id == session_id,
        visible(user, RoleplaySessionRow.org_id, RoleplaySessionRow.team_id, RoleplaySessionRow.user_id),
    )
    row = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise NotFound("role-play session", session_id)
    return row


def _own(row: RoleplaySessionRow, user: Principal) -> None:
    if row.user_id != user.user_id:
        raise Forbidden("only the rep who started a role-play session may play or finish it")


def play(db: Database, user: Principal, session_id: int, line: str, actor: Actor) -> RoleplayTurnPublic:
    with db.write() as session:
        row = get_visible_session(session, user, session_id, lock=True)
        _own(row, user)
        if row.status != Status.active.value:
            raise Conflict(f"role-play session {session_id} is {row.status}; no more turns", type="urn:coach:problem:session-closed")
        try:
            result = play_turn(SessionState.from_json(row.state), line, actor)
        except RoleplayError as exc:
            raise Invalid(exc.message, loc=["body", "line"]) from None
        row.state = result.state.to_json()
        row.status = result.state.status.value
        row.updated_at = utcnow()
        return RoleplayTurnPublic(
            session_id=row.id, rep=_turn(result.rep), customer=_turn(result.customer), notes=result.notes,
            status=result.state.status.value,  # type: ignore[arg-type]
        )  # fmt: skip


@dataclass
class Finished:
    scorecard: ScorecardPublic
    follow_up: bool  # an LLM job was queued for the stored call (notify the runner)


# Turns another request may play on a session while it is being scored, before finishing gives up.
_FINISH_TRIES = 3


def finish(db: Database, user: Principal, session_id: int, scorer: Scorer, *, follow_up: bool) -> Finished:
    """Score the session like an uploaded call (the pipeline's score step with the server's
    scorer), then store it as a call with its scorecard in one short write; with LLM grading on
    (`follow_up`) an LLM job grades it after, as it does an upload. Scoring happens outside any
    write transaction; a turn played meanwhile is scored again. Finishing twice returns the same
    scorecard."""
    for _ in range(_FINISH_TRIES):
        with db.reader() as session:
            row = get_visible_session(session, user, session_id)
            _own(row, user)
            if row.status == FINISHED and row.call_id is not None:
                return Finished(scorecard_store.get_scorecard(session, user, row.call_id), follow_up=False)
            played = row.state
        state = SessionState.from_json(played)
        try:
            spec = session_spec(state)
        except RoleplayError as exc:
            raise Conflict(exc.message, type="urn:coach:problem:session-empty") from None
        transcript = to_transcript(state)
        card = pipeline.score(spec, transcript, scorer)
        with db.write() as session:
            row = get_visible_session(session, user, session_id, lock=True)
            if row.status == FINISHED and row.call_id is not None:  # another request finished it meanwhile
                return Finished(scorecard_store.get_scorecard(session, user, row.call_id), follow_up=False)
            if row.state != played:
                continue  # a turn was played while scoring: score the session as it now stands
            call = _store_practised_call(session, user, row, state, transcript)
            stored = scorecard_store.save_scorecard(session, call, card)
            if follow_up:
                add_job(session, call.id, call.org_id, "llm", Lane.follow_up)
            row.status = FINISHED
            row.call_id = call.id
            row.updated_at = call.occurred_at
            return Finished(scorecard_store.saved_public(stored, card), follow_up=follow_up)
    raise Conflict(f"role-play session {session_id} kept changing while it was scored; finish it again")


def _store_practised_call(
    session: Session, user: Principal, row: RoleplaySessionRow, state: SessionState, transcript: Transcript
) -> Call:
    transcript_json = transcript.to_json(indent=None)
    call = Call(
        org_id=row.org_id, team_id=row.team_id, rep_id=row.user_id, uploaded_by=user.user_id, kind="roleplay",
        filename=f"roleplay-{state.scenario.id}-{row.id}.json", format=transcript.format,
        title=f"Role-play: {state.scenario.title}", sellers=[state.rep_name],
        meta={"roleplay_session": row.id, "scenario": state.scenario.id, "seed": state.seed},
        size_bytes=len(transcript_json.encode()), turns=len(transcript.turns), duration_s=None, occurred_at=utcnow(),
        status=CallStatus.scored,
    )  # fmt: skip
    store_call(session, call, transcript_json.encode(), transcript_json)
    return call
