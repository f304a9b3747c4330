from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "database": "ok", "workers": 2, "queue": "in-process"},
        {"status": "ready", "database": "ok", "workers": 0, "queue": "procrastinate", "queue_workers": 3, "queue_waiting": 12},
    ]})

    status: str
    database: str
    workers: int  # job workers in this process
    queue: str  # "in-process" (SQLite) or "procrastinate" (PostgreSQL)
    # PostgreSQL: worker processes with a fresh heartbeat, on any machine, and jobs waiting.
    queue_workers: int | None = None
    queue_waiting: int | None = None


class RubricItemPublic(BaseModel):
    id: str
    title: str | None = None


class RubricPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "expansion_call", "version": "1.2.0", "title": "Expansion call",
                 "items": [{"id": "signal_first_opening", "title": "Signal-first opening"},
                           {"id": "ask_once", "title": "Ask once"}]}
            ]
        }
    )

    id: str
    version: str
    title: str | None = None
    items: list[RubricItemPublic]
