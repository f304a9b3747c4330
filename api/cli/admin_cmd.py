"""`coach admin ...`: bootstrap organisations, teams and users (API keys are printed once);
re-queue failed calls; rescore past calls after a rubric change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from coach.cli import CONTEXT

admin = typer.Typer(help="Create organisations, teams and users (prints API keys once); re-queue and rescore calls.", no_args_is_help=True,
                    context_settings=CONTEXT)

# What --since and --until take: a date (midnight UTC) or a date and time (UTC unless it says).
WHEN_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S"]

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the SQLite database lives (COACH_DATA_DIR).")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL (COACH_DATABASE_URL).")]


def _database(data_dir: Path | None, database_url: str | None):  # type: ignore[no-untyped-def]
    from api.db import Database
    from api.db.migrate import upgrade
    from api.settings import settings_with

    db = Database(settings_with(data_dir=data_dir, database_url=database_url).resolved_database_url())
    upgrade(db)
    return db


@admin.command("create-org")
def create_org(
    name: Annotated[str, typer.Argument(help="Organisation name.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create an organisation and print its id."""
    from api.store.admin import create_org as make

    print(f"org_id={make(_database(data_dir, database_url), name)}")


@admin.command("create-team")
def create_team(
    name: Annotated[str, typer.Argument(help="Team name.")],
    org: Annotated[int, typer.Option("--org", help="Organisation id.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a team in an organisation and print its id."""
    from api.store.admin import create_team as make

    print(f"team_id={make(_database(data_dir, database_url), org, name)}")


@admin.command("create-user")
def create_user(
    name: Annotated[str, typer.Argument(help="The user's display name.")],
    org: Annotated[int, typer.Option("--org", help="Organisation id.")],
    role: Annotated[str, typer.Option("--role", help="rep, manager or admin.")] = "rep",
    team: Annotated[int | None, typer.Option("--team", help="Team id (needed for reps and managers).")] = None,
    email: Annotated[str | None, typer.Option("--email")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user and print their API key (shown this once; only its hash is stored)."""
    from api.db.models import Role
    from api.store.admin import create_user as make
    from coach.errors import ConfigError

    try:
        parsed = Role(role)
    except ValueError:
        raise ConfigError(f"unknown role {role!r}; expected rep, manager or admin", source="--role") from None
    user = make(_database(data_dir, database_url), org, name, parsed, team, email)
    print(f"user_id={user.id}")
    print(f"api_key={user.api_key}")
    typer.echo("Store this key now: it cannot be shown again.", err=True)


@admin.command("create-key")
def create_key(
    user: Annotated[int, typer.Option("--user", help="User id.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue another API key for an existing user."""
    from api.store.admin import create_key as make

    print(f"api_key={make(_database(data_dir, database_url), user)}")


@admin.command("requeue")
def requeue(
    calls: Annotated[list[int] | None, typer.Argument(help="Failed call ids to score again (none: every failed call).")] = None,
    org: Annotated[int | None, typer.Option("--org", help="Only this organisation's failed calls.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Queue failed calls for scoring again; a running server picks them up within its poll interval."""
    from api.store.queue import requeue_failed

    db = _database(data_dir, database_url)
    with db.write() as session:
        done = requeue_failed(session, calls or None, org)
    print(f"requeued={len(done)}" + (f" calls={','.join(map(str, done))}" if done else ""))


@admin.command("rescore")
def rescore(
    org: Annotated[int | None, typer.Option("--org", help="Only this organisation's calls (default: every organisation).")] = None,
    rubric: Annotated[
        str | None, typer.Option("--rubric", help="Only calls scored with this rubric (its id, e.g. expansion_call).")
    ] = None,
    rubric_version: Annotated[
        str | None, typer.Option("--rubric-version", help="Only calls scored with this rubric version.")
    ] = None,
    since: Annotated[
        dt.datetime | None,
        typer.Option("--since", formats=WHEN_FORMATS, help="Only calls that happened at or after this date or time (UTC)."),
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option("--until", formats=WHEN_FORMATS, help="Only calls that happened before this date or time (UTC)."),
    ] = None,
    team: Annotated[int | None, typer.Option("--team", help="Only this team's calls.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print how many calls would be queued; queue none.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Score past calls again after a rubric change (POST /v1/rescore's twin). The jobs go in the
    lowest lane, behind every upload; each call keeps its scorecard and managers' overrides until
    its new one is stored. Workers (or a running server) pick them up."""
    from pydantic import ValidationError

    from api.db.models import Org
    from api.schemas.rescore import RescoreRequest
    from api.store.errors import Invalid
    from api.store.rescore import rescore_calls
    from coach.errors import ConfigError

    try:
        wanted = RescoreRequest(rubric=rubric, rubric_version=rubric_version, since=_utc(since), until=_utc(until),
                                team=team, dry_run=dry_run)  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(first["msg"], source="--" + "-".join(str(p) for p in first["loc"]).replace("_", "-")) from None
    db = _database(data_dir, database_url)
    with db.write() as session:
        if org is not None and session.get(Org, org) is None:
            raise ConfigError(f"no organisation with id {org}", source="--org")
        try:
            queued = rescore_calls(session, wanted, org_id=org)
        except Invalid as exc:
            raise ConfigError(exc.detail, source="--since") from None
    print(f"{'would_queue' if dry_run else 'queued'}={queued.queued} already_waiting={queued.already_waiting}")


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)
