"""Scoring jobs: rows in the database, run by a pool of worker threads in the server.

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
- In child processes each call is scored under a CPU-time and memory budget;
  past it the child stops (or is killed) and the call fails with the reason.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import logging
import os
import queue
import resource
import signal
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from api.children import ChildPool
from api.db import Database
from api.db.models import Call, CallBlob, CallStatus, Job, JobStatus, ScorecardRow, utcnow
from api.llm_grading import Grader, llm_rubric
from api.settings import ApiSettings
from api.store.scorecards import save_scorecard, update_machine_scorecard
from coach.errors import CoachError, ConfigError
from coach.scorecard import LLMRun, Scorecard
from coach.transcript import Transcript

log = logging.getLogger("coach.api.jobs")

Scorer = Callable[[Transcript], Scorecard]


def load_scorer(spec: str) -> Scorer:
    module_name, _, attr = spec.partition(":")
    try:
        scorer = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ConfigError(f"cannot load scorer {spec!r}: {exc}", source="COACH_SCORER") from None
    if not callable(scorer):
        raise ConfigError(f"scorer {spec!r} is not callable", source="COACH_SCORER")
    return scorer


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, CoachError):
        return exc.one_line()
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:1000]


# -- scoring in child processes -------------------------------------------------------------
# Scoring a 60-minute call is about a CPU-second of Python. In worker threads it competes
# for the server's GIL with every request; in niced child processes it runs beside the
# server and yields the CPU to request handling. The transcript goes to the child and the
# scorecard comes back as JSON, parsed on the child's CPU, not the server's.

_child_scorer: Scorer | None = None


class ScoreBudgetExceeded(CoachError):
    """Scoring one call went past its CPU-time or memory budget (`COACH_SCORE_CPU_S`, `COACH_SCORE_MEMORY_MB`)."""


def _over_cpu(_signum: int, _frame: Any) -> None:
    raise ScoreBudgetExceeded("scoring used more than its CPU-time budget")


def _child_init(spec: str, memory_mb: int) -> None:
    global _child_scorer
    _child_scorer = load_scorer(spec)
    signal.signal(signal.SIGXCPU, _over_cpu)
    if memory_mb > 0:
        # The address space of the whole child: an allocation past it raises MemoryError in
        # the call that made it, and only that call fails.
        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _child_score(transcript_json: str, cpu_s: float) -> Scorecard:
    assert _child_scorer is not None
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if cpu_s > 0:
        # SIGXCPU (-> ScoreBudgetExceeded) once this call has used `cpu_s` seconds of CPU.
        limit = int(_cpu_used() + cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    try:
        # The validated model crosses the process boundary as is (pickled): no JSON written
        # out here to be parsed and validated again by the parent.
        return _child_scorer(Transcript.from_json(transcript_json))
    except MemoryError:
        raise ScoreBudgetExceeded("scoring used more than its memory budget") from None
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


class ProcessScorer:
    """A `Scorer` that runs the configured scorer in niced child processes, one call at a time
    each, under a per-call CPU-time and memory budget. A child that does not answer within
    its budget (stuck where SIGXCPU cannot interrupt it) is killed; only its own call fails."""

    def __init__(self, spec: str, processes: int, niceness: int = 19, *, cpu_s: float = 0, memory_mb: int = 0):
        self.spec = spec
        self.cpu_s = cpu_s
        self.pools = [
            ChildPool(1, niceness=niceness, init=_child_init, init_args=(spec, memory_mb)) for _ in range(processes)
        ]
        self._free: queue.Queue[ChildPool] = queue.Queue()
        for pool in self.pools:
            self._free.put(pool)

    def __call__(self, transcript: Transcript) -> Scorecard:
        return self.score_stored(transcript.to_json(indent=None))

    def score_stored(self, transcript_json: str) -> Scorecard:
        """The stored transcript JSON in, the child's validated scorecard out. A child that dies raises
        BrokenProcessPool; one past its budget raises ScoreBudgetExceeded."""
        pool = self._free.get()
        try:
            # CPU time is at most wall time on a niced child, so twice the budget plus the
            # child's start (loading the scorer) is ample before the backstop kill.
            timeout = 2 * self.cpu_s + 60 if self.cpu_s > 0 else None
            try:
                return pool.run(_child_score, transcript_json, self.cpu_s, timeout=timeout)
            except FutureTimeout:
                pool.kill()
                raise ScoreBudgetExceeded(f"scoring did not finish within {timeout:.0f} s; its process was killed") from None
        finally:
            self._free.put(pool)

    def shutdown(self) -> None:
        for pool in self.pools:
            pool.shutdown()


class JobKind(StrEnum):
    score = "score"  # the heuristic scorecard: fast, stored first
    llm = "llm"  # the LLM grader's follow-up on a stored scorecard (when LLM grading is on)


class JobRunner:
    """Heuristic scoring jobs on `job_workers` threads; with a grader, LLM follow-up jobs on one
    more thread of their own, so a slow model never holds up the heuristic scorecards."""

    def __init__(self, db: Database, settings: ApiSettings, scorer: Scorer | None = None, grader: Grader | None = None):
        self.db = db
        self.settings = settings
        self.grader = grader
        if scorer is not None:
            self.scorer: Scorer = scorer
        elif settings.job_processes > 0:
            load_scorer(settings.scorer)  # a bad setting fails at start, not in a child
            self.scorer = ProcessScorer(
                settings.scorer, settings.job_processes, cpu_s=settings.score_cpu_s, memory_mb=settings.score_memory_mb
            )
        else:
            self.scorer = load_scorer(settings.scorer)
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
        if isinstance(self.scorer, ProcessScorer):
            self.scorer.shutdown()

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
            if kind is JobKind.llm:
                self._grade(job_id, attempt)
            else:
                self._run(job_id, attempt)
        finally:
            self._release(job_id)
        return True

    def _claim(self, kind: JobKind = JobKind.score) -> tuple[int, int] | None:
        now = utcnow()
        expired = and_(Job.status == JobStatus.running, Job.lease_until < now)
        claimable = or_(Job.status == JobStatus.queued, expired)
        # Leases are short and renewed by the heartbeat while the job runs.
        lease_s = self.settings.job_lease_s
        with self.db.write() as session:
            job = self._next_fair(session, kind, claimable, now)
            if job is None:
                return None
            if job.status == JobStatus.running:
                # Its worker died or lost the database: the run was cut short, not failed.
                job.attempts = max(job.attempts - 1, 0)
                job.interruptions += 1
            if job.interruptions >= self.settings.job_max_interruptions:
                # A call whose every run takes its process down: stop before it takes this one.
                job.status = JobStatus.failed
                job.finished_at = now
                job.lease_until = None
                job.error = f"gave up after {job.interruptions} runs that were cut short (restarts or lost workers)"
                if kind is JobKind.llm:
                    _llm_failed(session, job.call_id, job.error)
                else:
                    session.execute(update(Call).where(Call.id == job.call_id).values(status=CallStatus.failed, error=job.error))
                return None
            job.status = JobStatus.running
            job.attempts += 1
            job.worker = self.instance
            job.started_at = now
            job.lease_until = now + dt.timedelta(seconds=lease_s)
            if kind is JobKind.score:  # an LLM follow-up leaves the call scored: its scorecard is there
                session.execute(update(Call).where(Call.id == job.call_id).values(status=CallStatus.scoring))
            return job.id, job.attempts

    def _next_fair(self, session: Session, kind: JobKind, claimable: ColumnElement[bool], now: dt.datetime) -> Job | None:
        """The oldest claimable job of the organisation with the fewest running jobs, then of the
        one this runner served longest ago."""
        of_kind = and_(Job.kind == kind.value, Call.id == Job.call_id)
        heads = session.execute(
            select(Call.org_id, func.min(Job.id)).select_from(Job).join(Call, of_kind).where(claimable).group_by(Call.org_id)
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

    def _run(self, job_id: int, attempt: int) -> None:
        with self.db.reader() as session:
            found = session.execute(
                select(Job.call_id, CallBlob.transcript_json)
                .join(CallBlob, CallBlob.call_id == Job.call_id)
                .where(Job.id == job_id)
            ).first()
        if found is None:
            return  # the call was deleted meanwhile

        def score() -> Scorecard:
            if isinstance(self.scorer, ProcessScorer):
                return self.scorer.score_stored(found.transcript_json)
            return self.scorer(Transcript.from_json(found.transcript_json))

        scorecard = self._attempt(job_id, attempt, score)
        if scorecard is None:
            return
        with self.db.write() as session:
            job = self._still_ours(session, job_id)
            if job is None:
                return
            call = session.get(Call, job.call_id)
            if call is None:
                return
            save_scorecard(session, call, scorecard)
            _done(job)
            call.status = CallStatus.scored
            call.error = None
            follow_up = self.grader is not None
            if follow_up:  # stored first, graded after: the LLM only ever adds to a kept scorecard
                session.add(Job(call_id=call.id, kind=JobKind.llm.value))
        if follow_up:
            self.notify(JobKind.llm)

    def _grade(self, job_id: int, attempt: int) -> None:
        """The LLM follow-up: grade the stored call and merge into its stored scorecard."""
        assert self.grader is not None
        with self.db.reader() as session:
            found = session.execute(
                select(CallBlob.transcript_json, ScorecardRow.body)
                .join(Job, Job.call_id == CallBlob.call_id)
                .join(ScorecardRow, ScorecardRow.call_id == CallBlob.call_id)
                .where(Job.id == job_id)
            ).first()
        if found is None:
            return  # the call was deleted meanwhile
        grader = self.grader
        # The grader never raises for the model's failures (unreachable, bad replies): it returns
        # the scorecard with `llm_status: failed: ...` and the heuristic verdicts.
        graded = self._attempt(job_id, attempt, lambda: grader.grade(
            Transcript.from_json(found.transcript_json), Scorecard.model_validate_json(found.body), llm_rubric()
        ))  # fmt: skip
        if graded is None:
            return
        if self._stop.is_set() and graded.llm is not None and graded.llm.llm_status.startswith("failed"):
            # Stopping the server stopped the embedded model under this request: not the
            # model's verdict on the call. The job stays running and is requeued at the next start.
            return
        with self.db.write() as session:
            job = self._still_ours(session, job_id)
            if job is None:
                return
            update_machine_scorecard(session, job.call_id, graded)
            _done(job)

    def _attempt(self, job_id: int, attempt: int, work: Callable[[], Scorecard]) -> Scorecard | None:
        """`work()`, or None after recording its failure on the job."""
        try:
            return work()
        except BrokenProcessPool:
            if self._stop.is_set():
                return None  # the server is stopping: the job stays running and is requeued at the next start
            error = "the scoring process died (killed for memory, or by the system); the call was not scored"
            log.warning("job %s attempt %s: %s", job_id, attempt, error)
            self._fail(job_id, error, final=attempt >= self.settings.job_max_attempts)
            return None
        except Exception as exc:
            log.warning("job %s attempt %s failed: %s", job_id, attempt, _one_line(exc), exc_info=not isinstance(exc, CoachError))
            # Bad input fails the same way every time; anything else is worth another try.
            final = isinstance(exc, CoachError) or attempt >= self.settings.job_max_attempts
            self._fail(job_id, _one_line(exc), final=final)
            return None

    def _still_ours(self, session: Session, job_id: int) -> Job | None:
        """The job, unless it was deleted or our lease expired and another worker took it."""
        job = session.get(Job, job_id)
        if job is None or job.status != JobStatus.running or job.worker != self.instance:
            return None
        return job

    def _fail(self, job_id: int, error: str, *, final: bool) -> None:
        with self.db.write() as session:
            job = session.get(Job, job_id)
            if job is None or job.worker != self.instance:
                return
            kind = JobKind(job.kind)
            job.error = error
            job.lease_until = None
            job.status = JobStatus.failed if final else JobStatus.queued
            if final:
                job.finished_at = utcnow()
            if kind is JobKind.llm:  # the call keeps its heuristic scorecard; it says the LLM failed
                if final:
                    _llm_failed(session, job.call_id, error)
            else:
                session.execute(
                    update(Call)
                    .where(Call.id == job.call_id)
                    .values(status=CallStatus.failed if final else CallStatus.queued, error=error)
                )
        if not final:
            self.notify(kind)


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
