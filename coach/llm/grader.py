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
opinions; a manager looks at those first. For every item whose final verdict is
`fail`, advice comes from the LLM when it also failed the item and wrote some,
from the rubric otherwise.

A pass or fail from the LLM counts only if at least one of its quotes is found
in the transcript (case and whitespace folded); otherwise the judgment is
dropped and counted. Quotes shown to users are cut from the original
transcript, never the model's text or the redacted text it saw.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, Field, create_model

from coach.errors import RubricError
from coach.llm.errors import LLMError
from coach.llm.prompting import (
    GradePrompt,
    PromptItem,
    PromptSpeaker,
    PromptTurn,
    PromptWindow,
    format_time,
    grade_messages,
    template_hash,
)
from coach.llm.protocol import ChatMessage, ChatModel, Usage
from coach.llm.quotes import find_quote
from coach.llm.redact import INSTRUCTION_TOKEN, RedactedText, redact
from coach.scorecard import Evidence, ItemResult, LLMRun, Opinion, Scorecard, Verdict, VerdictSource
from coach.transcript import Transcript, Turn

MAX_EVIDENCE = 2
MAX_QUOTE_CHARS = 240
MAX_ADVICE_CHARS = 360
MIN_ADVICE_WORDS = 5
PER_ITEM_OUTPUT_TOKENS = 170  # two short quotes, a verdict and two sentences of advice
MESSAGE_OVERHEAD_TOKENS = 5
CONTEXT_SAFETY_TOKENS = 64
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
        return scorecard.model_copy(update={"llm": LLMRun(llm_status=status, rubric_version=rubric.version)})


# -- the reply schema -----------------------------------------------------------------------
def reply_schema(item_ids: Sequence[str], turn_indices: Sequence[int]) -> type[BaseModel]:
    """A JSON object with one key per item, in rubric order, so a grammar walks every item.

    Evidence comes before the verdict on purpose: small models judge better
    after pointing at the text. Turn numbers are an enum because grammar-based
    decoders ignore integer minimum/maximum.
    """
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
    fields = {item_id: (judgement, ...) for item_id in item_ids}
    return create_model("CallGrading", **fields)  # type: ignore[call-overload,no-any-return]


# -- the call as the model sees it ---------------------------------------------------------
@dataclass
class SentTurn:
    turn: Turn
    role: str
    speaker: str
    sent: RedactedText

    def prompt_turn(self) -> PromptTurn:
        return PromptTurn(
            index=self.turn.index, role=self.role, speaker=self.speaker, time=format_time(self.turn.start_s),
            text=" ".join(self.sent.text.split()),
        )  # fmt: skip


def prepare_turns(transcript: Transcript, *, redact_personal: bool) -> list[SentTurn]:
    turns = []
    for turn in transcript.turns:
        speaker = transcript.speaker_name(turn)
        sent = redact(turn.text, personal=redact_personal, instructions=True)
        turns.append(SentTurn(turn=turn, role=transcript.role_of(turn).value, speaker=speaker, sent=sent))
    return turns


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


def judge_window(reply: BaseModel, item_ids: Sequence[str], turns: Sequence[SentTurn]) -> dict[str, LLMOutcome]:
    outcomes: dict[str, LLMOutcome] = {}
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
            outcomes[item_id] = LLMOutcome(dropped=1, unverified=unverified)
            continue
        advice = " ".join(judgement.advice.split()) if verdict is Verdict.fail else ""
        if len(advice.split()) < MIN_ADVICE_WORDS:
            advice = ""  # "yes" is not coaching; the rubric's advice stands in
        opinion = Opinion(verdict=verdict, evidence=evidence if verdict is not Verdict.not_applicable else [], advice=advice)
        outcomes[item_id] = LLMOutcome(opinion=opinion, unverified=unverified)
    return outcomes


def merge_windows(per_window: Sequence[dict[str, LLMOutcome]], item_ids: Sequence[str]) -> dict[str, LLMOutcome]:
    """Across overlapping windows: any fail wins, then any pass, then not_applicable."""
    merged: dict[str, LLMOutcome] = {}
    for item_id in item_ids:
        outcomes = [w[item_id] for w in per_window if item_id in w]
        opinions = [o.opinion for o in outcomes if o.opinion is not None]
        total = LLMOutcome(dropped=sum(o.dropped for o in outcomes), unverified=sum(o.unverified for o in outcomes))
        if opinions:
            top = max(_STRICTNESS[o.verdict] for o in opinions)
            chosen = [o for o in opinions if _STRICTNESS[o.verdict] == top]
            evidence: list[Evidence] = []
            for opinion in chosen:
                for ev in opinion.evidence:
                    if all((e.turn, e.quote) != (ev.turn, ev.quote) for e in evidence):
                        evidence.append(ev)
            advice = next((o.advice for o in chosen if o.advice), "")
            total.opinion = Opinion(verdict=chosen[0].verdict, evidence=evidence, advice=advice)
        merged[item_id] = total
    return merged


