from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, ReadSession
from api.problems import Problem
from api.schemas.calls import KIND_HELP, KindFilter
from api.schemas.rollups import GroupBy, TeamRollup
from api.store.rollups import team_rollup

router = APIRouter(prefix="/v1/teams", tags=["teams"])


@router.get("/{team_id}/rollup", response_model=TeamRollup, responses={401: {"model": Problem}, 404: {"model": Problem}})
def rollup(
    team_id: int,
    user: CurrentUser,
    session: ReadSession,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    group_by: Annotated[GroupBy, Query()] = GroupBy.rep,
    kind: Annotated[KindFilter, Query(description=KIND_HELP)] = KindFilter.upload,
) -> TeamRollup:
    """Per-item pass rates for the team, overall and per rep or per week, with counts (managers and admins).
    Real calls only unless `kind` asks for practice; a call with a null score counts as not scored."""
    return team_rollup(session, user, team_id, since, until, group_by, kind)
