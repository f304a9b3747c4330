"""The pages in process: uploads and the seller check, who sees what, the team views."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient

import coach.readers as readers
from api.db.models import Call
from tests.api.support import (
    ROOT,
    SAMPLE,
    Person,
    World,
    at,
    build_world,
    seed_scorecard,
)
from tests.web.support import UNSURE, call_id_of, csrf, sign_in, wait_scored


def upload(client: TestClient, content: bytes = SAMPLE, name: str = "call.txt", **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf(client, "/upload"), **fields}
    return client.post("/upload", data=data, files={"file": (name, content)}, follow_redirects=False)


def scored_call(client: TestClient, **fields: str) -> int:
    response = upload(client, **fields)
    assert response.status_code == 303, response.text[:800]
    call_id = call_id_of(response.headers["location"])
    assert wait_scored(client, call_id)["status"] == "scored"
    return call_id


def calls_in(client: TestClient) -> int:
    with client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        return session.query(Call).count()


# -- upload ---------------------------------------------------------------------------------------


def machine_failures(client: TestClient, who: Person, call_id: int) -> list[dict]:
    card = client.get(f"/v1/calls/{call_id}/scorecard", headers=who.auth).json()["scorecard"]
    return [item for item in card["items"] if item["verdict"] == "fail"]


def test_a_confident_upload_goes_straight_to_scoring(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    call_id = scored_call(web_client, title="Northwind")
    page = web_client.get(f"/calls/{call_id}")
    assert page.status_code == 200
    assert "<h1>Scorecard: Northwind</h1>" in page.text
    failures = machine_failures(web_client, web_world.a1, call_id)
    assert failures
    for item in failures:
        article = page.text[page.text.index(f'id="item-{item["id"]}"'):]
        article = article[: article.index("</article>")]
        evidence = item["evidence"][0]
        assert "✗ Fail" in article
        assert f'href="#turn-{evidence["turn"]}"' in article
        assert f'id="turn-{evidence["turn"]}"' in page.text


def test_uncertain_roles_ask_who_the_seller_is_before_storing(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    response = upload(web_client, UNSURE, "unsure.txt")
    assert response.status_code == 200
    assert "We are not sure who is selling in <strong>unsure.txt</strong>" in response.text
    assert calls_in(web_client) == 0  # nothing stored until confirmed
    draft = re.search(r'name="draft" value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    token = csrf(web_client, "/upload")

    none_ticked = web_client.post("/upload/confirm", data={"csrf_token": token, "draft": draft}, follow_redirects=False)
    assert none_ticked.status_code == 422 and "Tick at least one speaker on the seller side." in none_ticked.text
    everyone = web_client.post(
        "/upload/confirm", data={"csrf_token": token, "draft": draft, "sellers": ["Alex", "Sam"]}, follow_redirects=False
    )
    assert everyone.status_code == 422 and "Leave at least one speaker on the customer side." in everyone.text
    stranger = web_client.post(
        "/upload/confirm", data={"csrf_token": token, "draft": draft, "sellers": ["Mallory"]}, follow_redirects=False
    )
    assert stranger.status_code == 422

    done = web_client.post(
        "/upload/confirm", data={"csrf_token": token, "draft": draft, "sellers": ["Alex"]}, follow_redirects=False
    )
    assert done.status_code == 303
    call_id = call_id_of(done.headers["location"])
    wait_scored(web_client, call_id)
    with web_client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        call = session.get(Call, call_id)
        assert call is not None and call.sellers == ["Alex"] and call.rep_id == web_world.a1.id
    # The draft is gone once used.
    again = web_client.post(
        "/upload/confirm", data={"csrf_token": token, "draft": draft, "sellers": ["Alex"]}, follow_redirects=False
    )
    assert again.status_code == 410 and "upload the file again" in again.text


def test_an_upload_is_read_once_and_a_confirmed_one_once_more(
    web_client: TestClient, web_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every read of bytes, whoever asks (these settings read in the server process), counted.
    reads: list[str] = []
    real = readers._read_bytes

    def counted(data, name, *args):  # type: ignore[no-untyped-def]
        reads.append(name)
        return real(data, name, *args)

    monkeypatch.setattr(readers, "_read_bytes", counted)
    sign_in(web_client, web_world.a1)
    call_id = scored_call(web_client, title="Northwind")
    assert reads == ["call.txt"]  # the form's read is the call's read

    reads.clear()
    response = upload(web_client, UNSURE, "unsure.txt")
    draft = re.search(r'name="draft" value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    done = web_client.post(
        "/upload/confirm", data={"csrf_token": csrf(web_client, "/upload"), "draft": draft, "sellers": ["Alex"]},
        follow_redirects=False,
    )
    assert done.status_code == 303 and call_id_of(done.headers["location"]) != call_id
    # one read to ask who sells, one with the sellers ticked that the call is stored from
    assert reads == ["unsure.txt", "unsure.txt"]


def test_a_draft_belongs_to_its_uploader(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    draft = re.search(r'name="draft" value="([^"]+)"', upload(web_client, UNSURE, "unsure.txt").text).group(1)  # type: ignore[union-attr]
    sign_in(web_client, web_world.a1b)
    stolen = web_client.post(
        "/upload/confirm", data={"csrf_token": csrf(web_client, "/upload"), "draft": draft, "sellers": ["Alex"]},
        follow_redirects=False,
    )
    assert stolen.status_code == 410
    assert calls_in(web_client) == 0


def test_named_sellers_skip_the_check(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    response = upload(web_client, UNSURE, "unsure.txt", sellers="Sam")
    assert response.status_code == 303


def test_asking_to_check_shows_the_guess_even_when_sure(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    response = upload(web_client, confirm="on")
    assert response.status_code == 200
    assert "Check our guess for" in response.text
    assert re.search(r'value="Priya Shah" checked', response.text)
    assert re.search(r'value="Marcus Lee"\s+aria-describedby', response.text)  # not ticked


@pytest.mark.parametrize(
    ("content", "name", "fields", "message"),
    [
        (None, "", {}, "Choose a transcript file to upload."),
        ((ROOT / "fixtures/malformed/unknown_format.txt").read_bytes(), "unknown_format.txt", {}, "We could not read that file: unknown_format.txt"),
        (b"", "empty.txt", {}, "We could not read that file: empty.txt: file is empty"),
        (SAMPLE, "call.txt", {"occurred_on": "31/12/2026"}, "The call date must be a date like"),
    ],
)
def test_bad_uploads_come_back_with_a_message(web_client: TestClient, web_world: World, content, name, fields, message) -> None:  # type: ignore[no-untyped-def]
    sign_in(web_client, web_world.a1)
    data = {"csrf_token": csrf(web_client, "/upload"), **fields}
    files = {"file": (name, content)} if content is not None else {"file": ("", b"")}
    response = web_client.post("/upload", data=data, files=files, follow_redirects=False)
    assert response.status_code == 422
    assert message in response.text
    assert 'role="alert"' in response.text
    assert calls_in(web_client) == 0


def test_a_double_submitted_form_stores_one_call(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    page = web_client.get("/upload").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    first, second = (
        web_client.post("/upload", data={"csrf_token": token, "idempotency_key": key},
                        files={"file": ("call.txt", SAMPLE)}, follow_redirects=False)
        for _ in range(2)
    )
    assert first.headers["location"] == second.headers["location"]
    assert calls_in(web_client) == 1


def test_the_pending_page_and_its_status(web_settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app

    # No workers: the call stays queued, as it would behind a long queue.
    with TestClient(create_app(web_settings.model_copy(update={"job_workers": 0})), base_url="https://testserver") as client:
        world = build_world(client.app.state.db)  # type: ignore[attr-defined]
        sign_in(client, world.a1)
        call_id = call_id_of(upload(client).headers["location"])
        page = client.get(f"/calls/{call_id}")
        assert page.status_code == 200
        assert "Waiting for a scorer…" in page.text and "<progress" in page.text
        assert f'data-poll="/calls/{call_id}/status"' in page.text
        assert client.get(f"/calls/{call_id}/status").json() == {"status": "queued", "error": None, "attempts": 0}


# -- who sees what --------------------------------------------------------------------------------


def _as(client: TestClient, who: Person) -> TestClient:
    client.cookies.clear()
    sign_in(client, who)
    return client


def test_a_page_shows_a_call_exactly_to_those_the_api_shows_it_to(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    call_id = scored_call(web_client)
    allowed = {"a1", "m1", "admin_a"}
    for name, person in web_world.people().items():
        _as(web_client, person)
        api = web_client.get(f"/v1/calls/{call_id}/scorecard", headers=person.auth)
        for path in (f"/calls/{call_id}", f"/calls/{call_id}/status", f"/calls/{call_id}/scorecard.html"):
            page = web_client.get(path)
            assert page.status_code == api.status_code, (name, path)
            assert page.status_code == (200 if name in allowed else 404), (name, path)
        if name not in allowed:
            assert "This page does not exist, or it is not yours to see." in web_client.get(f"/calls/{call_id}").text


def test_a_rep_cannot_override_and_a_manager_can(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    call_id = scored_call(web_client)
    failed = machine_failures(web_client, web_world.a1, call_id)[0]["id"]
    title = re.search(rf'id="item-{failed}-heading">.*?</span> (.*?)</h3>', web_client.get(f"/calls/{call_id}").text).group(1)  # type: ignore[union-attr]
    assert "Review this verdict" not in web_client.get(f"/calls/{call_id}").text
    form = {"csrf_token": csrf(web_client, "/calls"), "verdict": "pass", "comment": "I did say it."}
    refused = web_client.post(f"/calls/{call_id}/items/{failed}/override", data=form, follow_redirects=False)
    assert refused.status_code == 403
    assert "only a manager or an admin may override a verdict" in refused.text

    _as(web_client, web_world.m1)
    token = csrf(web_client, "/calls")
    blank = web_client.post(f"/calls/{call_id}/items/{failed}/override",
                            data={"csrf_token": token, "verdict": "pass", "comment": "  "}, follow_redirects=False)
    assert blank.status_code == 422 and "Write a comment saying why the verdict should change." in blank.text
    saved = web_client.post(f"/calls/{call_id}/items/{failed}/override",
                            data={"csrf_token": token, "verdict": "pass", "comment": "CFO named."}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/calls/{call_id}?saved={failed}#item-{failed}"
    page = web_client.get(saved.headers["location"]).text
    assert f"Your review of <strong>{title}</strong> is saved." in page
    assert "Manager's verdict: Pass" in page
    assert f"{title} (pass)</a>" in page  # the timeline follows the override too
    cleared = web_client.post(f"/calls/{call_id}/items/{failed}/override",
                              data={"csrf_token": token, "action": "clear"}, follow_redirects=False)
    assert cleared.status_code == 303
    body = web_client.get(f"/v1/calls/{call_id}/scorecard", headers=web_world.m1.auth).json()
    item = next(i for i in body["items"] if i["id"] == failed)
    assert item["override"] is None and item["verdict"] == "fail"

    _as(web_client, web_world.m2)  # another team's manager: as if the call did not exist
    other = web_client.post(f"/calls/{call_id}/items/{failed}/override",
                            data={"csrf_token": csrf(web_client, "/calls"), "verdict": "pass", "comment": "x"}, follow_redirects=False)
    assert other.status_code == 404


def test_transcript_text_is_escaped(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    # (The readers drop <tag>-like markup themselves; a lone '<' and '&' still reach the page.)
    hostile = SAMPLE.replace(b"Good, exhausting.", b"Good, seats < 250 & \"growing\".")
    response = upload(web_client, hostile, title="<img src=x onerror=alert(2)>")
    call_id = call_id_of(response.headers["location"])
    wait_scored(web_client, call_id)
    page = web_client.get(f"/calls/{call_id}").text
    assert "seats &lt; 250 &amp; &#34;growing&#34;." in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


# -- my calls and the team --------------------------------------------------------------------------


def test_my_calls_lists_only_my_calls_with_progress(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    seed_scorecard(db, web_world.a1, at("2026-01-05"), {"next_step": "fail"})
    seed_scorecard(db, web_world.a1, at("2026-01-12"), {"next_step": "pass"})
    seed_scorecard(db, web_world.a1b, at("2026-01-12"), {"next_step": "fail"})
    sign_in(web_client, web_world.a1)
    page = web_client.get("/calls").text
    assert page.count('<tr>\n      <td><time') == 2
    trend = page[page.index("<strong>Concrete next step</strong>"):]
    assert "50%" in trend[:400] and "1 passed, 1 failed" in trend[:400]
    assert "Weekly: 0% (05 Jan) → 100% (12 Jan)" in trend


def test_the_team_page_is_for_managers_of_that_team(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    seed_scorecard(db, web_world.a1, at("2026-01-05"), {"next_step": "fail"})
    seed_scorecard(db, web_world.a1b, at("2026-01-06"), {"next_step": "pass"})
    _as(web_client, web_world.a1)
    rep_view = web_client.get("/team")
    assert rep_view.status_code == 404 and rep_view.headers["content-type"].startswith("text/html")
    # a proper page saying what the Team page is, never an internal "team 1 not found"
    assert "The Team and Calibration pages are for managers" in rep_view.text and "not found" not in rep_view.text
    assert web_client.get("/team/export.csv").status_code == 404
    _as(web_client, web_world.m2)
    assert web_client.get(f"/team?team={web_world.team_a1}").status_code == 404
    _as(web_client, web_world.m1)
    page = web_client.get("/team?start=2026-01-01&end=2026-01-31")
    assert page.status_code == 200
    assert "Ann One" in page.text and "Abe One" in page.text and "Ali Two" not in page.text
    assert "Real calls: 2 scored calls from 01 Jan 2026 to 31 Jan 2026. 2 of them not scored" in page.text
    assert web_client.get("/team?start=2026-02-01&end=2026-01-01").status_code == 422
    assert web_client.get("/team?start=yesterday").status_code == 422

    drill = web_client.get(f"/team/calls?team={web_world.team_a1}&item=next_step&verdict=fail&start=2026-01-01&end=2026-01-31")
    assert drill.status_code == 200 and drill.text.count("Open scorecard") == 1

    csv = web_client.get(f"/team/export.csv?team={web_world.team_a1}&start=2026-01-01&end=2026-01-31")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert 'filename="team-' in csv.headers["content-disposition"]
    rows = csv.text.strip().splitlines()
    assert rows[0] == "call_id,rep_id,team_id,occurred_at,kind,score,machine_score,next_step" and len(rows) == 3
    # The admin picks among the organisation's teams.
    _as(web_client, web_world.admin_a)
    admin = web_client.get(f"/team?team={web_world.team_a2}")
    assert admin.status_code == 200 and "Team: A2" in admin.text and '<select id="team"' in admin.text


def test_browsers_get_a_page_for_a_missing_address_and_api_clients_keep_json(web_client: TestClient, web_world: World) -> None:
    page = web_client.get("/no-such-page", headers={"accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    api = web_client.get("/v1/no-such-thing", headers={"accept": "text/html"})
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert web_client.get("/calls/not-a-number", follow_redirects=False).status_code == 303  # sign in first
    sign_in(web_client, web_world.a1)
    for path in ("/calls/not-a-number", "/calls/999999", "/calls/999999/status"):
        missing = web_client.get(path, follow_redirects=False)
        assert missing.status_code == 404, path
        assert "This page does not exist, or it is not yours to see." in missing.text


def test_static_assets_are_served_by_the_app(web_client: TestClient) -> None:
    css = web_client.get("/static/app.css")
    assert css.status_code == 200 and "@media print" in css.text
    assert web_client.get("/static/app.js").status_code == 200


def test_pages_are_not_in_the_openapi_schema(web_client: TestClient) -> None:
    paths = web_client.get("/openapi.json").json()["paths"]
    assert all(p.startswith(("/v1/", "/healthz", "/readyz")) for p in paths)


def test_uploads_are_dated_by_the_form(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    call_id = call_id_of(upload(web_client, occurred_on="2026-03-02").headers["location"])
    with web_client.app.state.db.reader() as session:  # type: ignore[attr-defined]
        call = session.get(Call, call_id)
        assert call is not None and call.occurred_at.date() == dt.date(2026, 3, 2)


def test_a_failed_scoring_job_shows_its_error_and_keeps_the_upload(web_settings) -> None:  # type: ignore[no-untyped-def]
    from api.app import create_app
    from coach.errors import CoachError

    def broken(_transcript):  # type: ignore[no-untyped-def]
        raise CoachError("the scorer refused this call", source="scorer")

    with TestClient(create_app(web_settings, scorer=broken), base_url="https://testserver") as client:
        world = build_world(client.app.state.db)  # type: ignore[attr-defined]
        sign_in(client, world.a1)
        call_id = call_id_of(upload(client, title="Doomed").headers["location"])
        assert wait_scored(client, call_id)["status"] == "failed"
        page = client.get(f"/calls/{call_id}").text
        assert "Scoring failed." in page and "the scorer refused this call" in page
        listing = client.get("/calls").text
        assert "Doomed" in listing and "status-failed" in listing


def test_the_pages_read_the_same_on_both_databases(any_db_client: TestClient) -> None:
    client = any_db_client
    world = build_world(client.app.state.db)  # type: ignore[attr-defined]
    db = client.app.state.db  # type: ignore[attr-defined]
    seed_scorecard(db, world.a1b, at("2026-01-06"), {"next_step": "pass"})
    sign_in(client, world.a1)
    first = scored_call(client, title="First", occurred_on="2026-01-05")
    second = call_id_of(upload(client, title="Second", occurred_on="2026-01-12").headers["location"])
    wait_scored(client, second)
    mine = client.get("/calls").text
    assert mine.index("Second") < mine.index("First")  # newest first
    assert "Abe One" not in mine and mine.count("/calls/") >= 2
    assert client.get(f"/calls/{first}").status_code == 200
    _as(client, world.m1)
    team = client.get("/team?start=2026-01-01&end=2026-01-31").text
    assert "3 scored calls from 01 Jan 2026 to 31 Jan 2026." in team
    assert "Ann One" in team and "Abe One" in team


def test_the_call_page_names_the_rubric_version_and_why(web_client: TestClient, web_world: World) -> None:
    from coach.rubric.choice import bundled_rubric

    sign_in(web_client, web_world.a1)
    prospect = (b"Priya Shah: Thanks for calling in. What made you reach out?\n"
                b"Marcus Lee: We've been looking into test automation tools. How much does it cost?\n"
                b"Priya Shah: How does your team run regression tests today?\nMarcus Lee: By hand.\n")  # fmt: skip
    response = upload(web_client, prospect, "prospect.txt", sellers="Priya Shah")
    assert response.status_code == 303, response.text[:800]
    call_id = call_id_of(response.headers["location"])
    assert wait_scored(web_client, call_id)["status"] == "scored"
    page = " ".join(web_client.get(f"/calls/{call_id}").text.split())
    version = bundled_rubric("first_call_discovery").version
    assert f"<dt>Rubric</dt><dd>first_call_discovery v{version}: the rubric for new_logo calls" in page
    expansion = " ".join(web_client.get(f"/calls/{scored_call(web_client)}").text.split())
    assert "<dt>Rubric</dt><dd>expansion_call v" in expansion and "the rubric for expansion calls" in expansion
