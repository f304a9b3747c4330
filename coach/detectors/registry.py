"""The bespoke detector registry: detector type name -> small pure function.

A detector takes the analysed call and its item's typed params and returns a
`DetectorResult` (coach/checks/result.py, shared with the general checks); it
never touches spaCy, files or other items' results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from coach.checks.context import CallContext
from coach.checks.result import DetectorResult

P = TypeVar("P", bound=BaseModel)


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


NO_EXPANSION = "no expansion topic (upsell or cross-sell) was raised by the seller side"
