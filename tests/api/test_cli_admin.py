"""`coach admin` bootstraps users whose printed keys work against the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.settings import ApiSettings, Environment
from coach.cli import app as cli
from coach.errors import ConfigError


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def value(output: str, name: str) -> str:
    match = re.search(rf"^{name}=(\S+)$", output, re.M)
    assert match, output
    return match.group(1)


def test_admin_bootstrap_prints_a_working_key(db_url: str, tmp_path: Path) -> None:
    where = ["--database-url", db_url]
    org = value(run("admin", "create-org", "Northwind", *where), "org_id")
    team = value(run("admin", "create-team", "East", "--org", org, *where), "team_id")
    created = run("admin", "create-user", "Priya Shah", "--org", org, "--team", team, "--role", "manager", *where)
    key = value(created, "api_key")
    assert key.startswith("coach_") and len(key) > 40
    user_id = int(value(created, "user_id"))

    settings = ApiSettings(database_url=db_url, data_dir=tmp_path, job_workers=0, job_processes=0, read_processes=0)
    with TestClient(create_app(settings)) as client:
        response = client.get(f"/v1/reps/{user_id}/progress", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200
        assert response.json()["rep_name"] == "Priya Shah"
        team_rollup = client.get(f"/v1/teams/{team}/rollup", headers={"Authorization": f"Bearer {key}"})
        assert team_rollup.status_code == 200


def test_admin_errors_are_one_line_and_exit_2(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from coach.cli import main  # the entry point that maps CoachError to exit code 2

    with pytest.raises(SystemExit) as exit_info:
        import sys

        argv, sys.argv = sys.argv, ["coach", "admin", "create-team", "East", "--org", "999", "--database-url", db_url]
        try:
            main()
        finally:
            sys.argv = argv
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "coach: error: --org: no organisation with id 999\n"


def test_production_refuses_unsafe_defaults() -> None:
    with pytest.raises(ConfigError, match="COACH_DATABASE_URL must be set explicitly in production"):
        ApiSettings(environment=Environment.production)
    with pytest.raises(ConfigError, match="disables rate limiting"):
        ApiSettings(environment=Environment.production, database_url="sqlite:///x.db", rate_limit_per_minute=0)
    with pytest.raises(ConfigError, match="COACH_AUTH_FAILURES_PER_MINUTE=0 lets anyone guess keys"):
        ApiSettings(environment=Environment.production, database_url="sqlite:///x.db", session_secret="s" * 32,
                    auth_failures_per_minute=0)
    assert ApiSettings(environment=Environment.production, database_url="sqlite:///x.db", session_secret="s" * 32).database_url == "sqlite:///x.db"
