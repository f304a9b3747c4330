"""The detector registry: detector type name -> small pure function.

A detector takes the analysed call and its item's typed params and returns a
`DetectorResult`; it never touches spaCy, files or other items' results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from coach.detectors.context import CallContext
from coach.scorecard import Evidence, Verdict

P = TypeVar("P", bound=BaseModel)


class DetectorResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    mode: str | None = None  # failure mode: picks the item's advice
    evidence: list[Evidence] = Field(default_factory=list)
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""
    confidence: float = Field(default=0.8, ge=0, le=1)
    extra_advice: list[str] = Field(default_factory=list)  # appended to the mode's advice


DetectorFn = Callable[[CallContext, Any], DetectorResult]

REGISTRY: dict[str, DetectorFn] = {}
# Detector types that still mean something when no seller was identified.
WORKS_WITHOUT_SELLER: set[str] = set()


def detector(name: str, *, needs_seller: bool = True) -> Callable[[Callable[[CallContext, P], DetectorResult]], Callable[[CallContext, P], DetectorResult]]:
    def register(fn: Callable[[CallContext, P], DetectorResult]) -> Callable[[CallContext, P], DetectorResult]:
        if name in REGISTRY:
            raise RuntimeError(f"detector {name} registered twice")
        REGISTRY[name] = fn
        if not needs_seller:
            WORKS_WITHOUT_SELLER.add(name)
        return fn

    return register


def not_applicable(reason: str) -> DetectorResult:
    return DetectorResult(verdict=Verdict.not_applicable, reason=reason, confidence=0.7)


NO_EXPANSION = "no expansion topic (upsell or cross-sell) was raised by the seller side"
