"""The scorecard: the product's output contract.

Managers' tools and the evaluation scripts read this JSON. Field names listed
in the scorecard contract (issue 3) never change; new fields may be added.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.transcript import Role

SCHEMA_VERSION = 1


class Verdict(StrEnum):
    pass_ = "pass"
    fail = "fail"
    not_applicable = "not_applicable"


class VerdictSource(StrEnum):
    heuristic = "heuristic"
    llm = "llm"
    both = "both"


class Motion(StrEnum):
    upsell = "upsell"
    cross_sell = "cross_sell"
    none = "none"


class Trigger(StrEnum):
    usage_threshold = "usage_threshold"
    exec_sponsor_change = "exec_sponsor_change"
    renewal_window = "renewal_window"
    none = "none"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    turn: int
    speaker: str  # display name of the speaker
    start_s: float | None = None
    quote: str  # verbatim from the transcript
    note: str = ""


class ItemResult(_Model):
    id: str
    verdict: Verdict
    source: VerdictSource = VerdictSource.heuristic
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    advice: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""  # why the verdict (always set for not_applicable)


class SpeakerInfo(_Model):
    id: str
    name: str
    role: Role
    role_confidence: float


class CallInfo(_Model):
    id: str | None = None
    source: str | None = None
    format: str
    duration_s: float | None = None
    speakers: list[SpeakerInfo]


class RubricRef(_Model):
    id: str
    version: str


class Scorecard(_Model):
    schema_version: int = SCHEMA_VERSION
    call: CallInfo
    rubric: RubricRef
    motion: Motion = Motion.none
    trigger: Trigger = Trigger.none
    items: list[ItemResult]
    metrics: dict[str, Any] = Field(default_factory=dict)
    score: float | None = Field(default=None, ge=0, le=100)
    warnings: list[str] = Field(default_factory=list)

    def item(self, item_id: str) -> ItemResult:
        for result in self.items:
            if result.id == item_id:
                return result
        raise KeyError(item_id)
