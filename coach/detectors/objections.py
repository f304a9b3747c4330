"""`soft_no_reopen` and `escalation_guard`: how the seller handles a brush-off and a bad moment."""

from __future__ import annotations

from coach.detectors.context import CallContext, TurnView
from coach.detectors.params import EscalationParams, SoftNoParams
from coach.detectors.registry import DetectorResult, detector, not_applicable
from coach.scorecard import Verdict
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
    requests = ctx.hits("info_request", Role.customer)
    if not requests:
        return not_applicable('the customer never asked to be sent information')
    reopen_key = ctx.item_key("soft_no_reopen.v1", "reopen")
    evidence = []
    failed = False
    for view, hit in requests:
        reply = seller_reply(ctx, view)
        reopened = next(
            (
                (turn, sent)
                for turn in reply
                for sent in turn.sentences
                if sent.is_question and (reopen_key in sent.keys or any(sent.start_char <= h.start < sent.end_char for h in turn.signals.discovery))
            ),
            None,
        )
        evidence.append(ctx.hit_evidence(view, hit, "soft no: send me information"))
        if reopened:
            evidence.append(ctx.sentence_evidence(*reopened, "re-opens discovery"))
        else:
            failed = True
            if reply:
                evidence.append(ctx.evidence(reply[0], note="agrees to send without re-opening"))
    if failed:
        return DetectorResult(verdict=Verdict.fail, mode="just_sent", evidence=evidence)
    return DetectorResult(verdict=Verdict.pass_, evidence=evidence)


@detector("escalation_guard.v1")
def escalation_guard(ctx: CallContext, params: EscalationParams) -> DetectorResult:
    key = ctx.item_key("escalation_guard.v1", "escalation")
    mentions = ctx.key_sentences(key, Role.customer) if key else []
    if not mentions:
        return not_applicable("no active renewal negotiation or open escalation was mentioned")
    view, sent = mentions[0]
    mention = ctx.sentence_evidence(view, sent, "open escalation or renewal negotiation")
    pushes = sorted(
        ((v.position, h.match_start), v, h, kind)
        for kind in PUSH_KINDS
        for v, h in ctx.hits(kind)
        if v.position > view.position
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
