"""Fixtures for the API tests: every storage and API test runs on SQLite and on the real
PostgreSQL server (a throwaway database per test session, dropped afterwards)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from api.app import create_app
from api.db import Database
from api.db.migrate import upgrade
from api.db.models import Base
from api.settings import ApiSettings
from tests.api.support import World, build_world

POSTGRES_URL = os.environ.get(
    "COACH_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    # Set by scripts/provision.sh only when this machine cannot run PostgreSQL (not root, not
    # installed); CI provisions strictly and never sets it.
    unavailable = os.environ.get("COACH_TEST_UNAVAILABLE_POSTGRES")
    if unavailable:
        pytest.skip(f"PostgreSQL unavailable: {unavailable}")
    name = f"coach_test_{uuid.uuid4().hex[:12]}"
    admin_url = _libpq(POSTGRES_URL)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    upgrade(db)
    db.dispose()
    try:
        yield url
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _truncate(url: str) -> None:
    # DELETE beats TRUNCATE on tables this small (no file swaps); children first.
    statements = ";".join(f'DELETE FROM "{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    # The queue's own tables too: a later test's workers must not find an earlier test's jobs.
    statements += ";DELETE FROM procrastinate_events;DELETE FROM procrastinate_periodic_defers"
    statements += ";DELETE FROM procrastinate_jobs;DELETE FROM procrastinate_workers"
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(statements)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'coach.db'}"
    url = request.getfixturevalue("postgres_url")
    _truncate(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> ApiSettings:
    return ApiSettings(
        database_url=db_url, data_dir=tmp_path, rate_limit_per_minute=0, auth_failures_per_minute=0, job_workers=2, job_processes=0, read_processes=0,
        job_poll_s=0.05,
    )


@pytest.fixture
def make_client(settings: ApiSettings) -> Iterator[Callable[..., TestClient]]:
    opened: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        scorer = overrides.pop("scorer", None)
        app = create_app(settings.model_copy(update=overrides), scorer=scorer)  # type: ignore[arg-type]
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def world(client: TestClient) -> World:
    return build_world(client.app.state.db)  # type: ignore[attr-defined]


@pytest.fixture
def world_factory() -> Callable[[TestClient], World]:
    """For tests that make their own client: the world in that client's database."""
    return lambda client: build_world(client.app.state.db)  # type: ignore[attr-defined]


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The migrated database alone, for tests that drive the store and job runner without the app."""
    database = Database(db_url)
    upgrade(database)
    yield database
    database.dispose()
