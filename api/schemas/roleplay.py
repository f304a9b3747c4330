"""Role-play request and response bodies; the session state itself stays the role-play layer's model."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.roleplay.facilitator import FacilitatorNote
from coach.roleplay.scenario import Difficulty


_TURNS = [
    {"index": 0, "role": "customer", "text": "Hi, thanks for the time. What did you want to go over?", "source": "script"},
    {"index": 1, "role": "rep", "text": "Your team hit 85% of its seats last month; how is onboarding going?",
     "source": "rep"},
    {"index": 2, "role": "customer", "text": "Busy. We hired twelve people in the last quarter.", "source": "script"},
]
_SESSION = {
    "id": 5, "scenario": "usage_threshold_upsell", "title": "Usage at 85% of seats",
    "persona": {"name": "Nadia Sorensen", "title": "Head of Operations", "company": "Signalroom",
                "difficulty": "normal"},
    "rep_brief": "Signalroom is at 85% of its licensed seats. Find out why before any ask.", "user_id": 3,
    "status": "active", "seed": 7, "difficulty": "hard", "turns": _TURNS, "notes": [], "call_id": None,
    "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:02:00Z",
}


class RoleplaySessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"scenario": "usage_threshold_upsell", "seed": 7}]})

    scenario: str = Field(min_length=1, max_length=200, description="A scenario id from `coach roleplay --list`.")
    seed: int = Field(default=7, description="The same seed and rep lines give the same session.")
    difficulty: Difficulty | None = Field(
        default=None, description="How hard the customer is (easy, normal, hard); default: the scenario's own level."
    )


class RoleplayTurnCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"line": _TURNS[1]["text"]}]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [_SESSION]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"session_id": 5, "rep": _TURNS[1], "customer": _TURNS[2], "notes": [],
                                         "status": "active"}]}
    )

    session_id: int
    rep: TurnPublic
    customer: TurnPublic
    notes: list[FacilitatorNote] = Field(description="The facilitator's interruptions on this line (usually none).")
    status: Literal["active", "ended"]
