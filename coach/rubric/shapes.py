"""The data shapes of the general check types, as a rubric file spells them.

Every shape is versioned by its type tag (`presence.v1`...); a change that
alters what existing YAML means gets a new tag. See rubrics/README.md.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from coach.rubric.patterns import Pattern

Side = Literal["seller", "customer", "any"]

# Types any number of items may use; every other (bespoke) detector reads rubric-wide keys
# and so serves one item per rubric.
GENERAL_TYPES = frozenset({"presence.v1", "absence.v1", "order.v1", "after_answer.v1", "count.v1"})


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    FAILURE_MODES: ClassVar[tuple[str, ...]] = ()


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
