"""Helpers for the in-process page tests: read the CSRF token, sign in, upload, wait."""

from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient

from tests.api.support import Person

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
UNSURE = b"Alex: Hello there, good to see you.\nSam: Hi, good to see you too.\nAlex: Shall we look at the agenda?\nSam: Sure, go ahead.\n"


def csrf(client: TestClient, path: str = "/sign-in") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    found = _TOKEN.search(page.text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: TestClient, who: Person) -> None:
    response = client.post(
        "/sign-in", data={"csrf_token": csrf(client), "api_key": who.key, "next": "/calls"}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/calls", response.text[:500]


def wait_scored(client: TestClient, call_id: int, deadline_s: float = 20.0) -> dict:
    end = time.monotonic() + deadline_s
    while True:
        body = client.get(f"/calls/{call_id}/status").json()
        if body["status"] in ("scored", "failed"):
            return body
        assert time.monotonic() < end, f"call {call_id} still {body['status']}"
        time.sleep(0.02)


def call_id_of(location: str) -> int:
    found = re.fullmatch(r"/calls/(\d+)", location)
    assert found, location
    return int(found.group(1))
