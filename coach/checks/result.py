"""What a check returns: one verdict with its evidence, shared by the general checks
and the bespoke detectors so scoring reads both the same way."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.scorecard import Evidence, Verdict


class DetectorResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    mode: str | None = None  # failure mode: picks the item's advice
    evidence: list[Evidence] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
    confidence: float = Field(default=0.8, ge=0, le=1)
    extra_advice: list[str] = Field(default_factory=list)  # appended to the mode's advice


def not_applicable(reason: str) -> DetectorResult:
    return DetectorResult(verdict=Verdict.not_applicable, reason=reason, confidence=0.7)
