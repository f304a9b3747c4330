"""What the data layer refuses, in its own terms; `api/problems.py` alone turns these into
HTTP problem details, so the store knows nothing of status codes."""

from __future__ import annotations


class StoreError(Exception):
    """A request the store refuses. `type` names the problem kind when it has its own URN."""

    def __init__(self, detail: str, *, type: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.type = type


class NotFound(StoreError):
    # The same answer whether the object does not exist or belongs to someone else.
    def __init__(self, what: str, ident: object):
        super().__init__(f"{what} {ident} not found")


class Forbidden(StoreError):
    """The caller may see the object but not do this to it."""


class Conflict(StoreError):
    """The object's state does not allow this now (already resolved, closed, not failed)."""


class Invalid(StoreError):
    """A value the caller gave is wrong; `loc` names it (e.g. ["query", "since"])."""

    def __init__(self, detail: str, *, loc: list[str | int] | None = None, type: str | None = None):
        super().__init__(detail, type=type)
        self.loc = loc


class Throttled(StoreError):
    """Too much waiting already; the caller may retry after `retry_after_s`."""

    def __init__(self, detail: str, *, retry_after_s: int, type: str | None = None):
        super().__init__(detail, type=type)
        self.retry_after_s = retry_after_s
