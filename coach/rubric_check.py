"""`coach rubric check`: the rubric lint (coach/rubric/lint.py) plus each item's own
examples run through the real scorer, which is why this sits above scoring and not
in coach/rubric/. Items that can be not_applicable must show an example of it.

A `grader: llm` question item has no heuristic to run its examples through: they are
checked only when a grader is given (`coach rubric check FILE --llm embedded|endpoint`),
each example scored and then graded by that LLM; a different answer is a warning (a
model's answer, not the rubric's fault alone). Without one, the check says they were
not checked and how to check them.
"""

from __future__ import annotations

from pathlib import Path

from coach import pipeline
from coach.llm.grader import Grader
from coach.rubric.lint import LintIssue, id_issues, question_issues, weight_issues
from coach.rubric.schema import Example, Rubric, RubricItem, load_rubric
from coach.scorecard import ItemResult

# General types that answer not_applicable when their precondition never happens.
_CAN_BE_NOT_APPLICABLE = {"order.v1", "after_answer.v1", "count.v1"}
HOW_TO_CHECK_LLM = "coach rubric check FILE --llm embedded (or --llm endpoint with OPENAI_BASE_URL set)"


def lint_rubric(path: Path, grader: Grader | None = None) -> list[LintIssue]:
    """Issues of a rubric file (it must load: a schema error raises RubricError naming the field).
    `grader`: the LLM that checks question items' examples; None leaves them unchecked (said so)."""
    rubric = load_rubric(path)
    source = str(path)
    return [
        *_example_issues(rubric, source),
        *_question_example_issues(rubric, source, grader),
        *question_issues(rubric, source),
        *id_issues(rubric, source),
        *weight_issues(rubric, source),
    ]


def _examples(item: RubricItem) -> list[tuple[str, list[Example]]]:
    if item.examples is None:
        return []
    examples = item.examples
    return [("pass", examples.pass_), ("fail", examples.fail), ("not_applicable", examples.not_applicable)]


def _judged(rubric: Rubric, item: RubricItem, example: Example, grader: Grader | None = None) -> ItemResult:
    # An example's sellers are the vendor side's usual names, not all of them in every snippet.
    spec = pipeline.resolve(rubric=rubric, sellers_on_call=False)
    call = spec.for_call(sellers=example.sellers, call_type=item.example_call_type(example))
    transcript = pipeline.read_bytes(call, example.call.strip().encode(), name="example.txt")
    return pipeline.grade(call, transcript, pipeline.score(call, transcript), grader).item(item.id)


def _example_issues(rubric: Rubric, source: str) -> list[LintIssue]:
    issues = []
    for item in rubric.items:
        if item.detector is None:
            continue
        if item.detector.type in _CAN_BE_NOT_APPLICABLE and not item.examples.not_applicable:  # type: ignore[union-attr]
            issues.append(LintIssue(source=source, item=item.id, field="examples.not_applicable", severity="warning",
                                    problem=f"{item.detector.type} can answer not_applicable; show an example of when"))  # fmt: skip
        for verdict, examples in _examples(item):
            for n, example in enumerate(examples):
                got = _judged(rubric, item, example)
                if got.verdict.value != verdict:
                    issues.append(LintIssue(source=source, item=item.id, field=f"examples.{verdict}[{n}]",
                                            problem=f"scores {got.verdict.value}, not {verdict} ({got.reason})"))  # fmt: skip
    return issues


def _question_example_issues(rubric: Rubric, source: str, grader: Grader | None) -> list[LintIssue]:
    issues = []
    for item in rubric.items:
        if item.detector is not None:
            continue
        if item.examples is None:
            issues.append(LintIssue(source=source, item=item.id, field="examples", severity="warning",
                                    problem=f"no examples: give a pass and a fail call; they are checked with an LLM ({HOW_TO_CHECK_LLM})"))  # fmt: skip
            continue
        if item.not_applicable_when and not item.examples.not_applicable:
            issues.append(LintIssue(source=source, item=item.id, field="examples.not_applicable", severity="warning",
                                    problem="not_applicable_when says when it does not apply; show an example of when"))  # fmt: skip
        examples = [(verdict, n, e) for verdict, group in _examples(item) for n, e in enumerate(group)]
        if grader is None:
            issues.append(LintIssue(source=source, item=item.id, field="examples", severity="note",
                                    problem=f"{len(examples)} example(s) not checked: a question is answered by an LLM; "
                                            f"check them with {HOW_TO_CHECK_LLM}"))  # fmt: skip
            continue
        for verdict, n, example in examples:
            got = _judged(rubric, item, example, grader)
            if got.verdict.value != verdict:
                issues.append(LintIssue(source=source, item=item.id, field=f"examples.{verdict}[{n}]", severity="warning",
                                        problem=f"the LLM answered {got.verdict.value}, not {verdict} ({got.reason})"))  # fmt: skip
    return issues
