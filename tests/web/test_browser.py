"""End to end in Chromium against the app under uvicorn: what a rep and a manager do."""

from __future__ import annotations

import re
import time

import pytest
import yaml
from playwright.sync_api import Page, expect

from tests.api.support import ROOT, SAMPLE, SAMPLE_SELLERS, Person, at, seed_scorecard
from tests.web.conftest import LiveServer, shot

pytestmark = pytest.mark.slow

SAMPLE_PATH = ROOT / "fixtures/sample/expansion_call.txt"
# A labelled call that fails nearly every item: the failures on the page are not a matter of tuning.
LABELLED = ROOT / "fixtures/labelled/02_plain_ts_fieldwise_pro_tier_all_fail.txt"


def sign_in(page: Page, server: LiveServer, who: Person, next_path: str = "/calls") -> None:
    page.goto(f"{server.url}{next_path}")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_label("API key").fill(who.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def api_upload(server: LiveServer, who: Person, **fields: str) -> int:
    """An upload through the JSON API, scored before returning."""
    with server.api(who.key) as api:
        created = api.post(
            "/v1/calls", files={"file": ("call.txt", SAMPLE)}, data={"sellers": ",".join(SAMPLE_SELLERS), **fields}
        )
        assert created.status_code == 201, created.text
        call_id = created.json()["id"]
        end = time.monotonic() + 30
        while api.get(f"/v1/calls/{call_id}").json()["status"] != "scored":
            assert time.monotonic() < end, "scoring did not finish"
            time.sleep(0.05)
    return int(call_id)


def test_rep_uploads_a_call_and_reads_the_failed_item_with_its_quote(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    labels = yaml.safe_load(LABELLED.with_suffix(".labels.yaml").read_text())
    page = browser()
    page.goto(f"{live_server.url}/sign-in")
    shot(page, "01-sign-in")
    sign_in(page, live_server, live_server.world.a1, "/upload")
    shot(page, "02-upload")

    page.get_by_label("Drop a transcript here").set_input_files(str(LABELLED))
    expect(page.locator("[data-file-name]")).to_contain_text(LABELLED.name)
    page.get_by_label("Title").fill("Fieldwise upsell")
    page.get_by_label("Let me check who the seller is before scoring").check()
    page.get_by_role("button", name="Upload and score").click()

    # The seller check: the rep ticks who is on the vendor side.
    expect(page.get_by_role("heading", name="Who is on the seller side?")).to_be_visible()
    speakers = page.locator("fieldset.speakers input[type=checkbox]")
    expect(speakers).to_have_count(2)
    for n in range(speakers.count()):
        box = speakers.nth(n)
        box.set_checked(box.get_attribute("value") in labels["sellers"])
    shot(page, "03-confirm-sellers")
    page.get_by_role("button", name="Confirm and score").click()

    # The pending page polls the job and opens the scorecard when it is scored.
    expect(page.get_by_role("heading", name="Scorecard: Fieldwise upsell")).to_be_visible()
    call_id = int(re.search(r"/calls/(\d+)$", page.url).group(1))  # type: ignore[union-attr]
    with live_server.api(live_server.world.a1.key) as api:
        card = api.get(f"/v1/calls/{call_id}/scorecard").json()["scorecard"]
    assert [s["name"] for s in card["call"]["speakers"] if s["role"] == "seller"] == labels["sellers"]
    failures = [item for item in card["items"] if item["verdict"] == "fail"]
    assert failures, "the all-fail labelled call should fail at least one item"
    for item in failures:
        article = page.locator(f"#item-{item['id']}")
        expect(article).to_have_class(re.compile(r"\bv-fail\b"))
        expect(article.locator(".badge").first).to_have_text(re.compile("Fail"))
        expect(article.locator(".evidence q").first).to_have_text(item["evidence"][0]["quote"])
        if item["advice"]:
            expect(article.locator(".advice")).to_contain_text(item["advice"][:40])
    # No review form for a rep.
    expect(page.get_by_text("Review this verdict")).to_have_count(0)
    shot(page, "04-scorecard")

    # The evidence link goes to the moment in the call.
    first = failures[0]
    link = page.locator(f"#item-{first['id']} .evidence a").first
    target = link.get_attribute("href")
    assert target == f"#turn-{first['evidence'][0]['turn']}"
    link.click()
    expect(page).to_have_url(re.compile(re.escape(target) + "$"))
    expect(page.locator(target)).to_be_in_viewport()
    expect(page.locator(target).locator("mark").first).to_be_visible()

    # Metrics are drawn as charts, each with its numbers in words.
    expect(page.locator("figure.chart", has_text="Talk ratio").locator("svg")).to_have_count(1)
    asked = card["metrics"]["questions"]["seller"]
    expect(page.locator("figure.chart", has_text="Questions asked")).to_contain_text(f"Seller side asked {asked}")

    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    shot(page, "05-scorecard-print")
    page.emulate_media(media="screen")

    page.get_by_role("link", name="My calls").click()
    expect(page.get_by_role("link", name="Fieldwise upsell")).to_be_visible()
    expect(page.locator(f".trend[data-item='{first['id']}']")).to_contain_text("0 passed, 1 failed")
    shot(page, "06-my-calls")


def test_scorecard_reads_at_phone_width(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    call_id = api_upload(live_server, live_server.world.a1, title="Phone check")
    page = browser(390, 844)
    sign_in(page, live_server, live_server.world.a1, f"/calls/{call_id}")
    expect(page.get_by_role("heading", name="Scorecard: Phone check")).to_be_visible()
    # Nothing wider than the screen: the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "07-scorecard-phone")
    page.get_by_role("link", name="Upload").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "08-upload-phone")


def test_a_rep_cannot_open_another_reps_scorecard(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    world = live_server.world
    theirs = api_upload(live_server, world.a1b)  # same team, another rep
    other_team = api_upload(live_server, world.a2)
    page = browser()
    sign_in(page, live_server, world.a1)
    for call_id in (theirs, other_team):
        response = page.goto(f"{live_server.url}/calls/{call_id}")
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", name=re.compile("does not exist, or it is not yours"))).to_be_visible()
        for path in (f"/calls/{call_id}/status", f"/calls/{call_id}/scorecard.html"):
            assert page.request.get(f"{live_server.url}{path}").status == 404
    shot(page, "09-not-yours-404")
    # ...while its own owner opens it.
    owner = browser()
    sign_in(owner, live_server, world.a1b, f"/calls/{theirs}")
    expect(owner.get_by_role("heading", name=re.compile("^Scorecard"))).to_be_visible()
    # A rep has no team page.
    assert page.goto(f"{live_server.url}/team").status == 404


def test_manager_sees_the_team_heatmap_drills_down_and_overrides(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    world = live_server.world
    day = at("2026-01-14")
    seed_scorecard(live_server.db, world.a1, day, {"next_step": "pass", "exec_sponsor": "fail"})
    seed_scorecard(live_server.db, world.a1, day, {"next_step": "fail", "exec_sponsor": "fail"})
    seed_scorecard(live_server.db, world.a1b, at("2026-01-21"), {"next_step": "pass", "exec_sponsor": "pass"})
    seed_scorecard(live_server.db, world.a2, day, {"next_step": "fail"})  # another team: never shown

    page = browser()
    sign_in(page, live_server, world.m1, "/team?start=2026-01-01&end=2026-01-31")
    heatmap = page.locator("table[data-heatmap]")
    expect(heatmap).to_be_visible()
    headers = heatmap.locator("thead th")
    expect(headers).to_contain_text(["Item", "Abe One", "Ann One", "Team"])
    expect(heatmap).not_to_contain_text("Ali Two")
    row = heatmap.locator("tbody tr", has_text="Concrete next step")
    # Abe 1/1 passed, Ann 1 of 2, the team 2 of 3.
    expect(row.locator("td")).to_have_text([re.compile(r"100%\s*1/1"), re.compile(r"50%\s*1/2"), re.compile(r"67%\s*2/3")])
    expect(row.locator("td").nth(1)).to_have_class(re.compile("rate-2"))
    expect(page.locator(".trend", has_text="Executive sponsor mapped")).to_contain_text("33%")
    shot(page, "10-team-heatmap")
    # At phone width the heatmap scrolls inside its own region; the page does not.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "10b-team-heatmap-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # CSV export, with the session cookie.
    csv = page.request.get(f"{live_server.url}" + page.get_by_role("link", name="Export CSV").get_attribute("href"))
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text().strip().splitlines()
    assert lines[0].startswith("call_id,rep_id,team_id,occurred_at,kind,score,machine_score")
    assert len(lines) == 1 + 3

    # Drill down: Ann's failures on the next step.
    row.locator("td").nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", name=re.compile("Ann One"))).to_be_visible()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    shot(page, "11-team-drilldown")

    # Review a real call's verdict from its scorecard: the first item the machine failed.
    call_id = api_upload(live_server, world.a1, title="Review me")
    with live_server.api(world.m1.key) as api:
        machine = api.get(f"/v1/calls/{call_id}/scorecard").json()
    failed = next(i["id"] for i in machine["items"] if i["machine_verdict"] == "fail")
    page.goto(f"{live_server.url}/calls/{call_id}")
    item = page.locator(f"#item-{failed}")
    expect(item.locator(".badge").first).to_have_text(re.compile("Fail"))
    item.get_by_text("Review this verdict").click()
    item.get_by_role("button", name="Save verdict").click()  # no comment yet: the browser asks for one
    expect(item.get_by_label("Comment for the rep")).to_have_js_property("validity.valid", False)
    item.get_by_label("Pass").check()
    item.get_by_label("Comment for the rep").fill("The CFO was named at 0:55; that counts.")
    item.get_by_role("button", name="Save verdict").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    item = page.locator(f"#item-{failed}")
    expect(item.locator(".badge").first).to_have_text(re.compile("Pass"))
    expect(item.locator(".override-note")).to_contain_text("Manager's verdict: Pass")
    expect(item.locator(".override-note")).to_contain_text("the machine said fail")
    shot(page, "12-scorecard-override")
    with live_server.api(world.m1.key) as api:
        card = api.get(f"/v1/calls/{call_id}/scorecard").json()
    reviewed = next(i for i in card["items"] if i["id"] == failed)
    assert reviewed["verdict"] == "pass" and reviewed["machine_verdict"] == "fail"
    assert reviewed["override"]["comment"].startswith("The CFO was named")


def test_sign_out_ends_the_session(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser()
    page.goto(f"{live_server.url}/sign-in")
    page.get_by_label("API key").fill("coach_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That API key was not recognised.")
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    shot(page, "14-sign-in-failed")
    sign_in(page, live_server, live_server.world.a1)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{live_server.url}/calls")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/calls"))


def test_keyboard_only_sign_in_and_evidence_links(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    call_id = api_upload(live_server, live_server.world.a1, title="Keyboard check")
    page = browser()
    page.goto(f"{live_server.url}/calls/{call_id}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "api_key"
    page.keyboard.type(live_server.world.a1.key)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Scorecard: Keyboard check")).to_be_visible()
    # An evidence link, reached and followed from the keyboard, lands on the turn it cites.
    link = page.locator("article.item .evidence a").first
    target = link.get_attribute("href")
    link.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(target or "?") + "$"))
    expect(page.locator(target or "?")).to_be_in_viewport()


def test_the_upload_shows_progress_while_it_waits_to_be_scored(idle_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser()
    sign_in(page, idle_server, idle_server.world.a1, "/upload")
    page.get_by_label("Drop a transcript here").set_input_files(str(SAMPLE_PATH))
    page.get_by_role("button", name="Upload and score").click()
    expect(page).to_have_url(re.compile(r"/calls/\d+$"))
    status = page.get_by_role("status")
    expect(status).to_have_text("Waiting for a scorer…")
    expect(page.locator("progress")).to_have_attribute("value", "1")
    # The page keeps polling the job: its status request is answered and the page stays put.
    with page.expect_response(re.compile(r"/calls/\d+/status$")) as polled:
        pass
    assert polled.value.status == 200 and polled.value.json()["status"] == "queued"
    expect(status).to_have_text("Waiting for a scorer…")
    shot(page, "13-pending")
    page.get_by_role("link", name="My calls").click()
    expect(page.locator("table.calls")).to_contain_text("queued")


def test_a_file_dropped_on_the_zone_is_the_one_uploaded(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser()
    sign_in(page, live_server, live_server.world.a1b, "/upload")
    dropped = page.evaluate_handle(
        """text => { const dt = new DataTransfer();
                     dt.items.add(new File([text], "dropped-call.txt", { type: "text/plain" }));
                     return dt; }""",
        SAMPLE.decode(),
    )
    page.locator("[data-dropzone]").dispatch_event("dragenter", {"dataTransfer": dropped})
    expect(page.locator("[data-dropzone]")).to_have_class(re.compile("is-over"))
    page.locator("[data-dropzone]").dispatch_event("drop", {"dataTransfer": dropped})
    expect(page.locator("[data-file-name]")).to_contain_text("Chosen: dropped-call.txt")
    page.get_by_role("button", name="Upload and score").click()
    expect(page.get_by_role("heading", name="Scorecard: dropped-call")).to_be_visible()  # no title given: the file name without its suffix


def test_a_role_play_session_runs_to_its_scorecard(live_server: LiveServer, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser()
    sign_in(page, live_server, live_server.world.a1, "/roleplay")
    shot(page, "15-roleplay-scenarios")
    scenario = page.locator("li.scenario", has=page.locator("input[value='usage_threshold_upsell']"))
    scenario.get_by_label("Level").select_option("normal")
    scenario.get_by_role("button", name="Start").click()
    expect(page).to_have_url(re.compile(r"/roleplay/\d+$"))
    expect(page.locator("[data-level]")).to_have_text("Level: normal")
    line = page.get_by_label(re.compile("^Your line to "))
    expect(line).to_be_focused()  # ready to type
    lines = [
        "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan.",
        "A lot of customers like you are buying this, let me send you a deck.",
        "Walk me through how your team handles onboarding today: who owns it, what tools, and what is the cycle time?",
    ]
    for n, said in enumerate(lines, start=1):
        page.get_by_label(re.compile("^Your line to ")).fill(said)
        page.get_by_role("button", name="Send").click()
        expect(page.locator("ol.chat li.role-seller")).to_have_count(n)
        expect(page.locator("ol.chat li.role-customer")).to_have_count(n + 1)
    # The facilitator's note sits inline, after the line that broke the never-say rule.
    broken = page.locator("ol.chat li.role-seller", has_text="let me send you a deck")
    expect(broken.locator("aside.facilitator")).to_contain_text("never-say")
    expect(page.locator("aside.facilitator")).to_have_count(1)
    shot(page, "16-roleplay-chat")
    page.get_by_role("button", name="Finish and score").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Scorecard: Role-play:"))).to_be_visible()
    expect(page.locator("article.item")).to_have_count(12)
    expect(page.locator("#item-never_say .badge").first).to_have_text(re.compile("Fail"))
    expect(page.locator("dd[data-level]")).to_have_text("normal")
    shot(page, "17-roleplay-scorecard")
