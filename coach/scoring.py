"""Transcript -> Scorecard with the rubric's heuristic detectors.

    score_transcript(transcript, rubric=None) -> Scorecard

`rubric=None` means the bundled rubric. The call goes through the spaCy
pipeline once (`CallContext`); every detector reads the shared docs.
"""

from __future__ import annotations

from coach.detectors.catalog import REGISTRY, WORKS_WITHOUT_SELLER, DetectorResult
from coach.detectors.registry import NO_EXPANSION
from coach.detectors.context import CallContext
from coach.detectors.facts import detect_motion, detect_trigger
from coach.detectors.metrics import compute_metrics
from coach.errors import TranscriptError
from coach.gcpause import collector_paused
from coach.rubric import Rubric, RubricItem, load_rubric
from coach.scorecard import (
    CallInfo,
    ItemResult,
    RubricRef,
    Scorecard,
    SpeakerInfo,
    Verdict,
    VerdictSource,
)
from coach.transcript import Transcript

NO_SELLER = (
    "no seller-side speaker was identified, so seller rules cannot be judged; "
    "name the vendor side with --seller NAME"
)
# Why the expansion items do not apply when the customer named an open escalation and the
# seller kept off the sale: the escalation guard judges that call, the play does not.
PARKED = (
    "the customer named an open escalation or a live negotiation and the seller raised no upsell "
    "or cross-sell, which is the right call; the expansion play is judged in a clean window"
)
# Below this share of English function words a call with enough words is not English.
MIN_ENGLISH_STOPWORD_SHARE = 0.15
MIN_WORDS_FOR_LANGUAGE_CHECK = 30


def _check_language(ctx: CallContext) -> None:
    source = ctx.transcript.source or ctx.transcript.id or "transcript"
    language = (ctx.transcript.language or "").lower()
    if language and not language.startswith("en"):
        raise TranscriptError(f"the call is in {language!r}; only English calls can be scored", source=source)
    alpha = sum(view.arrays.alpha for view in ctx.turns)
    if not alpha:
        raise TranscriptError("the call has no words to score (every turn is empty)", source=source)
    if alpha >= MIN_WORDS_FOR_LANGUAGE_CHECK:
        share = sum(view.arrays.stop for view in ctx.turns) / alpha
        if share < MIN_ENGLISH_STOPWORD_SHARE:
            raise TranscriptError(
                f"the call does not look like English ({share:.0%} English function words); only English calls can be scored",
                source=source,
            )


def _item_result(item: RubricItem, result: DetectorResult) -> ItemResult:
    advice = ""
    if result.verdict is Verdict.fail:
        advice = " ".join([item.advice.get(result.mode or "", ""), *result.extra_advice]).strip()
    elif result.verdict is Verdict.pass_:
        advice = item.advice.get("pass", "")
    return ItemResult(
        id=item.id,
        verdict=result.verdict,
        source=VerdictSource.heuristic,
        confidence=result.confidence,
        evidence=result.evidence,
        advice=advice,
        details={**result.details, **({"failure_mode": result.mode} if result.mode else {})},
        reason=result.reason,
    )


def _score(rubric: Rubric, items: list[ItemResult]) -> float | None:
    weights = {item.id: item.weight for item in rubric.items}
    applicable = [r for r in items if r.verdict is not Verdict.not_applicable]
    total = sum(weights[r.id] for r in applicable)
    if not total:
        return None
    earned = sum(weights[r.id] for r in applicable if r.verdict is Verdict.pass_)
    return round(100 * earned / total, 1)


def score_items(rubric: Rubric, items: list[ItemResult]) -> float | None:
    """The 0-100 score of final verdicts; the LLM grader re-scores with it after merging."""
    return _score(rubric, items)


def score_transcript(transcript: Transcript, rubric: Rubric | None = None) -> Scorecard:
    with collector_paused():  # see coach.gcpause
        return _score_transcript(transcript, rubric)


def _score_transcript(transcript: Transcript, rubric: Rubric | None) -> Scorecard:
    rubric = rubric or load_rubric()
    ctx = CallContext(transcript, rubric)
    _check_language(ctx)
    warnings = list(transcript.warnings)
    if not ctx.has_seller:
        warnings.append(NO_SELLER)
    results = []
    for item in rubric.items:
        if not ctx.has_seller and item.detector.type not in WORKS_WITHOUT_SELLER:
            result = DetectorResult(verdict=Verdict.not_applicable, reason=NO_SELLER, confidence=0.0)
        else:
            result = REGISTRY[item.detector.type](ctx, item.detector.params)
            if result.reason == NO_EXPANSION and ctx.escalation_named:
                result = result.model_copy(update={"reason": PARKED})
        results.append(_item_result(item, result))
    motion, motion_evidence = detect_motion(ctx) if ctx.has_seller else (None, [])
    trigger, trigger_evidence = detect_trigger(ctx)
    metrics = compute_metrics(ctx).model_dump()
    card = Scorecard(
        call=CallInfo(
            id=transcript.id,
            source=transcript.source,
            format=transcript.format,
            duration_s=transcript.duration_s,
            speakers=[
                SpeakerInfo(id=s.id, name=s.name, role=s.role, role_confidence=s.role_confidence)
                for s in transcript.speakers
            ],
        ),
        rubric=RubricRef(id=rubric.id, version=rubric.version),
        items=results,
        metrics=metrics,
        score=_score(rubric, results),
        warnings=warnings,
        motion_evidence=motion_evidence,
        trigger_evidence=trigger_evidence,
    )
    if motion is not None:
        card.motion = motion
    card.trigger = trigger
    return card
