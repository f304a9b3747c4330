"""The review loop in Chromium against the app under uvicorn: a rep disputes a verdict and the
manager decides it, the calibration page and its export, and the practice page."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import yaml
from playwright.sync_api import Page, expect

from api.db.models import Role
from api.store.admin import create_user
from tests.api.support import Person
from tests.web.conftest import LiveServer, shot
from tests.web.test_browser import api_upload, sign_in

pytestmark = pytest.mark.slow


def sign_in_at_home(page: Page, server: LiveServer, who: Person, landing: str) -> None:
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("API key").fill(who.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(landing) + "$"))


def _failed_item(server: LiveServer, who: Person, call_id: int) -> str:
    with server.api(who.key) as api:
        card = api.get(f"/v1/calls/{call_id}/scorecard").json()
    return next(i["id"] for i in card["items"] if i["verdict"] == "fail")


def test_a_rep_disputes_a_verdict_and_the_manager_accepts_it(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    world = live_server.world
    call_id = api_upload(live_server, world.a1, title="Disputed call")
    item = _failed_item(live_server, world.a1, call_id)

    rep = browser()
    sign_in(rep, live_server, world.a1, f"/calls/{call_id}")
    article = rep.locator(f"#item-{item}")
    article.get_by_text("Dispute this verdict").click()
    article.get_by_label("Pass").last.check()
    article.get_by_label("Why is the verdict wrong?").fill("The customer named the sponsor herself in turn 9.")
    shot(rep, "20-dispute-form")
    article.get_by_role("button", name="Send the dispute").click()
    expect(rep.get_by_role("status")).to_contain_text("is sent to your manager")
    expect(rep.locator(f"#item-{item} [data-dispute-status='open']")).to_contain_text("Waiting for Mia Manager's review")

    # the team's manager is its reviewer by default, and hands it to another manager of the team
    second = create_user(live_server.db, world.m1.org_id, "Meg Second", Role.manager, world.team_a1)
    manager = browser()
    sign_in_at_home(manager, live_server, world.m1, "/team")  # managers land on Team
    manager.get_by_role("link", name="Disputes", exact=True).click()
    row = manager.locator("tr[data-dispute]", has_text="Disputed call")
    expect(row).to_contain_text("Ann One")
    expect(row.locator("[data-reviewer]")).to_have_text("Mia Manager (you)")
    shot(manager, "21-dispute-queue")
    row.get_by_role("link", name=re.compile("^Review")).click()
    expect(manager.get_by_role("heading", name=re.compile("^Dispute:"))).to_be_visible()
    expect(manager.locator("dd[data-reviewer]")).to_contain_text("Mia Manager")
    manager.get_by_label("Reviewer").select_option(label="Meg Second")
    manager.get_by_label("Why (optional, kept in the history)").fill("Meg coaches Ann.")
    manager.get_by_role("button", name="Assign").click()
    expect(manager.locator("dd[data-reviewer]")).to_contain_text("Meg Second")
    expect(manager.get_by_role("button", name="Accept: change the verdict")).to_have_count(0)  # no longer Mia's to decide
    expect(manager.locator("[data-history]")).to_contain_text("Mia Manager assigned the dispute to Meg Second: Meg coaches Ann.")

    reviewer = browser()
    sign_in_at_home(reviewer, live_server, Person(id=second.id, key=second.api_key, org_id=second.org_id,
                                                  team_id=second.team_id, role=Role.manager), "/team")  # fmt: skip
    reviewer.goto(f"{live_server.url}/disputes")
    reviewer.get_by_role("link", name="Assigned to me").click()
    row = reviewer.locator("tr[data-dispute]", has_text="Disputed call")
    expect(row.locator("[data-reviewer]")).to_have_text("Meg Second (you)")
    row.get_by_role("link", name=re.compile("^Review")).click()
    reviewer.get_by_label("Comment for the rep").fill("Agreed: she is the sponsor.")
    reviewer.get_by_role("button", name="Accept: change the verdict").click()
    expect(reviewer.locator("[data-status]")).to_have_text("accepted")
    history = reviewer.locator("[data-history] li")
    expect(history).to_have_count(4)  # opened, assigned (default), assigned (handed on), accepted
    expect(history.nth(0)).to_contain_text("Ann One disputed the verdict")
    expect(history.nth(1)).to_contain_text("the dispute went to Mia Manager (the team's manager, by default)")
    expect(history.nth(2)).to_contain_text("Mia Manager assigned the dispute to Meg Second")
    expect(history.nth(3)).to_contain_text("Meg Second accepted the dispute")
    shot(reviewer, "22-dispute-decided")

    # the rep sees the decision and the changed verdict; the score everyone sees changed, the machine's beside it
    rep.reload()
    expect(rep.locator(f"#item-{item} .badge").first).to_have_text(re.compile("Pass"))
    expect(rep.locator(f"#item-{item} [data-dispute-status='accepted']")).to_contain_text("Agreed: she is the sponsor.")
    expect(rep.locator("[data-machine-score]")).to_contain_text("the machine said")
    with live_server.api(world.a1.key) as api:
        card = api.get(f"/v1/calls/{call_id}/scorecard").json()
    assert card["score"] != card["machine_score"]
    expect(rep.locator("[data-score]")).to_contain_text(f"{int(card['score'] + 0.5)}/100")
    shot(rep, "23-dispute-accepted")


def test_the_calibration_page_shows_agreement_and_exports_labelled_calls(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    world = live_server.world
    call_id = api_upload(live_server, world.a1b, title="Calibration call")
    item = _failed_item(live_server, world.a1b, call_id)
    with live_server.api(world.m1.key) as api:
        assert api.put(f"/v1/calls/{call_id}/scorecard/items/{item}/override",
                       json={"verdict": "pass", "comment": "heard it"}).status_code == 200
        assert api.put(f"/v1/calls/{call_id}/scorecard/items/never_say/override",
                       json={"verdict": "pass", "comment": "clean"}).status_code == 200
        expected = api.get("/v1/calibration").json()

    page = browser()
    sign_in(page, live_server, world.m1, "/calibration")
    expect(page.locator("[data-overall]")).to_contain_text(
        f"{expected['reviewed']} reviewed items; {expected['agreed']} agreed with the machine")
    disagreed = page.locator(f"tr[data-item='{item}']")
    expect(disagreed.locator("td").nth(2)).to_have_text("0%")
    expect(page.locator("tr[data-item='never_say'] td").nth(2)).to_have_text("100%")
    shot(page, "24-calibration")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export reviewed calls (.zip)").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    labels = [n for n in archive.namelist() if n.endswith(".labels.yaml")]
    assert f"call-{call_id}-calibration-call.labels.yaml" in labels
    data = yaml.safe_load(archive.read(f"call-{call_id}-calibration-call.labels.yaml"))
    assert data["items"][item] == "pass"


def test_the_practice_page_and_team_kept_apart(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    world = live_server.world
    lines = ["Hi Nadia, I noticed your team is at 85% of its seats. What changed in how you work?",
             "Who owns onboarding today, and how long does it take?"]
    finished = []
    with live_server.api(world.a2.key) as api:
        for seed in (1, 2):
            session = api.post("/v1/roleplay/sessions", json={"scenario": "usage_threshold_upsell", "seed": seed}).json()
            for line in lines[:seed]:
                assert api.post(f"/v1/roleplay/sessions/{session['id']}/turns", json={"line": line}).status_code == 200
            card = api.post(f"/v1/roleplay/sessions/{session['id']}/finish")
            assert card.status_code == 200, card.text
            finished.append(card.json())
        practice = api.get(f"/v1/reps/{world.a2.id}/practice").json()
    assert practice["sessions"] == 2 and practice["scenarios"][0]["sessions"] == 2

    page = browser()
    sign_in(page, live_server, world.a2, "/calls")
    page.get_by_role("link", name="My practice").first.click()
    row = page.locator("tr[data-scenario='usage_threshold_upsell']")
    expect(row.locator("[data-sessions]")).to_have_text("2")
    scores = [c["score"] for c in finished]
    first = next((s for s in scores if s is not None), None)
    expect(row.locator("[data-first]")).to_have_text(str(int(first + 0.5)) if first is not None else "not scored")
    expect(row.locator("svg.spark")).to_have_count(1)
    shot(page, "25-practice")

    manager = browser()
    sign_in(manager, live_server, world.m2, "/team")
    expect(manager.locator("[data-kind='upload']")).to_contain_text("Real calls: 0 scored calls")
    manager.get_by_label("Calls").select_option("roleplay")
    manager.get_by_role("button", name="Show").click()
    expect(manager.locator("[data-kind='roleplay']")).to_contain_text("Practice (role-play): 2 scored calls")
    shot(manager, "26-team-practice")
