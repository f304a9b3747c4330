"""Role-play request and response bodies; the session state itself stays the role-play layer's model."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.roleplay.facilitator import FacilitatorNote
from coach.roleplay.scenario import Difficulty


class RoleplaySessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str = Field(min_length=1, max_length=200, description="A scenario id from `coach roleplay --list`.")
    seed: int = Field(default=7, description="The same seed and rep lines give the same session.")
    difficulty: Difficulty | None = Field(
        default=None, description="How hard the customer is (easy, normal, hard); default: the scenario's own level."
    )


class RoleplayTurnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line: str = Field(min_length=1, max_length=2000, description="What the rep says.")


class PersonaPublic(BaseModel):
    name: str
    title: str
    company: str
    difficulty: Difficulty


class TurnPublic(BaseModel):
    index: int
    role: Literal["rep", "customer"]
    text: str
    source: Literal["rep", "script", "llm"]


class RoleplaySessionPublic(BaseModel):
    id: int
    scenario: str
    title: str
    persona: PersonaPublic
    rep_brief: str
    user_id: int
    status: Literal["active", "ended", "finished"]
    seed: int
    difficulty: Difficulty = Field(description="The level this session is played at.")
    turns: list[TurnPublic]
    notes: list[FacilitatorNote] = Field(description="The facilitator's interruptions so far.")
    call_id: int | None = Field(description="The scored call once the session is finished.")
    created_at: dt.datetime
    updated_at: dt.datetime


class RoleplayTurnPublic(BaseModel):
    session_id: int
    rep: TurnPublic
    customer: TurnPublic
    notes: list[FacilitatorNote] = Field(description="The facilitator's interruptions on this line (usually none).")
    status: Literal["active", "ended"]
