"""Scenario files: the bundled ones load; bad ones fail with one line naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coach.errors import RubricError
from coach.roleplay.scenario import Difficulty, get_scenario, load_scenario_file, load_scenarios, scenario_dir
from coach.scorecard import Trigger

REQUIRED = {
    "usage_threshold_upsell", "exec_sponsor_change", "renewal_window", "cross_sell_adjacent_pain",
    "escalation_back_off", "send_me_information",
}  # fmt: skip


def test_bundled_scenarios_cover_the_issue():
    scenarios = load_scenarios()
    assert REQUIRED <= set(scenarios)
    assert scenarios["usage_threshold_upsell"].trigger is Trigger.usage_threshold
    assert scenarios["exec_sponsor_change"].trigger is Trigger.exec_sponsor_change
    assert scenarios["renewal_window"].trigger is Trigger.renewal_window
    assert scenarios["escalation_back_off"].escalation
    assert scenarios["send_me_information"].info_request_on_meeting_ask
    assert "killing us" in scenarios["cross_sell_adjacent_pain"].rep_brief  # the customer's own words


@pytest.mark.parametrize("scenario_id", sorted(REQUIRED))
def test_each_scenario_is_complete(scenario_id):
    scenario = get_scenario(scenario_id)
    assert scenario.persona.name and scenario.persona.difficulty
    unlocks = {f.unlock for f in scenario.facts}
    assert "sponsor" in unlocks
    if scenario.escalation is None:
        assert {"q1", "q2", "q3"} <= unlocks
    for fact in scenario.facts:  # a scripted reveal passes the actor's own check
        assert any(k.lower() in fact.says.lower() for k in fact.keywords), fact.id
    assert scenario.good_outcome


def _base() -> dict:
    return yaml.safe_load((scenario_dir() / "renewal_window.yaml").read_text())


def _write(tmp_path: Path, data: object, name: str = "renewal_window.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["persona"].pop("title"), "persona.title: Field required"),
        (lambda d: d["persona"].update(difficulty="brutal"), "persona.difficulty: Input should be 'easy', 'normal' or 'hard'"),
        (lambda d: d.update(mood="cheerful"), "mood: Extra inputs are not permitted"),
        (lambda d: d["facts"][1].update(unlock="q7"), "facts[1].unlock: Input should be 'q1', 'q2', 'q3' or 'sponsor'"),
        (lambda d: d["facts"][1].update(unlock="q1"), "facts: more than one fact unlocked by ['q1']"),
        (lambda d: d["facts"][1].update(id="sla_workflow"), "facts: duplicate fact ids ['sla_workflow']"),
        (lambda d: d.update(facts=[f for f in d["facts"] if f["unlock"] != "q2"]), "no hidden fact for discovery question(s) ['q2']"),
        (lambda d: d["facts"][0].update(keywords=[]), "facts[0].keywords: List should have at least 1 item"),
        (lambda d: d["lines"].update(soft_no=[]), "lines.soft_no: List should have at least 2 items"),
        (lambda d: d["objections"][0].update(id="rude"), "objections[0].id: Input should be"),
        (lambda d: d.update(trigger="full_moon"), "trigger: Input should be"),
        (lambda d: d["facts"][0].update(keywords=["spreadsheet", 40]), "facts[0].keywords[1]: Input should be a valid string"),
        (lambda d: d.update(levels={"hard": {"patience": -1}}), "levels.hard.patience: Input should be greater than or equal to 0"),
        (lambda d: d.update(levels={"brutal": {"patience": 1}}), "levels.brutal"),
        (lambda d: d["lines"].update(accept_time=["Sure.", "Okay."]), "accept_time: every line repeats the proposed time"),
        (lambda d: d["lines"].update(answer=["Okay.", "Sure, [name]. {x}"]), "answer: 'Sure, [name]. {x}' has a placeholder"),
        (lambda d: d["objections"][0].update(says=["Only one."]), "objections[0].says: List should have at least 2 items"),
    ],
)
def test_schema_errors_name_the_file_and_field(tmp_path, change, message):
    data = _base()
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(RubricError) as caught:
        load_scenario_file(path)
    line = caught.value.one_line()
    assert line.startswith(f"{path}: ") and message in line and "\n" not in line


def test_id_must_match_the_file_name(tmp_path):
    path = _write(tmp_path, _base(), name="other.yaml")
    with pytest.raises(RubricError, match="id: 'renewal_window' must match the file name 'other'"):
        load_scenario_file(path)


def test_invalid_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, "id: renewal_window\npersona: [unclosed\n")
    with pytest.raises(RubricError) as caught:
        load_scenario_file(path)
    assert caught.value.line is not None and str(path) in caught.value.one_line()


def test_not_a_mapping(tmp_path):
    path = _write(tmp_path, "- just\n- a list\n")
    with pytest.raises(RubricError, match="a scenario must be a YAML mapping"):
        load_scenario_file(path)


def test_unknown_scenario_lists_the_known_ones():
    with pytest.raises(RubricError, match="unknown scenario 'nope'; known: .*renewal_window"):
        get_scenario("nope")


def test_a_folder_with_one_bad_scenario_fails_naming_it(tmp_path):
    _write(tmp_path, _base())
    broken = _base()
    broken["id"] = "broken"
    del broken["lines"]
    _write(tmp_path, broken, name="broken.yaml")
    with pytest.raises(RubricError, match=r"broken\.yaml: lines: Field required"):
        load_scenarios(tmp_path)


def test_a_scenario_can_override_one_value_of_a_level(tmp_path):
    data = _base()
    data["levels"] = {"hard": {"patience": 0}}
    scenario = load_scenario_file(_write(tmp_path, data))
    assert scenario.level(Difficulty.hard).patience == 0
    assert scenario.level(Difficulty.hard).reveal == "brief"  # the rest of the shared level stays
    assert scenario.level(Difficulty.normal).patience == 2
    assert scenario.level().patience == 2  # the persona's own level (normal)


def test_scenarios_leave_out_groups_the_shared_customer_fills(tmp_path):
    data = _base()
    data["lines"].pop("goodbye", None)
    data["objections"] = [o for o in data["objections"] if o["id"] != "never_say"]
    scenario = load_scenario_file(_write(tmp_path, data))
    assert len(scenario.lines.goodbye) >= 2 and len(scenario.objection("never_say")) >= 2


def test_stored_sessions_that_say_medium_still_load():
    data = _base()
    data["persona"]["difficulty"] = "medium"
    from coach.roleplay.scenario import parse_scenario

    assert parse_scenario(data, source="old session").persona.difficulty is Difficulty.normal
