from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class RescoreRequest(BaseModel):
    """Which of the organisation's scored calls to score again; no filter means all of them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"rubric": "expansion_call", "rubric_version": "1.0.0", "since": "2026-10-01T00:00:00Z", "team": 3}]},
    )

    rubric: str | None = Field(default=None, max_length=100, description="Only calls scored with this rubric (its id, e.g. `expansion_call`).")
    rubric_version: str | None = Field(default=None, max_length=40, description="Only calls scored with this rubric version.")
    since: dt.datetime | None = Field(default=None, description="Only calls that happened at or after this time.")
    until: dt.datetime | None = Field(default=None, description="Only calls that happened before this time.")
    team: int | None = Field(default=None, description="Only this team's calls.")
    dry_run: bool = Field(default=False, description="Count the calls that would be queued, and queue none.")


class RescoreQueued(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"queued": 412, "already_waiting": 3}]})

    queued: int = Field(description="Calls queued for rescoring, behind every upload (with `dry_run`: that would be queued).")
    already_waiting: int = Field(description="Matching calls left alone: a scoring job of theirs is already queued or running.")
