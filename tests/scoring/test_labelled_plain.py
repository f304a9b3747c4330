"""Core-item accuracy on the labelled calls in plain `Name: text` format.

The whole labelled set (every format) is scored by `coach eval` and its test;
this one needs only the plain reader, so the detectors are checked against the
coach's labels even before the other readers are in.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from coach.readers import read_path
from coach.scoring import score_transcript

LABELLED = Path(__file__).resolve().parents[2] / "fixtures" / "labelled"
CALLS = sorted(LABELLED.glob("*_plain_*.txt"))
CORE = ("signal_first_opening", "discovery_questions", "ask_once", "never_say")


def _labels(call: Path) -> dict:
    return yaml.safe_load(call.with_name(call.stem + ".labels.yaml").read_text())


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for call in CALLS:
        labels = _labels(call)
        card = score_transcript(read_path(call, sellers=labels["sellers"]))
        for item_id, expected in labels["items"].items():
            counts.setdefault(item_id, Counter())[(expected, card.item(item_id).verdict.value)] += 1
    return counts


def test_there_are_plain_labelled_calls():
    assert len(CALLS) >= 6


@pytest.mark.parametrize("item_id", CORE)
def test_core_item_precision_and_recall(outcomes, item_id):
    counts = outcomes[item_id]
    for verdict in ("pass", "fail"):
        predicted = sum(n for (_, got), n in counts.items() if got == verdict)
        actual = sum(n for (want, _), n in counts.items() if want == verdict)
        hits = counts[(verdict, verdict)]
        if predicted:
            assert hits / predicted >= 0.9, f"{item_id} {verdict} precision {hits}/{predicted}: {dict(counts)}"
        if actual:
            assert hits / actual >= 0.9, f"{item_id} {verdict} recall {hits}/{actual}: {dict(counts)}"


def test_every_item_mostly_agrees_with_the_coach(outcomes):
    for item_id, counts in outcomes.items():
        agree = sum(n for (want, got), n in counts.items() if want == got)
        assert agree / sum(counts.values()) >= 0.8, f"{item_id}: {dict(counts)}"
