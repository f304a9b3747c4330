"""`order.v1`: "A before B" (say the reason for calling before the product)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.checks.phrase import mentions
from coach.checks.result import DetectorResult, not_applicable
from coach.rubric.shapes import OrderParams
from coach.scorecard import Verdict

if TYPE_CHECKING:
    from coach.checks.context import CallContext
    from coach.rubric.schema import RubricItem


def order(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, OrderParams)
    then = mentions(ctx, f"{item.id}.then", params.then)
    if not then:
        return not_applicable("what has to come second never happened, so the order cannot be judged")
    first = mentions(ctx, f"{item.id}.first", params.first)
    if first and first[0].at < then[0].at:
        return DetectorResult(verdict=Verdict.pass_, confidence=0.75,
                              evidence=[first[0].evidence(ctx, "comes first"), then[0].evidence(ctx, "then this")],
                              reason=f"turn {first[0].view.turn.index} comes before turn {then[0].view.turn.index}")  # fmt: skip
    evidence = [then[0].evidence(ctx, "this came first")] + ([first[0].evidence(ctx, "only later")] if first else [])
    late = f"only in turn {first[0].view.turn.index}" if first else "never"
    return DetectorResult(verdict=Verdict.fail, mode="out_of_order", confidence=0.75, evidence=evidence,
                          reason=f"turn {then[0].view.turn.index} came first; what should precede it came {late}")  # fmt: skip
