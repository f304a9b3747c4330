"""Every item's pass/fail (and not-applicable) snippets in the rubric become tests.

Question items (`grader: llm`, no detector) are the exception: only an LLM answers them, so
their examples are checked with `coach rubric check FILE --llm ...` and, against the
embedded model, in tests/llm/test_question_items.py."""

from __future__ import annotations

import pytest

from coach.rubric.schema import load_bundled_rubrics
from coach.scoring import score_transcript
from tests.scoring.conftest import snippet

# Every bundled rubric's examples are tests (the second one is built from general check types only).
RUBRICS = load_bundled_rubrics()
JUDGED = [(rubric, item) for rubric in RUBRICS for item in rubric.items if item.detector is not None]
CASES = [
    pytest.param(rubric, item, expected, example, id=f"{rubric.id}-{item.id}-{expected}-{n}")
    for rubric, item in JUDGED
    for expected, examples in (
        ("pass", item.examples.pass_),
        ("fail", item.examples.fail),
        ("not_applicable", item.examples.not_applicable),
    )
    for n, example in enumerate(examples)
]


@pytest.mark.parametrize(("rubric", "item", "expected", "example"), CASES)
def test_example_gets_its_verdict(rubric, item, expected, example):
    card = score_transcript(snippet(example.call, example.sellers), rubric, call_type=item.example_call_type(example))
    result = card.item(item.id)
    assert result.verdict.value == expected, f"{item.id}: {result.reason} {[e.quote for e in result.evidence]}"
    if expected == "fail":
        assert result.evidence, "a fail must cite evidence"
        assert result.advice, "a fail must carry advice"
    if expected == "not_applicable":
        assert result.reason


def test_every_item_has_pass_and_fail_examples():
    for _, item in JUDGED:
        assert item.examples.pass_, f"{item.id} has no pass example"
        assert item.examples.fail, f"{item.id} has no fail example"


def test_examples_cover_every_item():
    covered = {(case.values[0].id, case.values[1].id) for case in CASES}
    assert covered == {(r.id, item.id) for r, item in JUDGED}
    assert {i.id for r in RUBRICS for i in r.items if i.detector is None} == {"reason_in_their_words"}
