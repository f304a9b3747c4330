"""`after_answer.v1`: a move that must follow the customer's answer to a question
("recommend only after the customer described their process")."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.checks.phrase import mentions
from coach.checks.result import DetectorResult, not_applicable
from coach.rubric.shapes import AfterAnswerParams
from coach.scorecard import Verdict
from coach.transcript import Role

if TYPE_CHECKING:
    from coach.checks.context import CallContext
    from coach.rubric.schema import RubricItem


def after_answer(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, AfterAnswerParams)
    asked = mentions(ctx, f"{item.id}.question", params.question)
    if not asked:
        return not_applicable("the question this item waits for was never asked")
    question = asked[0]
    # the answer: the customer's first turn after the question
    answer = next((v for v in ctx.turns[question.view.position + 1 :] if v.role is Role.customer), None)
    then = mentions(ctx, f"{item.id}.then", params.then)
    q_evidence = question.evidence(ctx, "the question")
    if answer is not None:
        after = [m for m in then if m.at[0] >= answer.position]  # the answer itself may say it
        if after:
            return DetectorResult(verdict=Verdict.pass_, confidence=0.75,
                                  evidence=[q_evidence, after[0].evidence(ctx, "after the customer's answer")],
                                  reason=f"turn {after[0].view.turn.index} follows the answer in turn {answer.turn.index}")  # fmt: skip
    if then:
        return DetectorResult(verdict=Verdict.fail, mode="before_answer", confidence=0.7,
                              evidence=[q_evidence, then[0].evidence(ctx, "before the customer answered")],
                              reason="said before the customer answered the question")  # fmt: skip
    return DetectorResult(verdict=Verdict.fail, mode="missing", confidence=0.65, evidence=[q_evidence],
                          reason="never followed the customer's answer")  # fmt: skip
