"""Dependencies as `Annotated` aliases: settings, database, sessions, the current user."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.db import Database
from api.db.models import ApiKey, Role, User
from api.keys import hash_key
from api.principal import Principal
from api.problems import ApiProblem, unauthorized
from api.ratelimit import RateLimiter
from api.settings import ApiSettings


# Dependencies are `async def` unless they block: FastAPI runs a plain `def` dependency in
# the thread pool, and those hops (several per request) cost the server process CPU and latency.


async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def get_db(request: Request) -> Database:
    return request.app.state.db


async def get_rate_limiter(request: Request) -> RateLimiter:
    return request.app.state.rate_limiter


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
DbDep = Annotated[Database, Depends(get_db)]


def get_read_session(db: DbDep) -> Iterator[Session]:
    # A plain `def`: closing the session resets its connection (a round trip on PostgreSQL),
    # which must not block the event loop.
    with db.reader() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]


# auto_error=False: a missing header must become our 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key from `coach admin create-user`.")


class PrincipalCache:
    """Recently seen keys -> principal, so a busy client costs no key look-up per request.

    A revoked key or a moved user is seen at most `ttl_s` later."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000):
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def get(self, key_hash: str) -> Principal | None:
        if self.ttl_s <= 0:
            return None
        with self._lock:
            entry = self._entries.get(key_hash)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key_hash: str, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key_hash] = (time.monotonic() + self.ttl_s, principal)


async def get_principal_cache(request: Request) -> PrincipalCache:
    return request.app.state.principal_cache


def _lookup(db: Database, key_hash: str) -> Principal | None:
    with db.reader() as session:
        row = session.execute(
            select(ApiKey.id, User.id, User.org_id, User.team_id, User.role, User.name)
            .join(User, User.id == ApiKey.user_id)
            .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    key_id, user_id, org_id, team_id, role, name = row
    return Principal(user_id=user_id, org_id=org_id, team_id=team_id, role=Role(role), name=name, key_id=key_id)


async def get_current_user(
    request: Request,
    db: DbDep,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
    cache: Annotated[PrincipalCache, Depends(get_principal_cache)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise unauthorized("missing bearer API key in the Authorization header")
    key_hash = hash_key(credentials.credentials)
    principal = cache.get(key_hash)
    if principal is None:
        failures = request.app.state.auth_failures
        failures.check(request)
        principal = await run_in_threadpool(_lookup, db, key_hash)
        if principal is None:
            failures.record(request)
            raise unauthorized("the API key is not valid")
        cache.put(key_hash, principal)
    wait = limiter.acquire(principal.key_id)
    if wait > 0:
        raise ApiProblem(
            429,
            f"rate limit exceeded for this API key; retry in {RateLimiter.retry_after_header(wait)} s",
            type="urn:coach:problem:rate-limited",
            headers={"Retry-After": RateLimiter.retry_after_header(wait)},
        )
    return principal


CurrentUser = Annotated[Principal, Depends(get_current_user)]
