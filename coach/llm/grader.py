"""The LLM grader: one request grades every LLM-graded item of a call, evidence is checked,
and the judgments are merged into the heuristic scorecard per the rubric's policy.

Merge policy (`grader:` on each rubric item):
- `heuristic`: the LLM is not asked; the heuristic verdict stands.
- `llm`: the LLM's verdict is final when it rests on checked evidence; if it
  does not (dropped, `not_applicable`, or the LLM failed), the heuristic
  verdict stands.
- `both`: both judge and the heuristic verdict stays final; the LLM is a second
  opinion. The heuristics are the part measured against the labelled set, so a
  weak model (the embedded 135M one) can flag an item but never make it worse.
Whenever both ran and disagree the item is marked `disputed` and keeps both
opinions; a manager looks at those first.
- a question item (`grader: llm` with `question`, `yes`, `no` and no detector):
  the LLM's answer is the verdict (yes = pass, no = fail) when its quote checks out;
  a dropped answer, a `not_applicable` one or a failed LLM leaves the item
  `not_applicable` with the reason, so it never counts toward the score.

Advice: every item whose final verdict is `fail` gets the LLM's advice when it
wrote useful advice for it (`coach.llm.advice`: names something said in the call,
proposes a line the rep could say, no placeholders, not the item read back), the
rubric's otherwise. The same single request asks
for it: each LLM-graded item's judgment carries advice whatever the verdict
(shown only if the item ends up failed, so a `both` item the heuristics fail
gets LLM advice even when the LLM passed it), and an `advice_for` object
covers the items the heuristics failed that the LLM does not judge, each
given with the playbook's note for how it failed. Advice that is too short or
not prose is dropped in favour of the rubric's.

A pass or fail from the LLM counts only if at least one of its quotes is found
in the transcript (case and whitespace folded); otherwise the judgment is
dropped and counted. Quotes shown to users are cut from the original
transcript, never the model's text or the redacted text it saw.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, Field, create_model

from coach.advice_slots import fill, generic, slot_values
from coach.errors import RubricError
from coach.llm.advice import call_vocabulary, useful
from coach.llm.advice import clean as clean_advice
from coach.llm.errors import LLMError
from coach.llm.prompting import (
    GradePrompt,
    PromptAdvice,
    PromptItem,
    PromptSpeaker,
    PromptTurn,
    PromptWindow,
    GRADE_TEMPLATES,
    grade_messages,
    render,
    render_turn,
    template_hash,
)
from coach.llm.protocol import ChatMessage, ChatModel, Usage
from coach.llm.quotes import find_quote
from coach.llm.redact import INSTRUCTION_TOKEN, RedactedText, redact, speaker_name
from coach.scorecard import CallType, DisputeNote, Evidence, ItemResult, LLMRun, Opinion, Scorecard, Verdict, VerdictSource
from coach.transcript import Role, Transcript, Turn

MAX_EVIDENCE = 2
MAX_QUOTE_CHARS = 150  # the prompt asks for 5 to 25 words
MAX_ADVICE_CHARS = 240
# Reply budgets are the schema's worst case, not a typical reply: the embedded model fills
# every string to its maxLength, and a reply cut at max_tokens is invalid JSON. The junk it
# fills them with ("-a-m-n-o-f-...") runs at ~1.4 characters a token (an hour call's window
# was cut at 578 tokens by an estimate of 3.5), so strings are budgeted at one token a
# character, the worst case for ASCII, and kept short instead.
_CHARS_PER_TOKEN = 1.0
PER_ITEM_OUTPUT_TOKENS = 40 + round((MAX_EVIDENCE * MAX_QUOTE_CHARS + MAX_ADVICE_CHARS) / _CHARS_PER_TOKEN)
PER_ADVICE_OUTPUT_TOKENS = 15 + round(MAX_ADVICE_CHARS / _CHARS_PER_TOKEN)  # the key and the prose
ADVICE_KEY = "advice_for"
MESSAGE_OVERHEAD_TOKENS = 5
CONTEXT_SAFETY_TOKENS = 64
# The repair re-ask sends the prompt again plus the failed reply and a short correction
# (structured.repair_message): a request leaves room for it, or its repair could not fit.
REPAIR_MESSAGE_TOKENS = 160
# Issue 4's cost rule: a request's prompt carries at most this many tokens beyond the call's own
# words (`transcript_tokens` of its window). Instructions, legend, time markers and advice requests
# all come out of it; advice requests that would break it fall back to the rubric's advice.
PROMPT_OVERHEAD_TOKENS = 1500
OVERLAP_TURNS = 2
_STRICTNESS = {Verdict.fail: 2, Verdict.pass_: 1, Verdict.not_applicable: 0}

LLMVerdict = Literal["pass", "fail", "not_applicable"]


# -- what the grader needs from a rubric ----------------------------------------------------
class GradedItem(Protocol):
    """The fields of `coach.rubric.RubricItem` the grader reads."""

    id: str
    title: str
    description: str
    grader: str
    advice: dict[str, str]


class GradedRubric(Protocol):
    id: str
    version: str
    advice_slots: Mapping[str, str]  # slot -> wording when the call has no value (coach.advice_slots)

    @property
    def items(self) -> Sequence[GradedItem]: ...


class Grader(Protocol):
    """What scoring front-ends call after the heuristics: scorecard in, scorecard out."""

    def grade(self, transcript: Transcript, scorecard: Scorecard, rubric: GradedRubric) -> Scorecard: ...


@dataclass
class SkippedGrader:
    """`--no-llm`, or no model at all: records why the LLM did not run."""

    reason: str
    failed: bool = False

    def grade(self, transcript: Transcript, scorecard: Scorecard, rubric: GradedRubric) -> Scorecard:
        status = f"{'failed' if self.failed else 'skipped'}: {self.reason}"
        update: dict[str, object] = {"llm": LLMRun(llm_status=status, rubric_version=rubric.version)}
        if self.failed:  # asked for, but the model could not be reached: say so on the questions it owed
            update["items"] = unanswered(scorecard, rubric.items, f"the LLM could not answer this question: {self.reason}")
        return scorecard.model_copy(update=update)


# -- the reply schema -----------------------------------------------------------------------
def reply_schema(
    item_ids: Sequence[str], turn_indices: Sequence[int], advice_ids: Sequence[str] = ()
) -> type[BaseModel]:
    """A JSON object with one key per item, in rubric order, so a grammar walks every item.

    Evidence comes before the verdict on purpose: small models judge better
    after pointing at the text. Turn numbers are an enum because grammar-based
    decoders ignore integer minimum/maximum. `advice_ids` (items the heuristics
    failed and the LLM does not judge) add an `advice_for` object last, one
    required string per item, so a grammar makes the model write each one.
    """
    if ADVICE_KEY in item_ids:
        raise RubricError(f"an LLM-graded item may not be called {ADVICE_KEY!r}: the reply uses that key", source="rubric")
    claim = create_model(
        "EvidenceClaim",
        turn=(int, Field(json_schema_extra={"enum": list(turn_indices)})),
        quote=(str, Field(max_length=MAX_QUOTE_CHARS)),
    )
    judgement = create_model(
        "ItemJudgement",
        evidence=(list[claim], Field(max_length=MAX_EVIDENCE)),  # type: ignore[valid-type]
        verdict=(LLMVerdict, ...),
        advice=(str, Field(max_length=MAX_ADVICE_CHARS)),
    )
    fields: dict[str, object] = {item_id: (judgement, ...) for item_id in item_ids}
    if advice_ids:
        advice = create_model(
            "AdviceFor", **{i: (str, Field(max_length=MAX_ADVICE_CHARS)) for i in advice_ids}  # type: ignore[call-overload]
        )
        fields[ADVICE_KEY] = (advice, ...)
    return create_model("CallGrading", **fields)  # type: ignore[call-overload,no-any-return]


# -- the call as the model sees it ---------------------------------------------------------
_ROLE_LETTERS = {Role.seller: "S", Role.customer: "C"}  # anyone else: U


def speaker_legend(transcript: Transcript) -> dict[str, PromptSpeaker]:
    """Speaker id -> tag, name and role. One seller is `S`; several are `S1`, `S2`... in speaking order.

    The legend carries names and roles once, so each line costs a one-token tag
    instead of a full name (a 60-minute call has 500+ turns).
    """
    people: dict[str, tuple[str, Role]] = {s.id: (s.name, s.role) for s in transcript.speakers}
    for turn in transcript.turns:
        people.setdefault(turn.speaker, (turn.speaker, Role.unknown))
    spoken = list(dict.fromkeys(t.speaker for t in transcript.turns))
    order = spoken + [sid for sid in people if sid not in spoken]  # listed but silent speakers last
    letters = {sid: _ROLE_LETTERS.get(people[sid][1], "U") for sid in order}
    totals = Counter(letters.values())
    seen: Counter[str] = Counter()
    legend = {}
    for sid in order:
        letter = letters[sid]
        seen[letter] += 1
        tag = letter if totals[letter] == 1 else f"{letter}{seen[letter]}"
        legend[sid] = PromptSpeaker(tag=tag, name=speaker_name(people[sid][0]), role=people[sid][1].value)
    return legend


@dataclass
class SentTurn:
    turn: Turn
    tag: str
    speaker: str
    sent: RedactedText

    def prompt_turn(self, *, minute: int | None = None) -> PromptTurn:
        return PromptTurn(index=self.turn.index, tag=self.tag, minute=minute, text=" ".join(self.sent.text.split()))


def prepare_turns(transcript: Transcript, *, redact_personal: bool) -> list[SentTurn]:
    legend = speaker_legend(transcript)
    turns = []
    for turn in transcript.turns:
        speaker = transcript.speaker_name(turn)
        sent = redact(turn.text, personal=redact_personal, instructions=True)
        turns.append(SentTurn(turn=turn, tag=legend[turn.speaker].tag, speaker=speaker, sent=sent))
    return turns


def prompt_turns(turns: Sequence[SentTurn]) -> list[PromptTurn]:
    """The turns as shown, a minute marker on the first turn of each new minute (and of the window).

    Evidence times come from the transcript by turn number, so the model needs
    only enough time to orient itself ("early", "in the last minutes").
    """
    shown: list[PromptTurn] = []
    last: int | None = None
    for sent_turn in turns:
        start = sent_turn.turn.start_s
        minute = int(start // 60) if start is not None else None
        shown.append(sent_turn.prompt_turn(minute=minute if minute is not None and minute != last else None))
        last = minute if minute is not None else last
    return shown


def verify_claim(quote: str, cited_turn: int, turns: Sequence[SentTurn]) -> Evidence | None:
    """Evidence cut from the original transcript if `quote` is in the cited turn or, failing that, any turn."""
    ordered = sorted(turns, key=lambda t: (t.turn.index != cited_turn, t.turn.index))
    for sent_turn in ordered:
        span = find_quote(quote, sent_turn.sent.text)
        if span is None:
            continue
        if sent_turn.sent.overlaps(*span, INSTRUCTION_TOKEN):
            return None  # the quote runs across a removed instruction: not what was said
        start, end = sent_turn.sent.to_original(*span)
        moved = sent_turn.turn.index != cited_turn
        note = "quoted by the LLM" + (f"; it cited turn {cited_turn}" if moved else "")
        return Evidence(
            turn=sent_turn.turn.index, speaker=sent_turn.speaker, start_s=sent_turn.turn.start_s,
            quote=sent_turn.turn.text[start:end], note=note,
        )  # fmt: skip
    return None


# -- per-item outcome of the LLM ------------------------------------------------------------
@dataclass
class LLMOutcome:
    opinion: Opinion | None = None
    dropped: int = 0
    unverified: int = 0
    advice: str = ""  # usable advice whatever the LLM's verdict; used only if the final verdict is fail


def judge_window(
    reply: BaseModel, item_ids: Sequence[str], turns: Sequence[SentTurn], advice_ids: Sequence[str] = ()
) -> dict[str, LLMOutcome]:
    outcomes: dict[str, LLMOutcome] = {}
    written = getattr(reply, ADVICE_KEY, None)
    for item_id in advice_ids:
        outcomes[item_id] = LLMOutcome(advice=clean_advice(getattr(written, item_id)))
    for item_id in item_ids:
        judgement = getattr(reply, item_id)
        verdict = Verdict(judgement.verdict)
        evidence: list[Evidence] = []
        unverified = 0
        for claim in judgement.evidence:
            found = verify_claim(claim.quote, claim.turn, turns)
            if found is None:
                unverified += 1
            elif all((e.turn, e.quote) != (found.turn, found.quote) for e in evidence):
                evidence.append(found)
        if verdict is not Verdict.not_applicable and not evidence:
            # A judgment resting on quotes the call does not contain: its advice goes with it.
            outcomes[item_id] = LLMOutcome(dropped=1, unverified=unverified)
            continue
        advice = clean_advice(judgement.advice)
        opinion = Opinion(
            verdict=verdict, evidence=evidence if verdict is not Verdict.not_applicable else [],
            advice=advice if verdict is Verdict.fail else "",
        )  # fmt: skip
        outcomes[item_id] = LLMOutcome(opinion=opinion, unverified=unverified, advice=advice)
    return outcomes


def merge_windows(per_window: Sequence[dict[str, LLMOutcome]], item_ids: Sequence[str]) -> dict[str, LLMOutcome]:
    """Across overlapping windows: any fail wins, then any pass, then not_applicable.

    Advice comes from a window whose verdict won, else from any window that wrote some.
    """
    merged: dict[str, LLMOutcome] = {}
    for item_id in item_ids:
        outcomes = [w[item_id] for w in per_window if item_id in w]
        judged = [o for o in outcomes if o.opinion is not None]
        total = LLMOutcome(dropped=sum(o.dropped for o in outcomes), unverified=sum(o.unverified for o in outcomes))
        winners: list[LLMOutcome] = []
        if judged:
            top = max(_STRICTNESS[o.opinion.verdict] for o in judged if o.opinion)
            winners = [o for o in judged if o.opinion and _STRICTNESS[o.opinion.verdict] == top]
            evidence: list[Evidence] = []
            for outcome in winners:
                for ev in outcome.opinion.evidence if outcome.opinion else []:
                    if all((e.turn, e.quote) != (ev.turn, ev.quote) for e in evidence):
                        evidence.append(ev)
            verdict = winners[0].opinion.verdict if winners[0].opinion else Verdict.not_applicable
            shown = next((o.opinion.advice for o in winners if o.opinion and o.opinion.advice), "")
            total.opinion = Opinion(verdict=verdict, evidence=evidence, advice=shown)
        total.advice = next((o.advice for o in [*winners, *outcomes] if o.advice), "")
        merged[item_id] = total
    return merged


# -- merging into the heuristic scorecard ---------------------------------------------------
def static_advice(item: GradedItem) -> str:
    """The rubric's first advice for the item, slots unfilled: fill it with `CallAdvice` or `generic`."""
    return next((text for text in item.advice.values() if text.strip()), "")


