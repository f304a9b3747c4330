"""`coach rubric check`: what a rubric author gets wrong that the schema cannot see.

The schema (coach/rubric.py) already refuses a malformed file with the field
path. These checks run on a valid rubric: each item's own examples get the
verdict they claim (run through the real scorer), items that can be
not_applicable show an example of it, ids of the bundled rubric stay stable in a
rubric that extends it (same `id`), and weights are sensible.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from coach.readers import read_bytes
from coach.rubric import Rubric, load_rubric
from coach.scoring import score_transcript

# General types that answer not_applicable when their precondition never happens.
_CAN_BE_NOT_APPLICABLE = {"order.v1", "after_answer.v1", "count.v1"}
# One item carrying more than this share of the weight makes the score that item's verdict.
_MAX_WEIGHT_SHARE = 0.5


class LintIssue(BaseModel):
    source: str
    item: str | None  # None: the rubric as a whole
    field: str
    problem: str
    severity: str = "error"  # error | warning

    def line(self) -> str:
        where = f"items.{self.item}.{self.field}" if self.item else self.field
        return f"{self.source}: {self.severity}: {where}: {self.problem}"


def lint_rubric(path: Path) -> list[LintIssue]:
    """Issues of a rubric file (it must load: a schema error raises RubricError naming the field)."""
    rubric = load_rubric(path)
    source = str(path)
    issues = [*_example_issues(rubric, source), *_id_issues(rubric, source), *_weight_issues(rubric, source)]
    return issues


def _example_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    issues = []
    for item in rubric.items:
        if item.detector.type in _CAN_BE_NOT_APPLICABLE and not item.examples.not_applicable:
            issues.append(LintIssue(source=source, item=item.id, field="examples.not_applicable", severity="warning",
                                    problem=f"{item.detector.type} can answer not_applicable; show an example of when"))  # fmt: skip
        for verdict, examples in (("pass", item.examples.pass_), ("fail", item.examples.fail),
                                  ("not_applicable", item.examples.not_applicable)):  # fmt: skip
            for n, example in enumerate(examples):
                transcript = read_bytes(example.call.strip().encode(), name="example.txt", sellers=example.sellers)
                got = score_transcript(transcript, rubric, call_type=item.example_call_type(example)).item(item.id)
                if got.verdict.value != verdict:
                    issues.append(LintIssue(source=source, item=item.id, field=f"examples.{verdict}[{n}]",
                                            problem=f"scores {got.verdict.value}, not {verdict} ({got.reason})"))  # fmt: skip
    return issues


def _id_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    bundled = load_rubric()
    if rubric.id != bundled.id:
        return []
    ids = {i.id for i in rubric.items}
    missing = [i.id for i in bundled.items if i.id not in ids]
    if not missing:
        return []
    return [LintIssue(source=source, item=None, field="items",
                      problem=f"extends {bundled.id} (same id) but drops its item id(s) {missing}: "
                              "dashboards and stored scorecards key on them; give the rubric a new id instead")]  # fmt: skip


def _weight_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    total = sum(i.weight for i in rubric.items)
    issues = []
    if len(rubric.items) > 2:
        for item in rubric.items:
            if item.weight / total > _MAX_WEIGHT_SHARE:
                issues.append(LintIssue(source=source, item=item.id, field="weight", severity="warning",
                                        problem=f"{item.weight:g} of {total:g} total: this one item decides the score"))  # fmt: skip
    return issues
