"""Scoring jobs on SQLite: rows in the database, run by a pool of worker threads in the server
(on PostgreSQL, Procrastinate workers run them: `api.worker`). Both run the same task
functions (`api.tasks`); this module owns the in-process claiming, leases and the scorer.

A job is claimed by setting it `running` with a lease; finishing it stores the
scorecard and marks job and call in one transaction. Nothing lives only in
memory, so a process that dies mid-job loses nothing: at the next start the
job is queued again (or, with several servers on one database, claimed by
another once its lease expires). A job that fails keeps its error on the call.

With LLM grading on (`COACH_LLM_GRADING`), storing a heuristic scorecard also
queues an `llm` job in the same transaction; it grades the call and replaces
the stored scorecard with the grader's merge (`update_machine_scorecard`, which
keeps manager overrides). Its failures never touch the call's status.

Isolation and faults (issue 15):
- Claims are fair per organisation: the next job comes from the organisation
  with the fewest running jobs, then the one served longest ago, so one
  organisation's backlog or slow call delays another's by at most one job.
- A running job's lease is renewed by a heartbeat; a dead worker or a lost
  database connection frees it once the (short) lease runs out.
- `attempts` counts failures of the call itself. A run cut short by a restart
  or an expired lease counts as an interruption instead, and only an absurd
  number of those (a call that takes the server down every time) gives up.
- In child processes (`api.scorers`) each call is scored under a CPU-time and memory
  budget; past it the child stops (or is killed) and the call fails with the reason.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
import uuid

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.db import Database
from api.db.models import Call, CallStatus, Job, JobStatus, utcnow
from api.llm_grading import Grader
from api.scorers import ProcessScorer, Scorer, ServerScorer, server_scorer, shutdown
from api.settings import ApiSettings
from api.tasks import TASKS, JobKind, Outcome, TaskContext, begin_run
from coach import pipeline

__all__ = ["JobKind", "JobRunner"]

log = logging.getLogger("coach.api.jobs")

class JobRunner:
    """Heuristic scoring jobs on `job_workers` threads; with a grader, LLM follow-up jobs on one
    more thread of their own, so a slow model never holds up the heuristic scorecards."""

    def __init__(
        self, db: Database, settings: ApiSettings, scorer: Scorer | ServerScorer | None = None,
        grader: Grader | None = None, *, spec: pipeline.CallSpec | None = None,
    ):  # fmt: skip
        self.db = db
        self.settings = settings
        self.grader = grader
        self.spec = spec or settings.call_spec()
        self.scorer = server_scorer(settings, self.spec, scorer)
        self.instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = {kind: threading.Event() for kind in JobKind}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Jobs this runner is working on: the heartbeat renews their leases.
        self._held: set[int] = set()
        self._held_lock = threading.Lock()
        self._heartbeat_stop = threading.Event()
        # organisation -> when this runner last claimed one of its jobs (a counter): round-robin.
        self._served: dict[int, int] = {}
        self._turn = itertools.count(1)
        self.context = TaskContext(
            db=db, settings=settings, spec=self.spec, scorer=self.scorer, grader=grader, instance=self.instance,
            stopping=self._stop.is_set,
        )  # fmt: skip

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.requeue_running_on_start:
            self.requeue_running()
        workers = [(JobKind.score, n) for n in range(self.score_threads)]
        if self.grader is not None:
            workers.append((JobKind.llm, 0))  # one: a local model serves one request at a time anyway
        for kind, n in workers:
            thread = threading.Thread(target=self._loop, args=(kind,), name=f"coach-{kind}-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        if workers:
            beat = threading.Thread(target=self._heartbeat_loop, name="coach-job-heartbeat", daemon=True)
            beat.start()
            self._threads.append(beat)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._heartbeat_stop.set()
        for wake in self._wake.values():
            wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        shutdown(self.scorer)

    @property
    def score_threads(self) -> int:
        if isinstance(self.scorer, ProcessScorer):
            # One claiming thread per scorer child: a thread that claimed a job and then waited
            # for a busy child would hold that job back from the next organisation.
            return min(self.settings.job_workers, len(self.scorer.pools))
        return self.settings.job_workers

    @property
    def wanted_workers(self) -> int:
        return self.score_threads + (1 if self.grader is not None else 0)

    @property
    def alive_workers(self) -> int:
        return sum(t.is_alive() for t in self._threads if t.name != "coach-job-heartbeat")

    def notify(self, kind: JobKind = JobKind.score) -> None:
        self._wake[kind].set()

    def requeue_running(self) -> int:
        """Jobs a dead process left running go back to the queue. The restart was not the call's
        failure: the attempt is given back and counted as an interruption."""
        with self.db.write() as session:
            running = list(session.scalars(select(Job.call_id).where(Job.status == JobStatus.running)))
            if not running:
                return 0
            session.execute(
                update(Job)
                .where(Job.status == JobStatus.running)
                .values(
                    status=JobStatus.queued, lease_until=None, worker=None,
                    attempts=func.max(Job.attempts - 1, 0) if self.db.is_sqlite else func.greatest(Job.attempts - 1, 0),
                    interruptions=Job.interruptions + 1,
                )
            )
            session.execute(
                update(Call).where(Call.id.in_(running), Call.status == CallStatus.scoring).values(status=CallStatus.queued)
            )
        log.info("requeued %d job(s) left running by a previous process", len(running))
        return len(running)

    # -- leases ---------------------------------------------------------------------------
    def heartbeat_s(self) -> float:
        return self.settings.job_lease_s / 3

    def _heartbeat_loop(self) -> None:
        while not self._heartbeat_stop.wait(self.heartbeat_s()):
            try:
                self.renew_leases()
            except Exception:  # the database away: the lease runs out and the job is claimed again
                log.warning("job heartbeat failed", exc_info=True)

    def renew_leases(self) -> int:
        """Push the lease of every job this runner holds `job_lease_s` into the future."""
        with self._held_lock:
            held = list(self._held)
        if not held:
            return 0
        with self.db.write() as session:
            result = session.execute(
                update(Job)
                .where(Job.id.in_(held), Job.worker == self.instance, Job.status == JobStatus.running)
                .values(lease_until=utcnow() + dt.timedelta(seconds=self.settings.job_lease_s))
            )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _hold(self, job_id: int) -> None:
        with self._held_lock:
            self._held.add(job_id)

    def _release(self, job_id: int) -> None:
        with self._held_lock:
            self._held.discard(job_id)

    # -- the work -----------------------------------------------------------------------
    def _loop(self, kind: JobKind) -> None:
        while not self._stop.is_set():
            self._wake[kind].clear()
            try:
                worked = self.run_once(kind)
            except Exception:  # a database outage must not kill the worker thread
                log.exception("job worker error")
                worked = False
            if not worked:
                self._wake[kind].wait(self.settings.job_poll_s)

    def run_once(self, kind: JobKind = JobKind.score) -> bool:
        """Claim and run one job of this kind; False when there was none."""
        claimed = self._claim(kind)
        if claimed is None:
            return False
        job_id, attempt = claimed
        self._hold(job_id)
        try:
            result = TASKS[kind](self.context, job_id, attempt)
        finally:
            self._release(job_id)
        if result.follow_up:
            self.notify(JobKind.llm)
        if result.outcome is Outcome.retry:
            self._retry_after(kind, result.retry_in_s)
        return True

    def _retry_after(self, kind: JobKind, delay_s: float) -> None:
        if delay_s <= 0:
            self.notify(kind)
            return
        timer = threading.Timer(delay_s, self.notify, args=(kind,))
        timer.daemon = True
        timer.start()

    def _claim(self, kind: JobKind = JobKind.score) -> tuple[int, int] | None:
        now = utcnow()
        expired = and_(Job.status == JobStatus.running, Job.lease_until < now)
        # A queued row's lease, when set, is its retry backoff: not before then.
        due = and_(Job.status == JobStatus.queued, or_(Job.lease_until.is_(None), Job.lease_until <= now))
        claimable = or_(due, expired)
        with self.db.write() as session:
            job = self._next_fair(session, kind, claimable, now)
            if job is None:
                return None
            # Leases are short and renewed by the heartbeat while the job runs.
            attempt = begin_run(session, job, self.instance, self.settings, lease_s=self.settings.job_lease_s)
            return None if attempt is None else (job.id, attempt)

    def _next_fair(self, session: Session, kind: JobKind, claimable: ColumnElement[bool], now: dt.datetime) -> Job | None:
        """The next job of the highest lane waiting: the oldest of the organisation with the
        fewest running jobs, then of the one this runner served longest ago."""
        of_kind = and_(Job.kind == kind.value, Call.id == Job.call_id)
        lane = session.scalar(select(func.max(Job.priority)).select_from(Job).join(Call, of_kind).where(claimable))
        if lane is None:
            return None
        in_lane = and_(claimable, Job.priority == lane)
        heads = session.execute(
            select(Call.org_id, func.min(Job.id)).select_from(Job).join(Call, of_kind).where(in_lane).group_by(Call.org_id)
        ).all()
        if not heads:
            return None
        busy = dict(
            session.execute(
                select(Call.org_id, func.count())
                .select_from(Job)
                .join(Call, of_kind)
                .where(Job.status == JobStatus.running, Job.lease_until >= now)
                .group_by(Call.org_id)
            ).all()
        )
        heads.sort(key=lambda head: (busy.get(head[0], 0), self._served.get(head[0], 0), head[1]))
        for org_id, job_id in heads:
            query = select(Job).where(Job.id == job_id, claimable)
            if not self.db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises claims
                query = query.with_for_update(skip_locked=True)
            job = session.scalars(query).first()
            if job is not None:
                self._served[org_id] = next(self._turn)
                return job
        return None
