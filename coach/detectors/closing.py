"""`next_step` and `exec_sponsor`: how the call ends and who will sign."""

from __future__ import annotations

import math

from coach.detectors.context import CallContext, Position, TurnView
from coach.detectors.lines import SentenceInfo
from coach.detectors.params import ExecSponsorParams, NextStepParams
from coach.detectors.registry import NO_EXPANSION, DetectorResult, detector, not_applicable
from coach.scorecard import Verdict
from coach.transcript import Role


@detector("next_step.v1", needs_seller=False)
def next_step(ctx: CallContext, params: NextStepParams) -> DetectorResult:
    if not ctx.turns:
        return not_applicable("the call has no turns")
    item = ctx.rubric.find("next_step.v1")
    assert item is not None
    when, step, vague = (f"{item.id}.{g}" for g in ("when", "step", "vague"))
    size = max(params.closing_min_turns, math.ceil(params.closing_share * len(ctx.turns)))
    closing = ctx.turns[-size:]
    concrete: list[tuple[TurnView, SentenceInfo]] = []
    loose: list[tuple[TurnView, SentenceInfo]] = []
    for view in closing:
        for sent in view.sentences:
            if when in sent.keys and step in sent.keys:
                concrete.append((view, sent))
            elif vague in sent.keys:
                loose.append((view, sent))
    if concrete:
        view, sent = concrete[-1]
        return DetectorResult(
            verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, "dated next step")], confidence=0.8
        )
    if loose:
        view, sent = loose[-1]
        return DetectorResult(
            verdict=Verdict.fail, mode="vague", evidence=[ctx.sentence_evidence(view, sent, "no date, time or owner")]
        )
    last = closing[-1]
    return DetectorResult(
        verdict=Verdict.fail,
        mode="missing",
        evidence=[ctx.evidence(last, note="the call ends without a dated next step")],
        confidence=0.6,
    )


def sponsor_mapped_at(ctx: CallContext, params: ExecSponsorParams) -> tuple[Position, TurnView, SentenceInfo, str] | None:
    """Where the customer's executive sponsor is first named, or a plan to map them is made."""
    item = ctx.rubric.find("exec_sponsor.v1")
    if item is None:
        return None
    title, cue, plan, question, vendor = (
        f"{item.id}.{g}" for g in ("title", "sponsor_cue", "plan", "sponsor_question", "vendor_side")
    )
    asked_sponsor_at = -1
    for view in ctx.turns:
        for sent in view.sentences:
            keys = sent.keys
            position = (view.position, sent.start_char)
            if view.role is Role.seller:
                if question in keys:
                    asked_sponsor_at = view.position
                if plan in keys and vendor not in keys:
                    return position, view, sent, "plan to map the sponsor"
                if title in keys and cue in keys and vendor not in keys:
                    return position, view, sent, "sponsor named by the seller"
            elif view.role is Role.customer:
                if title in keys and (cue in keys or plan in keys):
                    return position, view, sent, "sponsor named by the customer"
                replying = asked_sponsor_at >= 0 and view.position - asked_sponsor_at <= 2
                if replying and (title in keys or _names_someone(view, sent)):
                    return position, view, sent, "customer names who signs"
    return None


def _names_someone(view: TurnView, sent: SentenceInfo) -> bool:
    """A capitalised name after the first word ("Probably Lena Park, our controller")."""
    tokens = view.doc[sent.start_token : sent.end_token]
    return any(t.is_title and t.is_alpha and t.i > sent.start_token and t.lower_ not in {"i"} for t in tokens)


@detector("exec_sponsor.v1")
def exec_sponsor(ctx: CallContext, params: ExecSponsorParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    found = sponsor_mapped_at(ctx, params)
    if found is None:
        return DetectorResult(
            verdict=Verdict.fail,
            mode="not_mapped",
            reason="no executive sponsor named and no plan to map one",
            evidence=[ctx.evidence(ctx.expansion_moves[0][1], ctx.expansion_moves[0][3], "expansion raised; sponsor never mapped")],
            confidence=0.6,
        )
    _, view, sent, note = found
    return DetectorResult(verdict=Verdict.pass_, evidence=[ctx.sentence_evidence(view, sent, note)])
