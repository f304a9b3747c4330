from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from api.deps import CurrentUser, ReadSession, SettingsDep
from api.problems import Problem
from api.schemas.calls import KIND_HELP, KindFilter
from api.schemas.scorecards import ScorecardPage
from api.store import scorecards as store
from coach.scorecard import Verdict

router = APIRouter(prefix="/v1/scorecards", tags=["scorecards"])


class ListFormat(StrEnum):
    json = "json"
    csv = "csv"


@router.get(
    "",
    response_model=ScorecardPage,
    responses={401: {"model": Problem}, 422: {"model": Problem}, 200: {"content": {"text/csv": {}}}},
)
def list_scorecards(
    user: CurrentUser,
    session: ReadSession,
    settings: SettingsDep,
    rep: Annotated[int | None, Query(description="Only this rep's calls.")] = None,
    team: Annotated[int | None, Query(description="Only this team's calls.")] = None,
    since: Annotated[dt.datetime | None, Query(description="Calls on or after this time.")] = None,
    until: Annotated[dt.datetime | None, Query(description="Calls before this time.")] = None,
    item: Annotated[str | None, Query(description="Only scorecards with this rubric item...")] = None,
    verdict: Annotated[Verdict | None, Query(description="...having this (effective) verdict.")] = None,
    kind: Annotated[KindFilter, Query(description=KIND_HELP)] = KindFilter.upload,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
    format: Annotated[ListFormat, Query(description="csv exports every match (no paging)")] = ListFormat.json,
) -> ScorecardPage | StreamingResponse:
    """Scorecards you may see, most recently stored first, filtered; `?format=csv` for a spreadsheet export."""
    flt = store.ScorecardFilter(rep_id=rep, team_id=team, since=since, until=until, item=item, verdict=verdict, kind=kind)
    if format is ListFormat.csv:
        rows = list(store.export_csv(session, user, flt))
        return StreamingResponse(
            iter(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="scorecards.csv"'},
        )
    items, next_cursor = store.list_scorecards(
        session, user, flt, limit=min(limit, settings.page_size_max), cursor=cursor
    )
    return ScorecardPage(items=items, next_cursor=next_cursor)
