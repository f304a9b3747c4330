"""Check type name -> the function judging one item of that type: (context, item) -> result."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from coach.checks.after_answer import after_answer
from coach.checks.count import count
from coach.checks.line_class import line_class
from coach.checks.order import order
from coach.checks.phrase import absence, presence
from coach.checks.result import DetectorResult
from coach.rubric.shapes import GENERAL_TYPES

if TYPE_CHECKING:
    from coach.checks.context import CallContext
    from coach.rubric.schema import RubricItem

ItemCheck = Callable[["CallContext", "RubricItem"], DetectorResult]

ITEM_CHECKS: dict[str, ItemCheck] = {
    "presence.v1": presence,
    "absence.v1": absence,
    "order.v1": order,
    "after_answer.v1": after_answer,
    "count.v1": count,
    "line_class.v1": line_class,
}
assert set(ITEM_CHECKS) == GENERAL_TYPES
