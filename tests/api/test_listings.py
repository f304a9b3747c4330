"""GET /v1/calls and GET /v1/users: filters, cursor paging, call-time order, the same access
rules as every other read (404 across teams and organisations), and a request id on every answer."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from api.db.models import Call
from tests.api.support import Person, World, at, seed_scorecard


def _kind(db, call_id: int, kind: str) -> None:  # type: ignore[no-untyped-def]
    from api.db.models import ScorecardItemRow, ScorecardRow

    with db.write() as session:
        session.get(Call, call_id).kind = kind
        for table in (ScorecardRow, ScorecardItemRow):
            for row in session.query(table).filter(table.call_id == call_id):
                row.kind = kind


def _walk(client: TestClient, who: Person, path: str, **params: object) -> list[dict]:
    seen: list[dict] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = client.get(path, headers=who.auth, params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


def test_calls_are_listed_by_call_time_across_pages_with_kind_title_and_occurred_at(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    # Stored out of order: the listing follows when the calls happened, not their ids.
    days = ["2026-03-05", "2026-03-01", "2026-03-09", "2026-03-03", "2026-03-07"]
    ids = {day: seed_scorecard(db, world.a1, at(f"{day}T10:00:00"), {"never_say": "pass"}) for day in days}
    same_time = seed_scorecard(db, world.a1b, at("2026-03-05T10:00:00"), {"never_say": "pass"})  # a tie: id breaks it
    practice = seed_scorecard(db, world.a1, at("2026-03-10T10:00:00"), {"never_say": "fail"})
    _kind(db, practice, "roleplay")

    listed = _walk(client, world.m1, "/v1/calls", limit=2)
    expected = [ids["2026-03-09"], ids["2026-03-07"], same_time, ids["2026-03-05"], ids["2026-03-03"], ids["2026-03-01"]]
    assert [c["id"] for c in listed] == expected
    assert all({"kind", "title", "occurred_at"} <= set(c) for c in listed)
    assert {c["kind"] for c in listed} == {"upload"} and listed[0]["title"] == "seed"
    assert [c["id"] for c in _walk(client, world.m1, "/v1/calls", kind="roleplay")] == [practice]
    assert [c["id"] for c in _walk(client, world.m1, "/v1/calls", kind="all", limit=3)] == [practice, *expected]

    assert [c["id"] for c in _walk(client, world.m1, "/v1/calls", rep=world.a1b.id)] == [same_time]
    window = _walk(client, world.m1, "/v1/calls", since="2026-03-03T00:00:00Z", until="2026-03-07T00:00:00Z")
    assert [c["id"] for c in window] == [same_time, ids["2026-03-05"], ids["2026-03-03"]]
    assert [c["id"] for c in _walk(client, world.m1, "/v1/calls", status="queued")] == []


def test_call_listing_follows_the_access_rules(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    owners = [world.a1, world.a1b, world.a2, world.b1]
    calls = {o.id: seed_scorecard(db, o, at("2026-03-02T10:00:00"), {"never_say": "pass"}) for o in owners}
    expect = {
        "a1": {world.a1.id}, "a1b": {world.a1b.id}, "m1": {world.a1.id, world.a1b.id}, "a2": {world.a2.id},
        "m2": {world.a2.id}, "admin_a": {world.a1.id, world.a1b.id, world.a2.id}, "b1": {world.b1.id},
        "mb": {world.b1.id}, "admin_b": {world.b1.id},
    }
    for name, viewer in world.people().items():
        got = {c["id"] for c in _walk(client, viewer, "/v1/calls")}
        assert got == {calls[o] for o in expect[name]}, name
    # asking for someone else's rep or team narrows to nothing; it never widens
    assert _walk(client, world.a1, "/v1/calls", rep=world.a1b.id) == []
    assert _walk(client, world.m1, "/v1/calls", team=world.team_a2) == []
    assert _walk(client, world.mb, "/v1/calls", team=world.team_a1) == []


def test_bad_listing_parameters_are_problems(client: TestClient, world: World) -> None:
    for params in ({"cursor": "not-a-cursor"}, {"kind": "practice"}, {"limit": 0},
                   {"since": "2026-03-05T00:00:00Z", "until": "2026-03-01T00:00:00Z"}):
        answer = client.get("/v1/calls", headers=world.m1.auth, params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.get("/v1/users", headers=world.m1.auth, params={"cursor": "eyJ4IjogMX0"}).status_code == 422


def test_users_are_listed_within_reach_with_paging_and_filters(client: TestClient, world: World) -> None:
    everyone_a = {world.a1.id, world.a1b.id, world.m1.id, world.a2.id, world.m2.id, world.admin_a.id}
    assert {u["id"] for u in _walk(client, world.admin_a, "/v1/users", limit=2)} == everyone_a
    assert {u["id"] for u in _walk(client, world.m1, "/v1/users")} == {world.a1.id, world.a1b.id, world.m1.id}
    assert [u["id"] for u in _walk(client, world.a1, "/v1/users")] == [world.a1.id]
    assert {u["id"] for u in _walk(client, world.admin_b, "/v1/users")} == {world.b1.id, world.mb.id, world.admin_b.id}
    reps = _walk(client, world.admin_a, "/v1/users", role="rep", team=world.team_a1)
    assert {u["id"] for u in reps} == {world.a1.id, world.a1b.id} and reps[0]["team_name"] == "A1"
    ids = [u["id"] for u in _walk(client, world.admin_a, "/v1/users", limit=1)]
    assert ids == sorted(ids)

    me = client.get("/v1/users/me", headers=world.m1.auth).json()
    assert me["id"] == world.m1.id and me["role"] == "manager" and me["name"] == "Mia Manager"
    assert client.get(f"/v1/users/{world.a1.id}", headers=world.m1.auth).status_code == 200
    for viewer, other in ((world.m1, world.a2), (world.a1, world.a1b), (world.admin_a, world.b1), (world.mb, world.m1)):
        missing = client.get(f"/v1/users/{other.id}", headers=viewer.auth)
        assert missing.status_code == 404 and missing.json()["detail"] == f"user {other.id} not found"
        assert client.get("/v1/users/99999", headers=viewer.auth).json()["detail"] == "user 99999 not found"


def test_every_answer_carries_a_request_id_and_echoes_a_sane_one(client: TestClient, world: World) -> None:
    fresh = {client.get("/v1/calls", headers=world.a1.auth).headers["x-request-id"] for _ in range(3)}
    assert len(fresh) == 3 and all(len(r) == 32 for r in fresh)
    mine = client.get("/v1/calls", headers={**world.a1.auth, "X-Request-ID": "trace-42.abc:7"})
    assert mine.headers["x-request-id"] == "trace-42.abc:7"
    for insane in ("has space", "x" * 200, "<script>", ""):
        answer = client.get("/v1/calls", headers={**world.a1.auth, "X-Request-ID": insane})
        assert answer.headers["x-request-id"] != insane and len(answer.headers["x-request-id"]) == 32
    # errors, unauthenticated answers, health checks and pages carry one too
    for answer in (client.get("/v1/calls/99999", headers=world.a1.auth), client.get("/v1/calls"),
                   client.get("/healthz"), client.get("/sign-in"), client.get("/openapi.json")):
        assert answer.headers.get("x-request-id"), answer.request.url


def test_call_occurred_at_falls_back_to_upload_time(client: TestClient, world: World) -> None:
    from tests.api.support import upload, wait_for_status

    before = dt.datetime.now(dt.UTC)
    created = upload(client, world.a1, title="Acme QBR")
    assert created.status_code == 201, created.text
    body = wait_for_status(client, world.a1, created.json()["id"], {"scored"})
    occurred = dt.datetime.fromisoformat(body["occurred_at"])
    assert before - dt.timedelta(seconds=1) <= occurred <= dt.datetime.now(dt.UTC)
    assert body["title"] == "Acme QBR" and body["kind"] == "upload"
    untitled = upload(client, world.a1, name="globex-renewal.vtt.txt")
    assert untitled.json()["title"] == "globex-renewal.vtt"
