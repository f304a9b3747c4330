"""Upload a call, confirm its sellers, watch it score, read its scorecard, review a verdict."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from api.access import visible_users
from api.db import Database
from api.db.models import CallStatus, Role, User
from api.headers import DOCUMENT_CSP
from api.reading import ReadUpload
from api.deps import DbDep, Principal, ReadSession, SettingsDep
from api.schemas.disputes import DisputeCreate
from api.schemas.scorecards import OverrideCreate
from api.settings import ApiSettings
from api.store import calls as call_store
from api.store import disputes as dispute_store
from api.store import scorecards as scorecard_store
from api.store.queue import check_backlog
from api.store.rollups import rep_progress
from api.store.rubrics import item_titles
from api.web import views
from api.web.auth import Csrf, PageUser
from api.web.drafts import Draft, DraftStore, roles_uncertain, speaker_choices
from api.web.routing import PageRoute
from api.web.templating import render
from coach.errors import TranscriptError
from coach.render import render_html
from coach.render.view import item_anchor
from coach.scorecard import Verdict
from coach.transcript import Transcript

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_FORMATS_HELP = "Plain text, Otter, Zoom or Teams WebVTT, SRT, Gong JSON or our canonical JSON"


def _drafts(request: Request) -> DraftStore:
    return DraftStore(Path(request.app.state.settings.data_dir) / "web-drafts")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _reps(session: Session, user: Principal) -> list[tuple[int, str]]:
    """Whom an upload may be filed under: yourself, or (managers, admins) a rep you can see."""
    if user.role is Role.rep:
        return []
    rows = session.execute(select(User.id, User.name).where(visible_users(user)).order_by(User.name)).all()
    return [(uid, name) for uid, name in rows]


def _upload_page(
    request: Request, session: Session, user: Principal, *,
    error: str | None = None, values: dict[str, str] | None = None, status: int = 200,
) -> Response:
    return render(
        request,
        "upload.html.j2",
        {
            "title": "Upload a call",
            "error": error,
            "values": values or {},
            "formats_help": _FORMATS_HELP,
            "reps": _reps(session, user),
            "idempotency_key": secrets.token_urlsafe(16),
            "max_mb": request.app.state.settings.max_upload_bytes / (1024 * 1024),
        },
        status=status,
    )


@router.get("/upload")
def upload_form(request: Request, user: PageUser, session: ReadSession) -> Response:
    return _upload_page(request, session, user)


def _create(
    request: Request, db: Database, user: Principal, settings: ApiSettings, raw: bytes, filename: str, *,
    sellers: list[str], title: str | None, occurred_at: dt.datetime | None, rep_id: int | None, key: str | None,
    read_in: ReadUpload,
) -> Response:
    check_backlog(db, user.org_id, settings.max_queued_per_org, settings.backlog_retry_after_s)
    created = call_store.create_call(
        db,
        user,
        call_store.Upload(
            raw=raw, filename=filename, sellers=sellers, title=title, occurred_at=occurred_at, rep_id=rep_id,
            read_in=read_in,
        ),
        read=request.app.state.reader,
        idempotency_key=key,
    )
    if not created.replayed:
        request.app.state.jobs.notify()
    return RedirectResponse(f"/calls/{created.call.id}", status_code=303)


@router.post("/upload", dependencies=[Csrf])
async def upload(request: Request, user: PageUser, db: DbDep, settings: SettingsDep) -> Response:
    form = await request.form()
    values = {k: _text(form, k) for k in ("title", "occurred_on", "sellers", "rep_id")}
    values["confirm"] = "on" if _text(form, "confirm") else ""

    def again(error: str, status: int = 422) -> Response:
        with db.reader() as session:
            return _upload_page(request, session, user, error=error, values=values, status=status)

    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return again("Choose a transcript file to upload.")
    raw = await file.read(settings.max_upload_bytes + 1)
    if len(raw) > settings.max_upload_bytes:
        return again(f"That file is over the {settings.max_upload_bytes // (1024 * 1024)} MB limit.", 413)
    try:
        occurred_at = (
            dt.datetime.combine(dt.date.fromisoformat(values["occurred_on"]), dt.time(12), tzinfo=dt.UTC)
            if values["occurred_on"] else None
        )
    except ValueError:
        return again("The call date must be a date like 2026-03-31.")
    try:
        rep_id = int(values["rep_id"]) if values["rep_id"] else None
    except ValueError:
        return again("Choose the rep from the list.")
    sellers = [s.strip() for s in values["sellers"].split(",") if s.strip()]
    filename = Path(file.filename).name[:300] or "upload.txt"
    reader = request.app.state.reader
    try:
        # The one read of this upload: the call is created from it when the roles are clear.
        read_in = await run_in_threadpool(reader, raw, filename, None, sellers, values["title"] or None)
    except TranscriptError as exc:
        return again(f"We could not read that file: {exc.one_line()}")
    transcript = read_in.transcript
    key = _text(form, "idempotency_key")[:200] or None
    if not values["confirm"] and (sellers or not roles_uncertain(transcript)):
        return await run_in_threadpool(
            _create, request, db, user, settings, raw, filename,
            sellers=sellers, title=values["title"] or None, occurred_at=occurred_at, rep_id=rep_id, key=key,
            read_in=read_in,
        )
    draft = Draft(user_id=user.user_id, filename=filename, title=values["title"] or None, occurred_at=occurred_at,
                  rep_id=rep_id, created=dt.datetime.now(dt.UTC).timestamp(), speakers=speaker_choices(transcript),
                  uncertain=roles_uncertain(transcript))
    token = _drafts(request).save(draft, raw)
    return _confirm_page(request, token, draft, key or "")


def _confirm_page(request: Request, token: str, draft: Draft, key: str, error: str | None = None) -> Response:
    return render(
        request,
        "confirm_sellers.html.j2",
        {"title": "Who is the seller?", "draft": token, "filename": draft.filename, "speakers": draft.speakers,
         "uncertain": draft.uncertain, "error": error, "idempotency_key": key},
        status=422 if error else 200,
    )


@router.post("/upload/confirm", dependencies=[Csrf])
async def confirm_sellers(request: Request, user: PageUser, db: DbDep, settings: SettingsDep) -> Response:
    form = await request.form()
    token = _text(form, "draft")
    store = _drafts(request)
    found = store.load(token, user.user_id)
    if found is None:
        with db.reader() as session:
            return _upload_page(request, session, user, status=410,
                                error="That upload waited too long for confirmation; please upload the file again.")
    draft, raw = found
    chosen = [v.strip() for v in form.getlist("sellers") if isinstance(v, str) and v.strip()]
    names = [s.name for s in draft.speakers]
    error = None
    if not chosen:
        error = "Tick at least one speaker on the seller side."
    elif any(name not in names for name in chosen):
        error = "Pick sellers from the speakers listed."
    elif len(set(chosen)) >= len(names):
        error = "Leave at least one speaker on the customer side."
    if error:
        return _confirm_page(request, token, draft, _text(form, "idempotency_key"), error)
    # One read of the kept bytes with the sellers as ticked; the call is created from it.
    try:
        read_in = await run_in_threadpool(request.app.state.reader, raw, draft.filename, None, chosen, draft.title)
    except TranscriptError as exc:  # the bytes read before; only limits changed since would refuse them
        return _confirm_page(request, token, draft, _text(form, "idempotency_key"), f"We could not read that file: {exc.one_line()}")
    response = await run_in_threadpool(
        _create, request, db, user, settings, raw, draft.filename, sellers=chosen, title=draft.title,
        occurred_at=draft.occurred_at, rep_id=draft.rep_id, key=_text(form, "idempotency_key")[:200] or None,
        read_in=read_in,
    )
    store.discard(token)
    return response


@router.get("/calls")
def my_calls(request: Request, user: PageUser, session: ReadSession) -> Response:
    rows = views.my_calls(session, user)
    progress = rep_progress(session, user, user.user_id, None, None)
    trends = views.item_trends(item_titles(), progress.items, progress.weeks)
    return render(
        request,
        "my_calls.html.j2",
        {"title": "My calls", "rows": rows, "progress": progress, "trends": trends, "call_label": views.call_label},
    )


@router.get("/calls/{call_id}")
def call_page(
    request: Request, call_id: int, user: PageUser, session: ReadSession, saved: str | None = None,
    disputed: str | None = None,
) -> Response:
    call = views.load_call(session, user, call_id)
    if call.status is not CallStatus.scored:
        return render(request, "call_pending.html.j2", {"title": views.call_label(call), "call": call})
    return _scorecard_page(request, session, user, call_id, saved=saved, disputed=disputed)


def _scorecard_page(
    request: Request, session: Session, user: Principal, call_id: int, *,
    saved: str | None = None, disputed: str | None = None, form_errors: dict[str, str] | None = None,
    dispute_errors: dict[str, str] | None = None, status: int = 200,
) -> Response:
    view = views.scorecard_view(session, user, call_id)

    def title_of(item_id: str | None) -> str | None:
        return next((i.title for i in view.items if i.result.id == item_id), None) if item_id else None

    return render(
        request,
        "scorecard.html.j2",
        {"title": f"Scorecard: {views.call_label(view.call)}", "view": view,
         "saved": title_of(saved), "disputed": title_of(disputed),
         "form_errors": form_errors or {}, "dispute_errors": dispute_errors or {}, "verdicts": list(Verdict),
         "can_review": user.role is not Role.rep,
         "can_dispute": view.call.rep_id == user.user_id,
         "disputes": dispute_store.open_disputes_for_call(session, user, call_id),
         "call_label": views.call_label(view.call)},
        status=status,
    )


@router.get("/calls/{call_id}/status")
def call_status(call_id: int, user: PageUser, session: ReadSession) -> JSONResponse:
    """What the pending page polls: the call's and its job's status."""
    call = views.load_call(session, user, call_id)
    return JSONResponse(
        {"status": call.status.value, "error": call.error, "attempts": call.job.attempts if call.job else 0},
        headers={"Cache-Control": "no-store"},
    )


@router.get("/calls/{call_id}/scorecard.html")
def download_scorecard(call_id: int, user: PageUser, session: ReadSession) -> Response:
    """The renderer's self-contained page (the verdicts everyone sees), to keep or mail."""
    card = scorecard_store.shown_scorecard(scorecard_store.get_scorecard(session, user, call_id))
    try:
        transcript: Transcript | None = views.load_transcript(session, user, call_id)
    except ValidationError:
        transcript = None
    html = render_html(card, transcript)
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="scorecard-call-{call_id}.html"',
            # The file carries its own inline styles; nothing else may load, run or frame it.
            "Content-Security-Policy": DOCUMENT_CSP,
        },
    )


