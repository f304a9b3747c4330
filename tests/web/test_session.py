"""Sign-in, the session cookie and CSRF, through the real app in process."""

from __future__ import annotations

import datetime as dt
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.db.models import ApiKey, Call, ScorecardItemRow
from api.settings import ApiSettings
from api.web.session import SessionCodec, WebSession
from tests.api.support import SAMPLE, World, seed_scorecard
from tests.web.support import csrf, sign_in

COOKIE = "__Host-coach_session"


def _set_cookie(response) -> SimpleCookie:  # type: ignore[no-untyped-def]
    header = response.headers.get("set-cookie")
    assert header, "no Set-Cookie header"
    jar = SimpleCookie()
    jar.load(header)
    return jar


def test_the_session_cookie_is_secure_http_only_same_site_and_host_only(web_client: TestClient) -> None:
    response = web_client.get("/sign-in")
    header = response.headers["set-cookie"]
    morsel = _set_cookie(response)[COOKIE]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True
    assert morsel["samesite"].lower() == "lax"
    assert morsel["path"] == "/"
    assert "domain" not in header.lower()
    assert int(morsel["max-age"]) == 12 * 3600


def test_the_cookie_carries_the_key_id_never_the_key(web_client: TestClient, web_world: World, web_settings: ApiSettings) -> None:
    sign_in(web_client, web_world.a1)
    value = web_client.cookies[COOKIE]
    assert web_world.a1.key not in value
    session = SessionCodec(web_settings).loads(value)
    assert session is not None and session.user_id == web_world.a1.id and session.key_id is not None


def test_sign_in_rotates_the_csrf_token(web_client: TestClient, web_world: World) -> None:
    before = csrf(web_client)
    sign_in(web_client, web_world.a1)
    after = csrf(web_client, "/upload")
    assert before != after


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "Enter your API key."),
        ("   ", "Enter your API key."),
        ("coach_not-a-real-key", "That API key was not recognised."),
    ],
)
def test_sign_in_failures_say_what_went_wrong(web_client: TestClient, web_world: World, key: str, message: str) -> None:
    response = web_client.post("/sign-in", data={"csrf_token": csrf(web_client), "api_key": key}, follow_redirects=False)
    assert response.status_code == 401
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert web_client.get("/calls", follow_redirects=False).status_code == 303


def test_a_revoked_key_ends_the_session(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    assert web_client.get("/calls").status_code == 200
    with web_client.app.state.db.write() as session:  # type: ignore[attr-defined]
        session.execute(update(ApiKey).where(ApiKey.user_id == web_world.a1.id).values(revoked_at=dt.datetime.now(dt.UTC)))
    response = web_client.get("/calls", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/calls&expired=1"
    assert "Your session ended; sign in again." in web_client.get(response.headers["location"]).text


def test_a_tampered_or_foreign_cookie_counts_as_signed_out(web_client: TestClient, web_world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sign_in(web_client, web_world.a1)
    value = web_client.cookies[COOKIE]
    web_client.cookies.set(COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"), domain="testserver.local")
    assert web_client.get("/calls", follow_redirects=False).status_code == 303
    # A cookie signed with another secret (another deployment) is not ours either.
    other = SessionCodec(ApiSettings(data_dir=tmp_path, session_secret="another-secret-" + "y" * 32))
    web_client.cookies.set(COOKIE, other.dumps(WebSession.signed_in(1, web_world.a1.id)), domain="testserver.local")
    assert web_client.get("/calls", follow_redirects=False).status_code == 303


def test_an_expired_session_is_refused(web_settings: ApiSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    codec = SessionCodec(web_settings)
    value = codec.dumps(WebSession.signed_in(1, 1))
    assert codec.loads(value) is not None
    import itsdangerous.timed

    later = itsdangerous.timed.time.time() + web_settings.session_max_age_s + 60
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    assert codec.loads(value) is None


def test_sign_in_refuses_a_form_without_this_sessions_token(web_client: TestClient, web_world: World) -> None:
    no_token = web_client.post("/sign-in", data={"api_key": web_world.a1.key}, follow_redirects=False)
    assert no_token.status_code == 403
    assert "The form was stale or did not come from this site" in no_token.text
    # A token from another browser's session is as good as none.
    with TestClient(web_client.app, base_url="https://testserver") as other:
        foreign = csrf(other)
    csrf(web_client)
    stolen = web_client.post("/sign-in", data={"api_key": web_world.a1.key, "csrf_token": foreign}, follow_redirects=False)
    assert stolen.status_code == 403
    assert web_client.get("/calls", follow_redirects=False).status_code == 303


def test_every_form_checks_the_token(web_client: TestClient, web_world: World) -> None:
    db = web_client.app.state.db  # type: ignore[attr-defined]
    call_id = seed_scorecard(db, web_world.a1, dt.datetime(2026, 1, 5, tzinfo=dt.UTC), {"next_step": "fail"})
    sign_in(web_client, web_world.m1)
    bad = {"csrf_token": "forged"}
    upload = web_client.post("/upload", data=bad, files={"file": ("call.txt", SAMPLE)}, follow_redirects=False)
    assert upload.status_code == 403
    override = web_client.post(
        f"/calls/{call_id}/items/next_step/override", data={**bad, "verdict": "pass", "comment": "no"}, follow_redirects=False
    )
    assert override.status_code == 403
    confirm = web_client.post("/upload/confirm", data={**bad, "draft": "x"}, follow_redirects=False)
    assert confirm.status_code == 403
    sign_out = web_client.post("/sign-out", data=bad, follow_redirects=False)
    assert sign_out.status_code == 403
    with db.reader() as session:
        assert session.query(Call).count() == 1
        item = session.query(ScorecardItemRow).filter_by(call_id=call_id, item_id="next_step").one()
        assert item.override_verdict is None
    assert web_client.get("/calls", follow_redirects=False).status_code == 200  # still signed in


def test_sign_out_needs_the_token_and_then_signs_out(web_client: TestClient, web_world: World) -> None:
    sign_in(web_client, web_world.a1)
    token = csrf(web_client, "/calls")
    response = web_client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert web_client.get("/calls", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "calls"])
def test_sign_in_only_redirects_within_the_site(web_client: TestClient, web_world: World, target: str) -> None:
    response = web_client.post(
        "/sign-in", data={"csrf_token": csrf(web_client), "api_key": web_world.a1.key, "next": target}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_pages_send_security_headers(web_client: TestClient) -> None:
    response = web_client.get("/sign-in")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_production_needs_a_session_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from api.settings import Environment
    from coach.errors import ConfigError

    with pytest.raises(ConfigError, match="COACH_SESSION_SECRET"):
        ApiSettings(environment=Environment.production, database_url="sqlite:///x.db")
    with pytest.raises(ConfigError, match="COACH_COOKIE_SECURE"):
        ApiSettings(environment=Environment.production, database_url="sqlite:///x.db", session_secret="s" * 32, cookie_secure=False)


def test_development_keeps_one_secret_per_data_dir(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = ApiSettings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'c.db'}")
    first = SessionCodec(settings).dumps(WebSession.signed_in(3, 4))
    again = SessionCodec(settings).loads(first)  # a new codec, as after a restart
    assert again is not None and (again.key_id, again.user_id) == (3, 4)
    assert (tmp_path / "session-secret").stat().st_mode & 0o077 == 0