def _words(text: str) -> str:
    return " ".join(text.split())


def question_of(item: GradedItem) -> str:
    """The question a `grader: llm` question item asks ("" for an item with a detector)."""
    return getattr(item, "question", None) or ""


def prompt_item(item: GradedItem, slots: Mapping[str, str]) -> PromptItem:
    """An item as the prompt states it; a question item by its question and what yes and no mean.
    Advice slots in their fallback wording: the system message stays the same for every call."""
    question = question_of(item)
    advice = generic(static_advice(item), slots)
    if not question:
        return PromptItem(id=item.id, title=item.title, pass_when=_words(item.description), advice=advice)
    return PromptItem(
        id=item.id, title=item.title, question=_words(question), pass_when=_words(getattr(item, "yes", "")),
        fail_when=_words(getattr(item, "no", "")), not_applicable_when=_words(getattr(item, "not_applicable_when", "")),
        advice=advice,
    )  # fmt: skip


def answer_question(
    placeholder: ItemResult | None, outcome: LLMOutcome, item: GradedItem, call: "CallAdvice | None" = None
) -> ItemResult:
    """A question item's result is the LLM's answer alone: no heuristic opinion to merge or dispute.

    Yes / no count only with a quote found in the call; a dropped answer, or none, leaves
    the item not_applicable with the reason, so it never counts toward the score.
    """
    base = placeholder or ItemResult(id=item.id, verdict=Verdict.not_applicable, source=VerdictSource.llm)
    llm = outcome.opinion
    if llm is None:
        why = (f"the LLM's answer was dropped: its quote{'s are' if outcome.unverified > 1 else ' is'} not in the transcript"
               if outcome.dropped else "the LLM gave no answer to this question")  # fmt: skip
        return base.model_copy(update={"verdict": Verdict.not_applicable, "source": VerdictSource.llm, "reason": why,
                                       "evidence": [], "advice": "", "llm_dropped_claims": outcome.dropped})  # fmt: skip
    if llm.verdict is Verdict.not_applicable:
        when = _words(getattr(item, "not_applicable_when", ""))
        why = "the LLM found the question does not apply to this call" + (f" ({when})" if when else "")
        return base.model_copy(update={"verdict": Verdict.not_applicable, "source": VerdictSource.llm, "reason": why,
                                       "evidence": [], "llm_opinion": llm, "llm_dropped_claims": outcome.dropped})  # fmt: skip
    answer, meaning = ("yes", getattr(item, "yes", "")) if llm.verdict is Verdict.pass_ else ("no", getattr(item, "no", ""))
    result = ItemResult(
        id=item.id, verdict=llm.verdict, source=VerdictSource.llm, evidence=llm.evidence, llm_opinion=llm,
        llm_dropped_claims=outcome.dropped, reason=f"the LLM answered {answer}: {_words(meaning)}",
        advice=item.advice.get("pass", "") if llm.verdict is Verdict.pass_ else "",
    )  # fmt: skip
    return _with_advice(result, outcome.advice, item, call or CallAdvice())


