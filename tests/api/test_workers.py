"""Issue 14: scoring scales out over `coach worker` processes sharing the PostgreSQL queue.

Real processes against the real PostgreSQL: a web tier with `--workers 0`, three workers,
300 uploads and one worker SIGKILLed while it holds a call; a 1,000-call backlog of one
organisation and another organisation's upload; and `coach worker --check`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text

from api.db import Database
from api.db.models import Call, Job, JobStatus, ScorecardRow
from api.store.calls import Upload, create_call
from tests.api.conftest import _truncate
from tests.api.support import READ, ROOT, SAMPLE, SAMPLE_SELLERS, Person, build_world
from tests.api.test_isolation import _as
from tests.api.test_kill import free_port, poll

pytestmark = pytest.mark.slow


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Database]:
    _truncate(postgres_url)
    db = Database(postgres_url)
    yield db
    db.dispose()


class Processes:
    """`coach` sub-processes with the test's environment, all ended at teardown."""

    def __init__(self, url: str, tmp: Path):
        self.url = url
        self.tmp = tmp
        self.started: list[subprocess.Popen[bytes]] = []
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COACH_SCORER": "tests.api.fast_scorer:score",
            "COACH_TEST_SCORE_LOG": str(tmp / "scored.log"),
            "COACH_TEST_GATE": str(tmp / "gate"),
            "COACH_JOB_PROCESSES": "0",
            "COACH_JOB_POLL_S": "0.5",
            # A killed worker is presumed dead after 4 s of silence, checked every second.
            "COACH_QUEUE_HEARTBEAT_S": "1",
            "COACH_QUEUE_STALLED_S": "4",
            "COACH_QUEUE_STALLED_CHECK_S": "1",
            "COACH_RATE_LIMIT_PER_MINUTE": "0",
            "COACH_MAX_QUEUED_PER_ORG": "5000",
        }

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{args[0]}-{len(self.started)}.log", "wb")  # noqa: SIM115 - kept open for the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "coach", *args, "--database-url", self.url],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=self.tmp,
        )
        self.started.append(proc)
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        return self.start("worker", "--concurrency", "1")

    def stop(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.started:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def procs(postgres_url: str, tmp_path: Path) -> Iterator[Processes]:
    started = Processes(postgres_url, tmp_path)
    yield started
    started.stop()


def _live_workers(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '4 seconds'"
        )).scalar_one())


def _scored(db: Database, org_id: int | None = None) -> int:
    query = select(func.count()).select_from(Call).where(Call.status == "scored")
    if org_id is not None:
        query = query.where(Call.org_id == org_id)
    with db.reader() as session:
        return int(session.scalar(query) or 0)


def test_three_workers_one_killed_mid_batch_score_every_call_exactly_once(pg: Database, procs: Processes) -> None:
    world = build_world(pg)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = procs.start("serve", "--port", str(port), "--workers", "0", "--log-level", "warning")
    workers = [procs.worker() for _ in range(3)]

    def web_ready() -> bool:
        assert web.poll() is None, (procs.tmp / "serve-0.log").read_text()
        try:
            return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    poll("the web tier to be ready", web_ready, 60)
    poll("three workers to beat", lambda: _live_workers(pg) == 3, 90)
    ready = httpx.get(f"{base}/readyz", timeout=5).json()
    assert (ready["queue"], ready["workers"], ready["queue_workers"]) == ("procrastinate", 0, 3)

    held = 60  # this upload blocks whichever worker takes it, until the test has killed that worker
    names = [f"call-{n:03d}.txt" for n in range(300)]
    ids: dict[str, int] = {}
    failures: list[str] = []

    def upload_all() -> None:
        with httpx.Client(base_url=base, headers=world.a1.auth, timeout=30) as client:
            for n, name in enumerate(names):
                content = SAMPLE + (b"Priya Shah: HOLD-FOR-KILL\n" if n == held else b"")
                response = client.post(
                    "/v1/calls", headers={"Idempotency-Key": name}, files={"file": (name, content)},
                    data={"sellers": ",".join(SAMPLE_SELLERS)},
                )
                if response.status_code != 201:
                    failures.append(f"{name}: {response.status_code} {response.text}")
                    return
                ids[name] = response.json()["id"]

    uploader = threading.Thread(target=upload_all)
    uploader.start()
    try:
        poll("the held call to be uploaded", lambda: names[held] in ids or bool(failures), 120)
        assert not failures, failures
        held_id = ids[names[held]]

        def holder() -> str | None:
            with pg.reader() as session:
                job = session.scalars(select(Job).where(Job.call_id == held_id)).one()
            return job.worker if job.status == JobStatus.running else None

        poll("a worker to take the held call", lambda: holder() is not None, 60)
        # "running" is set when the job is claimed; under load the scorer child may not have
        # begun yet. Kill only once it is inside the held call (its log line is written), so
        # the kill really lands mid-score.
        log = procs.tmp / "scored.log"
        poll(
            "the held call's scorer to start",
            lambda: log.exists() and any(line.endswith(f" {names[held]}") for line in log.read_text().splitlines()),
            60,
        )
        instance = holder()
        assert instance is not None
        victim_pid = int(instance.split("-")[-2])
        victim = next(p for p in workers if p.pid == victim_pid)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        scored_at_kill = _scored(pg)
        (procs.tmp / "gate").touch()  # whoever runs the held call next finishes it
    finally:
        uploader.join(300)
    assert not failures, failures
    assert victim.returncode == -signal.SIGKILL
    assert scored_at_kill < 300  # killed mid-batch

    poll("all 300 calls to be scored", lambda: _scored(pg) == 300, 240)

    with pg.reader() as session:
        statuses = Counter(session.scalars(select(Call.status)))
        cards = Counter(session.scalars(select(ScorecardRow.call_id)))
        jobs = session.scalars(select(Job)).all()
    assert statuses == {"scored": 300}
    assert sorted(cards) == sorted(ids.values()) and set(cards.values()) == {1}
    assert len(jobs) == 300 and {j.status for j in jobs} == {JobStatus.done}
    again = next(j for j in jobs if j.call_id == held_id)
    # The kill was no failure of the call: an interruption, and the other worker's one attempt.
    assert (again.attempts, again.interruptions) == (1, 1)
    assert again.worker != instance
    assert all((j.attempts, j.interruptions) == (1, 0) for j in jobs if j.call_id != held_id)

    # Scored exactly once each, but for the held call, which the killed worker had begun.
    runs = Counter(line.split()[1] for line in (procs.tmp / "scored.log").read_text().splitlines())
    assert set(runs) == set(names)
    assert {name: count for name, count in runs.items() if count != 1} == {names[held]: 2}
    # Each worker scores in one child process of its own: the three shared the batch.
    assert len({line.split()[0] for line in (procs.tmp / "scored.log").read_text().splitlines()}) == 3

    with pg.engine.connect() as conn:
        left = conn.execute(text("SELECT status, count(*) FROM procrastinate_jobs GROUP BY status")).all()
    assert left == []  # every queue job succeeded (and was cleared): nothing failed, nothing stuck


