from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.db.models import CallStatus, JobStatus
from coach.transcript import Transcript

MetadataValue = str | int | float | bool | None


class KindFilter(StrEnum):
    """Which calls a listing or roll-up counts: real calls by default, practice on request."""

    upload = "upload"
    roleplay = "roleplay"
    all = "all"


KIND_HELP = "upload (real calls, the default), roleplay (practice) or all."


class CallCreate(BaseModel):
    """JSON upload: the file's text in `content` (any supported format), or a canonical `transcript`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "content": "Priya Shah: Thanks for making time. Your team crossed 85% of its seats last month.\n"
                    "Tom Reed: Yes, we have been adding people fast.",
                    "filename": "acme-qbr.txt",
                    "sellers": ["Priya Shah"],
                    "title": "Acme QBR",
                    "occurred_at": "2026-11-30T15:00:00Z",
                    "metadata": {"crm_opportunity": "OPP-1042"},
                }
            ]
        },
    )

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


_JOB_EXAMPLE = {"id": 12, "kind": "score", "status": "done", "attempts": 1, "error": None}
_CALL_EXAMPLE = {
    "id": 42, "rep_id": 3, "team_id": 1, "uploaded_by": 3, "kind": "upload", "filename": "acme-qbr.vtt",
    "format": "zoom_vtt", "title": "Acme QBR", "sellers": ["Priya Shah"], "metadata": {"crm_opportunity": "OPP-1042"},
    "size_bytes": 18234, "turns": 64, "duration_s": 1830.5, "occurred_at": "2026-11-30T15:00:00Z",
    "created_at": "2026-11-30T16:02:11Z", "status": "scored", "error": None, "job": _JOB_EXAMPLE,
}


class JobPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_JOB_EXAMPLE]})

    id: int
    kind: str = Field(description="score (the heuristic scorecard) or llm (the LLM grader's follow-up, when on)")
    status: JobStatus
    attempts: int
    error: str | None


class CallPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CALL_EXAMPLE]})

    id: int
    rep_id: int
    team_id: int | None
    uploaded_by: int
    kind: str = Field(description="upload (a real call) or roleplay (a practice session)")
    filename: str
    format: str
    title: str = Field(description="The title given at upload, else the file's name without its suffix.")
    sellers: list[str]
    metadata: dict[str, MetadataValue]
    size_bytes: int
    turns: int
    duration_s: float | None
    occurred_at: dt.datetime = Field(description="When the call happened (the upload time when nobody said).")
    created_at: dt.datetime
    status: CallStatus
    error: str | None
    job: JobPublic | None


class CallPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_CALL_EXAMPLE], "next_cursor": None}]})

    items: list[CallPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
