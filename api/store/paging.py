"""Listing helpers: opaque cursors for keyset paging (the last row's sort key, base64url
JSON), and the filters every listing of placed rows (calls, scorecards) shares."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_

from api.store.errors import Invalid
from api.schemas.calls import KindFilter


def placed(query: Select, table, *, rep_id: int | None, team_id: int | None, kind: KindFilter) -> Select:  # type: ignore[type-arg,no-untyped-def]
    """Narrow a listing to one rep, one team and a kind of call (never widening the caller's reach)."""
    if rep_id is not None:
        query = query.where(table.rep_id == rep_id)
    if team_id is not None:
        query = query.where(table.team_id == team_id)
    if kind is not KindFilter.all:
        query = query.where(table.kind == kind.value)
    return query


def encode(**key: Any) -> str:
    text = json.dumps(key, default=lambda v: v.isoformat() if isinstance(v, dt.datetime) else str(v), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(cursor: str, *fields: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(value, dict) or sorted(value) != sorted(fields):
            raise TypeError
        return value
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise Invalid("cursor is not one this API returned", loc=["query", "cursor"]) from None


def before_time_and_id(cursor: str, time_col, id_col) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    """Rows after the cursor's row in (time desc, id desc) order."""
    key = decode(cursor, "at", "id")
    try:
        at = dt.datetime.fromisoformat(key["at"])
        last_id = int(key["id"])
    except (TypeError, ValueError):
        raise Invalid("cursor is not one this API returned", loc=["query", "cursor"]) from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return or_(time_col < at, and_(time_col == at, id_col < last_id))


def after_id(cursor: str, id_col) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
    key = decode(cursor, "after")
    if not isinstance(key["after"], int):
        raise Invalid("cursor is not one this API returned", loc=["query", "cursor"])
    return id_col > key["after"]