def unanswered(scorecard: Scorecard, items: Sequence[GradedItem], why: str) -> list[ItemResult]:
    """The scorecard's items with each question item it owed the call not_applicable for `why`
    (the LLM failed); one kept off this kind of call keeps its own reason."""
    if scorecard.call_type is CallType.not_sales:
        return scorecard.items
    kind = scorecard.call_type
    asked = {i.id for i in items if question_of(i) and kind in getattr(i, "applies_to", [kind])}
    return [r.model_copy(update={"reason": why}) if r.id in asked else r for r in scorecard.items]


@dataclass(frozen=True)
class CallAdvice:
    """What fills the rubric's advice slots for one call: its facts, else the rubric's fallback wording."""

    values: Mapping[str, str] = field(default_factory=dict)
    fallbacks: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, scorecard: Scorecard, rubric: GradedRubric) -> "CallAdvice":
        return cls(values=slot_values(scorecard), fallbacks=rubric.advice_slots)

    def rubric_advice(self, item: GradedItem) -> str:
        return fill(static_advice(item), self.values, self.fallbacks)


def merge_item(
    heuristic: ItemResult | None, outcome: LLMOutcome, item: GradedItem, call: CallAdvice = CallAdvice()
) -> ItemResult | None:
    llm = outcome.opinion
    if heuristic is None:
        if llm is None:
            return None
        result = ItemResult(
            id=item.id, title=item.title, verdict=llm.verdict, source=VerdictSource.llm, evidence=llm.evidence,
            llm_opinion=llm, llm_dropped_claims=outcome.dropped,
        )  # fmt: skip
        return _with_advice(result, outcome.advice, item, call)
    if llm is None:
        return _with_advice(heuristic.model_copy(update={"llm_dropped_claims": outcome.dropped}), outcome.advice, item, call)
    mine = Opinion(verdict=heuristic.verdict, evidence=heuristic.evidence, advice=heuristic.advice)
    update: dict[str, object] = {
        "heuristic_opinion": mine,
        "llm_opinion": llm,
        "llm_dropped_claims": outcome.dropped,
    }
    if llm.verdict == heuristic.verdict:
        update["source"] = VerdictSource.both
        if not heuristic.evidence:
            update["evidence"] = llm.evidence  # a verdict without evidence is a bug; the LLM's checked out
        result = heuristic.model_copy(update=update)
        return _with_advice(result, outcome.advice, item, call)
    update["disputed"] = True
    # Only a verdict with checked evidence may overturn the heuristics; an LLM's
    # "not applicable" has none, so it is recorded but never wins.
    llm_wins = item.grader == "llm" and llm.verdict is not Verdict.not_applicable
    if llm_wins:
        update.update(verdict=llm.verdict, evidence=llm.evidence, source=VerdictSource.llm)
        update["advice"] = ""  # the heuristic's advice was about its own verdict
    update["dispute_note"] = DisputeNote(
        llm_verdict=llm.verdict, llm_evidence=llm.evidence[0] if llm.evidence else None,
        stands="llm" if llm_wins else "heuristic", why=_why_it_stands(item.grader, llm.verdict, llm_wins),
    )  # fmt: skip
    result = heuristic.model_copy(update=update)
    return _with_advice(result, outcome.advice, item, call)


