"""The data shapes of the general check types, as a rubric file spells them.

Every shape is versioned by its type tag (`presence.v1`...); a change that
alters what existing YAML means gets a new tag. See rubrics/README.md.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.rubric.patterns import Pattern

Side = Literal["seller", "customer", "any"]

# Types any number of items may use; every other (bespoke) detector reads rubric-wide keys
# and so serves one item per rubric.
GENERAL_TYPES = frozenset({"presence.v1", "absence.v1", "order.v1", "after_answer.v1", "count.v1", "line_class.v1"})

# The per-line classes the text engine computes for every line (coach/text/lines.py,
# `LineSignals`), each with the bespoke item type and pattern group it is read from:
# a rubric without that item computes nothing for the class. `question` is the sentence
# form alone ("?", a question opener, an unpunctuated interrogative) and needs no item.
LINE_CLASSES: dict[str, tuple[str, str] | None] = {
    "question": None,
    "discovery": ("discovery_questions.v1", "q1"),
    "never_say": ("never_say.v1", "phrases"),
    "pricing": ("never_say.v1", "pricing"),
    "commercial_ask": ("ask_once.v1", "commercial_ask"),
    "meeting_ask": ("ask_once.v1", "meeting_ask"),
    "soft_answer": ("ask_once.v1", "soft_answer"),
    "yes_answer": ("ask_once.v1", "yes_answer"),
    "diagnostic": ("diagnostic_framing.v1", "diagnostic"),
    "demo_proposal": ("diagnostic_framing.v1", "demo_next_step"),
    "demo": ("no_demo_before_discovery.v1", "demo"),
    "signal": ("signal_first_opening.v1", "signal"),
    "pitch": ("signal_first_opening.v1", "pitch"),
    "info_request": ("soft_no_reopen.v1", "info_request"),
    "reopen": ("soft_no_reopen.v1", "reopen"),
    "sponsor_question": ("exec_sponsor.v1", "sponsor_question"),
    "sponsor_plan": ("exec_sponsor.v1", "plan"),
    "defer": ("escalation_guard.v1", "defer"),
    "escalation": ("escalation_guard.v1", "escalation"),
    "problem": ("escalation_guard.v1", "problem"),
    "neutrality": ("neutrality_statement.v1", "statement"),
    "when": ("next_step.v1", "when"),
    "vendor_cycle": ("customer_timeline.v1", "vendor_cycle"),
}


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    FAILURE_MODES: ClassVar[tuple[str, ...]] = ()

    def failure_modes(self) -> tuple[str, ...]:
        """The advice keys an item of this shape needs (a rule it does not set cannot fail)."""
        return self.FAILURE_MODES


class PhraseSpec(_Shape):
    """`phrase.v1`: a pattern group said by one side, and which mentions do not count."""

    patterns: list[Pattern] = Field(min_length=1)
    side: Side = "seller"
    skip_negated: bool = True  # "I'm not going to send a deck"
    skip_reported: bool = True  # "vendors say it's the future of the category"
    questions: Literal["any", "only", "exclude"] = "any"  # must (not) be said as a question


class PresenceParams(PhraseSpec):
    """`presence.v1`: pass once the group is said; fail `missing`."""

    FAILURE_MODES = ("missing",)


class AbsenceParams(PhraseSpec):
    """`absence.v1`: fail `said` on every counted mention; pass otherwise."""

    FAILURE_MODES = ("said",)


class OrderParams(_Shape):
    """`order.v1`: `first` must come before `then`; not applicable when `then` never happens."""

    FAILURE_MODES = ("out_of_order",)
    first: PhraseSpec
    then: PhraseSpec


class AfterAnswerParams(_Shape):
    """`after_answer.v1`: `then` must follow the customer's answer to `question` (the customer's
    next turn after it); not applicable when the question is never asked."""

    FAILURE_MODES = ("before_answer", "missing")
    question: PhraseSpec
    then: PhraseSpec


class CountParams(_Shape):
    """`count.v1`: `phrase` at most `max` times (after the first `after` mention when given,
    e.g. the customer's soft no); not applicable when `after` never happens."""

    FAILURE_MODES = ("too_many",)
    phrase: PhraseSpec
    max: int = Field(ge=0)
    after: PhraseSpec | None = None


class LineClassParams(_Shape):
    """`line_class.v1`: how many of one side's lines fall in a per-line class (`LINE_CLASSES`),
    as a count (`at_least` / `at_most` lines) and/or a share of that side's lines
    (`share_at_least` / `share_at_most`, 0-1). A line counts once however often it does the thing."""

    FAILURE_MODES = ("too_few", "too_many")
    line_class: str = Field(alias="class")
    side: Side = "seller"
    at_least: int | None = Field(default=None, ge=1)
    at_most: int | None = Field(default=None, ge=0)
    share_at_least: float | None = Field(default=None, gt=0, le=1)
    share_at_most: float | None = Field(default=None, ge=0, lt=1)

    @model_validator(mode="after")
    def _known_class_and_a_rule(self) -> "LineClassParams":
        if self.line_class not in LINE_CLASSES:
            raise ValueError(f"class {self.line_class!r} is not a per-line class; known: {sorted(LINE_CLASSES)}")
        if self.at_least is None and self.at_most is None and self.share_at_least is None and self.share_at_most is None:
            raise ValueError("give at least one rule: at_least, at_most, share_at_least or share_at_most")
        if self.at_least is not None and self.at_most is not None and self.at_least > self.at_most:
            raise ValueError(f"at_least ({self.at_least}) is above at_most ({self.at_most}): no call could pass")
        low, high = self.share_at_least, self.share_at_most
        if low is not None and high is not None and low > high:
            raise ValueError(f"share_at_least ({low:g}) is above share_at_most ({high:g}): no call could pass")
        return self

    def failure_modes(self) -> tuple[str, ...]:
        few = self.at_least is not None or self.share_at_least is not None
        many = self.at_most is not None or self.share_at_most is not None
        return tuple(mode for mode, used in (("too_few", few), ("too_many", many)) if used)
