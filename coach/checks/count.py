"""`count.v1`: at most N mentions (after a soft no, when `after` is given)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.checks.phrase import mentions
from coach.checks.result import DetectorResult, not_applicable
from coach.rubric.shapes import CountParams
from coach.scorecard import Verdict

if TYPE_CHECKING:
    from coach.checks.context import CallContext
    from coach.rubric.schema import RubricItem


def count(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, CountParams)
    found = mentions(ctx, f"{item.id}.phrase", params.phrase)
    evidence = []
    if params.after is not None:
        after = mentions(ctx, f"{item.id}.after", params.after)
        if not after:
            return not_applicable("what the count starts after never happened")
        found = [m for m in found if m.at > after[0].at]
        evidence.append(after[0].evidence(ctx, "counted from here"))
    n = len(found)
    if n > params.max:
        return DetectorResult(verdict=Verdict.fail, mode="too_many", confidence=0.75,
                              evidence=evidence + [m.evidence(ctx, f"{i + 1} of {n}") for i, m in enumerate(found)],
                              reason=f"said {n} times; at most {params.max}")  # fmt: skip
    return DetectorResult(verdict=Verdict.pass_, confidence=0.7, evidence=evidence + [m.evidence(ctx, "counted") for m in found],
                          reason=f"said {n} time(s); at most {params.max}")  # fmt: skip
