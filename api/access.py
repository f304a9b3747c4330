"""Who sees what, as SQL conditions: a rep their own, a manager their team's, an admin
their organisation's. Every query for a user-owned object goes through `visible`, and
an invisible object answers exactly like a missing one (404)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_

from api.db.models import Role, Team, User
from api.principal import Principal


def visible(user: Principal, org_col, team_col, rep_col) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    same_org = org_col == user.org_id
    if user.role is Role.admin:
        return same_org
    if user.role is Role.manager:
        if user.team_id is None:
            return and_(same_org, rep_col == user.user_id)
        return and_(same_org, or_(team_col == user.team_id, rep_col == user.user_id))
    return and_(same_org, rep_col == user.user_id)


def visible_users(user: Principal) -> ColumnElement[bool]:
    return visible(user, User.org_id, User.team_id, User.id)


def visible_teams(user: Principal) -> ColumnElement[bool]:
    if user.role is Role.admin:
        return Team.org_id == user.org_id
    if user.role is Role.manager and user.team_id is not None:
        return and_(Team.org_id == user.org_id, Team.id == user.team_id)
    return false()