def _why_it_stands(policy: str, llm_verdict: Verdict, llm_wins: bool) -> str:
    """The merge policy in one sentence, for a disputed item."""
    if llm_wins:
        return "the rubric lets the LLM decide this item (grader: llm) and its quote was found in the call"
    if policy == "llm":
        return "an LLM 'not applicable' carries no evidence, so it never overturns a verdict"
    return (
        "the rubric takes the LLM as a second opinion on this item (grader: both): the heuristic checks, "
        "measured against labelled calls, stay final"
    )


def _with_advice(result: ItemResult, llm_advice: str, item: GradedItem, call: CallAdvice) -> ItemResult:
    """A failed item's advice: the LLM's when it wrote usable advice, else the rubric's, filled for this call."""
    if result.verdict is not Verdict.fail:
        return result
    if llm_advice:
        return result.model_copy(update={"advice": llm_advice, "advice_source": "llm"})
    if not result.advice:
        return result.model_copy(update={"advice": call.rubric_advice(item), "advice_source": "rubric"})
    return result


def rescore(rubric: GradedRubric, items: list[ItemResult], previous: float | None) -> float | None:
    """The call's score under the final verdicts, by the scorer's own weighting."""
    from coach.rubric.schema import Rubric
    from coach.scoring import score_items  # before coach.rubric.schema: that import order avoids a cycle there

    if not isinstance(rubric, Rubric):
        return previous  # a rubric stand-in carries no weights
    if previous is None:
        return None  # unscored for a reason (no seller, not a sales call) the model's verdicts do not change
    return score_items(rubric, items)


