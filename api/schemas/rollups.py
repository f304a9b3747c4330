from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field

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


class TeamRollup(BaseModel):
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
