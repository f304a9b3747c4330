"""The team at a glance (managers and admins): heatmap, trends, drill-down, CSV export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from api.deps import Principal, ReadSession, SettingsDep
from api.problems import not_found
from api.schemas.calls import KindFilter
from api.schemas.rollups import GroupBy
from api.store import scorecards as scorecard_store
from api.store.rollups import team_rollup
from api.store.rubrics import item_titles
from api.web import views
from api.web.auth import PageUser
from api.web.routing import PageRoute
from api.web.templating import render
from coach.scorecard import Verdict

router = APIRouter(route_class=PageRoute, include_in_schema=False)

KIND_LABELS = {"upload": "Real calls", "roleplay": "Practice (role-play)", "all": "Real calls and practice"}

DateQ = Annotated[dt.date | None, Query()]
KindQ = Annotated[KindFilter, Query()]


def _team(session: Session, user: Principal, team: int | None) -> tuple[int, list[tuple[int, str]]]:
    """The team to show: the one asked for if visible, else the user's own, else the first visible."""
    teams = views.visible_team_list(session, user)
    ids = [t for t, _ in teams]
    if not teams:
        raise views.not_a_manager()
    if team is not None:
        if team not in ids:
            raise not_found("team", team)
        return team, teams
    return (user.team_id if user.team_id in ids else ids[0]), teams


def _query(**params: object) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


@router.get("/team")
def team_page(
    request: Request, user: PageUser, session: ReadSession,
    team: Annotated[int | None, Query()] = None, start: DateQ = None, end: DateQ = None, kind: KindQ = KindFilter.upload,
) -> Response:
    team_id, teams = _team(session, user, team)
    window = views.DateRange.of(start, end)
    if window.start > window.end:
        return render(request, "error.html.j2", {"status": 422, "title": "Invalid date range", "summary": "Invalid date range",
                                                 "detail": "The start date must be on or before the end date."}, status=422)
    by_rep = team_rollup(session, user, team_id, window.since, window.until, GroupBy.rep, kind)
    by_week = team_rollup(session, user, team_id, window.since, window.until, GroupBy.week, kind)
    titles = item_titles()
    base = {"team": team_id, "start": window.start.isoformat(), "end": window.end.isoformat(), "kind": kind.value}
    return render(
        request,
        "team.html.j2",
        {
            "title": "Team",
            "teams": teams,
            "team_id": team_id,
            "team_name": dict(teams)[team_id],
            "window": window,
            "rollup": by_rep,
            "reps": by_rep.groups,
            "rows": views.heatmap(titles, by_rep.groups, by_rep.items),
            "trends": views.item_trends(titles, by_week.items, by_week.groups),
            "weeks": by_week.groups,
            "query": _query,
            "base": base,
            "kind": kind.value,
            "kinds": KIND_LABELS,
            "csv_url": "/team/export.csv?" + _query(**base),
        },
    )


@router.get("/team/calls")
def team_calls(
    request: Request, user: PageUser, session: ReadSession, settings: SettingsDep,
    team: Annotated[int | None, Query()] = None, rep: Annotated[int | None, Query()] = None,
    item: Annotated[str | None, Query(max_length=100)] = None, verdict: Annotated[Verdict | None, Query()] = None,
    start: DateQ = None, end: DateQ = None, cursor: Annotated[str | None, Query(max_length=200)] = None,
    kind: KindQ = KindFilter.upload,
) -> Response:
    team_id, teams = _team(session, user, team)
    window = views.DateRange.of(start, end)
    flt = scorecard_store.ScorecardFilter(
        rep_id=rep, team_id=team_id, since=window.since, until=window.until, item=item if item else None,
        verdict=verdict if item else None, kind=kind,
    )
    summaries, next_cursor = scorecard_store.list_scorecards(session, user, flt, limit=50, cursor=cursor)
    titles = item_titles()
    names = views.rep_names(session, user, {s.rep_id for s in summaries} | ({rep} if rep else set()))
    base = {"team": team_id, "rep": rep, "item": item, "verdict": verdict.value if verdict and item else None,
            "start": window.start.isoformat(), "end": window.end.isoformat(), "kind": kind.value}
    return render(
        request,
        "team_calls.html.j2",
        {
            "title": "Team calls",
            "team_name": dict(teams)[team_id],
            "summaries": summaries,
            "names": names,
            "rep_name": names.get(rep) if rep else None,
            "item": item,
            "item_title": titles.get(item or "", item),
            "verdict": verdict if item else None,
            "window": window,
            "titles": titles,
            "back_url": "/team?" + _query(team=team_id, start=base["start"], end=base["end"], kind=kind.value),
            "kind_label": KIND_LABELS[kind.value],
            "next_url": ("/team/calls?" + _query(**base, cursor=next_cursor)) if next_cursor else None,
            "csv_url": "/team/export.csv?" + _query(**base),
        },
    )


@router.get("/team/export.csv")
def team_export(
    user: PageUser, session: ReadSession,
    team: Annotated[int | None, Query()] = None, rep: Annotated[int | None, Query()] = None,
    item: Annotated[str | None, Query(max_length=100)] = None, verdict: Annotated[Verdict | None, Query()] = None,
    start: DateQ = None, end: DateQ = None, kind: KindQ = KindFilter.upload,
) -> Response:
    """The API's CSV export (same columns, same access), reachable with the session cookie."""
    team_id, _ = _team(session, user, team)
    window = views.DateRange.of(start, end)
    flt = scorecard_store.ScorecardFilter(
        rep_id=rep, team_id=team_id, since=window.since, until=window.until, item=item or None,
        verdict=verdict if item else None, kind=kind,
    )
    rows = list(scorecard_store.export_csv(session, user, flt))
    name = f"team-{team_id}-{window.start.isoformat()}-{window.end.isoformat()}.csv"
    return StreamingResponse(
        iter(rows), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
