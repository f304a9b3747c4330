"""Disputes: a rep contests one item's verdict on their own call; it is assigned to a named
reviewer (the team's manager by default; a manager or an admin may hand it to another manager
of the team), who accepts it, which becomes an override, or rejects it with a reason. Every
step is a `dispute_events` row with who and when; every resolution is also a calibration record."""

from __future__ import annotations

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from api.access import visible
from api.db.models import (
    Call,
    Dispute,
    DisputeEvent,
    DisputeStatus,
    ReviewSource,
    Role,
    ScorecardItemRow,
    ScorecardRow,
    User,
    VerdictReview,
    utcnow,
)
from api.principal import Principal
from api.store.errors import Conflict, Forbidden, Invalid, NotFound
from api.schemas.calls import KindFilter
from api.schemas.disputes import (
    DisputeAccept,
    DisputeAssign,
    DisputeCreate,
    DisputeEventPublic,
    DisputePublic,
    DisputeReject,
)
from api.schemas.scorecards import OverrideCreate
from api.store import paging
from api.store.calls import call_title
from api.store.rubrics import item_titles
from api.store.scorecards import apply_override
from coach.scorecard import Verdict

DEFAULT_THRESHOLD = 70.0


def _conflict(detail: str) -> Conflict:
    return Conflict(detail, type="urn:coach:problem:conflict")


