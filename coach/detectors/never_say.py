"""`never_say`: banned phrases and moves said by the seller side (negated or reported mentions excluded)."""

from __future__ import annotations

from pydantic import BaseModel

from coach.checks.context import CallContext, TurnView, clip_quote
from coach.checks.result import DetectorResult
from coach.detectors.closing import sponsor_mapped_at
from coach.detectors.registry import detector
from coach.rubric.params import ExecSponsorParams, NeverSayParams
from coach.scorecard import Evidence, Verdict
from coach.text.lines import LineHit, SentenceInfo
from coach.transcript import Role


class NeverSayHit(BaseModel):
    phrase: str  # banned phrase id, or "pricing_before_sponsor"
    says: str
    turn: int
    speaker: str
    quote: str


@detector("never_say.v1")
def never_say(ctx: CallContext, params: NeverSayParams) -> DetectorResult:
    phrases = {p.id: p for p in params.phrases}
    hits: list[NeverSayHit] = []
    evidence = []
    instead: list[str] = []
    for view, hit in ctx.hits("never_say"):
        phrase = phrases.get(hit.label)
        if phrase is None:
            continue
        hits.append(NeverSayHit(phrase=phrase.id, says=phrase.says, turn=view.turn.index, speaker=view.speaker, quote=_quote(view, hit)))
        evidence.append(ctx.hit_evidence(view, hit, f'never say: "{phrase.says}"'))
        if phrase.instead and phrase.instead not in instead:
            instead.append(phrase.instead)
    excused: list[Evidence] = []
    if params.pricing_before_sponsor:
        sponsor_item = ctx.rubric.find("exec_sponsor.v1")
        pricing = ctx.hits("pricing")
        if sponsor_item is not None and pricing:
            sponsor_params = sponsor_item.detector.params
            assert isinstance(sponsor_params, ExecSponsorParams)
            mapped = sponsor_mapped_at(ctx, sponsor_params)
            asked = _price_questions(ctx)
            for view, hit in pricing:
                if mapped is not None and (view.position, hit.match_start) >= mapped[0]:
                    break
                question = _asked_before(asked, view)
                if question is not None:
                    # Answering "how much is it?" is not volunteering pricing: keep looking.
                    if not excused:
                        q_view, q_sent = question
                        excused = [
                            ctx.sentence_evidence(q_view, q_sent, "the customer asked for the price"),
                            ctx.hit_evidence(view, hit, "price given because the customer asked: not a fault"),
                        ]
                    continue
                says = "pricing before the executive sponsor is mapped"
                hits.append(NeverSayHit(phrase="pricing_before_sponsor", says=says, turn=view.turn.index, speaker=view.speaker, quote=_quote(view, hit)))
                evidence.append(ctx.hit_evidence(view, hit, f"never: {says}"))
                instead.append("Map the executive sponsor before you send or quote pricing.")
                break
    details = {"hits": [h.model_dump() for h in hits]}
    if hits:
        said = "; ".join(dict.fromkeys(f'"{h.says}" (turn {h.turn})' for h in hits))
        return DetectorResult(
            verdict=Verdict.fail, mode="banned_phrase", evidence=evidence, details=details, extra_advice=instead,
            reason=f"On the never-say list: {said}.", confidence=0.85,
        )  # fmt: skip
    return DetectorResult(
        verdict=Verdict.pass_,
        evidence=excused,
        details=details,
        reason="no banned phrase or move by the seller side",
        confidence=0.75,
    )


def _quote(view: TurnView, hit: LineHit) -> str:
    return clip_quote(view.turn.text, hit.sentence, hit.match_start)


# How many turns back a customer's price question still explains the seller's price.
_ANSWER_WINDOW = 3


def _price_questions(ctx: CallContext) -> list[tuple[TurnView, SentenceInfo]]:
    key = ctx.item_key("never_say.v1", "price_question")
    return ctx.key_sentences(key, Role.customer) if key else []


def _asked_before(asked: list[tuple[TurnView, SentenceInfo]], view: TurnView) -> tuple[TurnView, SentenceInfo] | None:
    """The customer's price question the seller's turn answers: asked in the few turns before it."""
    found = [(v, s) for v, s in asked if view.position - _ANSWER_WINDOW <= v.position < view.position]
    return found[-1] if found else None
