"""How often managers agree with the machine, per item and week, and the reviewed calls as a
labelled set `coach eval` reads (so every disagreement becomes a test case).

The record is `verdict_reviews`: every override and every resolved dispute. Per call and
item only the latest judgement counts (a manager who changes their mind is counted once);
a cleared override withdraws the judgement.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import PurePath

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible
from api.db.models import Call, CallBlob, ReviewSource, ScorecardRow, User, VerdictReview
from api.principal import Principal
from api.store.errors import Invalid
from api.schemas.calls import KindFilter
from api.schemas.disputes import AgreementPoint, Calibration, ItemCalibration
from api.store.calls import call_title
from api.store.rubrics import item_titles
from api.store.scorecards import week_of
from coach.callfiles import CALL_SUFFIXES
from coach.scorecard import Scorecard
from coach.transcript import Role as SpeakerRole

LABELS_SUFFIX = ".labels.yaml"


def _window_check(since: dt.datetime | None, until: dt.datetime | None) -> None:
    if since is not None and until is not None and since >= until:
        raise Invalid("since must be before until", loc=["query", "since"])


def current_reviews(
    session: Session, user: Principal, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
    team_id: int | None = None, kind: KindFilter = KindFilter.upload, item_id: str | None = None,
) -> list[VerdictReview]:
    """The latest standing judgement per (call, item) the user may see, made in the window."""
    _window_check(since, until)
    query = select(VerdictReview).where(visible(user, VerdictReview.org_id, VerdictReview.team_id, VerdictReview.rep_id))
    if team_id is not None:
        query = query.where(VerdictReview.team_id == team_id)
    if kind is not KindFilter.all:
        query = query.where(VerdictReview.kind == kind.value)
    if item_id is not None:
        query = query.where(VerdictReview.item_id == item_id)
    latest: dict[tuple[int, str], VerdictReview] = {}
    for review in session.scalars(query.order_by(VerdictReview.id)):
        latest[(review.call_id, review.item_id)] = review
    return [
        r for r in latest.values()
        if r.source != ReviewSource.override_cleared.value and r.verdict is not None
        and (since is None or r.at >= since) and (until is None or r.at < until)
    ]  # fmt: skip


def _rate(agreed: int, reviewed: int) -> float | None:
    return round(agreed / reviewed, 4) if reviewed else None


def calibration(
    session: Session, user: Principal, *, since: dt.datetime | None, until: dt.datetime | None,
    team_id: int | None = None, kind: KindFilter = KindFilter.upload,
) -> Calibration:
    reviews = current_reviews(session, user, since=since, until=until, team_id=team_id, kind=kind)
    titles = item_titles()
    by_item: dict[str, list[VerdictReview]] = defaultdict(list)
    for review in reviews:
        by_item[review.item_id].append(review)
    items = []
    order = list(titles) + sorted(i for i in by_item if i not in titles)
    for item_id in order:
        rows = by_item.get(item_id, [])
        weeks: dict[dt.date, list[VerdictReview]] = defaultdict(list)
        for row in rows:
            weeks[week_of(row.at)].append(row)
        agreed = sum(1 for r in rows if r.verdict == r.machine_verdict)
        items.append(ItemCalibration(
            id=item_id, title=titles.get(item_id, item_id), reviewed=len(rows), agreed=agreed,
            agreement=_rate(agreed, len(rows)),
            overrides=sum(1 for r in rows if r.source == ReviewSource.override.value),
            disputes_accepted=sum(1 for r in rows if r.source == ReviewSource.dispute_accepted.value),
            disputes_rejected=sum(1 for r in rows if r.source == ReviewSource.dispute_rejected.value),
            weeks=[
                AgreementPoint(week=w, reviewed=len(ws), agreed=(a := sum(1 for r in ws if r.verdict == r.machine_verdict)),
                               agreement=_rate(a, len(ws)))
                for w, ws in sorted(weeks.items())
            ],
        ))  # fmt: skip
    agreed = sum(1 for r in reviews if r.verdict == r.machine_verdict)
    return Calibration(
        since=since, until=until, kind=kind, reviewed=len(reviews), agreed=agreed,
        agreement=_rate(agreed, len(reviews)), items=items,
    )


# -- export as labelled calls ------------------------------------------------------------------


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "call"


def _sellers(card: Scorecard, call: Call) -> list[str]:
    named = [s.name for s in card.call.speakers if s.role is SpeakerRole.seller]
    return named or list(call.sellers)


def export_labelled(
    session: Session, user: Principal, *, since: dt.datetime | None, until: dt.datetime | None,
    team_id: int | None = None, kind: KindFilter = KindFilter.upload,
) -> bytes:
    """A zip of `<stem>.<ext>` transcripts with `<stem>.labels.yaml` beside each: every call with a
    standing human judgement; reviewed items carry the manager's verdict, the rest the machine's."""
    reviews = current_reviews(session, user, since=since, until=until, team_id=team_id, kind=kind)
    by_call: dict[int, list[VerdictReview]] = defaultdict(list)
    for review in reviews:
        by_call[review.call_id].append(review)
    people = {r.by for r in reviews}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(people))).all()) if people else {}
    buffer = io.BytesIO()
    notes: list[str] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for call_id in sorted(by_call):
            written = _export_call(session, archive, call_id, by_call[call_id], names)
            notes.append(written)
        archive.writestr("README.md", _readme(notes))  # not .txt: that would read as a call
    return buffer.getvalue()


def _export_call(
    session: Session, archive: zipfile.ZipFile, call_id: int, reviews: Iterable[VerdictReview], names: dict[int, str]
) -> str:
    call = session.get(Call, call_id)
    row = session.scalars(select(ScorecardRow).where(ScorecardRow.call_id == call_id)).one_or_none()
    blob = session.get(CallBlob, call_id)
    if call is None or row is None or blob is None:
        return f"call {call_id}: skipped (deleted or not scored)"
    card = Scorecard.model_validate_json(row.body)
    sellers = _sellers(card, call)
    if not sellers:
        return f"call {call_id}: skipped (no seller was named or found, and labels need one)"
    stem = f"call-{call_id}-{_slug(call_title(call))}"
    suffix = PurePath(call.filename).suffix.lower()
    if suffix in CALL_SUFFIXES and blob.raw:
        archive.writestr(stem + suffix, blob.raw)
    else:
        archive.writestr(stem + ".json", blob.transcript_json)
    reviewed = {r.item_id: r for r in reviews}
    items = {i.id: (reviewed[i.id].verdict if i.id in reviewed else i.verdict.value) for i in card.items}
    lines = [
        f"{r.item_id}: {r.verdict} by {names.get(r.by, f'user {r.by}')} on {r.at.date().isoformat()}"
        f" ({r.source.replace('_', ' ')}; the machine said {r.machine_verdict}): {' '.join(r.comment.split())}"
        for r in reviewed.values()
    ]
    labels = {
        "sellers": sellers,
        "motion": card.motion.value,
        "trigger": card.trigger.value,
        "items": items,
        "notes": f"Exported from call {call_id} ({call_title(call)}). Human-reviewed items: " + "; ".join(lines)
        + ". Other items, motion and trigger are the machine's, unreviewed.",
    }
    archive.writestr(stem + LABELS_SUFFIX, yaml.safe_dump(labels, sort_keys=False, allow_unicode=True, width=100))
    disagreements = sum(1 for r in reviewed.values() if r.verdict != r.machine_verdict)
    return f"{stem}: {len(reviewed)} reviewed item(s), {disagreements} disagreeing with the machine"


def _readme(notes: list[str]) -> str:
    return (
        "Calls a manager reviewed, as a labelled set: run `coach eval .` in this folder.\n"
        "Each <stem>.labels.yaml holds the manager's verdict for the reviewed items and the machine's\n"
        "for the rest, so every mismatch `coach eval` lists is a disagreement to look at.\n\n"
        + ("\n".join(notes) if notes else "No reviewed calls in this selection.") + "\n"
    )
