"""Role-play sessions: the role-play layer's own state model, stored as JSON in a row.

The HTTP endpoints (issue 5) sit on these functions: create a session for the
caller, load its typed state (visible to the user, their manager, their admin),
save the state after each turn, and finish it by storing the practised call and
its scorecard exactly like an uploaded call's.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible
from api.db import Database
from api.db.models import Call, CallBlob, CallStatus, RoleplaySessionRow, utcnow
from api.principal import Principal
from api.problems import ApiProblem, forbidden, not_found
from api.store.scorecards import save_scorecard
from coach.scorecard import Scorecard
from coach.transcript import Transcript

State = TypeVar("State", bound=BaseModel)


def create_session(db: Database, user: Principal, scenario: str, state: BaseModel) -> int:
    with db.write() as session:
        row = RoleplaySessionRow(
            org_id=user.org_id, team_id=user.team_id, user_id=user.user_id, scenario=scenario,
            state=state.model_dump_json(),
        )
        session.add(row)
        session.flush()
        return row.id


def _visible_row(session: Session, user: Principal, session_id: int) -> RoleplaySessionRow:
    row = session.scalars(
        select(RoleplaySessionRow).where(
            RoleplaySessionRow.id == session_id,
            visible(user, RoleplaySessionRow.org_id, RoleplaySessionRow.team_id, RoleplaySessionRow.user_id),
        )
    ).one_or_none()
    if row is None:
        raise not_found("role-play session", session_id)
    return row


def load_state(session: Session, user: Principal, session_id: int, state_type: type[State]) -> tuple[RoleplaySessionRow, State]:
    row = _visible_row(session, user, session_id)
    return row, state_type.model_validate_json(row.state)


def save_state(db: Database, user: Principal, session_id: int, state: BaseModel) -> None:
    """Store the state after a turn; only the session's own rep practises in it."""
    with db.write() as session:
        row = _visible_row(session, user, session_id)
        if row.user_id != user.user_id:
            raise forbidden("only the rep practising in a session may add turns to it")
        if row.status != "active":
            raise ApiProblem(409, f"role-play session {session_id} is already {row.status}")
        row.state = state.model_dump_json()
        row.updated_at = utcnow()


def finish_session(
    db: Database, user: Principal, session_id: int, state: BaseModel, transcript: Transcript, scorecard: Scorecard
) -> int:
    """Close the session and store its call and scorecard like an uploaded call's; returns the call id."""
    with db.write() as session:
        row = _visible_row(session, user, session_id)
        if row.user_id != user.user_id:
            raise forbidden("only the rep practising in a session may finish it")
        if row.status != "active":
            raise ApiProblem(409, f"role-play session {session_id} is already {row.status}")
        raw = transcript.to_json(indent=None)
        call = Call(
            org_id=row.org_id, team_id=row.team_id, rep_id=row.user_id, uploaded_by=row.user_id, kind="roleplay",
            filename=f"roleplay-{row.id}.json", format=transcript.format, title=f"Role-play: {row.scenario}",
            sellers=[], meta={"roleplay_session": row.id, "scenario": row.scenario}, size_bytes=len(raw),
            turns=len(transcript.turns), duration_s=transcript.duration_s, occurred_at=utcnow(),
            status=CallStatus.scored,
        )
        session.add(call)
        session.flush()
        session.add(CallBlob(call_id=call.id, raw=raw.encode(), transcript_json=raw))
        save_scorecard(session, call, scorecard)
        row.status = "finished"
        row.state = state.model_dump_json()
        row.call_id = call.id
        row.updated_at = utcnow()
        return call.id
