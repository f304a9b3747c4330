"""Fixtures for the page tests: the real app under uvicorn on loopback, Debian's Chromium
driven by Playwright (never a downloaded browser), and TestClients over https for the
cookie-level tests (a Secure cookie is only sent over https)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.db import Database
from api.db.migrate import upgrade
from api.settings import ApiSettings
from tests.api.conftest import postgres_url  # noqa: F401  (the throwaway PostgreSQL database)
from tests.api.support import World, build_world

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
SECRET = "test-session-secret-" + "x" * 24
# A first call waits for the scoring process to start (it loads the language pipeline).
EXPECT_TIMEOUT_MS = 30_000


# -- in-process clients ------------------------------------------------------------------------


@pytest.fixture
def web_settings(tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        database_url=f"sqlite:///{tmp_path / 'coach.db'}", data_dir=tmp_path, rate_limit_per_minute=0, auth_failures_per_minute=0,
        job_workers=1, job_processes=0, read_processes=0, job_poll_s=0.05, session_secret=SECRET,
    )


@pytest.fixture
def web_client(web_settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(web_settings), base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def web_world(web_client: TestClient) -> World:
    return build_world(web_client.app.state.db)  # type: ignore[attr-defined]


# -- the live server ---------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    db: Database
    world: World
    process: subprocess.Popen[bytes]
    log: Path

    def api(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=20)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path, deadline_s: float = 60.0) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {deadline_s}s:\n{log.read_text()[-3000:]}")


def _serve(**extra_env: str) -> Iterator[LiveServer]:
    with tempfile.TemporaryDirectory(prefix="coach-web-") as tmp:
        data = Path(tmp)
        url_db = f"sqlite:///{data / 'coach.db'}"
        db = Database(url_db)
        upgrade(db)
        world = build_world(db)
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("COACH_")}
        env.update(
            COACH_DATABASE_URL=url_db, COACH_DATA_DIR=str(data), COACH_SESSION_SECRET=SECRET,
            COACH_RATE_LIMIT_PER_MINUTE="0", COACH_JOB_POLL_S="0.1", COACH_JOB_WORKERS="1",
        )
        env.update(extra_env)
        log = data / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process, log)
            yield LiveServer(url=url, db=db, world=world, process=process, log=log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            db.dispose()


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    yield from _serve()


@pytest.fixture
def idle_server() -> Iterator[LiveServer]:
    """A server with no scoring workers: uploads wait in the queue, as behind a long one."""
    yield from _serve(COACH_JOB_WORKERS="0")


# -- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        # scripts/provision.sh says why when it could not install it (not root); otherwise a missing browser fails.
        unavailable = os.environ.get("COACH_TEST_UNAVAILABLE_CHROMIUM")
        if unavailable:
            pytest.skip(f"chromium unavailable: {unavailable}")
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/provision.sh does, as root)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright_driver, tmp_path: Path) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """`browser(width, height)` opens a fresh profile (its own user-data dir) and returns a page."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):  # type: ignore[no-untyped-def]
        profile = tmp_path / f"profile-{len(contexts)}"
        context = playwright_driver.chromium.launch_persistent_context(  # type: ignore[attr-defined]
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": width, "height": height}, accept_downloads=True,
        )
        context.set_default_timeout(20_000)
        contexts.append(context)
        return context.pages[0] if context.pages else context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def shot(page, name: str, *, full_page: bool = True) -> Path:  # type: ignore[no-untyped-def]
    """Save a screenshot of the page as a test artefact, after checking it with axe-core."""
    assert_accessible(page, name)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def assert_accessible(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """axe-core (WCAG 2.x A and AA rules) finds nothing on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]}})
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in results.response["violations"]
    ]
    assert not problems, f"accessibility problems on {name}:\n" + "\n".join(problems)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The app on either database (the pages' own queries run on both, like the API's)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'coach.db'}"
    else:
        from tests.api.conftest import _truncate

        url = request.getfixturevalue("postgres_url")
        _truncate(url)
    settings = ApiSettings(database_url=url, data_dir=tmp_path, rate_limit_per_minute=0, auth_failures_per_minute=0, job_workers=1,
                           job_processes=0, read_processes=0, job_poll_s=0.05, session_secret=SECRET)
    with TestClient(create_app(settings), base_url="https://testserver", raise_server_exceptions=False) as client:
        yield client
