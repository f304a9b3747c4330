"""The page route class: session cookie in and out, HTML errors, security headers.

The JSON API's errors are problem details; a person in a browser gets the same
status with a page instead. Nothing here decides access: that stays in the
store functions the pages call, so a page says 404 exactly when the API does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.faults import problem_for
from api.problems import ApiProblem, store_problem
from api.store.errors import StoreError
from api.web.auth import CsrfRejected, SignInRequired
from api.web.session import SessionCodec, WebSession, cookie_name
from api.web.templating import render
from coach.errors import CoachError

log = logging.getLogger("coach.api.web")

# Styles and scripts come from /static only; inline SVG needs no exception.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_FRIENDLY = {
    403: "You can't do that here.",
    404: "This page does not exist, or it is not yours to see.",
    413: "That file is too large.",
    422: "Something in the request could not be used.",
    429: "Too many requests in a short time.",
}


def safe_next(target: str | None) -> str:
    """Only a path on this site: never `//host`, a scheme, or a backslash trick."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target or "\n" in target:
        return "/"
    return target


def error_page(request: Request, status: int, detail: str, *, headers: dict[str, str] | None = None) -> Response:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    response = render(
        request,
        "error.html.j2",
        {"status": status, "title": title, "summary": _FRIENDLY.get(status, title), "detail": detail},
        status=status,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _ensure_session(request: Request) -> None:
    codec: SessionCodec = request.app.state.web_codec
    found = codec.loads(request.cookies.get(cookie_name(request.app.state.settings)))
    request.state.web_session = found or WebSession.anonymous()
    request.state.web_session_dirty = found is None


def finish(request: Request, response: Response) -> Response:
    """Security headers, and the session cookie when it changed."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if getattr(request.state, "web_session_dirty", False):
        settings = request.app.state.settings
        codec: SessionCodec = request.app.state.web_codec
        response.set_cookie(
            cookie_name(settings),
            codec.dumps(request.state.web_session),
            max_age=settings.session_max_age_s,
            path="/",
            secure=settings.cookie_secure,
            httponly=True,
            samesite="lax",
        )
    return response


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            _ensure_session(request)
            try:
                response = await handle(request)
            except SignInRequired as exc:
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                location = f"/sign-in?next={quote(wanted, safe='/')}"
                if exc.message:
                    location += "&expired=1"
                response = RedirectResponse(location, status_code=303)
            except CsrfRejected:
                response = error_page(
                    request, 403, "The form was stale or did not come from this site. Reload the page and try again."
                )
            except (ApiProblem, StoreError) as exc:
                answer = store_problem(exc) if isinstance(exc, StoreError) else exc
                response = error_page(request, answer.problem.status, answer.problem.detail, headers=answer.headers)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = first.get("loc", ())
                if where and where[0] == "path":
                    # /calls/abc names nothing, exactly like /calls/999999.
                    response = error_page(request, 404, "no such page")
                else:
                    field = ".".join(str(p) for p in where[1:]) or "request"
                    response = error_page(request, 422, f"{field}: {first.get('msg', 'invalid')}")
            except StarletteHTTPException as exc:
                response = error_page(request, exc.status_code, str(exc.detail))
            except CoachError as exc:
                response = error_page(request, 422, exc.one_line())
            except Exception as exc:
                problem = problem_for(exc)
                if problem is not None:
                    response = error_page(request, problem.problem.status, problem.problem.detail, headers=problem.headers)
                    return finish(request, response)
                reference = uuid.uuid4().hex[:12]
                log.exception("unhandled page error %s on %s %s", reference, request.method, request.url.path)
                response = error_page(request, 500, f"Something went wrong on our side; quote reference {reference}.")
            return finish(request, response)

        return page_handler
