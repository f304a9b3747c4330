"""Disputes (a rep contests a verdict; the manager accepts or rejects it) and calibration."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.db.models import DisputeStatus
from api.schemas.calls import KindFilter
from coach.scorecard import Verdict


class DisputeCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"comment": "I asked about their seat count before any product; see turn 3.", "verdict": "pass"}
            ]
        },
    )

    comment: str = Field(min_length=1, max_length=4000, description="Why the verdict is wrong, in the rep's words.")
    verdict: Verdict | None = Field(default=None, description="The verdict the rep believes is right (optional).")


class DisputeAccept(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"verdict": "pass", "comment": "Agreed: the opening cites their usage."}]},
    )

    verdict: Verdict | None = Field(
        default=None, description="The verdict that becomes the override; the rep's proposed verdict when omitted."
    )
    comment: str = Field(min_length=1, max_length=4000, description="Why the manager accepts (shown to the rep).")


class DisputeReject(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "The seat figure came after the product pitch in turn 5."}]},
    )

    reason: str = Field(min_length=1, max_length=4000, description="Why the verdict stands (shown to the rep).")


class DisputeAssign(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reviewer_id": 9, "comment": "Sam coaches this rep; over to him."}]},
    )

    reviewer_id: int = Field(description="A manager of the dispute's team (`GET /v1/users?team=T&role=manager`).")
    comment: str = Field(default="", max_length=4000, description="Why it changes hands (kept in the history).")


class DisputeEventPublic(BaseModel):
    action: Literal["opened", "assigned", "accepted", "rejected"]
    by: int
    by_name: str | None
    at: dt.datetime
    verdict: Verdict | None
    comment: str
    assignee: int | None = Field(default=None, description="`assigned`: the reviewer it was given to.")
    assignee_name: str | None = None


_EVENT = {"action": "opened", "by": 3, "by_name": "Priya Shah", "at": "2026-12-01T10:00:00Z", "verdict": "pass",
          "comment": "I asked about their seat count before any product; see turn 3.", "assignee": None,
          "assignee_name": None}
_ASSIGNED = {"action": "assigned", "by": 3, "by_name": "Priya Shah", "at": "2026-12-01T10:00:00Z", "verdict": None,
             "comment": "the team's manager, by default", "assignee": 8, "assignee_name": "Mia Manager"}
_DISPUTE = {
    "id": 7, "call_id": 42, "call_title": "Acme QBR", "rep_id": 3, "rep_name": "Priya Shah", "team_id": 1,
    "item_id": "signal_first_opening", "item_title": "Signal-first opening", "kind": "upload",
    "machine_verdict": "fail", "disputed_verdict": "fail", "proposed_verdict": "pass",
    "comment": "I asked about their seat count before any product; see turn 3.", "status": "open",
    "raised_by": 3, "raised_at": "2026-12-01T10:00:00Z", "resolved_by": None, "resolved_at": None,
    "resolution_verdict": None, "resolution_reason": None, "assigned_to": 8, "assigned_to_name": "Mia Manager",
    "assigned_at": "2026-12-01T10:00:00Z", "call_score": 58.3, "below_threshold": True, "events": [_EVENT, _ASSIGNED],
}


class DisputePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DISPUTE]})

    id: int
    call_id: int
    call_title: str
    rep_id: int
    rep_name: str | None
    team_id: int | None
    item_id: str
    item_title: str
    kind: str
    machine_verdict: Verdict
    disputed_verdict: Verdict = Field(description="The verdict the rep saw when disputing (an override, if any).")
    proposed_verdict: Verdict | None
    comment: str
    status: DisputeStatus
    raised_by: int
    raised_at: dt.datetime
    resolved_by: int | None
    resolved_at: dt.datetime | None
    resolution_verdict: Verdict | None = Field(description="The verdict that stands after review.")
    resolution_reason: str | None
    assigned_to: int | None = Field(description="The reviewer who decides it; null when the team has no manager.")
    assigned_to_name: str | None
    assigned_at: dt.datetime | None
    call_score: float | None = Field(description="The call's effective score now; null when not scored.")
    below_threshold: bool = Field(description="The call scored under the queue's threshold (reviewed first).")
    events: list[DisputeEventPublic] = Field(description="Every step, oldest first, with who and when.")


class DisputePage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_DISPUTE], "next_cursor": None}]})

    items: list[DisputePublic]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")


# -- calibration -------------------------------------------------------------------------------


class AgreementPoint(BaseModel):
    week: dt.date = Field(description="Monday of the ISO week the judgements were made in.")
    reviewed: int
    agreed: int
    agreement: float | None


class ItemCalibration(BaseModel):
    id: str
    title: str
    reviewed: int = Field(description="Items a manager judged (overrides and resolved disputes; the latest per call).")
    agreed: int = Field(description="Of those, how many kept the machine's verdict.")
    agreement: float | None = Field(description="agreed / reviewed; null when nothing was reviewed.")
    overrides: int
    disputes_accepted: int
    disputes_rejected: int
    weeks: list[AgreementPoint]


_CALIBRATION = {
    "since": "2026-09-01T00:00:00Z", "until": None, "kind": "upload", "reviewed": 2, "agreed": 1, "agreement": 0.5,
    "items": [{"id": "signal_first_opening", "title": "Signal-first opening", "reviewed": 2, "agreed": 1,
               "agreement": 0.5, "overrides": 1, "disputes_accepted": 0, "disputes_rejected": 1,
               "weeks": [{"week": "2026-11-30", "reviewed": 2, "agreed": 1, "agreement": 0.5}]}],
}


class Calibration(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CALIBRATION]})

    since: dt.datetime | None
    until: dt.datetime | None
    kind: KindFilter
    reviewed: int
    agreed: int
    agreement: float | None
    items: list[ItemCalibration]

