"""Values the database cannot hold never reach it.

PostgreSQL's `integer` ends at 2**31 - 1 and SQLite's at 2**63 - 1; PostgreSQL
refuses NUL in text and text longer than a `varchar(n)`, where SQLite stores
both. Left alone, the same request is a 500 on one backend and a stored row on
the other. Every column gets one rule, the same on both backends:

- an id (primary key, foreign key, or a copied `*_id` column) outside the
  32-bit range matches no row, so `GET /v1/calls/2147483648` is the 404 of a
  missing call, and a filter `?rep=2**63` finds nothing;
- any other number outside that range, text with NUL or text longer than its
  column raises `UnstorableValue`, which the API answers with a 422 naming the
  column.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, MetaData, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import Column

INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class UnstorableValue(ValueError):
    """A value no column of this type can hold; `str()` names the column and the problem."""


class _IdInteger(TypeDecorator[int]):
    impl = Integer
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            return None  # `= NULL` is true for no row: the answer for an id that cannot exist
        return value


class _CheckedInteger(TypeDecorator[int]):
    impl = Integer
    cache_ok = True

    def __init__(self, column: str):
        super().__init__()
        self.column = column

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            raise UnstorableValue(f"{self.column}: {value} is out of range ({INT_MIN}..{INT_MAX})")
        return value


class _CheckedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def __init__(self, column: str, length: int | None):
        super().__init__()
        self.impl = Text() if length is None else String(length)  # the DDL type, unchanged
        self.column = column
        self.max_length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if isinstance(value, str):
            if "\x00" in value:
                raise UnstorableValue(f"{self.column}: text must not contain NUL characters")
            if self.max_length is not None and len(value) > self.max_length:
                raise UnstorableValue(f"{self.column}: {len(value)} characters, over the {self.max_length}-character limit")
        return value


def _is_id(column: Column[Any]) -> bool:
    return bool(column.primary_key or column.foreign_keys or column.name.endswith("_id") or column.name.endswith("_by"))


def bound_columns(metadata: MetaData) -> None:
    """Give every integer and text column of `metadata` the rule above (the DDL is unchanged)."""
    for table in metadata.tables.values():
        for column in table.columns:
            kind = column.type
            if isinstance(kind, TypeDecorator):
                continue
            if isinstance(kind, Integer):
                column.type = _IdInteger() if _is_id(column) else _CheckedInteger(f"{table.name}.{column.name}")
            elif isinstance(kind, String):  # Text is a String too
                length = kind.length if not isinstance(kind, Text) else None
                column.type = _CheckedText(f"{table.name}.{column.name}", length)
