"""Disputes and calibration over HTTP: a rep contests a verdict, the team's manager sees a
queue and accepts (an override) or rejects with a reason, every step is kept with who and
when; calibration counts agreement with the machine and exports the reviewed calls as a
labelled set that `coach eval` reads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from api.db.models import Role, ScorecardRow
from api.store.admin import create_team, create_user
from tests.api.support import ROOT, Person, World, at, seed_scorecard, upload, wait_for_status

VERDICTS = {"signal_first_opening": "fail", "never_say": "pass", "ask_once": "not_applicable"}


def _set_score(client: TestClient, call_id: int, score: float | None) -> None:
    with client.app.state.db.write() as session:  # type: ignore[attr-defined]
        row = session.query(ScorecardRow).filter(ScorecardRow.call_id == call_id).one()
        row.score = row.machine_score = score


def _dispute(client: TestClient, who: Person, call_id: int, item: str = "signal_first_opening", **body: object):  # type: ignore[no-untyped-def]
    return client.post(f"/v1/calls/{call_id}/scorecard/items/{item}/disputes", headers=who.auth,
                       json={"comment": "I opened with their seat count", **body})


def test_a_rep_disputes_and_the_manager_accepts_it_as_an_override(client: TestClient, world: World) -> None:
    call = seed_scorecard(client.app.state.db, world.a1, at("2026-03-02T10:00:00"), VERDICTS)  # type: ignore[attr-defined]
    opened = _dispute(client, world.a1, call, verdict="pass")
    assert opened.status_code == 201, opened.text
    dispute = opened.json()
    assert opened.headers["location"] == f"/v1/disputes/{dispute['id']}"
    assert (dispute["status"], dispute["machine_verdict"], dispute["disputed_verdict"], dispute["proposed_verdict"]) == (
        "open", "fail", "fail", "pass")
    assert [(e["action"], e["by"], e["by_name"], e["assignee_name"]) for e in dispute["events"]] == [
        ("opened", world.a1.id, "Ann One", None), ("assigned", world.a1.id, "Ann One", "Mia Manager")]
    assert (dispute["assigned_to"], dispute["assigned_to_name"]) == (world.m1.id, "Mia Manager")  # the team's manager

    again = _dispute(client, world.a1, call)
    assert again.status_code == 409 and "already has an open dispute" in again.json()["detail"]

    # the rep cannot resolve it; a manager of another team or organisation cannot see it
    assert client.post(f"/v1/disputes/{dispute['id']}/accept", headers=world.a1.auth, json={"comment": "me"}).status_code == 403
    for outsider in (world.m2, world.mb, world.admin_b, world.a1b):
        for path in (f"/v1/disputes/{dispute['id']}", ):
            assert client.get(path, headers=outsider.auth).status_code == 404
        answer = client.post(f"/v1/disputes/{dispute['id']}/accept", headers=outsider.auth, json={"comment": "x"})
        assert answer.status_code == 404 and answer.json()["detail"] == f"dispute {dispute['id']} not found"

    accepted = client.post(f"/v1/disputes/{dispute['id']}/accept", headers=world.m1.auth,
                           json={"comment": "Right: the seat figure opens the call."})
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["status"], body["resolution_verdict"], body["resolved_by"]) == ("accepted", "pass", world.m1.id)
    assert [(e["action"], e["by"], e["verdict"]) for e in body["events"]] == [
        ("opened", world.a1.id, "pass"), ("assigned", world.a1.id, None), ("accepted", world.m1.id, "pass")]
    assert all(e["at"] for e in body["events"])

    card = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    item = next(i for i in card["items"] if i["id"] == "signal_first_opening")
    assert (item["verdict"], item["machine_verdict"], item["override"]["by"]) == ("pass", "fail", world.m1.id)
    # the seeded machine card has no score; with the manager's verdict two items are judged and both pass
    assert card["machine_score"] is None and card["score"] == 100.0

    closed = client.post(f"/v1/disputes/{dispute['id']}/reject", headers=world.m1.auth, json={"reason": "late"})
    assert closed.status_code == 409


def test_rejecting_keeps_the_verdict_with_the_reason_and_who_may_dispute(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    call = seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), VERDICTS)
    assert _dispute(client, world.m1, call).status_code == 403  # the manager sees it but it is not theirs to dispute
    for outsider in (world.a1b, world.a2, world.m2, world.b1, world.admin_b):
        assert _dispute(client, outsider, call).status_code == 404
    assert _dispute(client, world.a1, call, item="no_such_item").status_code == 404
    assert _dispute(client, world.a1, call, verdict="fail").status_code == 422  # that is the verdict already
    assert client.post(f"/v1/calls/{call}/scorecard/items/never_say/disputes", headers=world.a1.auth,
                       json={"comment": ""}).status_code == 422

    dispute = _dispute(client, world.a1, call).json()
    no_verdict = client.post(f"/v1/disputes/{dispute['id']}/accept", headers=world.m1.auth, json={"comment": "ok"})
    assert no_verdict.status_code == 422 and "say which verdict" in no_verdict.json()["detail"]
    assert client.post(f"/v1/disputes/{dispute['id']}/reject", headers=world.m1.auth, json={"reason": ""}).status_code == 422
    rejected = client.post(f"/v1/disputes/{dispute['id']}/reject", headers=world.admin_a.auth,
                           json={"reason": "The product came first in turn 1."})
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert (body["status"], body["resolution_verdict"], body["resolution_reason"]) == (
        "rejected", "fail", "The product came first in turn 1.")
    assert [(e["action"], e["by"]) for e in body["events"]] == [
        ("opened", world.a1.id), ("assigned", world.a1.id), ("rejected", world.admin_a.id)]  # an admin may decide any
    card = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    assert next(i for i in card["items"] if i["id"] == "signal_first_opening")["override"] is None
    # a fresh dispute after the rejection is allowed (the earlier one is closed)
    assert _dispute(client, world.a1, call, comment="new evidence").status_code == 201


def test_a_dispute_goes_to_a_named_reviewer_who_can_be_changed(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    second = create_user(db, world.a1.org_id, "Meg Second", Role.manager, world.team_a1)
    call = seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), VERDICTS)
    dispute = _dispute(client, world.a1, call, verdict="pass").json()
    path = f"/v1/disputes/{dispute['id']}"
    assert dispute["assigned_to"] == world.m1.id  # the longest-standing manager of the team

    # who may hand it on, and to whom
    to_meg = {"reviewer_id": second.id, "comment": "Meg coaches Ann."}
    assert client.post(f"{path}/assign", headers=world.a1.auth, json=to_meg).status_code == 403  # the rep
    for outsider in (world.m2, world.mb, world.admin_b):
        assert client.post(f"{path}/assign", headers=outsider.auth, json=to_meg).status_code == 404
    for bad in (world.m2.id, world.a1b.id, world.admin_a.id, world.m1.id, 10_000):
        answer = client.post(f"{path}/assign", headers=world.m1.auth, json={"reviewer_id": bad})
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["errors"][0]["loc"] == ["body", "reviewer_id"]
    handed = client.post(f"{path}/assign", headers=world.m1.auth, json=to_meg)
    assert handed.status_code == 200, handed.text
    body = handed.json()
    assert (body["assigned_to"], body["assigned_to_name"]) == (second.id, "Meg Second")
    assert [(e["action"], e["by"], e["assignee"], e["comment"]) for e in body["events"]][1:] == [
        ("assigned", world.a1.id, world.m1.id, "the team's manager, by default"),
        ("assigned", world.m1.id, second.id, "Meg coaches Ann.")]

    # only the assigned reviewer (or an admin) decides; the queue shows who it is with
    refused = client.post(f"{path}/accept", headers=world.m1.auth, json={"comment": "ok"})
    assert refused.status_code == 403 and "assigned to Meg Second" in refused.json()["detail"]
    queue = client.get("/v1/disputes", headers=world.m1.auth).json()["items"]
    assert [(d["id"], d["assigned_to_name"]) for d in queue] == [(dispute["id"], "Meg Second")]
    assert client.get("/v1/disputes", headers=world.m1.auth, params={"reviewer": world.m1.id}).json()["items"] == []
    mine = client.get("/v1/disputes", headers={"Authorization": f"Bearer {second.api_key}"},
                      params={"reviewer": second.id}).json()["items"]
    assert [d["id"] for d in mine] == [dispute["id"]]
    # an admin hands it back; the manager then decides, with a reason
    back = client.post(f"{path}/assign", headers=world.admin_a.auth, json={"reviewer_id": world.m1.id})
    assert back.status_code == 200 and back.json()["events"][-1]["by"] == world.admin_a.id
    rejected = client.post(f"{path}/reject", headers=world.m1.auth, json={"reason": "The product came first."})
    assert rejected.status_code == 200, rejected.text
    steps = [(e["action"], e["by"], e["assignee"], e["comment"]) for e in rejected.json()["events"]]
    assert steps == [
        ("opened", world.a1.id, None, "I opened with their seat count"),
        ("assigned", world.a1.id, world.m1.id, "the team's manager, by default"),
        ("assigned", world.m1.id, second.id, "Meg coaches Ann."),
        ("assigned", world.admin_a.id, world.m1.id, ""),
        ("rejected", world.m1.id, None, "The product came first."),
    ]
    assert all(e["at"] for e in rejected.json()["events"])
    closed = client.post(f"{path}/assign", headers=world.m1.auth, json=to_meg)
    assert closed.status_code == 409


def test_a_team_without_a_manager_leaves_the_dispute_to_an_admin(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    team = create_team(db, world.a1.org_id, "No manager yet")
    rep = create_user(db, world.a1.org_id, "Nia Rep", Role.rep, team)
    person = Person(id=rep.id, key=rep.api_key, org_id=world.a1.org_id, team_id=team, role=Role.rep)
    call = seed_scorecard(db, person, at("2026-03-02T10:00:00"), VERDICTS)
    dispute = _dispute(client, person, call, verdict="pass").json()
    assert dispute["assigned_to"] is None and [e["action"] for e in dispute["events"]] == ["opened"]
    assert client.post(f"/v1/disputes/{dispute['id']}/assign", headers=world.admin_a.auth,
                       json={"reviewer_id": world.m1.id}).status_code == 422  # m1 manages another team
    accepted = client.post(f"/v1/disputes/{dispute['id']}/accept", headers=world.admin_a.auth, json={"comment": "Yes."})
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_the_queue_puts_open_and_below_threshold_first_and_follows_access(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    high = seed_scorecard(db, world.a1, at("2026-03-02T10:00:00"), VERDICTS)
    low = seed_scorecard(db, world.a1b, at("2026-03-03T10:00:00"), VERDICTS)
    unscored = seed_scorecard(db, world.a1, at("2026-03-04T10:00:00"), VERDICTS)
    resolved = seed_scorecard(db, world.a1, at("2026-03-05T10:00:00"), VERDICTS)
    other_team = seed_scorecard(db, world.a2, at("2026-03-05T10:00:00"), VERDICTS)
    _set_score(client, high, 90.0)
    _set_score(client, low, 40.0)
    _set_score(client, resolved, 10.0)
    order = {}
    for call, who in ((resolved, world.a1), (high, world.a1), (unscored, world.a1), (low, world.a1b), (other_team, world.a2)):
        order[call] = _dispute(client, who, call).json()["id"]
    client.post(f"/v1/disputes/{order[resolved]}/reject", headers=world.m1.auth, json={"reason": "stands"})

    queue = client.get("/v1/disputes", headers=world.m1.auth).json()["items"]
    assert [d["call_id"] for d in queue] == [low, high, unscored, resolved]
    assert [d["below_threshold"] for d in queue] == [True, False, False, True]
    assert queue[2]["call_score"] is None
    pages, cursor = [], None
    while True:
        page = client.get("/v1/disputes", headers=world.m1.auth, params={"limit": 1, **({"cursor": cursor} if cursor else {})}).json()
        pages += [d["call_id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == [low, high, unscored, resolved]
    assert [d["call_id"] for d in client.get("/v1/disputes", headers=world.m1.auth, params={"threshold": 95}).json()["items"]] == [
        high, low, unscored, resolved]  # both under 95: oldest dispute first
    assert [d["call_id"] for d in client.get("/v1/disputes?status=open", headers=world.m1.auth).json()["items"]] == [low, high, unscored]
    assert [d["call_id"] for d in client.get("/v1/disputes", headers=world.a1b.auth).json()["items"]] == [low]
    assert [d["call_id"] for d in client.get("/v1/disputes", headers=world.m2.auth).json()["items"]] == [other_team]
    assert client.get("/v1/disputes", headers=world.mb.auth).json()["items"] == []
    assert len(client.get("/v1/disputes", headers=world.admin_a.auth).json()["items"]) == 5


def test_calibration_counts_standing_judgements_and_exports_a_set_coach_eval_reads(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    created = upload(client, world.a1, title="Sample call")
    call = created.json()["id"]
    wait_for_status(client, world.a1, call, {"scored"})
    card = client.get(f"/v1/calls/{call}/scorecard", headers=world.a1.auth).json()
    machine = {i["id"]: i["machine_verdict"] for i in card["items"]}
    assert machine["exec_sponsor"] == "fail" and machine["never_say"] == "pass"

    # 1. the manager confirms never_say (agrees), 2. a dispute on exec_sponsor is accepted (disagrees),
    # 3. a dispute on discovery_questions is rejected (agrees), 4. an override made then cleared does not count
    put = client.put(f"/v1/calls/{call}/scorecard/items/never_say/override", headers=world.m1.auth,
                     json={"verdict": "pass", "comment": "checked: clean"})
    assert put.status_code == 200
    sponsor = _dispute(client, world.a1, call, item="exec_sponsor", verdict="pass", comment="Dana signs; turn 9").json()
    client.post(f"/v1/disputes/{sponsor['id']}/accept", headers=world.m1.auth, json={"comment": "Dana is the sponsor"})
    disc = _dispute(client, world.a1, call, item="discovery_questions", verdict="fail", comment="I skipped one").json()
    client.post(f"/v1/disputes/{disc['id']}/reject", headers=world.m1.auth, json={"reason": "all three were asked"})
    client.put(f"/v1/calls/{call}/scorecard/items/next_step/override", headers=world.m1.auth,
               json={"verdict": "fail", "comment": "oops"})
    client.delete(f"/v1/calls/{call}/scorecard/items/next_step/override", headers=world.m1.auth)

    report = client.get("/v1/calibration", headers=world.m1.auth).json()
    by_item = {i["id"]: i for i in report["items"]}
    assert (report["reviewed"], report["agreed"], report["agreement"]) == (3, 2, round(2 / 3, 4))
    assert (by_item["never_say"]["agreed"], by_item["never_say"]["overrides"]) == (1, 1)
    assert (by_item["exec_sponsor"]["reviewed"], by_item["exec_sponsor"]["agreed"], by_item["exec_sponsor"]["disputes_accepted"]) == (1, 0, 1)
    assert (by_item["discovery_questions"]["agreement"], by_item["discovery_questions"]["disputes_rejected"]) == (1.0, 1)
    assert by_item["next_step"]["reviewed"] == 0 and by_item["next_step"]["agreement"] is None
    assert [w["reviewed"] for w in by_item["exec_sponsor"]["weeks"]] == [1]
    # another team's manager and another organisation see none of it; practice is apart
    assert client.get("/v1/calibration", headers=world.m2.auth).json()["reviewed"] == 0
    assert client.get("/v1/calibration", headers=world.admin_b.auth).json()["reviewed"] == 0
    assert client.get("/v1/calibration?kind=roleplay", headers=world.m1.auth).json()["reviewed"] == 0

    export = client.get("/v1/calibration/export", headers=world.m1.auth)
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    folder = tmp_path / "reviewed"
    zipfile.ZipFile(io.BytesIO(export.content)).extractall(folder)
    labels_files = sorted(folder.glob("*.labels.yaml"))
    assert [p.name for p in labels_files] == [f"call-{call}-sample-call.labels.yaml"]
    assert (folder / f"call-{call}-sample-call.txt").read_bytes() == (ROOT / "fixtures/sample/expansion_call.txt").read_bytes()
    labels = yaml.safe_load(labels_files[0].read_text())
    assert labels["items"]["exec_sponsor"] == "pass" and labels["items"]["next_step"] == machine["next_step"]
    assert "Mia Manager" in labels["notes"]

    env = {**os.environ, "PYTHONPATH": str(ROOT), "COACH_LLM_ENABLED": "false"}
    ran = subprocess.run([sys.executable, "-m", "coach", "eval", str(folder), "--json"], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=300)
    assert ran.returncode == 0, ran.stderr
    evaluated = json.loads(ran.stdout)
    assert evaluated["calls"] == 1 and evaluated["errors"] == []
    # the one disagreement is the one the manager made: the machine still says fail
    assert [(m["field"], m["expected"], m["got"]) for m in evaluated["mismatches"]] == [("items.exec_sponsor", "pass", "fail")]
