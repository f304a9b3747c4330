"""Scores that mean something over HTTP: a manager's override changes the score everyone
sees (re-weighted by the rubric), the machine's score stays beside it, advice and the
downloads follow the effective verdict; a null score is "not scored" in JSON, CSV and
roll-ups, never 0 and never in an average."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient

from coach.rubric.schema import load_rubric
from coach.scorecard import ItemResult, Verdict
from coach.scoring import score_items
from tests.api.support import World, at, seed_scorecard, upload, wait_for_status


def _expected(card: dict, changed: dict[str, str]) -> float | None:
    items = [ItemResult(id=i["id"], verdict=Verdict(changed.get(i["id"], i["verdict"]))) for i in card["items"]]
    return score_items(load_rubric(), items)


def test_an_override_changes_the_score_everyone_sees_and_keeps_the_machines(client: TestClient, world: World) -> None:
    call = upload(client, world.a1, title="Sample").json()["id"]
    wait_for_status(client, world.a1, call, {"scored"})
    before = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    machine = before["scorecard"]
    assert before["score"] == before["machine_score"] == machine["score"] is not None
    failed = next(i for i in machine["items"] if i["verdict"] == "fail")
    passed = next(i for i in machine["items"] if i["verdict"] == "pass")

    client.put(f"/v1/calls/{call}/scorecard/items/{failed['id']}/override", headers=world.m1.auth,
               json={"verdict": "pass", "comment": "named sponsor in turn 9"})
    after = client.put(f"/v1/calls/{call}/scorecard/items/{passed['id']}/override", headers=world.m1.auth,
                       json={"verdict": "fail", "comment": "that was a pitch"}).json()
    want = _expected(machine, {failed["id"]: "pass", passed["id"]: "fail"})
    assert after["score"] == want != machine["score"] and after["machine_score"] == machine["score"]

    # everyone reads the same number: the rep, the listing, the CSV, the roll-up average
    assert client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()["score"] == want
    listed = client.get("/v1/scorecards", headers=world.m1.auth).json()["items"]
    assert [(s["score"], s["machine_score"]) for s in listed] == [(want, machine["score"])]
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/scorecards?format=csv", headers=world.m1.auth).text)))
    assert (float(rows[0]["score"]), float(rows[0]["machine_score"])) == (want, machine["score"])
    assert rows[0][failed["id"]] == "pass" and rows[0]["kind"] == "upload"
    rollup = client.get(f"/v1/teams/{world.team_a1}/rollup", headers=world.m1.auth).json()
    assert rollup["average_score"] == round(want, 1)

    # the downloads draw the effective verdicts, with the rubric's advice for them, and name both scores
    markdown = client.get(f"/v1/calls/{call}/scorecard?format=md", headers=world.a1.auth).text
    rubric = load_rubric()
    assert rubric.item(failed["id"]).advice["pass"].split(".")[0] in markdown
    assert f"{round(want)}/100" in markdown
    assert f"the machine's score: {round(machine['score'])}/100" in markdown
    html = client.get(f"/v1/calls/{call}/scorecard?format=html", headers=world.a1.auth).text
    # the review is a section of the page's template, inside <main>, escaped by jinja
    review = html.split('<section class="manager-review">', 1)[1].split("</section>", 1)[0]
    assert "Score with the managers&#39; verdicts" in review and "</main>" in html.split(review, 1)[1]

    cleared = client.delete(f"/v1/calls/{call}/scorecard/items/{failed['id']}/override", headers=world.m1.auth).json()
    assert cleared["score"] == _expected(machine, {passed["id"]: "fail"})
    cleared = client.delete(f"/v1/calls/{call}/scorecard/items/{passed['id']}/override", headers=world.m1.auth).json()
    assert cleared["score"] == machine["score"]


def test_a_null_score_is_not_scored_everywhere(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    nothing = seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), {"never_say": "not_applicable", "ask_once": "not_applicable"})
    judged = seed_scorecard(db, world.a1, at("2026-03-03T10:00:00"), {"never_say": "pass", "ask_once": "fail"})
    with db.write() as session:
        from api.db.models import ScorecardRow

        row = session.query(ScorecardRow).filter(ScorecardRow.call_id == judged).one()
        row.score = row.machine_score = 60.0

    card = client.get(f"/v1/calls/{nothing}/scorecard", headers=world.a1.auth).json()
    assert card["score"] is None and card["machine_score"] is None and card["score_reason"]
    rows = {r["call_id"]: r for r in csv.DictReader(io.StringIO(client.get("/v1/scorecards?format=csv", headers=world.m1.auth).text))}
    assert rows[str(nothing)]["score"] == "" and rows[str(judged)]["score"] == "60.0"
    rollup = client.get(f"/v1/teams/{world.team_a1}/rollup", headers=world.m1.auth).json()
    assert (rollup["calls"], rollup["not_scored"], rollup["average_score"]) == (2, 1, 60.0)
    assert rollup["groups"][0]["not_scored"] == 1 and rollup["groups"][0]["average_score"] == 60.0
    progress = client.get(f"/v1/reps/{world.a1.id}/progress", headers=world.a1.auth).json()
    assert (progress["not_scored"], progress["average_score"]) == (1, 60.0)
    weeks = client.get(f"/v1/teams/{world.team_a1}/rollup?group_by=week", headers=world.m1.auth).json()["groups"]
    assert [(w["calls"], w["not_scored"], w["average_score"]) for w in weeks] == [(2, 1, 60.0)]


def test_the_rubric_advice_for_a_managers_fail_names_the_calls_own_signal(client: TestClient, world: World) -> None:
    # The sample call opens on its signal; a manager who fails the opening gets the rubric's advice
    # for it with the {trigger} slot filled from the stored scorecard's evidence, never the raw slot.
    call = upload(client, world.a1, title="Sample").json()["id"]
    wait_for_status(client, world.a1, call, {"scored"})
    machine = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()["scorecard"]
    assert next(i for i in machine["items"] if i["id"] == "signal_first_opening")["verdict"] == "pass"
    signal = machine["trigger_evidence"][0]["quote"].rstrip(".")
    client.put(f"/v1/calls/{call}/scorecard/items/signal_first_opening/override", headers=world.m1.auth,
               json={"verdict": "fail", "comment": "the product came first"})
    markdown = client.get(f"/v1/calls/{call}/scorecard?format=md", headers=world.a1.auth).text
    flat = " ".join(markdown.replace("\\", "").split())
    assert f'in their words: "{" ".join(signal.split())}". Lead with the signal' in flat
    assert "{trigger}" not in markdown
