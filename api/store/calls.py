"""Uploading, finding and deleting calls."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.access import visible, visible_users
from api.db import Database
from api.db.models import Call, CallBlob, CallStatus, Job, Role, User, utcnow
from api.enqueue import add_job
from api.principal import Principal
from api.store.errors import Forbidden, Invalid, NotFound
from api.reading import ReadUpload
from api.schemas.calls import CallPublic, JobPublic, KindFilter, MetadataValue
from api.store import paging
from coach.transcript import Transcript


class Reader(Protocol):
    """The pipeline's read step as the server runs it (api.reading.UploadReader)."""

    def __call__(
        self, raw: bytes, name: str, format: str | None, sellers: Sequence[str], title: str | None = None
    ) -> ReadUpload: ...

    def adopt(self, transcript: Transcript, name: str, sellers: Sequence[str], title: str | None = None) -> ReadUpload: ...


@dataclass
class Upload:
    """An upload as received, whichever body shape it came in."""

    raw: bytes
    filename: str
    format: str | None = None
    rep_id: int | None = None
    sellers: list[str] = field(default_factory=list)
    title: str | None = None
    occurred_at: dt.datetime | None = None
    metadata: dict[str, MetadataValue] = field(default_factory=dict)
    # The read a front end already made (the web form reads first to ask about roles).
    read_in: ReadUpload | None = None
    # A JSON body's canonical transcript, validated with the request (`raw` is its JSON).
    transcript: Transcript | None = None

    def fingerprint(self) -> str:
        described = json.dumps(
            [self.filename, self.format, self.rep_id, self.sellers, self.title,
             self.occurred_at.isoformat() if self.occurred_at else None, self.metadata],
            sort_keys=True, default=str,
        )
        return hashlib.sha256(described.encode() + b"\0" + self.raw).hexdigest()


@dataclass
class Created:
    call: Call
    job: Job | None
    replayed: bool


def create_call(db: Database, user: Principal, upload: Upload, *, read: Reader, idempotency_key: str | None) -> Created:
    fingerprint = upload.fingerprint() if idempotency_key else None
    if idempotency_key and fingerprint:
        earlier = _by_idempotency_key(db, user, idempotency_key, fingerprint)
        if earlier:
            return earlier
    rep = _resolve_rep(db, user, upload.rep_id)
    # Read before storing: a malformed file is the caller's 422, never a stored failure.
    # The title the uploader gives ("Acme <> Signalroom") is the call's: the read puts it on the
    # transcript (the scorer reads the parties from it).
    if upload.read_in is not None:
        read_in = upload.read_in
    elif upload.transcript is not None:
        read_in = read.adopt(upload.transcript, upload.filename, upload.sellers, upload.title)
    else:
        read_in = read(upload.raw, upload.filename, upload.format, upload.sellers, upload.title)
    call = Call(
        org_id=rep.org_id,
        team_id=rep.team_id,
        rep_id=rep.user_id,
        uploaded_by=user.user_id,
        kind="upload",
        filename=upload.filename,
        format=read_in.format,
        title=upload.title,
        sellers=list(upload.sellers),
        meta=dict(upload.metadata),
        size_bytes=len(upload.raw),
        turns=read_in.turns,
        duration_s=read_in.duration_s,
        occurred_at=upload.occurred_at or utcnow(),
        status=CallStatus.queued,
        idempotency_key=idempotency_key,
        request_hash=fingerprint,
    )
    try:
        with db.write() as session:
            store_call(session, call, upload.raw, read_in.transcript_json)
            job = add_job(session, call.id, call.org_id)
    except IntegrityError:
        # Two retries with one key raced; the first one's insert won.
        if idempotency_key and fingerprint:
            earlier = _by_idempotency_key(db, user, idempotency_key, fingerprint)
            if earlier:
                return earlier
        raise
    return Created(call=call, job=job, replayed=False)


def store_call(session: Session, call: Call, raw: bytes, transcript_json: str) -> None:
    """Insert a new call with its bytes and its read transcript (the JSON the scorer reads)."""
    session.add(call)
    session.flush()
    session.add(CallBlob(call_id=call.id, raw=raw, transcript_json=transcript_json))


def _by_idempotency_key(db: Database, user: Principal, key: str, fingerprint: str) -> Created | None:
    with db.reader() as session:
        call = session.scalars(
            select(Call).where(Call.uploaded_by == user.user_id, Call.idempotency_key == key)
        ).one_or_none()
        if call is None:
            return None
        if call.request_hash != fingerprint:
            raise Invalid(
                "this Idempotency-Key was already used with a different request",
                type="urn:coach:problem:idempotency-key-reused",
            )
        return Created(call=call, job=latest_job(session, call.id), replayed=True)


