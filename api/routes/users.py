from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.db.models import Role
from api.deps import CurrentUser, ReadSession, SettingsDep
from api.problems import Problem
from api.schemas.users import UserPage, UserPublic
from api.store import users as store

router = APIRouter(prefix="/v1/users", tags=["users"])

_PROBLEMS: dict[int | str, dict[str, object]] = {code: {"model": Problem} for code in (401, 404, 422, 429)}


@router.get("", response_model=UserPage, responses=_PROBLEMS)
def list_users(
    user: CurrentUser,
    session: ReadSession,
    settings: SettingsDep,
    team: Annotated[int | None, Query(description="Only this team's members.")] = None,
    role: Annotated[Role | None, Query(description="Only reps, managers or admins.")] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` from the previous page.")] = None,
) -> UserPage:
    """The people you may see, by id: a rep sees themself, a manager their team, an admin the organisation."""
    items, next_cursor = store.page_users(
        session, user, team_id=team, role=role, limit=min(limit, settings.page_size_max), cursor=cursor
    )
    return UserPage(items=items, next_cursor=next_cursor)


@router.get("/me", response_model=UserPublic, responses=_PROBLEMS)
def me(user: CurrentUser, session: ReadSession) -> UserPublic:
    """Who the API key belongs to."""
    return store.get_user(session, user, user.user_id)


@router.get("/{user_id}", response_model=UserPublic, responses=_PROBLEMS)
def get_user(user_id: int, user: CurrentUser, session: ReadSession) -> UserPublic:
    """One person you may see; anyone else answers 404, like a missing id."""
    return store.get_user(session, user, user_id)
