"""`line_class.v1`: items judged by the per-line classes the text engine computes, declared in YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.errors import RubricError
from coach.resources import data_file
from coach.rubric.schema import Rubric, load_rubric
from coach.rubric.shapes import LINE_CLASSES
from coach.text.lines import LineSignals
from tests.scoring.conftest import score


def _rubric(tmp_path: Path, params: dict, advice: dict | None = None, *, keep_bundled: bool = True) -> Path:
    data = yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())
    data["id"] = "team_lines"
    item = {
        "id": "counted_lines", "title": "Counted lines", "description": "a line_class item", "weight": 1,
        "detector": {"type": "line_class.v1", "params": params},
        "advice": advice if advice is not None else {"too_few": "Ask more.", "too_many": "Pitch less."},
        "examples": {"pass": [{"call": "AE: Hi."}], "fail": [{"call": "AE: Hi."}]},
    }  # fmt: skip
    data["items"] = (data["items"] if keep_bundled else []) + [item]
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _load(tmp_path: Path, params: dict, **kwargs) -> Rubric:
    return load_rubric(_rubric(tmp_path, params, **kwargs))


PITCHY = """
AE: Let me show you our new analytics module.
Buyer: Okay.
AE: We also have a reconciliation module that might help there.
Buyer: Mm-hmm.
AE: How do you run the close today?
Buyer: By hand.
"""


def test_every_class_is_a_line_signal():
    hit_fields = {name for name in LineSignals.model_fields if name != "questions"}
    assert set(LINE_CLASSES) == hit_fields | {"question"}


def test_at_most_pitch_lines_fails_citing_each_pitch(tmp_path):
    rubric = _load(tmp_path, {"class": "pitch", "at_most": 1})
    result = score(PITCHY, ("AE",), rubric).item("counted_lines")
    assert result.verdict.value == "fail" and result.details["failure_mode"] == "too_many"
    assert [e.turn for e in result.evidence] == [0, 2]
    assert "analytics module" in result.evidence[0].quote and "reconciliation module" in result.evidence[1].quote
    assert result.advice == "Pitch less."
    assert "2 of 3 lines by the seller side" in result.reason and "at most 1 allowed" in result.reason
    assert score(PITCHY, ("AE",), _load(tmp_path, {"class": "pitch", "at_most": 2})).item("counted_lines").verdict.value == "pass"


def test_share_of_question_lines_leaves_backchannels_out(tmp_path):
    rubric = _load(tmp_path, {"class": "question", "share_at_least": 0.5}, keep_bundled=False)
    call = "AE: We ship Tuesday.\nBuyer: Fine.\nAE: How does your team test today?\nBuyer: By hand.\nAE: Mm-hmm.\nAE: Right."
    result = score(call, ("AE",), rubric).item("counted_lines")
    # 1 question of 2 real lines: the backchannels do not dilute the share
    assert result.verdict.value == "pass", result.reason
    assert (result.details["lines"], result.details["of"]) == (1, 2)
    assert result.evidence[0].quote == "How does your team test today?"
    statements = score("AE: We ship Tuesday.\nBuyer: Fine.\nAE: It is fast.\nBuyer: Ok.", ("AE",), rubric)
    missed = statements.item("counted_lines")
    assert missed.verdict.value == "fail" and missed.details["failure_mode"] == "too_few"
    assert [e.turn for e in missed.evidence] == [0, 2]  # nothing to quote: the stretch it was owed in


def test_customer_side_class(tmp_path):
    rubric = _load(tmp_path, {"class": "soft_answer", "side": "customer", "at_most": 0})
    card = score("AE: Shall we add the seats?\nBuyer: Let me think about it.", ("AE",), rubric)
    result = card.item("counted_lines")
    assert result.verdict.value == "fail" and result.evidence[0].speaker == "Buyer"
    assert "Let me think about it." in result.evidence[0].quote


def test_a_side_with_no_lines_is_not_applicable(tmp_path):
    rubric = _load(tmp_path, {"class": "soft_answer", "side": "customer", "at_most": 0})
    result = score("AE: Shall we add the seats?\nAE: Hello?", ("AE",), rubric).item("counted_lines")
    assert result.verdict.value == "not_applicable" and "no lines to count" in result.reason


@pytest.mark.parametrize(
    ("params", "keep", "message"),
    [
        ({"class": "pitches", "at_most": 1}, True, r"class 'pitches' is not a per-line class; known: \[.*'pitch'"),
        ({"class": "pitch"}, True, r"give at least one rule"),
        ({"class": "pitch", "at_least": 3, "at_most": 2}, True, r"at_least \(3\) is above at_most \(2\)"),
        ({"class": "pitch", "at_most": 1}, False,
         r"items\.0\.detector\.params\.class: item counted_lines reads class 'pitch', which is computed from a "
         r"signal_first_opening\.v1 item's patterns, and this rubric has none"),
        ({"class": "soft_answer", "side": "seller", "at_most": 1}, True,
         r"counts seller lines in class 'soft_answer', which is only read from customer lines"),
    ],
)  # fmt: skip
def test_a_bad_line_class_item_is_refused_naming_the_field(tmp_path, params, keep, message):
    with pytest.raises(RubricError, match=r"team\.yaml.*" + message):
        _load(tmp_path, params, keep_bundled=keep)


def test_advice_is_owed_only_for_the_rules_given(tmp_path):
    assert _load(tmp_path, {"class": "question", "at_least": 1}, advice={"too_few": "Ask."}, keep_bundled=False)
    with pytest.raises(RubricError, match=r"advice is missing failure mode\(s\) \['too_many'\]"):
        _load(tmp_path, {"class": "question", "at_least": 1, "at_most": 9}, advice={"too_few": "Ask."}, keep_bundled=False)
