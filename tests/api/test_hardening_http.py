"""Issue 15's hardening items: rendered scorecards are sandboxed downloads with CSP and nosniff,
the API docs load from this server only and need a key in production, the SQLite file is
private, and test tools stay out of the runtime dependencies."""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings, Environment
from tests.api.support import ROOT, World, build_world, upload, wait_for_status


def test_an_html_scorecard_is_a_sandboxed_attachment_with_csp_and_nosniff(client: TestClient, world: World) -> None:
    call_id = upload(client, world.a1).json()["id"]
    wait_for_status(client, world.a1, call_id, {"scored"})
    response = client.get(f"/v1/calls/{call_id}/scorecard?format=html", headers=world.a1.auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-disposition"] == f'attachment; filename="scorecard-call-{call_id}.html"'
    policy = response.headers["content-security-policy"]
    assert "sandbox" in policy and "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "<html" in response.text.lower()


def test_the_rendered_scorecard_is_made_in_a_reader_child_and_matches(make_client) -> None:  # type: ignore[no-untyped-def]
    inline = make_client()
    world = build_world(inline.app.state.db)
    call_id = upload(inline, world.a1).json()["id"]
    wait_for_status(inline, world.a1, call_id, {"scored"})
    here = inline.get(f"/v1/calls/{call_id}/scorecard?format=md", headers=world.a1.auth).text
    pooled = make_client(read_processes=1, job_workers=0)  # same database, renders in a child
    there = pooled.get(f"/v1/calls/{call_id}/scorecard?format=md", headers=world.a1.auth)
    assert there.status_code == 200 and there.text == here


def test_docs_come_from_local_assets_only(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(s.startswith("/docs-assets/") for s in sources), sources
        assert "cdn" not in page.text.lower()
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200 and len(asset.content) > 100, source
    assert client.get("/openapi.json").json()["info"]["title"] == "Expansion-call coach API"


def test_docs_need_a_key_in_production(tmp_path: Path) -> None:
    settings = ApiSettings(
        environment=Environment.production, database_url=f"sqlite:///{tmp_path / 'coach.db'}", data_dir=tmp_path,
        session_secret="s" * 40, job_workers=0, job_processes=0, read_processes=0,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        world = build_world(client.app.state.db)
        for path in ("/docs", "/redoc", "/openapi.json"):
            refused = client.get(path)
            assert refused.status_code == 401, path
            assert refused.headers["content-type"] == "application/problem+json"
            assert client.get(path, headers={"Authorization": "Bearer coach_wrong"}).status_code == 401
            assert client.get(path, headers=world.a1.auth).status_code == 200, path


def test_the_sqlite_database_file_is_created_owner_only(client: TestClient, settings: ApiSettings) -> None:
    url = settings.resolved_database_url()
    if not url.startswith("sqlite"):
        return  # PostgreSQL's files are the database server's
    path = Path(url.removeprefix("sqlite:///"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for sidecar in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if sidecar.exists():
            assert stat.S_IMODE(sidecar.stat().st_mode) & 0o077 == 0, sidecar


def test_test_tools_are_only_in_the_dev_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = " ".join(project["dependencies"]).lower()
    for tool in ("pytest", "hypothesis", "playwright", "vcrpy", "axe-playwright"):
        assert tool not in runtime, tool
        assert any(tool in dep.lower() for dep in project["optional-dependencies"]["dev"]), tool
    shipped = [p for folder in ("api", "coach") for p in (ROOT / folder).rglob("*.py")]
    for path in shipped:
        source = path.read_text()
        assert not re.search(r"^\s*(?:import|from)\s+(?:pytest|hypothesis|playwright|vcr)\b", source, re.M), path
