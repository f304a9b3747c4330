from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from coach.scorecard import RubricRef, Scorecard, Verdict


class OverrideCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    comment: str = Field(min_length=1, max_length=4000, description="Why the manager disagrees with the machine.")


class OverridePublic(BaseModel):
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
    call_id: int
    rep_id: int
    team_id: int | None
    occurred_at: dt.datetime
    kind: str
    score: float | None = Field(description="Effective score (with overrides); null when not scored.")
    machine_score: float | None
    verdicts: dict[str, Verdict]


class ScorecardPage(BaseModel):
    items: list[ScorecardSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
