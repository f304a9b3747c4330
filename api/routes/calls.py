from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.deps import CurrentUser, DbDep, ReadSession, SettingsDep
from api.limits import too_large
from api.problems import ApiProblem, Problem, invalid
from api.db.models import CallStatus
from api.render import render_scorecard_json
from api.schemas.calls import KIND_HELP, CallCreate, CallPage, CallPublic, KindFilter, MetadataValue
from api.schemas.scorecards import OverrideCreate, ScorecardPublic
from api.store import calls as store
from api.store.queue import check_backlog
from api.store import scorecards as scorecard_store

router = APIRouter(prefix="/v1/calls", tags=["calls"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"model": Problem, "content": {"application/problem+json": {}}} for code in (401, 404, 422, 429)
}
_metadata = TypeAdapter(dict[str, MetadataValue])

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "format": {"type": "string"},
                        "rep_id": {"type": "integer"},
                        "sellers": {"type": "array", "items": {"type": "string"}},
                        "title": {"type": "string"},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "metadata": {"type": "string", "description": "a JSON object"},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/CallCreate"}},
        },
    }
}


@router.post(
    "",
    status_code=201,
    response_model=CallPublic,
    responses={**_PROBLEMS, 413: {"model": Problem}, 415: {"model": Problem}},
    openapi_extra=_UPLOAD_BODY,
)
async def upload_call(
    request: Request,
    response: Response,
    user: CurrentUser,
    db: DbDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> CallPublic:
    """Upload a transcript (multipart `file`, or JSON). It is stored before the answer; scoring runs as a job."""
    # Back-pressure first: an organisation past its backlog bound costs no body parsing or reading.
    await run_in_threadpool(check_backlog, db, user.org_id, settings.max_queued_per_org, settings.backlog_retry_after_s)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        upload = await _from_multipart(request, settings.max_upload_bytes)
    elif content_type.startswith("application/json"):
        upload = _from_json(await request.body())
    else:
        raise ApiProblem(415, "send the transcript as multipart/form-data (field 'file') or as application/json")
    if len(upload.raw) > settings.max_upload_bytes:
        raise too_large(settings.max_upload_bytes)
    # Reading (in a child process) and storing block: keep them off the event loop.
    created = await run_in_threadpool(
        store.create_call, db, user, upload, read=request.app.state.reader, idempotency_key=idempotency_key,
    )
    if not created.replayed:
        request.app.state.jobs.notify()
    else:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/v1/calls/{created.call.id}"
    return store.call_public(created.call, created.job)


def _form_text(form, name: str) -> str | None:  # type: ignore[no-untyped-def]
    value = form.get(name)
    if value is None or isinstance(value, UploadFile):
        return None
    return value.strip() or None


async def _from_multipart(request: Request, max_bytes: int) -> store.Upload:
    async with request.form(max_files=1, max_fields=100) as form:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise invalid("multipart upload needs a 'file' field holding the transcript", loc=["body", "file"])
        raw = await file.read(max_bytes + 1)
        sellers: list[str] = []
        for value in form.getlist("sellers"):
            if isinstance(value, str):
                sellers.extend(s.strip() for s in value.split(",") if s.strip())
        rep = _form_text(form, "rep_id")
        occurred = _form_text(form, "occurred_at")
        metadata_text = _form_text(form, "metadata")
        try:
            rep_id = int(rep) if rep is not None else None
        except ValueError:
            raise invalid("rep_id must be an integer", loc=["body", "rep_id"]) from None
        try:
            occurred_at = dt.datetime.fromisoformat(occurred) if occurred else None
        except ValueError:
            raise invalid("occurred_at must be an ISO 8601 date-time", loc=["body", "occurred_at"]) from None
        try:
            metadata = _metadata.validate_json(metadata_text) if metadata_text else {}
        except ValidationError:
            raise invalid("metadata must be a JSON object of strings, numbers, booleans or nulls", loc=["body", "metadata"]) from None
        return store.Upload(
            raw=raw,
            filename=(file.filename or "upload.txt")[:300],
            format=_form_text(form, "format"),
            rep_id=rep_id,
            sellers=sellers,
            title=_form_text(form, "title"),
            occurred_at=occurred_at,
            metadata=metadata,
        )


def _from_json(body: bytes) -> store.Upload:
    try:
        payload = CallCreate.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ["body", *[p if isinstance(p, int) else str(p) for p in first["loc"]]]
        raise invalid(f"{'.'.join(map(str, loc))}: {first['msg']}", loc=loc) from None
    if payload.transcript is not None:
        # Validated with the body: stored as sent and adopted, never parsed again from `raw`.
        raw, fmt = payload.transcript.to_json(indent=None).encode(), "canonical"
    else:
        raw, fmt = (payload.content or "").encode(), payload.format
    return store.Upload(
        transcript=payload.transcript,
        raw=raw,
        filename=payload.filename,
        format=fmt,
        rep_id=payload.rep_id,
        sellers=payload.sellers,
        title=payload.title,
        occurred_at=payload.occurred_at,
        metadata=payload.metadata,
    )


@router.get("", response_model=CallPage, responses=_PROBLEMS)
def list_calls(
    user: CurrentUser,
    session: ReadSession,
    settings: SettingsDep,
    rep: Annotated[int | None, Query(description="Only this rep's calls.")] = None,
    team: Annotated[int | None, Query(description="Only this team's calls.")] = None,
    kind: Annotated[KindFilter, Query(description=KIND_HELP)] = KindFilter.upload,
    status: Annotated[CallStatus | None, Query(description="Only calls in this scoring status.")] = None,
    since: Annotated[dt.datetime | None, Query(description="Calls that happened on or after this time.")] = None,
    until: Annotated[dt.datetime | None, Query(description="Calls that happened before this time.")] = None,
    limit: Annotated[int, Query(ge=1)] = 50,
    cursor: Annotated[str | None, Query(max_length=500, description="`next_cursor` from the previous page.")] = None,
) -> CallPage:
    """Calls you may see, most recent call time first (`occurred_at`, the upload time when none was given)."""
    flt = store.CallFilter(rep_id=rep, team_id=team, kind=kind, status=status, since=_utc(since), until=_utc(until))
    items, next_cursor = store.page_calls(session, user, flt, limit=min(limit, settings.page_size_max), cursor=cursor)
    return CallPage(items=items, next_cursor=next_cursor)


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.replace(tzinfo=dt.UTC) if moment is not None and moment.tzinfo is None else moment


@router.get("/{call_id}", response_model=CallPublic, responses=_PROBLEMS)
def get_call(call_id: int, user: CurrentUser, session: ReadSession) -> CallPublic:
    """A call with its scoring status and, when scoring failed, the error."""
    call = store.get_visible_call(session, user, call_id)
    return store.call_public(call, store.latest_job(session, call.id))


@router.delete("/{call_id}", status_code=204, responses={**_PROBLEMS, 403: {"model": Problem}})
def delete_call(call_id: int, user: CurrentUser, db: DbDep) -> Response:
    """Delete a call, its upload and its scorecard (the call's rep or an admin)."""
    store.delete_call(db, user, call_id)
    return Response(status_code=204)


class ScorecardFormat(StrEnum):
    json = "json"
    md = "md"
    html = "html"


@router.get(
    "/{call_id}/scorecard",
    response_model=ScorecardPublic,
    responses={**_PROBLEMS, 200: {"content": {"text/markdown": {}, "text/html": {}}}},
)
def get_scorecard(
    request: Request,
    call_id: int,
    user: CurrentUser,
    session: ReadSession,
    format: Annotated[ScorecardFormat, Query(description="json, or md / html for the rendered views")] = ScorecardFormat.json,
) -> ScorecardPublic | Response:
    """The call's scorecard: machine verdicts with evidence, and any manager overrides beside them."""
    if format is ScorecardFormat.json:
        public = scorecard_store.get_scorecard(session, user, call_id)
        return Response(public.model_dump_json(), media_type="application/json")
    public = scorecard_store.get_scorecard(session, user, call_id)
    transcript_json = store.stored_transcript_json(session, call_id)
    text, media_type = request.app.state.reader.run(
        render_scorecard_json, public.model_dump_json(), transcript_json, format.value
    )
    # A download, never a page of this site: HTML gets the sandboxed document policy (api.headers).
    disposition = f'attachment; filename="scorecard-call-{call_id}.{format.value}"'
    return Response(text, media_type=media_type, headers={"Content-Disposition": disposition})


@router.put(
    "/{call_id}/scorecard/items/{item_id}/override",
    response_model=ScorecardPublic,
    responses={**_PROBLEMS, 403: {"model": Problem}},
)
def override_item(call_id: int, item_id: str, body: OverrideCreate, user: CurrentUser, db: DbDep) -> ScorecardPublic:
    """A manager (or admin) overrides one item's verdict with a comment; the machine verdict stays beside it."""
    with db.write() as session:
        return scorecard_store.set_override(session, user, call_id, item_id, body)


@router.delete(
    "/{call_id}/scorecard/items/{item_id}/override",
    response_model=ScorecardPublic,
    responses={**_PROBLEMS, 403: {"model": Problem}},
)
def clear_override(call_id: int, item_id: str, user: CurrentUser, db: DbDep) -> ScorecardPublic:
    """Remove an override: the item's verdict is the machine's again."""
    with db.write() as session:
        return scorecard_store.set_override(session, user, call_id, item_id, None)
