"""Who sees what: every cross-user and cross-team access answers 404, every
unauthenticated request 401; what a user may see but not change answers 403."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.db.models import ApiKey, Role
from tests.api.support import Person, World, at, seed_scorecard, upload

ENDPOINTS = [
    ("POST", "/v1/calls"),
    ("GET", "/v1/calls/1"),
    ("DELETE", "/v1/calls/1"),
    ("GET", "/v1/calls/1/scorecard"),
    ("PUT", "/v1/calls/1/scorecard/items/never_say/override"),
    ("DELETE", "/v1/calls/1/scorecard/items/never_say/override"),
    ("GET", "/v1/scorecards"),
    ("GET", "/v1/scorecards?format=csv"),
    ("GET", "/v1/teams/1/rollup"),
    ("GET", "/v1/reps/1/progress"),
    ("GET", "/v1/rubrics"),
    ("GET", "/v1/calls"),
    ("GET", "/v1/users"),
    ("GET", "/v1/users/me"),
    ("GET", "/v1/users/1"),
    ("POST", "/v1/calls/1/scorecard/items/never_say/disputes"),
    ("GET", "/v1/disputes"),
    ("GET", "/v1/disputes/1"),
    ("POST", "/v1/disputes/1/accept"),
    ("POST", "/v1/disputes/1/reject"),
    ("GET", "/v1/calibration"),
    ("GET", "/v1/calibration/export"),
    ("GET", "/v1/reps/1/practice"),
]


def can_see(viewer: Person, owner: Person) -> bool:
    if viewer.org_id != owner.org_id:
        return False
    if viewer.role is Role.admin or viewer.id == owner.id:
        return True
    return viewer.role is Role.manager and viewer.team_id == owner.team_id


@pytest.mark.parametrize("auth", [None, "Bearer not-a-key", "Basic dXNlcjpwdw==", "Bearer "])
def test_unauthenticated_requests_get_401(client: TestClient, world: World, auth: str | None) -> None:
    headers = {"Authorization": auth} if auth is not None else {}
    for method, path in ENDPOINTS:
        response = client.request(method, path, headers=headers, json={"verdict": "pass", "comment": "x"})
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 401


def test_api_keys_are_stored_hashed(client: TestClient, world: World) -> None:
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(ApiKey.key_hash)).all()
    assert len(stored) == len(world.people())
    for person in world.people().values():
        assert person.key not in stored
        assert hashlib.sha256(person.key.encode()).hexdigest() in stored


def test_every_cross_user_and_cross_team_access_is_404(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    owners = [world.a1, world.a1b, world.a2, world.b1]
    calls = {owner.id: seed_scorecard(db, owner, at("2026-03-02T10:00:00"), {"never_say": "pass"}) for owner in owners}
    checked = 0
    for viewer_name, viewer in world.people().items():
        for owner in owners:
            call_id = calls[owner.id]
            seen = can_see(viewer, owner)
            reads = [
                client.get(f"/v1/calls/{call_id}", headers=viewer.auth),
                client.get(f"/v1/calls/{call_id}/scorecard", headers=viewer.auth),
                client.get(f"/v1/calls/{call_id}/scorecard?format=md", headers=viewer.auth),
                client.get(f"/v1/reps/{owner.id}/progress", headers=viewer.auth),
                client.get(f"/v1/reps/{owner.id}/practice", headers=viewer.auth),
                client.get(f"/v1/users/{owner.id}", headers=viewer.auth),
            ]
            for response in reads:
                assert response.status_code == (200 if seen else 404), (viewer_name, owner.id, response.request.url, response.text)
            if not seen:
                for response in (
                    client.put(f"/v1/calls/{call_id}/scorecard/items/never_say/override", headers=viewer.auth,
                               json={"verdict": "fail", "comment": "peek"}),
                    client.delete(f"/v1/calls/{call_id}/scorecard/items/never_say/override", headers=viewer.auth),
                    client.delete(f"/v1/calls/{call_id}", headers=viewer.auth),
                    upload(client, viewer, rep_id=owner.id),
                    client.post(f"/v1/calls/{call_id}/scorecard/items/never_say/disputes", headers=viewer.auth,
                                json={"comment": "peek"}),
                ):
                    assert response.status_code == 404, (viewer_name, owner.id, response.request.url, response.text)
                    assert response.json()["detail"].endswith("not found")
            checked += 1
            listed = client.get(f"/v1/scorecards?rep={owner.id}", headers=viewer.auth).json()["items"]
            assert [s["call_id"] for s in listed] == ([call_id] if seen else [])
            listed_calls = client.get(f"/v1/calls?rep={owner.id}", headers=viewer.auth).json()["items"]
            assert [c["id"] for c in listed_calls] == ([call_id] if seen else [])
        visible_calls = sorted(calls[o.id] for o in owners if can_see(viewer, o))
        listed = client.get("/v1/scorecards", headers=viewer.auth).json()["items"]
        assert sorted(s["call_id"] for s in listed) == visible_calls, viewer_name
        csv_rows = client.get("/v1/scorecards?format=csv", headers=viewer.auth).text.strip().splitlines()[1:]
        assert sorted(int(r.split(",")[0]) for r in csv_rows) == visible_calls, viewer_name
    assert checked == len(world.people()) * len(owners)
    # Nothing was deleted or overridden by the refused requests.
    for owner in owners:
        card = client.get(f"/v1/calls/{calls[owner.id]}/scorecard", headers=owner.auth).json()
        assert card["items"][0]["override"] is None


@pytest.mark.parametrize(
    "viewer,team,allowed",
    [
        ("a1", "team_a1", False),  # reps see no roll-ups, not even their own team's
        ("m1", "team_a1", True),
        ("m1", "team_a2", False),
        ("m2", "team_a1", False),
        ("admin_a", "team_a1", True),
        ("admin_a", "team_a2", True),
        ("admin_a", "team_b1", False),
        ("mb", "team_a1", False),
        ("admin_b", "team_a2", False),
        ("admin_b", "team_b1", True),
    ],
)
def test_team_rollup_visibility(client: TestClient, world: World, viewer: str, team: str, allowed: bool) -> None:
    person = world.people()[viewer]
    response = client.get(f"/v1/teams/{getattr(world, team)}/rollup", headers=person.auth)
    assert response.status_code == (200 if allowed else 404), response.text


def test_unknown_team_rep_and_call_are_404(client: TestClient, world: World) -> None:
    for path in ("/v1/teams/9999/rollup", "/v1/reps/9999/progress", "/v1/calls/9999", "/v1/calls/9999/scorecard"):
        response = client.get(path, headers=world.admin_a.auth)
        assert response.status_code == 404
        assert response.json()["detail"].endswith("9999 not found")


def test_manager_can_read_but_not_delete_a_team_call(client: TestClient, world: World) -> None:
    call_id = seed_scorecard(client.app.state.db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "pass"})  # type: ignore[attr-defined]
    response = client.delete(f"/v1/calls/{call_id}", headers=world.m1.auth)
    assert response.status_code == 403
    assert response.json()["detail"] == "only the call's rep or an admin may delete it"
    assert client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).status_code == 200


def test_rep_cannot_override_own_scorecard(client: TestClient, world: World) -> None:
    call_id = seed_scorecard(client.app.state.db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "fail"})  # type: ignore[attr-defined]
    response = client.put(
        f"/v1/calls/{call_id}/scorecard/items/never_say/override", headers=world.a1.auth,
        json={"verdict": "pass", "comment": "I disagree"},
    )
    assert response.status_code == 403
    card = client.get(f"/v1/calls/{call_id}/scorecard", headers=world.a1.auth).json()
    assert card["items"][0]["verdict"] == "fail"


@pytest.mark.parametrize("deleter", ["a1", "admin_a"])
def test_rep_or_admin_deletes_a_call(client: TestClient, world: World, deleter: str) -> None:
    call_id = seed_scorecard(client.app.state.db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "pass"})  # type: ignore[attr-defined]
    response = client.delete(f"/v1/calls/{call_id}", headers=world.people()[deleter].auth)
    assert response.status_code == 204
    assert client.get(f"/v1/calls/{call_id}", headers=world.a1.auth).status_code == 404
    assert client.get(f"/v1/calls/{call_id}/scorecard", headers=world.admin_a.auth).status_code == 404
    assert client.get("/v1/scorecards", headers=world.admin_a.auth).json()["items"] == []


def test_revoked_key_is_refused(make_client, world_factory) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import update

    from api.db.models import utcnow

    client = make_client(auth_cache_s=0)
    world = world_factory(client)
    assert client.get("/v1/rubrics", headers=world.a1.auth).status_code == 200
    with client.app.state.db.write() as session:
        session.execute(update(ApiKey).where(ApiKey.user_id == world.a1.id).values(revoked_at=utcnow()))
    refused = client.get("/v1/rubrics", headers=world.a1.auth)
    assert refused.status_code == 401 and refused.json()["detail"] == "the API key is not valid"
    assert client.get("/v1/rubrics", headers=world.a1b.auth).status_code == 200