# -- windows --------------------------------------------------------------------------------
@dataclass
class Window:
    turns: list[SentTurn]
    number: int = 1
    count: int = 1
    advice: list[PromptAdvice] = field(default_factory=list)  # heuristic fails whose advice this request asks for


@dataclass
class AdviceRequest:
    """An item the heuristics failed and the LLM does not judge, and where in the call it failed."""

    prompt: PromptAdvice
    turn: int | None  # the heuristic's first evidence turn; None when the failure is an absence


@dataclass
class PlannedRequest:
    """One request exactly as it will be sent: counted before sending."""

    window: Window
    messages: list[ChatMessage]
    max_tokens: int
    prompt_tokens: int  # counted with the model's tokenizer (or the generous estimate)


def plan_windows(costs: Sequence[int], *, available: int) -> list[tuple[int, int]]:
    """[start, end) spans of consecutive turns whose line costs fit `available`, each overlapping the last by OVERLAP_TURNS."""
    if available <= 0:
        raise LLMContextError("the rubric's instructions alone exceed the model's context")
    if sum(costs) <= available:
        return [(0, len(costs))]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(costs):
        end, used = start, 0
        while end < len(costs) and (used + costs[end] <= available or end == start):
            used += costs[end]
            end += 1
        spans.append((start, end))
        if end >= len(costs):
            break
        start = max(end - OVERLAP_TURNS, start + 1)
    return spans


