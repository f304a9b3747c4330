from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from coach.scorecard import RubricRef, Scorecard, Verdict


_ITEM = {
    "id": "signal_first_opening", "verdict": "fail", "source": "heuristic", "confidence": 0.9,
    "evidence": [{"turn": 1, "speaker": "Priya Shah", "start_s": 4.0,
                  "quote": "Let me show you our new analytics module.", "note": "product before any signal"}],
    "advice": "Open with what you observed in their account, in their words.", "details": {}, "reason": "",
}
_SCORECARD = {
    "schema_version": 1,
    "call": {"id": "acme-qbr", "source": "acme-qbr.vtt", "format": "zoom_vtt", "duration_s": 1830.5,
             "speakers": [{"id": "priya-shah", "name": "Priya Shah", "role": "seller", "role_confidence": 1.0},
                          {"id": "tom-reed", "name": "Tom Reed", "role": "customer", "role_confidence": 0.92}]},
    "rubric": {"id": "expansion_call", "version": "1.2.0"},
    "motion": "upsell", "trigger": "usage_threshold", "items": [_ITEM], "metrics": {}, "score": 0.0, "warnings": [],
}
_OVERRIDE = {"verdict": "pass", "comment": "The seat figure opens the call; the product comes after.", "by": 2,
             "at": "2026-12-01T11:00:00Z"}
_SCORECARD_PUBLIC = {
    "call_id": 42, "rep_id": 3, "team_id": 1, "occurred_at": "2026-11-30T15:00:00Z",
    "scored_at": "2026-11-30T16:02:13Z", "kind": "upload", "score": 100.0, "machine_score": 0.0, "score_reason": None,
    "rubric": {"id": "expansion_call", "version": "1.2.0"},
    "items": [{"id": "signal_first_opening", "verdict": "pass", "machine_verdict": "fail", "override": _OVERRIDE}],
    "scorecard": _SCORECARD,
}
_SUMMARY = {"call_id": 42, "rep_id": 3, "team_id": 1, "occurred_at": "2026-11-30T15:00:00Z", "kind": "upload",
            "score": 100.0, "machine_score": 0.0, "verdicts": {"signal_first_opening": "pass"}}


class OverrideCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"verdict": "pass", "comment": _OVERRIDE["comment"]}]},
    )

    verdict: Verdict
    comment: str = Field(min_length=1, max_length=4000, description="Why the manager disagrees with the machine.")


class OverridePublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_OVERRIDE]})

    verdict: Verdict
    comment: str
    by: int
    at: dt.datetime


class ReviewedItem(BaseModel):
    id: str
    verdict: Verdict = Field(description="The manager's override when there is one, else the machine verdict.")
    machine_verdict: Verdict
    override: OverridePublic | None


class ScorecardPublic(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SCORECARD_PUBLIC]})

    call_id: int
    rep_id: int
    team_id: int | None
    occurred_at: dt.datetime
    scored_at: dt.datetime
    kind: str = Field(description="upload (a real call) or roleplay (practice)")
    score: float | None = Field(
        description="The score everyone sees: the machine's verdicts with the managers' overrides, weighted by the "
        "rubric; null when nothing could be judged (not scored, never 0)."
    )
    machine_score: float | None = Field(description="The machine's own score, before any override.")
    score_reason: str | None = Field(default=None, description="Why the call was not scored, when `score` is null.")
    rubric: RubricRef
    items: list[ReviewedItem]
    scorecard: Scorecard = Field(description="The machine scorecard as scored, with evidence and advice.")


class ScorecardSummary(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    call_id: int
    rep_id: int
    team_id: int | None
    occurred_at: dt.datetime
    kind: str
    score: float | None = Field(description="Effective score (with overrides); null when not scored.")
    machine_score: float | None
    verdicts: dict[str, Verdict]


class ScorecardPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": "eyJiZWZvcmUiOiA0Mn0"}]})

    items: list[ScorecardSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
