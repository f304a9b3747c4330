"""Sign in with an API key, sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import DbDep
from api.authfail import AuthFailures
from api.db.models import Role
from api.web.auth import Csrf, principal_for_api_key, principal_for_key_id, revoke, set_web_session, web_session
from api.web.routing import PageRoute, safe_next
from api.web.session import WebSession
from api.web.templating import render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/sign-in")
def sign_in_form(
    request: Request,
    next: Annotated[str | None, Query()] = None,
    expired: Annotated[str | None, Query()] = None,
    signed_out: Annotated[str | None, Query()] = None,
) -> Response:
    if web_session(request).key_id is not None and not expired:
        return RedirectResponse(safe_next(next), status_code=303)
    message = "Your session ended; sign in again." if expired else None
    notice = "You are signed out." if signed_out and not expired else None
    return render(
        request, "sign_in.html.j2", {"next": safe_next(next), "error": message, "notice": notice, "title": "Sign in"}
    )


@router.post("/sign-in", dependencies=[Csrf])
def sign_in(
    request: Request,
    db: DbDep,
    api_key: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    if not api_key.strip():
        error = "Enter your API key."
    else:
        failures: AuthFailures = request.app.state.auth_failures
        failures.check(request)  # 429 once this address has failed too often
        user = principal_for_api_key(db, api_key)
        if user is not None:
            set_web_session(request, WebSession.signed_in(user.key_id, user.user_id))
            return RedirectResponse(target, status_code=303)
        failures.record(request)
        error = "That API key was not recognised. Check that you pasted all of it, or ask an admin for a new one."
    return render(
        request, "sign_in.html.j2", {"next": target, "error": error, "notice": None, "title": "Sign in"}, status=401
    )


@router.post("/sign-out", dependencies=[Csrf])
def sign_out(request: Request, db: DbDep) -> Response:
    sid = web_session(request).sid
    if sid is not None:
        revoke(db, sid, request.app.state.settings.session_max_age_s)
    set_web_session(request, WebSession.anonymous())
    return RedirectResponse("/sign-in?signed_out=1", status_code=303)


@router.get("/")
def home(request: Request, db: DbDep) -> Response:
    """Managers and admins land on Team, reps on My calls."""
    session = web_session(request)
    if session.key_id is None:
        return RedirectResponse("/sign-in", status_code=303)
    user = principal_for_key_id(db, session.key_id)
    landing = "/team" if user is not None and user.role in (Role.manager, Role.admin) else "/calls"
    return RedirectResponse(landing, status_code=303)
