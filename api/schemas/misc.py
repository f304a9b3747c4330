from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from coach.scorecard import CallType


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
    grader: str = Field(default="heuristic", description="heuristic, llm or both: who judges the item.")
    question: str | None = Field(default=None, description="For a question the LLM answers (grader llm): the question.")


class RubricPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": "expansion_call", "version": "1.2.0", "title": "Expansion call",
                 "call_types": ["expansion", "unknown", "not_sales"],
                 "items": [{"id": "signal_first_opening", "title": "Signal-first opening"},
                           {"id": "ask_once", "title": "Ask once"}]}
            ]
        }
    )

    id: str
    version: str
    title: str | None = None
    call_types: list[CallType] = Field(
        default=[], description="The kinds of call this rubric scores when the uploader names none (the call-type gate)."
    )
    items: list[RubricItemPublic]
