"""`diagnostic_framing`, `neutrality_statement`, `customer_timeline`: how the seller frames the next step and its timing."""

from __future__ import annotations

from coach.detectors.context import CallContext
from coach.detectors.params import DiagnosticParams, NeutralityParams, TimelineParams
from coach.detectors.registry import NO_EXPANSION, DetectorResult, detector, not_applicable
from coach.scorecard import Verdict
from coach.transcript import Role


@detector("diagnostic_framing.v1")
def diagnostic_framing(ctx: CallContext, params: DiagnosticParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    diagnostic = ctx.hits("diagnostic")
    if diagnostic:
        view, hit = diagnostic[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.hit_evidence(view, hit, "next step framed as a diagnostic")])
    demo = ctx.hits("demo_proposal")
    if demo:
        view, hit = demo[0]
        return DetectorResult(
            verdict=Verdict.fail, mode="demo_framing", evidence=[ctx.hit_evidence(view, hit, "next step framed as a demo")]
        )
    meeting = ctx.hits("meeting_ask")
    if meeting:
        view, hit = meeting[0]
        return DetectorResult(
            verdict=Verdict.fail,
            mode="no_diagnostic",
            evidence=[ctx.hit_evidence(view, hit, "next step proposed without diagnostic framing")],
            confidence=0.6,
        )
    return not_applicable("the seller side proposed no next step")


@detector("neutrality_statement.v1")
def neutrality_statement(ctx: CallContext, params: NeutralityParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    key = ctx.item_key("neutrality_statement.v1", "statement")
    found = ctx.key_sentences(key, Role.seller) if key else []
    if found:
        view, sent = found[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, "neutrality statement")])
    _, view, _, quote = ctx.expansion_moves[0]
    return DetectorResult(
        verdict=Verdict.fail,
        mode="missing",
        reason="the seller never said they would call out a lack of fit",
        evidence=[ctx.evidence(view, quote, "expansion raised without a neutrality statement")],
        confidence=0.6,
    )


@detector("customer_timeline.v1")
def customer_timeline(ctx: CallContext, params: TimelineParams) -> DetectorResult:
    customer_key = ctx.item_key("customer_timeline.v1", "customer_cycle")
    vendor_key = ctx.item_key("customer_timeline.v1", "vendor_cycle")
    vendor = ctx.key_sentences(vendor_key, Role.seller) if vendor_key else []
    vendor_evidence = [ctx.sentence_evidence(v, s, "timing on the vendor's quarter") for v, s in vendor]
    vendor_evidence += [
        ctx.hit_evidence(v, h, "discount tied to the vendor's quarter")
        for v, h in ctx.hits("never_say")
        if h.label == "discount_this_quarter" and not any(e.turn == v.turn.index for e in vendor_evidence)
    ]
    if vendor_evidence:
        return DetectorResult(verdict=Verdict.fail, mode="vendor_timeline", evidence=vendor_evidence)
    customer = ctx.key_sentences(customer_key, Role.seller) if customer_key else []
    if customer:
        view, sent = customer[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, "timing on the customer's cycle")])
    return not_applicable("timing was not discussed by the seller side")
