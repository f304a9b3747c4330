"""Storing machine scorecards, reading them with overrides beside, listing and exporting."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, delete, exists, insert, select
from sqlalchemy.orm import Session

from api.access import visible
from api.db.bounds import INT_MAX
from api.db.models import Call, ReviewSource, Role, ScorecardItemRow, ScorecardRow, VerdictReview, utcnow
from api.principal import Principal
from api.store.errors import Forbidden, Invalid, NotFound
from api.schemas.calls import KindFilter
from api.store import paging
from api.schemas.scorecards import (
    OverrideCreate,
    OverridePublic,
    ReviewedItem,
    ScorecardPublic,
    ScorecardSummary,
)
from api.store.effective import HumanVerdict, effective_score, effective_scorecard
from coach.scorecard import Scorecard, Verdict


def week_of(moment: dt.datetime) -> dt.date:
    day = moment.astimezone(dt.UTC).date()
    return day - dt.timedelta(days=day.weekday())


def save_scorecard(session: Session, call: Call, scorecard: Scorecard) -> ScorecardRow:
    """Store (or replace, when a job is re-run) the machine scorecard of a call."""
    session.execute(delete(ScorecardRow).where(ScorecardRow.call_id == call.id))
    # Scorecards and their item rows carry the same call placement, denormalised for roll-ups.
    placement = dict(
        call_id=call.id,
        org_id=call.org_id,
        team_id=call.team_id,
        rep_id=call.rep_id,
        occurred_at=call.occurred_at,
        week=week_of(call.occurred_at),
        kind=call.kind,
    )
    row = ScorecardRow(
        **placement,
        score=scorecard.score,
        machine_score=scorecard.score,
        rubric_id=scorecard.rubric.id,
        rubric_version=scorecard.rubric.version,
        body=scorecard.model_dump_json(),
    )
    session.add(row)
    session.flush()
    if scorecard.items:  # one executemany: a dozen ORM objects cost the job more CPU than the insert
        session.execute(
            insert(ScorecardItemRow),
            [
                dict(scorecard_id=row.id, **placement, item_id=item.id, machine_verdict=item.verdict.value,
                     verdict=item.verdict.value)
                for item in scorecard.items
            ],
        )
    return row


def update_machine_scorecard(session: Session, call_id: int, scorecard: Scorecard) -> bool:
    """Replace a stored call's machine scorecard by a revised one (the LLM grader's merge),
    keeping every manager override: an overridden item keeps the manager's verdict, with the
    new machine verdict beside it. False when the call has no stored scorecard (deleted)."""
    row = session.scalars(select(ScorecardRow).where(ScorecardRow.call_id == call_id).with_for_update()).one_or_none()
    if row is None:
        return False
    row.body = scorecard.model_dump_json()
    row.machine_score = scorecard.score
    # A rescoring may be against another rubric version, which may have dropped items.
    row.rubric_id, row.rubric_version = scorecard.rubric.id, scorecard.rubric.version
    stored = {
        item.item_id: item
        for item in session.scalars(
            select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id).with_for_update()
        )
    }
    judged = {result.id for result in scorecard.items}
    for item_id in [item_id for item_id in stored if item_id not in judged]:
        session.delete(stored.pop(item_id))
    for result in scorecard.items:
        item = stored.get(result.id)
        if item is None:  # an item only the LLM judged
            session.add(ScorecardItemRow(
                scorecard_id=row.id, call_id=row.call_id, org_id=row.org_id, team_id=row.team_id,
                rep_id=row.rep_id, occurred_at=row.occurred_at, week=row.week, kind=row.kind, item_id=result.id,
                machine_verdict=result.verdict.value, verdict=result.verdict.value,
            ))  # fmt: skip
            continue
        item.machine_verdict = result.verdict.value
        item.verdict = item.override_verdict or result.verdict.value
    row.score = effective_score(scorecard, _humans(stored.values()))
    return True


def _humans(items) -> dict[str, HumanVerdict]:  # type: ignore[no-untyped-def]
    return {
        i.item_id: HumanVerdict(Verdict(i.override_verdict), i.override_comment or "")
        for i in items
        if i.override_verdict is not None
    }


def _visible_scorecard(session: Session, user: Principal, call_id: int) -> ScorecardRow:
    row = session.scalars(
        select(ScorecardRow).where(
            ScorecardRow.call_id == call_id,
            visible(user, ScorecardRow.org_id, ScorecardRow.team_id, ScorecardRow.rep_id),
        )
    ).one_or_none()
    if row is None:
        raise NotFound("scorecard for call", call_id)
    return row


def get_scorecard(session: Session, user: Principal, call_id: int) -> ScorecardPublic:
    row = _visible_scorecard(session, user, call_id)
    items = session.scalars(
        select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id).order_by(ScorecardItemRow.id)
    ).all()
    return _public(row, items)


def shown_scorecard(public: ScorecardPublic) -> Scorecard:
    """The scorecard with the managers' verdicts in place (what the downloads draw)."""
    humans = {i.id: HumanVerdict(i.override.verdict, i.override.comment) for i in public.items if i.override}
    return effective_scorecard(public.scorecard, humans)


