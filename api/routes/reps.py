from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CurrentUser, ReadSession
from api.problems import Problem
from api.schemas.calls import KIND_HELP, KindFilter
from api.schemas.rollups import RepPractice, RepProgress
from api.store.practice import rep_practice
from api.store.rollups import rep_progress

router = APIRouter(prefix="/v1/reps", tags=["reps"])


@router.get("/{rep_id}/progress", response_model=RepProgress, responses={401: {"model": Problem}, 404: {"model": Problem}})
def progress(
    rep_id: int, user: CurrentUser, session: ReadSession, since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kind: Annotated[KindFilter, Query(description=KIND_HELP)] = KindFilter.upload,
) -> RepProgress:
    """A rep's per-item pass rates overall and week by week (real calls unless `kind` says otherwise)."""
    return rep_progress(session, user, rep_id, since, until, kind)


@router.get("/{rep_id}/practice", response_model=RepPractice, responses={401: {"model": Problem}, 404: {"model": Problem}})
def practice(rep_id: int, user: CurrentUser, session: ReadSession) -> RepPractice:
    """A rep's role-play practice per scenario: sessions, first and best score, and every session's score in order."""
    return rep_practice(session, user, rep_id)
