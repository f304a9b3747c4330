"""Call-level facts: the expansion motion and the trigger the call rests on."""

from __future__ import annotations

from coach.detectors.context import CallContext
from coach.scorecard import Evidence, Motion, Trigger
from coach.transcript import Role


def detect_motion(ctx: CallContext) -> tuple[Motion, list[Evidence]]:
    """Upsell = more of the same (seats, tier, volume); cross-sell = an adjacent product."""
    if not ctx.expansion_topic:
        return Motion.none, []
    upsell = ctx.key_sentences("facts.motion.upsell", Role.seller)
    cross = ctx.key_sentences("facts.motion.cross_sell", Role.seller)
    # The three discovery questions and a diagnostic are the cross-sell play's own moves.
    cross_weight = len(cross) + len({h.label for _, h in ctx.hits("discovery")}) + min(1, len(ctx.hits("diagnostic")))
    if not upsell and not cross_weight:
        return Motion.none, []
    if len(upsell) > cross_weight:
        view, sent = upsell[0]
        return Motion.upsell, [ctx.sentence_evidence(view, sent, "more of the same")]
    if cross:
        view, sent = cross[0]
        return Motion.cross_sell, [ctx.sentence_evidence(view, sent, "adjacent product")]
    view, hit = ctx.hits("discovery")[0] if ctx.hits("discovery") else ctx.hits("diagnostic")[0]
    return Motion.cross_sell, [ctx.hit_evidence(view, hit, "cross-sell discovery")]


TRIGGERS = (Trigger.usage_threshold, Trigger.exec_sponsor_change, Trigger.renewal_window)


def detect_trigger(ctx: CallContext) -> tuple[Trigger, list[Evidence]]:
    """The trigger the seller leads with (the earliest seller mention), else what the customer mentions."""
    for role in (Role.seller, Role.customer):
        found = []
        for trigger in TRIGGERS:
            for view, sent in ctx.key_sentences(f"facts.trigger.{trigger.value}", role):
                found.append(((view.position, sent.start_char), trigger, view, sent))
                break
        if found:
            _, trigger, view, sent = min(found, key=lambda f: f[0])
            return trigger, [ctx.sentence_evidence(view, sent, trigger.value.replace("_", " "))]
    return Trigger.none, []
