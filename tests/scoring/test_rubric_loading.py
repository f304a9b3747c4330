"""The rubric file: bundled ids, validation errors naming the field path, team rubrics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from coach.errors import RubricError
from coach.rubric.patterns import PatternSyntaxError, compile_patterns
from coach.rubric.schema import load_rubric
from coach.scoring import score_transcript
from tests.contract import CORE_ITEMS, EXTENDED_ITEMS
from tests.scoring.conftest import snippet

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_rubric_has_exactly_the_contract_ids():
    rubric = load_rubric()
    assert [i.id for i in rubric.items] == [*CORE_ITEMS, *EXTENDED_ITEMS]
    assert [i.id for i in rubric.items if i.core] == list(CORE_ITEMS)
    assert rubric.id == "expansion_call" and rubric.version


def test_every_failure_mode_has_advice_and_items_carry_grader():
    for item in load_rubric().items:
        for mode in type(item.detector.params).FAILURE_MODES:
            assert item.advice[mode].strip()
        assert item.grader in {"heuristic", "llm", "both"}


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "team.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _bundled() -> dict:
    return yaml.safe_load((ROOT / "rubrics" / "expansion_call.yaml").read_text())


def test_bad_pattern_error_names_file_and_field_path(tmp_path):
    data = _bundled()
    data["items"][3]["detector"]["params"]["phrases"][0]["patterns"][0] = "deck <bogus>"
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message
    assert "items[3].detector.params.phrases[0].patterns[0]" in message
    assert "<bogus>" in message


def test_missing_field_and_unknown_field_are_named(tmp_path):
    data = _bundled()
    del data["items"][0]["weight"]
    with pytest.raises(RubricError, match=r"items\[0\]\.weight: Field required"):
        load_rubric(_write(tmp_path, data))
    data = _bundled()
    data["items"][2]["detector"]["params"]["comercial_ask"] = ["buy"]
    with pytest.raises(RubricError, match=r"items\[2\]\.detector\.params\.comercial_ask: Extra inputs"):
        load_rubric(_write(tmp_path, data))


def test_unknown_detector_type_and_missing_advice_are_named(tmp_path):
    data = _bundled()
    data["items"][1]["detector"]["type"] = "discovery.v9"
    with pytest.raises(RubricError, match=r"items\[1\]\.detector"):
        load_rubric(_write(tmp_path, data))
    data = _bundled()
    del data["items"][2]["advice"]["repeated_after_soft"]
    with pytest.raises(RubricError, match=r"items\[2\].*repeated_after_soft"):
        load_rubric(_write(tmp_path, data))


def test_duplicate_ids_and_yaml_syntax_errors(tmp_path):
    data = _bundled()
    data["items"][1]["id"] = data["items"][0]["id"]
    with pytest.raises(RubricError, match="duplicate item ids"):
        load_rubric(_write(tmp_path, data))
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: x\nitems: [\n")
    with pytest.raises(RubricError, match=r"broken\.yaml:\d+: invalid YAML"):
        load_rubric(broken)
    with pytest.raises(RubricError, match="cannot read rubric"):
        load_rubric(tmp_path / "missing.yaml")


def test_team_rubric_adds_a_never_say_phrase(tmp_path):
    call = "AE: Honestly, this is a no-brainer for you.\nCustomer: Hm."
    assert score_transcript(snippet(call)).item("never_say").verdict.value == "pass"
    data = _bundled()
    data["version"] = "team-2"
    data["items"][3]["detector"]["params"]["phrases"].append(
        {"id": "no_brainer", "says": "This is a no-brainer", "patterns": ["(no-brainer|no brainer)"]}
    )
    team = load_rubric(_write(tmp_path, data))
    card = score_transcript(snippet(call), team)
    assert card.rubric.version == "team-2"
    result = card.item("never_say")
    assert result.verdict.value == "fail"
    assert result.details["hits"][0]["phrase"] == "no_brainer"


@pytest.mark.parametrize(
    "bad", ["", "...", "deck ...", "a||b", "(a|)", "word? other?", "(unclosed", "<nope>", "...40 x"]
)
def test_pattern_notation_rejects_bad_patterns(bad):
    with pytest.raises(PatternSyntaxError):
        compile_patterns(bad)


def test_pattern_notation_groups_lemmas_and_hyphens():
    patterns = compile_patterns("~send|email (a deck|slides)? add-on")
    assert len(patterns) == 3
    assert patterns[0][0] == {"LEMMA": {"IN": ["send", "email"]}}
    assert [t["LOWER"] for t in patterns[2][1:]] == ["add", "-", "on"]
