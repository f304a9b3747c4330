"""Procrastinate workers: how scoring and LLM jobs run on PostgreSQL.

`coach worker` runs them in a process of its own, on any number of machines pointing at
the same database; `coach serve` runs them in the server process too unless `--workers 0`.
Each job is a Procrastinate task (`coach.score`, `coach.llm`) whose body is the same task
function the in-process runner calls (`api.tasks`). What Procrastinate adds:

- claiming across machines (`FOR UPDATE SKIP LOCKED`), woken by LISTEN/NOTIFY;
- a lock per call (`call-<id>`): never two jobs of one call at a time;
- priorities (lanes, and the per-organisation rank of `api.enqueue`);
- retries with exponential backoff (`RetryLater`), and a failed state for the dead letter
  (the call shows `status: failed` and the `error`);
- a heartbeat per worker; a worker silent for `queue_stalled_s` is dead, and the next
  stalled check (every `queue_stalled_check_s`, by whichever worker takes an advisory lock
  first) puts its jobs back in the queue. The rerun counts as an interruption, not an attempt.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from procrastinate import App, JobContext, PsycopgConnector, RetryDecision
from procrastinate.retry import BaseRetryStrategy
from procrastinate.worker import Worker
from sqlalchemy import make_url, select, text
from sqlalchemy.exc import OperationalError

from api.db import Database
from api.db.models import Job, JobStatus
from api.enqueue import QUEUES, TASK_NAMES
from api.scorers import ProcessScorer, Scorer, ServerScorer, server_scorer, shutdown
from api.llm_grading import Grader
from api.settings import ApiSettings
from api.tasks import TASKS, JobKind, Outcome, TaskContext, begin_run
from coach import pipeline
from coach.errors import ConfigError

log = logging.getLogger("coach.api.worker")

# Any constant: only one process at a time re-queues stalled jobs.
_STALLED_LOCK_KEY = 7_405_312


class RetryLater(Exception):
    """A failed run to be retried after `delay_s` (the backoff); the failure is on the call."""

    def __init__(self, error: str, delay_s: float):
        super().__init__(error)
        self.delay_s = delay_s


class JobFailed(Exception):
    """Failed for good: Procrastinate keeps the job `failed`; the call shows the error."""


class _Backoff(BaseRetryStrategy):
    def get_retry_decision(self, *, exception: BaseException, job: Any) -> RetryDecision | None:
        if isinstance(exception, RetryLater):
            return RetryDecision(retry_in={"seconds": exception.delay_s})
        return None


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as psycopg takes it (no `+psycopg` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def require_postgresql(url: str) -> None:
    if not url.startswith("postgresql"):
        raise ConfigError(
            "coach worker needs PostgreSQL (COACH_DATABASE_URL=postgresql+psycopg://...); "
            "with SQLite, `coach serve` scores the calls in its own process",
            source="COACH_DATABASE_URL",
        )


def build_app(url: str) -> App:
    app = App(connector=PsycopgConnector(conninfo=libpq_url(url)))
    for kind in JobKind:
        _register(app, kind)
    return app


def _register(app: App, kind: JobKind) -> None:
    def run(context: JobContext, job_id: int, org_id: int) -> None:
        ctx: TaskContext = context.additional_context["coach"]
        run_job(ctx, kind, job_id)

    run.__name__ = f"run_{kind.value}"
    app.task(name=TASK_NAMES[kind.value], queue=QUEUES[kind.value], pass_context=True, retry=_Backoff())(run)


def run_job(ctx: TaskContext, kind: JobKind, job_id: int) -> None:
    """One delivery of a job: begin the run on its row, run the task function, and tell
    Procrastinate the outcome (return: done; `RetryLater`; `JobFailed`)."""
    with ctx.db.write() as session:
        job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).one_or_none()
        if job is None or job.status in (JobStatus.done, JobStatus.failed):
            return  # the call was deleted, or this job already ran to its end
        attempt = begin_run(session, job, ctx.instance, ctx.settings, lease_s=None)
        gave_up = job.error if attempt is None else None
    if attempt is None:
        raise JobFailed(gave_up or "gave up")
    result = TASKS[kind](ctx, job_id, attempt)
    if result.outcome is Outcome.retry:
        raise RetryLater(result.error or "failed", result.retry_in_s)
    if result.outcome is Outcome.failed:
        raise JobFailed(result.error or "failed")
    if result.outcome is Outcome.dropped and ctx.stopping():
        # Stopping cut the run short: run it again (the row is still running: an interruption).
        raise RetryLater("interrupted by shutdown", 0)


@dataclass
class QueueStatus:
    schema: bool  # procrastinate's tables are there (migrations ran)
    waiting: int  # jobs queued, all organisations
    workers: int  # worker processes with a fresh heartbeat


def queue_status(db: Database, stalled_s: float) -> QueueStatus:
    """Whether the queue is reachable, and what it holds (raises when the database is not)."""
    with db.engine.connect() as conn:
        if conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            return QueueStatus(schema=False, waiting=0, workers=0)
        waiting = conn.execute(text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'todo'")).scalar_one()
        workers = conn.execute(
            text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => :s)"),
            {"s": stalled_s},
        ).scalar_one()
    return QueueStatus(schema=True, waiting=int(waiting), workers=int(workers))


class QueueWorkers:
    """The Procrastinate workers of one process: a scoring worker (`concurrency` jobs at a time)
    and, with LLM grading on, an LLM worker (one at a time), plus the stalled-job check."""

    def __init__(
        self, db: Database, settings: ApiSettings, *, spec: pipeline.CallSpec | None = None,
        scorer: Scorer | ServerScorer | None = None, grader: Grader | None = None, concurrency: int | None = None,
        niceness: int = 19,
    ):  # fmt: skip
        require_postgresql(db.url)
        self.db = db
        self.settings = settings
        self.grader = grader
        self.spec = spec or settings.call_spec()
        wanted = settings.job_workers if concurrency is None else concurrency
        # The web tier of a split deployment (`--workers 0`) starts no scorer children: it scores
        # only a role-play's finish, in the request's thread.
        self.scorer = server_scorer(settings, self.spec, scorer, niceness, processes=None if wanted > 0 else 0)
        if isinstance(self.scorer, ProcessScorer):
            # One job per scorer child: a job taken and then waiting for a busy child would
            # hold it back from another worker.
            wanted = min(wanted, len(self.scorer.pools))
        self.concurrency = wanted
        self.instance = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._stopping = threading.Event()
        self.context = TaskContext(
            db=db, settings=settings, spec=self.spec, scorer=self.scorer, grader=grader, instance=self.instance,
            stopping=self._stopping.is_set,
        )  # fmt: skip
        self.app = build_app(db.url)
        self._workers: list[Worker] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._running = 0

    # -- the interface the app shares with api.jobs.JobRunner ---------------------------------
    @property
    def wanted_workers(self) -> int:
        """Jobs this process runs at once (the in-process runner's threads, counted alike)."""
        return sum(concurrency for _kind, concurrency in self._plan())

    @property
    def alive_workers(self) -> int:
        return self._running

    def notify(self, kind: JobKind = JobKind.score) -> None:
        """Nothing to do: the job's insert notifies every listening worker (LISTEN/NOTIFY)."""

    def start(self) -> None:
        """Run the workers on a thread with an event loop of its own (inside `coach serve`)."""
        if not self._plan():
            return
        started = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self.run(started)), name="coach-queue", daemon=True)
        self._thread.start()
        started.wait(30)

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        if self._thread is not None:
            self._thread.join(timeout)
        shutdown(self.scorer)

    # -- the workers ------------------------------------------------------------------------
    def _plan(self) -> list[tuple[JobKind, int]]:
        plan = [(JobKind.score, self.concurrency)] if self.concurrency > 0 else []
        if self.grader is not None:
            plan.append((JobKind.llm, 1))  # a local model serves one request at a time anyway
        return plan

    async def run(self, started: threading.Event | None = None, *, handle_signals: bool = False) -> None:
        """Work until stopped (SIGTERM/SIGINT with `handle_signals`, else `stop()`)."""
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        if handle_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                self._loop.add_signal_handler(sig, self._stop_event.set)
        async with self.app.open_async():
            self._workers = [
                Worker(
                    self.app, queues=[QUEUES[kind.value]], name=f"coach-{kind.value}", concurrency=concurrency,
                    additional_context={"coach": self.context}, install_signal_handlers=False,
                    fetch_job_polling_interval=self.settings.job_poll_s,
                    update_heartbeat_interval=self.settings.queue_heartbeat_s,
                    stalled_worker_timeout=self.settings.queue_stalled_s,
                    shutdown_graceful_timeout=30,
                    # Our `jobs` rows keep each call's history; the queue keeps only what is
                    # waiting, running or failed for good (the dead letters).
                    delete_jobs="successful",
                )
                for kind, concurrency in self._plan()
            ]  # fmt: skip
            runs = [asyncio.create_task(worker.run(), name=f"worker-{n}") for n, worker in enumerate(self._workers)]
            stalled = asyncio.create_task(self._stalled_loop(), name="stalled-jobs")
            # Ready once every worker has registered (and so beats in the queue), or failed.
            while any(w.worker_id is None for w in self._workers) and not any(t.done() for t in runs):
                await asyncio.sleep(0.01)
            self._running = self.wanted_workers
            if started is not None:
                started.set()
            log.info("queue workers %s running: %s", self.instance, self._plan())
            stop = asyncio.create_task(self._stop_event.wait())
            await asyncio.wait([stop, *runs], return_when=asyncio.FIRST_COMPLETED)
            self._stopping.set()
            stalled.cancel()
            for worker in self._workers:
                worker.stop()
            ended = await asyncio.gather(*runs, stalled, return_exceptions=True)
            stop.cancel()
            self._running = 0
        for outcome in ended[: len(runs)]:
            if isinstance(outcome, Exception):  # a worker that could not run (the database went away)
                raise ConfigError(f"queue worker stopped: {_reason(outcome)}", source="coach worker")

    async def _stalled_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.queue_stalled_check_s)
            try:
                await self.retry_stalled()
            except Exception:  # the database away: the next check tries again
                log.warning("stalled-job check failed", exc_info=True)

    async def retry_stalled(self) -> int:
        """Queue again the jobs of workers whose heartbeat stopped; the number re-queued."""
        manager = self.app.job_manager
        async with self.app.connector.pool.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
            # Held to the end of this transaction: one process at a time, so a job another
            # worker has just taken again is never put back under it.
            cursor = await conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_STALLED_LOCK_KEY,))
            row = await cursor.fetchone()
            if not row or not row[0]:
                return 0
            stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=self.settings.queue_stalled_s))
            for job in stalled:
                log.warning("job %s (%s) was running on a worker that stopped answering; queued again", job.id, job.task_name)
                await manager.retry_job(job)
            await manager.prune_stalled_workers(self.settings.queue_stalled_s)
        return len(stalled)