def transcript_tokens(turns: Sequence[SentTurn], count: Callable[[str], int]) -> int:
    """The turns as plain `Name: text` lines, the least any prompt must carry: what the overhead budget is measured against."""
    return count("\n".join(f"{t.speaker}: {' '.join(t.sent.text.split())}" for t in turns))


class LLMContextError(LLMError):
    """The call cannot be fitted into the model's context at all."""


# -- the grader -----------------------------------------------------------------------------
# Renderings of the user template with and without one advice line: their difference prices the heading.
_NO_ADVICE_PROBE: dict[str, object] = {
    "call_name": "c", "total_turns": 1, "speakers": [], "turns": [], "window": None, "advice_items": [],
}  # fmt: skip
_ADVICE_PROBE = {**_NO_ADVICE_PROBE, "advice_items": [{"id": "", "title": "", "note": ""}]}


@dataclass
class LLMGrader:
    model: ChatModel
    redact_personal: bool = False
    max_output_tokens: int = 2048
    concurrency: int = 1  # calls in flight at once in grade_many
    clock: Callable[[], float] = time.perf_counter
    last_prompts: list[list[ChatMessage]] = field(default_factory=list, repr=False)
    # Progress of one call's requests (windows): called with (answered, total) before the first and after each.
    on_window: Callable[[int, int], None] | None = field(default=None, repr=False)

    def llm_items(self, rubric: GradedRubric) -> list[GradedItem]:
        return [item for item in rubric.items if item.grader in ("llm", "both")]

    def grade(self, transcript: Transcript, scorecard: Scorecard, rubric: GradedRubric) -> Scorecard:
        # An item the rubric keeps off this kind of call stays not_applicable whatever a model says.
        items = [i for i in self.llm_items(rubric) if scorecard.call_type in getattr(i, "applies_to", [scorecard.call_type])]
        info = self.model.info
        run = LLMRun(
            llm_status="ok", model=info.model, endpoint_kind=info.endpoint_kind.value,
            temperature=info.temperature, seed=info.seed, rubric_version=rubric.version,
            prompt_template_hash=template_hash(), redacted=self.redact_personal,
            items_graded=[i.id for i in items],
        )  # fmt: skip
        if scorecard.call_type is CallType.not_sales:
            return scorecard.model_copy(update={"llm": run.model_copy(update={"llm_status": "skipped: not a sales call"})})
        if not items:
            return scorecard.model_copy(update={"llm": run.model_copy(update={"llm_status": "skipped: no LLM-graded items"})})
        if not transcript.turns:
            return scorecard.model_copy(update={"llm": run.model_copy(update={"llm_status": "skipped: empty call"})})
        began = self.clock()
        usage = Usage()
        requests = 0
        planned: list[PlannedRequest] = []
        item_ids = [i.id for i in items]
        try:
            turns = prepare_turns(transcript, redact_personal=self.redact_personal)
            planned = self.plan(transcript, scorecard, rubric, turns=turns)
            per_window = []
            self.last_prompts = []
            if self.on_window is not None:
                self.on_window(0, len(planned))
            for request in planned:
                advice_ids = [a.id for a in request.window.advice]
                schema = reply_schema(item_ids, [t.turn.index for t in request.window.turns], advice_ids)
                self.last_prompts.append(request.messages)
                reply = self.model.structured(request.messages, schema, max_tokens=request.max_tokens, name="call_grading")
                usage = usage + reply.usage
                requests += reply.attempts
                per_window.append(judge_window(reply.value, item_ids, turns, advice_ids))
                if self.on_window is not None:
                    self.on_window(len(per_window), len(planned))
        except (LLMError, RubricError) as exc:
            reason = exc.short_reason() if isinstance(exc, LLMError) else exc.one_line()
            # What the failed request cost is still spent: the reproducibility block shows it.
            usage = usage + Usage(
                prompt_tokens=getattr(exc, "spent_prompt_tokens", 0), completion_tokens=getattr(exc, "spent_completion_tokens", 0)
            )
            failed = run.model_copy(update={
                "llm_status": f"failed: {reason}", "tokens_in": usage.prompt_tokens,
                "tokens_out": usage.completion_tokens, "wall_time_s": round(self.clock() - began, 3),
                "requests": requests + getattr(exc, "requests_made", 0), "windows": len(planned),
                "structured_mode": self.model.info.structured_mode,
            })  # fmt: skip
            why = f"the LLM could not answer this question: {reason}"
            return scorecard.model_copy(update={"llm": failed, "items": unanswered(scorecard, items, why)})
        advised = [a.id for r in planned for a in r.window.advice]
        outcomes = merge_windows(per_window, [*item_ids, *advised])
        self._keep_useful_advice(outcomes, rubric, transcript)
        merged_items = self._merge(scorecard, rubric, items, outcomes, CallAdvice.of(scorecard, rubric))
        run = run.model_copy(update={
            "tokens_in": usage.prompt_tokens, "tokens_out": usage.completion_tokens,
            "wall_time_s": round(self.clock() - began, 3), "requests": requests, "windows": len(planned),
            "structured_mode": self.model.info.structured_mode,
            "dropped_claims": sum(outcomes[i].dropped for i in item_ids),
            "unverified_quotes": sum(outcomes[i].unverified for i in item_ids),
            "instructions_removed": sum(t.sent.count(INSTRUCTION_TOKEN) for t in turns),
        })  # fmt: skip
        update: dict[str, object] = {"items": merged_items, "llm": run}
        if [(i.id, i.verdict) for i in merged_items] != [(i.id, i.verdict) for i in scorecard.items]:
            update["score"] = rescore(rubric, merged_items, scorecard.score)
        return scorecard.model_copy(update=update)

    def grade_many(
        self, calls: Iterable[tuple[Transcript, Scorecard]], rubric: GradedRubric, *, concurrency: int | None = None
    ) -> list[Scorecard]:
        """Grades calls side by side; each call's failure stays on its own scorecard."""
        work = list(calls)
        with ThreadPoolExecutor(max_workers=max(1, concurrency or self.concurrency)) as pool:
            return list(pool.map(lambda pair: self.grade(pair[0], pair[1], rubric), work))

    def plan(
        self, transcript: Transcript, scorecard: Scorecard, rubric: GradedRubric, *, turns: list[SentTurn] | None = None
    ) -> list[PlannedRequest]:
        """The requests grading this call will send, one per window, with their prompt tokens counted.

        Windows are planned from per-line token costs, then every rendered
        prompt is counted whole; if one would not fit the context with its
        reply and a possible repair re-ask (line costs and a whole prompt
        tokenize slightly differently) the windows are planned again smaller.
        """
        items = self.llm_items(rubric)
        turns = turns if turns is not None else prepare_turns(transcript, redact_personal=self.redact_personal)
        advice = self.advice_requests(scorecard, rubric)
        context = self.model.info.context_tokens
        costs = [self.model.count_tokens(render_turn(t)) for t in prompt_turns(turns)]
        # The fixed part (instructions, legend, window line, advice requests) priced on a one-turn window.
        # Advice requests are placed only within the overhead budget, so they never cost more than it.
        probe = Window(turns=turns[:1], number=1, count=2)
        bare = self._count(grade_messages(self._prompt(transcript, rubric, items, probe))) - costs[0]
        probe.advice = [a.prompt for a in advice]
        fixed = self._count(grade_messages(self._prompt(transcript, rubric, items, probe))) - costs[0]
        fixed = min(fixed, max(bare, PROMPT_OVERHEAD_TOKENS))
        available = context - self._reserved(self._max_tokens(items, len(advice))) - fixed
        for _ in range(4):
            spans = plan_windows(costs, available=available)
            windows = [Window(turns=turns[a:b], number=i + 1, count=len(spans)) for i, (a, b) in enumerate(spans)]
            planned = self._place_advice(transcript, rubric, windows, advice)
            overflow = max(r.prompt_tokens + self._reserved(r.max_tokens) - context for r in planned)
            if overflow <= 0:
                return planned
            if all(len(w.turns) == 1 for w in windows):
                break
            available -= overflow + CONTEXT_SAFETY_TOKENS
        raise LLMContextError("the call cannot be split into requests that fit the model's context")

    def advice_requests(self, scorecard: Scorecard, rubric: GradedRubric) -> list[AdviceRequest]:
        """Items the heuristics failed and the LLM does not judge, in rubric order, with the playbook's note."""
        judged = {i.id for i in self.llm_items(rubric)}
        results = {r.id: r for r in scorecard.items}
        call = CallAdvice.of(scorecard, rubric)
        requests = []
        for item in rubric.items:
            result = results.get(item.id)
            if result is None or item.id in judged or result.verdict is not Verdict.fail:
                continue
            note = " ".join((result.advice or call.rubric_advice(item)).split())
            first = min((e.turn for e in result.evidence), default=None)
            requests.append(AdviceRequest(prompt=PromptAdvice(id=item.id, title=item.title, note=note), turn=first))
        return requests

    # -- helpers --------------------------------------------------------------------------
    def _keep_useful_advice(self, outcomes: dict[str, LLMOutcome], rubric: GradedRubric, transcript: Transcript) -> None:
        """Drops LLM advice that fails `coach.llm.advice`'s checks: the rubric's advice stands instead."""
        call_words = call_vocabulary(t.text for t in transcript.turns)
        items = {i.id: i for i in rubric.items}
        for item_id, outcome in outcomes.items():
            item = items[item_id]
            item_text = " ".join([item.title, item.description, *(generic(a, rubric.advice_slots) for a in item.advice.values())])
            outcome.advice = useful(outcome.advice, item_text, call_words)
            if outcome.opinion is not None and outcome.opinion.advice:
                outcome.opinion = outcome.opinion.model_copy(
                    update={"advice": useful(outcome.opinion.advice, item_text, call_words)}
                )


    def _request(self, transcript: Transcript, rubric: GradedRubric, window: Window) -> PlannedRequest:
        items = self.llm_items(rubric)
        messages = grade_messages(self._prompt(transcript, rubric, items, window))
        return PlannedRequest(
            window=window, messages=messages, max_tokens=self._max_tokens(items, len(window.advice)),
            prompt_tokens=self._count(messages),
        )  # fmt: skip

    def _place_advice(
        self, transcript: Transcript, rubric: GradedRubric, windows: list[Window], advice: Sequence[AdviceRequest]
    ) -> list[PlannedRequest]:
        """The windows' requests with each advice request placed in one window, within the overhead budget.

        An item goes to the first window showing where it failed, else (or if
        that window has no room) to the least loaded window, latest first. An
        item no window has room for is not asked about: the rubric's advice stands.
        """
        count = self.model.count_tokens

        def overhead(request: PlannedRequest) -> int:
            return request.prompt_tokens - transcript_tokens(request.window.turns, count)

        planned = [self._request(transcript, rubric, w) for w in windows]
        room = [PROMPT_OVERHEAD_TOKENS - overhead(r) for r in planned]
        user = GRADE_TEMPLATES[1]
        heading = count(render(user, **_ADVICE_PROBE)) - count(render(user, **_NO_ADVICE_PROBE))
        for request in advice:
            cost = heading + count(f"- {request.prompt.id}: {request.prompt.note}") + 1
            home = [w for w in windows if any(t.turn.index == request.turn for t in w.turns)][:1]
            for window in home + sorted(reversed(windows), key=lambda w: len(w.advice)):
                i = windows.index(window)
                extra = cost - (heading if window.advice else 0)
                if extra <= room[i]:
                    window.advice.append(request.prompt)
                    room[i] -= extra
                    break
        # Line-by-line prices are close to, not exactly, the whole prompt's count: check the real thing.
        for i, window in enumerate(windows):
            planned[i] = self._request(transcript, rubric, window)
            while window.advice and overhead(planned[i]) > PROMPT_OVERHEAD_TOKENS:
                window.advice.pop()
                planned[i] = self._request(transcript, rubric, window)
        return planned

    def _reserved(self, max_tokens: int) -> int:
        """Context a request needs beyond its prompt: the reply, and room to repair it (failed reply + correction + reply)."""
        return 2 * max_tokens + REPAIR_MESSAGE_TOKENS + CONTEXT_SAFETY_TOKENS

    def _max_tokens(self, items: Sequence[GradedItem], advice: int) -> int:
        return min(self.max_output_tokens, 64 + PER_ITEM_OUTPUT_TOKENS * len(items) + PER_ADVICE_OUTPUT_TOKENS * advice)

    def _prompt(
        self, transcript: Transcript, rubric: GradedRubric, items: Sequence[GradedItem], window: Window
    ) -> GradePrompt:
        turns = window.turns
        shown = None
        if window.count > 1:
            shown = PromptWindow(
                first=turns[0].turn.index, last=turns[-1].turn.index, number=window.number, count=window.count
            )
        legend = speaker_legend(transcript)
        return GradePrompt(
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            max_evidence=MAX_EVIDENCE,
            items=[prompt_item(i, rubric.advice_slots) for i in items],
            call_name=transcript.id or transcript.source or "call",
            total_turns=len(transcript.turns),
            speakers=list(legend.values()),
            turns=prompt_turns(turns),
            advice_items=list(window.advice),
            window=shown,
        )

    def _count(self, messages: list[ChatMessage]) -> int:
        return 3 + sum(self.model.count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def _merge(
        self, scorecard: Scorecard, rubric: GradedRubric, items: Sequence[GradedItem], outcomes: dict[str, LLMOutcome],
        call: CallAdvice,
    ) -> list[ItemResult]:
        by_id = {i.id: i for i in items}
        every = {i.id: i for i in rubric.items}
        merged: list[ItemResult] = []
        seen: set[str] = set()
        for result in scorecard.items:
            seen.add(result.id)
            if result.id in by_id and question_of(by_id[result.id]):
                merged.append(answer_question(result, outcomes[result.id], by_id[result.id], call))
            elif result.id in by_id:
                updated = merge_item(result, outcomes[result.id], by_id[result.id], call)
                merged.append(updated if updated is not None else result)
            elif result.id in outcomes:  # a heuristic fail the LLM wrote advice for
                merged.append(_with_advice(result, outcomes[result.id].advice, every[result.id], call))
            else:
                merged.append(result)
        for item in items:
            if item.id not in seen and question_of(item):
                merged.append(answer_question(None, outcomes[item.id], item, call))
            elif item.id not in seen:
                created = merge_item(None, outcomes[item.id], item, call)
                if created is not None:
                    merged.append(created)
        return merged