@dataclass
class _Rep:
    user_id: int
    org_id: int
    team_id: int | None


def _resolve_rep(db: Database, user: Principal, rep_id: int | None) -> _Rep:
    if rep_id is None or rep_id == user.user_id:
        return _Rep(user.user_id, user.org_id, user.team_id)
    with db.reader() as session:
        rep = session.scalars(select(User).where(User.id == rep_id, visible_users(user))).one_or_none()
    if rep is None:
        raise NotFound("user", rep_id)
    return _Rep(rep.id, rep.org_id, rep.team_id)


def latest_job(session: Session, call_id: int) -> Job | None:
    return session.scalars(select(Job).where(Job.call_id == call_id).order_by(Job.id.desc()).limit(1)).first()


def get_visible_call(session: Session, user: Principal, call_id: int) -> Call:
    call = session.scalars(
        select(Call).where(Call.id == call_id, visible(user, Call.org_id, Call.team_id, Call.rep_id))
    ).one_or_none()
    if call is None:
        raise NotFound("call", call_id)
    return call


def stored_transcript_json(session: Session, call_id: int) -> str | None:
    """The transcript's JSON as stored at upload (callers check visibility first)."""
    return session.scalar(select(CallBlob.transcript_json).where(CallBlob.call_id == call_id))


def delete_call(db: Database, user: Principal, call_id: int) -> None:
    with db.write() as session:
        call = get_visible_call(session, user, call_id)
        if not (user.role is Role.admin or call.rep_id == user.user_id):
            raise Forbidden("only the call's rep or an admin may delete it")
        session.delete(call)


def call_title(call: Call) -> str:
    """Every call has a title: the one given at upload, else the file's name without its suffix."""
    if call.title:
        return call.title
    stem = call.filename.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem


def call_public(call: Call, job: Job | None) -> CallPublic:
    return CallPublic(
        id=call.id,
        rep_id=call.rep_id,
        team_id=call.team_id,
        uploaded_by=call.uploaded_by,
        kind=call.kind,
        filename=call.filename,
        format=call.format,
        title=call_title(call),
        sellers=call.sellers,
        metadata=call.meta,
        size_bytes=call.size_bytes,
        turns=call.turns,
        duration_s=call.duration_s,
        occurred_at=call.occurred_at,
        created_at=call.created_at,
        status=CallStatus(call.status),
        error=call.error,
        job=JobPublic(id=job.id, kind=job.kind, status=job.status, attempts=job.attempts, error=job.error) if job else None,
    )


@dataclass
class CallFilter:
    rep_id: int | None = None
    team_id: int | None = None
    kind: KindFilter = KindFilter.upload
    status: CallStatus | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _call_time():  # type: ignore[no-untyped-def]
    # When the call happened; the upload time when nobody said.
    return func.coalesce(Call.occurred_at, Call.created_at)


def page_calls(
    session: Session, user: Principal, flt: CallFilter, *, limit: int, cursor: str | None = None
) -> tuple[list[CallPublic], str | None]:
    """Calls the user may see, most recent call time first, whatever their scoring status."""
    when = _call_time()
    query = select(Call).where(visible(user, Call.org_id, Call.team_id, Call.rep_id))
    query = paging.placed(query, Call, rep_id=flt.rep_id, team_id=flt.team_id, kind=flt.kind)
    if flt.status is not None:
        query = query.where(Call.status == flt.status.value)
    if flt.since is not None:
        query = query.where(when >= flt.since)
    if flt.until is not None:
        query = query.where(when < flt.until)
    if flt.since is not None and flt.until is not None and flt.since >= flt.until:
        raise Invalid("since must be before until", loc=["query", "since"])
    if cursor:
        query = query.where(paging.before_time_and_id(cursor, when, Call.id))
    found = list(session.scalars(query.order_by(when.desc(), Call.id.desc()).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    jobs: dict[int, Job] = {}
    if found:
        for job in session.scalars(select(Job).where(Job.call_id.in_([c.id for c in found])).order_by(Job.id)):
            jobs[job.call_id] = job  # the latest job of each call wins
    last = found[-1] if found else None
    next_cursor = paging.encode(at=last.occurred_at or last.created_at, id=last.id) if more and last else None
    return [call_public(call, jobs.get(call.id)) for call in found], next_cursor


def list_calls(
    session: Session, user: Principal, *, rep_id: int | None = None, limit: int = 100,
    kind: KindFilter = KindFilter.all,
) -> list[CallPublic]:
    """The web pages' history: the first page of `page_calls`."""
    return page_calls(session, user, CallFilter(rep_id=rep_id, kind=kind), limit=limit)[0]