def _store(db: Database, person: Person, n: int) -> list[int]:
    upload = Upload(raw=SAMPLE, filename="c.txt", sellers=SAMPLE_SELLERS)
    return [create_call(db, _as(person), upload, read=READ, idempotency_key=None).call.id for _ in range(n)]


def test_a_1000_call_backlog_delays_another_organisations_upload_by_at_most_one_job(pg: Database, procs: Processes) -> None:
    world = build_world(pg)
    backlog = _store(pg, world.a1, 1000)  # org A's backfill of past calls, queued first
    workers = [procs.worker() for _ in range(2)]
    poll("org A's backfill to be under way", lambda: _scored(pg, world.a1.org_id) >= 20, 120)
    theirs = _store(pg, world.b1, 1)[0]  # then one upload from org B
    with pg.reader() as session:
        queued_at = session.scalars(select(Job.created_at).where(Job.call_id == theirs)).one()
    poll("org B's upload to be scored", lambda: _scored(pg, world.b1.org_id) == 1, 60)
    assert all(p.poll() is None for p in workers)

    with pg.reader() as session:
        mine = session.scalars(select(Job).where(Job.call_id == theirs)).one()
        a_jobs = session.scalars(select(Job).where(Job.call_id.in_(backlog))).all()
    assert mine.status == JobStatus.done and mine.started_at is not None and mine.finished_at is not None
    # While B's call waited (queued to started), each worker took at most the one org A job it
    # may have been fetching as B's job was committed: one job per worker, never the backlog.
    overtaking = [j for j in a_jobs if j.started_at is not None and queued_at < j.started_at < mine.started_at]
    assert len(overtaking) <= len(workers), len(overtaking)
    # ... and B's call was scored long before the backfill ended.
    done_before = [j for j in a_jobs if j.finished_at is not None and j.finished_at <= mine.finished_at]
    assert len(done_before) < 1000 - 100, len(done_before)


def test_worker_check_says_whether_the_queue_is_reachable(postgres_url: str, tmp_path: Path) -> None:
    def check(url: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "coach", "worker", "--check", "--database-url", url],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )

    good = check(postgres_url)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith("queue reachable at postgresql+psycopg://")
    assert "jobs waiting" in good.stdout and "workers alive" in good.stdout

    down = check("postgresql+psycopg://postgres:secret@127.0.0.1:1/nowhere?connect_timeout=2")
    assert down.returncode == 2
    lines = down.stderr.strip().splitlines()
    assert len(lines) == 1, down.stderr  # one line, no traceback
    assert lines[0].startswith("coach: error: coach worker --check: queue unreachable at postgresql+psycopg://postgres:***@127.0.0.1:1/nowhere")
    assert "secret" not in down.stderr

    # A worker (not only the check) that cannot reach the database says so in one line.
    lost = subprocess.run(
        [sys.executable, "-m", "coach", "worker", "--database-url", "postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert lost.returncode == 2 and len(lost.stderr.strip().splitlines()) == 1, lost.stderr
    assert "coach worker: queue unreachable at postgresql+psycopg://postgres@127.0.0.1:1/x" in lost.stderr

    sqlite = check(f"sqlite:///{tmp_path / 'coach.db'}")
    assert sqlite.returncode == 2
    assert "coach worker needs PostgreSQL" in sqlite.stderr
