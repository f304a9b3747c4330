"""`soft_no_reopen` and `escalation_guard`: how the seller handles a brush-off and a bad moment."""

from __future__ import annotations

from coach.checks.context import CallContext, TurnView
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import NO_EXPANSION, detector
from coach.rubric.params import EscalationParams, SoftNoParams
from coach.scorecard import Verdict
from coach.text.lines import is_negated
from coach.transcript import Role

PUSH_KINDS = ("commercial_ask", "pitch", "demo", "demo_proposal", "pricing", "diagnostic", "discovery")


def seller_reply(ctx: CallContext, view: TurnView) -> list[TurnView]:
    """The seller turns after a customer turn, up to the customer's next turn."""
    reply = []
    for turn in ctx.turns[view.position + 1 :]:
        if turn.role is Role.customer:
            break
        if turn.role is Role.seller:
            reply.append(turn)
    return reply


@detector("soft_no_reopen.v1")
def soft_no_reopen(ctx: CallContext, params: SoftNoParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    requests = ctx.hits("info_request", Role.customer)
    if not requests:
        return not_applicable("the customer never asked to be sent information")
    # The soft no is the first "send me something"; later ones (after a session is agreed)
    # are logistics.
    view, hit = requests[0]
    request = ctx.hit_evidence(view, hit, "soft no: send me information")
    reply = seller_reply(ctx, view)
    reopen_key = ctx.item_key("soft_no_reopen.v1", "reopen")
    agree_key = ctx.item_key("soft_no_reopen.v1", "agree")
    for turn in reply:
        for sent in turn.sentences:
            asks_discovery = any(sent.start_char <= h.start < sent.end_char for h in turn.signals.discovery)
            if sent.is_question and (reopen_key in sent.keys or asks_discovery):
                return DetectorResult(verdict=Verdict.pass_, evidence=[request, ctx.sentence_evidence(turn, sent, "re-opens discovery")])
    for turn in reply:
        for sent in turn.sentences:
            spans = sent.keys.get(agree_key, []) if agree_key else []
            if any(not is_negated(turn.arrays.lowers, sent.start_token, start, ctx.lexicon) for start, _ in spans):
                return DetectorResult(
                    verdict=Verdict.fail,
                    mode="just_sent",
                    evidence=[request, ctx.sentence_evidence(turn, sent, "agrees to send without re-opening")],
                )
    return not_applicable("the seller neither agreed to send information nor re-opened discovery")


@detector("escalation_guard.v1")
def escalation_guard(ctx: CallContext, params: EscalationParams) -> DetectorResult:
    key = ctx.item_key("escalation_guard.v1", "escalation")
    mentions = ctx.key_sentences(key, Role.customer) if key else []
    if not mentions:
        return not_applicable("no active renewal negotiation or open escalation was mentioned")
    view, sent = mentions[0]
    mention = ctx.sentence_evidence(view, sent, "open escalation or renewal negotiation")
    pushes = sorted(
        (
            ((v.position, h.match_start), v, h, kind)
            for kind in PUSH_KINDS
            for v, h in ctx.hits(kind)
            if v.position > view.position and not ctx.about_open_problem(v, h)
        ),
        key=lambda push: push[0],
    )
    if pushes:
        _, v, h, kind = pushes[0]
        return DetectorResult(
            verdict=Verdict.fail,
            mode="pushed_during_escalation",
            evidence=[mention, ctx.hit_evidence(v, h, f"cross-sell pushed after it ({kind.replace('_', ' ')})")],
        )
    defer_key = ctx.item_key("escalation_guard.v1", "defer")
    defer = [(v, s) for v, s in (ctx.key_sentences(defer_key, Role.seller) if defer_key else []) if v.position > view.position]
    evidence = [mention] + ([ctx.sentence_evidence(*defer[0], "parks the cross-sell")] if defer else [])
    return DetectorResult(verdict=Verdict.pass_, evidence=evidence)