# -- merging into the heuristic scorecard ---------------------------------------------------
def static_advice(item: GradedItem) -> str:
    return next((text for text in item.advice.values() if text.strip()), "")


def merge_item(heuristic: ItemResult | None, outcome: LLMOutcome, item: GradedItem) -> ItemResult | None:
    llm = outcome.opinion
    if heuristic is None:
        if llm is None:
            return None
        result = ItemResult(
            id=item.id, verdict=llm.verdict, source=VerdictSource.llm, evidence=llm.evidence,
            llm_opinion=llm, llm_dropped_claims=outcome.dropped,
        )  # fmt: skip
        return _with_advice(result, llm, item)
    if llm is None:
        return heuristic.model_copy(update={"llm_dropped_claims": outcome.dropped})
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
        return _with_advice(result, llm, item)
    update["disputed"] = True
    # Only a verdict with checked evidence may overturn the heuristics; an LLM's
    # "not applicable" has none, so it is recorded but never wins.
    if item.grader == "llm" and llm.verdict is not Verdict.not_applicable:
        update.update(verdict=llm.verdict, evidence=llm.evidence, source=VerdictSource.llm)
        update["advice"] = ""  # the heuristic's advice was about its own verdict
    result = heuristic.model_copy(update=update)
    return _with_advice(result, llm, item)


def _with_advice(result: ItemResult, llm: Opinion, item: GradedItem) -> ItemResult:
    if result.verdict is not Verdict.fail:
        return result
    if llm.verdict is Verdict.fail and llm.advice:
        return result.model_copy(update={"advice": llm.advice, "advice_source": "llm"})
    if not result.advice:
        return result.model_copy(update={"advice": static_advice(item), "advice_source": "rubric"})
    return result


def rescore(rubric: GradedRubric, items: list[ItemResult], previous: float | None) -> float | None:
    """The call's score under the final verdicts, by the scorer's own weighting."""
    from coach.scoring import score_items  # before coach.rubric: that import order avoids a cycle there
    from coach.rubric import Rubric

    if not isinstance(rubric, Rubric):
        return previous  # a rubric stand-in carries no weights
    return score_items(rubric, items)


# -- windows --------------------------------------------------------------------------------
@dataclass
class Window:
    turns: list[SentTurn]
    number: int = 1
    count: int = 1


def plan_windows(
    turns: list[SentTurn], *, fixed_tokens: int, budget: int, count: Callable[[str], int]
) -> list[Window]:
    """Consecutive turns in windows that fit `budget`, each overlapping the previous by OVERLAP_TURNS."""
    available = budget - fixed_tokens
    if available <= 0:
        raise LLMContextError("the rubric's instructions alone exceed the model's context")
    costs = [count(_line(t)) + 1 for t in turns]
    if sum(costs) <= available:
        return [Window(turns=list(turns))]
    windows: list[list[SentTurn]] = []
    start = 0
    while start < len(turns):
        end, used = start, 0
        while end < len(turns) and (used + costs[end] <= available or end == start):
            used += costs[end]
            end += 1
        windows.append(turns[start:end])
        if end >= len(turns):
            break
        start = max(end - OVERLAP_TURNS, start + 1)
    return [Window(turns=w, number=i + 1, count=len(windows)) for i, w in enumerate(windows)]


def _line(turn: SentTurn) -> str:
    t = turn.prompt_turn()
    return f"[{t.index}] {t.role} | {t.speaker} | {t.time} | {t.text}"  # as prompts/grade_call.user.j2 writes it


class LLMContextError(LLMError):
    """The call cannot be fitted into the model's context at all."""


