"""Issue 15: one organisation's bad or slow calls never stall another's; faults end in answers.

Fair claiming, back-pressure, the per-call budget in the scorer child, heartbeat leases,
the admin re-queue, and 503 + Retry-After while the database or its disk is unavailable.
On SQLite and PostgreSQL (`db_url`)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select

from api.db import Database
from api.db.models import Call, Job
from api.jobs import JobRunner
from api.principal import Principal
from api.settings import ApiSettings
from api.store.calls import Upload, create_call
from coach.scoring import score_transcript
from tests.api.support import READ, SAMPLE, SAMPLE_SELLERS, World, build_world, upload, wait_for_status


def _until(what: str, check, deadline_s: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


def _as(person) -> Principal:  # type: ignore[no-untyped-def]
    return Principal(user_id=person.id, org_id=person.org_id, team_id=person.team_id, role=person.role, name="x", key_id=0)


def _store(db: Database, person, n: int = 1) -> list[int]:  # type: ignore[no-untyped-def]
    upload_ = Upload(raw=SAMPLE, filename="c.txt", sellers=SAMPLE_SELLERS)
    return [create_call(db, _as(person), upload_, read=READ, idempotency_key=None).call.id for _ in range(n)]


def _runner(db: Database, scorer=score_transcript, **settings) -> JobRunner:  # type: ignore[no-untyped-def]
    return JobRunner(db, ApiSettings(database_url=db.url, job_workers=0, job_processes=0, **settings), scorer)


def _status(db: Database, call_id: int) -> str:
    with db.reader() as session:
        return session.get(Call, call_id).status


# -- fair claiming ---------------------------------------------------------------------------

def test_another_organisations_call_waits_at_most_one_job_behind_a_backlog(db: Database) -> None:
    world = build_world(db)
    backlog = _store(db, world.a1, 10)  # org A's backfill, queued first
    theirs = _store(db, world.b1)[0]  # then one call from org B
    runner = _runner(db)
    runner.run_once()
    runner.run_once()
    assert _status(db, theirs) == "scored"  # B's call was the second job run, not the eleventh
    assert sum(_status(db, c) == "scored" for c in backlog) == 1


def test_an_organisation_with_a_running_job_yields_to_one_without(db: Database) -> None:
    world = build_world(db)
    _store(db, world.a1, 3)
    theirs = _store(db, world.b1)[0]
    slow = _runner(db)
    assert slow._claim() is not None  # org A's first call is running (a slow call) on one worker
    other = _runner(db)
    other.run_once()  # the other worker takes org B's call, not A's next one
    assert _status(db, theirs) == "scored"


# -- back-pressure -----------------------------------------------------------------------------

def test_an_organisation_past_its_backlog_bound_gets_429_with_retry_after(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(job_workers=0, max_queued_per_org=3, backlog_retry_after_s=17)
    world = build_world(client.app.state.db)
    for _ in range(3):
        assert upload(client, world.a1).status_code == 201
    refused = upload(client, world.a1)
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "17"
    assert refused.headers["content-type"] == "application/problem+json"
    assert "3 calls waiting" in refused.json()["detail"]
    # Another organisation's uploads are not held up by org A's backlog.
    assert upload(client, world.b1).status_code == 201


# -- the per-call budget in the scorer child -----------------------------------------------------

@pytest.mark.parametrize(("word", "reason"), [("BURN", "CPU-time budget"), ("HOARD", "memory budget")])
def test_a_runaway_call_is_stopped_and_failed_and_the_next_call_goes_on(settings: ApiSettings, word: str, reason: str) -> None:
    from api.app import create_app

    budgeted = settings.model_copy(update={
        "job_workers": 1, "job_processes": 1, "scorer": "tests.api.burn_scorer:score", "score_cpu_s": 2,
        "score_memory_mb": 700,
    })
    with TestClient(create_app(budgeted), raise_server_exceptions=False) as client:
        _runaway_then_ordinary(client, word, reason)


def _runaway_then_ordinary(client: TestClient, word: str, reason: str) -> None:
    world = build_world(client.app.state.db)
    runaway = upload(client, world.a1, content=b"Priya Shah: " + word.encode() + b" now\nMarcus Lee: ok\n", sellers="Priya Shah")
    assert runaway.status_code == 201
    ordinary = upload(client, world.b1)
    failed = wait_for_status(client, world.a1, runaway.json()["id"], {"scored", "failed"}, 120)
    assert failed["status"] == "failed"
    assert reason in failed["error"], failed["error"]
    assert failed["job"]["attempts"] == 1  # the budget is the call's own fault: no retries
    after = wait_for_status(client, world.b1, ordinary.json()["id"], {"scored", "failed"}, 120)
    assert after["status"] == "scored", after.get("error")


# -- leases renewed by heartbeat --------------------------------------------------------------------

def test_a_running_jobs_lease_is_renewed_and_a_dead_workers_job_is_freed(db: Database) -> None:
    world = build_world(db)
    call_id = _store(db, world.a1)[0]
    gate = threading.Event()

    def blocked(transcript):  # type: ignore[no-untyped-def]
        gate.wait(60)
        return score_transcript(transcript)

    lease_s = 0.6
    worker = JobRunner(db, ApiSettings(database_url=db.url, job_workers=1, job_processes=0, job_lease_s=lease_s,
                                       job_poll_s=0.05), blocked)
    worker.start()
    other = _runner(db, job_lease_s=lease_s)
    try:
        _until("the job to run", lambda: _status(db, call_id) == "scoring")
        started = time.monotonic()
        # Several leases long, the heartbeat keeps the job its worker's: nobody else may claim it.
        while time.monotonic() - started < 4 * lease_s:
            assert other._claim() is None
            time.sleep(lease_s / 4)
        # The worker "dies": its heartbeat stops (a lost connection looks the same from outside).
        worker._heartbeat_stop.set()
        _until("the lease to run out", lambda: other._claim() is not None, deadline_s=30)
        with db.reader() as session:
            job = session.scalars(select(Job).where(Job.call_id == call_id)).one()
        assert (job.worker, job.attempts, job.interruptions) == (other.instance, 1, 1)
    finally:
        gate.set()
        worker.stop()


# -- admin re-queue ---------------------------------------------------------------------------------

def test_an_admin_requeues_a_failed_call_and_it_is_scored(make_client) -> None:  # type: ignore[no-untyped-def]
    broken = {"on": True}

    def sometimes(transcript):  # type: ignore[no-untyped-def]
        if broken["on"]:
            raise RuntimeError("scorer outage")
        return score_transcript(transcript)

    client = make_client(scorer=sometimes, job_max_attempts=1)
    world = build_world(client.app.state.db)
    call_id = upload(client, world.a1).json()["id"]
    failed = wait_for_status(client, world.a1, call_id, {"failed"})
    assert failed["error"] == "RuntimeError: scorer outage"
    broken["on"] = False
    assert client.post(f"/v1/calls/{call_id}/requeue", headers=world.a1.auth).status_code == 403
    assert client.post(f"/v1/calls/{call_id}/requeue", headers=world.admin_b.auth).status_code == 404
    requeued = client.post(f"/v1/calls/{call_id}/requeue", headers=world.admin_a.auth)
    assert requeued.status_code == 200, requeued.text
    assert requeued.json()["job"]["id"] != failed["job"]["id"]  # a fresh job, with its own attempts
    scored = wait_for_status(client, world.a1, call_id, {"scored", "failed"})
    assert (scored["status"], scored["job"]["attempts"], scored["error"]) == ("scored", 1, None)
    again = client.post(f"/v1/calls/{call_id}/requeue", headers=world.admin_a.auth)
    assert again.status_code == 409


def test_the_cli_requeues_failed_calls(db: Database, db_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    world = build_world(db)
    call_id = _store(db, world.a1)[0]
    _runner(db, lambda t: (_ for _ in ()).throw(RuntimeError("down")), job_max_attempts=1).run_once()
    assert _status(db, call_id) == "failed"
    done = subprocess.run(
        [sys.executable, "-m", "coach", "admin", "requeue", "--database-url", db_url],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"requeued=1 calls={call_id}"
    assert _status(db, call_id) == "queued"
    _runner(db).run_once()
    assert _status(db, call_id) == "scored"


# -- the database or its disk unavailable -------------------------------------------------------------

def test_database_unreachable_is_503_with_retry_after_and_readyz_says_so(client: TestClient, world: World) -> None:
    real = client.app.state.db
    client.app.state.principal_cache.ttl_s = 0  # every request looks its key up
    client.app.state.db = Database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=2")
    try:
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert "database unavailable" in ready.json()["detail"]
        response = client.get("/v1/calls/1", headers=world.a1.auth)
        assert response.status_code == 503
        assert int(response.headers["retry-after"]) >= 1
        assert response.json()["detail"] == "the database is unavailable; nothing was stored, retry later"
    finally:
        client.app.state.db.dispose()
        client.app.state.db = real
    assert client.get("/readyz").status_code == 200


def test_readyz_says_not_ready_when_the_disk_is_nearly_full(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(min_free_disk_mb=10**9)  # more than any disk has free
    response = client.get("/readyz")
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "disk nearly full" in response.json()["detail"]


def test_a_full_sqlite_disk_is_503_not_500(tmp_path: Path) -> None:
    from api.app import create_app

    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'coach.db'}", data_dir=tmp_path, job_workers=0,
                           job_processes=0, read_processes=0, rate_limit_per_minute=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        db = client.app.state.db
        world = build_world(db)
        with db.engine.connect() as conn:
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

        @event.listens_for(db.engine, "connect")
        def _cap(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # SQLite's own "database or disk is full" (SQLITE_FULL), as on a full disk.
            dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 1}")

        db.engine.dispose()
        big = b"".join(b"Priya Shah: %d hello there, how is the rollout going?\nMarcus Lee: fine %d\n" % (n, n) for n in range(3000))
        response = upload(client, world.a1, content=big)
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"]
        assert "disk is full" in response.json()["detail"]


# -- retries with backoff, on both runners -------------------------------------------------------

def test_a_failed_run_is_retried_after_a_backoff_and_then_scored(make_client) -> None:  # type: ignore[no-untyped-def]
    runs: list[float] = []

    def flaky(transcript):  # type: ignore[no-untyped-def]
        runs.append(time.monotonic())
        if len(runs) == 1:
            raise ConnectionError("grader unreachable")
        return score_transcript(transcript)

    client = make_client(scorer=flaky, job_retry_backoff_s=0.5, job_max_attempts=3)
    world = build_world(client.app.state.db)
    call_id = upload(client, world.a1).json()["id"]
    scored = wait_for_status(client, world.a1, call_id, {"scored", "failed"}, 60)
    assert (scored["status"], scored["job"]["attempts"], scored["job"]["error"]) == ("scored", 2, None)
    assert len(runs) == 2
    # The second run waited for the backoff (a lower bound: no upper bound is asserted).
    assert runs[1] - runs[0] >= 0.5
