"""What a rubric author gets wrong that the schema cannot see, read from the rubric alone.

The schema (coach/rubric/schema.py) already refuses a malformed file with the field
path. These checks run on a valid rubric: ids of the bundled rubric stay stable
in a rubric that extends it (same `id`) and weights are sensible. Whether each
item's examples get the verdict they claim needs the scorer, so that half of
`coach rubric check` lives above scoring (coach/rubric_check.py).
"""

from __future__ import annotations

from pydantic import BaseModel

from coach.rubric.schema import Rubric, load_rubric

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


def id_issues(rubric: Rubric, source: str) -> list[LintIssue]:
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


def weight_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    total = sum(i.weight for i in rubric.items)
    issues = []
    if len(rubric.items) > 2:
        for item in rubric.items:
            if item.weight / total > _MAX_WEIGHT_SHARE:
                issues.append(LintIssue(source=source, item=item.id, field="weight", severity="warning",
                                        problem=f"{item.weight:g} of {total:g} total: this one item decides the score"))  # fmt: skip
    return issues
