from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, Field


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
    items: list[ItemRate]


class TeamRollup(BaseModel):
    team_id: int
    since: dt.datetime | None
    until: dt.datetime | None
    group_by: GroupBy
    calls: int
    items: list[ItemRate]
    groups: list[RollupGroup]


class RepProgress(BaseModel):
    rep_id: int
    rep_name: str
    since: dt.datetime | None
    until: dt.datetime | None
    calls: int
    items: list[ItemRate]
    weeks: list[RollupGroup]
