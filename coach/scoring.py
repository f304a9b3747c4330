"""Transcript -> Scorecard with the rubric's heuristic detectors.

    score_transcript(transcript, rubric=None) -> Scorecard   # that rubric (None: the bundled expansion one)
    score_call(transcript, rubric=None) -> Scorecard         # None: the call-type gate picks the rubric

The call goes through the spaCy pipeline once (`CallContext`); every detector
reads the shared docs. `score_call` is what the front ends use (`coach score`,
the API's scorer): with no rubric named, the call's type picks one of the bundled
rubrics (`coach.rubric.choice`), and the scorecard's `rubric.reason` says why.
"""

from __future__ import annotations

from collections.abc import Callable

from coach.advice_slots import fill_card
from coach.calltype import CallTypeResult, decide, measure_call
from coach.checks.context import CallContext
from coach.checks.registry import ITEM_CHECKS
from coach.checks.result import DetectorResult
from coach.detectors.catalog import REGISTRY, WORKS_WITHOUT_SELLER
from coach.detectors.facts import detect_motion, detect_trigger, detect_workflow
from coach.detectors.metrics import compute_metrics
from coach.detectors.registry import NO_EXPANSION
from coach.errors import TranscriptError
from coach.gcpause import collector_paused
from coach.parties import find_parties
from coach.rubric.choice import RubricChoice, bundled_by_call_type, rubric_for
from coach.rubric.schema import Rubric, RubricItem, load_rubric
from coach.scorecard import (
    CallInfo,
    CallType,
    Evidence,
    ItemResult,
    RubricRef,
    Scorecard,
    SpeakerInfo,
    Trigger,
    Verdict,
    VerdictSource,
)
from coach.transcript import Role, RoleSource, Transcript

_ACCOUNT_TRIGGERS = (Trigger.usage_threshold, Trigger.renewal_window)