def _reason(exc: BaseException) -> str:
    return " ".join(str(getattr(exc, "orig", exc)).split())[:300] or type(exc).__name__


def check(settings: ApiSettings) -> str:
    """`coach worker --check`: one line saying the queue is reachable, or a ConfigError saying why not."""
    url = settings.resolved_database_url()
    require_postgresql(url)
    db = Database(url)
    where = make_url(url).render_as_string(hide_password=True)
    try:
        status = queue_status(db, settings.queue_stalled_s)
    except Exception as exc:
        raise ConfigError(f"queue unreachable at {where}: {_reason(exc)}", source="coach worker --check") from None
    finally:
        db.dispose()
    if not status.schema:
        raise ConfigError(
            f"queue not set up at {where}: no procrastinate tables (run `coach serve` or `coach worker` once to migrate)",
            source="coach worker --check",
        )
    return f"queue reachable at {where}: {status.waiting} jobs waiting, {status.workers} workers alive"


def run(settings: ApiSettings, concurrency: int) -> None:
    """`coach worker`: migrate, then work until SIGTERM or SIGINT."""
    from api.db.migrate import upgrade
    from api.llm_grading import api_grader

    url = settings.resolved_database_url()
    require_postgresql(url)
    db = Database(url)
    try:
        try:
            upgrade(db)
        except OperationalError as exc:
            where = make_url(url).render_as_string(hide_password=True)
            raise ConfigError(f"queue unreachable at {where}: {_reason(exc)}", source="coach worker") from None
        with api_grader(settings) as grader:
            # Scoring is this process's whole job: its scorer children are not niced, unlike a server's.
            workers = QueueWorkers(db, settings, grader=grader, concurrency=concurrency, niceness=0)
            try:
                asyncio.run(workers.run(handle_signals=True))
            finally:
                workers._stopping.set()
                shutdown(workers.scorer)
    finally:
        db.dispose()


__all__ = ["QueueStatus", "QueueWorkers", "check", "queue_status", "run"]
