from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    workers: int


class RubricItemPublic(BaseModel):
    id: str
    title: str | None = None


class RubricPublic(BaseModel):
    id: str
    version: str
    title: str | None = None
    items: list[RubricItemPublic]
