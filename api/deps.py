"""Dependencies as `Annotated` aliases: settings, database, sessions, the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db import Database
from api.db.models import ApiKey, Role, User
from api.keys import hash_key
from api.problems import ApiProblem, unauthorized
from api.ratelimit import RateLimiter
from api.settings import ApiSettings


def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]


def get_read_session(db: DbDep) -> Iterator[Session]:
    with db.reader() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]


class Principal(BaseModel):
    """Who is calling: the user behind the API key, detached from any session."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    org_id: int
    team_id: int | None
    role: Role
    name: str
    key_id: int


# auto_error=False: a missing header must become our 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from `coach admin create-user`.")


def get_current_user(
    db: DbDep,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized("missing bearer API key in the Authorization header")
    with db.reader() as session:
        row = session.execute(
            select(ApiKey.id, User.id, User.org_id, User.team_id, User.role, User.name)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == hash_key(credentials.credentials), ApiKey.revoked_at.is_(None))
        ).first()
    if row is None:
        raise unauthorized("the API key is not valid")
    key_id, user_id, org_id, team_id, role, name = row
    wait = limiter.acquire(key_id)
    if wait > 0:
        raise ApiProblem(
            429,
            f"rate limit exceeded for this API key; retry in {RateLimiter.retry_after_header(wait)} s",
            type="urn:coach:problem:rate-limited",
            headers={"Retry-After": RateLimiter.retry_after_header(wait)},
        )
    return Principal(user_id=user_id, org_id=org_id, team_id=team_id, role=Role(role), name=name, key_id=key_id)


CurrentUser = Annotated[Principal, Depends(get_current_user)]
