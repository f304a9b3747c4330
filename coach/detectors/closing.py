"""`next_step` and `exec_sponsor`: how the call ends and who will sign."""

from __future__ import annotations

import math


from coach.checks.context import CallContext, Position, TurnView
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import NO_EXPANSION, detector
from coach.rubric.params import ExecSponsorParams, NextStepParams
from coach.scorecard import Verdict
from coach.text.lines import SentenceInfo
from coach.text.matching import word_ids
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
    # A date or time next to a meeting word, an invite or an owner in the same
    # stretch ("Friday the 12th at 1pm?" / "I'll send it to both of you").
    # a date that is the vendor's quarter-end or part of a commercial ask is not a next step
    vendor = ctx.item_key("customer_timeline.v1", "vendor_cycle")
    asks = [(v.position, h.match_start) for v, h in ctx.hits("commercial_ask") + ctx.hits("never_say")]

    def is_ask(view: TurnView, sent: SentenceInfo) -> bool:
        return any(p == view.position and sent.start_char <= at < sent.end_char for p, at in asks)

    dated = [
        (v, s)
        for v in closing
        for s in v.sentences
        if when in s.keys and vendor not in s.keys and not is_ask(v, s) and _agreed(ctx, v)
    ]
    steps = [(v, s) for v in closing for s in v.sentences if step in s.keys]
    loose = [(v, s) for v in closing for s in v.sentences if vague in s.keys and when not in s.keys]
    for view, sent in reversed(dated):
        near = [(v, s) for v, s in steps if abs(v.position - view.position) <= 2]
        if near:
            evidence = [ctx.sentence_evidence(view, sent, "date or time of the next step")]
            v, s = min(near, key=lambda n: abs(n[0].position - view.position))
            if (v, s) != (view, sent):
                evidence.append(ctx.sentence_evidence(v, s, "what happens then, and who"))
            return DetectorResult(verdict=Verdict.pass_, evidence=evidence, confidence=0.8)
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


def _agreed(ctx: CallContext, view: TurnView) -> bool:
    """A time the seller proposes is a next step unless the customer's answer to it hedges or
    brushes it off ("I'll have to check", "just send me something")."""
    if view.role is not Role.seller:
        return True
    from coach.detectors.asks import immediate_reply

    return not any(r.signals.soft_answer or r.signals.info_request for r in immediate_reply(ctx, view, len(ctx.turns)))


SponsorMapped = tuple[Position, TurnView, SentenceInfo, str]


def sponsor_mapped_at(ctx: CallContext, params: ExecSponsorParams) -> SponsorMapped | None:
    """Where the customer's executive sponsor is first named, or a plan to map them is made.
    `exec_sponsor` and `never_say` (pricing before the sponsor) both ask, and the answer reads
    every turn: it is worked out once per reading of the call."""
    return ctx.once(_sponsor_mapped_at)