def _public(row: ScorecardRow, items: list[ScorecardItemRow] | tuple[ScorecardItemRow, ...]) -> ScorecardPublic:
    return _published(row, Scorecard.model_validate_json(row.body), [_reviewed(item) for item in items])


def saved_public(row: ScorecardRow, scorecard: Scorecard) -> ScorecardPublic:
    """What `save_scorecard` just stored (no manager has reviewed it yet), from the scorecard in
    hand instead of its stored JSON read back."""
    reviewed = [ReviewedItem(id=i.id, verdict=i.verdict, machine_verdict=i.verdict, override=None) for i in scorecard.items]
    return _published(row, scorecard, reviewed)


def _published(row: ScorecardRow, scorecard: Scorecard, items: list[ReviewedItem]) -> ScorecardPublic:
    return ScorecardPublic(
        call_id=row.call_id,
        rep_id=row.rep_id,
        team_id=row.team_id,
        occurred_at=row.occurred_at,
        scored_at=row.created_at,
        kind=row.kind,
        score=row.score,
        machine_score=row.machine_score,
        score_reason=_score_reason(scorecard),
        rubric=scorecard.rubric,
        items=items,
        scorecard=scorecard,
    )


def _score_reason(scorecard: Scorecard) -> str | None:
    if scorecard.score is not None:
        return None
    # The scorer says why when it has a field for it; otherwise the warnings do.
    reason = getattr(scorecard, "score_reason", None)
    if isinstance(reason, str) and reason:
        return reason
    return "; ".join(scorecard.warnings) or "no item could be judged"


def _reviewed(item: ScorecardItemRow) -> ReviewedItem:
    override = None
    if item.override_verdict is not None:
        override = OverridePublic(
            verdict=Verdict(item.override_verdict),
            comment=item.override_comment or "",
            by=item.override_by or 0,
            at=item.override_at or utcnow(),
        )
    return ReviewedItem(
        id=item.item_id, verdict=Verdict(item.verdict), machine_verdict=Verdict(item.machine_verdict), override=override
    )


def set_override(
    session: Session, user: Principal, call_id: int, item_id: str, body: OverrideCreate | None
) -> ScorecardPublic:
    """Override one item's verdict (or clear the override with `body=None`)."""
    row = _visible_scorecard(session, user, call_id)
    if user.role is Role.rep:
        raise Forbidden("only a manager or an admin may override a verdict")
    item = session.scalars(
        select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id, ScorecardItemRow.item_id == item_id)
    ).one_or_none()
    if item is None:
        raise NotFound(f"item {item_id!r} on the scorecard of call", call_id)
    apply_override(session, user, row, item, body, source=ReviewSource.override)
    items = session.scalars(
        select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id).order_by(ScorecardItemRow.id)
    ).all()
    return _public(row, items)


def apply_override(
    session: Session, user: Principal, row: ScorecardRow, item: ScorecardItemRow, body: OverrideCreate | None, *,
    source: ReviewSource, dispute_id: int | None = None,
) -> None:
    """Set or clear one item's override, re-score the card, and keep the judgement for calibration."""
    now = utcnow()
    if body is None:
        if item.override_verdict is None:
            return  # nothing to clear, nothing to record
        item.override_verdict = item.override_comment = item.override_by = item.override_at = None
        item.verdict = item.machine_verdict
    else:
        item.override_verdict = body.verdict.value
        item.override_comment = body.comment
        item.override_by = user.user_id
        item.override_at = now
        item.verdict = body.verdict.value
    session.add(VerdictReview(
        org_id=row.org_id, team_id=row.team_id, rep_id=row.rep_id, call_id=row.call_id, item_id=item.item_id,
        kind=row.kind, source=(ReviewSource.override_cleared if body is None else source).value,
        machine_verdict=item.machine_verdict, verdict=None if body is None else body.verdict.value,
        comment="" if body is None else body.comment, by=user.user_id, at=now, dispute_id=dispute_id,
    ))  # fmt: skip
    session.flush()
    stored = session.scalars(select(ScorecardItemRow).where(ScorecardItemRow.scorecard_id == row.id)).all()
    row.score = effective_score(Scorecard.model_validate_json(row.body), _humans(stored))
    session.flush()


