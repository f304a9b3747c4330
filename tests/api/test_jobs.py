"""The job runner against the database: claiming, recovery, leases, giving up."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from api.db import Database
from api.db.models import Call, Job, JobStatus, Role, ScorecardRow, utcnow
from api.principal import Principal
from api.jobs import JobRunner
from api.scorers import ProcessScorer, load_scorer
from api.tasks import score_call
from api.settings import ApiSettings
from api.store.calls import Upload, create_call
from coach.errors import ConfigError, TranscriptError
from coach.scoring import score_transcript
from tests.api.support import READ, SAMPLE, SAMPLE_SELLERS, build_world


def runner(db: Database, scorer=score_transcript, **settings) -> JobRunner:  # type: ignore[no-untyped-def]
    return JobRunner(db, ApiSettings(database_url=db.url, job_workers=0, job_processes=0, **settings), scorer)


def stored_call(db: Database) -> int:
    world = build_world(db)
    me = Principal(user_id=world.a1.id, org_id=world.a1.org_id, team_id=world.a1.team_id, role=Role.rep, name="Ann", key_id=0)
    created = create_call(db, me, Upload(raw=SAMPLE, filename="c.txt", sellers=SAMPLE_SELLERS), read=READ, idempotency_key=None)
    return created.call.id


def job_of(db: Database, call_id: int) -> Job:
    with db.reader() as session:
        return session.scalars(select(Job).where(Job.call_id == call_id)).one()


def test_run_once_scores_and_marks_done(db: Database) -> None:
    call_id = stored_call(db)
    assert runner(db).run_once() is True
    assert runner(db).run_once() is False  # nothing left
    job = job_of(db, call_id)
    assert (job.status, job.attempts, job.error) == (JobStatus.done, 1, None)
    with db.reader() as session:
        assert session.get(Call, call_id).status == "scored"
        assert session.scalars(select(ScorecardRow.call_id)).all() == [call_id]


def test_job_left_running_by_a_dead_process_is_requeued_and_rescored_once(db: Database) -> None:
    call_id = stored_call(db)
    dead = runner(db)
    assert dead._claim() is not None  # claimed, then the process "dies" before finishing
    assert job_of(db, call_id).status == JobStatus.running
    fresh = runner(db)
    assert fresh.requeue_running() == 1
    assert fresh.run_once() is True
    job = job_of(db, call_id)
    # The restart was not the call's failure: it used no attempt, it counts as an interruption.
    assert (job.status, job.attempts, job.interruptions) == (JobStatus.done, 1, 1)
    # The dead worker's late result (if it ever came) is discarded: the job is no longer its own.
    score_call(dead.context, job.id, 1)
    with db.reader() as session:
        assert len(session.scalars(select(ScorecardRow)).all()) == 1


def test_expired_lease_is_claimed_by_another_worker(db: Database) -> None:
    call_id = stored_call(db)
    first = runner(db)
    first._claim()
    other = runner(db)
    assert other._claim() is None  # lease still valid
    with db.write() as session:
        job = session.scalars(select(Job).where(Job.call_id == call_id)).one()
        job.lease_until = utcnow() - dt.timedelta(seconds=1)
    assert other.run_once() is True
    assert job_of(db, call_id).worker == other.instance


def test_restarts_do_not_use_up_attempts(db: Database) -> None:
    """Issue 15: calls running at each of several restarts ended `failed: gave up after 3 attempts`."""
    call_id = stored_call(db)
    for _ in range(5):  # more restarts than job_max_attempts
        r = runner(db, job_max_attempts=3)
        assert r._claim() is not None
        r.requeue_running()
    assert runner(db, job_max_attempts=3).run_once() is True
    job = job_of(db, call_id)
    assert (job.status, job.attempts, job.interruptions) == (JobStatus.done, 1, 5)


def test_job_that_takes_its_process_down_every_time_is_given_up(db: Database) -> None:
    call_id = stored_call(db)
    for _ in range(3):
        r = runner(db, job_max_interruptions=3)
        assert r._claim() is not None
        r.requeue_running()
    assert runner(db, job_max_interruptions=3).run_once() is False
    job = job_of(db, call_id)
    assert job.status == JobStatus.failed
    assert job.error == "gave up after 3 runs that were cut short (restarts or lost workers)"
    with db.reader() as session:
        assert session.get(Call, call_id).error == job.error


def test_bad_input_fails_at_once_without_retries(db: Database) -> None:
    def refuses(transcript):  # type: ignore[no-untyped-def]
        raise TranscriptError("no seller speaks in this call", source="c.txt")

    call_id = stored_call(db)
    runner(db, refuses, job_max_attempts=3).run_once()
    job = job_of(db, call_id)
    assert (job.status, job.attempts, job.error) == (JobStatus.failed, 1, "c.txt: no seller speaks in this call")


def test_transient_error_is_retried(db: Database) -> None:
    calls = []

    def flaky(transcript):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("grader unreachable")
        return score_transcript(transcript)

    call_id = stored_call(db)
    r = runner(db, flaky, job_retry_backoff_s=0)
    assert r.run_once() and r.run_once()
    job = job_of(db, call_id)
    assert (job.status, job.attempts, job.error) == (JobStatus.done, 2, None)


def test_scorer_setting_is_checked() -> None:
    assert load_scorer("coach.scoring:score_transcript") is score_transcript
    assert load_scorer(None) is None  # unset: the rubric's own checks, through the pipeline
    with pytest.raises(ConfigError, match="cannot load scorer 'coach.nothing:x'"):
        load_scorer("coach.nothing:x")


def test_scoring_in_child_processes_matches_in_thread_scoring(db: Database) -> None:
    call_id = stored_call(db)
    settings = ApiSettings(database_url=db.url, job_workers=0, job_processes=1)
    r = JobRunner(db, settings)
    try:
        assert isinstance(r.scorer, ProcessScorer)
        assert r.run_once() is True
    finally:
        r.stop()
    job = job_of(db, call_id)
    assert (job.status, job.error) == (JobStatus.done, None)
    with db.reader() as session:
        body = session.scalars(select(ScorecardRow.body).where(ScorecardRow.call_id == call_id)).one()
    from coach.readers import read_bytes
    from coach.scorecard import Scorecard

    expected = score_transcript(read_bytes(SAMPLE, name="c.txt", sellers=SAMPLE_SELLERS))
    assert Scorecard.model_validate_json(body).items == expected.items


def test_child_process_errors_keep_their_one_line_message() -> None:
    from coach.transcript import Transcript

    scorer = ProcessScorer(ApiSettings().call_spec(), None, 1)
    try:
        empty = Transcript(source="silent.txt", format="plain", speakers=[], turns=[])
        with pytest.raises(TranscriptError) as info:
            scorer(empty)
        # Pickled across the process boundary, the error still reads as the scorer wrote it.
        assert info.value.one_line() == "silent.txt: the call has no words to score (every turn is empty)"
    finally:
        scorer.shutdown()
