"""Listing, filtering, paging, exporting and reviewing scorecards (seeded with known verdicts)."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from tests.api.support import World, at, seed_scorecard
from tests.contract import ALL_ITEMS


def seed_month(client: TestClient, world: World) -> dict[str, int]:
    db = client.app.state.db  # type: ignore[attr-defined]
    return {
        "a1_mar02": seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "pass", "next_step": "fail"}),
        "a1_mar09": seed_scorecard(db, world.a1, at("2026-03-09T10:00:00"), {"never_say": "fail", "next_step": "fail"}),
        "a1b_mar10": seed_scorecard(db, world.a1b, at("2026-03-10T10:00:00"), {"never_say": "pass", "next_step": "pass"}),
        "a2_mar03": seed_scorecard(db, world.a2, at("2026-03-03T10:00:00"), {"never_say": "fail", "next_step": "not_applicable"}),
    }


def ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [s["call_id"] for s in response.json()["items"]]


def test_filters(client: TestClient, world: World) -> None:
    c = seed_month(client, world)
    get = lambda q: ids(client.get(f"/v1/scorecards?{q}", headers=world.admin_a.auth))  # noqa: E731
    assert get("") == sorted(c.values(), reverse=True)
    assert get(f"rep={world.a1.id}") == [c["a1_mar09"], c["a1_mar02"]]
    assert get(f"team={world.team_a2}") == [c["a2_mar03"]]
    assert get("since=2026-03-03T00:00:00Z&until=2026-03-10T00:00:00Z") == [c["a2_mar03"], c["a1_mar09"]]
    assert get("item=never_say&verdict=fail") == [c["a2_mar03"], c["a1_mar09"]]
    assert get(f"item=next_step&verdict=pass&team={world.team_a1}") == [c["a1b_mar10"]]
    assert get("item=exec_sponsor") == []
    bad = client.get("/v1/scorecards?verdict=fail", headers=world.admin_a.auth)
    assert bad.status_code == 422 and bad.json()["detail"] == "verdict filters one item: give item as well"
    assert client.get("/v1/scorecards?item=never_say&verdict=maybe", headers=world.admin_a.auth).status_code == 422


def test_summary_carries_every_items_verdict(client: TestClient, world: World) -> None:
    c = seed_month(client, world)
    items = client.get(f"/v1/scorecards?rep={world.a2.id}", headers=world.m2.auth).json()["items"]
    assert items == [{
        "call_id": c["a2_mar03"], "rep_id": world.a2.id, "team_id": world.team_a2,
        "occurred_at": "2026-03-03T10:00:00Z", "kind": "upload", "score": None, "machine_score": None,
        "verdicts": {"never_say": "fail", "next_step": "not_applicable"},
    }]


def test_cursor_pagination_walks_every_scorecard_once(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    made = [seed_scorecard(db, world.a1, at(f"2026-03-{d:02d}T09:00:00"), {"never_say": "pass"}) for d in range(1, 12)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=4" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/v1/scorecards?{query}", headers=world.a1.auth).json()
        seen += [s["call_id"] for s in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(made, reverse=True)
    bad = client.get("/v1/scorecards?cursor=not-a-cursor", headers=world.a1.auth)
    assert bad.status_code == 422 and bad.json()["detail"] == "cursor is not one this API returned"


def test_csv_export(client: TestClient, world: World) -> None:
    c = seed_month(client, world)
    response = client.get(f"/v1/scorecards?format=csv&team={world.team_a1}", headers=world.m1.auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(r["call_id"]) for r in rows] == [c["a1b_mar10"], c["a1_mar09"], c["a1_mar02"]]
    assert rows[0]["never_say"] == "pass" and rows[0]["next_step"] == "pass"
    assert rows[1]["never_say"] == "fail" and rows[1]["rep_id"] == str(world.a1.id)
    assert rows[2]["occurred_at"] == "2026-03-02T10:00:00+00:00"


def test_manager_override_keeps_machine_verdict_beside_it(client: TestClient, world: World) -> None:
    c = seed_month(client, world)
    call = c["a1_mar09"]
    url = f"/v1/calls/{call}/scorecard/items/never_say/override"
    response = client.put(url, headers=world.m1.auth, json={"verdict": "pass", "comment": "Quoting the customer, not a ban"})
    assert response.status_code == 200, response.text
    item = next(i for i in response.json()["items"] if i["id"] == "never_say")
    assert item["verdict"] == "pass" and item["machine_verdict"] == "fail"
    assert item["override"]["comment"] == "Quoting the customer, not a ban"
    assert item["override"]["by"] == world.m1.id
    # The rep sees the review; the machine scorecard itself is unchanged.
    card = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    assert next(i for i in card["items"] if i["id"] == "never_say")["override"]["verdict"] == "pass"
    assert next(i for i in card["scorecard"]["items"] if i["id"] == "never_say")["verdict"] == "fail"
    # Filters and exports follow the effective verdict.
    listed = ids(client.get("/v1/scorecards?item=never_say&verdict=fail", headers=world.m1.auth))
    assert call not in listed
    rendered = client.get(f"/v1/calls/{call}/scorecard?format=md", headers=world.m1.auth)
    assert rendered.headers["content-type"].startswith("text/markdown")
    assert "Quoting the customer, not a ban" in rendered.text
    html = client.get(f"/v1/calls/{call}/scorecard?format=html", headers=world.m1.auth)
    assert html.headers["content-type"].startswith("text/html") and "<table>" in html.text
    # Clearing the override restores the machine verdict.
    cleared = client.delete(url, headers=world.admin_a.auth).json()
    item = next(i for i in cleared["items"] if i["id"] == "never_say")
    assert item == {"id": "never_say", "verdict": "fail", "machine_verdict": "fail", "override": None}


def test_override_needs_a_comment_and_a_known_item(client: TestClient, world: World) -> None:
    call = seed_month(client, world)["a1_mar02"]
    empty = client.put(f"/v1/calls/{call}/scorecard/items/never_say/override", headers=world.m1.auth,
                       json={"verdict": "fail", "comment": ""})
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"] == ["body", "comment"]
    unknown = client.put(f"/v1/calls/{call}/scorecard/items/made_up/override", headers=world.m1.auth,
                         json={"verdict": "fail", "comment": "x"})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == f"item 'made_up' on the scorecard of call {call} not found"


def test_unknown_scorecard_format_is_422(client: TestClient, world: World) -> None:
    call = seed_month(client, world)["a1_mar02"]
    response = client.get(f"/v1/calls/{call}/scorecard?format=pdf", headers=world.a1.auth)
    assert response.status_code == 422




def test_rubrics_are_listed(client: TestClient, world: World) -> None:
    response = client.get("/v1/rubrics", headers=world.a1.auth)
    assert response.status_code == 200
    rubric, discovery = response.json()
    assert rubric["id"] == "expansion_call" and rubric["version"]
    assert {i["id"] for i in rubric["items"]} == ALL_ITEMS
    assert all(i["title"] for i in rubric["items"])
    from coach.resources import data_file
    from coach.rubric.schema import load_rubric

    bundled = load_rubric(data_file("rubrics", "first_call_discovery.yaml"))
    assert discovery["id"] == "first_call_discovery" and discovery["version"] == bundled.version
    assert "quantified_pain" in {i["id"] for i in discovery["items"]}
    # which calls each rubric scores (the call-type gate), and the LLM's questions
    assert discovery["call_types"] == ["new_logo"]
    assert set(rubric["call_types"]) == {"expansion", "unknown", "not_sales"}
    question = next(i for i in discovery["items"] if i["id"] == "reason_in_their_words")
    assert question["grader"] == "llm" and question["question"] == bundled.item("reason_in_their_words").question
    assert all(i["question"] is None for i in rubric["items"])
