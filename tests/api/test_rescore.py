"""Issue 14: rescoring past calls after a rubric change, behind every upload (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import select, update

from api.db import Database
from api.db.models import Call, Job, JobStatus, ScorecardRow
from api.enqueue import Lane
from api.schemas.rescore import RescoreRequest
from api.store.rescore import queue_rescoring
from tests.api.support import build_world, upload, wait_for_status
from tests.api.test_isolation import _as, _runner, _status, _store


def _jobs(db: Database, call_id: int) -> list[Job]:
    with db.reader() as session:
        return list(session.scalars(select(Job).where(Job.call_id == call_id).order_by(Job.id)))


def test_an_admin_rescores_the_calls_of_an_old_rubric_version_keeping_overrides(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    db = client.app.state.db
    world = build_world(db)
    a1 = [upload(client, world.a1).json()["id"] for _ in range(2)]
    a2 = upload(client, world.a2).json()["id"]
    b1 = upload(client, world.b1).json()["id"]
    for person, call_id in [(world.a1, a1[0]), (world.a1, a1[1]), (world.a2, a2), (world.b1, b1)]:
        wait_for_status(client, person, call_id, {"scored"})
    # Two of org A's calls were scored with an older rubric; a manager overrode one item of one.
    with db.write() as session:
        session.execute(update(ScorecardRow).where(ScorecardRow.call_id.in_([a1[0], a2, b1])).values(rubric_version="0.9"))
    item = client.get(f"/v1/calls/{a1[0]}/scorecard", headers=world.a1.auth).json()["items"][0]["id"]
    put = client.put(f"/v1/calls/{a1[0]}/scorecard/items/{item}/override", headers=world.m1.auth,
                     json={"verdict": "not_applicable", "comment": "judged by hand"})
    assert put.status_code == 200, put.text

    assert client.post("/v1/rescore", headers=world.m1.auth, json={}).status_code == 403
    assert client.post("/v1/rescore", headers=world.admin_a.auth, json={"since": "2030-01-01T00:00:00Z",
                       "until": "2020-01-01T00:00:00Z"}).status_code == 422
    assert client.post("/v1/rescore", headers=world.admin_a.auth, json={"rubric_version": "0.1"}).json() == {
        "queued": 0, "already_waiting": 0}
    # A dry run counts what would be queued and queues nothing; another rubric's id matches nothing.
    dry = client.post("/v1/rescore", headers=world.admin_a.auth, json={"rubric_version": "0.9", "dry_run": True})
    assert (dry.status_code, dry.json()) == (202, {"queued": 2, "already_waiting": 0})
    assert all(len(_jobs(db, call_id)) == 1 for call_id in (a1[0], a2))
    assert client.post("/v1/rescore", headers=world.admin_a.auth,
                       json={"rubric": "first_call_discovery", "rubric_version": "0.9"}).json()["queued"] == 0
    answer = client.post("/v1/rescore", headers=world.admin_a.auth, json={"rubric": "expansion_call", "rubric_version": "0.9"})
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"queued": 2, "already_waiting": 0}  # org A's old-version calls; never org B's

    for call_id in (a1[0], a2):
        jobs = _jobs(db, call_id)
        assert len(jobs) == 2 and jobs[-1].priority == Lane.backfill
    assert len(_jobs(db, a1[1])) == 1 and len(_jobs(db, b1)) == 1

    def rescored(call_id: int) -> bool:
        return _jobs(db, call_id)[-1].status == JobStatus.done

    from tests.api.test_isolation import _until

    _until("the rescoring to finish", lambda: rescored(a1[0]) and rescored(a2))
    with db.reader() as session:
        versions = dict(session.execute(select(ScorecardRow.call_id, ScorecardRow.rubric_version)).all())
    assert versions[a1[0]] == versions[a2] == versions[a1[1]] != "0.9"
    assert versions[b1] == "0.9"
    card = client.get(f"/v1/calls/{a1[0]}/scorecard", headers=world.a1.auth).json()
    kept = next(i for i in card["items"] if i["id"] == item)
    assert kept["verdict"] == "not_applicable" and kept["override"]["comment"] == "judged by hand"
    # The call stayed `scored` throughout and shows the rescoring job.
    call = client.get(f"/v1/calls/{a1[0]}", headers=world.a1.auth).json()
    assert (call["status"], call["job"]["status"], call["job"]["attempts"]) == ("scored", "done", 1)

    # Team and date filters.
    assert client.post("/v1/rescore", headers=world.admin_a.auth, json={"team": world.team_a2}).json()["queued"] == 1
    assert client.post("/v1/rescore", headers=world.admin_a.auth, json={"team": 2**40}).json()["queued"] == 0
    assert client.post("/v1/rescore", headers=world.admin_a.auth, json={"until": "2000-01-01T00:00:00Z"}).json()["queued"] == 0


def test_uploads_go_before_a_rescoring_backlog_of_the_same_organisation(db: Database) -> None:
    world = build_world(db)
    old = _store(db, world.a1, 4)
    runner = _runner(db)
    while runner.run_once():
        pass
    with db.write() as session:
        assert queue_rescoring(session, _as(world.admin_a), RescoreRequest()).queued == 4
    with db.write() as session:  # asked again: a call already waiting is not queued twice
        again = queue_rescoring(session, _as(world.admin_a), RescoreRequest())
    assert (again.queued, again.already_waiting) == (0, 4)
    new = _store(db, world.a1, 1)[0]  # queued after the whole rescoring backlog
    assert _status(db, new) == "queued"
    assert runner.run_once()
    assert _status(db, new) == "scored"  # the first job run, ahead of four older rescoring jobs
    assert sum(_jobs(db, c)[-1].status == JobStatus.done for c in old) == 0
    while runner.run_once():
        pass
    assert all(_jobs(db, c)[-1].status == JobStatus.done for c in old)
    with db.reader() as session:
        assert set(session.scalars(select(Call.status))) == {"scored"}


def test_procrastinate_priorities_put_lanes_first_then_round_robin_over_organisations(postgres_url: str) -> None:
    """What the PostgreSQL workers will fetch (highest priority, then oldest): every upload
    before any rescoring, and each organisation's k-th waiting job after every other's k-th."""
    from sqlalchemy import text

    from api.enqueue import priority
    from tests.api.conftest import _truncate

    _truncate(postgres_url)
    db = Database(postgres_url)
    try:
        world = build_world(db)
        a = _store(db, world.a1, 3)
        with db.write() as session:
            assert queue_rescoring(session, _as(world.admin_b), RescoreRequest()).queued == 0
        b = _store(db, world.b1, 2)
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT (args->>'job_id')::int, priority, lock FROM procrastinate_jobs ORDER BY priority DESC, id"
            )).all()
        with db.reader() as session:
            call_of = dict(session.execute(select(Job.id, Job.call_id)).all())
        order = [call_of[job_id] for job_id, _p, _l in rows]
        assert order == [a[0], b[0], a[1], b[1], a[2]]
        assert [p for _j, p, _l in rows] == [priority(Lane.interactive, r) for r in (0, 0, 1, 1, 2)]
        assert all(lock == f"call-{call_of[job_id]}" for job_id, _p, lock in rows)
        # Org B's calls scored, then rescored: below every upload, whatever its rank.
        for job_id, _p, _l in rows:
            with db.write() as session:
                session.execute(update(Job).where(Job.id == job_id).values(status=JobStatus.done))
        with db.write() as session:
            session.execute(text("UPDATE procrastinate_jobs SET status = 'succeeded'"))
            for call_id in b:
                session.add(ScorecardRow(call_id=call_id, org_id=world.b1.org_id, team_id=world.b1.team_id, rep_id=world.b1.id,
                                         occurred_at=session.get(Call, call_id).occurred_at, week=session.get(Call, call_id).occurred_at.date(),
                                         score=None, machine_score=None, rubric_id="r", rubric_version="1", body="{}"))
        with db.write() as session:
            assert queue_rescoring(session, _as(world.admin_b), RescoreRequest()).queued == 2
        later = _store(db, world.a1, 1)[0]
        with db.engine.connect() as conn:
            todo = conn.execute(text(
                "SELECT (args->>'job_id')::int, priority FROM procrastinate_jobs WHERE status = 'todo' ORDER BY priority DESC, id"
            )).all()
        with db.reader() as session:
            call_of = dict(session.execute(select(Job.id, Job.call_id)).all())
        assert [call_of[j] for j, _p in todo] == [later, *b]
        assert [p for _j, p in todo] == [priority(Lane.interactive, 0), priority(Lane.backfill, 0), priority(Lane.backfill, 1)]
    finally:
        db.dispose()


def _admin(*args: str) -> tuple[int, str, str]:
    """`coach admin ...` through the entry point (CoachError -> one line on stderr, exit 2)."""
    import contextlib
    import io
    import sys

    from coach.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["coach", "admin", *args]
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return code, out.getvalue(), err.getvalue()


def test_coach_admin_rescore_queues_backfill_jobs_by_rubric_version_date_and_team(db: Database) -> None:
    world = build_world(db)
    a1, a2, b1 = _store(db, world.a1, 2), _store(db, world.a2)[0], _store(db, world.b1)[0]
    runner = _runner(db)
    while runner.run_once():
        pass
    with db.write() as session:
        session.execute(update(ScorecardRow).where(ScorecardRow.call_id.in_([a1[0], a2, b1])).values(rubric_version="0.9"))
    where = ("--database-url", db.url)

    assert _admin("rescore", "--rubric-version", "0.1", *where) == (0, "queued=0 already_waiting=0\n", "")
    # A dry run prints what it would queue and queues nothing; the rubric's id filters too.
    assert _admin("rescore", "--rubric-version", "0.9", "--org", str(world.a1.org_id), "--dry-run", *where) == (
        0, "would_queue=2 already_waiting=0\n", "")
    assert all(len(_jobs(db, call_id)) == 1 for call_id in (a1[0], a2))
    assert _admin("rescore", "--rubric", "first_call_discovery", "--rubric-version", "0.9", *where)[1] == (
        "queued=0 already_waiting=0\n")
    code, out, _ = _admin("rescore", "--rubric", "expansion_call", "--rubric-version", "0.9", "--org", str(world.a1.org_id), *where)
    assert (code, out) == (0, "queued=2 already_waiting=0\n")  # org A's calls of the old version; not org B's
    for call_id in (a1[0], a2):
        assert [(j.status, j.priority) for j in _jobs(db, call_id)][-1] == (JobStatus.queued, Lane.backfill)
    assert len(_jobs(db, a1[1])) == 1 and len(_jobs(db, b1)) == 1
    assert _admin("rescore", "--rubric-version", "0.9", "--org", str(world.a1.org_id), *where)[1] == "queued=0 already_waiting=2\n"

    while runner.run_once():  # a worker picks them up and stores the current rubric version's scorecards
        pass
    with db.reader() as session:
        versions = dict(session.execute(select(ScorecardRow.call_id, ScorecardRow.rubric_version)).all())
    assert versions[a1[0]] == versions[a2] == versions[a1[1]] != "0.9" and versions[b1] == "0.9"

    # Team and date range, across every organisation when no --org is given.
    assert _admin("rescore", "--team", str(world.team_b1), *where)[1] == "queued=1 already_waiting=0\n"
    assert _admin("rescore", "--until", "2000-01-01", *where)[1] == "queued=0 already_waiting=0\n"
    # b1 matches (still version 0.9, and since 2000) but its rescoring job is already waiting
    assert _admin("rescore", "--since", "2000-01-01T00:00:00", "--rubric-version", "0.9", *where)[1] == "queued=0 already_waiting=1\n"

    # Bad input: one line naming the option, exit 2.
    assert _admin("rescore", "--since", "2030-01-01", "--until", "2020-01-01", *where) == (
        2, "", "coach: error: --since: since must be before until\n")
    assert _admin("rescore", "--org", "999999", *where) == (2, "", "coach: error: --org: no organisation with id 999999\n")
