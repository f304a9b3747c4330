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
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import os
import threading
import uuid
from collections.abc import Callable
from enum import StrEnum

from sqlalchemy import and_, or_, select, update
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


def _child_init(spec: str) -> None:
    global _child_scorer
    _child_scorer = load_scorer(spec)


def _child_score(transcript_json: str) -> str:
    assert _child_scorer is not None
    return _child_scorer(Transcript.from_json(transcript_json)).model_dump_json()


class ProcessScorer:
    """A `Scorer` that runs the configured scorer in a pool of niced child processes."""

    def __init__(self, spec: str, processes: int, niceness: int = 19):
        self.spec = spec
        self._pool = ChildPool(processes, niceness=niceness, init=_child_init, init_args=(spec,))

    def __call__(self, transcript: Transcript) -> Scorecard:
        return Scorecard.model_validate_json(self.score_json(transcript.to_json(indent=None)))

    def score_json(self, transcript_json: str) -> str:
        """The stored transcript JSON in, the scorecard JSON out. A dead child raises
        BrokenProcessPool (the job is retried on a fresh pool)."""
        return self._pool.run(_child_score, transcript_json)

    def shutdown(self) -> None:
        self._pool.shutdown()


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
            self.scorer = ProcessScorer(settings.scorer, settings.job_processes)
        else:
            self.scorer = load_scorer(settings.scorer)
        self.instance = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = {kind: threading.Event() for kind in JobKind}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self.settings.requeue_running_on_start:
            self.requeue_running()
        workers = [(JobKind.score, n) for n in range(self.settings.job_workers)]
        if self.grader is not None:
            workers.append((JobKind.llm, 0))  # one: a local model serves one request at a time anyway
        for kind, n in workers:
            thread = threading.Thread(target=self._loop, args=(kind,), name=f"coach-{kind}-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for wake in self._wake.values():
            wake.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        if isinstance(self.scorer, ProcessScorer):
            self.scorer.shutdown()

    @property
    def alive_workers(self) -> int:
        return sum(t.is_alive() for t in self._threads)

    def notify(self, kind: JobKind = JobKind.score) -> None:
        self._wake[kind].set()

    def requeue_running(self) -> int:
        """Jobs a dead process left running go back to the queue (their attempt still counts)."""
        with self.db.write() as session:
            running = list(session.scalars(select(Job.call_id).where(Job.status == JobStatus.running)))
            if not running:
                return 0
            session.execute(
                update(Job).where(Job.status == JobStatus.running).values(status=JobStatus.queued, lease_until=None, worker=None)
            )
            session.execute(
                update(Call).where(Call.id.in_(running), Call.status == CallStatus.scoring).values(status=CallStatus.queued)
            )
        log.info("requeued %d job(s) left running by a previous process", len(running))
        return len(running)

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
        if kind is JobKind.llm:
            self._grade(job_id, attempt)
        else:
            self._run(job_id, attempt)
        return True

    def _claim(self, kind: JobKind = JobKind.score) -> tuple[int, int] | None:
        now = utcnow()
        claimable = or_(
            Job.status == JobStatus.queued,
            and_(Job.status == JobStatus.running, Job.lease_until < now),
        )
        # The LLM may take many minutes on a long call; its lease must outlast that.
        lease_s = self.settings.llm_job_lease_s if kind is JobKind.llm else self.settings.job_lease_s
        with self.db.write() as session:
            query = select(Job).where(Job.kind == kind.value, claimable).order_by(Job.id).limit(1)
            if not self.db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises claims
                query = query.with_for_update(skip_locked=True)
            job = session.scalars(query).first()
            if job is None:
                return None
            if job.attempts >= self.settings.job_max_attempts:
                # Every earlier attempt died with its process: stop before it kills this one.
                job.status = JobStatus.failed
                job.finished_at = now
                job.error = job.error or f"gave up after {job.attempts} attempts that did not finish"
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
                return Scorecard.model_validate_json(self.scorer.score_json(found.transcript_json))
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
