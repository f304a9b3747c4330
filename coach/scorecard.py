"""The scorecard: the product's output contract.

Managers' tools and the evaluation scripts read this JSON. Field names listed
in the scorecard contract (issue 3) never change; new fields may be added.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.transcript import Role

SCHEMA_VERSION = 1


class Verdict(StrEnum):
    pass_ = "pass"
    fail = "fail"
    not_applicable = "not_applicable"


class VerdictSource(StrEnum):
    heuristic = "heuristic"
    llm = "llm"
    both = "both"


class Motion(StrEnum):
    upsell = "upsell"
    cross_sell = "cross_sell"
    none = "none"


class Trigger(StrEnum):
    usage_threshold = "usage_threshold"
    exec_sponsor_change = "exec_sponsor_change"
    renewal_window = "renewal_window"
    none = "none"


class CallType(StrEnum):
    """What kind of conversation the call is; rubric items declare the types they apply to."""

    expansion = "expansion"  # an existing customer: seats, usage, renewal, adoption, an account team
    new_logo = "new_logo"  # a prospect: first call, inbound interest, "how much is it"
    not_sales = "not_sales"  # nobody is selling: meetings, interviews, committees, support-only calls
    unknown = "unknown"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Evidence(_Model):
    turn: int
    speaker: str  # display name of the speaker
    start_s: float | None = None
    quote: str  # verbatim from the transcript
    note: str = ""


class Opinion(_Model):
    """One grader's verdict on an item, kept when the heuristics and the LLM both ran."""

    verdict: Verdict
    evidence: list[Evidence] = Field(default_factory=list)
    advice: str = ""


class DisputeNote(_Model):
    """Why a disputed item shows the verdict it does: what the LLM thought, its quote, and which opinion stands."""

    llm_verdict: Verdict
    llm_evidence: Evidence | None = None  # the LLM's first quote that checked out against the call
    stands: Literal["heuristic", "llm"]
    why: str  # one sentence: why that opinion is the final one (the rubric's merge policy)


class ItemResult(_Model):
    id: str
    verdict: Verdict
    source: VerdictSource = VerdictSource.heuristic
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: list[Evidence] = Field(default_factory=list)
    advice: str = ""
    details: dict[str, Any] = Field(default_factory=dict)
    reason: str = ""  # why the verdict (always set for not_applicable)
    # Added by the LLM grader (issue 4). `verdict`/`evidence`/`advice` above are always the final ones.
    advice_source: Literal["rubric", "llm"] = "rubric"
    disputed: bool = False  # the heuristics and the LLM both judged and disagreed
    heuristic_opinion: Opinion | None = None
    llm_opinion: Opinion | None = None
    llm_dropped_claims: int = Field(default=0, ge=0)  # LLM judgments on this item whose quotes did not check out
    dispute_note: DisputeNote | None = None  # set exactly when `disputed`
    # The rubric item's title, so every view names the item without the rubric at hand; after the
    # contract's fields. "" on scorecards stored before it was added, and from scorers that do not set it.
    title: str = ""


class SpeakerInfo(_Model):
    id: str
    name: str
    role: Role
    role_confidence: float
    # When `role` is unknown: the side the text leans to and how far (role_confidence is then that lean).
    role_guess: Role = Role.unknown
    role_source: str = ""  # user | metadata | heuristic | none


class CallTypeInfo(_Model):
    """Why the call got its `call_type`: the whole-call cues it rests on."""

    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    source: Literal["heuristic", "user"] = "heuristic"
    evidence: list[Evidence] = Field(default_factory=list)
    reason: str = ""


class Stretch(_Model):
    """A run of talk: the seller's longest monologue, or the customer's longest turn."""

    words: int
    seconds: float | None = None
    first_turn: int
    last_turn: int
    speaker: str  # display name(s), comma-separated when a monologue spans speakers of one side


class Metrics(_Model):
    """Conversation metrics (RUBRIC.md). Every field has a default so that a scorecard stored
    or produced without metrics (`{}`) still reads; views show only the fields that were set."""

    words: dict[Role, int] = Field(default_factory=dict)  # by side
    seller_talk_ratio: float | None = None
    longest_seller_monologue: Stretch | None = None  # customer back-channels ("mm-hmm") do not end it
    questions: dict[Role, int] = Field(default_factory=dict)  # by side
    customer_longest_turn: Stretch | None = None
    seller_first_speaks_min: dict[str, float] = Field(default_factory=dict)  # display name -> minute; needs times


