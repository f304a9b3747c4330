"""`phrase.v1` mentions, and the `presence.v1` / `absence.v1` checks built on them.

A phrase spec (coach/rubric/shapes.py) is read through its item's own lexicon
key, `<item id>[.<field>].patterns`, so two items of one type never share
patterns. A mention is the first counted match of a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from coach.checks.result import DetectorResult
from coach.rubric.shapes import AbsenceParams, PhraseSpec, PresenceParams
from coach.scorecard import Evidence, Verdict
from coach.text.lines import SentenceInfo, is_negated, is_reported
from coach.transcript import Role

if TYPE_CHECKING:
    from coach.checks.context import CallContext, TurnView
    from coach.rubric.schema import RubricItem

_ROLES = {"seller": Role.seller, "customer": Role.customer, "any": None}
SIDE_NAMES = {"seller": "the seller side", "customer": "the customer", "any": "anyone"}


def side_role(side: str) -> Role | None:
    """The role whose lines a spec's `side` reads; None: everyone's."""
    return _ROLES[side]


@dataclass(frozen=True, slots=True)
class Mention:
    at: tuple[int, int]  # (turn position, character offset): orders mentions in the call
    view: "TurnView"
    sent: SentenceInfo

    def evidence(self, ctx: "CallContext", note: str) -> Evidence:
        return ctx.sentence_evidence(self.view, self.sent, note)


def mentions(ctx: "CallContext", key_prefix: str, spec: PhraseSpec) -> list[Mention]:
    """Sentences where `<key_prefix>.patterns` matched and count under the spec's rules, in call order."""
    key = f"{key_prefix}.patterns"
    found = []
    for view, sent in ctx.key_sentences(key, _ROLES[spec.side]):
        if spec.questions == "only" and not sent.is_question:
            continue
        if spec.questions == "exclude" and sent.is_question:
            continue
        for span in sent.keys[key]:
            if spec.skip_negated and is_negated(view.arrays.lowers, sent.start_token, span[0], ctx.lexicon):
                continue
            if spec.skip_reported and is_reported(view.arrays, sent.start_token, span[0], ctx.lexicon):
                continue
            found.append(Mention((view.position, view.arrays.char_span(*span)[0]), view, sent))
            break
    return found


def presence(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, PresenceParams)
    found = mentions(ctx, item.id, params)
    who = SIDE_NAMES[params.side]
    if not found:
        return DetectorResult(verdict=Verdict.fail, mode="missing", confidence=0.7, evidence=_span_of_side(ctx, params),
                              reason=f"{who} never said it: {item.title}")  # fmt: skip
    first = found[0]
    return DetectorResult(verdict=Verdict.pass_, confidence=0.75, evidence=[first.evidence(ctx, item.title)],
                          reason=f"said by {who} in turn {first.view.turn.index}")  # fmt: skip


def _span_of_side(ctx: "CallContext", spec: PhraseSpec) -> list[Evidence]:
    """A missing phrase has no quote of its own: cite the side's first and last lines, the
    stretch of call it was owed in."""
    views = [v for v in ctx.by_role(_ROLES[spec.side]) if v.sentences]
    if not views:
        return []
    ends = [views[0]] if len(views) == 1 else [views[0], views[-1]]
    notes = ["first line read: not said from here", "last line read: not said by here"]
    return [ctx.evidence(v, v.sentence_text(v.sentences[0 if n == 0 else -1]), note) for n, (v, note) in enumerate(zip(ends, notes))]


def absence(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, AbsenceParams)
    found = mentions(ctx, item.id, params)
    who = SIDE_NAMES[params.side]
    if found:
        turns = ", ".join(dict.fromkeys(str(m.view.turn.index) for m in found))
        return DetectorResult(verdict=Verdict.fail, mode="said", confidence=0.8,
                              evidence=[m.evidence(ctx, f"never: {item.title}") for m in found],
                              reason=f"{who} said it in turn(s) {turns}")  # fmt: skip
    return DetectorResult(verdict=Verdict.pass_, confidence=0.7, reason=f"{who} never said it")
