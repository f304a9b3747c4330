"""`ask_once`: one commercial ask; no repeat after a soft answer (paperwork after a yes is fine)."""

from __future__ import annotations

from enum import StrEnum

from coach.checks.context import CallContext, TurnView, is_backchannel
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import detector
from coach.rubric.params import AskOnceParams
from coach.scorecard import Evidence, Verdict
from coach.text.lines import LineHit
from coach.transcript import Role


class Answer(StrEnum):
    yes = "yes"
    soft = "soft"
    none = "none"


def classify_answer(replies: list[TurnView]) -> tuple[Answer, TurnView | None, LineHit | None]:
    """The customer's answer to an ask, from their turns before the next ask. A hedge beats a yes."""
    for view in replies:
        if view.signals.soft_answer:
            return Answer.soft, view, view.signals.soft_answer[0]
    for view in replies:
        if view.signals.yes_answer:
            return Answer.yes, view, view.signals.yes_answer[0]
    return Answer.none, None, None


def immediate_reply(ctx: CallContext, ask: TurnView, until: int) -> list[TurnView]:
    """The customer's answer to an ask: their turns right after it, up to the seller's next real turn.

    Later customer turns answer other things ("yes, Ahmed would love that" agrees to a
    session, not to the purchase), so they do not count as the answer to this ask.
    """
    reply: list[TurnView] = []
    for view in ctx.turns[ask.position + 1 : until]:
        if view.role is Role.customer:
            reply.append(view)
        elif view.role is Role.seller and reply and not is_backchannel(ctx, view):
            break
    return reply


@detector("ask_once.v1")
def ask_once(ctx: CallContext, params: AskOnceParams) -> DetectorResult:
    asks: list[tuple[TurnView, LineHit]] = []
    for view, hit in ctx.hits("commercial_ask"):
        if not asks or asks[-1][0] is not view:  # several ask sentences in one turn are one ask
            asks.append((view, hit))
    if not asks:
        return not_applicable("the seller side made no commercial ask")
    # A price put to the customer and answered softly ("That's a chunk. Maybe next year.") is
    # the offer the customer already turned down: an ask after it asks again.
    offered = _price_turned_down(ctx, asks[0][0])
    if offered is not None:
        asks.insert(0, offered)
    details: dict[str, object] = {"asks": len(asks) - (offered is not None), "answers": []}
    answers: list[str] = []
    agreed = False
    violations: list[Evidence] = []
    mode = None
    change_key = ctx.item_key("ask_once.v1", "change_of_mind")
    for (prev_view, prev_hit), (view, hit) in zip(asks, asks[1:]):
        answer, reply_view, reply_hit = classify_answer(immediate_reply(ctx, prev_view, view.position))
        if answer is not Answer.yes and change_key and any(
            change_key in sent.keys
            for turn in ctx.turns[prev_view.position + 1 : view.position]
            if turn.role is Role.customer
            for sent in turn.sentences
        ):
            answer = Answer.yes  # the customer came round on their own; what follows is paperwork
        answers.append(answer.value)
        if answer is Answer.yes:
            agreed = True
        if agreed:
            continue  # paperwork after a yes ("shall I send the order form today?")
        if not violations:
            first = "price offered" if offered is not None and prev_hit is offered[1] else "first commercial ask"
            violations.append(ctx.hit_evidence(prev_view, prev_hit, first))
        if reply_view is not None and reply_hit is not None:
            violations.append(ctx.hit_evidence(reply_view, reply_hit, "soft answer"))
        violations.append(ctx.hit_evidence(view, hit, "asked again"))
        if answer is Answer.soft or mode is None:
            mode = "repeated_after_soft" if answer is Answer.soft else "repeated"
    answers.append(classify_answer(immediate_reply(ctx, asks[-1][0], len(ctx.turns)))[0].value)
    details["answers"] = answers
    heard = {"yes": "a yes", "soft": "a soft answer", "none": "no clear answer"}
    told = ", then ".join(heard[a] for a in answers)
    count = len(asks) - (offered is not None)
    times = "once" if count == 1 else "twice" if count == 2 else f"{count} times"
    quoted = "quoted a price the customer answered softly, then " if offered is not None else ""
    reason = f"You {quoted}asked {times}; the customer gave {told}."
    if violations:
        return DetectorResult(verdict=Verdict.fail, mode=mode, evidence=violations, details=details, reason=reason, confidence=0.85)
    if offered is not None:
        asks = asks[1:]
    return DetectorResult(
        verdict=Verdict.pass_,
        reason=reason,
        evidence=[ctx.hit_evidence(v, h, "commercial ask" if i == 0 else "after the customer's yes") for i, (v, h) in enumerate(asks)],
        details=details,
    )


def _price_turned_down(ctx: CallContext, first_ask: TurnView) -> tuple[TurnView, LineHit] | None:
    """The last price the seller gave before the first ask, if the customer answered it softly."""
    prices = [(v, h) for v, h in ctx.hits("pricing") if v.position < first_ask.position]
    if not prices:
        return None
    view, hit = prices[-1]
    answer, _, _ = classify_answer(immediate_reply(ctx, view, first_ask.position))
    return (view, hit) if answer is Answer.soft else None
