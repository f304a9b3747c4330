from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.db.models import CallStatus, JobStatus
from coach.transcript import Transcript

MetadataValue = str | int | float | bool | None


class CallCreate(BaseModel):
    """JSON upload: the file's text in `content` (any supported format), or a canonical `transcript`."""

    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(default=None, description="The transcript file's text, in any supported format.")
    transcript: Transcript | None = Field(default=None, description="A canonical transcript object.")
    filename: str = Field(default="upload.txt", max_length=300)
    format: str | None = Field(default=None, max_length=40, description="Reader to use; detected when omitted.")
    rep_id: int | None = Field(default=None, description="The rep whose call this is; the uploader when omitted.")
    sellers: list[str] = Field(default_factory=list, description="Seller-side speaker names as in the file.")
    title: str | None = Field(default=None, max_length=300)
    occurred_at: dt.datetime | None = Field(default=None, description="When the call took place; upload time when omitted.")
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> "CallCreate":
        if (self.content is None) == (self.transcript is None):
            raise ValueError("give exactly one of 'content' or 'transcript'")
        return self


class JobPublic(BaseModel):
    id: int
    kind: str = Field(description="score (the heuristic scorecard) or llm (the LLM grader's follow-up, when on)")
    status: JobStatus
    attempts: int
    error: str | None


class CallPublic(BaseModel):
    id: int
    rep_id: int
    team_id: int | None
    uploaded_by: int
    kind: str
    filename: str
    format: str
    title: str | None
    sellers: list[str]
    metadata: dict[str, MetadataValue]
    size_bytes: int
    turns: int
    duration_s: float | None
    occurred_at: dt.datetime
    created_at: dt.datetime
    status: CallStatus
    error: str | None
    job: JobPublic | None
