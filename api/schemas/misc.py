from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ready", "database": "ok", "workers": 2}]})

    status: str
    database: str
    workers: int


class RubricItemPublic(BaseModel):
    id: str
    title: str | None = None


class RubricPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "expansion_call", "version": "1.1.0", "title": "Expansion call",
                 "items": [{"id": "signal_first_opening", "title": "Signal-first opening"},
                           {"id": "ask_once", "title": "Ask once"}]}
            ]
        }
    )

    id: str
    version: str
    title: str | None = None
    items: list[RubricItemPublic]
