"""Role-play pages in process: the API's session flow behind forms, with the same access rules."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from markupsafe import escape

from tests.api.support import Person, World
from tests.web.support import csrf, sign_in

SCENARIO = "usage_threshold_upsell"
NEVER_SAY = "A lot of customers like you are buying this, let me send you a deck."


def start(client: TestClient, scenario: str = SCENARIO, difficulty: str = "") -> int:
    response = client.post("/roleplay", data={"csrf_token": csrf(client, "/roleplay"), "scenario": scenario,
                                              "difficulty": difficulty}, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    found = re.fullmatch(r"/roleplay/(\d+)", response.headers["location"])
    assert found
    return int(found.group(1))


def say(client: TestClient, session_id: int, line: str):  # type: ignore[no-untyped-def]
    token = csrf(client, f"/roleplay/{session_id}")
    return client.post(f"/roleplay/{session_id}/turns", data={"csrf_token": token, "line": line}, follow_redirects=False)


def _as(client: TestClient, who: Person) -> None:
    client.cookies.clear()
    sign_in(client, who)


def test_scenarios_are_listed_and_a_session_starts_with_the_greeting(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    page = web_client.get("/roleplay").text
    assert page.count('name="scenario"') >= 6
    assert f'value="{SCENARIO}"' in page
    session_id = start(web_client)
    session = web_client.get(f"/roleplay/{session_id}").text
    api = web_client.get(f"/v1/roleplay/sessions/{session_id}", headers=web_world.a1.auth).json()
    assert str(escape(api["turns"][0]["text"])) in session
    assert f'<label for="line">Your line to {escape(api["persona"]["name"])}</label>' in session


def test_a_line_gets_a_reply_and_a_broken_rule_gets_the_facilitator(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client)
    first = say(web_client, session_id, "I noticed your team crossed 212 of your 250 seats this month.")
    assert first.status_code == 303 and first.headers["location"] == f"/roleplay/{session_id}#turn-2"
    second = say(web_client, session_id, NEVER_SAY)
    assert second.status_code == 303
    page = web_client.get(f"/roleplay/{session_id}").text
    api = web_client.get(f"/v1/roleplay/sessions/{session_id}", headers=web_world.a1.auth).json()
    assert [t["role"] for t in api["turns"]] == ["customer", "rep", "customer", "rep", "customer"]
    for turn in api["turns"]:
        assert str(escape(turn["text"])) in page
    assert len(api["notes"]) == 1
    note = api["notes"][0]
    # The note sits inside the rep's turn it is about.
    turn_html = page[page.index(f'id="turn-{note["turn"]}"'):]
    turn_html = turn_html[: turn_html.index("</li>")]
    assert "Facilitator:" in turn_html and "Try instead:" in turn_html


def test_finishing_stores_a_scorecard_like_a_call(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client)
    token = csrf(web_client, f"/roleplay/{session_id}")
    empty = web_client.post(f"/roleplay/{session_id}/finish", data={"csrf_token": token}, follow_redirects=False)
    assert empty.status_code == 409 and "nothing to score" in empty.text
    say(web_client, session_id, "I noticed your team crossed 212 of your 250 seats this month.")
    done = web_client.post(f"/roleplay/{session_id}/finish", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    call_id = int(done.headers["location"].rsplit("/", 1)[1])
    card = web_client.get(done.headers["location"])
    assert card.status_code == 200 and "<h1>Scorecard: Role-play:" in card.text
    session = web_client.get(f"/roleplay/{session_id}").text
    assert f'href="/calls/{call_id}">Open the scorecard' in session and 'name="line"' not in session
    assert "roleplay" in web_client.get("/calls").text


def _level(page: str) -> str:
    found = re.search(r"data-level>(.*?)</(?:p|dd)>", page, re.S)
    assert found, "no level on the page"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def test_the_session_page_and_its_scorecard_say_the_level(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    default = start(web_client)
    assert _level(web_client.get(f"/roleplay/{default}").text) == "Level: easy"  # the scenario's own level
    session_id = start(web_client, difficulty="hard")
    assert _level(web_client.get(f"/roleplay/{session_id}").text) == "Level: hard"
    # at hard the first never-say ends the call; the scorecard says the level and who ended it
    assert say(web_client, session_id, "This is the future of the category.").status_code == 303
    token = csrf(web_client, f"/roleplay/{session_id}")
    done = web_client.post(f"/roleplay/{session_id}/finish", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303
    card_page = web_client.get(done.headers["location"]).text
    assert _level(card_page) == "hard (the customer ended the call)"
    assert web_client.get(f"/roleplay/{session_id}").status_code == 200
    assert _level(web_client.get(f"/roleplay/{session_id}").text) == "Level: hard"


def test_empty_lines_and_closed_sessions_come_back_with_a_message(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client)
    blank = say(web_client, session_id, "   ")
    assert blank.status_code == 422 and "Write what you would say." in blank.text
    unknown = web_client.post("/roleplay", data={"csrf_token": csrf(web_client, "/roleplay"), "scenario": "no_such"},
                              follow_redirects=False)
    assert unknown.status_code == 422


def test_forms_need_the_token(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client)
    bad = {"csrf_token": "forged"}
    assert web_client.post("/roleplay", data={**bad, "scenario": SCENARIO}, follow_redirects=False).status_code == 403
    assert web_client.post(f"/roleplay/{session_id}/turns", data={**bad, "line": "hi"}, follow_redirects=False).status_code == 403
    assert web_client.post(f"/roleplay/{session_id}/finish", data=bad, follow_redirects=False).status_code == 403
    api = web_client.get(f"/v1/roleplay/sessions/{session_id}", headers=web_world.a1.auth).json()
    assert len(api["turns"]) == 1


def test_who_sees_a_session_is_who_the_api_lets_see_it(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client)
    for name, person in web_world.people().items():
        _as(web_client, person)
        api = web_client.get(f"/v1/roleplay/sessions/{session_id}", headers=person.auth)
        page = web_client.get(f"/roleplay/{session_id}")
        assert page.status_code == api.status_code, name
        if name == "m1":
            assert page.status_code == 200 and 'name="line"' not in page.text  # the manager reads, the rep plays
        if page.status_code == 200 and name != "a1":
            refused = say(web_client, session_id, "hello")
            assert refused.status_code == 403


def test_slash_commands_in_the_web_chat_are_for_the_coach_never_the_customer(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    session_id = start(web_client, difficulty="normal")
    say(web_client, session_id, "This is the future of the category.")
    api = lambda: web_client.get(f"/v1/roleplay/sessions/{session_id}", headers=web_world.a1.auth).json()  # noqa: E731
    turns = len(api()["turns"])
    help_page = say(web_client, session_id, "/help")
    assert help_page.status_code == 200 and "/restart: start the same call again" in help_page.text
    hint_page = say(web_client, session_id, "/hint")
    assert hint_page.status_code == 200 and "Hint: " in hint_page.text
    unknown = say(web_client, session_id, "/bogus please")
    assert unknown.status_code == 422 and "Unknown command /bogus" in unknown.text
    assert len(api()["turns"]) == turns  # nothing was said to the customer
    restarted = say(web_client, session_id, "/restart")
    assert restarted.status_code == 303
    fresh = int(restarted.headers["location"].rsplit("/", 1)[1])
    assert fresh != session_id
    again = web_client.get(f"/v1/roleplay/sessions/{fresh}", headers=web_world.a1.auth).json()
    assert len(again["turns"]) == 1 and again["difficulty"] == "normal" and again["scenario"] == SCENARIO
    ended = say(web_client, session_id, "/end")
    assert ended.status_code == 303 and ended.headers["location"].startswith("/calls/")
    card = web_client.get(ended.headers["location"]).text
    assert "/end" not in card and "/help" not in card  # never part of the scored call
    # a manager reading the session cannot restart it
    _as(web_client, web_world.m1)
    token = csrf(web_client, f"/roleplay/{fresh}")
    refused = web_client.post(f"/roleplay/{fresh}/turns", data={"csrf_token": token, "line": "/restart"}, follow_redirects=False)
    assert refused.status_code == 403
