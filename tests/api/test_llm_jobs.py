"""LLM grading as a follow-up job: the heuristic scorecard is stored first, then the LLM
grader's merge replaces it, keeping manager overrides; an LLM failure keeps the heuristic
scorecard and says so.

The grading answer is the real embedded model's (SmolLM2-135M via llama_cpp.server),
recorded in `tests/api/cassettes/` and replayed offline. The API reaches it as a
configured loopback endpoint through the same entry point `coach score` uses. Requests
match on their full body, so a changed prompt fails loudly; re-record with

    COACH_RECORD_CASSETTES=1 .venv/bin/python -m pytest tests/api/test_llm_jobs.py
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db import Database
from api.db.models import Job, JobStatus, Role, ScorecardItemRow, ScorecardRow
from api.jobs import JobKind, JobRunner
from api.llm_grading import api_grader
from api.principal import Principal
from api.schemas.scorecards import OverrideCreate
from api.settings import ApiSettings
from api.store.calls import Upload, create_call
from api.store.scorecards import set_override
from coach.llm.embedded import MODEL_ALIAS
from coach.readers import read_bytes
from coach.scorecard import Scorecard, Verdict
from coach.scoring import score_transcript
from tests import cassettes
from tests.api.support import READ, SAMPLE, SAMPLE_SELLERS, World, build_world, upload, wait_for_status

recorder = cassettes.recorder(Path(__file__).parent / "cassettes")
base_url = pytest.fixture(scope="module", name="base_url")(cassettes.embedded_base_url)


def use_endpoint(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """Only this endpoint: never a developer's or CI's own LLM settings."""
    for name in list(os.environ):
        if name.startswith(("OPENAI_", "COACH_LLM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("COACH_LLM_MODEL", MODEL_ALIAS)
    monkeypatch.setenv("COACH_LLM_STRUCTURED_MODE", "json_object")  # no capability probe: one request per call
    monkeypatch.setenv("COACH_LLM_RETRIES", "0")
    monkeypatch.setenv("COACH_LLM_TIMEOUT_S", "3600")  # recording on a busy shared machine; replay never waits


def principal(db: Database, world: World, who: str) -> Principal:
    person = world.people()[who]
    return Principal(user_id=person.id, org_id=person.org_id, team_id=person.team_id, role=person.role, name=who, key_id=0)


def stored(db: Database, call_id: int) -> tuple[Scorecard, dict[str, ScorecardItemRow]]:
    with db.reader() as session:
        row = session.scalars(select(ScorecardRow).where(ScorecardRow.call_id == call_id)).one()
        items = {i.item_id: i for i in session.scalars(select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id))}
        return Scorecard.model_validate_json(row.body), items


def jobs_of(db: Database, call_id: int) -> list[tuple[str, str]]:
    with db.reader() as session:
        return [(j.kind, j.status) for j in session.scalars(select(Job).where(Job.call_id == call_id).order_by(Job.id))]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # one recording; the storage path is tested on both below
def test_llm_follow_up_merges_into_the_stored_scorecard_and_keeps_overrides(
    db: Database, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_endpoint(monkeypatch, base_url)
    world = build_world(db)
    rep, manager = principal(db, world, "a1"), principal(db, world, "m1")
    call_id = create_call(
        db, rep, Upload(raw=SAMPLE, filename="call.txt", sellers=SAMPLE_SELLERS), read=READ, idempotency_key=None
    ).call.id
    settings = ApiSettings(database_url=db.url, job_workers=0, job_processes=0, llm_grading=True)
    with api_grader(settings) as grader:
        runner = JobRunner(db, settings, score_transcript, grader)
        assert runner.run_once(JobKind.score)
        heuristic, _ = stored(db, call_id)
        assert heuristic.llm is None
        assert jobs_of(db, call_id) == [("score", "done"), ("llm", "queued")]
        # A manager reviews the heuristic scorecard before the LLM is done with it.
        overridden = heuristic.items[0]
        flipped = Verdict.fail if overridden.verdict is not Verdict.fail else Verdict.pass_
        with db.write() as session:
            set_override(session, manager, call_id, overridden.id, OverrideCreate(verdict=flipped, comment="heard it differently"))
        with recorder.use_cassette("llm_job_sample_call.yaml") as cassette:
            assert runner.run_once(JobKind.llm)
    assert len(cassette.requests) == 1
    assert jobs_of(db, call_id) == [("score", "done"), ("llm", "done")]
    card, items = stored(db, call_id)
    # The reproducibility block of the run, as `coach score` writes it.
    assert card.llm is not None and card.llm.llm_status == "ok", card.llm
    assert (card.llm.model, card.llm.endpoint_kind, card.llm.seed, card.llm.temperature) == (MODEL_ALIAS, "local", 7, 0.0)
    assert card.llm.prompt_template_hash and card.llm.items_graded and card.llm.tokens_out > 0
    # Every heuristic item is still there; item rows carry the merged machine verdicts.
    assert [i.id for i in card.items][: len(heuristic.items)] == [i.id for i in heuristic.items]
    assert {i.id: i.verdict.value for i in card.items} == {k: v.machine_verdict for k, v in items.items()}
    # Items the LLM did not judge keep their heuristic verdict and evidence; only a failed
    # one may carry LLM advice (written in the same request) instead of the rubric's.
    before = {i.id: i for i in heuristic.items}
    for item in card.items:
        if item.id in card.llm.items_graded:
            continue
        heuristic_item = before[item.id]
        if item.advice_source == "llm":
            assert item.verdict is Verdict.fail and item.advice != heuristic_item.advice
        assert item.model_copy(update={"advice": heuristic_item.advice, "advice_source": heuristic_item.advice_source}) == heuristic_item
    # The manager's override survives the LLM's merge, beside the (possibly new) machine verdict.
    kept = items[overridden.id]
    assert (kept.override_verdict, kept.verdict, kept.override_comment) == (flipped.value, flipped.value, "heard it differently")
    for item_id, row in items.items():
        if item_id != overridden.id:
            assert row.verdict == row.machine_verdict


def refusing_url() -> str:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_unreachable_llm_keeps_the_heuristic_scorecard_with_llm_failed(
    make_client: Callable[..., TestClient], world_factory, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    use_endpoint(monkeypatch, refusing_url())
    client = make_client(llm_grading=True)
    world = world_factory(client)
    call_id = upload(client, world.a1).json()["id"]
    assert wait_for_status(client, world.a1, call_id, {"scored", "failed"})["status"] == "scored"

    def llm_job() -> dict:
        body = client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).json()
        return body["job"] if body["job"]["kind"] == "llm" else {}

    end = time.monotonic() + 30
    while llm_job().get("status") not in ("done", "failed"):
        assert time.monotonic() < end, llm_job()
        time.sleep(0.02)
    call = client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).json()
    assert call["status"] == "scored" and call["error"] is None  # the call is not failed by its LLM
    card = client.get(f"/v1/calls/{call_id}/scorecard", headers=world.m1.auth).json()
    assert card["scorecard"]["llm"]["llm_status"].startswith("failed: ")
    expected = score_transcript(read_bytes(SAMPLE, name="call.txt", sellers=SAMPLE_SELLERS))
    assert card["scorecard"]["items"] == [i.model_dump(mode="json") for i in expected.items]
    assert [(i["id"], i["verdict"]) for i in card["items"]] == [(i.id, i.verdict.value) for i in expected.items]


def test_revised_machine_scorecard_keeps_overrides(db: Database) -> None:
    """The storage half of the LLM merge, on both databases: new machine verdicts, overrides kept."""
    from api.store.scorecards import update_machine_scorecard

    world = build_world(db)
    rep, manager = principal(db, world, "a1"), principal(db, world, "m1")
    call_id = create_call(
        db, rep, Upload(raw=SAMPLE, filename="call.txt", sellers=SAMPLE_SELLERS), read=READ, idempotency_key=None
    ).call.id
    assert JobRunner(db, ApiSettings(database_url=db.url, job_workers=0, job_processes=0), score_transcript).run_once()
    heuristic, _ = stored(db, call_id)
    first, second = heuristic.items[0], heuristic.items[1]
    with db.write() as session:
        set_override(session, manager, call_id, first.id, OverrideCreate(verdict=Verdict.not_applicable, comment="n/a here"))
    flip = {Verdict.pass_: Verdict.fail, Verdict.fail: Verdict.pass_, Verdict.not_applicable: Verdict.fail}
    revised = heuristic.model_copy(update={"items": [
        i.model_copy(update={"verdict": flip[i.verdict]}) if i.id in (first.id, second.id) else i for i in heuristic.items
    ]})  # fmt: skip
    with db.write() as session:
        assert update_machine_scorecard(session, call_id, revised)
    card, items = stored(db, call_id)
    assert card == revised
    assert (items[first.id].machine_verdict, items[first.id].verdict) == (flip[first.verdict].value, "not_applicable")
    assert items[first.id].override_comment == "n/a here"
    assert (items[second.id].machine_verdict, items[second.id].verdict) == (flip[second.verdict].value,) * 2
    with db.write() as session:
        assert update_machine_scorecard(session, 10**6, revised) is False  # no such call: nothing written


def test_llm_grading_is_off_by_default_and_queues_no_follow_up(client: TestClient, world: World) -> None:
    assert ApiSettings().llm_grading is False
    call_id = upload(client, world.a1).json()["id"]
    done = wait_for_status(client, world.a1, call_id, {"scored", "failed"})
    assert done["job"]["kind"] == "score" and done["job"]["status"] == JobStatus.done
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        assert [j.kind for j in session.scalars(select(Job).where(Job.call_id == call_id))] == ["score"]


def test_a_grading_cut_short_by_shutdown_is_not_stored_as_the_models_failure(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stopping the server stops the embedded model under a running request; that job must be
    graded again after the restart, not stored as `llm_status: failed`."""
    use_endpoint(monkeypatch, refusing_url())
    world = build_world(db)
    call_id = create_call(
        db, principal(db, world, "a1"), Upload(raw=SAMPLE, filename="call.txt", sellers=SAMPLE_SELLERS),
        read=READ, idempotency_key=None,
    ).call.id
    settings = ApiSettings(database_url=db.url, job_workers=0, job_processes=0, llm_grading=True)
    with api_grader(settings) as grader:
        runner = JobRunner(db, settings, score_transcript, grader)
        assert runner.run_once(JobKind.score)
        runner.stop()  # the server is shutting down while the LLM job runs
        assert runner.run_once(JobKind.llm)
    assert jobs_of(db, call_id) == [("score", "done"), ("llm", "running")]
    assert stored(db, call_id)[0].llm is None
    restarted = JobRunner(db, settings, score_transcript, grader)
    assert restarted.requeue_running() == 1
    assert jobs_of(db, call_id) == [("score", "done"), ("llm", "queued")]