def _item_row(session: Session, user: Principal, call_id: int, item_id: str) -> tuple[ScorecardRow, ScorecardItemRow]:
    row = session.scalars(
        select(ScorecardRow).where(
            ScorecardRow.call_id == call_id, visible(user, ScorecardRow.org_id, ScorecardRow.team_id, ScorecardRow.rep_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("scorecard for call", call_id)
    item = session.scalars(
        select(ScorecardItemRow)
        .where(ScorecardItemRow.scorecard_id == row.id, ScorecardItemRow.item_id == item_id)
        .with_for_update()
    ).one_or_none()
    if item is None:
        raise NotFound(f"item {item_id!r} on the scorecard of call", call_id)
    return row, item


def open_dispute(session: Session, user: Principal, call_id: int, item_id: str, body: DisputeCreate) -> DisputePublic:
    row, item = _item_row(session, user, call_id, item_id)
    if row.rep_id != user.user_id:
        raise Forbidden("only the call's rep may dispute its verdicts")
    if body.verdict is not None and body.verdict.value == item.verdict:
        raise Invalid(f"the verdict is already {body.verdict.value}", loc=["body", "verdict"])
    already = session.scalars(
        select(Dispute.id).where(
            Dispute.call_id == call_id, Dispute.item_id == item_id, Dispute.status == DisputeStatus.open.value
        )
    ).first()
    if already is not None:
        raise _conflict(f"item {item_id!r} of call {call_id} already has an open dispute ({already})")
    now = utcnow()
    dispute = Dispute(
        org_id=row.org_id, team_id=row.team_id, rep_id=row.rep_id, call_id=call_id, item_id=item_id, kind=row.kind,
        machine_verdict=item.machine_verdict, disputed_verdict=item.verdict,
        proposed_verdict=body.verdict.value if body.verdict else None, comment=body.comment,
        status=DisputeStatus.open.value, raised_by=user.user_id, raised_at=now,
    )  # fmt: skip
    session.add(dispute)
    session.flush()
    session.add(DisputeEvent(dispute_id=dispute.id, action="opened", by=user.user_id, at=now,
                             verdict=dispute.proposed_verdict, comment=body.comment))  # fmt: skip
    managers = team_managers(session, dispute.org_id, dispute.team_id)
    if managers:
        _assign(session, dispute, managers[0][0], by=user.user_id, comment=BY_DEFAULT)
    session.flush()
    return _publics(session, [dispute], DEFAULT_THRESHOLD)[0]


BY_DEFAULT = "the team's manager, by default"


def team_managers(session: Session, org_id: int, team_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the managers of a team, the longest-standing first: who may review its disputes."""
    if team_id is None:
        return []
    rows = session.execute(
        select(User.id, User.name)
        .where(User.org_id == org_id, User.team_id == team_id, User.role == Role.manager.value)
        .order_by(User.id)
    ).all()
    return [(r.id, r.name) for r in rows]


def _assign(session: Session, dispute: Dispute, reviewer: int, *, by: int, comment: str) -> None:
    now = utcnow()
    dispute.assigned_to = reviewer
    dispute.assigned_at = now
    session.add(DisputeEvent(dispute_id=dispute.id, action="assigned", by=by, at=now, comment=comment, assignee=reviewer))


def assign_dispute(session: Session, user: Principal, dispute_id: int, body: DisputeAssign) -> DisputePublic:
    """A manager of the team or an admin hands an open dispute to another manager of its team."""
    dispute = _visible_dispute(session, user, dispute_id, lock=True)
    if user.role is Role.rep:
        raise Forbidden("only the team's manager or an admin may assign a dispute")
    if dispute.status != DisputeStatus.open.value:
        raise _conflict(f"dispute {dispute_id} is already {dispute.status}")
    managers = dict(team_managers(session, dispute.org_id, dispute.team_id))
    if body.reviewer_id not in managers:
        raise Invalid(f"user {body.reviewer_id} is not a manager of the dispute's team", loc=["body", "reviewer_id"])
    if body.reviewer_id == dispute.assigned_to:
        raise Invalid(f"the dispute is already assigned to {managers[body.reviewer_id]}", loc=["body", "reviewer_id"])
    if body.reviewer_id == dispute.raised_by:
        raise Invalid("a dispute is reviewed by someone other than the person who raised it", loc=["body", "reviewer_id"])
    _assign(session, dispute, body.reviewer_id, by=user.user_id, comment=body.comment.strip())
    session.flush()
    return _publics(session, [dispute], DEFAULT_THRESHOLD)[0]


def _visible_dispute(session: Session, user: Principal, dispute_id: int, *, lock: bool = False) -> Dispute:
    query = select(Dispute).where(
        Dispute.id == dispute_id, visible(user, Dispute.org_id, Dispute.team_id, Dispute.rep_id)
    )
    found = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if found is None:
        raise NotFound("dispute", dispute_id)
    return found


def get_dispute(session: Session, user: Principal, dispute_id: int, threshold: float = DEFAULT_THRESHOLD) -> DisputePublic:
    return _publics(session, [_visible_dispute(session, user, dispute_id)], threshold)[0]


def refusal(user: Principal, *, raised_by: int, assigned_to: int | None) -> str | None:
    """Why `user` may not decide a dispute, or None when they may: the assigned reviewer decides
    (an admin may decide any; an unassigned one, any manager of the team who sees it)."""
    if user.role is Role.rep:
        return "only the team's manager or an admin may resolve a dispute"
    if raised_by == user.user_id:
        return "a dispute is resolved by someone other than the person who raised it"
    if assigned_to is not None and assigned_to != user.user_id and user.role is not Role.admin:
        return ASSIGNED_ELSEWHERE
    return None


ASSIGNED_ELSEWHERE = "the dispute is assigned to another reviewer"


def _resolvable(session: Session, user: Principal, dispute_id: int) -> Dispute:
    dispute = _visible_dispute(session, user, dispute_id, lock=True)
    why = refusal(user, raised_by=dispute.raised_by, assigned_to=dispute.assigned_to)
    if why == ASSIGNED_ELSEWHERE:
        name = session.scalar(select(User.name).where(User.id == dispute.assigned_to)) or f"user {dispute.assigned_to}"
        raise Forbidden(f"dispute {dispute_id} is assigned to {name}; assign it to yourself to decide it")
    if why is not None:
        raise Forbidden(why)
    if dispute.status != DisputeStatus.open.value:
        raise _conflict(f"dispute {dispute_id} is already {dispute.status}")
    return dispute


def accept_dispute(session: Session, user: Principal, dispute_id: int, body: DisputeAccept) -> DisputePublic:
    dispute = _resolvable(session, user, dispute_id)
    chosen = body.verdict or (Verdict(dispute.proposed_verdict) if dispute.proposed_verdict else None)
    if chosen is None:
        raise Invalid("the rep proposed no verdict: say which verdict stands", loc=["body", "verdict"])
    row, item = _item_row(session, user, dispute.call_id, dispute.item_id)
    apply_override(
        session, user, row, item, OverrideCreate(verdict=chosen, comment=body.comment),
        source=ReviewSource.dispute_accepted, dispute_id=dispute.id,
    )
    _close(session, user, dispute, DisputeStatus.accepted, chosen.value, body.comment)
    return _publics(session, [dispute], DEFAULT_THRESHOLD)[0]


def reject_dispute(session: Session, user: Principal, dispute_id: int, body: DisputeReject) -> DisputePublic:
    dispute = _resolvable(session, user, dispute_id)
    row, item = _item_row(session, user, dispute.call_id, dispute.item_id)
    now = utcnow()
    # The verdict the rep disputed stands: a human judgement that agrees with it.
    session.add(VerdictReview(
        org_id=row.org_id, team_id=row.team_id, rep_id=row.rep_id, call_id=row.call_id, item_id=item.item_id,
        kind=row.kind, source=ReviewSource.dispute_rejected.value, machine_verdict=item.machine_verdict,
        verdict=item.verdict, comment=body.reason, by=user.user_id, at=now, dispute_id=dispute.id,
    ))  # fmt: skip
    _close(session, user, dispute, DisputeStatus.rejected, item.verdict, body.reason)
    return _publics(session, [dispute], DEFAULT_THRESHOLD)[0]


def _close(session: Session, user: Principal, dispute: Dispute, status: DisputeStatus, verdict: str, text: str) -> None:
    now = utcnow()
    dispute.status = status.value
    dispute.resolved_by = user.user_id
    dispute.resolved_at = now
    dispute.resolution_verdict = verdict
    dispute.resolution_reason = text
    session.add(DisputeEvent(dispute_id=dispute.id, action=status.value, by=user.user_id, at=now, verdict=verdict,
                             comment=text))  # fmt: skip
    session.flush()


# -- the queue -----------------------------------------------------------------------------------


def list_disputes(
    session: Session, user: Principal, *, status: DisputeStatus | None, team_id: int | None, rep_id: int | None,
    item_id: str | None, kind: KindFilter, threshold: float, limit: int, cursor: str | None,
    reviewer_id: int | None = None,
) -> tuple[list[DisputePublic], str | None]:
    """Open disputes first, those on calls scoring under `threshold` first among them, then oldest first."""
    below = case(
        (ScorecardRow.score.is_(None), 1), (ScorecardRow.score < threshold, 0), else_=1
    )
    unreviewed = case((Dispute.status == DisputeStatus.open.value, 0), else_=1)
    query = (
        select(Dispute)
        .outerjoin(ScorecardRow, ScorecardRow.call_id == Dispute.call_id)
        .where(visible(user, Dispute.org_id, Dispute.team_id, Dispute.rep_id))
    )
    if status is not None:
        query = query.where(Dispute.status == status.value)
    query = paging.placed(query, Dispute, rep_id=rep_id, team_id=team_id, kind=kind)
    if item_id is not None:
        query = query.where(Dispute.item_id == item_id)
    if reviewer_id is not None:
        query = query.where(Dispute.assigned_to == reviewer_id)
    # The order mixes a computed rank with time, so the cursor is a position in it.
    offset = int(paging.decode(cursor, "offset")["offset"]) if cursor else 0
    rows = list(session.scalars(
        query.order_by(unreviewed, below, Dispute.raised_at, Dispute.id).offset(max(offset, 0)).limit(limit + 1)
    ))  # fmt: skip
    more = len(rows) > limit
    rows = rows[:limit]
    return _publics(session, rows, threshold), paging.encode(offset=offset + limit) if more else None


def _publics(session: Session, disputes: list[Dispute], threshold: float) -> list[DisputePublic]:
    if not disputes:
        return []
    ids = [d.id for d in disputes]
    call_ids = {d.call_id for d in disputes}
    events: dict[int, list[DisputeEvent]] = {i: [] for i in ids}
    for event in session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_id.in_(ids)).order_by(DisputeEvent.id)):
        events[event.dispute_id].append(event)
    people = {e.by for evs in events.values() for e in evs} | {d.rep_id for d in disputes}
    people |= {e.assignee for evs in events.values() for e in evs if e.assignee is not None}
    people |= {d.assigned_to for d in disputes if d.assigned_to is not None}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(people))).all())
    calls = {c.id: c for c in session.scalars(select(Call).where(Call.id.in_(call_ids)))}
    scores = dict(session.execute(select(ScorecardRow.call_id, ScorecardRow.score).where(ScorecardRow.call_id.in_(call_ids))).all())
    titles = item_titles()
    out = []
    for d in disputes:
        score = scores.get(d.call_id)
        out.append(DisputePublic(
            id=d.id, call_id=d.call_id, call_title=call_title(calls[d.call_id]) if d.call_id in calls else "",
            rep_id=d.rep_id, rep_name=names.get(d.rep_id), team_id=d.team_id, item_id=d.item_id,
            item_title=titles.get(d.item_id, d.item_id), kind=d.kind, machine_verdict=Verdict(d.machine_verdict),
            disputed_verdict=Verdict(d.disputed_verdict),
            proposed_verdict=Verdict(d.proposed_verdict) if d.proposed_verdict else None, comment=d.comment,
            status=DisputeStatus(d.status), raised_by=d.raised_by, raised_at=d.raised_at, resolved_by=d.resolved_by,
            resolved_at=d.resolved_at,
            resolution_verdict=Verdict(d.resolution_verdict) if d.resolution_verdict else None,
            resolution_reason=d.resolution_reason, assigned_to=d.assigned_to,
            assigned_to_name=names.get(d.assigned_to) if d.assigned_to is not None else None,
            assigned_at=d.assigned_at, call_score=score,
            below_threshold=score is not None and score < threshold,
            events=[
                DisputeEventPublic(action=e.action, by=e.by, by_name=names.get(e.by), at=e.at,  # type: ignore[arg-type]
                                   verdict=Verdict(e.verdict) if e.verdict else None, comment=e.comment,
                                   assignee=e.assignee,
                                   assignee_name=names.get(e.assignee) if e.assignee is not None else None)
                for e in events[d.id]
            ],
        ))  # fmt: skip
    return out


def open_disputes_for_call(session: Session, user: Principal, call_id: int) -> dict[str, DisputePublic]:
    """The latest dispute per item of one call (the scorecard page shows them beside the items)."""
    rows = list(session.scalars(
        select(Dispute)
        .where(Dispute.call_id == call_id, visible(user, Dispute.org_id, Dispute.team_id, Dispute.rep_id))
        .order_by(Dispute.id)
    ))  # fmt: skip
    latest: dict[str, Dispute] = {}
    for row in rows:
        latest[row.item_id] = row
    return {p.item_id: p for p in _publics(session, list(latest.values()), DEFAULT_THRESHOLD)}
