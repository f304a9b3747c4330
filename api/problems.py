"""Every error leaves the API as RFC 9457 problem details JSON, never HTML or a bare 500."""

from __future__ import annotations

import logging
import uuid
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.store.errors import Conflict, Forbidden, Invalid, NotFound, StoreError, Throttled
from coach.errors import CoachError, TranscriptError

log = logging.getLogger("coach.api")

PROBLEM_JSON = "application/problem+json"


class FieldProblem(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """Raised by routes and dependencies; rendered by the handler below."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[FieldProblem] | None = None,
    ):
        self.problem = Problem(
            type=type, title=title or HTTPStatus(status).phrase, status=status, detail=detail, errors=errors
        )
        self.headers = headers
        super().__init__(detail)


def not_found(what: str, ident: object) -> ApiProblem:
    # The same answer whether the object does not exist or belongs to someone else.
    return ApiProblem(404, f"{what} {ident} not found")


def unauthorized(detail: str) -> ApiProblem:
    return ApiProblem(401, detail, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str) -> ApiProblem:
    return ApiProblem(403, detail)


def invalid(detail: str, *, loc: list[str | int] | None = None) -> ApiProblem:
    errors = [FieldProblem(loc=loc, msg=detail)] if loc else None
    return ApiProblem(422, detail, type="urn:coach:problem:validation", title="Invalid request", errors=errors)


def store_problem(exc: StoreError) -> ApiProblem:
    """The one place a store refusal becomes an HTTP status."""
    kind = {"type": exc.type} if exc.type else {}
    if isinstance(exc, NotFound):
        return ApiProblem(404, exc.detail, **kind)
    if isinstance(exc, Forbidden):
        return ApiProblem(403, exc.detail, **kind)
    if isinstance(exc, Conflict):
        return ApiProblem(409, exc.detail, **kind)
    if isinstance(exc, Throttled):
        return ApiProblem(429, exc.detail, headers={"Retry-After": str(exc.retry_after_s)}, **kind)
    if isinstance(exc, Invalid) and exc.type is None:
        return invalid(exc.detail, loc=exc.loc)
    return ApiProblem(422, exc.detail, **kind)


def _response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        problem.model_dump(exclude_none=True), status_code=problem.status, headers=headers, media_type=PROBLEM_JSON
    )


def problem_response(exc: ApiProblem) -> JSONResponse:
    return _response(exc.problem, exc.headers)


def _loc(loc: tuple[Any, ...]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def _api_problem(_request: Request, exc: ApiProblem) -> JSONResponse:
        return problem_response(exc)

    @app.exception_handler(StoreError)
    async def _store(_request: Request, exc: StoreError) -> JSONResponse:
        return problem_response(store_problem(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        status = exc.status_code
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else _default_detail(status)
        return _response(Problem(title=phrase, status=status, detail=detail), dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [FieldProblem(loc=_loc(e.get("loc", ())), msg=str(e.get("msg", ""))) for e in exc.errors()]
        first = errors[0] if errors else None
        detail = f"{'.'.join(map(str, first.loc))}: {first.msg}" if first else "the request is invalid"
        problem = Problem(
            type="urn:coach:problem:validation", title="Invalid request", status=422, detail=detail, errors=errors
        )
        return _response(problem)

    @app.exception_handler(TranscriptError)
    async def _transcript(_request: Request, exc: TranscriptError) -> JSONResponse:
        return _response(
            Problem(
                type="urn:coach:problem:invalid-transcript",
                title="Unreadable transcript",
                status=422,
                detail=exc.one_line(),
            )
        )

    @app.exception_handler(CoachError)
    async def _coach(_request: Request, exc: CoachError) -> JSONResponse:
        return _response(
            Problem(type="urn:coach:problem:invalid-input", title="Invalid input", status=422, detail=exc.one_line())
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", reference, request.method, request.url.path)
        return _response(
            Problem(
                title="Internal Server Error",
                status=500,
                detail=f"an unexpected error occurred; quote reference {reference} when reporting it",
            )
        )


def _default_detail(status: int) -> str:
    return {
        404: "no such resource",
        405: "method not allowed on this resource",
    }.get(status, HTTPStatus(status).description if status in HTTPStatus._value2member_map_ else "error")
