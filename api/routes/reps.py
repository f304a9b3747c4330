from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from api.deps import CurrentUser, ReadSession
from api.problems import Problem
from api.schemas.rollups import RepProgress
from api.store.rollups import rep_progress

router = APIRouter(prefix="/v1/reps", tags=["reps"])


@router.get("/{rep_id}/progress", response_model=RepProgress, responses={401: {"model": Problem}, 404: {"model": Problem}})
def progress(
    rep_id: int, user: CurrentUser, session: ReadSession, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> RepProgress:
    """A rep's per-item pass rates overall and week by week."""
    return rep_progress(session, user, rep_id, since, until)
