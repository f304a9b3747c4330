"""Issue 15 on the pages: sign-out ends the session for every copy of the cookie, failed
sign-ins are rate limited, out-of-range ids are a 404 page, every page carries the
security headers. On SQLite and PostgreSQL (`any_db_client`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from tests.api.support import World, build_world
from tests.web.conftest import SECRET
from tests.web.support import csrf, sign_in

COOKIE = "__Host-coach_session"


@pytest.fixture
def world(any_db_client: TestClient) -> World:
    return build_world(any_db_client.app.state.db)  # type: ignore[attr-defined]


def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(any_db_client: TestClient, world: World) -> None:
    client = any_db_client
    sign_in(client, world.a1)
    stolen = client.cookies[COOKIE]
    assert client.get("/calls", follow_redirects=False).status_code == 200
    response = client.post("/sign-out", data={"csrf_token": csrf(client, "/calls")}, follow_redirects=False)
    assert response.status_code == 303
    # The old cookie, replayed as an attacker holding a copy would: it opens nothing now.
    client.cookies.clear()
    client.cookies.set(COOKIE, stolen)
    replay = client.get("/calls", follow_redirects=False)
    assert replay.status_code == 303 and replay.headers["location"].startswith("/sign-in")
    # Signing in again gives a new session that works.
    client.cookies.clear()
    sign_in(client, world.a1)
    assert client.get("/calls", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("path", ["/calls/2147483648", "/calls/9223372036854775808", "/roleplay/2147483648",
                                  "/calls/2147483648/scorecard.html", "/calls/-1"])
def test_out_of_range_ids_on_pages_are_a_404_page(any_db_client: TestClient, world: World, path: str) -> None:
    sign_in(any_db_client, world.admin_a)
    response = any_db_client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize("query", ["rep=2147483648", "team=2147483648", "rep=9223372036854775808", "rep=-5",
                                   "item=%00", "item=" + "x" * 5000])
def test_team_calls_filters_out_of_range_answer_without_a_500(any_db_client: TestClient, world: World, query: str) -> None:
    sign_in(any_db_client, world.m1)
    response = any_db_client.get(f"/team/calls?{query}", headers={"Accept": "text/html"})
    assert response.status_code in (200, 404, 422), response.text[:300]


def test_every_page_has_csp_nosniff_and_frame_ancestors(any_db_client: TestClient, world: World) -> None:
    for path in ("/sign-in", "/no-such-page"):
        response = any_db_client.get(path, headers={"Accept": "text/html"})
        assert response.headers["content-type"].startswith("text/html")
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_the_downloaded_scorecard_page_is_sandboxed_and_cannot_be_framed(any_db_client: TestClient, world: World) -> None:
    from tests.api.support import upload, wait_for_status

    call_id = upload(any_db_client, world.a1).json()["id"]
    wait_for_status(any_db_client, world.a1, call_id, {"scored"})
    sign_in(any_db_client, world.a1)
    response = any_db_client.get(f"/calls/{call_id}/scorecard.html")
    assert response.status_code == 200 and response.headers["content-disposition"].startswith("attachment")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "sandbox" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"


def test_failed_sign_ins_are_rate_limited_per_address(tmp_path: Path) -> None:
    settings = ApiSettings(
        database_url=f"sqlite:///{tmp_path / 'coach.db'}", data_dir=tmp_path, job_workers=0, job_processes=0,
        read_processes=0, session_secret=SECRET, auth_failures_per_minute=1, auth_failures_burst=3,
    )
    with TestClient(create_app(settings), base_url="https://testserver", raise_server_exceptions=False) as client:
        people = build_world(client.app.state.db)  # type: ignore[attr-defined]
        answers = []
        for _ in range(5):
            answers.append(client.post("/sign-in", data={"csrf_token": csrf(client), "api_key": "coach_guess"}).status_code)
        assert answers[:3] == [401, 401, 401]
        assert answers[3:] == [429, 429]
        # Even the right key waits: the address is refused before any key is looked up.
        blocked = client.post("/sign-in", data={"csrf_token": csrf(client), "api_key": people.a1.key}, follow_redirects=False)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) >= 1
