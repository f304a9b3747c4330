"""`signal_first_opening`: did the seller lead with a customer signal before any product talk?"""

from __future__ import annotations

from coach.checks.context import CallContext
from coach.checks.result import DetectorResult, not_applicable
from coach.detectors.registry import NO_EXPANSION, detector
from coach.rubric.params import SignalFirstParams
from coach.scorecard import Verdict

# Seller moves that count as "product first" when they come before any signal.
PRODUCT_KINDS = ("pitch", "commercial_ask", "demo", "demo_proposal", "pricing")


@detector("signal_first_opening.v1")
def signal_first_opening(ctx: CallContext, params: SignalFirstParams) -> DetectorResult:
    if not ctx.expansion_topic:
        return not_applicable(NO_EXPANSION)
    products = [((v.position, h.match_start), v, h) for kind in PRODUCT_KINDS for v, h in ctx.hits(kind)]
    product_phrases = ctx.never_say_phrases(lambda p: p.product_talk)
    products += [((v.position, h.match_start), v, h) for v, h in ctx.hits("never_say") if h.label in product_phrases]
    # A sentence that pitches, prices or discounts is not the customer's signal, whatever it mentions.
    selling = {(v.position, h.start) for _, v, h in products}
    signals = [((v.position, h.match_start), v, h) for v, h in ctx.hits("signal") if (v.position, h.start) not in selling]
    first_signal = min(signals, key=lambda s: s[0], default=None)
    first_product = min(products, key=lambda s: s[0], default=None)
    if first_signal and (first_product is None or first_signal[0] < first_product[0]):
        _, view, hit = first_signal
        evidence = [ctx.hit_evidence(view, hit, "opens on a customer signal")]
        if first_product:
            evidence.append(ctx.hit_evidence(first_product[1], first_product[2], "product comes after the signal"))
        return DetectorResult(verdict=Verdict.pass_, evidence=evidence, details={"signal": hit.match})
    if first_product:
        _, view, hit = first_product
        evidence = [ctx.hit_evidence(view, hit, "product before any customer signal")]
        if first_signal:
            evidence.append(ctx.hit_evidence(first_signal[1], first_signal[2], "the signal came only later"))
        return DetectorResult(verdict=Verdict.fail, mode="product_first", evidence=evidence)
    position, view, kind, quote = ctx.expansion_moves[0]
    return DetectorResult(
        verdict=Verdict.fail,
        mode="no_signal",
        evidence=[ctx.evidence(view, quote, f"expansion raised ({kind}) without an observable signal")],
        confidence=0.6,
    )
