"""Every scenario at every difficulty: a scripted good rep and a scripted bad rep (`data/levels.yaml`).

The good rep scores high and books a time the customer accepted; the bad rep
gets the facilitator on exactly the listed lines and has the call ended on
them where the level's patience runs out; no customer line is ever said twice
in a row; the same seed and lines give the same session.
"""

from __future__ import annotations

import pytest

from coach.roleplay.scenario import Difficulty, load_scenarios
from coach.roleplay.session import score_session
from tests.roleplay.plays import LEVEL_PLAYS, run_play

CASES = [(sid, level, kind) for sid in LEVEL_PLAYS for level in LEVEL_PLAYS[sid] for kind in ("good", "bad")]


def test_every_scenario_has_good_and_bad_reps_at_every_level():
    assert sorted(LEVEL_PLAYS) == sorted(load_scenarios())
    for sid, levels in LEVEL_PLAYS.items():
        assert sorted(levels) == sorted(d.value for d in Difficulty), sid
        assert all(set(plays) == {"good", "bad"} for plays in levels.values()), sid


@pytest.mark.parametrize(("scenario_id", "level", "kind"), CASES)
def test_scripted_rep_meets_the_customer_the_level_promises(scenario_id, level, kind):
    expected = LEVEL_PLAYS[scenario_id][level][kind]
    state, results = run_play(scenario_id, expected["rep_lines"], Difficulty(level))
    fired = [[n, note.rule] for n, result in enumerate(results, 1) for note in result.notes]
    assert fired == expected["facilitator"]
    ends = [len(results), results[-1].customer.move.line_key] if results[-1].ended else None
    assert ends == expected["ends"]
    assert state.director.ended_cold is (ends is not None and ends[1] == "end_cold")
    customer = [t.text for t in state.turns if t.role == "customer"]
    assert all(a != b for a, b in zip(customer, customer[1:])), customer
    card = score_session(state)
    assert card.practice is not None and card.practice.difficulty == level
    assert card.practice.ended_cold is state.director.ended_cold
    if kind == "good":
        assert card.score is not None and card.score >= 90, card.score
        assert card.item("next_step").verdict.value == "pass"
        assert [t.move.line_key for t in state.turns if t.move].count("accept_time") == 1
    else:
        assert card.score is not None and card.score <= 50, card.score


def test_the_fuse_gets_shorter_as_the_level_rises():
    for sid, levels in LEVEL_PLAYS.items():
        cold = {lvl: plays["bad"]["ends"][0] for lvl, plays in levels.items() if (plays["bad"]["ends"] or [0, ""])[1] == "end_cold"}
        if {"easy", "normal", "hard"} <= set(cold):
            assert cold["easy"] >= cold["normal"] >= cold["hard"], sid


def test_a_second_never_say_ends_the_call_at_normal():
    state, results = run_play(
        "usage_threshold_upsell",
        ["This is the future of the category.", "Honestly, customers like you are all buying it.", "Anything else?"],
        Difficulty.normal,
    )
    assert [r.customer.move.line_key for r in results] == ["objection:never_say", "end_cold"]
    assert state.status.value == "ended"


def test_pitching_through_two_objections_ends_the_call_at_normal():
    lines = [
        "Let me share my screen and show you the Enterprise plan.",
        "It would be $40 per seat per month on the Enterprise plan.",
        "Let me show you the dashboard quickly.",
    ]
    _, results = run_play("usage_threshold_upsell", lines, Difficulty.normal)
    assert [r.customer.move.kind.value for r in results] == ["object", "object", "end"]
    assert results[-1].customer.move.line_key == "end_cold"


def test_a_goodbye_gets_a_goodbye_not_go_on():
    state, results = run_play("usage_threshold_upsell", ["Just checking in, talk soon."])
    assert results[0].customer.move.line_key == "goodbye" and state.status.value == "ended"
    assert results[0].customer.text in load_scenarios()["usage_threshold_upsell"].lines.goodbye


def test_a_proposed_time_gets_a_real_answer_with_that_time():
    signal = "I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan."
    meeting = "Could we spend 20 minutes mapping how your hubs onboard dispatchers today?"
    _, results = run_play("usage_threshold_upsell", [signal, meeting, "Does Tuesday at 2pm work?"])
    assert [r.customer.move.line_key for r in results] == ["signal_reaction", "accept_meeting", "accept_time"]
    assert "Tuesday at 2pm" in results[-1].customer.text and "{" not in results[-1].customer.text


def test_next_step_fails_when_the_customer_never_accepted_a_time():
    lines = [
        "This is the future of the category.",
        "Customers like you are all buying it.",
        "I'll send you an invite for Thursday at 10am then.",
    ]
    state, results = run_play("usage_threshold_upsell", lines, Difficulty.normal)
    assert results[-1].customer.move.line_key == "end_cold"
    state_after, _ = run_play("usage_threshold_upsell", lines[1:], Difficulty.hard)
    for played in (state, state_after):
        assert score_session(played).item("next_step").verdict.value == "fail"


