"""The scoring queue seen per call and per organisation: back-pressure on uploads and an
admin's re-queue of failed calls."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.db import Database
from api.db.models import Call, CallStatus
from api.enqueue import Lane, add_jobs
from api.principal import Principal
from api.store.errors import Conflict, Forbidden, NotFound, Throttled
from api.db.models import Role

WAITING = (CallStatus.queued.value, CallStatus.scoring.value)


def backlog(session: Session, org_id: int) -> int:
    """Calls of the organisation waiting for or in scoring."""
    return int(session.scalar(select(func.count()).select_from(Call).where(Call.org_id == org_id, Call.status.in_(WAITING))) or 0)


def check_backlog(db: Database, org_id: int, bound: int, retry_after_s: int) -> None:
    """429 with `Retry-After` when the organisation already has `bound` calls waiting: its
    uploads wait at its door instead of growing a queue every organisation shares."""
    with db.reader() as session:
        waiting = backlog(session, org_id)
    if waiting >= bound:
        raise Throttled(
            f"your organisation has {waiting} calls waiting to be scored (the limit is {bound}); "
            f"retry in {retry_after_s} s",
            type="urn:coach:problem:backlog",
            retry_after_s=retry_after_s,
        )


def requeue_failed(session: Session, call_ids: list[int] | None, org_id: int | None = None) -> list[int]:
    """Queue a fresh scoring job for each failed call (all failed calls when `call_ids` is None,
    within `org_id` when given); returns the ids re-queued. A new job starts with no attempts."""
    query = select(Call).where(Call.status == CallStatus.failed.value)
    if call_ids is not None:
        query = query.where(Call.id.in_(call_ids))
    if org_id is not None:
        query = query.where(Call.org_id == org_id)
    calls = list(session.scalars(query.order_by(Call.id)))
    for call in calls:
        call.status = CallStatus.queued.value
        call.error = None
    add_jobs(session, [(call.id, call.org_id) for call in calls], "score", Lane.interactive)
    return [call.id for call in calls]


def requeue_call(db: Database, user: Principal, call_id: int) -> Call:
    """An admin re-queues one failed call of their organisation."""
    with db.write() as session:
        call = session.scalars(select(Call).where(Call.id == call_id, Call.org_id == user.org_id)).one_or_none()
        if call is None:
            raise NotFound("call", call_id)
        if user.role is not Role.admin:
            raise Forbidden("only an admin may re-queue a call")
        if call.status != CallStatus.failed.value:
            raise Conflict(f"call {call_id} is {call.status}, not failed; only failed calls are re-queued")
        requeue_failed(session, [call_id])
        session.flush()
        session.refresh(call)
        return call