def _sponsor_mapped_at(ctx: CallContext) -> SponsorMapped | None:
    item = ctx.rubric.find("exec_sponsor.v1")
    if item is None:
        return None
    title, cue, weak, plan, question, vendor = (
        f"{item.id}.{g}" for g in ("title", "sponsor_cue", "weak_cue", "plan", "sponsor_question", "vendor_side")
    )
    banned: dict[int, list[int]] = {}  # turn position -> where its never-say sentences start
    for v, h in ctx.hits("never_say"):
        banned.setdefault(v.position, []).append(h.start)
    asked_sponsor_at = -10
    executives: set[int] = set()  # names the customer gave a title ("our VP of Ops, Dana Kruger")
    for view in ctx.turns:
        position = view.position
        if view.role is Role.seller:
            for sent in view.sentences:
                keys = sent.keys
                if any(sent.start_char <= at < sent.end_char or at == sent.start_char for at in banned.get(position, ())):
                    continue  # "our CEO would love to meet your CEO" maps nobody
                if question in keys:
                    asked_sponsor_at = position
                if plan in keys and vendor not in keys:
                    return (position, sent.start_char), view, sent, "plan to map the sponsor"
                if title in keys and _customer_side_title(view, sent, keys[title]):
                    return (position, sent.start_char), view, sent, "the customer's executive named by the seller"
        elif view.role is Role.customer:
            # A person with authority: a title and any cue in the turn ("Our CFO, Lena Park, owns
            # that budget"), or a name in the same sentence as what authority does ("Helen signs
            # off on it"); "budget" or "buy-in" beside a bare name or nobody maps no one.
            # A name given a title earlier in the call keeps it ("run it past Dana, it's not my budget").
            entitled = [s for s in view.sentences if title in s.keys]
            for sent in entitled:
                executives.update(_names(view, sent))
            cued = [s for s in view.sentences if cue in s.keys or weak in s.keys]
            named = [
                s
                for s in view.sentences
                if (cue in s.keys and (_names_someone(view, s) or _named_subject(view, s, s.keys[cue])))
                or (weak in s.keys and _names(view, s) & executives)
            ]
            if entitled and cued:
                return (position, entitled[0].start_char), view, entitled[0], "sponsor named by the customer"
            if named:
                return (position, named[0].start_char), view, named[0], "sponsor named by the customer"
            if 0 < position - asked_sponsor_at <= 2:  # replying to the seller's sponsor question
                # Only a reply needs every sentence read for names: most customer turns are not one.
                titled = [s for s in view.sentences if title in s.keys or _names_someone(view, s)]
                if titled or (view.signals.yes_answer and not view.signals.soft_answer):
                    sent = titled[0] if titled else view.sentences[0]
                    return (position, sent.start_char), view, sent, "customer names who signs"
            for sent in view.sentences:
                if plan in sent.keys:
                    return (position, sent.start_char), view, sent, "plan to meet the sponsor"
    return None


_NOT_NAMES = frozenset(
    "i monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december ok okay".split()
)
# the same words as string hashes, compared with the turn's lowercase ids
_NOT_NAME_IDS = word_ids(_NOT_NAMES)
_PAUSES = word_ids(("...", "..", "…", "?", "!", "*", "-", "--", "—"))
_CUSTOMER_SIDE = word_ids(("your", "you", "as"))
_SELLER_SIDE = word_ids(("our", "my"))


def _names(view: TurnView, sent: SentenceInfo) -> set[int]:
    """Capitalised names after the first word ("Yes, Helen owns the legal budget"), as
    lowercase ids: not function words ("Right, right... What about"), nor a word after a pause."""
    arrays = view.arrays
    lowers = arrays.lowers
    return {
        lowers[i]
        for i in range(sent.start_token + 1, sent.end_token)
        if arrays.looks_like_name(i)
        and lowers[i] not in _NOT_NAME_IDS
        and lowers[i - 1] not in _PAUSES
    }


def _names_someone(view: TurnView, sent: SentenceInfo) -> bool:
    return bool(_names(view, sent))


def _named_subject(view: TurnView, sent: SentenceInfo, cues: list[tuple[int, int]]) -> bool:
    """A name opening the sentence right before what authority does: "Helen signs off on it"."""
    first = sent.start_token
    arrays = view.arrays
    return (
        any(start == first + 1 for start, _ in cues)
        and arrays.looks_like_name(first)
        and arrays.lowers[first] not in _NOT_NAME_IDS
    )


def _customer_side_title(view: TurnView, sent: SentenceInfo, spans: list[tuple[int, int]]) -> bool:
    """ "your new General Counsel", "started as Chief Technology Officer": a title on the customer's side."""
    lowers = view.arrays.lowers
    for start, _ in spans:
        before = {lowers[i] for i in range(max(sent.start_token, start - 4), start)}
        if before & _CUSTOMER_SIDE and not before & _SELLER_SIDE:
            return True
    return False


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
