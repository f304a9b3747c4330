"""Role-play over HTTP: sessions across requests, facilitator notes, finishing into a stored scorecard,
access control. Runs on SQLite and PostgreSQL like every API test."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.models import Call
from api.principal import Principal
from tests.api.support import World
from tests.roleplay.support import PLAYS


def start(client: TestClient, who, scenario: str = "usage_threshold_upsell", **extra):  # type: ignore[no-untyped-def]
    return client.post("/v1/roleplay/sessions", headers=who.auth, json={"scenario": scenario, **extra})


def say(client: TestClient, who, session_id: int, line: str):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/roleplay/sessions/{session_id}/turns", headers=who.auth, json={"line": line})


def test_a_bad_rep_plays_across_requests_and_finishes_into_a_stored_scorecard(client: TestClient, world: World) -> None:
    expected = PLAYS["usage_threshold_upsell"]["bad"]
    created = start(client, world.a1)
    assert created.status_code == 201, created.text
    session = created.json()
    assert created.headers["location"] == f"/v1/roleplay/sessions/{session['id']}"
    assert session["status"] == "active" and session["persona"]["name"] == "Maya Chen"
    assert [t["role"] for t in session["turns"]] == ["customer"] and session["call_id"] is None
    fired = []
    for n, line in enumerate(expected["rep_lines"], 1):
        turn = say(client, world.a1, session["id"], line)
        assert turn.status_code == 200, turn.text
        body = turn.json()
        assert body["rep"]["text"] == line and body["customer"]["role"] == "customer" and body["customer"]["text"]
        fired += [[n, note["rule"]] for note in body["notes"]]
    assert fired == expected["facilitator"]
    stored = client.get(f"/v1/roleplay/sessions/{session['id']}", headers=world.a1.auth).json()
    assert len(stored["turns"]) == 1 + 2 * len(expected["rep_lines"])
    assert [[n["turn"], n["rule"]] for n in stored["notes"]] == [[2 * n - 1, r] for n, r in expected["facilitator"]]

    finished = client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=world.a1.auth)
    assert finished.status_code == 200, finished.text
    card = finished.json()
    got = {i["id"]: i["machine_verdict"] for i in card["items"]}
    assert {k: got[k] for k in expected["verdicts"]} == expected["verdicts"]
    assert card["rep_id"] == world.a1.id
    # stored like a call's scorecard: readable through the calls API, listed, and the call is a role-play
    again = client.get(f"/v1/calls/{card['call_id']}/scorecard", headers=world.a1.auth)
    assert again.status_code == 200 and again.json()["scorecard"] == card["scorecard"]
    listed = client.get("/v1/scorecards", headers=world.a1.auth, params={"rep": world.a1.id, "kind": "roleplay"}).json()
    assert card["call_id"] in [s["call_id"] for s in listed["items"]]
    # practice is kept apart: the default listing is real calls only
    real = client.get("/v1/scorecards", headers=world.a1.auth, params={"rep": world.a1.id}).json()
    assert card["call_id"] not in [s["call_id"] for s in real["items"]]
    with client.app.state.db.reader() as db:  # type: ignore[attr-defined]
        call = db.scalars(select(Call).where(Call.id == card["call_id"])).one()
        assert call.kind == "roleplay" and call.status == "scored" and call.rep_id == world.a1.id
    # the practised call follows the calls' access rules: the rep's manager sees it, another team does not
    assert client.get(f"/v1/calls/{card['call_id']}/scorecard", headers=world.m1.auth).status_code == 200
    assert client.get(f"/v1/calls/{card['call_id']}", headers=world.a2.auth).status_code == 404
    # finishing twice returns the same scorecard; no more turns once finished
    assert client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=world.a1.auth).json()["call_id"] == card["call_id"]
    closed = say(client, world.a1, session["id"], "One more thing?")
    assert closed.status_code == 409 and closed.json()["detail"] == f"role-play session {session['id']} is finished; no more turns"
    assert client.get(f"/v1/roleplay/sessions/{session['id']}", headers=world.a1.auth).json()["status"] == "finished"


def test_a_session_the_customer_ended_refuses_turns_but_finishes(client: TestClient, world: World) -> None:
    sid = start(client, world.a1, "send_me_information").json()["id"]
    say(client, world.a1, sid, "Could we spend 20 minutes mapping how your team handles quality checks today?")
    ended = say(client, world.a1, sid, "Sure, I'll send it over today.").json()
    assert ended["status"] == "ended"
    assert say(client, world.a1, sid, "Hello?").status_code == 409
    card = client.post(f"/v1/roleplay/sessions/{sid}/finish", headers=world.a1.auth).json()
    assert {i["id"]: i["machine_verdict"] for i in card["items"]}["soft_no_reopen"] == "fail"


def test_same_seed_same_customer(client: TestClient, world: World) -> None:
    replies = []
    for _ in range(2):
        sid = start(client, world.a1, seed=11).json()["id"]
        replies.append([say(client, world.a1, sid, line).json()["customer"]["text"] for line in PLAYS["usage_threshold_upsell"]["good"]["rep_lines"][:3]])
    assert replies[0] == replies[1]


def test_a_rep_sees_only_their_own_sessions(client: TestClient, world: World) -> None:
    sid = start(client, world.a1).json()["id"]
    say(client, world.a1, sid, "Hi Maya.")
    for other in (world.a1b, world.a2, world.b1, world.mb, world.admin_b, world.m2):
        assert client.get(f"/v1/roleplay/sessions/{sid}", headers=other.auth).status_code == 404
        assert say(client, other, sid, "Hi").status_code == 404
        assert client.post(f"/v1/roleplay/sessions/{sid}/finish", headers=other.auth).status_code == 404
    # the rep's manager and the org admin may read it, but only the rep plays or finishes it
    for reader in (world.m1, world.admin_a):
        assert client.get(f"/v1/roleplay/sessions/{sid}", headers=reader.auth).status_code == 200
        refused = say(client, reader, sid, "Hi")
        assert refused.status_code == 403
        assert refused.json()["detail"] == "only the rep who started a role-play session may play or finish it"
    assert client.get(f"/v1/roleplay/sessions/{sid}").status_code == 401


def test_bad_requests_are_problem_details(client: TestClient, world: World) -> None:
    unknown = start(client, world.a1, "nope")
    assert unknown.status_code == 422 and unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["detail"].startswith("unknown scenario 'nope'; known: ")
    assert unknown.json()["errors"][0]["loc"] == ["body", "scenario"]
    sid = start(client, world.a1).json()["id"]
    empty = say(client, world.a1, sid, "")
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"] == ["body", "line"]
    blank = say(client, world.a1, sid, "   ")
    assert blank.status_code == 422 and blank.json()["detail"] == "the rep line is empty"
    nothing = client.post(f"/v1/roleplay/sessions/{sid}/finish", headers=world.a1.auth)
    assert nothing.status_code == 409 and "nothing to score" in nothing.json()["detail"]
    assert client.get("/v1/roleplay/sessions/999999", headers=world.a1.auth).json()["detail"] == "role-play session 999999 not found"


def test_the_apps_llm_actor_voices_the_customer_and_falls_back(client: TestClient, world: World) -> None:
    from coach.llm.protocol import FakeChatModel
    from coach.roleplay.actor import CustomerLine, LLMActor

    model = FakeChatModel().enqueue(CustomerLine(line="Happy to chat, I have a few minutes."), CustomerLine(line="Yes, let's do it."))
    client.app.state.roleplay_actor = LLMActor(model)  # type: ignore[attr-defined]
    sid = start(client, world.a1).json()["id"]
    voiced = say(client, world.a1, sid, "Hi Maya, thanks for making time today.").json()["customer"]
    assert voiced == {"index": 2, "role": "customer", "text": "Happy to chat, I have a few minutes.", "source": "llm"}
    hedge = say(client, world.a1, sid, "Would you like to add 50 seats this quarter?").json()["customer"]
    from coach.roleplay.scenario import get_scenario

    soft_no = get_scenario("usage_threshold_upsell").lines.soft_no
    assert hedge["source"] == "script" and hedge["text"] in soft_no  # a yes cannot voice a soft no
    assert model.pending == 0 and len(model.history) == 2


def test_a_session_can_be_played_at_another_level_and_its_scorecard_says_so(client: TestClient, world: World) -> None:
    created = start(client, world.a1, difficulty="hard")
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["difficulty"] == "hard" and session["persona"]["difficulty"] == "easy"  # the scenario's own level
    turn = say(client, world.a1, session["id"], "This is the future of the category.").json()
    assert turn["status"] == "ended"  # at hard the first never-say phrase ends the call
    card = client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=world.a1.auth).json()
    assert card["scorecard"]["practice"] == {
        "scenario": "usage_threshold_upsell", "title": session["title"], "difficulty": "hard", "ended_cold": True,
    }  # fmt: skip
    assert start(client, world.a1).json()["difficulty"] == "easy"
    bad = start(client, world.a1, difficulty="brutal")
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")


def test_finish_scores_with_the_servers_scorer_before_its_write_and_keeps_a_turn_played_meanwhile(
    make_client: Callable[..., TestClient], world_factory  # type: ignore[no-untyped-def]
) -> None:
    from api.db.models import CallBlob
    from api.store import roleplay as store
    from coach.roleplay.session import ScriptedActor
    from coach.scoring import score_transcript
    from coach.transcript import Transcript

    scored: list[int] = []  # turns of each transcript the server's scorer was given
    played: list[object] = []
    session: dict = {}

    def team_scorer(transcript: Transcript):  # type: ignore[no-untyped-def]
        """A team's own scorer (COACH_SCORER). The first time, the rep's next line arrives while it
        scores: a write finish held open around scoring would block it."""
        scored.append(len(transcript.turns))
        if not played:
            rep = session["rep"]
            line = threading.Thread(target=lambda: played.append(store.play(db, rep, session["id"], "Who signs off?", ScriptedActor())), daemon=True)
            line.start()
            line.join(30)
            assert played, "a turn could not be played while the session was being scored"
        card = score_transcript(transcript)
        return card.model_copy(update={"warnings": [*card.warnings, "scored by the team's scorer"]})

    client = make_client(scorer=team_scorer)
    world = world_factory(client)
    db = client.app.state.db  # type: ignore[attr-defined]
    session["id"] = start(client, world.a1).json()["id"]
    session["rep"] = Principal(user_id=world.a1.id, org_id=world.a1.org_id, team_id=world.a1.team_id, role=world.a1.role, name="Ann One", key_id=0)
    say(client, world.a1, session["id"], "I saw your team crossed 212 of 250 seats this month.")
    finished = client.post(f"/v1/roleplay/sessions/{session['id']}/finish", headers=world.a1.auth)
    assert finished.status_code == 200, finished.text
    card = finished.json()["scorecard"]
    assert "scored by the team's scorer" in card["warnings"]
    assert card["practice"]["scenario"] == "usage_threshold_upsell"
    # Scored once as it stood, and again with the turn played meanwhile; that is what is stored.
    assert scored == [3, 5]
    with db.reader() as read:
        stored = Transcript.from_json(read.get(CallBlob, finished.json()["call_id"]).transcript_json)
    assert [t.text for t in stored.turns][3] == "Who signs off?"


def test_finish_scores_in_the_scorer_processes_and_queues_the_llm_follow_up(
    settings, world_factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    from api.app import create_app
    from tests.api.test_llm_jobs import refusing_url, use_endpoint

    use_endpoint(monkeypatch, refusing_url())  # the LLM follow-up runs, and records that its model was unreachable
    log = tmp_path / "scored.log"
    monkeypatch.setenv("COACH_TEST_SCORE_LOG", str(log))
    app = create_app(settings.model_copy(update={"scorer": "tests.api.fast_scorer:score", "job_processes": 1, "llm_grading": True}))
    with TestClient(app) as client:
        world = world_factory(client)
        sid = start(client, world.a1).json()["id"]
        say(client, world.a1, sid, "I saw your team crossed 212 of 250 seats this month.")
        finished = client.post(f"/v1/roleplay/sessions/{sid}/finish", headers=world.a1.auth)
        assert finished.status_code == 200, finished.text
        call_id = finished.json()["call_id"]
        assert finished.json()["scorecard"]["practice"]["scenario"] == "usage_threshold_upsell"
        # COACH_SCORER ran in a scorer child, not in the server process.
        pids = {int(line.split()[0]) for line in log.read_text().splitlines() if "roleplay:" in line}
        assert pids and os.getpid() not in pids
        end = time.monotonic() + 30
        while (job := client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).json()["job"])["status"] != "done":
            assert time.monotonic() < end and job["kind"] == "llm", job
            time.sleep(0.02)
        graded = client.get(f"/v1/calls/{call_id}/scorecard", headers=world.a1.auth).json()["scorecard"]
    assert graded["llm"]["llm_status"].startswith("failed: ") and graded["practice"] == finished.json()["scorecard"]["practice"]