# -- the grader -----------------------------------------------------------------------------
@dataclass
class LLMGrader:
    model: ChatModel
    redact_personal: bool = False
    max_output_tokens: int = 2048
    concurrency: int = 1  # calls in flight at once in grade_many
    clock: Callable[[], float] = time.perf_counter
    last_prompts: list[list[ChatMessage]] = field(default_factory=list, repr=False)

    def llm_items(self, rubric: GradedRubric) -> list[GradedItem]:
        return [item for item in rubric.items if item.grader in ("llm", "both")]

    def grade(self, transcript: Transcript, scorecard: Scorecard, rubric: GradedRubric) -> Scorecard:
        items = self.llm_items(rubric)
        info = self.model.info
        run = LLMRun(
            llm_status="ok", model=info.model, endpoint_kind=info.endpoint_kind.value,
            temperature=info.temperature, seed=info.seed, rubric_version=rubric.version,
            prompt_template_hash=template_hash(), redacted=self.redact_personal,
            items_graded=[i.id for i in items],
        )  # fmt: skip
        if not items:
            return scorecard.model_copy(update={"llm": run.model_copy(update={"llm_status": "skipped: no LLM-graded items"})})
        if not transcript.turns:
            return scorecard.model_copy(update={"llm": run.model_copy(update={"llm_status": "skipped: empty call"})})
        began = self.clock()
        usage = Usage()
        requests = 0
        windows: list[Window] = []
        try:
            turns = prepare_turns(transcript, redact_personal=self.redact_personal)
            max_tokens = min(self.max_output_tokens, 64 + PER_ITEM_OUTPUT_TOKENS * len(items))
            windows = self._windows(transcript, rubric, items, turns, max_tokens)
            schema = reply_schema([i.id for i in items], [t.turn.index for t in turns])
            per_window = []
            self.last_prompts = []
            for window in windows:
                messages = grade_messages(self._prompt(transcript, rubric, items, window))
                self.last_prompts.append(messages)
                reply = self.model.structured(messages, schema, max_tokens=max_tokens, name="call_grading")
                usage = usage + reply.usage
                requests += reply.attempts
                per_window.append(judge_window(reply.value, [i.id for i in items], turns))
        except (LLMError, RubricError) as exc:
            reason = exc.short_reason() if isinstance(exc, LLMError) else exc.one_line()
            failed = run.model_copy(update={
                "llm_status": f"failed: {reason}", "tokens_in": usage.prompt_tokens,
                "tokens_out": usage.completion_tokens, "wall_time_s": round(self.clock() - began, 3),
                "requests": requests + getattr(exc, "attempts", 0), "windows": len(windows),
                "structured_mode": self.model.info.structured_mode,
            })  # fmt: skip
            return scorecard.model_copy(update={"llm": failed})
        outcomes = merge_windows(per_window, [i.id for i in items])
        merged_items = self._merge(scorecard, items, outcomes)
        run = run.model_copy(update={
            "tokens_in": usage.prompt_tokens, "tokens_out": usage.completion_tokens,
            "wall_time_s": round(self.clock() - began, 3), "requests": requests, "windows": len(windows),
            "structured_mode": self.model.info.structured_mode,
            "dropped_claims": sum(o.dropped for o in outcomes.values()),
            "unverified_quotes": sum(o.unverified for o in outcomes.values()),
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

    # -- helpers --------------------------------------------------------------------------
    def _prompt(
        self, transcript: Transcript, rubric: GradedRubric, items: Sequence[GradedItem], window: Window | None
    ) -> GradePrompt:
        turns = window.turns if window else []
        shown = None
        if window is not None and window.count > 1:
            shown = PromptWindow(
                first=turns[0].turn.index, last=turns[-1].turn.index, number=window.number, count=window.count
            )
        return GradePrompt(
            rubric_id=rubric.id,
            rubric_version=rubric.version,
            max_evidence=MAX_EVIDENCE,
            items=[
                PromptItem(id=i.id, title=i.title, pass_when=" ".join(i.description.split()), advice=static_advice(i))
                for i in items
            ],
            call_name=transcript.id or transcript.source or "call",
            total_turns=len(transcript.turns),
            speakers=[PromptSpeaker(name=s.name, role=s.role.value) for s in transcript.speakers],
            turns=[t.prompt_turn() for t in turns],
            window=shown,
        )

    def _count(self, messages: list[ChatMessage]) -> int:
        return 3 + sum(self.model.count_tokens(m.content) + MESSAGE_OVERHEAD_TOKENS for m in messages)

    def _windows(
        self, transcript: Transcript, rubric: GradedRubric, items: Sequence[GradedItem],
        turns: list[SentTurn], max_tokens: int,
    ) -> list[Window]:  # fmt: skip
        budget = self.model.info.context_tokens - max_tokens - CONTEXT_SAFETY_TOKENS
        # The window header line adds a few tokens; price it in by rendering an empty windowed prompt.
        probe = Window(turns=[turns[0]], number=1, count=2)
        fixed = self._count(grade_messages(self._prompt(transcript, rubric, items, probe))) - self.model.count_tokens(
            _line(turns[0])
        )
        return plan_windows(turns, fixed_tokens=fixed, budget=budget, count=self.model.count_tokens)

    def _merge(
        self, scorecard: Scorecard, items: Sequence[GradedItem], outcomes: dict[str, LLMOutcome]
    ) -> list[ItemResult]:
        by_id = {i.id: i for i in items}
        merged: list[ItemResult] = []
        seen: set[str] = set()
        for result in scorecard.items:
            seen.add(result.id)
            if result.id in by_id:
                updated = merge_item(result, outcomes[result.id], by_id[result.id])
                merged.append(updated if updated is not None else result)
            else:
                merged.append(result)
        for item in items:
            if item.id not in seen:
                created = merge_item(None, outcomes[item.id], item)
                if created is not None:
                    merged.append(created)
        return merged