# -- listing ------------------------------------------------------------------------------


@dataclass
class ScorecardFilter:
    rep_id: int | None = None
    team_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    item: str | None = None
    verdict: Verdict | None = None
    kind: KindFilter = KindFilter.upload


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["before"]
        if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= INT_MAX:
            raise TypeError  # a forged or foreign cursor; ours only ever hold a row id
        return value
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise Invalid("cursor is not one this API returned", loc=["query", "cursor"]) from None


def _query(user: Principal, flt: ScorecardFilter) -> Select[tuple[ScorecardRow]]:
    if flt.verdict is not None and flt.item is None:
        raise Invalid("verdict filters one item: give item as well", loc=["query", "verdict"])
    query = select(ScorecardRow).where(visible(user, ScorecardRow.org_id, ScorecardRow.team_id, ScorecardRow.rep_id))
    query = paging.placed(query, ScorecardRow, rep_id=flt.rep_id, team_id=flt.team_id, kind=flt.kind)
    if flt.since is not None:
        query = query.where(ScorecardRow.occurred_at >= flt.since)
    if flt.until is not None:
        query = query.where(ScorecardRow.occurred_at < flt.until)
    if flt.item is not None:
        match = (ScorecardItemRow.scorecard_id == ScorecardRow.id) & (ScorecardItemRow.item_id == flt.item)
        if flt.verdict is not None:
            match = match & (ScorecardItemRow.verdict == flt.verdict.value)
        query = query.where(exists().where(match))
    return query.order_by(ScorecardRow.id.desc())


def _verdicts(session: Session, ids: list[int]) -> dict[int, dict[str, Verdict]]:
    found: dict[int, dict[str, Verdict]] = {i: {} for i in ids}
    if ids:
        rows = session.execute(
            select(ScorecardItemRow.scorecard_id, ScorecardItemRow.item_id, ScorecardItemRow.verdict)
            .where(ScorecardItemRow.scorecard_id.in_(ids))
            .order_by(ScorecardItemRow.id)
        )
        for scorecard_id, item_id, verdict in rows:
            found[scorecard_id][item_id] = Verdict(verdict)
    return found


def _summaries(session: Session, rows: list[ScorecardRow]) -> list[ScorecardSummary]:
    verdicts = _verdicts(session, [r.id for r in rows])
    return [
        ScorecardSummary(
            call_id=r.call_id, rep_id=r.rep_id, team_id=r.team_id, occurred_at=r.occurred_at, kind=r.kind,
            score=r.score, machine_score=r.machine_score, verdicts=verdicts[r.id],
        )
        for r in rows
    ]


def list_scorecards(
    session: Session, user: Principal, flt: ScorecardFilter, *, limit: int, cursor: str | None
) -> tuple[list[ScorecardSummary], str | None]:
    query = _query(user, flt)
    if cursor:
        query = query.where(ScorecardRow.id < decode_cursor(cursor))
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return _summaries(session, rows), encode_cursor(rows[-1].id) if more and rows else None


def export_csv(session: Session, user: Principal, flt: ScorecardFilter, *, batch: int = 500) -> Iterator[str]:
    """Every matching scorecard, one row each, one column per rubric item (effective verdicts)."""
    query = _query(user, flt)
    summaries: list[ScorecardSummary] = []
    last: int | None = None
    while True:
        page = query if last is None else query.where(ScorecardRow.id < last)
        rows = list(session.scalars(page.limit(batch)))
        if not rows:
            break
        summaries.extend(_summaries(session, rows))
        last = rows[-1].id
    item_ids: list[str] = []
    for summary in summaries:
        for item_id in summary.verdicts:
            if item_id not in item_ids:
                item_ids.append(item_id)
    out = io.StringIO()
    writer = csv.writer(out)
    # An empty score cell is "not scored" (nothing could be judged), never 0.
    writer.writerow(["call_id", "rep_id", "team_id", "occurred_at", "kind", "score", "machine_score", *item_ids])
    yield _drain(out)
    for s in summaries:
        writer.writerow([
            s.call_id, s.rep_id, s.team_id if s.team_id is not None else "", s.occurred_at.isoformat(), s.kind,
            "" if s.score is None else s.score, "" if s.machine_score is None else s.machine_score, *(s.verdicts[i].value if i in s.verdicts else "" for i in item_ids),
        ])
        yield _drain(out)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text

