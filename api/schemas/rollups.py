from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.calls import KindFilter

_NOT_SCORED = "Calls with a null score (nothing could be judged); they count in `calls` but not in the average."
_AVERAGE = "Mean effective score of the scored calls; null when none was scored."


class GroupBy(StrEnum):
    rep = "rep"
    week = "week"


class ItemRate(BaseModel):
    id: str
    passed: int
    failed: int
    not_applicable: int
    pass_rate: float | None = Field(description="passed / (passed + failed); null when neither occurred.")


class RollupGroup(BaseModel):
    rep_id: int | None = None
    rep_name: str | None = None
    week: dt.date | None = Field(default=None, description="Monday of the ISO week.")
    calls: int
    not_scored: int = Field(default=0, description=_NOT_SCORED)
    average_score: float | None = Field(default=None, description=_AVERAGE)
    items: list[ItemRate]


_RATE = {"id": "signal_first_opening", "passed": 6, "failed": 2, "not_applicable": 1, "pass_rate": 0.75}


class TeamRollup(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"team_id": 1, "since": "2026-09-01T00:00:00Z", "until": None, "group_by": "rep", "kind": "upload",
                 "calls": 9, "not_scored": 1, "average_score": 71.4, "items": [_RATE],
                 "groups": [{"rep_id": 3, "rep_name": "Priya Shah", "week": None, "calls": 9, "not_scored": 1,
                             "average_score": 71.4, "items": [_RATE]}]}
            ]
        }
    )

    team_id: int
    since: dt.datetime | None
    until: dt.datetime | None
    group_by: GroupBy
    kind: KindFilter = Field(description="Which calls are counted: upload (real calls, the default), roleplay or all.")
    calls: int
    not_scored: int = Field(description=_NOT_SCORED)
    average_score: float | None = Field(description=_AVERAGE)
    items: list[ItemRate]
    groups: list[RollupGroup]


class RepProgress(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"rep_id": 3, "rep_name": "Priya Shah", "since": None, "until": None, "kind": "upload", "calls": 9,
                 "not_scored": 1, "average_score": 71.4, "items": [_RATE],
                 "weeks": [{"rep_id": None, "rep_name": None, "week": "2026-11-30", "calls": 3, "not_scored": 0,
                            "average_score": 80.0, "items": [_RATE]}]}
            ]
        }
    )

    rep_id: int
    rep_name: str
    since: dt.datetime | None
    until: dt.datetime | None
    kind: KindFilter
    calls: int
    not_scored: int = Field(description=_NOT_SCORED)
    average_score: float | None = Field(description=_AVERAGE)
    items: list[ItemRate]
    weeks: list[RollupGroup]


class PracticeSession(BaseModel):
    call_id: int
    occurred_at: dt.datetime
    score: float | None = Field(description="Null when nothing could be judged (not scored).")


class ScenarioPractice(BaseModel):
    scenario: str
    title: str
    sessions: int
    first_score: float | None = Field(description="The first scored session's score.")
    best_score: float | None
    last_score: float | None
    history: list[PracticeSession] = Field(description="Every finished session, oldest first (the trend).")


_PRACTICE_SESSION = {"call_id": 51, "occurred_at": "2026-12-01T09:10:00Z", "score": 58.3}


class RepPractice(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"rep_id": 3, "rep_name": "Priya Shah", "sessions": 2, "scenarios": [
                    {"scenario": "usage_threshold_upsell", "title": "Usage at 85% of seats", "sessions": 2,
                     "first_score": 58.3, "best_score": 83.3, "last_score": 83.3,
                     "history": [_PRACTICE_SESSION, {"call_id": 57, "occurred_at": "2026-12-02T09:10:00Z", "score": 83.3}]}
                ]}
            ]
        }
    )

    rep_id: int
    rep_name: str
    sessions: int
    scenarios: list[ScenarioPractice]
