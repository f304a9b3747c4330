"""`diagnostic_framing`, `neutrality_statement`, `customer_timeline`: how the seller frames the next step and its timing."""

from __future__ import annotations

import math

from coach.checks.context import CallContext, TurnView
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import NO_EXPANSION, detector
from coach.rubric.params import DiagnosticParams, NeutralityParams, NextStepParams, TimelineParams
from coach.scorecard import Verdict
from coach.text.lines import is_negated
from coach.transcript import Role


@detector("diagnostic_framing.v1")
def diagnostic_framing(ctx: CallContext, params: DiagnosticParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    past = ctx.item_key("diagnostic_framing.v1", "past_diagnostic")
    past_sentences = {(v.position, s.start_char) for v, s in ctx.key_sentences(past, Role.seller)} if past else set()
    diagnostic = [(v, h) for v, h in ctx.hits("diagnostic") if (v.position, h.start) not in past_sentences]
    if diagnostic:
        view, hit = diagnostic[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.hit_evidence(view, hit, "next step framed as a diagnostic")])
    demo = ctx.hits("demo_proposal")
    if demo:
        view, hit = demo[0]
        return DetectorResult(
            verdict=Verdict.fail, mode="demo_framing", evidence=[ctx.hit_evidence(view, hit, "next step framed as a demo")]
        )
    if _customer_said_yes(ctx):
        return not_applicable("the customer agreed to buy; the next step is paperwork, not a diagnostic")
    proposal = _seller_next_step(ctx)
    if proposal is not None:
        view, quote = proposal
        return DetectorResult(
            verdict=Verdict.fail,
            mode="no_diagnostic",
            evidence=[ctx.evidence(view, quote, "next step proposed without diagnostic framing")],
            confidence=0.6,
        )
    return not_applicable("the seller side proposed no next step")


def _customer_said_yes(ctx: CallContext) -> bool:
    from coach.detectors.asks import Answer, classify_answer, immediate_reply

    return any(
        classify_answer(immediate_reply(ctx, view, len(ctx.turns)))[0] is Answer.yes for view, _ in ctx.hits("commercial_ask")
    )


def _seller_next_step(ctx: CallContext) -> tuple[TurnView, str] | None:
    """The seller's proposed next step: a meeting ask anywhere, or a follow-up or owner line in the closing."""
    meeting = ctx.hits("meeting_ask")
    if meeting:
        return meeting[0][0], meeting[0][1].sentence
    item = ctx.rubric.find("next_step.v1")
    if item is None:
        return None
    params = item.detector.params
    assert isinstance(params, NextStepParams)
    keys = (f"{item.id}.step", f"{item.id}.vague")
    size = max(params.closing_min_turns, math.ceil(params.closing_share * len(ctx.turns)))
    for view in ctx.turns[-size:]:
        if view.role is Role.seller:
            for sent in view.sentences:
                if any(k in sent.keys for k in keys):
                    return view, view.sentence_text(sent)
    return None


@detector("neutrality_statement.v1")
def neutrality_statement(ctx: CallContext, params: NeutralityParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    key = ctx.item_key("neutrality_statement.v1", "statement")
    found = ctx.key_sentences(key, Role.seller) if key else []
    if found:
        view, sent = found[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, "neutrality statement")])
    owed = _fit_judged(ctx)
    if owed is None:
        return not_applicable("no diagnostic or evaluation was proposed and no fit question asked, so the no-fit line had no place")
    view, quote, what = owed
    return DetectorResult(
        verdict=Verdict.fail,
        mode="missing",
        reason="the seller never said they would call out a lack of fit",
        evidence=[ctx.evidence(view, quote, f"{what} without saying a lack of fit would be called out")],
        confidence=0.6,
    )


def _fit_judged(ctx: CallContext) -> tuple[TurnView, str, str] | None:
    """Where the seller puts fit up for judgement: a proposed diagnostic, an evaluation step
    ("a trial to see if it fits"), or a fit question. The first one, or None."""
    found: list[tuple[tuple[int, int], TurnView, str, str]] = []
    past = ctx.item_key("diagnostic_framing.v1", "past_diagnostic")
    past_sentences = {(v.position, s.start_char) for v, s in ctx.key_sentences(past, Role.seller)} if past else set()
    for view, hit in ctx.hits("diagnostic"):
        if (view.position, hit.start) not in past_sentences:
            found.append(((view.position, hit.start), view, hit.sentence, "a diagnostic proposed"))
            break
    for group, what in (("evaluation", "an evaluation proposed"), ("fit_question", "a fit question asked")):
        key = ctx.item_key("neutrality_statement.v1", group)
        for view, sent in ctx.key_sentences(key, Role.seller) if key else []:
            lowers = view.arrays.lowers
            live = [s for s in sent.keys[key] if not is_negated(lowers, sent.start_token, s[0], ctx.lexicon)]
            if live and (group == "evaluation" or sent.is_question):
                found.append(((view.position, sent.start_char), view, view.sentence_text(sent), what))
                break
    if not found:
        return None
    _, view, quote, what = min(found, key=lambda f: f[0])
    return view, quote, what


def _rejected(view: TurnView, sent_start: int, span: tuple[int, int], ctx: CallContext) -> bool:
    """Negated before the match or inside it ("close, not our quarter-end")."""
    lowers = view.arrays.lowers
    negation = ctx.lexicon.negation_ids
    return is_negated(lowers, sent_start, span[0], ctx.lexicon) or any(lowers[k] in negation for k in range(*span))


@detector("customer_timeline.v1")
def customer_timeline(ctx: CallContext, params: TimelineParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    customer_key = ctx.item_key("customer_timeline.v1", "customer_cycle")
    vendor_key = ctx.item_key("customer_timeline.v1", "vendor_cycle")
    # "we'll plan around your March close, not our quarter-end" rejects the vendor's quarter
    vendor = [
        (v, s)
        for v, s in (ctx.key_sentences(vendor_key, Role.seller) if vendor_key else [])
        if any(not _rejected(v, s.start_token, span, ctx) for span in s.keys[vendor_key])
    ]
    vendor_evidence = [ctx.sentence_evidence(v, s, "timing on the vendor's quarter") for v, s in vendor]
    vendor_evidence += [
        ctx.hit_evidence(v, h, "discount tied to the vendor's quarter")
        for v, h in ctx.hits("never_say")
        if h.label == "discount_this_quarter" and not any(e.turn == v.turn.index for e in vendor_evidence)
    ]
    if vendor_evidence:
        return DetectorResult(verdict=Verdict.fail, mode="vendor_timeline", evidence=vendor_evidence)
    vague = ctx.item_key("next_step.v1", "vague")
    # "I'll follow up sometime after your close" names their cycle but anchors nothing
    # ... nor does the horizon of discovery question 3 ("fix one thing by summer")
    asked = {(v.position, h.start) for v, h in ctx.hits("discovery")}
    customer = [
        (v, s)
        for v, s in (ctx.key_sentences(customer_key, Role.seller) if customer_key else [])
        if vague not in s.keys and not any(p == v.position and s.start_char <= at < s.end_char for p, at in asked)
    ]
    if customer:
        view, sent = customer[0]
        return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, "timing on the customer's cycle")])
    return not_applicable("timing was not discussed by the seller side")
