"""`coach rubric check`: the rubric lint (coach/rubric/lint.py) plus each item's own
examples run through the real scorer, which is why this sits above scoring and not
in coach/rubric/. Items that can be not_applicable must show an example of it.
"""

from __future__ import annotations

from pathlib import Path

from coach import pipeline
from coach.rubric.lint import LintIssue, id_issues, weight_issues
from coach.rubric.schema import Rubric, load_rubric

# General types that answer not_applicable when their precondition never happens.
_CAN_BE_NOT_APPLICABLE = {"order.v1", "after_answer.v1", "count.v1"}


def lint_rubric(path: Path) -> list[LintIssue]:
    """Issues of a rubric file (it must load: a schema error raises RubricError naming the field)."""
    rubric = load_rubric(path)
    source = str(path)
    issues = [*_example_issues(rubric, source), *id_issues(rubric, source), *weight_issues(rubric, source)]
    return issues


def _example_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    # An example's sellers are the vendor side's usual names, not all of them in every snippet.
    spec = pipeline.resolve(rubric=rubric, sellers_on_call=False)
    issues = []
    for item in rubric.items:
        if item.detector.type in _CAN_BE_NOT_APPLICABLE and not item.examples.not_applicable:
            issues.append(LintIssue(source=source, item=item.id, field="examples.not_applicable", severity="warning",
                                    problem=f"{item.detector.type} can answer not_applicable; show an example of when"))  # fmt: skip
        for verdict, examples in (("pass", item.examples.pass_), ("fail", item.examples.fail),
                                  ("not_applicable", item.examples.not_applicable)):  # fmt: skip
            for n, example in enumerate(examples):
                call = spec.for_call(sellers=example.sellers, call_type=item.example_call_type(example))
                got = pipeline.score(call, pipeline.read_bytes(call, example.call.strip().encode(), name="example.txt")).item(item.id)
                if got.verdict.value != verdict:
                    issues.append(LintIssue(source=source, item=item.id, field=f"examples.{verdict}[{n}]",
                                            problem=f"scores {got.verdict.value}, not {verdict} ({got.reason})"))  # fmt: skip
    return issues
