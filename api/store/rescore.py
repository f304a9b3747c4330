"""Rescoring past calls after a rubric change: low-priority jobs that never hold up uploads.

`POST /v1/rescore` queues an admin's organisation's calls (`queue_rescoring`); `coach admin
rescore` queues any organisation's, or every one's (`rescore_calls`).
"""

from __future__ import annotations

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from api.db.models import Call, CallBlob, Job, JobStatus, Role, ScorecardRow
from api.enqueue import Lane, add_jobs
from api.principal import Principal
from api.schemas.rescore import RescoreQueued, RescoreRequest
from api.store.errors import Forbidden, Invalid


def queue_rescoring(session: Session, user: Principal, wanted: RescoreRequest) -> RescoreQueued:
    """An admin rescores their organisation's calls."""
    if user.role is not Role.admin:
        raise Forbidden("only an admin may rescore calls")
    return rescore_calls(session, wanted, org_id=user.org_id)


def rescore_calls(session: Session, wanted: RescoreRequest, *, org_id: int | None) -> RescoreQueued:
    """Queue a rescoring job (the backfill lane) for each scored call that matches, in `org_id`
    (None: every organisation); a call already waiting for or in scoring is left alone. A dry
    run counts the same calls and queues nothing."""
    if wanted.since is not None and wanted.until is not None and wanted.since >= wanted.until:
        raise Invalid("since must be before until", loc=["body", "since"])
    when = func.coalesce(Call.occurred_at, Call.created_at)
    waiting = exists().where(
        and_(Job.call_id == Call.id, Job.kind == "score", Job.status.in_([JobStatus.queued, JobStatus.running]))
    )
    query = (
        select(Call.id, Call.org_id, waiting.label("busy"))
        .join(ScorecardRow, ScorecardRow.call_id == Call.id)
        .join(CallBlob, CallBlob.call_id == Call.id)
    )
    if org_id is not None:
        query = query.where(Call.org_id == org_id)
    if wanted.rubric is not None:
        query = query.where(ScorecardRow.rubric_id == wanted.rubric)
    if wanted.rubric_version is not None:
        query = query.where(ScorecardRow.rubric_version == wanted.rubric_version)
    if wanted.team is not None:  # an id no row can have matches nothing (api.db.bounds)
        query = query.where(Call.team_id == wanted.team)
    if wanted.since is not None:
        query = query.where(when >= wanted.since)
    if wanted.until is not None:
        query = query.where(when < wanted.until)
    matched = session.execute(query.order_by(Call.id)).all()
    todo = [(row.id, row.org_id) for row in matched if not row.busy]
    if not wanted.dry_run:
        add_jobs(session, todo, "score", Lane.backfill)
    return RescoreQueued(queued=len(todo), already_waiting=len(matched) - len(todo))