def test_a_proposed_time_the_customer_never_accepted_is_no_next_step_at_any_level():
    """The rep proposes a time twice to a customer cooled by a product-first opening: the customer
    hedges (or brushes it off with "send me information") every time, and next_step fails."""
    lines = [
        "Let me share my screen and show you the Enterprise plan.",
        "Could we meet Thursday at 10am to go through it?",
        "Great, I'll send the invite for Thursday at 10am. Talk soon.",
    ]
    for level in Difficulty:
        state, results = run_play("usage_threshold_upsell", lines, level)
        keys = [r.customer.move.line_key for r in results]
        assert len(results) == 3 and "accept_time" not in keys and not state.director.time_accepted, (level, keys)
        assert keys[-1] == "no_time", (level, keys)  # the second proposal gets a real answer, never "send it over"
        assert score_session(state).item("next_step").verdict.value == "fail", level
    # the same rep, once the customer is warm, gets the time accepted and the item passes
    warm = ["I noticed your team crossed 212 of your 250 licensed seats this month, about 85% of the plan.",
            "Could we spend 20 minutes mapping how your hubs onboard dispatchers today?", lines[2]]
    state, results = run_play("usage_threshold_upsell", warm, Difficulty.easy)
    assert [r.customer.move.line_key for r in results][-1] == "accept_time"
    assert score_session(state).item("next_step").verdict.value == "pass"


def test_escalation_rep_who_asks_about_the_outage_and_parks_it_scores_well():
    lines = [
        "Sorry to hear about the outage. Walk me through what happened with the sync outage: how is your team handling it today?",
        "What has the outage cost you so far?",
        "Let's park it. I'll focus on getting the fix done.",
        "Could we book 15 minutes on Thursday at 10am to review the fix?",
        "Great, I'll send the invite. Talk soon.",
    ]
    for level in Difficulty:
        state, results = run_play("escalation_back_off", lines, level)
        keys = [r.customer.move.line_key for r in results]
        assert keys == ["problem_update", "problem_update", "back_off_thanks", "accept_time", "end"], (level, keys)
        card = score_session(state)
        verdicts = {i.id: i.verdict.value for i in card.items}
        assert verdicts["escalation_guard"] == "pass" and verdicts["next_step"] == "pass"
        for item in ("signal_first_opening", "discovery_questions", "diagnostic_framing", "neutrality_statement"):
            assert verdicts[item] == "not_applicable" and "open escalation" in card.item(item).reason
        assert card.score is not None and card.score >= 90


def test_escalation_cross_sell_discovery_is_still_a_push():
    state, results = run_play(
        "escalation_back_off", ["Walk me through how your team handles monitoring today: who owns it, what tools?"], Difficulty.normal
    )
    assert results[0].customer.move.line_key == "objection:pushed_in_escalation"
    assert score_session(state).item("escalation_guard").verdict.value == "fail"


def test_same_seed_and_lines_same_session_at_every_level():
    lines = LEVEL_PLAYS["renewal_window"]["hard"]["good"]["rep_lines"]
    for level in Difficulty:
        a, _ = run_play("renewal_window", lines, level, seed=11)
        b, _ = run_play("renewal_window", lines, level, seed=11)
        assert a.to_json() == b.to_json()


def test_levels_change_how_much_the_customer_reveals():
    q1 = "Walk me through how your team handles adding new dispatchers today: who owns it, what tools, what's the cycle time?"
    easy, _ = run_play("usage_threshold_upsell", [q1], Difficulty.easy)
    hard, _ = run_play("usage_threshold_upsell", [q1], Difficulty.hard)
    assert easy.revealed_facts() == hard.revealed_facts() == ["seat_workflow"]
    assert len(hard.turns[-1].text) < len(easy.turns[-1].text)
    assert easy.turns[-1].text.startswith(hard.turns[-1].text)
    # a cooled customer at hard keeps it to themselves once, then answers
    cooled, results = run_play("usage_threshold_upsell", ["This is the future of the category.", q1, q1], Difficulty.hard)
    assert [r.customer.move.line_key for r in results] == ["end_cold"]
    cooled, results = run_play("renewal_window", ["Let me share my screen and show you the plan.",
        "Walk me through how your team handles SLA reporting today: who owns it, what tools, what's the cycle time?",
        "Walk me through how your team handles SLA reporting today: who owns it, what tools, what's the cycle time?"],
        Difficulty.hard)  # fmt: skip
    assert [r.customer.move.line_key for r in results] == ["objection:product_first", "guarded", "fact:sla_workflow"]
