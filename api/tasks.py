"""The work of each job kind, one function per kind (`TASKS`), run by both runners: the
in-process `api.jobs.JobRunner` (SQLite) and the Procrastinate workers (`api.worker`,
PostgreSQL).

A run goes: `begin_run` marks the `jobs` row running for this worker (a row found already
running was cut short by a dead worker: an interruption, not an attempt), the task scores
or grades, and its result is stored only if the row is still this worker's, so a job that
two workers ran (a worker presumed dead that was only slow) is stored once. Failures are
recorded on the row and the call: retried with backoff unless final (bad input fails at
once; anything else after `job_max_attempts`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.db import Database
from api.db.models import Call, CallBlob, CallStatus, Job, JobStatus, ScorecardRow, utcnow
from api.enqueue import Lane, add_job
from api.llm_grading import Grader, llm_rubric
from api.settings import ApiSettings
from api.store.scorecards import save_scorecard, update_machine_scorecard
from coach.errors import CoachError
from coach.scorecard import LLMRun, Scorecard
from coach.transcript import Transcript

log = logging.getLogger("coach.api.jobs")

Scorer = Callable[[Transcript], Scorecard]


class JobKind(StrEnum):
    score = "score"  # the heuristic scorecard: fast, stored first (also a rescoring)
    llm = "llm"  # the LLM grader's follow-up on a stored scorecard (when LLM grading is on)


class Outcome(StrEnum):
    done = "done"
    retry = "retry"  # failed, to be run again after `retry_in_s`
    failed = "failed"  # failed for good: the call shows the error (the dead letter)
    dropped = "dropped"  # nothing stored: the call was deleted, the job is another worker's, or we are stopping


@dataclass
class TaskResult:
    outcome: Outcome
    error: str | None = None
    retry_in_s: float = 0.0
    follow_up: bool = False  # an LLM job was queued


@dataclass
class TaskContext:
    """What a task needs, built once per runner."""

    db: Database
    settings: ApiSettings
    scorer: Scorer
    grader: Grader | None
    instance: str  # who runs it: the `jobs.worker` of the rows it holds
    stopping: Callable[[], bool] = field(default=lambda: False)
    # The scorer's fast path: transcript JSON in, scorecard JSON out (the ProcessScorer's children).
    score_stored: Callable[[str], Scorecard] | None = None  # the scorer child's entry for stored transcript JSON


def one_line(exc: BaseException) -> str:
    if isinstance(exc, CoachError):
        return exc.one_line()
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:1000]


def retry_delay(settings: ApiSettings, attempt: int) -> float:
    """Exponential backoff after the `attempt`-th failure, capped at five minutes."""
    return min(settings.job_retry_backoff_s * 2 ** max(attempt - 1, 0), 300.0)


def begin_run(session: Session, job: Job, instance: str, settings: ApiSettings, *, lease_s: float | None) -> int | None:
    """Mark `job` running for this worker (in the caller's transaction); its attempt number, or
    None when it was given up (a call whose every run takes its worker down)."""
    now = utcnow()
    kind = JobKind(job.kind)
    if job.status == JobStatus.running:
        # Its worker died or lost the database: the run was cut short, not failed.
        job.attempts = max(job.attempts - 1, 0)
        job.interruptions += 1
    if job.interruptions >= settings.job_max_interruptions:
        job.status = JobStatus.failed
        job.finished_at = now
        job.lease_until = None
        job.error = f"gave up after {job.interruptions} runs that were cut short (restarts or lost workers)"
        _record_failure(session, job, kind, job.error, final=True)
        return None
    job.status = JobStatus.running
    job.attempts += 1
    job.worker = instance
    job.started_at = now
    job.lease_until = now + dt.timedelta(seconds=lease_s) if lease_s else None
    if kind is JobKind.score:
        # An LLM follow-up, or a rescoring of a scored call, leaves the call as it is: its scorecard stays shown.
        session.execute(
            update(Call).where(Call.id == job.call_id, Call.status != CallStatus.scored).values(status=CallStatus.scoring)
        )
    return job.attempts


def score_call(ctx: TaskContext, job_id: int, attempt: int) -> TaskResult:
    """The heuristic scorecard of the job's call, stored (a rescoring keeps managers' overrides)."""
    with ctx.db.reader() as session:
        found = session.execute(
            select(Job.call_id, CallBlob.transcript_json).join(CallBlob, CallBlob.call_id == Job.call_id).where(Job.id == job_id)
        ).first()
    if found is None:
        return TaskResult(Outcome.dropped)  # the call was deleted meanwhile

    def score() -> Scorecard:
        if ctx.score_stored is not None:
            return ctx.score_stored(found.transcript_json)
        return ctx.scorer(Transcript.from_json(found.transcript_json))

    scorecard, failure = _attempt(ctx, job_id, attempt, score)
    if scorecard is None:
        return failure
    with ctx.db.write() as session:
        job = _still_ours(ctx, session, job_id)
        call = session.get(Call, job.call_id) if job is not None else None
        if job is None or call is None:
            return TaskResult(Outcome.dropped)
        if not update_machine_scorecard(session, call.id, scorecard):
            save_scorecard(session, call, scorecard)
        _done(job)
        call.status = CallStatus.scored
        call.error = None
        follow_up = ctx.grader is not None
        if follow_up:  # stored first, graded after: the LLM only ever adds to a kept scorecard
            add_job(session, call.id, call.org_id, JobKind.llm.value, Lane(min(job.priority, Lane.follow_up)))
    return TaskResult(Outcome.done, follow_up=follow_up)


def grade_call(ctx: TaskContext, job_id: int, attempt: int) -> TaskResult:
    """The LLM follow-up: grade the stored call and merge into its stored scorecard."""
    assert ctx.grader is not None, "an LLM job runs only where LLM grading is on"
    with ctx.db.reader() as session:
        found = session.execute(
            select(CallBlob.transcript_json, ScorecardRow.body)
            .join(Job, Job.call_id == CallBlob.call_id)
            .join(ScorecardRow, ScorecardRow.call_id == CallBlob.call_id)
            .where(Job.id == job_id)
        ).first()
    if found is None:
        return TaskResult(Outcome.dropped)
    grader = ctx.grader
    # The grader never raises for the model's failures (unreachable, bad replies): it returns
    # the scorecard with `llm_status: failed: ...` and the heuristic verdicts.
    card = Scorecard.model_validate_json(found.body)
    graded, failure = _attempt(ctx, job_id, attempt, lambda: grader.grade(
        Transcript.from_json(found.transcript_json), card, llm_rubric(card.rubric)
    ))  # fmt: skip
    if graded is None:
        return failure
    if ctx.stopping() and graded.llm is not None and graded.llm.llm_status.startswith("failed"):
        # Stopping stopped the embedded model under this request: not the model's verdict on
        # the call. The row stays running and the next run counts it as an interruption.
        return TaskResult(Outcome.dropped)
    with ctx.db.write() as session:
        job = _still_ours(ctx, session, job_id)
        if job is None:
            return TaskResult(Outcome.dropped)
        update_machine_scorecard(session, job.call_id, graded)
        _done(job)
    return TaskResult(Outcome.done)


TASKS: dict[JobKind, Callable[[TaskContext, int, int], TaskResult]] = {JobKind.score: score_call, JobKind.llm: grade_call}


def _attempt(
    ctx: TaskContext, job_id: int, attempt: int, work: Callable[[], Scorecard]
) -> tuple[Scorecard | None, TaskResult]:
    """`work()`, or None with the failure recorded on the job."""
    try:
        return work(), TaskResult(Outcome.done)
    except BrokenProcessPool:
        if ctx.stopping():
            return None, TaskResult(Outcome.dropped)  # stopping: the row stays running, the next run resumes it
        error = "the scoring process died (killed for memory, or by the system); the call was not scored"
        log.warning("job %s attempt %s: %s", job_id, attempt, error)
        return None, fail(ctx, job_id, attempt, error, final=attempt >= ctx.settings.job_max_attempts)
    except Exception as exc:
        log.warning("job %s attempt %s failed: %s", job_id, attempt, one_line(exc), exc_info=not isinstance(exc, CoachError))
        # Bad input fails the same way every time; anything else is worth another try.
        final = isinstance(exc, CoachError) or attempt >= ctx.settings.job_max_attempts
        return None, fail(ctx, job_id, attempt, one_line(exc), final=final)


def _still_ours(ctx: TaskContext, session: Session, job_id: int) -> Job | None:
    """The job, unless it was deleted or another worker took it over (ours was presumed dead)."""
    job = session.get(Job, job_id)
    if job is None or job.status != JobStatus.running or job.worker != ctx.instance:
        return None
    return job


def fail(ctx: TaskContext, job_id: int, attempt: int, error: str, *, final: bool) -> TaskResult:
    """Record a failed run on the row (and the call): queued again after a backoff, or failed for good."""
    delay = 0.0 if final else retry_delay(ctx.settings, attempt)
    with ctx.db.write() as session:
        job = session.get(Job, job_id)
        if job is None or job.worker != ctx.instance:
            return TaskResult(Outcome.dropped)
        job.error = error
        job.status = JobStatus.failed if final else JobStatus.queued
        # A queued row's lease is when it may run again (the in-process runner's backoff).
        job.lease_until = None if final else utcnow() + dt.timedelta(seconds=delay)
        if final:
            job.finished_at = utcnow()
        _record_failure(session, job, JobKind(job.kind), error, final=final)
    return TaskResult(Outcome.failed if final else Outcome.retry, error=error, retry_in_s=delay)


def _record_failure(session: Session, job: Job, kind: JobKind, error: str, *, final: bool) -> None:
    if kind is JobKind.llm:  # the call keeps its heuristic scorecard; it says the LLM failed
        if final:
            _llm_failed(session, job.call_id, error)
        return
    call = session.get(Call, job.call_id)
    if call is None:
        return
    if call.status == CallStatus.scored:
        return  # a failed rescoring: the stored scorecard stays; the job carries the error
    call.status = CallStatus.failed if final else CallStatus.queued
    call.error = error


def _done(job: Job) -> None:
    job.status = JobStatus.done
    job.finished_at = utcnow()
    job.lease_until = None
    job.error = None


def _llm_failed(session: Session, call_id: int, error: str) -> None:
    """Record on the stored scorecard that its LLM grading failed for good (verdicts untouched)."""
    body = session.scalar(select(ScorecardRow.body).where(ScorecardRow.call_id == call_id))
    if body is None:
        return
    card = Scorecard.model_validate_json(body)
    failed = LLMRun(llm_status=f"failed: {error}", rubric_version=card.rubric.version)
    update_machine_scorecard(session, call_id, card.model_copy(update={"llm": failed}))
