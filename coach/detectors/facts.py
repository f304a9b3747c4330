"""Call-level facts: the expansion motion, the trigger the call rests on, and how the customer works today."""

from __future__ import annotations

from coach.checks.context import CallContext, TurnView
from coach.scorecard import Evidence, Motion, Trigger
from coach.text.lines import SentenceInfo
from coach.transcript import Role


def detect_motion(ctx: CallContext) -> tuple[Motion, list[Evidence]]:
    """Upsell = more of the same (seats, tier, volume); cross-sell = an adjacent product.

    What is being sold shows in the seller's asks, pitches and pricing; only when
    those name nothing are the seller's other lines (signals aside) counted.
    """
    if not ctx.expansion_topic:
        return Motion.none, []
    selling = {v.position for kind in ("commercial_ask", "pricing", "pitch", "demo_proposal") for v, _ in ctx.hits(kind)}
    signals = {(v.position, h.start) for v, h in ctx.hits("signal")}

    def sentences(key: str, focus: bool) -> list[tuple[TurnView, SentenceInfo]]:
        return [
            (v, s)
            for v, s in ctx.key_sentences(key, Role.seller)
            if (v.position in selling) == focus and (v.position, s.start_char) not in signals
        ]

    for focus in (True, False):
        upsell = sentences("facts.motion.upsell", focus)
        cross = sentences("facts.motion.cross_sell", focus)
        if len(upsell) > len(cross):
            return Motion.upsell, [ctx.sentence_evidence(*upsell[0], "more of the same")]
        if cross:
            return Motion.cross_sell, [ctx.sentence_evidence(*cross[0], "an adjacent product")]
    # The three discovery questions and a diagnostic are the cross-sell play's own moves.
    moves = ctx.hits("discovery") + ctx.hits("diagnostic")
    if moves:
        return Motion.cross_sell, [ctx.hit_evidence(*moves[0], "cross-sell discovery")]
    _, view, kind, quote = ctx.expansion_moves[0]
    return Motion.cross_sell, [ctx.evidence(view, quote, kind.replace("_", " "))]


# When the opening names several, the rarer, time-boxed trigger is the one the play rests on.
TRIGGERS = (Trigger.exec_sponsor_change, Trigger.renewal_window, Trigger.usage_threshold)


def detect_trigger(ctx: CallContext) -> tuple[Trigger, list[Evidence]]:
    """The trigger the seller's opening signal rests on (signals before the first expansion move)."""
    if not ctx.expansion_topic:
        return Trigger.none, []
    first_move = ctx.expansion_moves[0][0]
    opening = [(v, h) for v, h in ctx.hits("signal") if (v.position, h.match_start) < first_move]
    opening_sentences = {(v.position, h.start) for v, h in opening}
    for trigger in TRIGGERS:
        key = f"facts.trigger.{trigger.value}"
        for view, sent in ctx.key_sentences(key, Role.seller):
            if (view.position, sent.start_char) in opening_sentences or any(
                view.position == p and sent.start_char <= at < sent.end_char for p, at in opening_sentences
            ):
                return trigger, [ctx.sentence_evidence(view, sent, trigger.value.replace("_", " "))]
    # No signal-led opening: a renewal that either side brings up still frames the call.
    renewal = ctx.key_sentences(f"facts.trigger.{Trigger.renewal_window.value}")
    if renewal:
        return Trigger.renewal_window, [ctx.sentence_evidence(*renewal[0], "renewal window")]
    for trigger in TRIGGERS:
        found = ctx.key_sentences(f"facts.trigger.{trigger.value}", Role.customer)
        if found:
            return trigger, [ctx.sentence_evidence(*found[0], f"{trigger.value.replace('_', ' ')} (said by the customer)")]
    return Trigger.none, []


def detect_workflow(ctx: CallContext) -> list[Evidence]:
    """The customer's first statement of how the work is done today (a question is not one)."""
    for view, sent in ctx.key_sentences("facts.workflow", Role.customer):
        if not sent.is_question:
            return [ctx.sentence_evidence(view, sent, "how they work today (said by the customer)")]
    return []
