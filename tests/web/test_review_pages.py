"""The review loop in pages, in process: landing, disputes from the scorecard to the
manager's decision, the calibration page and export, practice kept apart with its own page."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from fastapi.testclient import TestClient

from api.db.models import Call, Role, ScorecardItemRow, ScorecardRow
from api.store.admin import create_user
from tests.api.support import Person, World, at, seed_scorecard
from tests.web.support import csrf


def _as(client: TestClient, who: Person) -> None:
    client.cookies.clear()
    answer = client.post("/sign-in", data={"csrf_token": csrf(client), "api_key": who.key, "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def _practice(db, rep: Person, when: dt.datetime, scenario: str, score: float | None) -> int:  # type: ignore[no-untyped-def]
    call_id = seed_scorecard(db, rep, when, {"never_say": "pass" if score else "not_applicable"})
    with db.write() as session:
        call = session.get(Call, call_id)
        call.kind, call.meta, call.title = "roleplay", {"scenario": scenario}, "Role-play: x"
        for table in (ScorecardRow, ScorecardItemRow):
            for row in session.query(table).filter(table.call_id == call_id):
                row.kind = "roleplay"
        row = session.query(ScorecardRow).filter(ScorecardRow.call_id == call_id).one()
        row.score = row.machine_score = score
    return call_id


def test_managers_land_on_team_and_reps_on_my_calls(web_client: TestClient, web_world: World) -> None:
    for who, landing in ((web_world.m1, "/team"), (web_world.admin_a, "/team"), (web_world.a1, "/calls")):
        _as(web_client, who)
        assert web_client.get("/", follow_redirects=False).headers["location"] == landing, who.role
    web_client.cookies.clear()
    assert web_client.get("/", follow_redirects=False).headers["location"] == "/sign-in"


def test_a_dispute_goes_from_the_scorecard_to_the_managers_decision(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    call = seed_scorecard(db, web_world.a1, at("2026-03-02T10:00:00"), {"never_say": "fail", "next_step": "pass"})
    _as(web_client, web_world.a1)
    page = web_client.get(f"/calls/{call}")
    assert "Dispute this verdict" in page.text
    empty = web_client.post(f"/calls/{call}/items/never_say/dispute", data={"csrf_token": csrf(web_client, f"/calls/{call}"), "comment": ""})
    assert empty.status_code == 422 and "Say why the verdict is wrong." in empty.text
    sent = web_client.post(f"/calls/{call}/items/never_say/dispute", follow_redirects=False, data={
        "csrf_token": csrf(web_client, f"/calls/{call}"), "comment": "That was the customer's phrase", "verdict": "pass"})
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/calls/{call}?disputed=never_say")
    shown = web_client.get(sent.headers["location"])
    assert "Your dispute of" in shown.text and "Waiting for Mia Manager&#39;s review" in shown.text
    assert 'data-dispute-status="open"' in shown.text
    queue = web_client.get("/disputes")
    assert queue.status_code == 200 and "That was the customer" not in queue.text and "Ann One" in queue.text

    # another team's manager cannot see it; the team's manager decides
    _as(web_client, web_world.m2)
    assert "Ann One" not in web_client.get("/disputes").text
    dispute_id = 1
    assert web_client.get(f"/disputes/{dispute_id}").status_code == 404
    _as(web_client, web_world.m1)
    queue = web_client.get("/disputes")
    found = re.search(r'<tr data-dispute="(\d+)"', queue.text)
    assert found and "Ann One" in queue.text
    dispute_id = int(found.group(1))
    detail = web_client.get(f"/disputes/{dispute_id}")
    assert "Your decision" in detail.text and "disputed the verdict" in detail.text
    token = csrf(web_client, f"/disputes/{dispute_id}")
    no_comment = web_client.post(f"/disputes/{dispute_id}/resolve", data={"csrf_token": token, "action": "accept", "comment": ""})
    assert no_comment.status_code == 422 and "Write a comment for the rep" in no_comment.text
    done = web_client.post(f"/disputes/{dispute_id}/resolve", follow_redirects=False,
                           data={"csrf_token": token, "action": "accept", "verdict": "pass", "comment": "Agreed, quoted"})
    assert done.status_code == 303
    after = web_client.get(f"/disputes/{dispute_id}")
    assert "accepted the dispute" in after.text and "Your decision" not in after.text

    # the rep reads the decision beside the item, and the verdict everyone sees changed
    _as(web_client, web_world.a1)
    card = web_client.get(f"/calls/{call}")
    assert 'data-dispute-status="accepted"' in card.text and "Agreed, quoted" in card.text
    assert "Manager&#39;s verdict: Pass" in card.text or "Manager's verdict: Pass" in card.text
    assert "data-machine-score" in card.text and "100/100" in card.text


def test_the_reviewer_is_named_and_can_be_handed_on(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    second = create_user(db, web_world.m1.org_id, "Meg Second", Role.manager, web_world.team_a1)
    meg = Person(id=second.id, key=second.api_key, org_id=second.org_id, team_id=second.team_id, role=Role.manager)
    call = seed_scorecard(db, web_world.a1, at("2026-03-02T10:00:00"), {"never_say": "fail"})
    _as(web_client, web_world.a1)
    web_client.post(f"/calls/{call}/items/never_say/dispute",
                    data={"csrf_token": csrf(web_client, f"/calls/{call}"), "comment": "Her words", "verdict": "pass"})
    dispute_id = web_client.get("/v1/disputes", headers=web_world.a1.auth).json()["items"][0]["id"]
    page = web_client.get(f"/disputes/{dispute_id}").text
    assert 'data-reviewer>Mia Manager' in page and "Hand it to another manager" not in page  # the rep reads, never assigns

    _as(web_client, web_world.m1)
    mine = web_client.get("/disputes?mine=true").text
    assert f'data-dispute="{dispute_id}"' in mine and "Mia Manager (you)" in mine
    page = web_client.get(f"/disputes/{dispute_id}").text
    assert "Hand it to another manager" in page and '<option value="%d">Meg Second</option>' % meg.id in page
    assert "Your decision" in page
    token = csrf(web_client, f"/disputes/{dispute_id}")
    empty = web_client.post(f"/disputes/{dispute_id}/assign", data={"csrf_token": token, "reviewer": ""})
    assert empty.status_code == 422 and "Choose the manager to hand it to." in empty.text
    assert web_client.post(f"/disputes/{dispute_id}/assign", data={"csrf_token": "forged", "reviewer": str(meg.id)},
                           follow_redirects=False).status_code == 403
    handed = web_client.post(f"/disputes/{dispute_id}/assign", follow_redirects=False,
                             data={"csrf_token": token, "reviewer": str(meg.id), "assign_comment": "Meg coaches Ann"})
    assert handed.status_code == 303
    page = web_client.get(f"/disputes/{dispute_id}").text
    assert "assigned the dispute to <strong>Meg Second</strong>: Meg coaches Ann" in page
    assert "Your decision" not in page  # Mia no longer decides it
    assert f'data-dispute="{dispute_id}"' not in web_client.get("/disputes?mine=true").text

    _as(web_client, web_world.m2)  # another team's manager neither sees nor hands it on
    token = csrf(web_client, "/disputes")
    assert web_client.post(f"/disputes/{dispute_id}/assign", data={"csrf_token": token, "reviewer": str(meg.id)}).status_code == 404

    _as(web_client, meg)
    mine = web_client.get("/disputes?mine=true").text
    assert "Meg Second (you)" in mine
    token = csrf(web_client, f"/disputes/{dispute_id}")
    done = web_client.post(f"/disputes/{dispute_id}/resolve", follow_redirects=False,
                           data={"csrf_token": token, "action": "reject", "comment": "It was the rep's phrase."})
    assert done.status_code == 303
    page = web_client.get(f"/disputes/{dispute_id}").text
    history = [(who, what.strip()) for who, what in
               re.findall(r"<li><time[^>]*>[^<]*</time> · <strong>([^<]*)</strong> ([a-z ]+)", page)]  # fmt: skip
    assert history == [("Ann One", "disputed the verdict"), ("Mia Manager", "assigned the dispute to"),
                       ("Meg Second", "rejected the dispute")]
    assert "the dispute went to <strong>Mia Manager</strong> (the team&#39;s manager, by default)" in page


def test_the_calibration_page_counts_agreement_and_exports(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    call = seed_scorecard(db, web_world.a1, at("2026-03-02T10:00:00"), {"never_say": "fail", "next_step": "pass"})
    with db.write() as session:  # the export needs a transcript and a seller
        from api.db.models import CallBlob

        session.get(CallBlob, call).raw = b"Priya Shah: Hello there.\nTom Reed: Hi.\n"
        session.get(Call, call).sellers = ["Priya Shah"]
    _as(web_client, web_world.a1)
    assert web_client.get("/calibration").status_code == 404
    _as(web_client, web_world.m1)
    token = csrf(web_client, f"/calls/{call}")
    for item, verdict in (("never_say", "pass"), ("next_step", "pass")):
        web_client.post(f"/calls/{call}/items/{item}/override", data={"csrf_token": token, "verdict": verdict, "comment": "checked"})
    page = web_client.get("/calibration")
    assert page.status_code == 200
    assert "2 reviewed items; 1 agreed with the machine (50%)" in page.text
    row = re.search(r'<tr data-item="never_say">(.*?)</tr>', page.text, re.S)
    assert row and "<td>1</td>\n    <td>0</td>" in row.group(1)
    export = web_client.get("/calibration/export.zip")
    assert export.status_code == 200 and export.headers["content-type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert sorted(names) == ["README.md", f"call-{call}-seed.labels.yaml", f"call-{call}-seed.txt"]
    # No practice call was reviewed: every bundled rubric's item is listed as not reviewed.
    from api.store.rubrics import item_titles

    assert web_client.get("/calibration?kind=roleplay").text.count("not reviewed") == len(item_titles())


def test_practice_is_kept_apart_and_has_its_own_page(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    seed_scorecard(db, web_world.a1, at("2026-03-02T10:00:00"), {"never_say": "pass"})
    for day, score in (("03", 40.0), ("04", 85.0), ("05", 70.0)):
        _practice(db, web_world.a1, at(f"2026-03-{day}T10:00:00"), "renewal_window", score)
    _practice(db, web_world.a1, at("2026-03-06T10:00:00"), "usage_threshold_upsell", None)

    _as(web_client, web_world.m1)
    team = web_client.get("/team?start=2026-03-01&end=2026-03-31")
    assert "Real calls: 1 scored call from" in team.text
    practice_team = web_client.get("/team?start=2026-03-01&end=2026-03-31&kind=roleplay")
    assert "Practice (role-play): 4 scored calls from" in practice_team.text and "1 of them not scored" in practice_team.text
    csv_rows = web_client.get(f"/team/export.csv?team={web_world.team_a1}&start=2026-03-01&end=2026-03-31").text.strip().splitlines()
    assert len(csv_rows) == 2
    every = web_client.get(f"/team/export.csv?team={web_world.team_a1}&start=2026-03-01&end=2026-03-31&kind=all").text
    assert len(every.strip().splitlines()) == 6

    page = web_client.get(f"/practice?rep={web_world.a1.id}")
    assert page.status_code == 200 and "Practice: Ann One" in page.text
    row = re.search(r'<tr data-scenario="renewal_window">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    assert '<td data-sessions>3</td>' in row.group(1) and '<td data-first>40</td>' in row.group(1)
    assert '<td data-best>85</td>' in row.group(1)
    assert re.findall(r'>(\d+)<span class="visually-hidden"> on', row.group(1)) == ["40", "85", "70"]  # the trend, in order
    unscored = re.search(r'<tr data-scenario="usage_threshold_upsell">(.*?)</tr>', page.text, re.S)
    assert unscored and "<td data-first>not scored</td>" in unscored.group(1)
    # out of reach: another team's manager, another organisation
    _as(web_client, web_world.m2)
    assert web_client.get(f"/practice?rep={web_world.a1.id}").status_code == 404
    _as(web_client, web_world.a1)
    assert "Practice</h1>" in web_client.get("/practice").text
    # the rep's own history lists practice too, marked, with its score; a null score reads "not scored"
    mine = web_client.get("/calls").text
    assert mine.count("(roleplay)") == 4 and "<td>85</td>" in mine and "<td>not scored</td>" in mine
    assert web_client.get(f"/practice?rep={web_world.a1b.id}").status_code == 404
