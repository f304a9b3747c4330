"""The call-type gate: the rubric is picked by the call's type (a map in rubrics/call_types.yaml)
unless the user names one."""

from __future__ import annotations

import pytest
import yaml

from coach.callcues import load_cues
from coach.errors import RubricError
from coach.resources import data_file
from coach.rubric.choice import bundled_by_call_type, bundled_rubric, rubric_for
from coach.rubric.schema import load_rubric
from coach.scorecard import CallType
from coach.scoring import score_call, score_transcript
from tests.scoring.conftest import snippet

NEW_LOGO_CALL = """
AE: Thanks for calling in. What made you reach out?
Buyer: We've been looking into test automation tools. How much does it cost?
AE: How does your team run regression tests today?
Buyer: By hand, it takes 3 days every release.
AE: Who else would be involved in deciding on a tool like this?
Buyer: My VP of engineering.
AE: Could we do Thursday at 10am with your VP?
Buyer: Thursday works.
"""
EXPANSION_CALL = """
CSM: Your team crossed 212 of your 250 licensed seats this month, about 85% of the plan.
Buyer: Yes, finance onboarded the whole AP group.
CSM: How are you handling matching today?
Buyer: Mostly by hand.
"""


def test_the_bundled_map_picks_by_call_type():
    gate = bundled_by_call_type()
    assert gate[CallType.new_logo].id == "first_call_discovery"
    assert {gate[t].id for t in (CallType.expansion, CallType.unknown, CallType.not_sales)} == {"expansion_call"}
    choice = rubric_for(CallType.new_logo, gate)
    assert choice.rubric is gate[CallType.new_logo] and "new_logo calls (rubrics/call_types.yaml)" in choice.reason


def test_a_named_rubric_wins_over_the_call_type():
    mine = load_rubric()
    choice = rubric_for(CallType.new_logo, bundled_by_call_type(), mine)
    assert choice.rubric is mine and "--rubric" in choice.reason


def test_a_new_logo_call_is_scored_with_the_first_call_rubric():
    card = score_call(snippet(NEW_LOGO_CALL, ["AE"]))
    assert card.call_type is CallType.new_logo
    assert (card.rubric.id, card.rubric.version) == ("first_call_discovery", load_rubric(data_file("rubrics", "first_call_discovery.yaml")).version)
    assert "new_logo" in card.rubric.reason
    assert "reason_for_calling" in {i.id for i in card.items} and card.item("reason_for_calling").verdict.value == "pass"
    assert card.model_dump(mode="json")["rubric"]["reason"] == card.rubric.reason
    # the same call with the rubric named is scored with that one, and says so
    named = score_call(snippet(NEW_LOGO_CALL, ["AE"]), load_rubric())
    assert named.rubric.id == "expansion_call" and "--rubric" in named.rubric.reason
    # and the scorer without the gate keeps the rubric it is given, with no reason to give
    plain = score_transcript(snippet(NEW_LOGO_CALL, ["AE"]))
    assert plain.rubric.id == "expansion_call" and "reason" not in plain.model_dump(mode="json")["rubric"]


def test_an_expansion_call_keeps_the_expansion_rubric():
    card = score_call(snippet(EXPANSION_CALL, ["CSM"]))
    assert card.call_type is CallType.expansion and card.rubric.id == "expansion_call"
    assert "expansion calls" in card.rubric.reason
    before = score_transcript(snippet(EXPANSION_CALL, ["CSM"]))
    assert [(i.id, i.verdict) for i in card.items] == [(i.id, i.verdict) for i in before.items]


def test_the_map_is_data(tmp_path):
    data = yaml.safe_load(data_file("rubrics", "call_types.yaml").read_text())
    data["rubrics"]["new_logo"] = "expansion_call.yaml"
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    gate = bundled_by_call_type(load_cues(path))
    assert gate[CallType.new_logo].id == "expansion_call"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda m: m.pop("unknown"), r"rubrics: names no rubric for call type\(s\) \['unknown'\]"),
        (lambda m: m.update(new_logo="../secret.yaml"), r"rubrics: new_logo: '\.\./secret\.yaml' is not a rubric file name"),
    ],
)
def test_a_bad_map_is_refused_naming_the_field(tmp_path, edit, message):
    data = yaml.safe_load(data_file("rubrics", "call_types.yaml").read_text())
    edit(data["rubrics"])
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RubricError, match=r"cues\.yaml.*" + message):
        load_cues(path)


