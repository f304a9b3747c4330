"""Database faults as answers instead of bare 500s.

- A value the database cannot hold (`api.db.bounds.UnstorableValue`, a driver's
  `DataError`, a date or number Python cannot convert) is the caller's 422.
- The database unreachable, its disk full or its lock held too long is a 503
  with `Retry-After`: the request may succeed later and nothing was stored.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError, StatementError

from api.db.bounds import UnstorableValue
from api.problems import ApiProblem, problem_response

log = logging.getLogger("coach.api")

RETRY_AFTER_S = 5


def unavailable(detail: str) -> ApiProblem:
    return ApiProblem(
        503, detail, type="urn:coach:problem:unavailable", headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def unstorable(detail: str) -> ApiProblem:
    return ApiProblem(422, detail, type="urn:coach:problem:validation", title="Invalid request")


def _database_down(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc)).lower()
    if "full" in text:
        return "the database's disk is full; nothing was stored, retry later"
    return "the database is unavailable; nothing was stored, retry later"


def problem_for(exc: BaseException) -> ApiProblem | None:
    """The answer for a database fault or an unstorable value; None for anything else (a bug)."""
    if isinstance(exc, OperationalError | InterfaceError):
        log.warning("database unavailable: %s", exc.orig)
        return unavailable(_database_down(exc))
    if isinstance(exc, StatementError) and isinstance(exc.orig, UnstorableValue):
        return unstorable(str(exc.orig))
    if isinstance(exc, UnstorableValue):
        return unstorable(str(exc))
    if isinstance(exc, DataError):
        return unstorable("a value in the request cannot be stored (out of range or not text)")
    if isinstance(exc, OverflowError):
        return unstorable(f"a value in the request is out of range: {exc}")
    return None


def install(app: FastAPI) -> None:
    async def _handle(_request: Request, exc: Exception) -> JSONResponse:
        problem = problem_for(exc)
        if problem is None:
            raise exc  # a bug: the generic handler logs it with a reference
        return problem_response(problem)

    for kind in (StatementError, OverflowError, UnstorableValue):
        app.add_exception_handler(kind, _handle)  # type: ignore[arg-type]