class CallInfo(_Model):
    id: str | None = None
    source: str | None = None
    format: str
    duration_s: float | None = None
    speakers: list[SpeakerInfo]


class RubricRef(_Model):
    id: str
    version: str
    # Why this rubric scored the call: the call-type gate's pick or the user's --rubric. Left
    # out of the JSON when empty (a caller that passed its own rubric to the scorer).
    reason: str = Field(default="", exclude_if=lambda value: not value)


class LLMRun(_Model):
    """Reproducibility block: enough to say how the LLM part of a scorecard was made (never the key or URL)."""

    llm_status: str  # "ok", "skipped: <why>" or "failed: <why>"
    model: str | None = None
    endpoint_kind: str | None = None  # embedded | local | remote
    temperature: float | None = None
    seed: int | None = None
    structured_mode: str | None = None
    prompt_template_hash: str | None = None
    rubric_version: str | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    wall_time_s: float = 0.0
    requests: int = 0
    windows: int = 0
    redacted: bool = False
    items_graded: list[str] = Field(default_factory=list)
    dropped_claims: int = 0  # judgments dropped because their evidence did not check out
    unverified_quotes: int = 0  # individual quotes not found in the transcript
    instructions_removed: int = 0  # grader-directed sentences kept from the model (transcripts are data)


class PracticeInfo(_Model):
    """What a role-play scorecard was practised on: the scenario and the customer's level."""

    scenario: str
    title: str
    difficulty: str  # easy | normal | hard
    ended_cold: bool = False  # the customer ended the call on the rep


class PartySource(StrEnum):
    """Where a party's name came from; every one is in the call file itself."""

    metadata = "metadata"  # the recorder's participant data (a Gong party's CRM account)
    speakers = "speakers"  # the speaker's label in the transcript
    email = "email"  # the e-mail domain of the side's participants
    title = "title"  # the call's title ("Acme <> Signalroom")
    introduction = "introduction"  # someone says it: "I'm Nadia from Signalroom"
    mention = "mention"  # the seller names it: "our new product, Signalroom Ads"


class PartyFact(_Model):
    """One name the call gives, with where it came from; `evidence` is the turn that says it, when a turn does."""

    value: str = Field(min_length=1)
    source: PartySource
    detail: str = ""  # one phrase naming the field, domain or title it was read from
    evidence: Evidence | None = None


class Parties(_Model):
    """Who is on the call, as the call itself names them; a party the call never names is absent (None)."""

    customer_person: PartyFact | None = None
    customer_company: PartyFact | None = None
    seller_company: PartyFact | None = None
    products: list[PartyFact] = Field(default_factory=list)  # the seller's names for what they sell, named ones first


class Scorecard(_Model):
    schema_version: int = SCHEMA_VERSION
    call: CallInfo
    rubric: RubricRef
    motion: Motion = Motion.none
    trigger: Trigger = Trigger.none
    items: list[ItemResult]
    metrics: Metrics = Field(default_factory=Metrics)
    score: float | None = Field(default=None, ge=0, le=100)
    score_reason: str = ""  # why `score` is null: nothing was judged (no seller, not a sales call, nothing applicable)
    # After `score` so the contract's leading fields keep their order.
    call_type: CallType = CallType.unknown
    call_type_detail: CallTypeInfo | None = None  # confidence, evidence and reason for call_type
    warnings: list[str] = Field(default_factory=list)
    motion_evidence: list[Evidence] = Field(default_factory=list)  # why this motion
    trigger_evidence: list[Evidence] = Field(default_factory=list)  # the signal the trigger rests on
    # The customer saying how the work is done today (tools, hand-offs, time); advice quotes it.
    workflow_evidence: list[Evidence] = Field(default_factory=list)
    llm: LLMRun | None = None  # added by the LLM grader (issue 4); None when it never ran
    # Role-play sessions only; left out of the JSON of real calls.
    practice: PracticeInfo | None = Field(default=None, exclude_if=lambda value: value is None)
    parties: Parties = Field(default_factory=Parties)  # the customer, the companies and products the call names

    def item(self, item_id: str) -> ItemResult:
        for result in self.items:
            if result.id == item_id:
                return result
        raise KeyError(item_id)
