"""Bootstrap: organisations, teams and users (used by `coach admin` and the tests)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import select

from api.db import Database
from api.db.models import Org, Role, Team, User
from api.keys import issue_key
from coach.errors import ConfigError


class CreatedUser(BaseModel):
    id: int
    org_id: int
    team_id: int | None
    role: Role
    name: str
    api_key: str  # shown once; only its hash is stored


def create_org(db: Database, name: str) -> int:
    with db.write() as session:
        org = Org(name=name)
        session.add(org)
        session.flush()
        return org.id


def create_team(db: Database, org_id: int, name: str) -> int:
    with db.write() as session:
        if session.get(Org, org_id) is None:
            raise ConfigError(f"no organisation with id {org_id}", source="--org")
        team = Team(org_id=org_id, name=name)
        session.add(team)
        session.flush()
        return team.id


def create_user(
    db: Database, org_id: int, name: str, role: Role, team_id: int | None = None, email: str | None = None
) -> CreatedUser:
    with db.write() as session:
        if session.get(Org, org_id) is None:
            raise ConfigError(f"no organisation with id {org_id}", source="--org")
        if team_id is not None:
            team_org = session.scalars(select(Team.org_id).where(Team.id == team_id)).first()
            if team_org != org_id:
                raise ConfigError(f"no team with id {team_id} in organisation {org_id}", source="--team")
        elif role is not Role.admin:
            raise ConfigError(f"a {role.value} needs a team", source="--team")
        user = User(org_id=org_id, team_id=team_id, name=name, email=email, role=role.value)
        session.add(user)
        session.flush()
        token = issue_key(session, user.id)
        return CreatedUser(id=user.id, org_id=org_id, team_id=team_id, role=role, name=name, api_key=token)


def create_key(db: Database, user_id: int) -> str:
    with db.write() as session:
        if session.get(User, user_id) is None:
            raise ConfigError(f"no user with id {user_id}", source="--user")
        return issue_key(session, user_id)
