"""Putting jobs in the queue: a `jobs` row per job on both backends, and on PostgreSQL a
Procrastinate job deferred in the same transaction, so a call and its job are stored
together or not at all.

Priorities. Each job has a lane (`Lane`): interactive work (an upload, an admin's re-queue)
before the LLM follow-ups before rescoring backfills. Within a lane, Procrastinate runs the
highest priority first, then the oldest; we give each job the lane's top priority minus its
rank, the number of jobs its organisation already has waiting in that queue and lane. So an
organisation's k-th waiting job goes after every other organisation's k-th: round-robin
over organisations, decided once at defer time (Procrastinate's fetch stays its own single
indexed query). A queue per organisation would not do it: a worker listening to every queue
still takes the highest priority, then the oldest job across all of them.

The in-process runner (SQLite) needs no rank: it chooses the organisation when it claims
(`api.jobs.JobRunner._next_fair`) and orders by the lane stored on the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from procrastinate import jobs as pjobs
from procrastinate.manager import JobManager
from procrastinate.sync_psycopg_connector import SyncPsycopgConnector
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.db.models import Job

# Procrastinate queue and task names (the worker registers the tasks under these names).
TASK_NAMES = {"score": "coach.score", "llm": "coach.llm"}
QUEUES = {"score": "score", "llm": "llm"}

# Width of one lane's priorities: a rank past it shares the lane's lowest priority.
LANE_SPAN = 1_000_000


class Lane(IntEnum):
    backfill = 1  # rescoring past calls (POST /v1/rescore)
    follow_up = 2  # LLM grading of a stored scorecard
    interactive = 3  # an upload, an admin's re-queue


def priority(lane: int, rank: int) -> int:
    """Procrastinate priority: every job of a higher lane before any of a lower one; within a
    lane, fewer jobs of the same organisation waiting ahead first."""
    return lane * LANE_SPAN + (LANE_SPAN - 1 - min(max(rank, 0), LANE_SPAN - 1))


# Used only with the caller's own connection (the SQLAlchemy transaction's): its pool never opens.
_deferrer = JobManager(SyncPsycopgConnector())


def add_jobs(session: Session, calls: Sequence[tuple[int, int]], kind: str, lane: Lane) -> list[Job]:
    """Queue a job of `kind` for each (call id, organisation id), in the session's transaction."""
    rows = [Job(call_id=call_id, kind=kind, priority=int(lane)) for call_id, _org in calls]
    session.add_all(rows)
    session.flush()
    if session.get_bind().dialect.name == "postgresql" and rows:
        _defer(session, rows, [org for _call, org in calls], kind, lane)
    return rows


def add_job(session: Session, call_id: int, org_id: int, kind: str = "score", lane: Lane = Lane.interactive) -> Job:
    return add_jobs(session, [(call_id, org_id)], kind, lane)[0]


def _defer(session: Session, rows: list[Job], orgs: list[int], kind: str, lane: Lane) -> None:
    queue = QUEUES[kind]
    lowest, highest = priority(lane, LANE_SPAN), priority(lane, 0)
    waiting: dict[int, int] = {}
    for org in set(orgs):
        waiting[org] = int(session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = :queue AND status = 'todo' "
                "AND args->>'org_id' = :org AND priority BETWEEN :lowest AND :highest"
            ),
            {"queue": queue, "org": str(org), "lowest": lowest, "highest": highest},
        ).scalar_one())
    deferred = []
    for row, org in zip(rows, orgs, strict=True):
        rank = waiting[org]
        waiting[org] = rank + 1
        deferred.append(pjobs.Job(
            queue=queue, task_name=TASK_NAMES[kind], priority=priority(lane, rank),
            # One job per call at a time, whatever its kind: a rescoring never races an LLM merge.
            lock=f"call-{row.call_id}", queueing_lock=None,
            task_kwargs={"job_id": row.id, "org_id": org},
        ))  # fmt: skip
    _deferrer.batch_defer_jobs(deferred, connection=session.connection().connection.driver_connection)
