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
from coach.datafiles import load_data_file, validate
from coach.rubric.params import DetectorConfig
from coach.rubric.patterns import Pattern
from coach.rubric.shapes import GENERAL_TYPES, LINE_CLASSES, LineClassParams, Side
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


# A question item's one failure mode: the LLM answered no.
QUESTION_FAILURE_MODES = ("no",)


class RubricItem(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str = Field(min_length=1)
    description: str = Field(min_length=1)
    core: bool = False
    weight: float = Field(gt=0)
    grader: Literal["heuristic", "llm", "both"] = "heuristic"
    # How the item is judged: a detector (a general check type or a bespoke one), or, for
    # `grader: llm` items, a question the LLM answers yes / no / not applicable with a quote.
    detector: DetectorConfig | None = None
    question: str | None = Field(default=None, min_length=1)
    yes: str = ""  # what a yes (pass) means
    no: str = ""  # what a no (fail) means
    not_applicable_when: str = ""  # when the question does not apply
    # Whose lines a bespoke detector's pattern groups are read from: `side` for all of them,
    # `sides` per group (`{soft_answer: customer}`). General types declare it in their params.
    side: Side = "seller"
    sides: dict[str, Side] = {}
    advice: dict[str, str]
    # Required with a detector (they run as tests); a question item's are checked only with an
    # LLM (`coach rubric check --llm`), so it may leave them out.
    examples: Examples | None = None
    # The call types the item judges; on others it is not_applicable with the reason. `unknown`
    # is listed by items that should still run when the call's type cannot be told.
    applies_to: list[CallType] = Field(
        default=[CallType.expansion, CallType.new_logo, CallType.unknown], min_length=1
    )

    @model_validator(mode="before")
    @classmethod
    def _bare_yes_and_no(cls, data: object) -> object:
        """YAML 1.1 reads a bare `yes:` / `no:` key as true / false: take them back as the words."""
        if not isinstance(data, dict):
            return data
        words = {True: "yes", False: "no"}
        data = {words.get(k, k) if isinstance(k, bool) else k: v for k, v in data.items()}
        if isinstance(data.get("advice"), dict):
            data["advice"] = {words[k] if isinstance(k, bool) else k: v for k, v in data["advice"].items()}
        return data

    @field_validator("applies_to")
    @classmethod
    def _sales_types_only(cls, value: list[CallType]) -> list[CallType]:
        if CallType.not_sales in value:
            raise ValueError("not_sales calls are never judged; list expansion, new_logo and/or unknown")
        if len(set(value)) != len(value):
            raise ValueError("lists a call type twice")
        return value

    @property
    def is_question(self) -> bool:
        return self.detector is None

    @property
    def failure_modes(self) -> tuple[str, ...]:
        return QUESTION_FAILURE_MODES if self.detector is None else self.detector.params.failure_modes()

    def example_call_type(self, example: Example) -> CallType | None:
        if example.call_type is not None:
            return example.call_type
        return self.applies_to[0] if len(self.applies_to) == 1 else None

    @model_validator(mode="after")
    def _a_detector_or_a_question(self) -> "RubricItem":
        if self.detector is not None:
            if self.question is not None or self.yes or self.no or self.not_applicable_when:
                raise ValueError("an item has a detector or a question (question, yes, no, not_applicable_when), not both")
            if self.examples is None:
                raise ValueError("examples: an item with a detector needs pass and fail examples (they run as tests)")
            return self
        if self.question is None:
            raise ValueError("give a detector, or a question (with yes, no and grader: llm) for the LLM to answer")
        if self.grader != "llm":
            raise ValueError(f"a question item is answered by the LLM alone: set grader: llm (not {self.grader})")
        missing = [name for name in ("yes", "no") if not getattr(self, name).strip()]
        if missing:
            raise ValueError(f"a question item says what {' and '.join(missing)} mean(s): {', '.join(missing)} missing")
        return self

    @model_validator(mode="after")
    def _sides_name_groups(self) -> "RubricItem":
        if self.detector is None:
            return self
        unknown = sorted(set(self.sides) - set(type(self.detector.params).model_fields))
        if unknown:
            raise ValueError(f"sides names unknown pattern group(s) {unknown} of detector {self.detector.type}")
        return self

    @model_validator(mode="after")
    def _advice_for_every_failure_mode(self) -> "RubricItem":
        if self.detector is None and self.question is None:
            return self  # refused above
        missing = [m for m in self.failure_modes if not self.advice.get(m, "").strip()]
        if missing:
            what = f"detector {self.detector.type}" if self.detector else "a question item (the LLM answered no)"
            raise ValueError(f"advice is missing failure mode(s) {missing} of {what}")
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
        bespoke = [i.detector.type for i in self.items if i.detector and i.detector.type not in GENERAL_TYPES]
        twice = sorted({t for t in bespoke if bespoke.count(t) > 1})
        if twice:
            raise ValueError(
                f"detector type(s) {twice} used by more than one item: a bespoke detector serves one item; "
                f"use a general type ({', '.join(sorted(GENERAL_TYPES))}) for more"
            )
        return self

    @model_validator(mode="after")
    def _line_classes_are_computed(self) -> "Rubric":
        """A `line_class.v1` item's class must be one this rubric computes, on the side it reads."""
        for n, item in enumerate(self.items):
            params = item.detector.params if item.detector else None
            if not isinstance(params, LineClassParams):
                continue
            source = LINE_CLASSES[params.line_class]
            if source is None:
                continue
            kind, group = source
            provider = self.find(kind)
            where = f"items.{n}.detector.params.class"
            if provider is None:
                raise ValueError(f"{where}: item {item.id} reads class {params.line_class!r}, which is computed from "
                                 f"a {kind} item's patterns, and this rubric has none")  # fmt: skip
            said_by = provider.sides.get(group, provider.side)
            if params.side != "any" and said_by != "any" and said_by != params.side:
                raise ValueError(f"{where}: item {item.id} counts {params.side} lines in class {params.line_class!r}, "
                                 f"which is only read from {said_by} lines (item {provider.id}'s side)")  # fmt: skip
        return self

    def item(self, item_id: str) -> RubricItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def find(self, detector_type: str) -> RubricItem | None:
        """The item using a bespoke detector type (at most one per rubric, checked on load); cross-item
        signals read their patterns from it. General types are read through each item's own keys."""
        return next((i for i in self.items if i.detector is not None and i.detector.type == detector_type), None)


def parse_rubric(data: object, *, source: str) -> Rubric:
    return validate(Rubric, data, source=source)


def load_bundled_rubrics() -> list[Rubric]:
    from coach.resources import data_file

    return [load_rubric(data_file("rubrics", name)) for name in BUNDLED_RUBRICS]


def load_rubric(path: str | Path | None = None) -> Rubric:
    """Load and validate a rubric; None means the bundled expansion-call rubric."""
    return load_data_file(Rubric, path, BUNDLED_RUBRIC, "rubric")