NO_SELLER = (
    "no seller-side speaker was identified, so seller rules cannot be judged; "
    "name the vendor side with --seller NAME"
)
# Why a `grader: llm` question item has no verdict on a heuristics-only scorecard.
NEEDS_LLM = "needs an LLM endpoint: set OPENAI_BASE_URL (or COACH_LLM=embedded) to have the LLM answer this question"
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
    source = VerdictSource.llm if item.detector is None else VerdictSource.heuristic
    advice = ""
    if result.verdict is Verdict.fail:
        advice = " ".join([item.advice.get(result.mode or "", ""), *result.extra_advice]).strip()
    elif result.verdict is Verdict.pass_:
        advice = item.advice.get("pass", "")
    return ItemResult(
        id=item.id,
        title=item.title,
        verdict=result.verdict,
        source=source,
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


def _score_reason(kind: CallTypeResult, has_seller: bool, items: list[ItemResult]) -> str:
    """Why nothing was judged, in words a rep and a manager both read."""
    if kind.value is CallType.not_sales:
        return kind.info.reason
    if not has_seller:
        return ("no seller was identified, so no seller rule could be judged and the call has no rep's score "
                "(name the vendor side with --seller NAME)")
    return f"no rubric item applied to this {kind.value.value} call"


def score_items(rubric: Rubric, items: list[ItemResult]) -> float | None:
    """The 0-100 score of final verdicts; the LLM grader re-scores with it after merging."""
    return _score(rubric, items)


def score_transcript(
    transcript: Transcript, rubric: Rubric | None = None, *, call_type: CallType | str | None = None
) -> Scorecard:
    """`call_type` (the user's `--call-type`) overrides the classifier."""
    with collector_paused():  # see coach.gcpause
        return _score_transcript(transcript, rubric or load_rubric(), call_type, None)


def score_call(
    transcript: Transcript, rubric: Rubric | None = None, *, call_type: CallType | str | None = None
) -> Scorecard:
    """The call scored with `rubric` when the user named one, else with the rubric the call-type
    gate picks for it; `rubric.reason` on the card says which happened."""
    with collector_paused():
        gate = bundled_by_call_type()
        return _score_transcript(transcript, rubric or gate[CallType.unknown], call_type,
                                 lambda kind: rubric_for(kind, gate, rubric))  # fmt: skip


def _account_evidence(ctx: CallContext) -> list[Evidence]:
    """Usage-threshold and renewal-window sentences, whoever says them: facts of an existing account."""
    found = []
    for trigger in _ACCOUNT_TRIGGERS:
        for view, sent in ctx.key_sentences(f"facts.trigger.{trigger.value}")[:2]:
            found.append(ctx.sentence_evidence(view, sent, trigger.value.replace("_", " ")))
    return found


def _reads_triggers_alike(one: Rubric, other: Rubric) -> bool:
    """Both rubrics find the same usage and renewal triggers (same patterns, same language)."""
    return one.facts.trigger == other.facts.trigger and one.language == other.language


def _not_sales_roles(transcript: Transcript, warnings: list[str]) -> None:
    """Nobody sells or buys on a meeting: heuristic roles step back to unknown, their lean kept as the guess."""
    demoted = [s for s in transcript.speakers if s.role is not Role.unknown and s.role_source is RoleSource.heuristic]
    for s in demoted:
        s.role_guess, s.role = s.role, Role.unknown
    sounded = [s.name for s in demoted if s.role_guess is Role.seller]
    if sounded:
        warnings.append(f"not a sales call, so nobody is the seller ({', '.join(sounded)} only sounded like one)")
    transcript.warnings = [w for w in transcript.warnings if not w.startswith("no seller identified")]
    warnings[:] = [w for w in warnings if not w.startswith("no seller identified")]


def _score_transcript(
    transcript: Transcript, rubric: Rubric, call_type: CallType | str | None,
    choose: Callable[[CallType], RubricChoice] | None,
) -> Scorecard:  # fmt: skip
    """`choose`: the gate, asked once the call's type is known (None: `rubric` scores it, no reason given)."""
    # The call's type needs the account evidence the rubric finds (`_account_evidence`), and
    # the gate's rubric needs the type. Reading a call with a rubric is most of the cost, so
    # the cues' guess without that evidence picks the rubric to read with first: the default
    # rubric's trigger facts are read by any rubric that states them alike, and the call is
    # read again only when the evidence changes the type and so the rubric.
    measure = measure_call(transcript, call_type)
    first = rubric
    if choose is not None:
        guess = choose(decide(measure).value).rubric
        if guess is not rubric and _reads_triggers_alike(guess, rubric):
            first = guess
    ctx = CallContext(transcript, first)
    _check_language(ctx)
    warnings = list(transcript.warnings)
    kind = decide(measure, _account_evidence(ctx))
    chosen_because = ""
    if choose is not None:
        choice = choose(kind.value)
        chosen_because = choice.reason
        rubric = choice.rubric
        if rubric is not ctx.rubric:
            ctx = ctx.reread(rubric)
    not_sales = kind.value is CallType.not_sales
    if not_sales:
        transcript = transcript.model_copy(deep=True)
        _not_sales_roles(transcript, warnings)
        ctx = ctx.reread(transcript=transcript)
    has_seller = ctx.has_seller and not not_sales
    if not has_seller and not not_sales:
        warnings.append(NO_SELLER)
    results = []
    for item in rubric.items:
        if not_sales:
            result = DetectorResult(verdict=Verdict.not_applicable, reason=f"not a sales call: {kind.info.reason}",
                                    confidence=kind.info.confidence)
        elif kind.value not in item.applies_to:
            result = DetectorResult(
                verdict=Verdict.not_applicable, confidence=kind.info.confidence,
                reason=f"applies to {', '.join(t.value for t in item.applies_to)} calls; this is a "
                       f"{kind.value.value} call ({kind.info.reason})")
        elif item.detector is None:
            # A question only the LLM answers; the grader replaces this when one is configured.
            result = DetectorResult(verdict=Verdict.not_applicable, reason=NEEDS_LLM, confidence=0.0)
        elif not has_seller and item.detector.type not in WORKS_WITHOUT_SELLER:
            result = DetectorResult(verdict=Verdict.not_applicable, reason=NO_SELLER, confidence=0.0)
        else:
            check = ITEM_CHECKS.get(item.detector.type)
            result = check(ctx, item) if check else REGISTRY[item.detector.type](ctx, item.detector.params)
            if result.reason == NO_EXPANSION and ctx.escalation_named:
                result = result.model_copy(update={"reason": PARKED})
        results.append(_item_result(item, result))
    motion, motion_evidence = detect_motion(ctx) if has_seller else (None, [])
    trigger, trigger_evidence = detect_trigger(ctx) if not not_sales else (Trigger.none, [])
    workflow_evidence = detect_workflow(ctx) if not not_sales else []
    metrics = compute_metrics(ctx)
    # Without a seller only call-level items (a next step) can be judged; a score from those
    # alone would read as the rep's score, so the card says why there is none.
    score = _score(rubric, results) if has_seller else None
    score_reason = "" if score is not None else _score_reason(kind, has_seller, results)
    card = Scorecard(
        call=CallInfo(
            id=transcript.id,
            source=transcript.source,
            format=transcript.format,
            duration_s=transcript.duration_s,
            speakers=[
                SpeakerInfo(id=s.id, name=s.name, role=s.role, role_confidence=s.role_confidence,
                            role_guess=s.role_guess, role_source=s.role_source.value)
                for s in transcript.speakers
            ],
        ),
        rubric=RubricRef(id=rubric.id, version=rubric.version, reason=chosen_because),
        items=results,
        metrics=metrics,
        score=score,
        score_reason=score_reason,
        call_type=kind.value,
        call_type_detail=kind.info,
        warnings=warnings,
        motion_evidence=motion_evidence,
        trigger_evidence=trigger_evidence,
        workflow_evidence=workflow_evidence,
    )
    if motion is not None:
        card.motion = motion
    card.trigger = trigger
    card.parties = find_parties(transcript)
    return fill_card(card, rubric.advice_slots)  # advice naming this call's facts, now that they are known