@router.post("/calls/{call_id}/items/{item_id}/override", dependencies=[Csrf])
async def override_item(request: Request, call_id: int, item_id: str, user: PageUser, db: DbDep) -> Response:
    form = await request.form()
    action = _text(form, "action") or "save"
    body: OverrideCreate | None = None
    if action != "clear":
        try:
            body = OverrideCreate.model_validate({"verdict": _text(form, "verdict"), "comment": _text(form, "comment")})
        except ValidationError as exc:
            message = ("Write a comment saying why the verdict should change." if _bad_field(exc) == "comment"
                       else "Choose pass, fail or not applicable.")
            with db.reader() as session:
                return _scorecard_page(request, session, user, call_id, form_errors={item_id: message}, status=422)
    return await _write_item(db, call_id, item_id, "saved",
                             lambda session: scorecard_store.set_override(session, user, call_id, item_id, body))


def _bad_field(exc: ValidationError) -> str:
    return str(exc.errors()[0]["loc"][0]) if exc.errors() else "comment"


async def _write_item(db: Database, call_id: int, item_id: str, marker: str, write: Callable[[Session], object]) -> Response:
    """Write one item's change, then back to the item on the scorecard with a note of what was done."""

    def apply() -> None:
        with db.write() as session:
            write(session)

    await run_in_threadpool(apply)
    return RedirectResponse(f"/calls/{call_id}?{marker}={quote(item_id)}#{item_anchor(item_id)}", status_code=303)


@router.post("/calls/{call_id}/items/{item_id}/dispute", dependencies=[Csrf])
async def dispute_item(request: Request, call_id: int, item_id: str, user: PageUser, db: DbDep) -> Response:
    form = await request.form()
    try:
        body = DisputeCreate.model_validate({"comment": _text(form, "comment"), "verdict": _text(form, "verdict") or None})
    except ValidationError as exc:
        message = "Say why the verdict is wrong." if _bad_field(exc) == "comment" else "Choose pass, fail or not applicable."
        with db.reader() as session:
            return _scorecard_page(request, session, user, call_id, dispute_errors={item_id: message}, status=422)
    return await _write_item(db, call_id, item_id, "disputed",
                             lambda session: dispute_store.open_dispute(session, user, call_id, item_id, body))
