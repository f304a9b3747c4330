"""The role-play session layer: typed state round-trips through its JSON row, access
follows the call rules, and a finished session's scorecard is stored like a call's."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api.principal import Principal
from api.problems import ApiProblem
from api.store import roleplay
from coach.readers import read_bytes
from coach.scoring import score_transcript
from tests.api.support import SAMPLE, SAMPLE_SELLERS, Person, World


class FakeTurn(BaseModel):
    speaker: str
    text: str


class FakeState(BaseModel):
    """Stands in for the role-play layer's own session state model."""

    scenario: str
    turns: list[FakeTurn] = []
    asked: list[int] = []


def principal(p: Person) -> Principal:
    return Principal(user_id=p.id, org_id=p.org_id, team_id=p.team_id, role=p.role, name="x", key_id=0)


def test_state_round_trips_and_follows_access_rules(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    rep = principal(world.a1)
    state = FakeState(scenario="usage_threshold", turns=[FakeTurn(speaker="rep", text="You crossed 85% of seats.")])
    sid = roleplay.create_session(db, rep, "usage_threshold", state)
    state.turns.append(FakeTurn(speaker="customer", text="Yes, finance onboarded."))
    state.asked.append(1)
    roleplay.save_state(db, rep, sid, state)
    for viewer in (world.a1, world.m1, world.admin_a):
        with db.reader() as session:
            row, loaded = roleplay.load_state(session, principal(viewer), sid, FakeState)
        assert loaded == state and row.status == "active"
    for outsider in (world.a1b, world.m2, world.a2, world.b1, world.admin_b):
        with db.reader() as session, pytest.raises(ApiProblem) as info:
            roleplay.load_state(session, principal(outsider), sid, FakeState)
        assert info.value.problem.status == 404
    with pytest.raises(ApiProblem) as info:
        roleplay.save_state(db, principal(world.m1), sid, state)
    assert info.value.problem.status == 403


def test_finished_session_is_scored_like_a_call(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    rep = principal(world.a1)
    sid = roleplay.create_session(db, rep, "usage_threshold", FakeState(scenario="usage_threshold"))
    transcript = read_bytes(SAMPLE, name="practice.txt", sellers=SAMPLE_SELLERS)
    call_id = roleplay.finish_session(db, rep, sid, FakeState(scenario="usage_threshold"), transcript,
                                      score_transcript(transcript))
    call = client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).json()
    assert call["kind"] == "roleplay" and call["status"] == "scored"
    assert call["metadata"] == {"roleplay_session": sid, "scenario": "usage_threshold"}
    card = client.get(f"/v1/calls/{call_id}/scorecard", headers=world.m1.auth)
    assert card.status_code == 200 and len(card.json()["items"]) == 12
    assert client.get(f"/v1/calls/{call_id}", headers=world.a2.auth).status_code == 404
    with pytest.raises(ApiProblem) as info:
        roleplay.save_state(db, rep, sid, FakeState(scenario="usage_threshold"))
    assert info.value.problem.status == 409
