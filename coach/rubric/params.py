"""Typed parameters of each detector type, as the rubric file spells them.

A rubric item names its detector as `{type: <name>.v1, params: {...}}`; the
`type` tag picks the params model here, so a misspelt group or a bad pattern
fails validation with the field path. `FAILURE_MODES` lists the advice keys
an item of that type must provide.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.rubric.patterns import Pattern
from coach.rubric.shapes import (
    AbsenceParams,
    AfterAnswerParams,
    CountParams,
    LineClassParams,
    OrderParams,
    PresenceParams,
)

PatternList = list[Pattern]


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    FAILURE_MODES: ClassVar[tuple[str, ...]] = ()

    def failure_modes(self) -> tuple[str, ...]:
        return self.FAILURE_MODES


class SignalFirstParams(_Params):
    FAILURE_MODES = ("product_first", "no_signal")
    signal: PatternList = Field(min_length=1)
    pitch: PatternList = Field(min_length=1)
    # figures that belong to the vendor's other customers: a claim or case study, not a signal
    claim: PatternList = []


class QuestionSpec(_Params):
    """One discovery question as cue groups; a sentence asks it when all groups of any `require` row match."""

    cues: dict[str, PatternList]
    require: list[list[str]] = Field(min_length=1)
    # rows that count only when the sentence asks no other discovery question
    # ("where does the review process hurt most right now?" is Q2, not Q1)
    weak_require: list[list[str]] = []
    exclude: PatternList = []

    @model_validator(mode="after")
    def _known_groups(self) -> "QuestionSpec":
        for row in [*self.require, *self.weak_require]:
            unknown = [name for name in row if name not in self.cues]
            if unknown or not row:
                raise ValueError(f"require row {row} names unknown cue groups {unknown}; known: {sorted(self.cues)}")
        return self


class DiscoveryParams(_Params):
    FAILURE_MODES = ("skipped", "incomplete", "out_of_order", "after_demo")
    q1: QuestionSpec
    q2: QuestionSpec
    q3: QuestionSpec
    generic: PatternList = []


class AskOnceParams(_Params):
    FAILURE_MODES = ("repeated_after_soft", "repeated")
    commercial_ask: PatternList = Field(min_length=1)
    # "shall we move forward?" is commercial only when no meeting is in the same sentence
    weak_commercial_ask: PatternList = []
    # a deadline on the customer's decision: makes a purchase proposal beside it an ask
    deadline_offer: PatternList = []
    meeting_ask: PatternList = Field(min_length=1)
    soft_answer: PatternList = Field(min_length=1)
    yes_answer: PatternList = Field(min_length=1)
    # the customer coming round on their own after a soft answer ("actually, let's just do it")
    change_of_mind: PatternList = []


class BannedPhrase(_Params):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    says: str = Field(min_length=1)  # the playbook's wording, shown to the rep
    patterns: PatternList = Field(min_length=1)
    instead: str = ""  # what to say instead, appended to the advice
    # Cross-item links, data not code: counts as product talk for the signal-first opening;
    # puts an expansion topic on the table (off for "loop in finance", a next-step habit).
    product_talk: bool = False
    expansion_talk: bool = True


class NeverSayParams(_Params):
    FAILURE_MODES = ("banned_phrase",)
    phrases: list[BannedPhrase] = Field(min_length=1)
    pricing: PatternList = []
    pricing_before_sponsor: bool = True
    # the customer asking what it costs: a price given in answer is not the banned move
    price_question: PatternList = []

    @model_validator(mode="after")
    def _unique_ids(self) -> "NeverSayParams":
        ids = [p.id for p in self.phrases]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate phrase ids {dupes}")
        return self


class DiagnosticParams(_Params):
    FAILURE_MODES = ("demo_framing", "no_diagnostic")
    diagnostic: PatternList = Field(min_length=1)
    demo_next_step: PatternList = Field(min_length=1)
    past_diagnostic: PatternList = []  # "we ran the diagnostic last week" is not a next step


class NeutralityParams(_Params):
    FAILURE_MODES = ("missing",)
    statement: PatternList = Field(min_length=1)
    # where the line is owed besides a diagnostic: "a trial to see if it fits", "would that be a fit?"
    evaluation: PatternList = []
    fit_question: PatternList = []


class TimelineParams(_Params):
    FAILURE_MODES = ("vendor_timeline",)
    customer_cycle: PatternList = Field(min_length=1)
    vendor_cycle: PatternList = Field(min_length=1)


class NoDemoParams(_Params):
    FAILURE_MODES = ("demo_before_discovery",)
    demo: PatternList = Field(min_length=1)


class SoftNoParams(_Params):
    FAILURE_MODES = ("just_sent",)
    info_request: PatternList = Field(min_length=1)
    reopen: PatternList = Field(min_length=1)
    agree: PatternList = Field(min_length=1)  # the seller going along with sending something


class EscalationParams(_Params):
    FAILURE_MODES = ("pushed_during_escalation",)
    escalation: PatternList = Field(min_length=1)
    defer: PatternList = []  # the seller parking the cross-sell: evidence for a pass
    # The open problem in the seller's words ("the outage", "the fix"): questions about it are
    # care for the customer, not cross-sell discovery.
    problem: PatternList = []


class NextStepParams(_Params):
    FAILURE_MODES = ("vague", "missing")
    when: PatternList = Field(min_length=1)
    step: PatternList = Field(min_length=1)
    vague: PatternList = []
    closing_share: float = Field(default=0.3, gt=0, le=1)
    closing_min_turns: int = Field(default=6, ge=1)


class ExecSponsorParams(_Params):
    FAILURE_MODES = ("not_mapped",)
    title: PatternList = Field(min_length=1)
    sponsor_cue: PatternList = Field(min_length=1)
    # cues that map a sponsor only beside a title ("budget", "buy-in"), never with a bare name
    weak_cue: PatternList = []
    plan: PatternList = Field(min_length=1)
    # "who would sign off on this?": mapping only once the customer names someone
    sponsor_question: PatternList = []
    vendor_side: PatternList = []


class _Detector(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

class SignalFirstOpeningDetector(_Detector):
    type: Literal["signal_first_opening.v1"]
    params: SignalFirstParams


class DiscoveryQuestionsDetector(_Detector):
    type: Literal["discovery_questions.v1"]
    params: DiscoveryParams


class AskOnceDetector(_Detector):
    type: Literal["ask_once.v1"]
    params: AskOnceParams


class NeverSayDetector(_Detector):
    type: Literal["never_say.v1"]
    params: NeverSayParams


class DiagnosticFramingDetector(_Detector):
    type: Literal["diagnostic_framing.v1"]
    params: DiagnosticParams


class NeutralityStatementDetector(_Detector):
    type: Literal["neutrality_statement.v1"]
    params: NeutralityParams


class CustomerTimelineDetector(_Detector):
    type: Literal["customer_timeline.v1"]
    params: TimelineParams


class NoDemoBeforeDiscoveryDetector(_Detector):
    type: Literal["no_demo_before_discovery.v1"]
    params: NoDemoParams


class SoftNoReopenDetector(_Detector):
    type: Literal["soft_no_reopen.v1"]
    params: SoftNoParams


class EscalationGuardDetector(_Detector):
    type: Literal["escalation_guard.v1"]
    params: EscalationParams


class NextStepDetector(_Detector):
    type: Literal["next_step.v1"]
    params: NextStepParams


class ExecSponsorDetector(_Detector):
    type: Literal["exec_sponsor.v1"]
    params: ExecSponsorParams


class PresenceCheck(_Detector):
    type: Literal["presence.v1"]
    params: PresenceParams


class AbsenceCheck(_Detector):
    type: Literal["absence.v1"]
    params: AbsenceParams


class OrderCheck(_Detector):
    type: Literal["order.v1"]
    params: OrderParams


class AfterAnswerCheck(_Detector):
    type: Literal["after_answer.v1"]
    params: AfterAnswerParams


class CountCheck(_Detector):
    type: Literal["count.v1"]
    params: CountParams


class LineClassCheck(_Detector):
    type: Literal["line_class.v1"]
    params: LineClassParams


DetectorConfig = Annotated[
    Union[
        SignalFirstOpeningDetector,
        DiscoveryQuestionsDetector,
        AskOnceDetector,
        NeverSayDetector,
        DiagnosticFramingDetector,
        NeutralityStatementDetector,
        CustomerTimelineDetector,
        NoDemoBeforeDiscoveryDetector,
        SoftNoReopenDetector,
        EscalationGuardDetector,
        NextStepDetector,
        ExecSponsorDetector,
        PresenceCheck,
        AbsenceCheck,
        OrderCheck,
        AfterAnswerCheck,
        CountCheck,
        LineClassCheck,
    ],
    Field(discriminator="type"),
]

DETECTOR_TYPES: tuple[str, ...] = (
    "signal_first_opening.v1",
    "discovery_questions.v1",
    "ask_once.v1",
    "never_say.v1",
    "diagnostic_framing.v1",
    "neutrality_statement.v1",
    "customer_timeline.v1",
    "no_demo_before_discovery.v1",
    "soft_no_reopen.v1",
    "escalation_guard.v1",
    "next_step.v1",
    "exec_sponsor.v1",
    "presence.v1",
    "absence.v1",
    "order.v1",
    "after_answer.v1",
    "count.v1",
    "line_class.v1",
)
