"""Listing the people a caller may see (a rep: themself; a manager: their team; an admin: the org)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible_users
from api.db.models import Role, Team, User
from api.principal import Principal
from api.store.errors import NotFound
from api.schemas.users import UserPublic
from api.store import paging


def _public(user: User, team_name: str | None) -> UserPublic:
    return UserPublic(
        id=user.id, org_id=user.org_id, team_id=user.team_id, team_name=team_name, name=user.name,
        email=user.email, role=Role(user.role), created_at=user.created_at,
    )


def _query(caller: Principal):  # type: ignore[no-untyped-def]
    return select(User, Team.name).outerjoin(Team, Team.id == User.team_id).where(visible_users(caller))


def page_users(
    session: Session, caller: Principal, *, team_id: int | None, role: Role | None, limit: int, cursor: str | None
) -> tuple[list[UserPublic], str | None]:
    query = _query(caller)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    if role is not None:
        query = query.where(User.role == role.value)
    if cursor:
        query = query.where(paging.after_id(cursor, User.id))
    rows = session.execute(query.order_by(User.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = paging.encode(after=rows[-1][0].id) if more and rows else None
    return [_public(user, team) for user, team in rows], next_cursor


def get_user(session: Session, caller: Principal, user_id: int) -> UserPublic:
    row = session.execute(_query(caller).where(User.id == user_id)).first()
    if row is None:
        raise NotFound("user", user_id)
    return _public(row[0], row[1])