def test_a_map_naming_a_missing_file_fails_naming_it(tmp_path):
    data = yaml.safe_load(data_file("rubrics", "call_types.yaml").read_text())
    data["rubrics"]["new_logo"] = "no_such_rubric.yaml"
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(RubricError, match=r"no_such_rubric\.yaml"):
        bundled_by_call_type(load_cues(path))


def test_a_stored_scorecard_finds_its_bundled_rubric():
    assert bundled_rubric("first_call_discovery").id == "first_call_discovery"
    assert bundled_rubric("expansion_call", "0.0.0-gone") is None
    assert bundled_rubric("team_custom") is None


def test_the_pipeline_grades_a_gated_card_with_the_rubric_it_names_even_after_a_version_bump():
    from coach import pipeline

    spec = pipeline.resolve(gate=True)
    card = pipeline.score(spec, snippet(NEW_LOGO_CALL, ["AE"]))
    assert card.rubric.id == "first_call_discovery" and spec.rubric_from == "gate"
    assert pipeline.rubric_of(spec, card).id == "first_call_discovery"
    # a card stored under an older version of the same rubric still finds that rubric, not the default
    older = card.model_copy(update={"rubric": card.rubric.model_copy(update={"version": "0.0.1"})})
    assert pipeline.rubric_of(spec, older).id == "first_call_discovery"
    # outside the gate the run's own rubric grades, whatever the card says
    run = pipeline.resolve()
    assert run.rubric_from == "run" and pipeline.rubric_of(run, older) is run.rubric


def _readings(monkeypatch) -> list[str]:
    """The rubric id of every reading of a call (a line analysis of every turn) from now on."""
    from coach.checks.context import CallContext

    seen: list[str] = []
    build = CallContext._build

    def counted(self, transcript, call):
        seen.append(self.rubric.id)
        return build(self, transcript, call)

    monkeypatch.setattr(CallContext, "_build", counted)
    return seen


def test_the_gate_reads_a_call_once_with_the_rubric_it_picks(monkeypatch):
    seen = _readings(monkeypatch)
    assert score_call(snippet(NEW_LOGO_CALL, ["AE"])).rubric.id == "first_call_discovery"
    assert seen == ["first_call_discovery"]  # not first with the default rubric, then again
    seen.clear()
    assert score_call(snippet(EXPANSION_CALL, ["CSM"])).rubric.id == "expansion_call"
    assert seen == ["expansion_call"]


def test_account_evidence_that_changes_the_guess_reads_the_call_again_with_the_right_rubric(monkeypatch):
    # The cues alone see a prospect ("what made you reach out", "how much does it cost"); the
    # expansion rubric's usage trigger ("92% of your usage limit") makes it an existing account.
    call = NEW_LOGO_CALL + "AE: You hit 92% of your usage limit last week.\n"
    from coach.calltype import decide, measure_call

    assert decide(measure_call(snippet(call, ["AE"]))).value is CallType.new_logo
    seen = _readings(monkeypatch)
    card = score_call(snippet(call, ["AE"]))
    assert card.call_type is CallType.expansion and card.rubric.id == "expansion_call"
    assert seen == ["first_call_discovery", "expansion_call"]  # guessed, then read again
    plain = score_transcript(snippet(call, ["AE"]))  # the default rubric, read once, as before
    assert card.call_type_detail == plain.call_type_detail
    assert [(i.id, i.verdict, i.evidence) for i in card.items] == [(i.id, i.verdict, i.evidence) for i in plain.items]


def test_deciding_twice_from_one_measure_gives_the_same_answer():
    from coach.calltype import classify_call, decide, measure_call
    from coach.scorecard import Evidence

    transcript = snippet(NEW_LOGO_CALL, ["AE"])
    measure = measure_call(transcript)
    evidence = [Evidence(turn=0, speaker="AE", quote="92% of your usage limit")] * 3
    with_evidence = decide(measure, evidence)
    assert with_evidence.value is CallType.expansion  # the account evidence counts
    assert decide(measure) == classify_call(transcript)  # and did not stick to the measure
    assert decide(measure).value is CallType.new_logo
    assert decide(measure, evidence) == with_evidence == classify_call(transcript, account_evidence=evidence)
