"""Team roll-ups and rep progress: exact counts from seeded verdicts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.support import World, at, seed_scorecard


def rate(items: list[dict], item_id: str) -> dict:
    return next(i for i in items if i["id"] == item_id)


def seed(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "pass", "next_step": "fail"})   # week of Mar 2
    seed_scorecard(db, world.a1, at("2026-03-08T23:00:00"), {"never_say": "pass", "next_step": "pass"})   # still week of Mar 2
    seed_scorecard(db, world.a1, at("2026-03-09T10:00:00"), {"never_say": "fail", "next_step": "not_applicable"})
    seed_scorecard(db, world.a1b, at("2026-03-10T10:00:00"), {"never_say": "pass", "next_step": "pass"})
    seed_scorecard(db, world.a2, at("2026-03-03T10:00:00"), {"never_say": "fail", "next_step": "fail"})  # other team


def test_rollup_by_rep(client: TestClient, world: World) -> None:
    seed(client, world)
    body = client.get(f"/v1/teams/{world.team_a1}/rollup?group_by=rep", headers=world.m1.auth).json()
    assert body["calls"] == 4 and body["group_by"] == "rep"
    assert rate(body["items"], "never_say") == {"id": "never_say", "passed": 3, "failed": 1, "not_applicable": 0, "pass_rate": 0.75}
    assert rate(body["items"], "next_step") == {"id": "next_step", "passed": 2, "failed": 1, "not_applicable": 1, "pass_rate": 0.6667}
    groups = {g["rep_id"]: g for g in body["groups"]}
    assert set(groups) == {world.a1.id, world.a1b.id}
    assert groups[world.a1.id]["calls"] == 3 and groups[world.a1.id]["rep_name"] == "Ann One"
    assert rate(groups[world.a1.id]["items"], "never_say")["pass_rate"] == 0.6667
    assert rate(groups[world.a1b.id]["items"], "next_step") == {"id": "next_step", "passed": 1, "failed": 0, "not_applicable": 0, "pass_rate": 1.0}


def test_rollup_by_week_and_window(client: TestClient, world: World) -> None:
    seed(client, world)
    body = client.get(f"/v1/teams/{world.team_a1}/rollup?group_by=week", headers=world.admin_a.auth).json()
    assert [(g["week"], g["calls"]) for g in body["groups"]] == [("2026-03-02", 2), ("2026-03-09", 2)]
    assert rate(body["groups"][1]["items"], "next_step") == {"id": "next_step", "passed": 1, "failed": 0, "not_applicable": 1, "pass_rate": 1.0}
    windowed = client.get(
        f"/v1/teams/{world.team_a1}/rollup?group_by=week&since=2026-03-08T00:00:00Z&until=2026-03-10T00:00:00Z",
        headers=world.admin_a.auth,
    ).json()
    assert windowed["calls"] == 2
    assert rate(windowed["items"], "never_say") == {"id": "never_say", "passed": 1, "failed": 1, "not_applicable": 0, "pass_rate": 0.5}
    bad = client.get(f"/v1/teams/{world.team_a1}/rollup?since=2026-03-10T00:00:00Z&until=2026-03-01T00:00:00Z", headers=world.m1.auth)
    assert bad.status_code == 422 and bad.json()["detail"] == "since must be before until"
    # A time without a zone is UTC; mixing it with a zoned one is fine.
    mixed = client.get(f"/v1/teams/{world.team_a1}/rollup?since=2026-03-08T00:00:00&until=2026-03-10T00:00:00Z", headers=world.m1.auth)
    assert mixed.status_code == 200 and mixed.json()["calls"] == 2


def test_empty_rollup_has_no_rates(client: TestClient, world: World) -> None:
    body = client.get(f"/v1/teams/{world.team_a2}/rollup", headers=world.m2.auth).json()
    assert body["calls"] == 0 and body["items"] == [] and body["groups"] == []


def test_override_changes_the_rollup(client: TestClient, world: World) -> None:
    call = seed_scorecard(client.app.state.db, world.a2, at("2026-03-03T10:00:00"), {"never_say": "fail"})  # type: ignore[attr-defined]
    before = client.get(f"/v1/teams/{world.team_a2}/rollup", headers=world.m2.auth).json()
    assert rate(before["items"], "never_say")["pass_rate"] == 0.0
    client.put(f"/v1/calls/{call}/scorecard/items/never_say/override", headers=world.m2.auth,
               json={"verdict": "pass", "comment": "customer's words"})
    after = client.get(f"/v1/teams/{world.team_a2}/rollup", headers=world.m2.auth).json()
    assert rate(after["items"], "never_say")["pass_rate"] == 1.0


def test_rep_progress(client: TestClient, world: World) -> None:
    seed(client, world)
    body = client.get(f"/v1/reps/{world.a1.id}/progress", headers=world.a1.auth).json()
    assert body["rep_name"] == "Ann One" and body["calls"] == 3
    assert [(w["week"], w["calls"]) for w in body["weeks"]] == [("2026-03-02", 2), ("2026-03-09", 1)]
    assert rate(body["weeks"][0]["items"], "next_step")["pass_rate"] == 0.5
    assert rate(body["weeks"][1]["items"], "never_say")["pass_rate"] == 0.0
    assert rate(body["items"], "never_say") == {"id": "never_say", "passed": 2, "failed": 1, "not_applicable": 0, "pass_rate": 0.6667}
    since = client.get(f"/v1/reps/{world.a1.id}/progress?since=2026-03-09T00:00:00Z", headers=world.m1.auth).json()
    assert since["calls"] == 1
