"""The rubric as data: schema and loader.

`rubrics/expansion_call.yaml` is the bundled rubric; a team may pass its own
file (more never-say phrases, other weights). Every field is validated here and
a bad file fails with one line naming the file and the field path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coach.advice_slots import SLOTS, slot_problem, slots_in
from coach.checks.shapes import GENERAL_TYPES, Side
from coach.datafiles import load_data_file, validate
from coach.detectors.params import DetectorConfig
from coach.patterns import Pattern
from coach.scorecard import CallType

BUNDLED_RUBRIC = "expansion_call.yaml"
# Every rubric shipped in rubrics/ (the API lists them; their examples are tests).
BUNDLED_RUBRICS = (BUNDLED_RUBRIC, "first_call_discovery.yaml")

PatternList = list[Pattern]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Example(_Model):
    """A snippet in plain `Name: text` lines; speakers listed in `sellers` are the vendor side."""

    call: str = Field(min_length=1)
    sellers: list[str] = ["AE", "CSM"]
    note: str = ""
    # The call type the snippet is scored as; None: the item's only type when it has one (a
    # three-line snippet rarely shows what kind of call it came from), else the classifier's.
    call_type: CallType | None = None


class Examples(_Model):
    pass_: list[Example] = Field(alias="pass", min_length=1)
    fail: list[Example] = Field(min_length=1)
    not_applicable: list[Example] = []


class Language(_Model):
    """Cross-item language knowledge: how negation, reported speech and questions look."""

    negation: list[str] = Field(min_length=1)  # lowercase tokens that negate what follows
    reporting_verbs: list[str] = Field(min_length=1)  # lemmas: say, tell, claim...
    first_person: list[str] = Field(min_length=1)  # a reporting verb after these is the seller speaking
    question_openers: PatternList = []  # imperative questions without '?': "walk me through"
    question_forms: PatternList = []  # interrogatives that make an unpunctuated (ASR) sentence a question
    fillers: list[str] = []  # hesitation words patterns look past: "would you um like to add"
    proposals: PatternList = []  # statements that still ask: "let's add the seats"
    backchannels: list[str] = Field(min_length=1)  # "mm-hmm", "right": not a real turn
    small_talk: PatternList = []


class MotionCues(_Model):
    upsell: PatternList = Field(min_length=1)
    cross_sell: PatternList = Field(min_length=1)


class TriggerCues(_Model):
    usage_threshold: PatternList = Field(min_length=1)
    exec_sponsor_change: PatternList = Field(min_length=1)
    renewal_window: PatternList = Field(min_length=1)


class Facts(_Model):
    motion: MotionCues
    trigger: TriggerCues
    # The customer saying how the work is done today (tools, hand-offs, time taken): the
    # advice slot {workflow} quotes the first such sentence.
    workflow: PatternList = []


class RubricItem(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    core: bool = False
    weight: float = Field(gt=0)
    grader: Literal["heuristic", "llm", "both"] = "heuristic"
    detector: DetectorConfig
    # Whose lines a bespoke detector's pattern groups are read from: `side` for all of them,
    # `sides` per group (`{soft_answer: customer}`). General types declare it in their params.
    side: Side = "seller"
    sides: dict[str, Side] = {}
    advice: dict[str, str]
    examples: Examples
    # The call types the item judges; on others it is not_applicable with the reason. `unknown`
    # is listed by items that should still run when the call's type cannot be told.
    applies_to: list[CallType] = Field(
        default=[CallType.expansion, CallType.new_logo, CallType.unknown], min_length=1
    )

    @field_validator("applies_to")
    @classmethod
    def _sales_types_only(cls, value: list[CallType]) -> list[CallType]:
        if CallType.not_sales in value:
            raise ValueError("not_sales calls are never judged; list expansion, new_logo and/or unknown")
        if len(set(value)) != len(value):
            raise ValueError("lists a call type twice")
        return value

    def example_call_type(self, example: Example) -> CallType | None:
        if example.call_type is not None:
            return example.call_type
        return self.applies_to[0] if len(self.applies_to) == 1 else None

    @model_validator(mode="after")
    def _sides_name_groups(self) -> "RubricItem":
        unknown = sorted(set(self.sides) - set(type(self.detector.params).model_fields))
        if unknown:
            raise ValueError(f"sides names unknown pattern group(s) {unknown} of detector {self.detector.type}")
        return self

    @model_validator(mode="after")
    def _advice_for_every_failure_mode(self) -> "RubricItem":
        missing = [m for m in type(self.detector.params).FAILURE_MODES if not self.advice.get(m, "").strip()]
        if missing:
            raise ValueError(f"advice is missing failure mode(s) {missing} of detector {self.detector.type}")
        return self

    @model_validator(mode="after")
    def _advice_slots_are_known(self) -> "RubricItem":
        for mode, text in self.advice.items():
            problem = slot_problem(text)
            if problem:
                raise ValueError(f"item {self.id!r} advice.{mode}: {problem}")
        return self


class Rubric(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$")
    version: str = Field(min_length=1)
    title: str = ""
    description: str = ""
    language: Language
    facts: Facts
    # Slot name -> the wording advice shows for it when the call has no value (see coach.advice_slots).
    advice_slots: dict[str, str] = {}
    items: list[RubricItem] = Field(min_length=1)

    @field_validator("advice_slots")
    @classmethod
    def _fallbacks_for_known_slots(cls, value: dict[str, str]) -> dict[str, str]:
        for name, fallback in value.items():
            if name not in SLOTS:
                raise ValueError(f"{name!r} is not a slot (known slots: {', '.join(SLOTS)})")
            if not fallback.strip() or "{" in fallback or "}" in fallback:
                raise ValueError(f"{name}: the fallback must be plain wording (no braces, not empty)")
        return value

    @model_validator(mode="after")
    def _every_slot_has_a_fallback(self) -> "Rubric":
        for index, item in enumerate(self.items):
            for mode, text in item.advice.items():
                for name in slots_in(text):
                    if name not in self.advice_slots:
                        raise ValueError(
                            f"items[{index}]: item {item.id!r} advice.{mode}: slot {{{name}}} has no fallback "
                            f"wording; add advice_slots.{name} for calls without a value"
                        )
        return self

    @model_validator(mode="after")
    def _unique_item_ids(self) -> "Rubric":
        ids = [item.id for item in self.items]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate item ids {dupes}")
        bespoke = [i.detector.type for i in self.items if i.detector.type not in GENERAL_TYPES]
        twice = sorted({t for t in bespoke if bespoke.count(t) > 1})
        if twice:
            raise ValueError(
                f"detector type(s) {twice} used by more than one item: a bespoke detector serves one item; "
                f"use a general type ({', '.join(sorted(GENERAL_TYPES))}) for more"
            )
        return self

    def item(self, item_id: str) -> RubricItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def find(self, detector_type: str) -> RubricItem | None:
        """The item using a bespoke detector type (at most one per rubric, checked on load); cross-item
        signals read their patterns from it. General types are read through each item's own keys."""
        return next((i for i in self.items if i.detector.type == detector_type), None)


def parse_rubric(data: object, *, source: str) -> Rubric:
    return validate(Rubric, data, source=source)


def load_bundled_rubrics() -> list[Rubric]:
    from coach.resources import data_file

    return [load_rubric(data_file("rubrics", name)) for name in BUNDLED_RUBRICS]


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric; None means the bundled expansion-call rubric."""
    return load_data_file(Rubric, path, BUNDLED_RUBRIC, "rubric")
