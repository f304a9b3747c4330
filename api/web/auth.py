"""Who is signed in: the page twin of `api.deps.get_current_user`, fed by the session cookie.

The same key table, the same revocation, the same per-key rate limit: a page request
is an API request made with a cookie instead of an `Authorization` header.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, delete, select

from api.db import Database
from api.db.models import ApiKey, RevokedSession, Role, User, utcnow
from api.deps import DbDep, Principal, get_rate_limiter
from api.keys import hash_key
from api.problems import ApiProblem
from api.ratelimit import RateLimiter
from api.web.session import WebSession


class SignInRequired(Exception):
    """Raised by page dependencies; the page route answers with a redirect to the sign-in form."""

    def __init__(self, message: str = ""):
        self.message = message
        super().__init__(message)


class CsrfRejected(Exception):
    """A form came back without this session's CSRF token."""


def _principal(db: Database, condition: ColumnElement[bool]) -> Principal | None:
    with db.reader() as session:
        row = session.execute(
            select(ApiKey.id, User.id, User.org_id, User.team_id, User.role, User.name)
            .join(User, User.id == ApiKey.user_id)
            .where(condition, ApiKey.revoked_at.is_(None))
        ).first()
    if row is None:
        return None
    key_id, user_id, org_id, team_id, role, name = row
    return Principal(user_id=user_id, org_id=org_id, team_id=team_id, role=Role(role), name=name, key_id=key_id)


def principal_for_api_key(db: Database, token: str) -> Principal | None:
    return _principal(db, ApiKey.key_hash == hash_key(token.strip()))


def is_revoked(db: Database, sid: str) -> bool:
    with db.reader() as session:
        return session.get(RevokedSession, sid) is not None


def revoke(db: Database, sid: str, max_age_s: int) -> None:
    """Sign a session out for good; entries whose cookies have expired anyway are dropped."""
    now = utcnow()
    with db.write() as session:
        session.execute(delete(RevokedSession).where(RevokedSession.expires_at < now))
        if session.get(RevokedSession, sid) is None:
            session.add(RevokedSession(sid=sid, expires_at=now + dt.timedelta(seconds=max_age_s)))


def principal_for_key_id(db: Database, key_id: int) -> Principal | None:
    return _principal(db, ApiKey.id == key_id)


def web_session(request: Request) -> WebSession:
    return request.state.web_session


def set_web_session(request: Request, session: WebSession) -> None:
    request.state.web_session = session
    request.state.web_session_dirty = True


def page_user(
    request: Request, db: DbDep, limiter: Annotated[RateLimiter, Depends(get_rate_limiter)]
) -> Principal:
    session = web_session(request)
    if session.key_id is None:
        raise SignInRequired()
    if session.sid is None or is_revoked(db, session.sid):
        set_web_session(request, WebSession.anonymous())
        raise SignInRequired()
    user = _principal(db, ApiKey.id == session.key_id)
    if user is None or user.user_id != session.user_id:
        set_web_session(request, WebSession.anonymous())
        raise SignInRequired("Your API key is no longer valid; sign in with a current one.")
    wait = limiter.acquire(user.key_id)
    if wait > 0:
        raise ApiProblem(
            429,
            f"Too many requests with this API key; try again in {RateLimiter.retry_after_header(wait)} seconds.",
            headers={"Retry-After": RateLimiter.retry_after_header(wait)},
        )
    request.state.principal = user
    return user


async def require_csrf(request: Request) -> None:
    """Every POST from a page carries the session's token in the `csrf_token` field."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not web_session(request).csrf_matches(token):
        raise CsrfRejected()


PageUser = Annotated[Principal, Depends(page_user)]
Csrf = Depends(require_csrf)
