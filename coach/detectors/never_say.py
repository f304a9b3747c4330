"""`never_say`: banned phrases and moves said by the seller side (negated or reported mentions excluded)."""

from __future__ import annotations

from pydantic import BaseModel

from coach.detectors.closing import sponsor_mapped_at
from coach.detectors.context import CallContext
from coach.detectors.params import ExecSponsorParams, NeverSayParams
from coach.detectors.registry import DetectorResult, detector
from coach.scorecard import Verdict


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
        hits.append(NeverSayHit(phrase=phrase.id, says=phrase.says, turn=view.turn.index, speaker=view.speaker, quote=hit.sentence))
        evidence.append(ctx.hit_evidence(view, hit, f'never say: "{phrase.says}"'))
        if phrase.instead and phrase.instead not in instead:
            instead.append(phrase.instead)
    if params.pricing_before_sponsor:
        sponsor_item = ctx.rubric.find("exec_sponsor.v1")
        pricing = ctx.hits("pricing")
        if sponsor_item is not None and pricing:
            sponsor_params = sponsor_item.detector.params
            assert isinstance(sponsor_params, ExecSponsorParams)
            mapped = sponsor_mapped_at(ctx, sponsor_params)
            view, hit = pricing[0]
            if mapped is None or (view.position, hit.match_start) < mapped[0]:
                says = "pricing before the executive sponsor is mapped"
                hits.append(NeverSayHit(phrase="pricing_before_sponsor", says=says, turn=view.turn.index, speaker=view.speaker, quote=hit.sentence))
                evidence.append(ctx.hit_evidence(view, hit, f"never: {says}"))
                instead.append("Map the executive sponsor before you send or quote pricing.")
    details = {"hits": [h.model_dump() for h in hits]}
    if hits:
        said = "; ".join(dict.fromkeys(f'"{h.says}" (turn {h.turn})' for h in hits))
        return DetectorResult(
            verdict=Verdict.fail, mode="banned_phrase", evidence=evidence, details=details, extra_advice=instead,
            reason=f"On the never-say list: {said}.", confidence=0.85,
        )  # fmt: skip
    return DetectorResult(verdict=Verdict.pass_, details=details, reason="no banned phrase or move by the seller side", confidence=0.75)
