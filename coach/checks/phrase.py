"""`presence.v1` and `absence.v1`: a pattern group said (or never said) by one side.

The data shape (`PhraseGroupParams`, documented in rubrics/README.md):
  patterns       the pattern group (notation of coach/patterns.py)
  side           seller | customer | any: whose lines are read
  skip_negated   "I'm not going to send a deck" does not count (default true)
  skip_reported  "vendors say it's the future" does not count (default true)
  questions      any | only | exclude: whether the sentence must (not) be a question

presence passes on the first counted mention (evidence: that sentence) and fails
with mode `missing`; absence fails on every counted mention with mode `said`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.detectors.lines import SentenceInfo, is_negated, is_reported
from coach.detectors.params import AbsenceParams, PhraseGroupParams, PresenceParams
from coach.detectors.registry import DetectorResult
from coach.scorecard import Verdict
from coach.transcript import Role

if TYPE_CHECKING:
    from coach.detectors.context import CallContext, TurnView
    from coach.rubric import RubricItem

_ROLES = {"seller": Role.seller, "customer": Role.customer, "any": None}
_SIDE_NAMES = {"seller": "the seller side", "customer": "the customer", "any": "anyone"}


def phrase_mentions(ctx: "CallContext", item_id: str, params: PhraseGroupParams) -> list[tuple["TurnView", SentenceInfo]]:
    """Sentences where the item's own `patterns` key matched and counts under the item's rules."""
    key = f"{item_id}.patterns"
    found = []
    for view, sent in ctx.key_sentences(key, _ROLES[params.side]):
        if params.questions == "only" and not sent.is_question:
            continue
        if params.questions == "exclude" and sent.is_question:
            continue
        for span in sent.keys[key]:
            if params.skip_negated and is_negated(view.arrays.lowers, sent.start_token, span[0], ctx.lexicon):
                continue
            if params.skip_reported and is_reported(view.arrays, sent.start_token, span[0], ctx.lexicon):
                continue
            found.append((view, sent))
            break
    return found


def presence(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, PresenceParams)
    found = phrase_mentions(ctx, item.id, params)
    who = _SIDE_NAMES[params.side]
    if not found:
        return DetectorResult(verdict=Verdict.fail, mode="missing", confidence=0.7,
                              reason=f"{who} never said it: {item.title}")
    view, sent = found[0]
    return DetectorResult(verdict=Verdict.pass_, confidence=0.75,
                          evidence=[ctx.sentence_evidence(view, sent, item.title)],
                          reason=f"said by {who} in turn {view.turn.index}")


def absence(ctx: "CallContext", item: "RubricItem") -> DetectorResult:
    params = item.detector.params
    assert isinstance(params, AbsenceParams)
    found = phrase_mentions(ctx, item.id, params)
    who = _SIDE_NAMES[params.side]
    if found:
        turns = ", ".join(dict.fromkeys(str(v.turn.index) for v, _ in found))
        return DetectorResult(verdict=Verdict.fail, mode="said", confidence=0.8,
                              evidence=[ctx.sentence_evidence(v, s, f"never: {item.title}") for v, s in found],
                              reason=f"{who} said it in turn(s) {turns}")
    return DetectorResult(verdict=Verdict.pass_, confidence=0.7, reason=f"{who} never said it")


ITEM_CHECKS: dict[str, Callable[["CallContext", "RubricItem"], DetectorResult]] = {
    "presence.v1": presence,
    "absence.v1": absence,
}
