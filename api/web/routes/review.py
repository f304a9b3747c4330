"""The review loop in pages: the dispute queue and one dispute (accept or reject with a
reason), calibration (agreement with the machine per item, and the labelled export), and
a rep's practice. The store functions decide access, exactly as for `/v1`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.db.models import DisputeStatus, Role
from api.deps import DbDep, ReadSession
from api.problems import not_found
from api.schemas.calls import KindFilter
from api.principal import Principal
from api.schemas.disputes import DisputeAccept, DisputeAssign, DisputePublic, DisputeReject
from api.store import calibration as calibration_store
from api.store import disputes as store
from api.store.practice import rep_practice
from api.web import charts, views
from api.web.auth import Csrf, PageUser
from api.web.routing import PageRoute
from api.web.templating import render
from coach.scorecard import Verdict

router = APIRouter(route_class=PageRoute, include_in_schema=False)

DateQ = Annotated[dt.date | None, Query()]
KindQ = Annotated[KindFilter, Query()]


def _text(form, name: str) -> str:  # type: ignore[no-untyped-def]
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.get("/disputes")
def dispute_queue(
    request: Request, user: PageUser, session: ReadSession,
    status: Annotated[str, Query(pattern="^(open|accepted|rejected|all)$")] = "open",
    mine: Annotated[bool, Query()] = False,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    chosen = None if status == "all" else DisputeStatus(status)
    items, next_cursor = store.list_disputes(
        session, user, status=chosen, team_id=None, rep_id=None, item_id=None, kind=KindFilter.all,
        threshold=store.DEFAULT_THRESHOLD, limit=50, cursor=cursor, reviewer_id=user.user_id if mine else None,
    )
    query = {"status": status, **({"mine": "true"} if mine else {})}
    return render(request, "disputes.html.j2", {
        "title": "Disputes", "disputes": items, "status": status, "mine": mine, "threshold": store.DEFAULT_THRESHOLD,
        "is_reviewer": user.role is not Role.rep, "user_id": user.user_id,
        "next_url": "/disputes?" + urlencode({**query, "cursor": next_cursor}) if next_cursor else None,
    })


def _dispute_page(
    request: Request, session: Session, user: Principal, dispute: DisputePublic, *, error: str | None = None,
    assign_error: str | None = None, values: dict[str, str] | None = None, status: int = 200,
) -> Response:
    open_ = dispute.status is DisputeStatus.open
    may_assign = user.role is not Role.rep and open_
    reviewers = [(i, name) for i, name in store.team_managers(session, user.org_id, dispute.team_id)
                 if i not in (dispute.assigned_to, dispute.raised_by)] if may_assign else []  # fmt: skip
    return render(request, "dispute.html.j2", {
        "title": f"Dispute: {dispute.item_title}", "d": dispute, "can_resolve": _can_resolve(user, dispute),
        "reviewers": reviewers, "error": error, "assign_error": assign_error, "values": values or {},
        "verdicts": list(Verdict),
    }, status=status)


def _can_resolve(user: Principal, dispute: DisputePublic) -> bool:
    return dispute.status is DisputeStatus.open and store.refusal(
        user, raised_by=dispute.raised_by, assigned_to=dispute.assigned_to) is None  # fmt: skip


@router.get("/disputes/{dispute_id}")
def dispute_page(request: Request, dispute_id: int, user: PageUser, session: ReadSession) -> Response:
    return _dispute_page(request, session, user, store.get_dispute(session, user, dispute_id))


@router.post("/disputes/{dispute_id}/assign", dependencies=[Csrf])
async def assign_dispute(request: Request, dispute_id: int, user: PageUser, db: DbDep) -> Response:
    form = await request.form()
    values = {"reviewer": _text(form, "reviewer"), "assign_comment": _text(form, "assign_comment")}
    try:
        body = DisputeAssign.model_validate({"reviewer_id": values["reviewer"], "comment": values["assign_comment"]})
    except ValidationError:
        with db.reader() as session:
            dispute = store.get_dispute(session, user, dispute_id)
            return _dispute_page(request, session, user, dispute, assign_error="Choose the manager to hand it to.",
                                 values=values, status=422)

    def apply() -> None:
        with db.write() as session:
            store.assign_dispute(session, user, dispute_id, body)

    await run_in_threadpool(apply)
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


@router.post("/disputes/{dispute_id}/resolve", dependencies=[Csrf])
async def resolve_dispute(request: Request, dispute_id: int, user: PageUser, db: DbDep) -> Response:
    form = await request.form()
    action = _text(form, "action")
    values = {"verdict": _text(form, "verdict"), "comment": _text(form, "comment")}
    try:
        if action == "accept":
            accept = DisputeAccept.model_validate({"verdict": values["verdict"] or None, "comment": values["comment"]})
        else:
            reject = DisputeReject.model_validate({"reason": values["comment"]})
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0]) if exc.errors() else "comment"
        error = ("Choose the verdict that stands." if field == "verdict"
                 else "Write a comment for the rep: why you accept or reject the dispute.")
        with db.reader() as session:
            dispute = store.get_dispute(session, user, dispute_id)
            return _dispute_page(request, session, user, dispute, error=error, values=values, status=422)

    def apply() -> None:
        with db.write() as session:
            if action == "accept":
                store.accept_dispute(session, user, dispute_id, accept)
            else:
                store.reject_dispute(session, user, dispute_id, reject)

    await run_in_threadpool(apply)
    return RedirectResponse(f"/disputes/{dispute_id}", status_code=303)


# -- calibration ----------------------------------------------------------------------------------


def _team_or_none(session, user, team: int | None) -> tuple[int | None, list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
    teams = views.visible_team_list(session, user)
    if not teams:
        raise views.not_a_manager()
    if team is not None and team not in dict(teams):
        raise not_found("team", team)
    return team, teams


@router.get("/calibration")
def calibration_page(
    request: Request, user: PageUser, session: ReadSession, team: Annotated[int | None, Query()] = None,
    start: DateQ = None, end: DateQ = None, kind: KindQ = KindFilter.upload,
) -> Response:
    team_id, teams = _team_or_none(session, user, team)
    window = views.DateRange.of(start, end, default_days=180)
    report = calibration_store.calibration(session, user, since=window.since, until=window.until, team_id=team_id, kind=kind)
    trends = {
        item.id: charts.sparkline([(p.week.strftime("%d %b"), p.agreement) for p in item.weeks])
        for item in report.items
    }
    params = {"team": team_id, "start": window.start.isoformat(), "end": window.end.isoformat(), "kind": kind.value}
    return render(request, "calibration.html.j2", {
        "title": "Calibration", "report": report, "trends": trends, "teams": teams, "team_id": team_id,
        "window": window, "kind": kind.value,
        "export_url": "/calibration/export.zip?" + urlencode({k: v for k, v in params.items() if v is not None}),
    })


@router.get("/calibration/export.zip")
def calibration_export(
    user: PageUser, session: ReadSession, team: Annotated[int | None, Query()] = None,
    start: DateQ = None, end: DateQ = None, kind: KindQ = KindFilter.upload,
) -> Response:
    team_id, _ = _team_or_none(session, user, team)
    window = views.DateRange.of(start, end, default_days=180)
    data = calibration_store.export_labelled(session, user, since=window.since, until=window.until, team_id=team_id, kind=kind)
    name = f"reviewed-calls-{window.start.isoformat()}-{window.end.isoformat()}.zip"
    return Response(data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})


# -- practice -------------------------------------------------------------------------------------


@router.get("/practice")
def practice_page(request: Request, user: PageUser, session: ReadSession, rep: Annotated[int | None, Query()] = None) -> Response:
    report = rep_practice(session, user, rep if rep is not None else user.user_id)
    lines = {
        s.scenario: charts.sparkline([(h.occurred_at.strftime("%d %b"), None if h.score is None else h.score / 100)
                                      for h in s.history])
        for s in report.scenarios
    }
    return render(request, "practice.html.j2", {
        "title": "Practice" if report.rep_id == user.user_id else f"Practice: {report.rep_name}",
        "report": report, "lines": lines, "own": report.rep_id == user.user_id,
    })
