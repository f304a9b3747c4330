"""Disputes (a rep contests a verdict, the manager resolves it) and calibration."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.db.models import DisputeStatus
from api.deps import CurrentUser, DbDep, ReadSession, SettingsDep
from api.problems import Problem
from api.schemas.calls import KIND_HELP, KindFilter
from api.schemas.disputes import (
    Calibration,
    DisputeAccept,
    DisputeAssign,
    DisputeCreate,
    DisputePage,
    DisputePublic,
    DisputeReject,
)
from api.store import calibration as calibration_store
from api.store import disputes as store

router = APIRouter(prefix="/v1", tags=["disputes"])

_PROBLEMS: dict[int | str, dict[str, object]] = {code: {"model": Problem} for code in (401, 403, 404, 422, 429)}
Since = Annotated[dt.datetime | None, Query(description="Judgements made on or after this time.")]
Until = Annotated[dt.datetime | None, Query(description="Judgements made before this time.")]
Kind = Annotated[KindFilter, Query(description=KIND_HELP)]


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


@router.post(
    "/calls/{call_id}/scorecard/items/{item_id}/disputes",
    status_code=201,
    response_model=DisputePublic,
    responses={**_PROBLEMS, 409: {"model": Problem}},
)
def open_dispute(call_id: int, item_id: str, body: DisputeCreate, user: CurrentUser, db: DbDep, response: Response) -> DisputePublic:
    """The call's rep disputes one item's verdict with a comment (one open dispute per item)."""
    with db.write() as session:
        created = store.open_dispute(session, user, call_id, item_id, body)
    response.headers["Location"] = f"/v1/disputes/{created.id}"
    return created


@router.get("/disputes", response_model=DisputePage, responses=_PROBLEMS)
def list_disputes(
    user: CurrentUser,
    session: ReadSession,
    settings: SettingsDep,
    status: Annotated[DisputeStatus | None, Query(description="open, accepted or rejected; all when omitted.")] = None,
    team: Annotated[int | None, Query()] = None,
    rep: Annotated[int | None, Query()] = None,
    item: Annotated[str | None, Query(max_length=100)] = None,
    reviewer: Annotated[int | None, Query(description="Only disputes assigned to this reviewer (a user id).")] = None,
    kind: Kind = KindFilter.all,
    threshold: Annotated[float, Query(ge=0, le=100, description="Calls scoring under this are reviewed first.")] = store.DEFAULT_THRESHOLD,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> DisputePage:
    """The review queue: open disputes first (those on calls under the threshold first), then oldest first,
    each with the reviewer it is assigned to. A manager sees their team's, an admin the organisation's, a rep
    their own."""
    items, next_cursor = store.list_disputes(
        session, user, status=status, team_id=team, rep_id=rep, item_id=item, kind=kind, threshold=threshold,
        limit=min(limit, settings.page_size_max), cursor=cursor, reviewer_id=reviewer,
    )
    return DisputePage(items=items, next_cursor=next_cursor)


@router.get("/disputes/{dispute_id}", response_model=DisputePublic, responses=_PROBLEMS)
def get_dispute(dispute_id: int, user: CurrentUser, session: ReadSession) -> DisputePublic:
    """One dispute with every step (who, when, what)."""
    return store.get_dispute(session, user, dispute_id)


@router.post("/disputes/{dispute_id}/assign", response_model=DisputePublic, responses={**_PROBLEMS, 409: {"model": Problem}})
def assign(dispute_id: int, body: DisputeAssign, user: CurrentUser, db: DbDep) -> DisputePublic:
    """A manager of the team or an admin hands an open dispute to another manager of its team; the step
    is kept in its history. Only the assigned reviewer (or an admin) may then accept or reject it."""
    with db.write() as session:
        return store.assign_dispute(session, user, dispute_id, body)


@router.post("/disputes/{dispute_id}/accept", response_model=DisputePublic, responses={**_PROBLEMS, 409: {"model": Problem}})
def accept(dispute_id: int, body: DisputeAccept, user: CurrentUser, db: DbDep) -> DisputePublic:
    """The assigned reviewer (or an admin) agrees: the verdict becomes an override (the score everyone sees changes)."""
    with db.write() as session:
        return store.accept_dispute(session, user, dispute_id, body)


@router.post("/disputes/{dispute_id}/reject", response_model=DisputePublic, responses={**_PROBLEMS, 409: {"model": Problem}})
def reject(dispute_id: int, body: DisputeReject, user: CurrentUser, db: DbDep) -> DisputePublic:
    """The assigned reviewer (or an admin) disagrees, with a reason the rep reads; the verdict stands."""
    with db.write() as session:
        return store.reject_dispute(session, user, dispute_id, body)


@router.get("/calibration", response_model=Calibration, responses=_PROBLEMS, tags=["calibration"])
def calibration(
    user: CurrentUser, session: ReadSession, since: Since = None, until: Until = None,
    team: Annotated[int | None, Query()] = None, kind: Kind = KindFilter.upload,
) -> Calibration:
    """Per item, how often the managers' standing judgements (overrides, resolved disputes) agree with the machine,
    overall and week by week."""
    return calibration_store.calibration(session, user, since=_utc(since), until=_utc(until), team_id=team, kind=kind)


@router.get(
    "/calibration/export",
    responses={**_PROBLEMS, 200: {"content": {"application/zip": {"example": "(a zip archive)"}},
                                  "description": "`<stem>.<ext>` transcripts with `<stem>.labels.yaml` beside each."}},
    response_class=Response,
    tags=["calibration"],
)
def calibration_export(
    user: CurrentUser, session: ReadSession, since: Since = None, until: Until = None,
    team: Annotated[int | None, Query()] = None, kind: Kind = KindFilter.upload,
) -> Response:
    """The reviewed calls as a labelled set (`coach eval` reads it): the managers' verdicts for the items they
    judged, the machine's for the rest."""
    data = calibration_store.export_labelled(session, user, since=_utc(since), until=_utc(until), team_id=team, kind=kind)
    return Response(
        data, media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="reviewed-calls.zip"'},
    )
