"""Every item's pass/fail (and not-applicable) snippets in the rubric become tests."""

from __future__ import annotations

import pytest

from coach.rubric import load_rubric
from tests.scoring.conftest import score

RUBRIC = load_rubric()
CASES = [
    pytest.param(item.id, expected, example, id=f"{item.id}-{expected}-{n}")
    for item in RUBRIC.items
    for expected, examples in (
        ("pass", item.examples.pass_),
        ("fail", item.examples.fail),
        ("not_applicable", item.examples.not_applicable),
    )
    for n, example in enumerate(examples)
]


@pytest.mark.parametrize(("item_id", "expected", "example"), CASES)
def test_example_gets_its_verdict(item_id, expected, example):
    result = score(example.call, example.sellers).item(item_id)
    assert result.verdict.value == expected, f"{item_id}: {result.reason} {[e.quote for e in result.evidence]}"
    if expected == "fail":
        assert result.evidence, "a fail must cite evidence"
        assert result.advice, "a fail must carry advice"
    if expected == "not_applicable":
        assert result.reason


def test_every_item_has_pass_and_fail_examples():
    for item in RUBRIC.items:
        assert item.examples.pass_, f"{item.id} has no pass example"
        assert item.examples.fail, f"{item.id} has no fail example"


def test_examples_cover_every_item():
    covered = {case.values[0] for case in CASES}
    assert covered == {item.id for item in RUBRIC.items}
