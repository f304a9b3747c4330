"""Helpers the API tests share: a two-organisation world, uploads, polling, seeding."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from api.db import Database
from api.db.models import Role
from api.reading import UploadReader
from api.store.admin import create_org, create_team, create_user
from coach import pipeline

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "fixtures/sample/expansion_call.txt").read_bytes()
SAMPLE_SELLERS = ["Priya Shah", "Dan Ortiz"]
# The pipeline's read step as the server runs it, in the calling thread (stores called directly).
READ = UploadReader(0, pipeline.resolve(max_bytes=10**6, sellers_on_call=False))


@dataclass
class Person:
    id: int
    key: str
    org_id: int
    team_id: int | None
    role: Role

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class World:
    """Two organisations. Org A: teams A1 (reps a1, a1b; manager m1) and A2 (rep a2; manager m2),
    admin admin_a. Org B: team B1 (rep b1; manager mb), admin admin_b."""

    team_a1: int
    team_a2: int
    team_b1: int
    a1: Person
    a1b: Person
    m1: Person
    a2: Person
    m2: Person
    admin_a: Person
    b1: Person
    mb: Person
    admin_b: Person

    def people(self) -> dict[str, Person]:
        return {k: v for k, v in vars(self).items() if isinstance(v, Person)}


def build_world(db: Database) -> World:
    org_a, org_b = create_org(db, "Org A"), create_org(db, "Org B")
    a1t, a2t, b1t = create_team(db, org_a, "A1"), create_team(db, org_a, "A2"), create_team(db, org_b, "B1")

    def person(org: int, name: str, role: Role, team: int | None) -> Person:
        made = create_user(db, org, name, role, team)
        return Person(id=made.id, key=made.api_key, org_id=org, team_id=team, role=role)

    return World(
        team_a1=a1t, team_a2=a2t, team_b1=b1t,
        a1=person(org_a, "Ann One", Role.rep, a1t),
        a1b=person(org_a, "Abe One", Role.rep, a1t),
        m1=person(org_a, "Mia Manager", Role.manager, a1t),
        a2=person(org_a, "Ali Two", Role.rep, a2t),
        m2=person(org_a, "Max Manager", Role.manager, a2t),
        admin_a=person(org_a, "Ada Admin", Role.admin, None),
        b1=person(org_b, "Bea One", Role.rep, b1t),
        mb=person(org_b, "Ben Manager", Role.manager, b1t),
        admin_b=person(org_b, "Bob Admin", Role.admin, None),
    )


def upload(client: TestClient, who: Person, content: bytes = SAMPLE, *, name: str = "call.txt", headers=None, **fields):  # type: ignore[no-untyped-def]
    data = {"sellers": ",".join(SAMPLE_SELLERS), **{k: str(v) for k, v in fields.items()}}
    return client.post("/v1/calls", headers={**who.auth, **(headers or {})}, files={"file": (name, content)}, data=data)


def wait_for_status(client: TestClient, who: Person, call_id: int, wanted: set[str], deadline_s: float = 20.0) -> dict:
    """Poll the call until its status is one of `wanted`; fail after a bounded deadline."""
    end = time.monotonic() + deadline_s
    while True:
        body = client.get(f"/v1/calls/{call_id}", headers=who.auth).json()
        if body["status"] in wanted:
            return body
        if time.monotonic() > end:
            raise AssertionError(f"call {call_id} still {body['status']} after {deadline_s}s: {body}")
        time.sleep(0.02)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def seed_scorecard(db: Database, rep: Person, occurred_at: dt.datetime, verdicts: dict[str, str]) -> int:
    """Store a call with a known machine scorecard (for exact filter and roll-up assertions)."""
    from api.db.models import Call, CallBlob, CallStatus
    from api.store.scorecards import save_scorecard
    from coach.scorecard import CallInfo, ItemResult, RubricRef, Scorecard, Verdict

    scorecard = Scorecard(
        call=CallInfo(format="plain", speakers=[]),
        rubric=RubricRef(id="expansion_call", version="test"),
        items=[ItemResult(id=item, verdict=Verdict(v)) for item, v in verdicts.items()],
    )
    with db.write() as session:
        call = Call(
            org_id=rep.org_id, team_id=rep.team_id, rep_id=rep.id, uploaded_by=rep.id, filename="seed.txt",
            format="plain", sellers=[], meta={}, size_bytes=0, turns=0, occurred_at=occurred_at,
            status=CallStatus.scored,
        )
        session.add(call)
        session.flush()
        session.add(CallBlob(call_id=call.id, raw=b"", transcript_json="{}"))
        save_scorecard(session, call, scorecard)
        return call.id
