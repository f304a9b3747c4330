"""Rubric advice slots: filled with the call's own facts, else the rubric's fallback wording; validated on load.

Scored with the bundled rubric and real spaCy: the slots in
`rubrics/expansion_call.yaml` ({trigger}, {workflow}, {customer}) must show
this call's signal, the customer's words about their process and the
customer's name, or, on a call without them, the fallback wording.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from coach.advice_slots import SLOTS, customer_name, fill, slot_values
from coach.errors import RubricError
from coach.readers import read_bytes
from coach.resources import data_file
from coach.scorecard import SpeakerInfo, Verdict
from coach.scoring import score_transcript
from coach.rubric.schema import load_rubric, parse_rubric  # noqa: E402
from coach.transcript import Role

SIGNAL = "For context, we have crossed 240 of the 250 licensed seats already."
PROCESS = "Right now we build the weekly forecast by hand in spreadsheets, it takes two analysts most of Monday."
WITH_FACTS = f"""Alex Rep: Hi Marisol, thanks for the time. I wanted to show you our new Forecasting module, it is really strong.
Marisol Vega: Okay. {SIGNAL}
Alex Rep: Great. It plugs right into your dashboards.
Marisol Vega: {PROCESS}
Alex Rep: Would you like to add the Forecasting module this quarter? I can send you a demo recording.
Marisol Vega: Let me think about it.
Alex Rep: Sounds good, talk soon.
"""
# The same moves, with no signal, nothing said about the process, and an unnamed customer.
WITHOUT_FACTS = """Alex Rep: Hi, thanks for the time. I wanted to show you our new Forecasting module, it is really strong.
Customer: Okay.
Alex Rep: It plugs right into your dashboards.
Customer: Sounds interesting.
Alex Rep: Would you like to add the Forecasting module this quarter? I can send you a demo recording.
Customer: Let me think about it.
Alex Rep: Sounds good, talk soon.
"""
SLOTTED = ("signal_first_opening", "discovery_questions", "diagnostic_framing", "exec_sponsor")


def score(text: str, name: str):
    return score_transcript(read_bytes(text.encode(), name=name, sellers=["Alex Rep"]))


def test_a_call_with_the_facts_gets_advice_naming_them():
    card = score(WITH_FACTS, "with_facts.txt")
    assert {i.id for i in card.items if i.verdict is Verdict.fail} >= set(SLOTTED)
    quoted_signal, quoted_process = f'"{SIGNAL.rstrip(".")}"', f'"{PROCESS.rstrip(".")}"'
    assert f"in their words: {quoted_signal}. Lead with" in card.item("signal_first_opening").advice
    assert f"starting from how they work today, {quoted_process}:" in card.item("discovery_questions").advice
    assert f"how their team works today, {quoted_process}, so" in card.item("diagnostic_framing").advice
    assert "Ask Marisol who owns the budget" in card.item("exec_sponsor").advice
    # every value is the call's own evidence, cited where the scorecard shows it
    assert [e.quote for e in card.trigger_evidence] == [SIGNAL] and card.trigger_evidence[0].speaker == "Marisol Vega"
    assert [(e.turn, e.quote) for e in card.workflow_evidence] == [(3, PROCESS)]


def test_a_call_without_the_facts_gets_the_fallback_wording():
    card = score(WITHOUT_FACTS, "without_facts.txt")
    assert card.trigger_evidence == [] and card.workflow_evidence == []
    fallbacks = load_rubric().advice_slots
    assert {i.id for i in card.items if i.verdict is Verdict.fail} >= set(SLOTTED)
    assert f"in their words: {fallbacks['trigger']}. Lead with" in card.item("signal_first_opening").advice
    assert "starting from how they work today, in their own words:" in card.item("discovery_questions").advice
    assert "Ask your contact who owns the budget" in card.item("exec_sponsor").advice
    for item in card.items:
        assert "{" not in item.advice and "}" not in item.advice, item.id


def test_a_question_about_a_process_is_not_the_customers_process():
    text = WITH_FACTS.replace(PROCESS, "Do people usually do this by hand in spreadsheets?")
    assert score(text, "question.txt").workflow_evidence == []


def test_customer_names_skip_role_labels_and_keep_titles():
    def who(*names: str) -> str:
        return customer_name([SpeakerInfo(id=n, name=n, role=Role.customer, role_confidence=1.0) for n in names])

    assert who("Speaker 2", "Customer", "Marisol Vega") == "Marisol"
    assert who("Dr. Okafor") == "Dr. Okafor"
    assert who("Speaker 1") == ""
    seller = SpeakerInfo(id="a", name="Alex Rep", role=Role.seller, role_confidence=1.0)
    assert customer_name([seller]) == ""


def test_fill_prefers_the_calls_value_then_the_fallback():
    assert fill("Ask {customer} about {trigger}.", {"customer": "Ana"}, {"customer": "them", "trigger": "the signal"}) == (
        "Ask Ana about the signal."
    )
    assert fill("No slots here.", {}, {}) == "No slots here."
    assert set(slot_values(score(WITH_FACTS, "with_facts.txt"))) == set(SLOTS)


# -- validation ---------------------------------------------------------------------------
def bundled() -> dict:
    return yaml.safe_load(data_file("rubrics", "expansion_call.yaml").read_text())


def item_index(data: dict, item_id: str) -> int:
    return next(i for i, item in enumerate(data["items"]) if item["id"] == item_id)


def test_an_unknown_slot_is_an_error_naming_the_item_and_field():
    data = copy.deepcopy(bundled())
    i = item_index(data, "exec_sponsor")
    data["items"][i]["advice"]["not_mapped"] = "Ask {champion} who owns the budget."
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, source="custom.yaml")
    message = caught.value.one_line()
    assert f"items[{i}]" in message and "'exec_sponsor'" in message and "advice.not_mapped" in message
    assert "unknown slot {champion}" in message and "{customer}" in message


def test_a_stray_brace_is_an_error():
    data = copy.deepcopy(bundled())
    i = item_index(data, "next_step")
    data["items"][i]["advice"]["vague"] = "Close with a date } and a time."
    with pytest.raises(RubricError, match=r"next_step.*advice\.vague: a brace outside a slot"):
        parse_rubric(data, source="custom.yaml")


def test_a_slot_without_fallback_wording_is_an_error():
    data = copy.deepcopy(bundled())
    del data["advice_slots"]["workflow"]
    with pytest.raises(RubricError) as caught:
        parse_rubric(data, source="custom.yaml")
    message = caught.value.one_line()
    assert "advice.skipped" in message and "'discovery_questions'" in message
    assert "slot {workflow} has no fallback wording; add advice_slots.workflow" in message


def test_fallbacks_are_for_known_slots_and_are_plain_wording():
    data = copy.deepcopy(bundled())
    data["advice_slots"]["product"] = "the product"
    with pytest.raises(RubricError, match=r"advice_slots: 'product' is not a slot"):
        parse_rubric(data, source="custom.yaml")
    data = copy.deepcopy(bundled())
    data["advice_slots"]["customer"] = "{customer}"
    with pytest.raises(RubricError, match=r"advice_slots: customer: the fallback must be plain wording"):
        parse_rubric(data, source="custom.yaml")
